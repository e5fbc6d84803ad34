import math

import numpy as np
import pytest

from harness.metrics import stats
from harness.metrics.stats import (
    bootstrap_ci,
    mean_ci,
    min_detectable_effect,
    paired_bootstrap,
    paired_permutation_pvalue,
)

# --- bootstrap_ci / mean_ci -----------------------------------------------------------------


def test_no_spread_gives_a_zero_width_interval_at_the_value():
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    assert bootstrap_ci([0.1] * 7) == (0.1, 0.1)  # exactly, not an ulp away
    assert bootstrap_ci([3]) == (3.0, 3.0)


def test_empty_gives_none():
    assert bootstrap_ci([]) == (None, None)
    assert mean_ci([]) == {"mean": None, "ci95": [None, None], "n": 0}


def test_two_point_sample_by_hand():
    # Resampling [0, 1] gives means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4: the 2.5% and
    # 97.5% quantiles of 1000 such means are the extremes.
    assert bootstrap_ci([0, 1], resamples=1000, seed=0) == (0.0, 1.0)


def test_interval_matches_the_normal_theory_width_on_a_regular_sample():
    # 0..99: mean 49.5, population sd sqrt((100**2 - 1) / 12) = 28.866; the bootstrap interval
    # should be close to 49.5 +/- 1.96 * 28.866 / 10 = 49.5 +/- 5.658 (MC error ~0.25).
    low, high = bootstrap_ci(range(100), resamples=2000, seed=0)
    half = 1.959964 * math.sqrt((100**2 - 1) / 12) / 10
    assert abs(low - (49.5 - half)) < 1.0
    assert abs(high - (49.5 + half)) < 1.0


def test_narrower_confidence_nests_inside_wider_with_the_same_seed():
    values = [0.0, 0.2, 0.3, 0.9, 1.0, 0.4, 0.5, 0.7]
    low95, high95 = bootstrap_ci(values, confidence=0.95)
    low50, high50 = bootstrap_ci(values, confidence=0.5)
    assert min(values) <= low95 <= low50 <= high50 <= high95 <= max(values)


def test_same_seed_same_bytes_other_seed_other_interval():
    values = [i / 7 for i in range(20)]
    first = np.array(bootstrap_ci(values, seed=3)).tobytes()
    again = np.array(bootstrap_ci(values, seed=3)).tobytes()
    assert first == again
    assert bootstrap_ci(values, seed=3) != bootstrap_ci(values, seed=4)


def test_mean_ci_shape_and_mean_is_the_plain_mean():
    result = mean_ci([1.0, 2.0, 4.0], resamples=500, seed=0)
    assert set(result) == {"mean", "ci95", "n"}
    assert result["mean"] == 7.0 / 3 and result["n"] == 3
    low, high = result["ci95"]
    assert 1.0 <= low <= result["mean"] <= high <= 4.0
    assert mean_ci([0.1] * 3) == {"mean": 0.1, "ci95": [0.1, 0.1], "n": 3}


@pytest.mark.parametrize(
    "call",
    [
        lambda: bootstrap_ci([1.0, float("nan")]),
        lambda: bootstrap_ci([1.0, 2.0], confidence=1.0),
        lambda: bootstrap_ci([1.0, 2.0], resamples=0),
        lambda: paired_bootstrap([1.0, 2.0], [1.0]),
        lambda: paired_permutation_pvalue([1.0], [1.0, 2.0]),
    ],
)
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


# --- paired_bootstrap ---------------------------------------------------------------------


def test_constant_delta_by_hand():
    result = paired_bootstrap([0.0, 0.5, 1.0], [0.25, 0.75, 1.25])
    assert result == {"delta": 0.25, "ci": [0.25, 0.25], "confidence": 0.95, "n": 3, "sd_diff": 0.0}


def test_two_items_by_hand():
    # differences [0, 1]: delta 0.5, interval (0, 1) as for bootstrap_ci([0, 1]), sd sqrt(1/2)
    result = paired_bootstrap([0.0, 0.0], [0.0, 1.0])
    assert result["delta"] == 0.5 and result["ci"] == [0.0, 1.0]
    assert result["sd_diff"] == pytest.approx(math.sqrt(0.5))


def test_empty_and_single_pair():
    assert paired_bootstrap([], []) == {
        "delta": None, "ci": [None, None], "confidence": 0.95, "n": 0, "sd_diff": None,
    }
    assert paired_bootstrap([1.0], [3.0])["ci"] == [2.0, 2.0]


def test_resamples_items_as_pairs():
    # The same indices for both runs: compare with resampling the two runs directly.
    rng = np.random.default_rng(11)
    base = rng.uniform(size=20)
    cand = base + rng.normal(0.1, 0.05, size=20)
    result = paired_bootstrap(base, cand, resamples=1000, seed=5)
    idx = np.random.default_rng(5).integers(0, 20, size=(1000, 20))
    deltas = cand[idx].mean(axis=1) - base[idx].mean(axis=1)
    expected = np.quantile(deltas, [0.025, 0.975])
    assert result["ci"] == pytest.approx(list(expected), abs=1e-12)


def test_pairing_separates_what_two_separate_intervals_cannot():
    # Items vary a lot (0 .. 0.95), the candidate is better on every item by 1/16 or 1/8.
    base = [i / 20 for i in range(20)]
    cand = [b + (0.0625 if i % 2 else 0.125) for i, b in enumerate(base)]
    paired = paired_bootstrap(base, cand)
    assert paired["delta"] == pytest.approx(0.09375)  # mean of 1/16 and 1/8
    assert 0.0625 <= paired["ci"][0] <= paired["delta"] <= paired["ci"][1] <= 0.125
    # Separately, the two 95% intervals overlap widely.
    assert mean_ci(cand)["ci95"][0] < mean_ci(base)["ci95"][1]


# --- paired_permutation_pvalue ------------------------------------------------------------


def test_exact_pvalues_by_hand():
    # d = [1,1,1,1]: |sum| = 4 only for all-plus and all-minus of the 16 sign patterns.
    assert paired_permutation_pvalue([0, 0, 0, 0], [1, 1, 1, 1]) == 2 / 16
    # d = [1,1,1,-1]: |sum| >= 2 unless exactly two signs are plus: (1 + 4 + 4 + 1) / 16.
    assert paired_permutation_pvalue([0, 0, 0, 0], [1, 1, 1, -1]) == 10 / 16
    # d = [3,1,1]: sums 5,3,3,1,-1,-3,-3,-5; |sum| >= 5 twice of 8.
    assert paired_permutation_pvalue([0, 0, 0], [3, 1, 1]) == 2 / 8
    # one pair: both signs are as extreme as the observed one
    assert paired_permutation_pvalue([0], [2]) == 1.0


def test_no_difference_and_no_items():
    assert paired_permutation_pvalue([0.3, 0.7], [0.3, 0.7]) == 1.0
    assert paired_permutation_pvalue([], []) is None


def test_exact_case_ignores_the_seed_and_handles_sixteen_pairs():
    base = [0.0] * 16
    cand = [1.0] * 15 + [-1.0]
    p = paired_permutation_pvalue(base, cand, seed=0)
    assert p == paired_permutation_pvalue(base, cand, seed=99)
    # |sum| >= 14 needs at most one minus or at most one plus: 2 * (1 + 16) / 2**16
    assert p == 34 / 2**16


def test_monte_carlo_planted_effect_hits_the_smoothing_floor():
    # 40 pairs all improved by 1: no random sign pattern (but all-plus/all-minus, chance
    # 2 / 2**40) reaches |sum| = 40, so p = (0 + 1) / (resamples + 1).
    assert paired_permutation_pvalue([0.0] * 40, [1.0] * 40, resamples=10000) == 1 / 10001


def test_monte_carlo_zero_observed_effect_gives_one():
    diffs = [1.0, -1.0] * 20  # sums to exactly 0: every pattern is at least as extreme
    assert paired_permutation_pvalue([0.0] * 40, diffs, resamples=500) == 1.0


def test_monte_carlo_noise_is_not_significant_and_is_seeded():
    rng = np.random.default_rng(2024)
    base = rng.normal(0.5, 0.1, size=60)
    cand = rng.normal(0.5, 0.1, size=60)
    p = paired_permutation_pvalue(base, cand, resamples=5000, seed=0)
    assert p > 0.2
    assert p == paired_permutation_pvalue(base, cand, resamples=5000, seed=0)
    assert p != paired_permutation_pvalue(base, cand, resamples=5000, seed=1)


def test_monte_carlo_agrees_with_exact(monkeypatch):
    monkeypatch.setattr(stats, "EXACT_PERMUTATION_MAX_N", 0)
    p = paired_permutation_pvalue([0, 0, 0, 0], [1, 1, 1, 1], resamples=20000, seed=0)
    assert abs(p - 0.125) < 0.01  # standard error sqrt(.125 * .875 / 20000) = 0.0023


# --- min_detectable_effect ----------------------------------------------------------------


def test_mde_by_hand():
    # z_0.975 = 1.959963984540054, z_0.8 = 0.8416212335729143; n = 16, sd 1 -> sum / 4
    expected = (1.959963984540054 + 0.8416212335729143) / 4
    assert min_detectable_effect(16, 1.0) == pytest.approx(expected, rel=1e-12)
    assert min_detectable_effect(64, 2.0) == pytest.approx(expected, rel=1e-12)
    # alpha 0.32 (z = 0.994), power 0.5 (z = 0): about one standard error
    assert min_detectable_effect(25, 1.0, alpha=0.3173105, power=0.5) == pytest.approx(0.2, rel=1e-5)


def test_mde_edges():
    assert min_detectable_effect(1, 1.0) == math.inf
    assert min_detectable_effect(0, 1.0) == math.inf
    assert min_detectable_effect(10, None) is None
    assert min_detectable_effect(10, 0.0) == 0.0
    with pytest.raises(ValueError):
        min_detectable_effect(10, 1.0, alpha=0.0)
    with pytest.raises(ValueError):
        min_detectable_effect(10, -1.0)


# --- significance: a test is only run where it can reach alpha ---------------------------------


def test_the_sign_flip_test_needs_six_items_to_reach_five_percent():
    # smallest two-sided p is 2 / 2**n: n = 5 -> 0.0625, n = 6 -> 0.03125
    assert stats.min_items_to_test(0.05) == 6
    assert stats.min_items_to_test(0.01) == 8  # 2/128 = 0.0156 >= 0.01, 2/256 = 0.0078
    assert stats.min_items_to_test(0.5) == 3  # 2/4 = 0.5 is not below 0.5, 2/8 is


def _significance_of(base, cand):
    paired = paired_bootstrap(base, cand, seed=0)
    p = paired_permutation_pvalue(base, cand, seed=0)
    return p, paired["ci"], stats.significance(len(base), paired["ci"], p)


def test_one_item_is_never_significant_though_its_interval_excludes_zero():
    p, ci, verdict = _significance_of([0.2], [0.5])
    assert ci[0] == ci[1] > 0  # a zero-width interval that "excludes 0"
    assert p == 1.0  # 2 of 2 sign patterns reach |sum| = 0.3
    assert verdict == (None, "too few items to test (n = 1)")


def test_five_items_all_better_are_not_significant():
    p, ci, verdict = _significance_of([0.0] * 5, [1.0] * 5)
    assert p == 0.0625  # 2 / 2**5
    assert verdict == (None, "too few items to test (n = 5)")


def test_six_items_all_better_are_significant():
    p, ci, verdict = _significance_of([0.0] * 6, [1.0] * 6)
    assert p == 0.03125  # 2 / 2**6
    assert ci[0] > 0
    assert verdict == (True, None)


def test_six_items_with_one_worse_are_tested_and_not_significant():
    p, ci, verdict = _significance_of([0.0] * 6, [1.0] * 5 + [-1.0])
    assert p == 14 / 64  # |sum| >= 4 needs at most one minus or at most one plus
    assert verdict == (False, None)


def test_both_conditions_are_needed():
    assert stats.significance(10, (0.01, 0.2), 0.2) == (False, None)  # interval excludes 0, p does not agree
    assert stats.significance(10, (-0.01, 0.2), 0.01) == (False, None)  # p agrees, interval does not
    assert stats.significance(10, (0.01, 0.2), 0.01) == (True, None)
    assert stats.significance(10, (-0.3, -0.1), 0.001) == (True, None)
