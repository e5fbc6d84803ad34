"""Exact match, token F1 and `contains` of an answer against its question's gold answers,
SQuAD v1.1 rules (metrics/qa.py)."""

from __future__ import annotations

from harness.metrics.qa import QA_METRICS, qa_scores
from harness.scorers.plugin import ScorerPlugin

SIGNATURE = "qa:norm=squad-v1.1|multi=max"


def _score(output: str, article, item_id: str, scoring) -> tuple[dict[str, float], dict]:
    question = next(q for q in article.questions if q.id == item_id)
    return qa_scores(output, question.answers)


SCORER = ScorerPlugin(
    name="qa",
    task="qa",
    metrics=lambda scoring: QA_METRICS,
    signature=lambda scoring: SIGNATURE,
    score=_score,
    description=lambda scoring: "SQuAD v1.1 normalisation (lower-case, no punctuation, no a/an/the), max over accepted answers",
)
