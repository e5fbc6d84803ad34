"""The key facts of report.html (templates/_facts.html.j2): beside each summary the facts (the
article's questions) it carries and misses, each linked to its question's row in the QA grid;
per article the reference summaries' own fact_recall, the yardstick.

A model's facts come from its summary's recorded trace (predictions.jsonl `trace.facts`); the
references' are computed from the eval set with the same function (metrics/facts.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from harness.metrics.facts import fact_recall, key_facts
from harness.records import Article


def question_anchor(article_id: str, question_id: str) -> str:
    """The id of a question's row in the QA grid. Each id is percent-encoded (so `/` never occurs
    inside one and any id gives a valid, unique fragment); eval-set ids stay readable."""
    return f"q-{quote(article_id, safe='')}/{quote(question_id, safe='')}"


def fact_view(article: Article, facts: list[dict[str, Any]] | None, anchors: set[str]) -> dict[str, Any] | None:
    """A summary's facts for the page: `carried` and `missed` lists (question id, question text,
    the answer found, the anchor when the QA grid has that row), fact_recall, and `total`;
    `total` 0 when the article has no questions; None when the trace has no facts (a summary
    scored without fact_recall)."""
    if facts is None:
        return None
    carried: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    for fact in facts:
        anchor = question_anchor(article.id, fact["question_id"])
        entry = {"id": fact["question_id"], "question": fact["question"], "matched": fact["matched"], "gold": (fact.get("answers") or [""])[0],
                 "anchor": anchor if anchor in anchors else None}
        (missed if fact["matched"] is None else carried).append(entry)
    return {"carried": carried, "missed": missed, "total": len(facts), "recall": fact_recall(facts)}


def reference_views(article: Article, anchors: set[str]) -> list[dict[str, Any]]:
    """The yardstick: every reference summary of an article with its facts (fact_view) and
    length in words; [] for an article without questions (no facts: not 0)."""
    if not article.questions:
        return []
    return [{"reference": r, "words": len(r.text.split()), "facts": fact_view(article, key_facts(r.text, article.questions), anchors)}
            for r in article.references]
