"""How large a drop a regression gate can see: the minimum detectable effect (MDE) of a paired
comparison on n items, at two-sided alpha = 0.05 and power 0.8 unless told otherwise.

Why a module of its own: `stats.min_detectable_effect(n, sd_diff)` needs the standard deviation
of the per-item differences *under the regression one wants to catch*, and no run shows it. The
comparison of a candidate with the baseline shows only the differences of that candidate: when
nothing changed (the usual CI run, greedy decoding) they are all 0, and an MDE from them says
"0", which is no statement about the gate at all (computing power from the observed data is the
fallacy Hoenig & Heisey, "The Abuse of Power", The American Statistician 55(1), 2001, warn of).
What one baseline run does show is the spread of its per-item scores, sd_b. So:

    MDE = (z_{1-alpha/2} + z_{power}) * sd_D / sqrt(n),       sd_D = sqrt(2) * sd_b

- The formula is the normal-approximation MDE of a paired test on n items: Bloom (1995),
  "Minimum Detectable Effects", Evaluation Review 19(5), with the multiplier 1.960 + 0.842 = 2.80
  for these defaults; Miller (2024), "Adding Error Bars to Evals", arXiv:2411.00640, sections on
  paired differences and power analysis, for evals: the variance of a paired difference is
  Var(a) + Var(b) - 2 Cov(a, b).
- sd_D = sqrt(2) * sd_b treats the regressed candidate as an independent re-draw of per-item
  scores with the baseline's spread: Var(D) = sd_b^2 + sd_b^2 - 2 Cov, with Cov = 0. For any
  candidate whose scores are not negatively correlated with the baseline's (two versions of a
  model on the same items), Cov >= 0 and the true sd_D is at most this, so the MDE is an upper
  bound: a gate whose MDE is below its max_drop can see a drop of max_drop. A small, targeted
  regression (a few items flip, the rest stay) has a smaller sd_D and is caught at smaller sizes.
  Even two different models correlate positively item by item: on baselines/ci, SmolLM2-135M and
  Gemma-3-270M have rho 0.28 on QA F1 and 0.32 on contains, and ROUGE-Lsum correlates 0.12 to
  0.33 between any two of them and Lead-3.
- In a comparison, sd_D is the larger of that and the observed sd of the differences
  (`comparison_mde`): a candidate that churned more than an independent re-draw would (negative
  correlation) must not make the gate look more sensitive than it is, and a baseline without
  spread (every item 1.0) still gets an MDE from what the candidate actually moved.
- Items are treated as independent, as the permutation test and bootstrap of `compare` treat
  them. Questions about one paragraph are correlated (Miller, "clustered standard errors"), so
  on an eval set with several questions per paragraph the true MDE is somewhat larger: on
  baselines/ci the per-paragraph (clustered) variance of the QA means is 1.1 to 1.9 times the
  independent one, which would scale the MDEs by 1.05 to 1.39.
- The normal quantile instead of Student's t makes the MDE about 1% too small at n = 100 and
  negligibly so above; with fewer than `stats.min_items_to_test()` items no test can fail at all,
  which `compare` reports on its own.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from harness.metrics.stats import _as_array, min_detectable_effect

REDRAW = math.sqrt(2.0)
"""sd_D / sd_b when the candidate is an independent re-draw with the baseline's spread."""


def baseline_sd(values) -> float | None:
    """The sample sd (n-1 denominator) of one run's per-item scores; None with fewer than 2 items."""
    array = _as_array(values)
    if array.size < 2:
        return None
    # no spread is exactly 0 (numpy's mean of ten 0.3s lands an ulp away and leaves 7e-17)
    return 0.0 if np.all(array == array[0]) else float(np.std(array, ddof=1))


def redraw_sd(baseline) -> float | None:
    """sqrt(2) * `baseline_sd`: sd_D when the candidate is an independent re-draw; None with < 2 items."""
    sd = baseline_sd(baseline)
    return None if sd is None else REDRAW * sd


def baseline_mde(baseline, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """The MDE that one run's per-item scores allow (see the module docstring); None with < 2 items."""
    sd = redraw_sd(baseline)
    return None if sd is None else min_detectable_effect(len(baseline), sd, alpha=alpha, power=power)


def comparison_mde(baseline, sd_diff: float | None, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """The MDE `compare` reports: sd_D = max(sqrt(2) * sd of `baseline`, observed `sd_diff`);
    None with fewer than 2 items."""
    sd = redraw_sd(baseline)
    if sd is None:
        return None
    return min_detectable_effect(len(baseline), max(sd, sd_diff or 0.0), alpha=alpha, power=power)


def items_needed(sd_d: float, drop: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Fewest items whose MDE with this sd_D is at most `drop`: ceil(((z_a + z_b) * sd_D / drop)^2)."""
    if not drop > 0:
        raise ValueError(f"drop must be > 0, got {drop!r}")
    if sd_d < 0 or not math.isfinite(sd_d):
        raise ValueError(f"sd_d must be a finite number >= 0, got {sd_d!r}")
    z = NormalDist()
    multiplier = z.inv_cdf(1.0 - alpha / 2.0) + z.inv_cdf(power)
    # a hair under the exact square so that float noise (e.g. 99.00000000000001) does not add an item
    return max(2, math.ceil((multiplier * sd_d / drop) ** 2 - 1e-9))
