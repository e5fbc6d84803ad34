"""One SQuAD-format reader for the official-scorer port and the importer: the same rules for both."""

import json

import pytest

from harness.errors import HarnessError
from harness.jsonfile import read_json
from harness.metrics.squad import load_squad_gold
from harness.sources import load_squad_articles, read_squad
from harness.squad_format import read_squad_file

from validation_data import vendored

V11 = vendored("squad/v1.1/dev-v1.1.reconstructed.json")
V20 = vendored("squad/v2.0/dev-v2.0.reconstructed.json")


def _write(tmp_path, data) -> str:
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _qa(qid, *answers, **extra):
    return {"id": qid, "question": "Who?", "answers": [{"text": a} for a in answers], **extra}


def _file(*paragraphs, version="1.1"):
    return {"version": version, "data": [{"title": "T", "paragraphs": [{"context": "Seoul.", "qas": list(qas)} for qas in paragraphs]}]}


def test_read_json_is_still_importable_from_the_scorer():
    from harness.metrics import squad

    assert squad.read_json is read_json


@pytest.mark.parametrize("path", [V11, V20])
def test_the_scorer_and_the_importer_read_the_same_questions(path):
    squad = read_squad_file(path, texts=True)
    gold = load_squad_gold(path)
    loaded = read_squad(path)
    assert squad.version == gold.version == loaded.version
    assert [q.id for q in squad.questions()] == list(gold.answers)
    assert {q.id: list(q.answers) for q in squad.questions()} == gold.answers
    kept = [q.id for a in loaded.articles for q in a.questions]
    assert kept == [q.id for q in squad.questions() if q.id not in gold.unanswerable]
    assert loaded.skipped_unanswerable == len(gold.unanswerable)


@pytest.mark.parametrize(
    "data, message",
    [
        # a duplicate id anywhere in the file (the official scripts key by id), not only in one paragraph
        (_file([_qa("q", "Seoul")], [_qa("q", "Seoul")]), "paragraphs[1].qas[0]: not a SQuAD file: duplicate question id 'q'"),
        # v1.1 without answers, found by the file's version, at the question's own path
        (_file([_qa("q1", "Seoul"), _qa("q2")]), "paragraphs[0].qas[1]: not a SQuAD file: question 'q2' has no answers"),
        ({"data": []}, "data: not a SQuAD file: no questions"),
        ([1], "(top level): not a SQuAD file: expected an object with a `data` list of articles, got a list"),
        (_file([{"question": "Who?", "answers": []}]), "qas[0]: not a SQuAD file: each question needs a string `id`"),
    ],
)
def test_one_rule_set_for_both_readers(tmp_path, data, message):
    path = _write(tmp_path, data)
    for read in (load_squad_gold, load_squad_articles):
        with pytest.raises(HarnessError) as info:
            read(path)
        text = str(info.value)
        assert text.startswith(f"{path}: ") and message in text and "\n" not in text, text


def test_a_later_is_impossible_makes_the_whole_file_v20(tmp_path):
    path = _write(tmp_path, _file([_qa("q1")], [_qa("q2", "Seoul", is_impossible=False)]))
    assert load_squad_gold(path).version == read_squad(path).version == "2.0"
    assert read_squad(path).skipped_unanswerable == 1


def test_articles_need_texts_scoring_does_not(tmp_path):
    data = {"data": [{"paragraphs": [{"qas": [{"id": "q1", "answers": [{"text": "Seoul"}]}]}]}]}
    path = _write(tmp_path, data)
    assert load_squad_gold(path).answers == {"q1": ["Seoul"]}
    with pytest.raises(HarnessError, match="paragraphs\\[0\\]: not a SQuAD file: each paragraph needs a non-empty string `context`"):
        load_squad_articles(path)
    data["data"][0]["paragraphs"][0]["context"] = "Seoul."
    path = _write(tmp_path, data)
    with pytest.raises(HarnessError, match="qas\\[0\\]: not a SQuAD file: question 'q1' needs a string `question`"):
        load_squad_articles(path)
    data["data"][0]["paragraphs"][0]["qas"][0]["question"] = "  "
    path = _write(tmp_path, data)
    with pytest.raises(HarnessError, match="question 'q1' is empty"):
        load_squad_articles(path)


def test_is_impossible_with_answers_is_scored_but_not_imported(tmp_path):
    """evaluate-v2.0.py goes by the answers list; the importer also skips a question the file calls impossible."""
    path = _write(tmp_path, _file([_qa("q1", "Seoul", is_impossible=True), _qa("q2", "Seoul")], version="v2.0"))
    assert load_squad_gold(path).unanswerable == frozenset()
    loaded = read_squad(path)
    assert [q.id for a in loaded.articles for q in a.questions] == ["q2"] and loaded.skipped_unanswerable == 1
