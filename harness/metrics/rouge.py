"""ROUGE with Google's rouge-score package, the reference Python port of ROUGE-1.5.5.

- rouge1, rouge2, rougeL: rouge-score as is.
- rougeLsum: summary-level LCS over sentences. rouge-score splits on newlines only, so both the
  prediction and the reference are first split into sentences (see sentences.py) and joined with
  newlines; without that step rougeLsum silently equals rougeL.
- Several references: each metric takes the best F over the references (rouge-score's
  `score_multi` rule), and the trace names the reference that gave it.
Reported values are F-measures in [0, 1].
"""

from __future__ import annotations

from functools import lru_cache

from harness.metrics.sentences import split_sentences


@lru_cache(maxsize=8)
def _scorer(rouge_types: tuple[str, ...], use_stemmer: bool):
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(rouge_types), use_stemmer=use_stemmer)


def _prepare(text: str, rouge_types: tuple[str, ...]) -> str:
    if "rougeLsum" in rouge_types:
        return "\n".join(split_sentences(text))
    return text


def rouge(prediction: str, references: list[str], rouge_types: tuple[str, ...], use_stemmer: bool = True):
    """Best F per metric over the references; returns (scores, trace)."""
    if not references:
        raise ValueError("rouge needs at least one reference")
    scorer = _scorer(tuple(rouge_types), use_stemmer)
    prediction = _prepare(prediction, rouge_types)
    per_reference = [scorer.score(_prepare(ref, rouge_types), prediction) for ref in references]
    scores, best = {}, {}
    for rouge_type in rouge_types:
        index = max(range(len(references)), key=lambda i: per_reference[i][rouge_type].fmeasure)
        scores[rouge_type] = per_reference[index][rouge_type].fmeasure
        best[rouge_type] = index
    return scores, {"best_reference": best}
