"""spaCy's English tokens, as HELM feeds them to coverage and density (metrics/summary_stats.py).

What HELM does, followed exactly. stanford-crfm/helm src/helm/benchmark/metrics/
summarization_metrics.py passes the stripped completion and the unstripped input to SummEval's
`DataStatsMetric().evaluate_example(summary, text)` (Yale-LILY/SummEval evaluation/summ_eval/
data_stats_metric.py, the same in the summ-eval 0.892 wheel HELM installs), which tokenizes each
with `[tok.text for tok in spacy.load("en_core_web_sm")(text, disable=[...])]` and hands the
lists to Newsroom's `Fragments(..., case=False)`, which lower-cases each token with
`str(t).lower()`. So the tokens here are `token.text.lower()` of spaCy's tokenizer run on the
text as it is: whitespace other than a single space stays as tokens of its own ("\\n", "\\n\\n",
a second space), "don't" is do + n't, "U.S." and "a.m." and "3.5" and "10:30" are one token
each, and there is no Unicode normalisation (the builtin tokenizer applies NFC; HELM does not).

Why `spacy.blank("en")` and not en_core_web_sm: a trained pipeline's tokenizer is spaCy's
English tokenizer with the rules serialised when the pipeline was packaged, and none of its
components (tok2vec, tagger, parser, attribute_ruler, lemmatizer, ner) retokenizes. Checked: the
serialised tokenizer of en_core_web_sm 3.8.0 (its `tokenizer` file: exceptions, prefix, suffix
and infix patterns, token_match, url_match) equals `spacy.blank("en").tokenizer` of spaCy 3.8.18
field for field, and spaCy 3.5.4's (HELM pins spacy~=3.5.3) equals 3.8.18's. blank("en") needs no
model download. spaCy 2.x split hyphens differently ("28-year-old" was 28-year - old, now
28 - year - old), which is why SummEval's own expected values, computed in 2020 with spaCy 2.2,
differ from what HELM computes today (tests/metrics/test_summary_stats_spacy.py reproduces both).

The tokenizer is called directly, not through `nlp(text)`, so a text over spaCy's
`max_length` (1,000,000 characters, where HELM would raise) is tokenized rather than refused.
Loading spaCy takes about 2 s, so the tokenizer is built once per process and only when asked.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache

from harness.errors import HarnessError

INSTALL_HINT = "pip install 'harness[spacy]' (or pip install spacy)"


def spacy_available() -> bool:
    """Whether spaCy can be imported, without importing it (that takes seconds)."""
    return importlib.util.find_spec("spacy") is not None


def spacy_version() -> str:
    return importlib.metadata.version("spacy")


@cache
def _tokenizer():
    try:
        import spacy
    except ImportError as exc:
        raise HarnessError(f"scoring.summary_stats.tokenizer: spacy cannot be imported ({exc}); {INSTALL_HINT}, or set tokenizer: builtin") from None
    return spacy.blank("en").tokenizer


def spacy_tokens(text: str) -> list[str]:
    """The lower-cased texts of spaCy's English tokens of `text`, whitespace tokens included."""
    return [token.text.lower() for token in _tokenizer()(text)]
