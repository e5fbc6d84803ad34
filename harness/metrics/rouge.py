"""ROUGE as rouge-score computes it (Google's Python port of ROUGE-1.5.5), with its options named.

`RougeOptions` holds every choice that changes a number, and `signature(options)` prints them on
one line (like sacreBLEU's signature), so a reported score says how it was made:

- rouge_types: rouge1..rouge9, rougeL (one LCS over the whole text), rougeLsum (summary-level
  LCS over sentences).
- use_stemmer: stem words longer than 3 characters (rouge-score's and ROUGE-1.5.5's rule).
- stemmer: which one use_stemmer turns on. "porter" is rouge-score's, nltk's Porter stemmer (the
  default; its numbers are NOT those of ROUGE-1.5.5 -m). "rouge155" is ROUGE-1.5.5.pl -m: WordNet
  2.0's exception lists, then the script's own Porter variant, on the script's tokens
  (rouge155_stem.py); with multi_reference="model_average", sentence_split="newline" and
  rouge155.py's averaging it reproduces `ROUGE-1.5.5.pl -m` number for number.
- sentence_split: what rougeLsum takes as sentences. rouge-score splits on newlines only, so
  "pysbd" first splits prediction and references with pysbd (sentences.py) and joins them with
  newlines; without that, rougeLsum silently equals rougeL on running text. "newline" takes the
  text's own lines, which is what published outputs with one sentence per line need (DUC,
  SummEval, rouge-score's test data).
- multi_reference: "max" is rouge-score's `score_multi`: per type, the reference with the best F
  (the first one on ties), and the trace names it. "model_average" is ROUGE-1.5.5's default
  (`-f A`): hits and totals are summed over all references, for every type including the LCS
  ones, so P = sum of hits / (prediction total x number of references).
- tokenizer: "default" is rouge-score's (only [a-z0-9] survive, so non-Latin text scores 0);
  "unicode" keeps letters and digits of every script (tokenize.py says how CJK is handled).

The numbers are computed from integer counts (rouge_counts.py) with rouge-score's formulas and a
faster but exact LCS (rouge_lcs.py); for one reference, or "max", they are bit-identical to
`rouge_score.rouge_scorer.RougeScorer` with the same tokenizer, which the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rouge_score.scoring import Score

from harness.metrics import rouge_counts
from harness.metrics.rouge_counts import Counts, Tokenized, check_rouge_type, pair_counts, tokenize_lines
from harness.metrics.sentences import split_sentences
from harness.metrics.tokenize import STEMMERS, get_tokenizer
from harness.versions import package_version

ALL_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
MULTI_REFERENCE = ("max", "model_average")
SENTENCE_SPLIT = ("pysbd", "newline")
TOKENIZER_VERSIONS = {"default": "default", "unicode": "unicode-1"}


@dataclass(frozen=True)
class RougeOptions:
    rouge_types: tuple[str, ...] = ALL_TYPES
    use_stemmer: bool = True
    multi_reference: str = "max"
    tokenizer: str = "default"
    sentence_split: str = "pysbd"
    stemmer: str = "porter"

    def __post_init__(self):
        if isinstance(self.rouge_types, str):
            raise TypeError("rouge_types must be a sequence of type names, not one string")
        object.__setattr__(self, "rouge_types", tuple(self.rouge_types))
        if not self.rouge_types:
            raise ValueError("rouge_types is empty")
        for rouge_type in self.rouge_types:
            check_rouge_type(rouge_type)
        for field, allowed in (
            ("multi_reference", MULTI_REFERENCE),
            ("tokenizer", tuple(TOKENIZER_VERSIONS)),
            ("sentence_split", SENTENCE_SPLIT),
            ("stemmer", STEMMERS),
        ):
            if getattr(self, field) not in allowed:
                raise ValueError(f"{field} must be one of {allowed}, not {getattr(self, field)!r}")


def _version(package: str) -> str:
    return package_version(package) or "unknown"  # not installed: say so rather than fail a report


@lru_cache(maxsize=32)
def signature(options: RougeOptions) -> str:
    """One line naming everything that changes the numbers, e.g.
    rouge:pkg=rouge-score-0.1.2|stem=porter-nltk-3.10.4|lsum=pysbd-0.3.4|multiref=max|tok=default
    (stem=rouge155-wn2.0-1 for ROUGE-1.5.5's -m; stem=none without stemming, whichever stemmer)."""
    stem = "none" if not options.use_stemmer else _stem_version(options.stemmer)
    lsum = f"pysbd-{_version('pysbd')}" if options.sentence_split == "pysbd" else "newline"
    return (
        f"rouge:pkg=rouge-score-{_version('rouge-score')}|stem={stem}|lsum={lsum}"
        f"|multiref={options.multi_reference}|tok={TOKENIZER_VERSIONS[options.tokenizer]}"
    )


def _stem_version(stemmer: str) -> str:
    if stemmer == "rouge155":
        from harness.metrics.rouge155_stem import VERSION

        return VERSION
    return f"porter-nltk-{_version('nltk')}"


def _as_options(options, use_stemmer) -> RougeOptions:
    """RougeOptions, or the older call style `rouge(pred, refs, rouge_types, use_stemmer)`."""
    if isinstance(options, RougeOptions):
        if use_stemmer is not None:
            raise TypeError("use_stemmer goes inside RougeOptions")
        return options
    if options is None:
        return RougeOptions() if use_stemmer is None else RougeOptions(use_stemmer=use_stemmer)
    return RougeOptions(rouge_types=tuple(options), use_stemmer=True if use_stemmer is None else use_stemmer)


def tokenize_text(text: str, options: RougeOptions) -> Tokenized:
    """The text's tokens, by sentence as rougeLsum will see them."""
    tokenizer = get_tokenizer(options.tokenizer, options.use_stemmer, options.stemmer)
    if options.sentence_split == "pysbd" and "rougeLsum" in options.rouge_types:
        text = "\n".join(split_sentences(text))
    return tokenize_lines(text, tokenizer)


def counts_of(prediction: Tokenized, references: Sequence[Tokenized], options: RougeOptions) -> dict[str, list[Counts]]:
    return {t: [pair_counts(t, reference, prediction) for reference in references] for t in options.rouge_types}


def combine(per_reference: dict[str, list[Counts]], options: RougeOptions) -> tuple[dict[str, Score], dict]:
    """One Score per type from per-reference counts, by the options' multi-reference rule."""
    scores: dict[str, Score] = {}
    if options.multi_reference == "model_average":
        for rouge_type, counts in per_reference.items():
            scores[rouge_type] = rouge_counts.score(rouge_counts.add(counts))
        return scores, {"multi_reference": "model_average"}
    best: dict[str, int] = {}
    for rouge_type, counts in per_reference.items():
        candidates = [rouge_counts.score(c) for c in counts]
        index = max(range(len(candidates)), key=lambda i: candidates[i].fmeasure)  # first max, as np.argmax
        scores[rouge_type] = candidates[index]
        best[rouge_type] = index
    return scores, {"multi_reference": "max", "best_reference": best}


def _check(references: Sequence[str]) -> None:
    if isinstance(references, str):
        raise TypeError("references must be a list of strings, not one string")
    if not references:
        raise ValueError("rouge needs at least one reference")


def rouge_counts_per_reference(
    prediction: str, references: Sequence[str], options: RougeOptions = RougeOptions()
) -> dict[str, list[Counts]]:
    """Hits and totals per type, one Counts per reference (for ROUGE-1.5.5 style rounding)."""
    _check(references)
    pred = tokenize_text(prediction, options)
    return counts_of(pred, [tokenize_text(r, options) for r in references], options)


def rouge_prf(
    prediction: str, references: Sequence[str], options: RougeOptions = RougeOptions()
) -> tuple[dict[str, Score], dict]:
    """Precision, recall and F per type (rouge-score's Score tuples), and the trace."""
    return combine(rouge_counts_per_reference(prediction, references, options), options)


def rouge(prediction: str, references: Sequence[str], options=None, use_stemmer: bool | None = None):
    """F-measure per type and a trace; `trace["best_reference"]` maps type -> reference index
    for "max". `options` is a RougeOptions; the older form `rouge(pred, refs, rouge_types,
    use_stemmer)` still works and means RougeOptions(rouge_types, use_stemmer)."""
    scores, trace = rouge_prf(prediction, references, _as_options(options, use_stemmer))
    return {t: s.fmeasure for t, s in scores.items()}, trace
