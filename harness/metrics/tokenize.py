"""Every tokenizer of the harness: for ROUGE, rouge-score's own rule made fast and a
Unicode-aware one; for the summary statistics, `punctuated_tokens` (punctuation kept, as HELM's
coverage and density need) and `word_tokens`. All share one CJK rule (`is_cjk_code`).

Both have the `tokenize(text) -> list[str]` method that rouge-score's `RougeScorer(tokenizer=...)`
accepts, so either can be handed to the real package as well as to our scorer.

- `DefaultTokenizer` gives exactly the tokens of rouge-score's `tokenizers.DefaultTokenizer`
  (lower-case, every character outside [a-z0-9] is a separator, Porter stemming of words longer
  than 3 characters, then drop anything that is not [a-z0-9]+). It differs only in speed: the
  Porter stemmer (nltk's, the one rouge-score uses) is a pure function of the word and dominates
  rouge-score's run time, so each distinct word is stemmed once and remembered.
- With `stemmer="rouge155"` (rouge155_stem.py) the default tokenizer is ROUGE-1.5.5.pl's `-m`
  token rule instead: ASCII-only lower-casing (tr/A-Z/a-z/; str.lower() also turns "İ" and the
  Kelvin sign into ASCII letters), the script's exception lists and Porter variant on words
  longer than 3 characters, and every stem kept (the script drops none).
- `UnicodeTokenizer` is for text that is not English. rouge-score's rule keeps only [a-z0-9],
  so Korean, Chinese, Russian... all tokenize to nothing and score 0. Here (after NFKC
  normalisation and lower-casing) a token is a run of letters, combining marks and digits of any
  script (Unicode categories L*, M*, N*); everything else separates. Chinese and Japanese are
  written without spaces, so every Han ideograph and every Hiragana/Katakana character is its
  own token (character-level ROUGE, the usual choice for them). Hangul is written with spaces
  between words, so a Hangul run stays one token, i.e. a Korean word with its particles attached
  ("회담을" and "회담이" do not match; there is no Korean morphological analysis). Stemming, when
  asked for (either stemmer), applies only to [a-z0-9] tokens longer than 3 characters, as in the
  default.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_ALPHANUM = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"^[a-z0-9]+$")


class _Stemmer:
    """nltk's PorterStemmer (rouge-score's choice) behind a per-word memo."""

    def __init__(self) -> None:
        from nltk.stem import porter

        self._porter = porter.PorterStemmer()
        self._memo: dict[str, str | None] = {}

    def token(self, word: str) -> str | None:
        """rouge-score's rule for one [a-z0-9]+ word: stem if longer than 3, None if invalid."""
        try:
            return self._memo[word]
        except KeyError:
            stem = self._porter.stem(word) if len(word) > 3 else word
            result = stem if _VALID.match(stem) else None
            self._memo[word] = result
            return result


STEMMERS = ("porter", "rouge155")
"""porter: rouge-score's (nltk); rouge155: ROUGE-1.5.5.pl -m (rouge155_stem.py)."""


def _make_stemmer(use_stemmer: bool, stemmer: str):
    if stemmer not in STEMMERS:
        raise ValueError(f"unknown stemmer {stemmer!r}; expected one of {list(STEMMERS)}")
    if not use_stemmer:
        return None
    if stemmer == "rouge155":
        from harness.metrics.rouge155_stem import Rouge155Stemmer

        return Rouge155Stemmer()
    return _Stemmer()


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class DefaultTokenizer:
    """rouge-score's DefaultTokenizer, token for token, with the stemmer memoised; with
    stemmer="rouge155", ROUGE-1.5.5.pl -m's tokens (module docstring)."""

    name = "default"

    def __init__(self, use_stemmer: bool = False, stemmer: str = "porter"):
        self.use_stemmer = use_stemmer
        self._stemmer = _make_stemmer(use_stemmer, stemmer)
        self._perl = use_stemmer and stemmer == "rouge155"

    def tokenize(self, text: str) -> list[str]:
        lower = text.translate(_ASCII_LOWER) if self._perl and not text.isascii() else text.lower()  # the same on ASCII, and faster
        words = _NON_ALPHANUM.sub(" ", lower).split()
        if self._stemmer is None:
            return words
        stem = self._stemmer.token
        return [t for t in map(stem, words) if t is not None]


def is_cjk_code(code: int) -> bool:
    """Han ideographs, Hiragana and Katakana: scripts written without spaces between words
    (also summary_stats.py's tokenizer)."""
    return (
        0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x31F0 <= code <= 0x31FF  # Katakana phonetic extensions
        or 0xFF66 <= code <= 0xFF9F  # half-width Katakana (NFKC maps most of them anyway)
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0x20000 <= code <= 0x3FFFF  # CJK extensions B and later
    )


@lru_cache(maxsize=65536)
def _kind(char: str) -> str:
    """'c' for a character that is a token by itself, 'w' for a word character, ' ' otherwise."""
    if is_cjk_code(ord(char)):
        return "c"
    return "w" if unicodedata.category(char)[0] in "LMN" else " "


class UnicodeTokenizer:
    """Letters, marks and digits of any script; one token per Han/Kana character (see module doc)."""

    name = "unicode"

    def __init__(self, use_stemmer: bool = False, stemmer: str = "porter"):
        self.use_stemmer = use_stemmer
        self._stemmer = _make_stemmer(use_stemmer, stemmer)

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        tokens: list[str] = []
        word: list[str] = []
        for char in text:
            kind = _kind(char)
            if kind == "w":
                word.append(char)
                continue
            if word:
                tokens.append("".join(word))
                word = []
            if kind == "c":
                tokens.append(char)
        if word:
            tokens.append("".join(word))
        if self._stemmer is not None:
            stem = self._stemmer.token
            tokens = [stem(t) or t if _VALID.match(t) else t for t in tokens]
        return tokens


TOKENIZERS = {"default": DefaultTokenizer, "unicode": UnicodeTokenizer}


@lru_cache(maxsize=None)
def get_tokenizer(name: str, use_stemmer: bool, stemmer: str = "porter"):
    """One shared instance per (name, use_stemmer, stemmer), so the stem memo is shared by every call."""
    try:
        tokenizer = TOKENIZERS[name]
    except KeyError:
        raise ValueError(f"unknown tokenizer {name!r}; expected one of {sorted(TOKENIZERS)}") from None
    return tokenizer(use_stemmer, stemmer)


# --- the summary statistics' tokens (metrics/summary_stats.py) ---------------------------------


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def _is_cjk_char(ch: str) -> bool:
    return is_cjk_code(ord(ch))


def punctuated_tokens(text: str) -> list[str]:
    """The summary statistics' tokens (HELM keeps punctuation for coverage and density),
    lower-cased: runs of letters/marks/digits, each Han/Kana character, and each other
    non-space character."""
    tokens: list[str] = []
    run: list[str] = []
    for ch in unicodedata.normalize("NFC", text).lower():
        if _is_word_char(ch) and not _is_cjk_char(ch):
            run.append(ch)
            continue
        if run:
            tokens.append("".join(run))
            run = []
        if not ch.isspace():
            tokens.append(ch)
    if run:
        tokens.append("".join(run))
    return tokens


def word_tokens(tokens: list[str]) -> list[str]:
    """The tokens that are words (start with a letter, mark or digit), punctuation dropped."""
    return [token for token in tokens if _is_word_char(token[0])]
