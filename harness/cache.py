"""The generation cache: content-addressed outputs in SQLite, so a re-run generates nothing.

The key is a sha256 over everything that decides an output: the model's identity (weights hash
or hub commit, dtype, backend, the library versions that change outputs, chat-template and
system-prompt settings), the exact prompt and the generation parameters. Batch size is not in
the key: greedy outputs at batch N are meant to equal batch 1 (see README, "Batching").

Every batch is committed as soon as it is generated, so a run killed midway (Ctrl-C or
kill -9) loses at most the batch in flight, and the next run generates only what is missing.
SQLite's WAL mode lets several runs share the file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

from harness.records import Generation, Request

SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    raw_output TEXT NOT NULL,
    new_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    rendered_prompt TEXT,
    created REAL NOT NULL
)
"""


def request_key(identity: dict, request: Request) -> str:
    payload = {
        "model": identity,
        "prompt": request.prompt,
        "max_new_tokens": request.max_new_tokens,
        "stop": list(request.stop),
        "do_sample": request.do_sample,
        "temperature": request.temperature,
        "top_p": request.top_p,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class GenerationCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)
        self.db.commit()

    def lookup(self, identity: dict, requests: list[Request]) -> dict[int, Generation]:
        """Cached generations, by position in `requests`."""
        found = {}
        for index, request in enumerate(requests):
            row = self.db.execute(
                "SELECT raw_output, new_tokens, seconds, rendered_prompt FROM generations WHERE key = ?",
                (request_key(identity, request),),
            ).fetchone()
            if row is not None:
                found[index] = Generation(request, row[0], row[1], row[2], row[3], cached=True)
        return found

    def store(self, identity: dict, generations: list[Generation]) -> None:
        rows = [
            (request_key(identity, g.request), g.raw_output, g.new_tokens, g.seconds, g.rendered_prompt, time.time())
            for g in generations
        ]
        self.db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?, ?)", rows)
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class NoCache:
    """Stands in for the cache under --no-cache: finds nothing, keeps nothing."""

    def lookup(self, identity: dict, requests: list[Request]) -> dict[int, Generation]:
        return {}

    def store(self, identity: dict, generations: list[Generation]) -> None:
        pass

    def close(self) -> None:
        pass
