"""Uncertainty for item means, and paired tests for comparing two runs on the same items.

Why: an eval set has few items (the shipped one has 1 summary and 15 questions), so a mean
alone invites reading noise as a difference between models. Every report mean can carry a
bootstrap interval (`mean_ci`), and a later "compare two runs" feature can say whether a
delta is distinguishable from zero (`paired_bootstrap`, `paired_permutation_pvalue`) and how
large a delta the eval set could detect at all (`min_detectable_effect`).

All functions are pure and deterministic: randomness comes only from
`numpy.random.default_rng(seed)`, and work is split into chunks whose size depends only on the
inputs, so the same inputs and seed give the same floats, bit for bit, on every call.

Conventions: "nothing to measure" is None, never 0 (as in aggregate.py); values must be
finite numbers (NaN or inf raise ValueError, since they would silently poison every mean).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

# Exact sign-flip enumeration up to this many pairs (2**16 = 65,536 sign vectors); Monte Carlo
# above it.
EXACT_PERMUTATION_MAX_N = 16

# Resampled index matrices are built this many cells at a time, to bound memory
# (~16 MB of int64) whatever the number of items and resamples.
_CHUNK_CELLS = 2_000_000


def _as_array(values, name: str = "values") -> np.ndarray:
    array = np.asarray(list(values), dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers (no NaN or inf)")
    return array


def _check_resamples_and_confidence(resamples: int, confidence: float) -> None:
    if int(resamples) != resamples or resamples < 1:
        raise ValueError(f"resamples must be a positive integer, got {resamples!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def _chunk_rows(n: int, total: int) -> list[int]:
    """Row counts of the chunks, from n and total only (so chunking never changes results)."""
    step = max(1, _CHUNK_CELLS // max(n, 1))
    return [min(step, total - start) for start in range(0, total, step)]


def _mean(array: np.ndarray):
    """sum/n as aggregate.mean_and_n computes it; a sample without spread gives its value
    exactly (float summation could land an ulp away, outside the zero-width interval)."""
    if array.size == 0:
        return None
    if np.all(array == array[0]):
        return float(array[0])
    return sum(array.tolist()) / array.size


def _bootstrap(array: np.ndarray, resamples: int, seed: int, confidence: float) -> tuple[float, float]:
    n = array.size
    if np.all(array == array[0]):
        # No spread: every resample is the same sample; say so exactly rather than through
        # float summation, which could put the ends an ulp away from the value.
        value = float(array[0])
        return value, value
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [array[rng.integers(0, n, size=(rows, n))].mean(axis=1) for rows in _chunk_rows(n, resamples)]
    )
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


def bootstrap_ci(values, resamples: int = 1000, seed: int = 0, confidence: float = 0.95):
    """Percentile bootstrap interval of the mean over items: (low, high).

    Items are resampled with replacement `resamples` times; the ends are the (1-confidence)/2
    and 1-(1-confidence)/2 quantiles of the resampled means (numpy's default linear
    interpolation). The percentile interval is used because it needs no normality assumption
    and stays inside the range of the data (a 0/1 metric never gets an interval outside
    [0, 1]). With few items it is too narrow (n=2 can only produce three distinct means):
    read it as a lower bound on the uncertainty.

    n=0 -> (None, None); n=1, or all values equal -> (v, v): resampling cannot show spread.
    """
    _check_resamples_and_confidence(resamples, confidence)
    array = _as_array(values)
    if array.size == 0:
        return None, None
    return _bootstrap(array, resamples, seed, confidence)


def mean_ci(values, resamples: int = 1000, seed: int = 0) -> dict:
    """{"mean": m, "ci95": [low, high], "n": k}: what every report mean carries.

    The mean is a plain sum/n (so adding the interval does not change
    reported means), except that values without spread report that value exactly. n=0 gives
    {"mean": None, "ci95": [None, None], "n": 0}.
    """
    array = _as_array(values)
    low, high = bootstrap_ci(array, resamples=resamples, seed=seed, confidence=0.95)
    return {"mean": _mean(array), "ci95": [low, high], "n": int(array.size)}


def _paired_differences(baseline, candidate) -> np.ndarray:
    base = _as_array(baseline, "baseline")
    cand = _as_array(candidate, "candidate")
    if base.size != cand.size:
        raise ValueError(
            f"paired values need the same items: baseline has {base.size}, candidate {cand.size}"
        )
    return cand - base


def paired_bootstrap(
    baseline, candidate, resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> dict:
    """Mean delta (candidate - baseline) over the same items, with a percentile bootstrap CI.

    Returns {"delta": d, "ci": [low, high], "confidence": c, "n": k, "sd_diff": s}.
    Items are resampled as pairs (the same indices for both runs): that keeps the per-item
    correlation between the runs, which is what makes a paired comparison far tighter than two
    separate intervals. Resampling the per-item differences with one set of indices is exactly
    that, so it is what is computed. `sd_diff` is the sample standard deviation of the
    differences (n-1 denominator; None when n < 2), the input `min_detectable_effect` needs.
    n=0 -> delta None and ci [None, None].
    """
    diffs = _paired_differences(baseline, candidate)
    low, high = bootstrap_ci(diffs, resamples=resamples, seed=seed, confidence=confidence)
    n = int(diffs.size)
    delta = _mean(diffs)
    sd = float(np.std(diffs, ddof=1)) if n >= 2 else None
    return {"delta": delta, "ci": [low, high], "confidence": confidence, "n": n, "sd_diff": sd}


def _exact_sign_flip_pvalue(diffs: np.ndarray, observed: float, tol: float) -> float:
    n = diffs.size
    codes = np.arange(2**n, dtype=np.int64)[:, None]
    signs = ((codes >> np.arange(n)) & 1) * 2 - 1  # every +/- pattern, one per row
    stats = np.abs(signs @ diffs)
    return float(np.count_nonzero(stats >= observed - tol)) / float(2**n)


def paired_permutation_pvalue(baseline, candidate, resamples: int = 10000, seed: int = 0):
    """Two-sided sign-flip permutation p-value for "candidate and baseline score the same".

    Under that hypothesis each item's difference d_i = candidate_i - baseline_i is as likely to
    have either sign, so the statistic |sum(d_i)| (equivalently |mean delta|) is compared with
    its value under random sign flips. It assumes nothing about the distribution of the
    differences, which matters for 0/1 metrics and small n.

    - n <= 16 (EXACT_PERMUTATION_MAX_N): exact, over all 2**n sign patterns; p = share of
      patterns at least as extreme as the observed one (the observed pattern is one of them).
      Example: d = [1, 1, 1, 1] -> only all-plus and all-minus reach |sum| = 4 -> p = 2/16.
    - n > 16: Monte Carlo with `resamples` random sign patterns from default_rng(seed), with
      add-one smoothing p = (count + 1) / (resamples + 1): the observed pattern counts as one
      draw, so p is never 0 (the smallest reportable p is 1/(resamples+1)) and the test keeps
      its nominal level.
    Ties within float rounding (1e-12 of sum |d_i|) count as at least as extreme
    (conservative). All differences zero -> 1.0. n=0 -> None (nothing to test).
    """
    if int(resamples) != resamples or resamples < 1:
        raise ValueError(f"resamples must be a positive integer, got {resamples!r}")
    diffs = _paired_differences(baseline, candidate)
    n = diffs.size
    if n == 0:
        return None
    observed = abs(float(diffs.sum()))
    tol = 1e-12 * float(np.abs(diffs).sum())
    if n <= EXACT_PERMUTATION_MAX_N:
        return _exact_sign_flip_pvalue(diffs, observed, tol)
    rng = np.random.default_rng(seed)
    count = 0
    for rows in _chunk_rows(n, resamples):
        signs = rng.integers(0, 2, size=(rows, n)) * 2 - 1
        count += int(np.count_nonzero(np.abs(signs @ diffs) >= observed - tol))
    return (count + 1) / (resamples + 1)


# The level every "significant" in the reports, compare and gates is read at.
ALPHA = 0.05


def min_items_to_test(alpha: float = ALPHA) -> int:
    """Smallest n at which the exact two-sided sign-flip test can reach p < alpha at all.

    Its smallest p-value is 2 / 2**n (only the observed signs and their mirror image are that
    extreme), so n = 5 gives at best 0.0625 and n = 6 gives 0.03125: for alpha = 0.05, 6 items.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    n = 1
    while 2.0 / 2**n >= alpha:
        n += 1
    return n


def significance(n: int, ci, p_value, alpha: float = ALPHA) -> tuple[bool | None, str | None]:
    """Whether a paired difference is significant: (True/False, None), or (None, reason).

    Significant means both a permutation p-value below alpha and a paired bootstrap interval that
    excludes 0. With fewer items than `min_items_to_test(alpha)` no test can find anything (one
    item gives a zero-width interval, which "excludes 0" without meaning anything), so the answer
    is None with the reason "too few items to test (n = k)", never False and never True.
    """
    low, high = ci
    if n < min_items_to_test(alpha) or p_value is None or low is None or high is None:
        return None, f"too few items to test (n = {n})"
    return bool(p_value < alpha and (low > 0 or high < 0)), None


def min_detectable_effect(n: int, sd_diff, alpha: float = 0.05, power: float = 0.8):
    """Smallest true mean delta a paired two-sided test on n items detects with this power.

    Normal approximation: MDE = (z_{1-alpha/2} + z_{power}) * sd_diff / sqrt(n), with z the
    standard normal quantiles (statistics.NormalDist). Defaults give 2.8016 * sd_diff/sqrt(n).
    It answers "is this eval set big enough to see the difference we care about?"; with small
    n it is optimistic (a t quantile would be larger).

    n < 2 -> inf: no spread can be estimated and no test has power. sd_diff None (unknown)
    -> None, since an unknown effect size is not an infinite one.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power!r}")
    if sd_diff is None:
        return None
    if sd_diff < 0 or not math.isfinite(sd_diff):
        raise ValueError(f"sd_diff must be a finite number >= 0, got {sd_diff!r}")
    if n < 2:
        return math.inf
    z = NormalDist()
    return (z.inv_cdf(1.0 - alpha / 2.0) + z.inv_cdf(power)) * sd_diff / math.sqrt(n)
