"""Key-fact coverage of a summary: the share of its article's questions whose gold answer (or an
alias) the summary states, as whole tokens after SQuAD normalisation (metrics/facts.py).

It needs no generation, only the summary and the questions every eval-set article already has,
so it is on for every run. An article without questions gives its summary no `fact_recall`
(the metric is left out of that item's scores, so means, intervals and pairwise differences
are over the summaries that have facts), and its trace is `"facts": []`.
"""

from __future__ import annotations

from harness.metrics.facts import METRIC, fact_recall, key_facts
from harness.scorers.plugin import ScorerPlugin

SIGNATURE = f"{METRIC}:norm=squad-v1.1|match=whole-tokens|answers=any"


def _score(output: str, article, item_id: str, scoring) -> tuple[dict[str, float], dict]:
    facts = key_facts(output, article.questions)
    recall = fact_recall(facts)
    return ({} if recall is None else {METRIC: recall}), {"facts": facts}


def recorded_facts(trace: object) -> list[dict] | None:
    """A summary's facts as predictions.jsonl recorded them (`trace["facts"]`), or None when the
    trace has none or they are not in the shape `_score` writes (a hand-edited or damaged file):
    the reports then show no facts for that summary instead of failing on them."""
    facts = trace.get("facts") if isinstance(trace, dict) else None
    if not isinstance(facts, list):
        return None
    for fact in facts:
        if not (isinstance(fact, dict) and isinstance(fact.get("question_id"), str) and isinstance(fact.get("question"), str)
                and "matched" in fact and (fact["matched"] is None or isinstance(fact["matched"], str))
                and isinstance(fact.get("answers"), list) and all(isinstance(answer, str) for answer in fact["answers"])):
            return None
    return facts


def in_run(scoring: dict) -> bool:
    """Whether a run's recorded scoring (report.json `scoring`) has fact_recall among its summary
    metrics: reports written before this scorer existed show no facts."""
    return METRIC in ((scoring or {}).get("metrics") or {}).get("summary", [])


SCORER = ScorerPlugin(
    name=METRIC,
    task="summary",
    metrics=lambda scoring: (METRIC,),
    signature=lambda scoring: SIGNATURE,
    score=_score,
    description=lambda scoring: ("share of the article's questions whose gold answer or an alias occurs in the summary as whole tokens "
                                 "(SQuAD v1.1 normalisation); articles without questions have none"),
)
