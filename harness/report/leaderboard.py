"""The models x metrics table, shared by report.md and the terminal summary."""

from __future__ import annotations

from harness.metrics.qa import QA_METRICS
from harness.records import RunResult

NOT_APPLICABLE = "n/a"
"""A task the model does not do (Lead-k answers no questions): never shown as 0."""
SHORT = {"rouge1": "R1", "rouge2": "R2", "rougeL": "RL", "rougeLsum": "RLsum", "exact_match": "EM", "f1": "F1", "contains": "contains"}


def columns(run: RunResult) -> list[tuple[str, str]]:
    """(task, metric) pairs in display order."""
    return [("summary", m) for m in run.scoring["rouge_types"]] + [("qa", m) for m in QA_METRICS]


def header(run: RunResult, joiner: str = ".") -> list[str]:
    """Column titles; the terminal joins task and metric with a newline to stay narrow."""
    names = [f"{task}{joiner}{SHORT.get(metric, metric)}" for task, metric in columns(run)]
    return ["model", "status", *names]


def rows(run: RunResult, with_ci: bool = False) -> list[list[str]]:
    """One row per model; `with_ci` adds each mean's 95% interval (report.md)."""
    out = []
    for model in run.models:
        cells = [model.name, model.status]
        for task, metric in columns(run):
            if model.status != "ok":
                cells.append("-")
            elif (task_metrics := model.metrics.get(task)) is None:
                cells.append(NOT_APPLICABLE)
            else:
                summary = task_metrics.get(metric, {})
                cells.append(format_score(summary.get("mean")) + (format_ci(summary.get("ci95")) if with_ci else ""))
        out.append(cells)
    return out


def format_ci(ci) -> str:
    if not ci or ci[0] is None:
        return ""
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def format_score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
