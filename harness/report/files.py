"""Atomic file writes and the run folder, so no reader ever sees half a report."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path` in one step."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def new_run_dir(output_dir: Path, label: str) -> Path:
    """A fresh folder `<output_dir>/<time>-<label>`; an existing run is never reused."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        candidate = output_dir / (f"{stamp}-{label}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder in {output_dir}")
