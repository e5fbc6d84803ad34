"""The run folder of the run in progress, for the few components that write files of their own
into it (a launched server's log) without every backend's loader taking it as an argument."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_run_dir: ContextVar[Path | None] = ContextVar("harness_run_dir", default=None)


def current_run_dir() -> Path | None:
    """The run folder being written, or None outside a run (a backend used on its own)."""
    return _run_dir.get()


@contextmanager
def run_dir_set(path: Path):
    token = _run_dir.set(path)
    try:
        yield path
    finally:
        _run_dir.reset(token)
