"""From item scores to report numbers: per-task means with seeded bootstrap intervals, the same
per article, the share of each answer verdict, and mean summary statistics.

Items of several articles pool into one task mean (each question or summary weighs the same);
the per-article breakdown sits beside it.
"""

from __future__ import annotations

from harness.metrics.qa import verdict_shares
from harness.metrics.stats import mean_ci


def _columns(items, task: str, field: str = "scores") -> dict[str, list[float]]:
    columns: dict[str, list[float]] = {}
    for item in items:
        if item.generation.request.task == task:
            for metric, value in getattr(item, field).items():
                if value is not None:  # a statistic that does not apply (e.g. 3-grams of 2 words)
                    columns.setdefault(metric, []).append(value)
    return columns


def task_metrics(items, task: str, resamples: int = 1000, seed: int = 0) -> dict[str, dict]:
    """{metric: {"mean", "ci95": [low, high], "n"}} over the items of one task."""
    return {metric: mean_ci(values, resamples=resamples, seed=seed) for metric, values in _columns(items, task).items()}


def per_article(items, task: str, resamples: int = 1000, seed: int = 0) -> dict[str, dict]:
    """{article_id: {metric: {"mean", "ci95", "n"}}} for one task."""
    by_article: dict[str, list] = {}
    for item in items:
        if item.generation.request.task == task:
            by_article.setdefault(item.generation.request.article_id, []).append(item)
    return {article: task_metrics(group, task, resamples, seed) for article, group in by_article.items()}


def qa_verdicts(items) -> dict[str, float]:
    """The share of each verdict (exact, verbose, partial, wrong, empty) over the QA items."""
    return verdict_shares([i.trace["verdict"] for i in items if i.generation.request.task == "qa"])


def summary_statistics(items, resamples: int = 1000, seed: int = 0) -> dict[str, dict]:
    """Mean, 95% interval and n of each summary statistic (length, compression, novel n-grams, ...)."""
    return {name: mean_ci(values, resamples=resamples, seed=seed) for name, values in _columns(items, "summary", "stats").items()}

