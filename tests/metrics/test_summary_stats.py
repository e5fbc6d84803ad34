import sys

import pytest
from pydantic import ValidationError

from harness.config import Scoring
from harness.errors import HarnessError
from harness.metrics import spacy_tokens
from harness.metrics.summary_stats import (
    SUMMARY_STAT_KEYS,
    SummaryStatsOptions,
    _newsroom_fragments,
    describe,
    fragment_tokenizer,
    summary_statistics,
    tokenize,
    word_tokens,
)

ARTICLE = "The quick brown fox jumps over the lazy dog. It was sunny."


def test_keys_in_documented_order():
    assert tuple(summary_statistics("a fox", ARTICLE)) == SUMMARY_STAT_KEYS
    assert SUMMARY_STAT_KEYS == (
        "words", "compression",
        "novel_1gram", "novel_2gram", "novel_3gram",
        "repeated_1gram", "repeated_2gram", "repeated_3gram",
        "coverage", "density",
    )


def test_tokenize_lower_cases_and_splits_punctuation_off():
    assert tokenize("The dog. It's  sunny!") == ["the", "dog", ".", "it", "'", "s", "sunny", "!"]
    assert word_tokens(tokenize("The dog. It's")) == ["the", "dog", "it", "s"]


def test_tokenize_is_unicode_aware():
    # accents and combining marks stay inside words; decomposed é matches precomposed é (NFC)
    assert tokenize("Le CAFÉ était fermé") == ["le", "café", "était", "fermé"]
    assert tokenize("cafe\u0301") == ["caf\u00e9"]
    assert tokenize("हिन्दी भाषा, русский") == ["हिन्दी", "भाषा", ",", "русский"]
    # Han and Kana are written without spaces: one token per character; Hangul words stay whole
    assert tokenize("会谈在新加坡。") == ["会", "谈", "在", "新", "加", "坡", "。"]
    assert tokenize("カタカナabc") == ["カ", "タ", "カ", "ナ", "abc"]
    assert tokenize("한미일 회담") == ["한미일", "회담"]


def test_chinese_summary_gets_meaningful_fragments():
    # summary 新加坡会谈 (5 characters): fragments 新加坡 (3) and 会谈 (2) of the article
    stats = summary_statistics("新加坡会谈", "会谈在新加坡举行。")
    assert stats["words"] == 5
    assert stats["coverage"] == 1.0 and stats["density"] == (3**2 + 2**2) / 5


def test_verbatim_copy():
    summary = "The quick brown fox jumps over the lazy dog."
    stats = summary_statistics(summary, ARTICLE)
    # 9 words (10 tokens with the "."), all one fragment of the article
    assert stats["words"] == 9
    assert stats["compression"] == 12 / 9
    assert stats["novel_1gram"] == stats["novel_2gram"] == stats["novel_3gram"] == 0.0
    assert stats["coverage"] == 1.0
    assert stats["density"] == 10.0  # its length in tokens: one fragment of 10, 10**2 / 10
    # "the" occurs twice: the second is a repeat; no bigram or trigram repeats
    assert stats["repeated_1gram"] == 1 / 9
    assert stats["repeated_2gram"] == 0.0 and stats["repeated_3gram"] == 0.0


def test_fragments_by_hand():
    # summary tokens: the cat sat on a zebra (6); fragments "the cat sat" (3) and "on a" (2)
    stats = summary_statistics("the cat sat on a zebra", "the cat sat quietly on a mat")
    assert stats["coverage"] == 5 / 6
    assert stats["density"] == (3**2 + 2**2) / 6
    assert stats["compression"] == 7 / 6
    # distinct: unigrams 6 (zebra novel), bigrams 5 (sat-on, a-zebra novel), trigrams 4
    # (cat-sat-on, sat-on-a, on-a-zebra novel)
    assert stats["novel_1gram"] == 1 / 6
    assert stats["novel_2gram"] == 2 / 5
    assert stats["novel_3gram"] == 3 / 4


def test_no_words_from_the_article():
    stats = summary_statistics("zebras fly", "the cat sat")
    assert stats["coverage"] == 0.0 and stats["density"] == 0.0
    assert stats["novel_1gram"] == 1.0 and stats["novel_2gram"] == 1.0
    assert stats["novel_3gram"] is None  # two words have no trigram


def test_punctuation_counts_in_coverage_as_in_helm():
    # HELM's spaCy tokens include "."; it is shared with the article, a 1-token fragment
    stats = summary_statistics("Zebras fly.", "The cat sat.")
    assert stats["coverage"] == 1 / 3 and stats["density"] == 1 / 3
    assert stats["words"] == 2 and stats["novel_1gram"] == 1.0


def test_lower_casing():
    stats = summary_statistics("THE CAT", "the cat sat")
    assert stats["coverage"] == 1.0 and stats["novel_1gram"] == 0.0


def test_novel_ngrams_count_distinct_ngrams():
    # summary distinct unigrams {cat, zebra}; zebra novel -> 1/2 however often it repeats
    assert summary_statistics("cat zebra zebra zebra", "the cat")["novel_1gram"] == 0.5


def test_repeated_ngrams_count_occurrences():
    stats = summary_statistics("the the the the", ARTICLE)
    assert stats["repeated_1gram"] == 3 / 4
    assert stats["repeated_2gram"] == 2 / 3
    assert stats["repeated_3gram"] == 1 / 2
    loop = summary_statistics("a b a b", "")
    assert loop["repeated_1gram"] == 2 / 4
    assert loop["repeated_2gram"] == 1 / 3  # (a b) (b a) (a b)


def test_empty_summary_is_well_defined():
    stats = summary_statistics("", ARTICLE)
    assert stats == {
        "words": 0,
        "compression": None,
        "novel_1gram": None, "novel_2gram": None, "novel_3gram": None,
        "repeated_1gram": None, "repeated_2gram": None, "repeated_3gram": None,
        "coverage": 0.0,
        "density": 0.0,
    }


def test_punctuation_only_summary_and_empty_article():
    stats = summary_statistics("...", ARTICLE)
    assert stats["words"] == 0 and stats["compression"] is None
    # three "." tokens; the article has "." twice but the scan matches each summary "." alone
    assert stats["coverage"] == 1.0 and stats["density"] == 1.0
    empty_article = summary_statistics("a fox", "")
    assert empty_article["compression"] == 0.0 and empty_article["coverage"] == 0.0
    assert empty_article["novel_1gram"] == 1.0


def test_newsroom_scan_skips_matches_that_start_inside_an_earlier_one():
    # Newsroom/SummEval resume the article scan at the end of each match (b_start = b_end):
    # from summary position 0 the scan finds "x x" at 0 and then jumps to article position 2,
    # so the longer "x x y" at position 1 is never tried. Fragments: "x x" then "y".
    assert _newsroom_fragments(["x", "x", "y"], ["x", "x", "x", "y"]) == [(0, 0, 2), (2, 3, 1)]
    stats = summary_statistics("x x y", "x x x y")
    assert stats["coverage"] == 1.0
    assert stats["density"] == pytest.approx((2**2 + 1**2) / 3)  # not 3, as a full search gives


def test_fragments_take_the_longest_match_and_continue_after_it():
    summary = ["a", "b", "c", "d"]
    article = ["a", "b", "z", "a", "b", "c", "q", "d"]
    assert _newsroom_fragments(summary, article) == [(0, 3, 3), (3, 7, 1)]
    assert _newsroom_fragments([], article) == []
    assert _newsroom_fragments(summary, []) == []


# --- which tokenizer runs for coverage and density (spaCy's own path: test_summary_stats_spacy.py) ---


class _Settings:
    """A run's `scoring:` as the score function sees it, with a `summary_stats` block."""

    def __init__(self, tokenizer: str):
        self.summary_stats = SummaryStatsOptions(tokenizer=tokenizer)


@pytest.fixture
def without_spacy(monkeypatch):
    """spaCy made unimportable the way Python itself allows (a None entry in sys.modules: both
    `import spacy` and importlib's find_spec then fail), and the cached tokenizer dropped."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    spacy_tokens._tokenizer.cache_clear()
    yield
    spacy_tokens._tokenizer.cache_clear()


def test_tokenizer_setting_values():
    assert SummaryStatsOptions().tokenizer == "auto"
    assert fragment_tokenizer(_Settings("builtin")) == "builtin"
    with pytest.raises(ValidationError, match="'auto', 'spacy' or 'builtin'"):
        SummaryStatsOptions(tokenizer="nltk")
    with pytest.raises(ValidationError, match="Extra inputs"):
        SummaryStatsOptions(tokenise="builtin")


def test_builtin_is_recorded_as_such():
    record = describe(_Settings("builtin"))
    assert record["setting"] == "builtin" and record["tokenizer"] == "builtin"
    assert "close to HELM's on English, not equal" in record["description"]


def test_auto_without_spacy_falls_back_to_builtin(without_spacy):
    assert fragment_tokenizer(_Settings("auto")) == "builtin"
    assert fragment_tokenizer(Scoring()) == "builtin"  # a run's default settings
    assert describe(_Settings("auto")) == {**describe(_Settings("builtin")), "setting": "auto"}


def test_spacy_asked_for_but_not_installed_is_one_line_naming_the_fix(without_spacy):
    with pytest.raises(ValidationError) as caught:
        SummaryStatsOptions(tokenizer="spacy")
    message = caught.value.errors()[0]["msg"]
    assert message == "Value error, spacy is not installed; pip install 'harness[spacy]' (or pip install spacy), or set tokenizer: auto or builtin"
    # past the config check (spaCy gone since): the scorer says the same, as a HarnessError
    with pytest.raises(HarnessError, match=r"^scoring.summary_stats.tokenizer: spacy cannot be imported .*pip install 'harness\[spacy\]'") as error:
        summary_statistics("a fox", ARTICLE, tokenizer="spacy")
    assert "\n" not in str(error.value)
