"""The text of a value cell, the same in every report (report.md, report.html, compare
Markdown and HTML, the terminal table, the SVG charts).

A cell is one of four kinds:

- "value": a number, shown with a fixed number of digits (a mean may add its 95% interval);
- "na": not applicable, the model does not do the task (Lead-k answers no questions):
  `NOT_APPLICABLE`, never 0;
- "failed": the model failed to load or generate: `MISSING`;
- "missing": no number although the task applies (nothing scored, not computable): `MISSING`.

So exactly two placeholders exist: `n/a` (the README documents it for Lead-k's QA) and one
glyph, the en dash `–`, for everything else without a number.

This module is a leaf: it imports nothing from harness.report, so every report module
(leaderboard.py included) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.records import ModelResult

NOT_APPLICABLE = "n/a"
"""A task the model does not do (Lead-k answers no questions): never shown as 0."""

MISSING = "–"
"""No value: the model failed, or the value is missing or could not be computed."""

CellKind = Literal["value", "na", "failed", "missing"]


def placeholder(kind: str) -> str:
    """The text of a cell without a number: `n/a` for "na", `–` for any other kind."""
    return NOT_APPLICABLE if kind == "na" else MISSING


def number(value: float | None, fmt: str) -> str:
    """`value` through a format string ("{:.1f}", "{:+.4f}", ...), or `–` when it is None."""
    return MISSING if value is None else fmt.format(value)


def score(value: float | None, digits: int = 4) -> str:
    """A score, a mean, a p-value: fixed decimals, or `–`."""
    return number(value, f"{{:.{digits}f}}")


def signed(value: float | None, digits: int = 4) -> str:
    """A difference, always with its sign: `+0.0123`, or `–`."""
    return number(value, f"{{:+.{digits}f}}")


def percent(value: float | None) -> str:
    """A share as a whole percentage: `42%`, or `–`."""
    return number(value, "{:.0%}")


def interval(ci: Sequence[float | None] | None, digits: int = 3) -> str:
    """A 95% interval as `[low, high]`, or "" when there is none (no placeholder: it sits beside
    its mean, which already says what is missing)."""
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


@dataclass(frozen=True)
class MetricCell:
    """One model's mean for one (task, metric): what the leaderboards show."""

    kind: CellKind
    mean: float | None = None
    ci: Sequence[float | None] | None = None
    n: int | None = None

    def text(self, with_ci: bool = False) -> str:
        """`0.4567`, `0.4567 [0.400, 0.510]` with `with_ci`, `n/a` or `–`."""
        if self.kind != "value":
            return placeholder(self.kind)
        ci = interval(self.ci) if with_ci else ""
        return score(self.mean) + (f" {ci}" if ci else "")


def metric_cell(model: ModelResult, task: str, metric: str) -> MetricCell:
    """Classify one leaderboard cell: failed model, task not applicable, mean missing, or a value."""
    if model.status != "ok":
        return MetricCell("failed")
    task_metrics = model.metrics.get(task)
    if task_metrics is None:
        return MetricCell("na")
    summary = task_metrics.get(metric) or {}
    mean = summary.get("mean")
    return MetricCell("value" if mean is not None else "missing", mean, summary.get("ci95"), summary.get("n"))


def metric_text(model: ModelResult, task: str, metric: str, with_ci: bool = False) -> str:
    """The text of one leaderboard cell (report.md with `with_ci`, the terminal without)."""
    return metric_cell(model, task, metric).text(with_ci)
