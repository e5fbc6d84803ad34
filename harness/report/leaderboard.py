"""The models x metrics table, shared by report.md and the terminal summary."""

from __future__ import annotations

from harness.metrics.qa import QA_METRICS
from harness.records import TASKS, RunResult
from harness.report import format as fmt

NOT_APPLICABLE = fmt.NOT_APPLICABLE
"""A task the model does not do (Lead-k answers no questions): never shown as 0."""
SHORT = {"rouge1": "R1", "rouge2": "R2", "rougeL": "RL", "rougeLsum": "RLsum", "exact_match": "EM", "f1": "F1", "contains": "contains"}


def columns(run: RunResult) -> list[tuple[str, str]]:
    """(task, metric) pairs in display order: what the run's scorers produced (report.json
    `scoring.metrics`; older reports: their ROUGE types and the QA metrics)."""
    recorded = run.scoring.get("metrics") or {"summary": run.scoring["rouge_types"], "qa": list(QA_METRICS)}
    return [(task, metric) for task in TASKS for metric in recorded.get(task, [])]


def header(run: RunResult, joiner: str = ".") -> list[str]:
    """Column titles; the terminal joins task and metric with a newline to stay narrow."""
    names = [f"{task}{joiner}{SHORT.get(metric, metric)}" for task, metric in columns(run)]
    return ["model", "status", *names]


def rows(run: RunResult, with_ci: bool = False) -> list[list[str]]:
    """One row per model; `with_ci` adds each mean's 95% interval (report.md)."""
    return [[m.name, m.status, *(fmt.metric_text(m, task, metric, with_ci) for task, metric in columns(run))] for m in run.models]
