"""Reading ROUGE-1.5.5's inputs as the Perl script reads them: its XML configuration and the
SEE (HTML, one sentence per <a> line) and SPL (one sentence per line) summary formats.

Only what the script itself looks at is kept, so scores computed from these sentences can be
compared with its output digit for digit: e.g. a SEE sentence is the text after the second
<a ...> tag up to the next '<' *on that line*; text continued on the next line is ignored by the
script, hence here too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import NamedTuple

_SEE_LINE = re.compile(
    r'^<a size="[0-9]+" name="[0-9]+">\[([0-9]+)\]</a>\s+<a href="#[0-9]+" id=[0-9]+>([^<]+)'
    r'|^<a name="[0-9]+">\[([0-9]+)\]</a>\s+<a href="#[0-9]+" id=[0-9]+>([^<]+)',
    re.ASCII,
)


def read_see(text: str) -> list[str]:
    """Sentences of a SEE-format (HTML) summary, as readText finds them: one per matching line,
    the text after the second <a ...> tag up to the next '<' or the end of that line (a
    sentence continued on the next line is cut there, as in the script)."""
    sentences = []
    for line in text.split("\n"):  # Perl reads lines split on "\n" only
        match = _SEE_LINE.match(line)
        if match:
            sentences.append(match.group(2) if match.group(2) is not None else match.group(4))
    return sentences


def read_spl(text: str) -> list[str]:
    """Sentences of an SPL (one sentence per line) summary: every non-empty line."""
    return [line for line in text.split("\n") if line]


def read_summary(text: str, input_format: str) -> str:
    """A SEE or SPL file as one sentence per line, ready for sentence_split="newline"."""
    readers = {"SEE": read_see, "SPL": read_spl}
    try:
        return "\n".join(readers[input_format.upper()](text))
    except KeyError:
        raise ValueError(f"unsupported ROUGE-1.5.5 input format {input_format!r} (SEE or SPL)") from None


class Evaluation(NamedTuple):
    """One <EVAL> of a ROUGE-1.5.5 configuration file; peers and models keep the file's order."""

    id: str
    input_format: str
    peer_root: str
    model_root: str
    peers: dict[str, str]
    models: dict[str, str]


def read_eval_config(xml_text: str) -> list[Evaluation]:
    """The evaluations of a ROUGE-1.5.5 XML configuration (the file given to the script)."""
    root = ElementTree.fromstring(xml_text)
    evaluations = []
    for node in root.iter():
        if node.tag.upper() != "EVAL":
            continue
        fields = {child.tag.upper(): child for child in node}
        evaluations.append(
            Evaluation(
                id=node.get("ID", ""),
                input_format=fields["INPUT-FORMAT"].get("TYPE", ""),
                peer_root=(fields["PEER-ROOT"].text or "").strip(),
                model_root=(fields["MODEL-ROOT"].text or "").strip(),
                peers={p.get("ID", ""): (p.text or "").strip() for p in fields["PEERS"]},
                models={m.get("ID", ""): (m.text or "").strip() for m in fields["MODELS"]},
            )
        )
    return evaluations
