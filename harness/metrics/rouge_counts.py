"""ROUGE as integer counts (hits, reference total, prediction total) per type and pair.

rouge-score only returns P/R/F floats per pair. Combining several references the way ROUGE-1.5.5
does (sum hits and totals over references) and rounding the way its Perl script does both need
the integers behind them, so the scorer works on counts and turns them into floats last, with
rouge-score's own formulas: P = hits / prediction total, R = hits / reference total (0 when the
total is 0), F = rouge_score.scoring.fmeasure(P, R). The floats are therefore bit-identical to
rouge-score's for a single reference.

What is counted for each type (the same as rouge-score 0.1.2):
- rougeN: n-gram multiset overlap; totals are the number of n-grams on each side.
- rougeL: LCS of the two token sequences; totals are the token counts.
- rougeLsum: summary-level LCS over sentences (union LCS with clipping, see rouge_lcs.py);
  totals are the token counts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from rouge_score.scoring import Score, fmeasure

from harness.metrics.rouge_lcs import lcs_length, summary_level_hits

_ROUGE_N = re.compile(r"rouge([0-9])$")


class Counts(NamedTuple):
    hits: int
    reference_total: int
    prediction_total: int


def ngram_size(rouge_type: str) -> int | None:
    """n for "rougeN" (rouge-score accepts one digit, 1-9), None for the LCS types."""
    match = _ROUGE_N.match(rouge_type)
    return int(match.group(1)) if match else None


def check_rouge_type(rouge_type: str) -> None:
    if rouge_type in ("rougeL", "rougeLsum"):
        return
    n = ngram_size(rouge_type)
    if n is None or n <= 0:
        raise ValueError(f"invalid rouge type {rouge_type!r}: expected rouge1..rouge9, rougeL or rougeLsum")


class Tokenized:
    """One text's tokens, by sentence (lines) and as a whole, with its n-gram counts cached so
    several references (or several types) never count the same prediction twice."""

    __slots__ = ("sentences", "tokens", "_ngrams")

    def __init__(self, sentences: list[list[str]]):
        self.sentences = sentences
        self.tokens = [token for sentence in sentences for token in sentence]
        self._ngrams: dict[int, Counter] = {}

    def ngrams(self, n: int) -> Counter:
        try:
            return self._ngrams[n]
        except KeyError:
            tokens = self.tokens
            grams = Counter(tokens) if n == 1 else Counter(zip(*(tokens[k:] for k in range(n))))
            self._ngrams[n] = grams
            return grams


def tokenize_lines(text: str, tokenizer) -> Tokenized:
    """Tokenize each non-empty line (rouge-score's rougeLsum sentence rule: split on "\\n", drop
    empty strings). The whole-text tokens are the lines' tokens joined, which is exactly what
    tokenizing the whole text gives, because a newline always separates tokens."""
    return Tokenized([tokenizer.tokenize(line) for line in text.split("\n") if line])


def pair_counts(rouge_type: str, reference: Tokenized, prediction: Tokenized) -> Counts:
    if rouge_type == "rougeLsum":
        hits = summary_level_hits(reference.sentences, prediction.sentences)
        return Counts(hits, len(reference.tokens), len(prediction.tokens))
    if rouge_type == "rougeL":
        return Counts(lcs_length(reference.tokens, prediction.tokens), len(reference.tokens), len(prediction.tokens))
    n = ngram_size(rouge_type)
    if n is None or n <= 0:
        raise ValueError(f"invalid rouge type {rouge_type!r}")
    ref_grams, pred_grams = reference.ngrams(n), prediction.ngrams(n)
    hits = sum((ref_grams & pred_grams).values())
    return Counts(hits, max(len(reference.tokens) - n + 1, 0), max(len(prediction.tokens) - n + 1, 0))


def add(counts: list[Counts] | tuple[Counts, ...]) -> Counts:
    """Hits and totals summed over references: ROUGE-1.5.5's model average (-f A)."""
    return Counts(*(sum(column) for column in zip(*counts))) if counts else Counts(0, 0, 0)


def score(counts: Counts) -> Score:
    """P/R/F from counts with rouge-score's float formulas (bit-identical to its scores)."""
    precision = counts.hits / counts.prediction_total if counts.prediction_total else 0.0
    recall = counts.hits / counts.reference_total if counts.reference_total else 0.0
    return Score(precision=precision, recall=recall, fmeasure=fmeasure(precision, recall))
