"""The generation cache: content-addressed outputs in SQLite, so a re-run generates nothing.

The key is a sha256 over everything that decides an output: the model's identity (weights hash
or hub commit, dtype, backend, the library versions that change outputs, chat-template and
system-prompt settings), the exact prompt, its few-shot examples and the generation parameters.
Batch size is not in the key: greedy outputs at batch N are meant to equal batch 1 (see README,
"Batching").

Every batch is committed as soon as it is generated, so a run killed midway (Ctrl-C or
kill -9) loses at most the batch in flight, and the next run generates only what is missing.
SQLite's WAL mode lets several runs share the file.

A broken cache is found at pre-flight (`check_cache`, before any model loads or the run folder
is made), and every case gets the same behaviour: exit 2 with one `Error:` line that names the
path and the fix (delete the file, fix the folder or its permissions, or run with --no-cache).
The run never falls back to no cache silently, since that would regenerate everything:

- the cache folder ($HARNESS_CACHE_DIR) is a regular file, or lies under one: exit 2;
- the cache folder cannot be created, or is not writable (SQLite must create
  `generations.sqlite-wal` and `-shm` beside the file): exit 2;
- `generations.sqlite` is a folder (or another non-file): exit 2;
- `generations.sqlite` (or its `-wal` / `-shm`) is read-only: exit 2. This is judged with
  `os.access` and a write-lock probe, so it cannot happen to root, who may write any file;
- `generations.sqlite` is garbage, truncated or otherwise damaged (SQLite's header, schema,
  `PRAGMA quick_check` for files up to QUICK_CHECK_MAX_BYTES, and a walk of the table's index
  and rows beyond that size), or holds a `generations` table of another shape: exit 2;
- another process holds the file locked for longer than the 30 s timeout: exit 2.

An empty (0-byte) file is a valid, empty SQLite database, and a missing file is simply created.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from harness.errors import HarnessError
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
COLUMNS = ("key", "raw_output", "new_tokens", "seconds", "rendered_prompt", "created")
QUICK_CHECK_MAX_BYTES = 128 * 2**20
"""`PRAGMA quick_check` reads every page (about 0.3 s per 400 MB from the page cache, seconds
from a cold disk); above this size pre-flight checks the header, schema, key index and rows only."""
TIMEOUT_S = 30
_FIX = "or run with --no-cache"


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
    if request.examples:  # only then: a request without examples keeps the key it always had
        payload["examples"] = [list(pair) for pair in request.examples]
        payload["examples_as_turns"] = request.examples_as_turns
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_folder(folder: Path) -> None:
    """The cache folder is a folder (or can be made one) that this user can write to."""
    probe = folder
    while not probe.is_dir():
        if probe.exists() or probe.is_symlink():
            where = "is a file, not a folder" if probe == folder else f"lies under {probe}, which is a file, not a folder"
            raise HarnessError(
                f"{folder}: the generation cache folder ($HARNESS_CACHE_DIR) {where}; "
                f"point HARNESS_CACHE_DIR at a folder, {_FIX}"
            )
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.is_dir() and not os.access(probe, os.W_OK | os.X_OK):
        what = "is not writable" if probe == folder else f"cannot be created: {probe} is not writable"
        raise HarnessError(f"{folder}: the generation cache folder {what}; fix its permissions or set HARNESS_CACHE_DIR, {_FIX}")


def _check_file(path: Path) -> None:
    if path.exists() and not path.is_file():
        raise HarnessError(f"{path}: the generation cache is a folder, not a SQLite file; remove it (rm -r {path}) {_FIX}")
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            raise _read_only(file)


def _read_only(file: Path) -> HarnessError:
    return HarnessError(f"{file}: the generation cache is read-only; make it writable (chmod u+rw {file}), delete it, {_FIX}")


def _database_error(path: Path, exc: sqlite3.Error) -> HarnessError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return HarnessError(f"{path}: the generation cache stayed locked by another process for {TIMEOUT_S} s ({text}); wait for it to finish, {_FIX}")
    if "readonly" in text or "read-only" in text:
        return _read_only(path)
    return HarnessError(
        f"{path}: the generation cache is damaged or not a SQLite database ({text}); "
        f"delete it (rm {path}*; its outputs will be generated again) {_FIX}"
    )


def _check_schema(db: sqlite3.Connection, path: Path) -> bool:
    """False when there is no generations table yet; raises when it has another shape."""
    columns = tuple(row[1] for row in db.execute("PRAGMA table_info(generations)"))
    if columns and columns != COLUMNS:
        raise HarnessError(
            f"{path}: not a harness generation cache (its generations table has columns {', '.join(columns)}); "
            f"delete it (rm {path}*) or set HARNESS_CACHE_DIR to another folder, {_FIX}"
        )
    return bool(columns)


def check_cache(path: Path) -> None:
    """Pre-flight: can `path` serve as the generation cache? Creates nothing; raises a one-line
    HarnessError (exit 2) naming the path and the fix. See the module docstring for the cases."""
    _check_folder(path.parent)
    _check_file(path)
    if not path.exists():
        return  # GenerationCache creates it
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=TIMEOUT_S)
    except sqlite3.Error as exc:
        raise _database_error(path, exc) from None
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the header and the schema page
        if _check_schema(db, path):
            if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("; ".join(problems)[:200])
            else:
                db.execute("SELECT count(*), max(key) FROM generations").fetchone()
        db.execute("BEGIN IMMEDIATE")  # a write lock: refused on a read-only file
        db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise _database_error(path, exc) from None
    finally:
        db.close()


class GenerationCache:
    def __init__(self, path: Path):
        """Opens (and creates) the cache; a problem is a one-line HarnessError, as in check_cache."""
        _check_folder(path.parent)
        _check_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HarnessError(f"{path.parent}: cannot create the generation cache folder ({exc.strerror}); {_FIX}") from None
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=TIMEOUT_S)
        except sqlite3.Error as exc:
            raise _database_error(path, exc) from None
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(SCHEMA)
            self.db.commit()
            _check_schema(self.db, path)
        except sqlite3.Error as exc:
            self.db.close()
            raise _database_error(path, exc) from None
        except BaseException:
            self.db.close()
            raise

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
