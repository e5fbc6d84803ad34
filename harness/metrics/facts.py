"""Key-fact coverage of a summary: which of its article's fixed questions the summary answers.

Every question of an eval-set article is a fact the article states, with a gold answer and
accepted aliases. A summary *carries* a fact when one of those answers occurs in it as whole
tokens after SQuAD v1.1 normalisation, the one the official scripts, squad.py and qa.py use
(`qa.normalize_answer`: lower-case, ASCII punctuation dropped, the words a/an/the dropped, white
space collapsed): the normalised answer's tokens are a contiguous run of the normalised
summary's tokens. `fact_recall` is the share of the article's questions the summary carries.

What SQuAD normalisation implies here (each case is tested in tests/metrics/test_facts.py):
- Whole tokens: "2019" does not match "20190", "two" does not match "twenty".
- Punctuation is deleted, not replaced by a space, on both sides alike: "June 4-5" is
  "june 45" and "Shangri-La" is "shangrila", so they match the same text written the same way.
- "New York" does not match "New York's": the apostrophe goes and leaves the token "yorks".
- Only ASCII punctuation goes: a curly apostrophe or an en dash stays, so "June 4–5" (en
  dash) does not carry "June 4-5" (hyphen).
- The first alias that matches, in the eval set's order (gold first), is the one reported.
- A short alias ("two", "2") matches wherever the summary uses the word, also for another
  reason: the eval set's aliases were written for answers, so read a carried fact as "the
  summary states this answer", not as proof that it states the fact.

An article with no questions has no facts: its summaries get no fact_recall at all (None
here; the scorer leaves the metric out of the item's scores), never 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from harness.metrics.qa import normalize_answer
from harness.records import Article, Question

METRIC = "fact_recall"


def matched_answer(normalized_text: str, answers: Iterable[str]) -> str | None:
    """The first of `answers` (as written) whose normalised tokens occur as a contiguous run of
    the tokens of `normalized_text` (already normalised), or None. An answer that normalises to
    nothing never matches (the eval set refuses such a gold answer anyway)."""
    padded = f" {normalized_text} "  # tokens are joined by single spaces: " a b " in " x a b y " is a token run
    for answer in answers:
        norm = normalize_answer(answer)
        if norm and f" {norm} " in padded:
            return answer
    return None


def key_facts(text: str, questions: Iterable[Question]) -> list[dict[str, Any]]:
    """One entry per question, in order: `question_id`, `question`, `answers` (gold first, then
    the aliases) and `matched` (the answer found in `text`, as written in the eval set, or None).
    This is the trace predictions.jsonl records per summary."""
    normalized = normalize_answer(text)
    return [{"question_id": q.id, "question": q.question, "answers": list(q.answers), "matched": matched_answer(normalized, q.answers)}
            for q in questions]


def fact_recall(facts: Sequence[dict[str, Any]]) -> float | None:
    """The share of `facts` (key_facts' entries) that are carried; None when there are none."""
    if not facts:
        return None
    return sum(1 for fact in facts if fact["matched"] is not None) / len(facts)


def reference_fact_recall(articles: Iterable[Article]) -> dict[str, dict[str, dict[str, Any]]]:
    """The yardstick: the same measure for the eval set's own reference summaries.

    {article_id: {reference_id: {"fact_recall", "carried", "facts", "matched": {question_id:
    answer or None}}}}, for every article that has both references and questions (an article
    without questions has no facts to carry and is left out, not given 0)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for article in articles:
        if not article.references or not article.questions:
            continue
        out[article.id] = {}
        for reference in article.references:
            facts = key_facts(reference.text, article.questions)
            out[article.id][reference.id] = {
                "fact_recall": fact_recall(facts),
                "carried": sum(1 for f in facts if f["matched"] is not None),
                "facts": len(facts),
                "matched": {f["question_id"]: f["matched"] for f in facts},
            }
    return out
