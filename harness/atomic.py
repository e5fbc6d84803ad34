"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The new text goes to a temporary file beside the target, which is then renamed over it. The
temporary file is created with mode 0666 less the umask, like `open(path, "w")` does (so 0644
under umask 022), not 0600 as `tempfile.mkstemp` would make it; an existing target keeps its
mode, as it would under `open`.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` (UTF-8) to a temporary file beside `path`, then rename it over `path` in one step."""
    path = Path(path)
    try:
        keep_mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        keep_mode = None
    fd: int | None
    fd, tmp = _create_beside(path)
    try:
        if keep_mode is not None:
            os.chmod(tmp, keep_mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = None
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty, uniquely named file in `path`'s folder, created subject to the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")
