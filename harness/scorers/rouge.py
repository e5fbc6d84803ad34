"""ROUGE F-measures of a summary against its article's references (metrics/rouge.py)."""

from __future__ import annotations

from harness.metrics.rouge import rouge
from harness.metrics.rouge import signature as rouge_signature
from harness.scorers.plugin import ScorerPlugin


def _score(output: str, article, item_id: str, scoring) -> tuple[dict[str, float], dict]:
    scores, trace = rouge(output, [r.text for r in article.references], scoring.rouge_options())
    if "best_reference" in trace:  # the max rule names the reference behind each type
        trace = {"best_reference": {k: article.references[i].id for k, i in trace["best_reference"].items()}}
    return scores, trace


SCORER = ScorerPlugin(
    name="rouge",
    task="summary",
    metrics=lambda scoring: tuple(scoring.rouge_types),
    signature=lambda scoring: rouge_signature(scoring.rouge_options()),
    score=_score,
    description=lambda scoring: f"{rouge_signature(scoring.rouge_options())}: F-measures",
)
