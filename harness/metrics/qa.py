"""Exact match and token F1 with the SQuAD v1.1 rules, plus `contains`.

Normalisation (the official evaluate-v1.1.py): lower-case, drop ASCII punctuation, drop the
words a/an/the, collapse white space. F1 counts repeated tokens (multiset overlap). Each metric
is the max over the accepted answers.

`contains` is ours: 1 when a normalised gold answer occurs in the normalised prediction as a
whole-token sequence ("2019" in "the trilateral talks last opened in 2019"), so a right but
verbose answer is visible; "two" does not match inside "twenty".

`qa_scores` also gives each answer a verdict (exact, verbose, partial, wrong, empty) and
`verdict_shares` summarises them: EM alone cannot tell a wordy right answer from a wrong one.
Scoring whole SQuAD files the official way (v1.1 and v2.0) is in squad.py.
"""

from __future__ import annotations

import re
import string
from collections import Counter

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(pred_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, gold: str) -> float:
    gold_norm = normalize_answer(gold)
    if not gold_norm:
        return 0.0
    return float(f" {gold_norm} " in f" {normalize_answer(prediction)} ")


QA_METRICS = ("exact_match", "f1", "contains")

VERDICTS = ("exact", "verbose", "partial", "wrong", "empty")
"""What kind of answer a prediction is, so a report can say *why* EM is low, not only that it is.

Checked in this order, first match wins:
- `exact`: EM 1 (so the share of `exact` equals the mean EM).
- `verbose`: EM 0 but a normalised gold occurs in the prediction as whole tokens (`contains` 1):
  right, but wordy.
- `empty`: the prediction normalises to nothing ("", "The.", "?"): the model gave no answer.
- `partial`: F1 > 0 otherwise: some gold tokens, not a whole gold answer.
- `wrong`: F1 0 and the prediction is not empty.
`empty` is checked before `partial`/`wrong` only for clarity: an empty prediction has F1 0 and can
never be `verbose`; it is `exact` only against a gold that itself normalises to nothing.
"""


def verdict(normalized_prediction: str, scores: dict[str, float]) -> str:
    """The verdict (see VERDICTS) of one answer from its normalised text and its qa_scores."""
    if scores["exact_match"] == 1.0:
        return "exact"
    if scores["contains"] == 1.0:
        return "verbose"
    if not normalized_prediction:
        return "empty"
    if scores["f1"] > 0.0:
        return "partial"
    return "wrong"


def verdict_shares(verdicts: list[str]) -> dict[str, float]:
    """Share of each verdict, every key of VERDICTS present, in that order, summing to 1.

    An empty list gives 0.0 for every verdict (the shares then sum to 0, not 1): there is
    nothing to divide, and a share of 0 for everything cannot be mistaken for a real result
    the way an invented 1.0 could. An unknown verdict raises ValueError.
    """
    unknown = sorted(set(verdicts) - set(VERDICTS))
    if unknown:
        raise ValueError(f"unknown verdict(s) {unknown}; expected one of {VERDICTS}")
    n = len(verdicts)
    return {name: (verdicts.count(name) / n if n else 0.0) for name in VERDICTS}


def qa_scores(prediction: str, answers: tuple[str, ...] | list[str]):
    """Max over the accepted answers of each metric; returns (scores, trace).

    The trace says how the scores came about, for predictions.jsonl:
    `normalized_prediction`, `normalized_answers` (the golds normalised, in the given order),
    `matched_answer` (metric -> the gold that gave the best score, None when it is 0) and
    `verdict` (one of VERDICTS).
    """
    if not answers:
        raise ValueError("qa_scores needs at least one answer")
    functions = {"exact_match": exact_match, "f1": token_f1, "contains": contains}
    scores, matched = {}, {}
    for name, function in functions.items():
        values = [function(prediction, gold) for gold in answers]
        best = max(range(len(answers)), key=values.__getitem__)
        scores[name] = values[best]
        matched[name] = answers[best] if values[best] > 0 else None
    normalized = normalize_answer(prediction)
    trace = {
        "normalized_prediction": normalized,
        "normalized_answers": [normalize_answer(gold) for gold in answers],
        "matched_answer": matched,
        "verdict": verdict(normalized, scores),
    }
    return scores, trace
