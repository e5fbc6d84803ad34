"""The run folder: a new one per run, never reused (files in it are written with
harness.atomic.write_atomic, so no reader ever sees half a report)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from harness.errors import HarnessError


def output_dir_problem(output_dir: Path) -> str | None:
    """Why no run folder can be made under `output_dir` (which need not exist yet), or None.

    Checked at pre-flight, before anything is created: `output_dir` is a file, lies under a
    file, or its nearest existing folder is not writable (judged with os.access, so never for
    root, who may write anywhere)."""
    output_dir = Path(output_dir)
    probe = output_dir
    while not probe.is_dir():
        if probe.exists() or probe.is_symlink():
            if probe == output_dir:
                return "is a file, not a folder"
            return f"lies under {probe}, which is a file, not a folder"
        if probe.parent == probe:
            return None
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        return "is not writable" if probe == output_dir else f"cannot be created: {probe} is not writable"
    return None


def new_run_dir(output_dir: Path, label: str) -> Path:
    """A fresh folder `<output_dir>/<time>-<label>`; an existing run is never reused.

    A folder that cannot be made is a one-line HarnessError (exit 2), never a traceback."""
    problem = output_dir_problem(output_dir)
    if problem:
        raise HarnessError(f"{output_dir}: the output folder {problem}; give a folder you can write to (--output-dir DIR)")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(f"{output_dir}: cannot create the output folder ({exc.strerror}); give another (--output-dir DIR)") from None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        candidate = output_dir / (f"{stamp}-{label}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as exc:
            raise HarnessError(f"{candidate}: cannot create the run folder ({exc.strerror}); give another output folder (--output-dir DIR)") from None
    raise RuntimeError(f"could not create a new run folder in {output_dir}")
