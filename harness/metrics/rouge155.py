"""What ROUGE-1.5.5.pl does around the counts: its rounding and its bootstrap "Average".

The Perl script (v1.5.5, 2005) prints "Average_R/P/F" with a 95% confidence interval. Reading its
code (computeNGramScore, computeAverages, bootstrapResampling) gives the rules emulated here:

- Per pair, R and P are rounded to 5 decimals (sprintf "%7.5f") and F is computed *from the
  rounded R and P*, F = P*R / ((1-alpha)*P + alpha*R) with alpha 0.5, then rounded again.
- The printed "Average" is not the mean of the pairs: it is the mean of `resamples` (1000)
  bootstrap means. Instances are the keys "<eval id>.<peer id>" sorted as strings. Resample i
  calls srand(i) and draws len(instances) indices int(rand(N)); each draw adds the instance's
  rounded R, P, F (the first draw starts the sum); the sums are divided by N. The 1000 values are
  sorted, summed in that order and divided by 1000; the confidence interval is the sorted values
  at positions delta and resamples-delta-1 with delta = resamples*(100-c)/2/100 (25 and 974 for
  95%, interpolated when fractional). Everything is printed with "%7.5f".
- Perl's rand is drand48 (its own copy since Perl 5.20, the C library's before, with the same
  constants): a 48-bit linear congruential generator, srand(s) sets the state to s<<16 | 0x330E,
  rand(N) = N * state/2**48 after one step. Python floats are the same IEEE doubles, so doing the
  same operations in the same order gives the same bits, hence the same printed digits.

Reading the script's configuration and input files is in rouge155_inputs.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from harness.metrics.rouge import RougeOptions, rouge_counts_per_reference
from harness.metrics.rouge_counts import Counts, add
from harness.metrics.rouge_counts import score as rouge_score_of


def perl_round(value: float) -> float:
    """sprintf("%7.5f") read back as a number, as the script does with every score."""
    return float(f"{value:.5f}")


class PerlScore(NamedTuple):
    recall: float
    precision: float
    fmeasure: float


def perl_score(counts: Counts, alpha: float = 0.5) -> PerlScore:
    """One pair's R, P, F as ROUGE-1.5.5 computes and rounds them (F from the rounded R and P)."""
    recall = perl_round(counts.hits / counts.reference_total) if counts.reference_total else 0.0
    precision = perl_round(counts.hits / counts.prediction_total) if counts.prediction_total else 0.0
    denominator = (1 - alpha) * precision + alpha * recall
    fmeasure = perl_round((precision * recall) / denominator) if denominator > 0 else 0.0
    return PerlScore(recall, precision, fmeasure)


class Drand48:
    """drand48/srand48 as Perl's srand/rand use them."""

    _MULTIPLIER = 0x5DEECE66D
    _INCREMENT = 0xB
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int):
        self._state = ((seed & 0xFFFFFFFF) << 16) | 0x330E

    def random(self) -> float:
        self._state = (self._state * self._MULTIPLIER + self._INCREMENT) & self._MASK
        return self._state / 281474976710656.0  # 2**48, exact

    def rand(self, n: int) -> float:
        """Perl's rand(n)."""
        return n * self.random()


class Average(NamedTuple):
    average: float
    low: float
    high: float


class PerlAverages(NamedTuple):
    recall: Average
    precision: Average
    fmeasure: Average


def bootstrap_average(
    scores: Mapping[str, PerlScore | tuple[float, float, float]], resamples: int = 1000, confidence: float = 95
) -> PerlAverages:
    """ROUGE-1.5.5's printed Average_R/P/F and confidence intervals for one system and type.

    `scores` maps the script's instance id "<eval id>.<peer id>" (e.g. "12.26") to that pair's
    rounded (R, P, F); the ids matter because their string order decides which pair each random
    index picks."""
    instances = sorted(scores)
    n = len(instances)
    columns: list[list[float]] = [[], [], []]
    for seed in range(resamples):
        generator = Drand48(seed)
        total: list[float] | None = None
        for _ in range(n):
            row = scores[instances[int(generator.rand(n))]]
            if total is None:
                total = [row[0], row[1], row[2]]
            else:
                total[0] += row[0]
                total[1] += row[1]
                total[2] += row[2]
        if total is None:
            total = [0.0, 0.0, 0.0]
        elif n > 0:
            total = [total[0] / n, total[1] / n, total[2] / n]
        for k in range(3):
            columns[k].append(total[k])
    delta = resamples * ((100 - confidence) / 2.0) / 100.0
    upper_a = int(resamples - delta - 1)
    lower_a = int(delta)
    ratio = resamples - delta - 1 - upper_a
    results = []
    for column in columns:
        ranked = sorted(column)
        mean = 0.0
        for value in ranked:
            mean += value
        low = ranked[lower_a] + (ranked[lower_a + 1] - ranked[lower_a]) * ratio
        high = ranked[upper_a] + (ranked[upper_a + 1] - ranked[upper_a]) * ratio
        results.append(Average(perl_round(mean / len(ranked)), perl_round(low), perl_round(high)))
    return PerlAverages(*results)


def plain_average(scores: Mapping[str, PerlScore | tuple[float, float, float]]) -> PerlScore:
    """The mean of the pairs, rounded like the script (it computes this too, but prints the
    bootstrap mean instead)."""
    values = list(scores.values())
    return PerlScore(*(perl_round(sum(v[k] for v in values) / len(values)) for k in range(3)))


def rouge155_averages(
    items: Mapping[str, tuple[str, Sequence[str]]], options: RougeOptions, resamples: int = 1000
) -> dict[str, PerlAverages]:
    """What ROUGE-1.5.5 prints for one system: per type, Average R/P/F with confidence intervals.

    items: instance id "<eval id>.<peer id>" -> (prediction, references); options: a RougeOptions
    (ROUGE-1.5.5's own default is multi_reference="model_average", no stemming, and its inputs
    are one sentence per line, so sentence_split="newline"). rougeLsum is what the script calls
    ROUGE-L. With multi_reference="max" each pair takes rouge-score's best-F reference, then is
    rounded and averaged like the script; the script itself has no such mode (its -f B keeps
    the model with the best *recall*)."""
    per_type: dict[str, dict[str, PerlScore]] = {t: {} for t in options.rouge_types}
    for instance, (prediction, references) in items.items():
        counts = rouge_counts_per_reference(prediction, references, options)
        for rouge_type, per_reference in counts.items():
            if options.multi_reference == "model_average":
                chosen = add(per_reference)
            else:  # rouge-score's rule: the first reference with the best F
                chosen = max(per_reference, key=lambda c: rouge_score_of(c).fmeasure)
            per_type[rouge_type][instance] = perl_score(chosen)
    return {t: bootstrap_average(scores, resamples) for t, scores in per_type.items()}
