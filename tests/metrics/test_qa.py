import pytest

from harness.metrics.qa import (
    VERDICTS,
    contains,
    exact_match,
    normalize_answer,
    qa_scores,
    token_f1,
    verdict_shares,
)


def test_normalize_follows_squad_v11():
    assert normalize_answer("The  Shangri-La  Dialogue!") == "shangrila dialogue"
    assert normalize_answer("An armistice, a truce") == "armistice truce"
    assert normalize_answer("  THE\tend ") == "end"


def test_exact_match_ignores_case_punctuation_and_articles():
    assert exact_match("the Shangri-La Dialogue.", "Shangri-La Dialogue") == 1.0
    assert exact_match("Shangri-La", "Shangri-La Dialogue") == 0.0


def test_token_f1_by_hand():
    # prediction tokens: trilateral talks last opened in 2019 (6; "the" dropped); gold: 2019 (1)
    # precision 1/6, recall 1/1 -> F1 = 2 * (1/6) / (1/6 + 1) = 2/7
    assert abs(token_f1("The trilateral talks last opened in 2019.", "2019") - 2 / 7) < 1e-12
    # repeated tokens count once per occurrence: pred "seoul seoul", gold "seoul" -> P 1/2, R 1
    assert abs(token_f1("Seoul Seoul", "Seoul") - 2 / 3) < 1e-12
    assert token_f1("", "Seoul") == 0.0
    assert token_f1("Tokyo", "Seoul") == 0.0


def test_contains_is_whole_token_and_catches_verbose_answers():
    assert contains("The trilateral talks last opened in 2019.", "2019") == 1.0
    assert contains("twenty", "two") == 0.0
    assert contains("at the Shangri-La Dialogue in Singapore", "Shangri-La Dialogue") == 1.0
    assert contains("anything", "the") == 0.0  # a gold that normalises to nothing matches nothing


def test_qa_scores_take_the_best_alias_per_metric():
    scores, trace = qa_scores("The trilateral talks last opened in 2019.", ("2019",))
    assert scores == {"exact_match": 0.0, "f1": 2 / 7, "contains": 1.0}
    scores, trace = qa_scores("in June", ("June", "in June"))
    assert scores["exact_match"] == 1.0 and trace["matched_answer"]["exact_match"] == "in June"
    assert trace["normalized_prediction"] == "in june"
    scores, trace = qa_scores("Tokyo", ("Seoul",))
    assert scores == {"exact_match": 0.0, "f1": 0.0, "contains": 0.0}
    assert trace["matched_answer"]["f1"] is None


# --- traces and verdicts ----------------------------------------------------------------------


def test_trace_has_the_normalised_golds_in_order_and_a_verdict():
    _, trace = qa_scores("The Shangri-La Dialogue.", ("Shangri-La Dialogue in Singapore", "the Shangri-La Dialogue"))
    assert trace == {
        "normalized_prediction": "shangrila dialogue",
        "normalized_answers": ["shangrila dialogue in singapore", "shangrila dialogue"],
        "matched_answer": {
            "exact_match": "the Shangri-La Dialogue",
            "f1": "the Shangri-La Dialogue",
            "contains": "the Shangri-La Dialogue",
        },
        "verdict": "exact",
    }


@pytest.mark.parametrize(
    "prediction, answers, expected",
    [
        ("the Shangri-La Dialogue!", ("Shangri-La Dialogue",), "exact"),  # EM 1 after normalisation
        ("in June", ("June", "in June"), "exact"),  # EM 1 against the alias
        ("The trilateral talks last opened in 2019.", ("2019",), "verbose"),  # EM 0, gold inside
        ("Shangri-La", ("Shangri-La Dialogue",), "partial"),  # F1 2/3, gold not inside
        ("twenty", ("two",), "wrong"),  # no whole-token overlap
        ("Tokyo", ("Seoul", "Seoul, South Korea"), "wrong"),
        ("", ("Seoul",), "empty"),
        ("The.", ("Seoul",), "empty"),  # normalises to nothing
        ("  ?! ", ("Seoul",), "empty"),
    ],
)
def test_each_verdict_by_hand(prediction, answers, expected):
    scores, trace = qa_scores(prediction, answers)
    assert trace["verdict"] == expected
    # the verdicts are consistent with the scores they come from
    assert (expected == "exact") == (scores["exact_match"] == 1.0)
    assert (expected in ("wrong", "empty")) == (scores["f1"] == 0.0)


def test_verdict_shares_cover_every_verdict_and_sum_to_one():
    shares = verdict_shares(["exact", "exact", "verbose", "wrong"])
    assert list(shares) == list(VERDICTS)
    assert shares == {"exact": 0.5, "verbose": 0.25, "partial": 0.0, "wrong": 0.25, "empty": 0.0}
    assert sum(shares.values()) == 1.0


def test_verdict_shares_of_nothing_are_all_zero():
    assert verdict_shares([]) == {name: 0.0 for name in VERDICTS}


def test_verdict_shares_reject_an_unknown_verdict():
    with pytest.raises(ValueError, match="unknown verdict"):
        verdict_shares(["exact", "right"])
