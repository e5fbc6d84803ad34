"""Progress while generating (rich): model, items done/total, new tokens per second."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def model_progress(console: Console, model: str, total: int, done: int = 0):
    """Yields `advance(items, new_tokens)`; `done` items are already there (from the cache)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    tokens = 0
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(model, total=total, completed=done, rate="cached" if done else "")

        def advance(items: int, new_tokens: int) -> None:
            nonlocal tokens
            tokens += new_tokens
            elapsed = time.perf_counter() - started
            rate = f"{tokens / elapsed:.1f} tok/s" if tokens and elapsed > 0 else ""
            progress.update(task, advance=items, rate=rate)

        yield advance
