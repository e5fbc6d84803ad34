"""The content identity of an eval set, the same for every source (YAML, `dataset:`, `squad:`).

`articles_sha256` hashes what decides a run's outputs and scores: each article's id and text,
its references (id, text) and its questions (id, question, answers), in order, as canonical
JSON. How the articles were written down (YAML layout, comments, key order, file format, hub
revision) does not count, so two runs on the same content compare, and any change of a text or
a gold answer is a different eval set. Titles, sources and evidence quotes are not hashed: no
prompt or score reads them.
"""

from __future__ import annotations

import hashlib
import json

from harness.records import Article


def articles_sha256(articles: list[Article]) -> str:
    """SHA-256 (hex) of the articles' content (see the module docstring): an eval set's identity."""
    payload = [
        {
            "id": a.id,
            "text": a.text,
            "references": [[r.id, r.text] for r in a.references],
            "questions": [[q.id, q.question, list(q.answers)] for q in a.questions],
        }
        for a in articles
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
