"""Regression gates: `summary.rougeL: {max_drop: 0.02}`, `qa.exact_match: {min: 0.5}`.

A gate names a task and a metric. `max_drop` fails when the candidate's mean falls by more than
that *and* the paired 95% interval of the delta excludes 0 (set `require_significance: false`
to gate on the point estimate alone); `min` fails when the candidate's mean is below it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import HarnessError
from harness.records import TASKS


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_drop: float | None = Field(default=None, ge=0)
    min: float | None = None
    require_significance: bool = True

    @model_validator(mode="after")
    def _something(self):
        if self.max_drop is None and self.min is None:
            raise ValueError("a gate needs max_drop, min or both")
        return self


def check_gate_key(key: str) -> tuple[str, str]:
    task, _, metric = key.partition(".")
    if task not in TASKS or not metric:
        raise ValueError(f"gate {key!r} must be TASK.METRIC with TASK one of {', '.join(TASKS)} (e.g. summary.rougeL)")
    return task, metric


def parse_gate_option(text: str) -> tuple[str, Gate]:
    """`summary.rougeL:max_drop=0.02,require_significance=false` from the command line."""
    key, _, rules = text.partition(":")
    try:
        check_gate_key(key)
        values = {}
        for rule in filter(None, rules.split(",")):
            name, _, value = rule.partition("=")
            lowered = value.strip().lower()
            values[name.strip()] = lowered == "true" if lowered in ("true", "false") else float(value)
        return key, Gate(**values)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise HarnessError(f"--gate {text!r}: {message}; write e.g. summary.rougeL:max_drop=0.02 or qa.exact_match:min=0.5") from None
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0]
        raise HarnessError(
            f"--gate {text!r}: {message}; write e.g. summary.rougeL:max_drop=0.02 or qa.exact_match:min=0.5"
        ) from None
