"""Sentence splitting for rougeLsum and Lead-k, with pysbd (rules ship in the package).

nltk's punkt needs a data download, which fails offline; pysbd is rule-based and needs none.
Paragraph breaks (blank lines, and single newlines) are always sentence breaks, so a headline
without a full stop does not merge into the first sentence.
"""

from __future__ import annotations

from functools import lru_cache

SPLITTER_NAME = "pysbd-0.3.4-en"


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for line in text.splitlines():
        if line.strip():
            sentences.extend(s.strip() for s in _segmenter().segment(line) if s.strip())
    return sentences
