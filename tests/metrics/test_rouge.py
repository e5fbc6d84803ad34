import random

import pytest
from rouge_score import rouge_scorer

from harness.metrics.rouge import RougeOptions, rouge, rouge_counts_per_reference, rouge_prf, signature
from harness.metrics.rouge_corpus import score_corpus
from harness.metrics.rouge_counts import Counts
from harness.metrics.rouge_lcs import lcs_indices, lcs_length, summary_level_hits
from harness.metrics.sentences import split_sentences
from harness.metrics.tokenize import DefaultTokenizer, UnicodeTokenizer

from validation_data import vendored

ALL = ("rouge1", "rouge2", "rougeL", "rougeLsum")
PLAIN = RougeOptions(ALL, use_stemmer=False)


def test_rouge_by_hand():
    # reference: the cat sat on the mat (6 tokens); prediction: the cat on the mat (5 tokens)
    # unigram overlap 5 -> R 5/6, P 5/5, F = 2*5/(6+5) = 10/11
    # bigrams: ref {the cat, cat sat, sat on, on the, the mat}, pred {the cat, cat on, on the, the mat}
    # overlap 3 -> R 3/5, P 3/4, F = 2*3/(5+4) = 2/3; LCS = 5 -> rougeL F = 10/11
    scores, _ = rouge("the cat on the mat", ["the cat sat on the mat"], PLAIN)
    assert scores["rouge1"] == pytest.approx(10 / 11)
    assert scores["rouge2"] == pytest.approx(2 / 3)
    assert scores["rougeL"] == pytest.approx(10 / 11)
    assert scores["rougeLsum"] == pytest.approx(10 / 11)


def test_the_older_call_form_still_works():
    # harness/scoring.py calls rouge(output, refs, rouge_types, use_stemmer)
    old, old_trace = rouge("the cat on the mat", ["the cat sat on the mat"], ALL, False)
    new, new_trace = rouge("the cat on the mat", ["the cat sat on the mat"], PLAIN)
    assert old == new and old_trace == new_trace
    with pytest.raises(TypeError):
        rouge("a", ["a"], PLAIN, use_stemmer=True)


def test_stemming_matters():
    on, _ = rouge("talks resumed", ["talk resumes"], RougeOptions(("rouge1",), use_stemmer=True))
    off, _ = rouge("talks resumed", ["talk resumes"], RougeOptions(("rouge1",), use_stemmer=False))
    assert on["rouge1"] == 1.0 and off["rouge1"] == 0.0


def test_rougelsum_uses_sentences_not_one_lcs():
    # Two sentences in swapped order: one LCS over the whole text can only follow one of them,
    # the summary-level LCS (union over sentences) recovers both. Without sentence splitting
    # rougeLsum would equal rougeL.
    reference = "Seoul hosts the next meeting. Talks resume in June."
    prediction = "Talks resume in June. Seoul hosts the next meeting."
    scores, _ = rouge(prediction, [reference], PLAIN)
    assert scores["rougeLsum"] == pytest.approx(1.0)
    assert scores["rougeL"] < 0.7


def test_newline_split_takes_the_texts_own_lines():
    reference = "Seoul hosts the next meeting. Talks resume in June."
    prediction = "Talks resume in June. Seoul hosts the next meeting."
    newline = RougeOptions(ALL, use_stemmer=False, sentence_split="newline")
    one_line, _ = rouge(prediction, [reference], newline)
    assert one_line["rougeLsum"] == one_line["rougeL"]  # one line each: no sentences to recover
    two_lines, _ = rouge(prediction.replace(". ", ".\n"), [reference.replace(". ", ".\n")], newline)
    assert two_lines["rougeLsum"] == pytest.approx(1.0)


def test_several_references_take_the_best_f_and_say_which():
    scores, trace = rouge("the next meeting is in Seoul", ["Tokyo said no", "the next meeting is in Seoul"], RougeOptions())
    assert scores["rouge1"] == 1.0
    assert trace["best_reference"]["rouge1"] == 1


def test_model_average_sums_hits_and_totals_over_references():
    # prediction "the cat sat" (3 tokens); references "the cat" (2) and "a cat sat" (3).
    # rouge1 hits 2 + 2 = 4, reference total 5, prediction total 3 + 3 = 6:
    # R 4/5, P 4/6, F = 2 * 4 / (5 + 6) = 8/11. "max" takes the first reference: P 2/3, R 1, F 0.8.
    options = RougeOptions(("rouge1", "rougeL"), use_stemmer=False, multi_reference="model_average")
    counts = rouge_counts_per_reference("the cat sat", ["the cat", "a cat sat"], options)
    assert counts["rouge1"] == [Counts(2, 2, 3), Counts(2, 3, 3)]
    average, trace = rouge_prf("the cat sat", ["the cat", "a cat sat"], options)
    assert (average["rouge1"].recall, average["rouge1"].precision) == (4 / 5, 4 / 6)
    assert average["rouge1"].fmeasure == pytest.approx(8 / 11)
    assert average["rougeL"].fmeasure == pytest.approx(8 / 11)  # LCS 2 and 2: the same sums
    assert "best_reference" not in trace
    best, trace = rouge_prf("the cat sat", ["the cat", "a cat sat"], RougeOptions(("rouge1",), use_stemmer=False))
    assert best["rouge1"].fmeasure == pytest.approx(0.8) and trace["best_reference"] == {"rouge1": 0}


def test_options_are_checked():
    with pytest.raises(ValueError):
        RougeOptions(("rouge0",))
    with pytest.raises(ValueError):
        RougeOptions(("rougeW",))
    with pytest.raises(ValueError):
        RougeOptions(multi_reference="mean")
    with pytest.raises(ValueError):
        RougeOptions(tokenizer="spacy")
    with pytest.raises(ValueError):
        RougeOptions(sentence_split="nltk")
    with pytest.raises(TypeError):
        RougeOptions("rouge1")
    assert RougeOptions(["rouge1"]).rouge_types == ("rouge1",)  # a list becomes a tuple: hashable
    with pytest.raises(ValueError):
        rouge("a", [], RougeOptions())


def test_signature_names_every_choice():
    from importlib.metadata import version

    assert signature(RougeOptions()) == (
        f"rouge:pkg=rouge-score-{version('rouge-score')}|stem=porter-nltk-{version('nltk')}"
        f"|lsum=pysbd-{version('pysbd')}|multiref=max|tok=default"
    )
    other = RougeOptions(use_stemmer=False, multi_reference="model_average", tokenizer="unicode", sentence_split="newline")
    assert signature(other) == f"rouge:pkg=rouge-score-{version('rouge-score')}|stem=none|lsum=newline|multiref=model_average|tok=unicode-1"


KOREAN_REFERENCE = "한미일 외교 차관이 서울에서 회담을 열었다."
KOREAN_PREDICTION = "한미일 차관이 서울에서 만났다."


def test_default_tokenizer_scores_korean_zero():
    # rouge-score keeps only [a-z0-9]: nothing of Hangul survives
    options = RougeOptions(ALL, use_stemmer=False, tokenizer="default")
    scores, _ = rouge(KOREAN_PREDICTION, [KOREAN_REFERENCE], options)
    assert scores == {t: 0.0 for t in ALL}
    plain = rouge_scorer.RougeScorer(list(ALL)).score(KOREAN_REFERENCE, KOREAN_PREDICTION)
    assert all(plain[t].fmeasure == 0 for t in ALL)


def test_unicode_tokenizer_scores_korean_by_hand():
    # words: ref [한미일 외교 차관이 서울에서 회담을 열었다] (6), pred [한미일 차관이 서울에서 만났다] (4)
    # rouge1: 3 common -> R 3/6, P 3/4, F 0.6; rouge2: only (차관이 서울에서) -> R 1/5, P 1/3, F 0.25
    # LCS: 한미일 차관이 서울에서 = 3 -> rougeL F 0.6
    assert UnicodeTokenizer().tokenize(KOREAN_PREDICTION) == ["한미일", "차관이", "서울에서", "만났다"]
    options = RougeOptions(ALL, use_stemmer=False, tokenizer="unicode")
    scores, _ = rouge(KOREAN_PREDICTION, [KOREAN_REFERENCE], options)
    assert scores["rouge1"] == pytest.approx(0.6)
    assert scores["rouge2"] == pytest.approx(0.25)
    assert scores["rougeL"] == pytest.approx(0.6)
    assert scores["rougeLsum"] == pytest.approx(0.6)
    # the same tokenizer inside the real rouge-score gives the same numbers
    real = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], tokenizer=UnicodeTokenizer())
    real_scores = real.score(KOREAN_REFERENCE, KOREAN_PREDICTION)
    assert {t: real_scores[t].fmeasure for t in real_scores} == {t: scores[t] for t in real_scores}


def test_unicode_tokenizer_splits_han_and_kana_per_character():
    tokenizer = UnicodeTokenizer()
    assert tokenizer.tokenize("我爱北京。") == ["我", "爱", "北", "京"]
    assert tokenizer.tokenize("東京で会談した") == ["東", "京", "で", "会", "談", "し", "た"]
    assert tokenizer.tokenize("GPT-4 모델, Café Ｒｏｕｇｅ!") == ["gpt", "4", "모델", "café", "rouge"]
    assert tokenizer.tokenize("Привет, мир") == ["привет", "мир"]
    assert tokenizer.tokenize("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # vowel signs (marks) stay in the word
    assert UnicodeTokenizer(use_stemmer=True).tokenize("The talks resumed in Seoul") == ["the", "talk", "resum", "in", "seoul"]


def test_default_tokenizer_is_rouge_scores_token_for_token():
    from rouge_score.tokenizers import DefaultTokenizer as RougeScoreTokenizer

    rng = random.Random(0)
    alphabet = "abcXYZ019 -.,'\n\tüßİ한我_"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    texts += ["The talks resumed; officials were meeting, happily generalizing 2019's agreements."]
    for stem in (False, True):
        ours, theirs = DefaultTokenizer(stem), RougeScoreTokenizer(stem)
        for text in texts:
            assert ours.tokenize(text) == theirs.tokenize(text)


def test_bit_parallel_lcs_picks_the_same_lcs_as_rouge_score():
    rng = random.Random(1)
    for _ in range(3000):
        ref = [rng.choice("abcde") for _ in range(rng.randint(0, 14))]
        can = [rng.choice("abcdef") for _ in range(rng.randint(0, 14))]
        expected = rouge_scorer.lcs_ind(ref, can) if ref and can else []
        assert lcs_indices(ref, can) == expected
        assert lcs_length(ref, can) == len(expected)
    ref_sents = [["w1", "w2", "w3", "w4", "w5"]]
    can_sents = [["w1", "w2", "w6", "w7", "w8"], ["w1", "w3", "w8", "w9", "w5"]]
    assert summary_level_hits(ref_sents, can_sents) == 4  # rouge-score's own testRougeLsum: R 0.8


def test_identical_to_rouge_score_on_random_texts():
    rng = random.Random(2)
    words = "the a cat cats sat sitting on mat mats talk talks talked seoul tokyo june".split()

    def text():
        return "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 4)))

    for stem in (False, True):
        scorer = rouge_scorer.RougeScorer(list(ALL), use_stemmer=stem)
        options = RougeOptions(ALL, use_stemmer=stem, sentence_split="newline")
        for _ in range(200):
            prediction, references = text(), [text() for _ in range(rng.randint(1, 3))]
            ours, trace = rouge_prf(prediction, references, options)
            theirs = scorer.score_multi(references, prediction)
            for rouge_type in ALL:
                assert tuple(ours[rouge_type]) == tuple(theirs[rouge_type])


def test_pysbd_split_then_rouge_score_on_the_shipped_article():
    # the harness's default: sentences split by pysbd and joined by newlines, then rouge-score
    from conftest import ARTICLE

    paragraphs = [p for p in ARTICLE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    prediction, references = " ".join(paragraphs[:2]), [" ".join(paragraphs[2:4]), paragraphs[-1]]
    ours, trace = rouge_prf(prediction, references, RougeOptions())
    prepared = ["\n".join(split_sentences(r)) for r in references]
    theirs = rouge_scorer.RougeScorer(list(ALL), use_stemmer=True).score_multi(prepared, "\n".join(split_sentences(prediction)))
    assert {t: tuple(s) for t, s in ours.items()} == {t: tuple(s) for t, s in theirs.items()}
    assert ours["rougeLsum"].fmeasure != ours["rougeL"].fmeasure


def test_score_corpus_on_two_processes_gives_the_same_numbers_in_order():
    rng = random.Random(3)
    words = "the a cat sat on mat talks resumed in seoul june".split()
    predictions = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 15))) for _ in range(40)]
    references = [[" ".join(rng.choice(words) for _ in range(rng.randint(1, 15)))] for _ in range(40)]
    one = score_corpus(predictions, references, PLAIN, processes=1)
    two = score_corpus(predictions, references, PLAIN, processes=2)
    assert one == two
    assert one[7] == rouge_prf(predictions[7], references[7], PLAIN)[0]
    with pytest.raises(ValueError):
        score_corpus(predictions, references[:-1], PLAIN)


def test_rouge_score_pinned_case_line0():
    # rouge-score's own test data, expected values from ROUGE-1.5.5 (see tests/data/README.md)
    target = vendored("rouge_score_testdata/target.txt").read_text().splitlines()[0]
    prediction = vendored("rouge_score_testdata/prediction.txt").read_text().splitlines()[0]
    scores, _ = rouge(prediction, [target], RougeOptions(("rouge1", "rouge2", "rougeL"), use_stemmer=False))
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
