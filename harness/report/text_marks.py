"""Marks on text for the reports: the word n-grams a summary shares with its reference
(highlights) and the words two outputs differ in (diffs).

Both return [(text, marked)] segments that together are exactly the input text; a renderer
escapes each piece on its own and wraps the marked ones (templates/_macros.html.j2), so no
model text is ever turned into markup here.
"""

from __future__ import annotations

import difflib
import re

HIGHLIGHT_N = 2
"""Summaries highlight the word n-grams (bigrams) they share with their best reference."""

# Tokenisation for highlighting only (not for scoring): a word is a maximal run of Unicode
# letters/digits/underscore (`\w+`), compared case-folded and unstemmed, so the marks fall on the
# literal words a reader sees. ROUGE's own tokenizer (metrics/tokenize.py) also stems and keeps
# only [a-z0-9], so a highlight can differ slightly from what ROUGE counted: "meets"/"meet"
# match for ROUGE (stemmed) but are not marked here. Punctuation never forms an n-gram, and
# n-grams may span a sentence boundary ("Singapore. The" is the bigram singapore the).
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]


def _ngrams(words: list[tuple[int, int, str]], n: int) -> set[tuple[str, ...]]:
    return {tuple(w[2] for w in words[i : i + n]) for i in range(len(words) - n + 1)}


def shared_ngram_segments(text: str, other: str, n: int = HIGHLIGHT_N) -> list[tuple[str, bool]]:
    """`text` cut into (piece, marked) segments, marked where a word n-gram of `text` also occurs
    in `other`. Adjacent marked words merge into one segment (with the space between them)."""
    words = _words(text)
    theirs = _ngrams(_words(other), n)
    marked = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(w[2] for w in words[i : i + n]) in theirs:
            for j in range(i, i + n):
                marked[j] = True
    segments: list[tuple[str, bool]] = []
    pos, i = 0, 0
    while i < len(words):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and marked[j + 1]:
            j += 1
        start, end = words[i][0], words[j][1]
        if start > pos:
            segments.append((text[pos:start], False))
        segments.append((text[start:end], True))
        pos, i = end, j + 1
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments


_TOKEN_WITH_SPACE = re.compile(r"\S+\s*|\s+")


def diff_segments(before: str, after: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Word-level diff: `before` with its removed words marked, `after` with its added words
    marked (difflib over whitespace-separated words, compared case-folded)."""
    a, b = _TOKEN_WITH_SPACE.findall(before), _TOKEN_WITH_SPACE.findall(after)
    matcher = difflib.SequenceMatcher(a=[t.strip().casefold() for t in a], b=[t.strip().casefold() for t in b], autojunk=False)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), tag != "equal"))
    return left, right
