"""The minimum detectable effect of a gate (harness/metrics/mde.py): hand-computed values, and a
simulation showing that at the MDE compare's own significance rule fires about 80% of the time.

The quantiles are written out from a normal table (z_0.975 = 1.959964, z_0.8 = 0.841621), not taken
from the code under test.
"""

import math
import random

import pytest

from harness.metrics import stats
from harness.metrics.mde import REDRAW, baseline_mde, baseline_sd, comparison_mde, items_needed, redraw_sd

Z = 1.959964 + 0.841621  # two-sided alpha 0.05, power 0.8


def test_baseline_sd_and_the_redraw_sd_by_hand():
    # [0, 1, 0, 1]: mean 0.5, squared deviations 4 x 0.25 = 1, over n-1 = 3
    assert baseline_sd([0, 1, 0, 1]) == pytest.approx(math.sqrt(1 / 3), rel=1e-12)
    assert redraw_sd([0, 1, 0, 1]) == pytest.approx(math.sqrt(2 / 3), rel=1e-12)
    assert REDRAW == pytest.approx(1.41421356, rel=1e-8)


def test_baseline_mde_by_hand():
    # 100 questions, half right: sd = sqrt(100 * 0.25 / 99) = 0.502519; sd_D = 0.710669;
    # MDE = 2.801585 * 0.710669 / sqrt(100) = 0.199100: a 50% score on 100 questions sees a 20-point drop
    half = [1.0] * 50 + [0.0] * 50
    assert baseline_mde(half) == pytest.approx(0.199100, abs=2e-6)
    # 40 items, 30 right: sd = sqrt(40 * 0.75 * 0.25 / 39) = 0.438529; MDE = Z * 1.414214 * 0.438529 / sqrt(40) = 0.274718
    assert baseline_mde([1.0] * 30 + [0.0] * 10) == pytest.approx(0.274718, abs=2e-6)
    # a continuous score: [0.2, 0.4] has sd 0.141421, sd_D 0.2, MDE = Z * 0.2 / sqrt(2) = 0.396203
    assert baseline_mde([0.2, 0.4]) == pytest.approx(Z * 0.2 / math.sqrt(2), rel=1e-6)
    # other alpha and power: z_0.995 = 2.575829, z_0.9 = 1.281552
    assert baseline_mde(half, alpha=0.01, power=0.9) == pytest.approx((2.575829 + 1.281552) * 0.710669 / 10, rel=1e-5)


def test_comparison_mde_takes_the_larger_spread():
    base = [1.0] * 30 + [0.0] * 10
    assert comparison_mde(base, 0.0) == pytest.approx(0.274718, abs=2e-6)  # nothing changed: the re-draw spread
    assert comparison_mde(base, None) == pytest.approx(0.274718, abs=2e-6)
    # a baseline without spread (every item right) still gets the spread the candidate showed:
    # differences [-1, -1, -1, 0 x 9] have sd 0.452267; MDE = Z * 0.452267 / sqrt(12) = 0.365770
    assert comparison_mde([1.0] * 12, 0.452267) == pytest.approx(0.365770, abs=2e-6)
    assert comparison_mde(base, 2.0) == pytest.approx(Z * 2.0 / math.sqrt(40), rel=1e-6)


def test_items_needed_by_hand_and_against_the_mde():
    # (2.801585 / 0.28)^2 = 10.005661^2 = 100.11 -> 101 items
    assert items_needed(1.0, 0.28) == 101
    # a 50% score, sd_D 0.710669, to see a drop of 0.1: (2.801585 * 0.710669 / 0.1)^2 = 19.9099^2 = 396.4 -> 397
    assert items_needed(0.710669, 0.1) == 397
    for sd_d, drop in ((0.3, 0.05), (0.62, 0.1), (0.15, 0.04)):
        n = items_needed(sd_d, drop)
        assert stats.min_detectable_effect(n, sd_d) <= drop < stats.min_detectable_effect(n - 1, sd_d)
    assert items_needed(0.0, 0.1) == 2  # no spread: the fewest items any sd needs


def test_edges():
    assert baseline_sd([0.5]) is None and redraw_sd([]) is None
    assert baseline_mde([0.5]) is None and comparison_mde([0.5], None) is None
    assert baseline_mde([0.3] * 10) == 0.0  # a constant baseline has no spread of its own
    with pytest.raises(ValueError, match="finite"):
        baseline_mde([0.1, float("nan")])
    with pytest.raises(ValueError, match="drop must be > 0"):
        items_needed(0.5, 0.0)
    with pytest.raises(ValueError, match="sd_d"):
        items_needed(-0.1, 0.1)


def test_at_the_mde_compare_detects_an_independent_redraw_regression_about_80_percent_of_the_time():
    """Power simulated through compare's own rule (stats.significance: permutation p < 0.05 and a
    paired bootstrap interval that excludes 0) on 0/1 scores: a baseline at 60% and a candidate
    re-drawn independently at 60% - MDE. 200 seeded trials; the normal approximation promises 0.8
    (the permutation test is a little conservative), and half the MDE gives far less."""
    n, p = 100, 0.6
    sd = math.sqrt(p * (1 - p) * n / (n - 1))
    mde = stats.min_detectable_effect(n, REDRAW * sd)

    def power(drop: float, trials: int = 200) -> float:
        rng = random.Random(11)
        hits = 0
        for trial in range(trials):
            base = [float(rng.random() < p) for _ in range(n)]
            cand = [float(rng.random() < p - drop) for _ in range(n)]
            ci = stats.paired_bootstrap(base, cand, resamples=500, seed=trial)["ci"]
            p_value = stats.paired_permutation_pvalue(base, cand, resamples=999, seed=trial)
            significant, _ = stats.significance(n, ci, p_value)
            hits += bool(significant) and sum(cand) < sum(base)
        return hits / trials

    assert 0.70 <= power(mde) <= 0.90
    assert power(mde / 2) <= 0.45
