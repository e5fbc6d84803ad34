"""The run folder: a new one per run, never reused (files in it are written with
harness.atomic.write_atomic, so no reader ever sees half a report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


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
