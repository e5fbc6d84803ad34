"""The one way the harness reads a user's text file: UTF-8, or a one-line HarnessError.

Every reader (configs and eval sets, JSON files, predictions.jsonl, an eval set's `text_file`,
`score`'s line files) goes through `read_text`; each passes `FileMessages` so the message names
what the file is for and the fix that fits there. The checks are the same everywhere: missing
(or a link to nothing), a folder, not a regular file (a FIFO, socket or device), unreadable
(permissions, a link loop), not UTF-8 (with the byte).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError


@dataclass(frozen=True)
class FileMessages:
    """Format strings; each may use {path}, {parent} (its folder) and {link} (" (a symbolic link
    to a file that does not exist)" or ""); `not_utf8` also {byte} and {reason}, `unreadable`
    {error}. `folder` and `special` default to `missing`. Text that is not a placeholder goes
    through `literal()` first, so a brace in a user's path cannot break the format."""

    missing: str
    not_utf8: str
    unreadable: str = "{path}: cannot read the file ({error})"
    folder: str | None = None
    special: str | None = None


def literal(text: object) -> str:
    """`text` with its braces doubled, to sit inside a FileMessages format string."""
    return str(text).replace("{", "{{").replace("}", "}}")


def read_text(path: Path, messages: FileMessages) -> str:
    def fail(template: str, **extra) -> HarnessError:
        link = " (a symbolic link to a file that does not exist)" if path.is_symlink() and not path.exists() else ""
        return HarnessError(template.format(path=path, parent=path.parent, link=link, **extra))

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise fail(messages.missing) from None
    except OSError as exc:  # a link loop, a name too long, no permission on a folder on the way
        raise fail(messages.unreadable, error=exc.strerror or exc) from None
    if stat.S_ISDIR(mode):
        raise fail(messages.folder or messages.missing)
    if not stat.S_ISREG(mode):
        raise fail(messages.special or messages.missing)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(messages.not_utf8, byte=exc.start + 1, reason=exc.reason) from None
    except OSError as exc:
        raise fail(messages.unreadable, error=exc.strerror or exc) from None
