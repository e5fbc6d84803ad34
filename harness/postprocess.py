"""Turns a raw model output into the text that is scored.

A summary is only stripped. An answer goes through the rules of its QAPostprocess, always in the
order of STEPS, after white space at both ends is removed:

1. `first_line`: the first non-empty line (small models go on to ask themselves new questions);
2. `strip_prefixes`: "Answer:"-like prefixes, case-insensitively, repeatedly ("A: Answer: x" -> "x");
3. `regex`: what the pattern finds (`re.search`, the first match): its group `answer` when it has
   one, else the whole match; stripped. No match gives the empty answer: it scores 0 on every
   metric and its verdict is `empty`, as lm-eval's "[invalid]" fallback scores 0, but without a
   made-up word that a gold answer could contain. Keeping the unextracted text instead would let
   an answer that failed extraction earn partial F1 and `contains` credit;
4. `max_words`: the first N words (runs of non-space characters), cut after the N-th, so the
   spacing inside is kept;
5. `strip_trailing_punctuation`: TRAILING_PUNCTUATION and white space off the end. After
   `max_words`, so "Singapore, in June" cut to one word loses its comma too. SQuAD normalisation
   drops ASCII punctuation anyway, so this changes scores only through the other scripts' marks
   (… 。 ？); it mostly makes the shown answer clean.

`extract_answer` also returns the trace of the steps (`extraction` in an answer's trace): one
entry per step that changed the text, `{"step", "before", "after"}`, and always the `regex` step,
with `"matched"`, so an answer emptied by a pattern that found nothing says so. The first
`before` is the raw output without its surrounding white space (the raw output itself is in the
prediction's `raw_output`). Without `regex`, `max_words` and `strip_trailing_punctuation` the
answer is the one earlier versions gave, character for character.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: the reports read traces without loading the config schema
    from harness.config import QAPostprocess

STEPS = ("first_line", "strip_prefixes", "regex", "max_words", "strip_trailing_punctuation")
"""The order the QA rules run in (QAPostprocess's keys are in this order too)."""

TRAILING_PUNCTUATION = ".,;:!?\u2026\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f\uff61\u061f\u060c\u061b\u06d4\u0964\u0965"
"""What `strip_trailing_punctuation` removes from an answer's end: . , ; : ! ? and their kin in
other scripts (… 。 ， 、 ； ： ！ ？ ｡ ؟ ، ؛ ۔ । ॥). Not quotes, brackets, % or other symbols,
which can be part of an answer ("50%", "(2019)")."""

_WORD = re.compile(r"\S+")


def clean_summary(raw: str) -> str:
    return raw.strip()


def clean_answer(raw: str, rules: QAPostprocess) -> str:
    """The scored answer of a raw output (extract_answer without the trace)."""
    return extract_answer(raw, rules)[0]


def extract_answer(raw: str, rules: QAPostprocess) -> tuple[str, list[dict]]:
    """The scored answer and the steps that made it (see the module docstring)."""
    text = raw.strip()
    steps: list[dict] = []

    def step(name: str, after: str, **extra) -> str:
        if after != text or extra:
            steps.append({"step": name, "before": text, "after": after, **extra})
        return after

    if rules.first_line:
        text = step("first_line", next((line.strip() for line in text.splitlines() if line.strip()), ""))
    if rules.strip_prefixes:
        text = step("strip_prefixes", _strip_prefixes(text, rules.strip_prefixes))
    if rules.regex is not None:
        found = re.search(rules.regex, text)
        text = step("regex", _matched_text(found), matched=found is not None)
    if rules.max_words is not None:
        words = list(_WORD.finditer(text))
        text = step("max_words", text[: words[rules.max_words - 1].end()] if len(words) > rules.max_words else text)
    if rules.strip_trailing_punctuation:
        text = step("strip_trailing_punctuation", _strip_trailing_punctuation(text))
    return text, steps


def _strip_prefixes(text: str, prefixes: tuple[str, ...]) -> str:
    changed = True
    while changed:  # "A: Answer: x" loses both prefixes
        changed = False
        for prefix in prefixes:
            if prefix and text.lower().startswith(prefix.lower()):
                text = text[len(prefix):].strip()
                changed = True
    return text


def _strip_trailing_punctuation(text: str) -> str:
    """A loop from the end, not a regex: `[...]+$` is quadratic on a long run of dots mid-text."""
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in TRAILING_PUNCTUATION):
        end -= 1
    return text[:end]


def _matched_text(found: re.Match[str] | None) -> str:
    """The group `answer` of a match (empty when that group took no part), else the whole match."""
    if found is None:
        return ""
    if "answer" in found.re.groupindex:
        return (found.group("answer") or "").strip()
    return found.group(0).strip()


def extraction_steps(trace: dict | None) -> list[dict]:
    """The well-formed steps of a stored answer trace, for the reports: a trace read back from a
    hand-edited predictions.jsonl may hold anything, and a report must not fail on it. Each has
    `step`, `before`, `after` and `matched` (False only for a `regex` that found nothing)."""
    steps = trace.get("extraction") if isinstance(trace, dict) else None
    if not isinstance(steps, list):
        return []
    keep = []
    for entry in steps:
        if isinstance(entry, dict) and all(isinstance(entry.get(key), str) for key in ("step", "before", "after")):
            keep.append({"step": entry["step"], "before": entry["before"], "after": entry["after"], "matched": entry.get("matched") is not False})
    return keep
