"""Reading a JSON file with one-line errors (SQuAD files, predictions, a run's report.json)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import HarnessError
from harness.textfile import FileMessages, read_text


def read_json(path: Path, what: str):
    """Parse a JSON file or raise a one-line HarnessError naming the file and the problem."""
    text = read_text(path, FileMessages(
        missing=f"{{path}}: {what} file not found{{link}}",
        not_utf8=f"{{path}}: not UTF-8 text; save the {what} file as UTF-8",
        unreadable=f"{{path}}: cannot read the {what} file: {{error}}",
        folder=f"{{path}}: is a folder, expected a {what} JSON file",
        special=f"{{path}}: is not a regular file, expected a {what} JSON file",
    ))
    if not text.strip():
        raise HarnessError(f"{path}: the {what} file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}") from None


def json_type(value) -> str:
    """A JSON-side name for a Python value's type, for error messages ("got a list")."""
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
