"""compare.json as pydantic models: two runs' paired deltas, gate results and changed items.

`harness.compare` builds a `Comparison`; `harness.report.compare_markdown.compare_json` writes it
with `model_dump_json` and `Comparison.model_validate_json` reads it back, so the writer and
any reader cannot drift. `schemas/compare.schema.json` is generated from `Comparison` (its
serialized shape, so the computed `passed` and `rule` are in it): `python -m harness.compare_record`
rewrites it (a test fails when the checked-in file differs).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, WrapValidator, computed_field

from harness import schemas
from harness.run_record import NUMBER, _keep_int

P_VALUE_METHOD = "paired sign-flip permutation test (exact up to 16 items, else 10,000 resamples)"
CI_METHOD = "paired bootstrap over shared items, percentile 95% interval"


class _Part(BaseModel):
    """A part of compare.json. Computed fields (`passed`, `rule`) are written and ignored on read."""

    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True, ser_json_inf_nan="constants")


MDE = Annotated[float, Strict(), WrapValidator(_keep_int)]
"""A minimum detectable effect: a number >= 0, or Infinity (written as the JSON constant, as
compare.json always has) when n < 2 leaves no test any power."""


class MetricDelta(_Part):
    """The paired difference of one baseline model and one candidate model on one metric."""

    baseline_model: str
    """The model's name in the baseline run."""
    candidate_model: str
    """The model's name in the candidate run (the same name unless paired with --pair)."""
    task: str
    """"summary" or "qa"."""
    metric: str
    """The metric's name, e.g. "rougeL" or "exact_match"."""
    n: int
    """Number of items both runs scored on this metric."""
    baseline_mean: NUMBER | None
    """The baseline's mean over the shared items; null without shared items."""
    candidate_mean: NUMBER | None
    """The candidate's mean over the shared items; null without shared items."""
    delta: NUMBER | None
    """Mean of candidate minus baseline over the shared items; null without shared items."""
    ci: list[NUMBER | None]
    """[low, high] of the paired-bootstrap 95% interval of the delta."""
    p_value: NUMBER | None
    """Two-sided p-value of the paired sign-flip permutation test; null without shared items."""
    sd_diff: NUMBER | None
    """Standard deviation of the paired differences; null with fewer than two items."""
    baseline_sd: NUMBER | None = None
    """Standard deviation (n-1) of the baseline's per-item scores; null with fewer than two items."""
    mde: MDE | None
    """Minimum detectable effect: the smallest drop a paired two-sided test at alpha 0.05 detects with 80% power on
    these n items, (z_0.975 + z_0.8) * sd_D / sqrt(n) with sd_D = max(sqrt(2) * baseline_sd, sd_diff): the candidate
    treated as an independent re-draw with the baseline's spread (harness/metrics/mde.py). A property of the eval set
    and the baseline, not of this candidate. Infinity with one item (no test has any power), null with none."""
    significant: bool | None = None
    """p < ALPHA and the interval excludes 0; None when n is too small for any test to decide."""
    significance_note: str | None = None
    """Why `significant` is None, e.g. "too few items to test (n = 1)"."""


GateKind = Literal["max_drop", "min", "complete", "present"]


class GateResult(_Part):
    """One gate checked on one model pair."""

    gate: str
    """The gate's key, "task.metric", e.g. "qa.exact_match"."""
    baseline_model: str
    """The baseline model checked; "-" when no model has the metric in both runs."""
    candidate_model: str
    """The candidate model checked; "-" when no model has the metric in both runs."""
    kind: GateKind
    """What was checked: "max_drop" (the delta did not drop more than threshold), "min" (the
    candidate's mean is at least threshold), "complete" (the candidate has all the baseline's
    items of the task) or "present" (some model has the metric in both runs)."""
    threshold: NUMBER | None = None
    """The allowed drop for "max_drop", the minimum mean for "min"; null for the others."""
    passed: bool
    """Whether this check passed."""
    untestable: bool = False
    """A significance gate whose drop exceeds max_drop on too few items to test: passed, but it
    could not have failed; the detail says so and what to do."""
    detail: str
    """The numbers behind the verdict, in words."""
    mde: MDE | None = None
    """For "max_drop": the delta's `mde`, the smallest drop this gate detects with 80% power; null otherwise."""
    n: int | None = None
    """For "max_drop": the number of items the delta was computed on; null otherwise."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rule(self) -> str:
        """The check as text for display: "max_drop=0.1", "min=0.5", "complete" or "present"."""
        return self.kind if self.threshold is None else f"{self.kind}={self.threshold}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def underpowered(self) -> bool:
        """A max_drop gate whose minimum detectable effect exceeds its max_drop: too few items (or too
        much spread) to catch a regression of that size."""
        return self.kind == "max_drop" and self.mde is not None and self.threshold is not None and self.mde > self.threshold

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warning(self) -> str | None:
        """For an underpowered gate, the line every output prints: "this gate cannot see a drop of
        <max_drop> on <n> items (MDE <mde>)"; null otherwise."""
        if not self.underpowered:
            return None
        items = "? items" if self.n is None else f"{self.n} item{'' if self.n == 1 else 's'}"
        return f"this gate cannot see a drop of {self.threshold:g} on {items} (MDE {self.mde:.4f})"


class ChangedSummary(_Part):
    """A summary whose ROUGE moved most between the runs (up to five per model pair)."""

    kind: Literal["summary"] = "summary"
    """Always "summary"."""
    model: str
    """The candidate model's name."""
    article_id: str
    """The article's id in the eval set."""
    item_id: str
    """The item's id (the article id for a summary)."""
    metric: str
    """The ROUGE type the delta is measured on, e.g. "rougeLsum"."""
    delta: NUMBER
    """Candidate's score minus the baseline's on that ROUGE type."""
    baseline: str
    """The baseline model's summary."""
    candidate: str
    """The candidate model's summary."""


class FlippedAnswer(_Part):
    """A question whose exact match flipped between the runs."""

    kind: Literal["qa"] = "qa"
    """Always "qa"."""
    model: str
    """The candidate model's name."""
    article_id: str
    """The article's id in the eval set."""
    item_id: str
    """The question's id."""
    flip: Literal["right->wrong", "wrong->right"]
    """"right->wrong" when the baseline matched exactly and the candidate does not; else "wrong->right"."""
    baseline: str
    """The baseline model's answer."""
    candidate: str
    """The candidate model's answer."""


Changed = Annotated[ChangedSummary | FlippedAnswer, Field(discriminator="kind")]
"""A changed item: a summary that moved or an answer that flipped, told apart by `kind`."""


def _methods() -> dict[str, str]:
    return {"ci": CI_METHOD, "p_value": P_VALUE_METHOD}


class Comparison(_Part):
    """compare.json: a candidate run against a baseline run, model pair by model pair."""

    baseline: str
    """The baseline run's folder."""
    candidate: str
    """The candidate run's folder."""
    pairs: list[tuple[str, str]]
    """The (baseline model, candidate model) pairs compared."""
    deltas: list[MetricDelta]
    """Paired differences per model pair, task and metric."""
    gates: list[GateResult]
    """Every gate check, per gate and model pair; empty when no gates were given."""
    only_in_baseline: dict[str, list[list[str]]] = Field(default_factory=dict)
    """Per model (or "base:cand" pair): [article_id, task, item_id] of items only the baseline has (excluded)."""
    only_in_candidate: dict[str, list[list[str]]] = Field(default_factory=dict)
    """Per model (or "base:cand" pair): [article_id, task, item_id] of items only the candidate has (excluded)."""
    changed: list[Changed] = Field(default_factory=list)
    """Summaries whose ROUGE moved most and questions that flipped right <-> wrong."""
    findings: list[str] = Field(default_factory=list)
    """What the candidate lost: models that failed or vanished, items missing from a task."""
    methods: dict[str, str] = Field(default_factory=_methods)
    """How the intervals ("ci") and p-values ("p_value") were computed."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """Whether every gate check passed (true without gates)."""
        return all(g.passed for g in self.gates)

    @property
    def untestable(self) -> list[GateResult]:
        """The gate checks that passed only because too few items could be tested."""
        return [g for g in self.gates if g.untestable]


# --- the published JSON Schema ---------------------------------------------------------------

SCHEMAS: dict[str, type[BaseModel]] = {"compare.schema.json": Comparison}
REGENERATE = "python -m harness.compare_record"


def schema_text(model: type[BaseModel]) -> str:
    """As written: computed fields (`passed`, a gate's `rule`) included."""
    return schemas.schema_text(model, mode="serialization")


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.compare_record [FOLDER]`: write this module's schemas into FOLDER (default: the checkout's schemas/)."""
    return schemas.main(SCHEMAS, argv, mode="serialization")


if __name__ == "__main__":
    raise SystemExit(main())
