"""Per-task means of item scores."""

from __future__ import annotations


def mean_and_n(values: list[float]) -> dict:
    """{"mean": x, "n": k}; the mean of nothing is None, never 0."""
    return {"mean": sum(values) / len(values) if values else None, "n": len(values)}


def task_metrics(items, task: str) -> dict[str, dict]:
    """Mean and n of every metric over the items of one task, in first-seen metric order."""
    columns: dict[str, list[float]] = {}
    for item in items:
        if item.generation.request.task == task:
            for metric, value in item.scores.items():
                columns.setdefault(metric, []).append(value)
    return {metric: mean_and_n(values) for metric, values in columns.items()}
