"""Reference-free statistics of a summary against its article: length, compression, how
abstractive it is (novel n-grams), degenerate loops (repeated n-grams), and the extractive
fragment coverage and density of Grusky et al. 2018 (Newsroom).

Why: ROUGE says how close a summary is to the references, not how it got there. A model that
copies the lead, one that paraphrases, and one stuck in a loop can get similar ROUGE; these
numbers tell them apart.

Source followed. HELM reports coverage, density and compression from
stanford-crfm/helm src/helm/benchmark/metrics/summarization_metrics.py
(`SummarizationMetric._compute_data_stats`), which calls SummEval's `DataStatsMetric()` with
its defaults (Yale-LILY/SummEval evaluation/summ_eval/data_stats_metric.py: spaCy
en_core_web_sm tokens, `case=False`, i.e. lower-cased), whose `Fragments` class
(evaluation/summ_eval/data_stats_utils.py) is copied from lil-lab/newsroom
newsroom/analyze/fragments.py. `_newsroom_fragments` below is a line-for-line port of
`Fragments._match`, quirk included: after a match the article scan resumes at the match's end
(`b_start = b_end`), so a longer match that starts inside an earlier, shorter one is not
found (see the test). Coverage = sum of fragment lengths / summary tokens; density = sum of
squared fragment lengths / summary tokens (the average length of the copied fragment a
summary token belongs to); both 0 for an empty summary, as there.

Tokenization for coverage and density: a setting, `scoring: {summary_stats: {tokenizer: ...}}`
(`SummaryStatsOptions`), recorded in report.json `scoring.summary_stats`:
- `spacy`: spaCy's English tokenizer, token for token what HELM feeds Newsroom's fragments
  (harness/metrics/spacy_tokens.py says exactly what and why): HELM's numbers, for English.
  Needs the optional spaCy (`pip install 'harness[spacy]'`).
- `builtin`: the harness's own tokens below, no extra dependency, every script.
- `auto` (the default): `spacy` when spaCy is installed, else `builtin`.
On English prose the two give close but not equal numbers: spaCy keeps "\\n" and "\\n\\n" as
tokens and splits contractions, times, abbreviations and numbers its own way. Measured on the
seed article (references/korea.yaml) against its three references and the three summaries of
baselines/default: coverage within 0.004, density within 1.1 (SmolLM2 21.1 builtin, 22.1
spaCy), except Lead-3: 95.0 builtin, 37.8 spaCy, because Lead-k joins the article's paragraphs
with spaces and the article's "\\n\\n" tokens end a copied fragment at every paragraph. For
Chinese or Japanese use `builtin`: spaCy's English rules make a whole clause one token.

The builtin tokens (also the words of every other statistic, whichever tokenizer ran for
coverage and density). Text is NFC-normalised and lower-cased; a token is
- a maximal run of letters, marks and digits (Unicode categories L*, M*, N*), so accented
  Latin, Cyrillic, Greek, Devanagari, Hangul words... stay whole;
- a single Han ideograph or Hiragana/Katakana character: these scripts are written without
  spaces, so a run would be a whole clause that never matches (harness/metrics/tokenize.py's
  UnicodeTokenizer makes the same choice for ROUGE);
- a single other non-space character (punctuation, symbols).
Against spaCy: contractions ("don't": spaCy do + n't, here don + ' + t), decimal numbers
("3.5": one spaCy token, three here), times, abbreviations ("U.S.") and URLs differ, and
whitespace never makes a token here.

Which tokens count where:
- coverage, density: all tokens, punctuation included, as HELM does (so "." shared with the
  article counts as a one-token copied fragment); with spaCy, its whitespace tokens too.
- words, compression, novel_*, repeated_*: word tokens only (punctuation dropped; for Chinese
  and Japanese a "word" is a character). HELM reports neither novel nor repeated n-grams;
  SummEval computes them over raw, case-sensitive spaCy tokens with punctuation, where every
  "." counts as a non-novel, repeated unigram and would dilute both measures.
- compression = article words / summary words (HELM: tokens incl. punctuation, and 0 when the
  summary is empty; here None).
- novel_n: share of the summary's DISTINCT n-grams that do not occur in the article (a set, as
  SummEval's `percentage_novel_{n}-gram`).
- repeated_n: share of the summary's n-gram OCCURRENCES that repeat an earlier n-gram of the
  summary (a multiset: "the the the the" -> 3/4). SummEval's `percentage_repeated` counts
  distinct n-grams seen more than once over distinct n-grams, which gives 1.0 both for
  "the the the the" and for "a b a b"; counting occurrences grows with the length of a loop.

Undefined values are None, never 0: compression for an empty summary, novel_n and
repeated_n when the summary has fewer than n words.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from harness.metrics.spacy_tokens import INSTALL_HINT, spacy_available, spacy_tokens, spacy_version
from harness.metrics.tokenize import punctuated_tokens as tokenize
from harness.metrics.tokenize import word_tokens
from harness.strict import Strict

NGRAM_ORDERS = (1, 2, 3)
SUMMARY_STAT_KEYS = (
    "words",
    "compression",
    *(f"novel_{n}gram" for n in NGRAM_ORDERS),
    *(f"repeated_{n}gram" for n in NGRAM_ORDERS),
    "coverage",
    "density",
)
FragmentTokenizer = Literal["spacy", "builtin"]


class SummaryStatsOptions(Strict):
    """`scoring: {summary_stats: {...}}` in a run config."""

    tokenizer: Literal["auto", "spacy", "builtin"] = "auto"
    """Tokens for coverage and density: spacy (HELM's: spaCy's English tokenizer; needs
    `harness[spacy]`), builtin (the harness's own, every script), auto (spacy when installed)."""

    @field_validator("tokenizer")
    @classmethod
    def _spacy_installed(cls, value: str) -> str:
        if value == "spacy" and not spacy_available():
            raise ValueError(f"spacy is not installed; {INSTALL_HINT}, or set tokenizer: auto or builtin")
        return value


def _options(scoring) -> SummaryStatsOptions:
    # a run's Scoring always has the block (config.py); settings made without it mean auto
    return getattr(scoring, "summary_stats", None) or SummaryStatsOptions()


def fragment_tokenizer(scoring) -> FragmentTokenizer:
    """The tokenizer that runs for coverage and density under a run's `scoring:` settings,
    "auto" resolved (the scores and report.json's record both ask here)."""
    setting = _options(scoring).tokenizer
    if setting == "spacy" or (setting == "auto" and spacy_available()):
        return "spacy"
    return "builtin"


def describe(scoring) -> dict[str, str]:
    """report.json `scoring.summary_stats`: the setting, the tokenizer that ran (spaCy's version
    with it: its rules decide the tokens) and what that means."""
    if fragment_tokenizer(scoring) == "spacy":
        tokenizer = f"spacy-{spacy_version()}-en"
        how = ("spaCy's English tokenizer (spacy.blank('en'), the tokenizer of HELM's en_core_web_sm), lower-cased, "
               "whitespace tokens kept: HELM's coverage and density")
    else:
        tokenizer = "builtin"
        how = "the harness's Unicode tokens (NFC, lower-cased, punctuation kept): close to HELM's on English, not equal"
    return {
        "setting": _options(scoring).tokenizer,
        "tokenizer": tokenizer,
        "description": f"coverage, density: Newsroom fragments (Grusky et al. 2018) over {how}; "
                       "words, compression, novel and repeated n-grams: the harness's Unicode word tokens",
    }


def _newsroom_fragments(summary: list[str], article: list[str]) -> list[tuple[int, int, int]]:
    """Greedy extractive fragments as (summary start, article start, length).

    Port of Newsroom's `Fragments._match`: from each summary position take the longest match
    found while scanning the article left to right (the scan jumps past each match), then
    continue after it in the summary; a token with no match is skipped.
    """
    matches = []
    a_start = 0
    while a_start < len(summary):
        best, best_length = None, 0
        b_start = 0
        while b_start < len(article):
            if summary[a_start] == article[b_start]:
                a_end, b_end = a_start, b_start
                while a_end < len(summary) and b_end < len(article) and article[b_end] == summary[a_end]:
                    a_end += 1
                    b_end += 1
                length = a_end - a_start
                if length > best_length:
                    best, best_length = (a_start, b_start, length), length
                b_start = b_end
            else:
                b_start += 1
        if best is not None:
            matches.append(best)
            a_start += best_length
        else:
            a_start += 1
    return matches


def _ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def _novel_share(summary_ngrams: list[tuple], article_ngrams: set) -> float | None:
    distinct = set(summary_ngrams)
    if not distinct:
        return None
    return len(distinct - article_ngrams) / len(distinct)


def _repeated_share(summary_ngrams: list[tuple]) -> float | None:
    if not summary_ngrams:
        return None
    repeats = len(summary_ngrams) - len(set(summary_ngrams))  # occurrences after the first
    return repeats / len(summary_ngrams)


def fragment_statistics(summary_tokens: list[str], article_tokens: list[str]) -> tuple[float, float]:
    """(coverage, density) of Newsroom's fragments of already normalised tokens."""
    lengths = [length for _, _, length in _newsroom_fragments(summary_tokens, article_tokens)]
    size = len(summary_tokens)
    if not size:
        return 0.0, 0.0
    return sum(lengths) / size, sum(length * length for length in lengths) / size


def summary_statistics(summary: str, article: str, tokenizer: FragmentTokenizer = "builtin") -> dict[str, float | None]:
    """The statistics of SUMMARY_STAT_KEYS, in that order; see the module docstring.
    `tokenizer` is the one for coverage and density (`fragment_tokenizer(scoring)`).

    words is an int; coverage in [0, 1]; density in [0, summary tokens]; novel_* and
    repeated_* in [0, 1] or None; compression > 0, 0.0 for an empty article, None for a
    summary without words.
    """
    summary_tokens, article_tokens = tokenize(summary), tokenize(article)
    summary_words, article_words = word_tokens(summary_tokens), word_tokens(article_tokens)

    stats: dict[str, float | None] = {
        "words": len(summary_words),
        "compression": len(article_words) / len(summary_words) if summary_words else None,
    }
    for n in NGRAM_ORDERS:
        stats[f"novel_{n}gram"] = _novel_share(_ngrams(summary_words, n), set(_ngrams(article_words, n)))
    for n in NGRAM_ORDERS:
        stats[f"repeated_{n}gram"] = _repeated_share(_ngrams(summary_words, n))

    if tokenizer == "spacy":
        summary_tokens, article_tokens = spacy_tokens(summary), spacy_tokens(article)
    stats["coverage"], stats["density"] = fragment_statistics(summary_tokens, article_tokens)
    return stats
