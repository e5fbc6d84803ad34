"""SQuAD scoring against the official scripts' published numbers, on the real dev files.

The expected values are the official evaluate-v1.1.py / evaluate-v2.0.py output on exactly
these files (tests/data/README.md); nothing here was produced by this project. The gold
files are read once per module (~11k questions each); each scoring pass takes well under a
second.
"""

from __future__ import annotations

import json

import pytest

from harness.errors import HarnessError
from harness.metrics.qa import token_f1
from harness.metrics.squad import SquadGold, load_predictions, load_squad_gold, score_squad

from validation_data import vendored


def v11(name: str):
    return vendored(f"squad/v1.1/{name}")


def v20(name: str):
    return vendored(f"squad/v2.0/{name}")


@pytest.fixture(scope="module")
def gold_v11() -> SquadGold:
    return load_squad_gold(v11("dev-v1.1.reconstructed.json"))


@pytest.fixture(scope="module")
def gold_v20() -> SquadGold:
    return load_squad_gold(v20("dev-v2.0.reconstructed.json"))


def subset(gold: SquadGold, *ids: str) -> SquadGold:
    """The same gold file restricted to a few real questions, to look at one rule at a time."""
    return SquadGold(gold.path, gold.version, {q: gold.answers[q] for q in ids}, gold.unanswerable & set(ids))


def test_versions_and_sizes_are_detected(gold_v11, gold_v20):
    assert gold_v11.version == "1.1" and len(gold_v11.answers) == 10570
    assert sum(len(texts) for texts in gold_v11.answers.values()) == 34726
    assert gold_v11.unanswerable == frozenset()
    assert gold_v20.version == "2.0" and len(gold_v20.answers) == 11873
    assert len(gold_v20.unanswerable) == 5945
    assert all(gold_v20.answers[q] == [] for q in gold_v20.unanswerable)


@pytest.mark.parametrize(
    "file, em, f1, missing",
    [
        ("pred_BERT_ensemble_GoogleAI.json", 86.206, 92.196, 0),
        ("pred_MatchLSTM_boundary_ensemble_SMU.json", 67.635, 76.756, 0),
        ("pred_LogReg_baseline_Stanford.json", 40.142, 50.982, 13),
    ],
)
def test_v11_matches_the_official_script(gold_v11, file, em, f1, missing):
    result = score_squad(gold_v11, load_predictions(v11(file)))
    assert (round(result["exact_match"], 3), round(result["f1"], 3)) == (em, f1)
    assert result["total"] == 10570
    assert result["missing"] == missing == len(result["missing_ids"])
    assert "HasAns_exact" not in result


def test_v11_missing_ids_score_zero_and_unknown_ids_are_ignored(gold_v11):
    predictions = load_predictions(v11("pred_LogReg_baseline_Stanford.json"))
    result = score_squad(gold_v11, predictions)
    assert all(q not in predictions for q in result["missing_ids"])
    assert result["extra"] == len(predictions) - (10570 - 13) == 28
    # the 13 missing questions count in the total: answering them all right adds 13 questions
    filled = dict(predictions, **{q: gold_v11.answers[q][0] for q in result["missing_ids"]})
    fixed = score_squad(gold_v11, filled)
    assert fixed["missing"] == 0
    assert abs(fixed["exact_match"] - result["exact_match"] - 100 * 13 / 10570) < 1e-9


def test_v20_matches_the_official_script(gold_v20):
    result = score_squad(gold_v20, load_predictions(v20("pred_BERT_single_GoogleAI.json")))
    rounded = {k: round(v, 3) for k, v in result.items() if isinstance(v, float)}
    assert rounded == {
        "exact_match": 78.742,
        "f1": 81.775,
        "HasAns_exact": 74.106,
        "HasAns_f1": 80.182,
        "NoAns_exact": 83.364,
        "NoAns_f1": 83.364,
    }
    assert (result["total"], result["HasAns_total"], result["NoAns_total"]) == (11873, 5928, 5945)
    assert result["missing"] == 0 and result["extra"] == 0


def test_v20_empty_prediction_is_right_only_for_unanswerable_questions(gold_v20):
    # 5a38a8d2a4b263001a8c1875 is unanswerable; 5725b33f6a3fe71400b8952d's gold is "October 1973"
    no_answer, has_answer = "5a38a8d2a4b263001a8c1875", "5725b33f6a3fe71400b8952d"
    gold = subset(gold_v20, no_answer, has_answer)
    for abstain in ("", "The.", "  "):  # all normalise to nothing
        result = score_squad(gold, {no_answer: abstain, has_answer: abstain})
        assert (result["NoAns_exact"], result["NoAns_f1"]) == (100.0, 100.0)
        assert (result["HasAns_exact"], result["HasAns_f1"]) == (0.0, 0.0)
    result = score_squad(gold, {no_answer: "October 1973", has_answer: "October 1973"})
    assert (result["NoAns_exact"], result["NoAns_f1"], result["HasAns_exact"]) == (0.0, 0.0, 100.0)
    # why squad.py has its own v2.0 F1: the v1.1 rule gives a correct abstention F1 0
    assert token_f1("", "") == 0.0


def test_a_gold_that_normalises_to_nothing_counts_in_v11_but_not_in_v20(gold_v11, gold_v20):
    # a real question whose gold answers include "." in both dev files
    qid = "5725bad5271a42140099d0c1"
    assert "." in gold_v11.answers[qid] and "." in gold_v20.answers[qid]
    v11 = score_squad(subset(gold_v11, qid), {qid: ""})
    assert (v11["exact_match"], v11["f1"]) == (100.0, 0.0)  # "" == normalised "."; v1.1 F1 of no tokens is 0
    v20 = score_squad(subset(gold_v20, qid), {qid: ""})
    assert (v20["exact_match"], v20["f1"]) == (0.0, 0.0)  # v2.0 drops the "." gold
    assert (v20["HasAns_total"], "NoAns_total" in v20) == (1, False)


def test_v20_with_no_predictions_scores_zero_instead_of_crashing(gold_v20):
    result = score_squad(gold_v20, {})
    assert result["missing"] == result["total"] == 11873
    assert result["exact_match"] == result["NoAns_exact"] == result["HasAns_f1"] == 0.0


# --- bad inputs: one line naming the file and the problem ------------------------------------


def error_of(function, path) -> str:
    with pytest.raises(HarnessError) as info:
        function(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


@pytest.mark.parametrize(
    "content, problem",
    [
        ('["a", "b"]', "predictions must be a JSON object {question_id: answer}, got a list"),
        ('"Denver Broncos"', "predictions must be a JSON object {question_id: answer}, got a string"),
        ('{"56be4db0acb8001400a502ec": 3}', "'56be4db0acb8001400a502ec' has a number"),
        ('{"56be4db0acb8001400a502ec": null}', "'56be4db0acb8001400a502ec' has null"),
        ('{"56be4db0acb8001400a502ec": ["Denver"]}', "has a list"),
        ("", "the predictions file is empty"),
        ("\n  \n", "the predictions file is empty"),
        ('{"56be4db0acb8001400a502ec": "Denver",}', "line 1, column 39: invalid JSON: Expecting property name"),
    ],
)
def test_bad_predictions_file(tmp_path, content, problem):
    path = tmp_path / "PRED.json"
    path.write_text(content, encoding="utf-8")
    assert problem in error_of(load_predictions, path)


def test_predictions_file_missing_not_utf8_or_swapped_with_gold(tmp_path):
    assert "predictions file not found" in error_of(load_predictions, tmp_path / "nope.json")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"q": "Québec"}'.encode("latin-1"))
    assert "not UTF-8" in error_of(load_predictions, latin1)
    assert "SQuAD gold file, not predictions" in error_of(load_predictions, v11("dev-v1.1.reconstructed.json"))


@pytest.mark.parametrize(
    "content, problem",
    [
        ("[]", "(top level): not a SQuAD file: expected an object with a `data` list of articles, got a list"),
        ('{"q1": "Denver"}', "got an object without a `data` list"),  # a predictions file
        ('{"data": [{"title": "x"}]}', "data[0]: not a SQuAD file: each article needs a `paragraphs` list"),
        ('{"data": [{"paragraphs": [{"context": "c"}]}]}', "data[0].paragraphs[0]: not a SQuAD file: each paragraph needs a `qas` list"),
        ('{"data": [{"paragraphs": [{"qas": [{"answers": []}]}]}]}', "qas[0]: not a SQuAD file: each question needs a string `id`"),
        ('{"data": [{"paragraphs": [{"qas": [{"id": "q1"}]}]}]}', "question 'q1' needs an `answers` list"),
        ('{"data": [{"paragraphs": [{"qas": [{"id": "q1", "answers": ["x"]}]}]}]}', "answers[0]: not a SQuAD file: each answer needs a string `text`"),
        (
            '{"data": [{"paragraphs": [{"qas": [{"id": "q1", "answers": [{"text": "x"}]}, {"id": "q1", "answers": [{"text": "y"}]}]}]}]}',
            "qas[1]: not a SQuAD file: duplicate question id 'q1'",
        ),
        ('{"version": "1.1", "data": [{"paragraphs": [{"qas": [{"id": "q1", "answers": []}]}]}]}', "question 'q1' has no answers"),
        ('{"version": "1.1", "data": []}', "data: not a SQuAD file: no questions"),
        ("", "the SQuAD gold file is empty"),
        ('{"data": [', "invalid JSON"),
    ],
)
def test_bad_gold_file(tmp_path, content, problem):
    path = tmp_path / "GOLD.json"
    path.write_text(content, encoding="utf-8")
    assert problem in error_of(load_squad_gold, path)


def test_gold_file_missing(tmp_path):
    assert "SQuAD gold file not found" in error_of(load_squad_gold, tmp_path / "nope.json")


def test_a_v20_file_is_recognised_by_is_impossible_without_a_version(tmp_path):
    path = tmp_path / "gold.json"
    qas = [{"id": "q1", "answers": [], "is_impossible": True}, {"id": "q2", "answers": [{"text": "Denver"}], "is_impossible": False}]
    path.write_text(json.dumps({"data": [{"paragraphs": [{"qas": qas}]}]}), encoding="utf-8")
    gold = load_squad_gold(path)
    assert gold.version == "2.0" and gold.unanswerable == {"q1"}
    assert score_squad(gold, {"q1": "", "q2": "Denver"})["exact_match"] == 100.0
