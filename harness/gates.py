"""Regression gates: `summary.rougeL: {max_drop: 0.02}`, `qa.exact_match: {min: 0.5}`.

A gate names a task and a metric. `max_drop` fails when the candidate's mean falls by more than
that *and* the paired 95% interval of the delta excludes 0 (set `require_significance: false`
to gate on the point estimate alone); `min` fails when the candidate's mean is below it.
Every max_drop gate is reported with its minimum detectable effect (harness/metrics/mde.py): a
gate whose MDE exceeds its max_drop is too small an eval set to see that drop, and says so.
"""

from __future__ import annotations

from pydantic import Field, ValidationError, model_validator

from harness.errors import HarnessError
from harness.records import TASKS
from harness.strict import Strict


class Gate(Strict):
    max_drop: float | None = Field(default=None, ge=0)
    min: float | None = None
    require_significance: bool = True

    @model_validator(mode="after")
    def _something(self):
        if self.max_drop is None and self.min is None:
            raise ValueError("a gate needs max_drop, min or both")
        return self


def check_gate_key(key: str, metrics: dict[str, tuple[str, ...]] | None = None, summary_note: str = "") -> tuple[str, str]:
    """(task, metric) of a gate key, or ValueError. With `metrics` ({task: metric names}), the
    metric must be one the task produces; `summary_note` says where the summary names come from."""
    task, _, metric = key.partition(".")
    if task not in TASKS or not metric:
        raise ValueError(f"gate {key!r} must be TASK.METRIC with TASK one of {', '.join(TASKS)} (e.g. summary.rougeL)")
    if metrics is not None and metric not in metrics[task]:
        note = summary_note if task == "summary" else ""
        raise ValueError(f"gate {key!r}: {task} has no metric {metric!r}; {task} gates take {', '.join(metrics[task])}{note}")
    return task, metric


def gate_metrics() -> dict[str, tuple[str, ...]]:
    """Every metric a report can hold per task (a run scores the ROUGE types its config names):
    each registered scorer's metrics under settings that turn all of them on."""
    from harness.config import Scoring  # gates.py is imported by config.py: import it late
    from harness.metrics.rouge import ALL_TYPES
    from harness.scorers import metrics_by_task

    return metrics_by_task(Scoring.model_validate({"rouge_types": list(ALL_TYPES)}))


def parse_gate_option(text: str) -> tuple[str, Gate]:
    """`summary.rougeL:max_drop=0.02,require_significance=false` from the command line."""
    key, _, rules = text.partition(":")
    try:
        check_gate_key(key, gate_metrics())
        values: dict[str, bool | float] = {}
        for rule in filter(None, rules.split(",")):
            name, _, value = rule.partition("=")
            lowered = value.strip().lower()
            values[name.strip()] = lowered == "true" if lowered in ("true", "false") else float(value)
        return key, Gate.model_validate(values)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise HarnessError(f"--gate {text!r}: {message}; write e.g. summary.rougeL:max_drop=0.02 or qa.exact_match:min=0.5") from None
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0]
        raise HarnessError(
            f"--gate {text!r}: {message}; write e.g. summary.rougeL:max_drop=0.02 or qa.exact_match:min=0.5"
        ) from None
