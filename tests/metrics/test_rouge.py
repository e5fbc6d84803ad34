import pytest

from conftest import SHARED
from harness.metrics.rouge import rouge
from harness.metrics.sentences import split_sentences

ALL = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def test_rouge_by_hand():
    # reference: the cat sat on the mat (6 tokens); prediction: the cat on the mat (5 tokens)
    # unigram overlap 5 -> R 5/6, P 5/5, F = 2*5/(6+5) = 10/11
    # bigrams: ref {the cat, cat sat, sat on, on the, the mat}, pred {the cat, cat on, on the, the mat}
    # overlap 3 -> R 3/5, P 3/4, F = 2*3/(5+4) = 2/3; LCS = 5 -> rougeL F = 10/11
    scores, _ = rouge("the cat on the mat", ["the cat sat on the mat"], ALL, use_stemmer=False)
    assert scores["rouge1"] == pytest.approx(10 / 11)
    assert scores["rouge2"] == pytest.approx(2 / 3)
    assert scores["rougeL"] == pytest.approx(10 / 11)
    assert scores["rougeLsum"] == pytest.approx(10 / 11)


def test_stemming_matters():
    on, _ = rouge("talks resumed", ["talk resumes"], ("rouge1",), use_stemmer=True)
    off, _ = rouge("talks resumed", ["talk resumes"], ("rouge1",), use_stemmer=False)
    assert on["rouge1"] == 1.0 and off["rouge1"] == 0.0


def test_rougelsum_uses_sentences_not_one_lcs():
    # Two sentences in swapped order: one LCS over the whole text can only follow one of them,
    # the summary-level LCS (union over sentences) recovers both. Without sentence splitting
    # rougeLsum would equal rougeL.
    reference = "Seoul hosts the next meeting. Talks resume in June."
    prediction = "Talks resume in June. Seoul hosts the next meeting."
    scores, _ = rouge(prediction, [reference], ALL, use_stemmer=False)
    assert scores["rougeLsum"] == pytest.approx(1.0)
    assert scores["rougeL"] < 0.7


def test_several_references_take_the_best_f_and_say_which():
    scores, trace = rouge("the next meeting is in Seoul", ["Tokyo said no", "the next meeting is in Seoul"], ALL)
    assert scores["rouge1"] == 1.0
    assert trace["best_reference"]["rouge1"] == 1


def test_rouge_score_pinned_case_line0():
    # rouge-score's own test data, expected values from ROUGE-1.5.5 (see shared/validation README)
    folder = SHARED / "validation" / "rouge_score_testdata"
    target = (folder / "target.txt").read_text().splitlines()[0]
    prediction = (folder / "prediction.txt").read_text().splitlines()[0]
    scores, _ = rouge(prediction, [target], ("rouge1", "rouge2", "rougeL"), use_stemmer=False)
    assert round(scores["rouge1"], 5) == 0.51163
    assert round(scores["rouge2"], 5) == 0.39024
    assert round(scores["rougeL"], 5) == 0.51163


def test_sentence_splitter_keeps_headline_and_abbreviations():
    text = "S. Korea, US seek talks with Japan\n\nSenior officials met in Washington. They agreed."
    assert split_sentences(text) == [
        "S. Korea, US seek talks with Japan",
        "Senior officials met in Washington.",
        "They agreed.",
    ]
