"""The scorers and their registry. Built-ins: ROUGE for summaries (rouge.py), SQuAD exact
match / F1 / contains for answers (squad_qa.py). Other packages add one under the entry-point
group `harness.scorers`, or call `SCORERS.register(name, plugin)` (README, "Adding a metric").
Every registered scorer of a task scores every item of that task.
"""

from __future__ import annotations

from harness.records import TASKS
from harness.registry import Registry
from harness.scorers.plugin import ScorerPlugin

SCORERS = Registry("scorer", "harness.scorers", {"rouge": "harness.scorers.rouge:SCORER", "fact_recall": "harness.scorers.fact_recall:SCORER",
                                                 "qa": "harness.scorers.squad_qa:SCORER"})


def scorers_for(task: str) -> list[ScorerPlugin]:
    return [scorer for scorer in SCORERS.all() if scorer.task == task]


def metrics_by_task(scoring) -> dict[str, tuple[str, ...]]:
    """{task: every metric name its scorers produce under these settings}."""
    return {task: tuple(m for scorer in scorers_for(task) for m in scorer.metrics(scoring)) for task in TASKS}


__all__ = ["SCORERS", "ScorerPlugin", "metrics_by_task", "scorers_for"]
