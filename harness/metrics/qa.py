"""Exact match and token F1 with the SQuAD v1.1 rules, plus `contains`.

Normalisation (the official evaluate-v1.1.py): lower-case, drop ASCII punctuation, drop the
words a/an/the, collapse white space. F1 counts repeated tokens (multiset overlap). Each metric
is the max over the accepted answers.

`contains` is ours: 1 when a normalised gold answer occurs in the normalised prediction as a
whole-token sequence ("2019" in "the trilateral talks last opened in 2019"), so a right but
verbose answer is visible; "two" does not match inside "twenty".
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


def qa_scores(prediction: str, answers: tuple[str, ...] | list[str]):
    """Max over the accepted answers of each metric; returns (scores, trace)."""
    if not answers:
        raise ValueError("qa_scores needs at least one answer")
    functions = {"exact_match": exact_match, "f1": token_f1, "contains": contains}
    scores, matched = {}, {}
    for name, function in functions.items():
        values = [function(prediction, gold) for gold in answers]
        best = max(range(len(answers)), key=values.__getitem__)
        scores[name] = values[best]
        matched[name] = answers[best] if values[best] > 0 else None
    trace = {"normalized_prediction": normalize_answer(prediction), "matched_answer": matched}
    return scores, trace
