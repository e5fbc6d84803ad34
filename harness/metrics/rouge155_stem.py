"""ROUGE-1.5.5.pl's `-m` stemming, ported line for line (the `rouge155` stemmer).

rouge-score's stemmer is nltk's Porter stemmer in its "NLTK extensions" mode. The Perl script's
`-m` does something else (sub MorphStem and sub stem in ROUGE-1.5.5.pl):

1. A token longer than 3 characters is first looked up in WordNet-2.0.exc.db, WordNet 2.0's
   morphological exception lists (an irregular form -> its first lemma: children -> child,
   went -> go, leaves -> leaf, best -> well). A hit is the token, unstemmed; "comics" becomes
   "comic_strip", one token. The lists ship here as data/wordnet2_exc.tsv.xz (licence beside
   it), converted from the db by tests/tools/wordnet_exceptions.py, which says how the db's
   build order decides "best", "better" and "testes".
2. Otherwise the script's own Porter stemmer: Martin Porter's 1980 rules as in his reference
   Perl implementation ("Release 1"), with Chin-Yew Lin's change of 2004-02-14 to step 4: -ment
   and -ent left the list of suffixes (which gained -ement) and became rules of their own, tried
   one after the other on what the previous rule left, so "agreement" keeps "ment" (too short a
   stem) but then loses "ent": agreem. nltk keeps Porter's step 4 and adds extensions of its own,
   so agreement, news, dies, skies, proceed, flying, hopefully give agreem, new, di, ski, proce,
   fly, hopefulli here and agreement, news, die, sky, proceed, fli, hope in nltk.

Tokens of 3 characters or fewer are kept as they are, as in both scripts. The script lower-cases
with tr/A-Z/a-z/ (ASCII only) where rouge-score calls str.lower(); the two differ only on "İ"
(U+0130) and the Kelvin sign (U+212A), whose lower case is ASCII in Python, so the default
tokenizer takes the script's rule together with this stemmer (tokenize.py).
"""

from __future__ import annotations

import lzma
import re
from functools import lru_cache
from pathlib import Path

EXCEPTIONS_FILE = Path(__file__).resolve().parent / "data" / "wordnet2_exc.tsv.xz"
VERSION = "rouge155-wn2.0-1"
"""Named in the scorer signature; bump it when the table or the rules change."""


@lru_cache(maxsize=1)
def exceptions() -> dict[str, str]:
    """WordNet-2.0.exc.db as a dict: inflected form -> lemma (5,930 entries)."""
    text = lzma.decompress(EXCEPTIONS_FILE.read_bytes()).decode("ascii")
    return dict(line.split("\t") for line in text.split("\n") if line)


# The regular expressions of sub initialise, verbatim. Python's re and Perl agree on all of them:
# ASCII classes, greedy quantifiers, leftmost match, and "$" at the end (tokens hold no newline).
_c = "[^aeiou]"  # consonant
_v = "[aeiouy]"  # vowel
_C = f"{_c}[^aeiouy]*"  # consonant sequence
_V = f"{_v}[aeiou]*"  # vowel sequence
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")  # [C]VC... is m>0
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?$")  # [C]VC[V] is m=1
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")  # [C]VCVC... is m>1
_VOWEL_IN_STEM = re.compile(f"^({_C})?{_v}")
_CVC = re.compile(f"^{_C}{_v}[^aeiouwxy]$")

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble", "alli": "al",
    "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate", "ator": "ate", "alism": "al",
    "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble", "logi": "log",
}  # fmt: skip
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}

_SSES_IES = re.compile(r"(ss|i)es$")
_S = re.compile(r"([^s])s$")
_EED = re.compile(r"eed$")
_ED_ING = re.compile(r"(ed|ing)$")
_AT_BL_IZ = re.compile(r"(at|bl|iz)$")
_DOUBLE = re.compile(r"([^aeiouylsz])\1$")
_Y = re.compile(r"y$")
# Perl tries the alternatives in the order written; so does Python's re, hence the same match.
_STEP2_SUFFIX = re.compile(
    r"(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$"
)
_STEP3_SUFFIX = re.compile(r"(icate|ative|alize|iciti|ical|ful|ness)$")
_STEP4_SUFFIX = re.compile(r"(al|ance|ence|er|ic|able|ible|ant|ement|ou|ism|ate|iti|ous|ive|ize)$")
_MENT = re.compile(r"ment$")
_ENT = re.compile(r"ent$")
_SION_TION = re.compile(r"(s|t)(ion)$")
_E = re.compile(r"e$")
_LL = re.compile(r"ll$")


def porter_stem(word: str) -> str:
    """sub stem of ROUGE-1.5.5.pl (`$\\`` is `word[:match.start()]`)."""
    if len(word) < 3:
        return word
    first = word[0]
    w = "Y" + word[1:] if first == "y" else word  # an initial y is a consonant: ucfirst

    # Step 1a
    if m := _SSES_IES.search(w):
        w = w[: m.start()] + m.group(1)
    elif m := _S.search(w):
        w = w[: m.start()] + m.group(1)
    # Step 1b
    if m := _EED.search(w):
        if _MGR0.search(w[: m.start()]):
            w = w[:-1]
    elif m := _ED_ING.search(w):
        stem = w[: m.start()]
        if _VOWEL_IN_STEM.search(stem):
            w = stem
            if _AT_BL_IZ.search(w):
                w += "e"
            elif _DOUBLE.search(w):
                w = w[:-1]
            elif _CVC.search(w):
                w += "e"
    # Step 1c
    if m := _Y.search(w):
        stem = w[: m.start()]
        if _VOWEL_IN_STEM.search(stem):
            w = stem + "i"
    # Step 2
    if m := _STEP2_SUFFIX.search(w):
        stem = w[: m.start()]
        if _MGR0.search(stem):
            w = stem + _STEP2[m.group(1)]
    # Step 3
    if m := _STEP3_SUFFIX.search(w):
        stem = w[: m.start()]
        if _MGR0.search(stem):
            w = stem + _STEP3[m.group(1)]
    # Step 4, with the 2004 change: -ement is in the first list; -ment and -ent are tried after it,
    # each on the word as the previous rule left it
    if m := _STEP4_SUFFIX.search(w):
        stem = w[: m.start()]
        if _MGR1.search(stem):
            w = stem
    if m := _MENT.search(w):
        stem = w[: m.start()]
        if _MGR1.search(stem):
            w = stem
    if m := _ENT.search(w):
        stem = w[: m.start()]
        if _MGR1.search(stem):
            w = stem
    elif m := _SION_TION.search(w):
        stem = w[: m.start()] + m.group(1)
        if _MGR1.search(stem):
            w = stem
    # Step 5
    if m := _E.search(w):
        stem = w[: m.start()]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _CVC.search(stem)):
            w = stem
    if _LL.search(w) and _MGR1.search(w):
        w = w[:-1]
    if first == "y":  # lcfirst
        w = w[:1].lower() + w[1:]
    return w


def morph_stem(token: str) -> str:
    """sub MorphStem: the exception list's lemma, else the Porter stem (of a lower-case token)."""
    lemma = exceptions().get(token)
    return lemma if lemma is not None else porter_stem(token)


class Rouge155Stemmer:
    """ROUGE-1.5.5 -m for one token, behind a per-word memo; the same `token(word)` interface as
    tokenize.py's Porter stemmer, but it never drops a token (the script keeps whatever
    MorphStem returns, "comic_strip" included)."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}

    def token(self, word: str) -> str:
        try:
            return self._memo[word]
        except KeyError:
            stem = morph_stem(word) if len(word) > 3 else word
            self._memo[word] = stem
            return stem
