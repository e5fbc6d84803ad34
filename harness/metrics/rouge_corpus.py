"""ROUGE for a whole corpus at once: the same per-pair numbers as rouge.py, optionally on
several processes.

Scoring a test set of ~11,000 long summaries with plain rouge-score takes about a minute on two
cores; most of it is the Porter stemmer and the pure-Python LCS table. The per-pair code here is
rouge.py's (memoised stemmer, bit-parallel LCS, n-grams counted once per text), which is already
8-10 times faster on one process and gives bit-identical P/R/F (benchmarks/rouge_speed.py).
`processes` > 1 splits the corpus into contiguous chunks over a process pool; results keep the
input order. Each worker starts with an empty stem memo and stems much of the same vocabulary
again, so on a busy 2-core machine the pool gained nothing (CNN/DM: 3.9 s on 2 processes
against 3.5 s on 1); it is for more cores and larger corpora.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from rouge_score.scoring import Score

from harness.metrics.rouge import RougeOptions, combine, counts_of, tokenize_text


def _score_items(predictions: Sequence[str], references: Sequence[Sequence[str]], options: RougeOptions) -> list[dict[str, Score]]:
    results = []
    for prediction, refs in zip(predictions, references):
        if isinstance(refs, str) or not refs:
            raise ValueError("every item needs a non-empty list of references")
        pred = tokenize_text(prediction, options)
        scores, _ = combine(counts_of(pred, [tokenize_text(r, options) for r in refs], options), options)
        results.append(scores)
    return results


def _chunk(args):
    return _score_items(*args)


DEFAULT_OPTIONS = RougeOptions()


def score_corpus(
    predictions: Sequence[str],
    references_per_item: Sequence[Sequence[str]],
    options: RougeOptions = DEFAULT_OPTIONS,
    processes: int | None = 1,
) -> list[dict[str, Score]]:
    """Per item, {rouge type: Score(precision, recall, fmeasure)}, in input order.

    processes: 1 scores in this process; None uses every CPU; k > 1 uses a pool of k processes."""
    if len(predictions) != len(references_per_item):
        raise ValueError(f"{len(predictions)} predictions but {len(references_per_item)} reference lists")
    workers = (os.cpu_count() or 1) if processes is None else processes
    if workers < 1:
        raise ValueError("processes must be at least 1")
    if workers == 1 or len(predictions) < 2 * workers:
        return _score_items(predictions, references_per_item, options)
    n_chunks = workers * 4
    size = -(-len(predictions) // n_chunks)
    chunks = [
        (list(predictions[i : i + size]), [list(r) for r in references_per_item[i : i + size]], options)
        for i in range(0, len(predictions), size)
    ]
    results: list[dict[str, Score]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(_chunk, chunks):
            results.extend(part)
    return results
