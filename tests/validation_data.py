"""Where the tests find published outputs with published scores.

Two kinds, kept apart on purpose (tests/data/README.md says which is which and why):

- `vendored(path)`: data whose licence lets it live in this repository (SQuAD, rouge-score's
  test data, the SummEval pair), xz-compressed under tests/data/ and unpacked once per test
  session into a temporary folder, so every clone can run the tests that need it.
- `research(path)`: research-only material (DUC 2002, SL2003, SimCLS/BRIO outputs) that must
  not be redistributed. It is read from $HARNESS_VALIDATION_DIR (default ../shared/validation
  beside the clone, where the team's machines and CI have it). Tests that need it carry the
  `conformance` marker; when it is absent they skip with one line saying what is missing and
  how to provide it, except when HARNESS_VALIDATION_DIR is set explicitly: then a missing file is
  a failure, so a CI run that means to prove every published number cannot skip one silently.

Nothing else in the tests reads outside the repository and its own temporary folders.
"""

from __future__ import annotations

import lzma
import os
import tempfile
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
VALIDATION_VARIABLE = "HARNESS_VALIDATION_DIR"

conformance = pytest.mark.conformance


@cache
def _unpacked_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="harness-test-data-"))


def vendored(relative: str) -> Path:
    """The unpacked copy of tests/data/<relative>.xz (a real file, for code that takes paths)."""
    packed = DATA / f"{relative}.xz"
    target = _unpacked_root() / relative
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(lzma.decompress(packed.read_bytes()))
        partial.replace(target)
    return target


def validation_dir() -> Path:
    return Path(os.environ.get(VALIDATION_VARIABLE) or ROOT.parent / "shared" / "validation")


def research(relative: str) -> Path:
    """The research-only file or folder `relative` under the validation folder; skips (or, with
    the variable set, fails) when it is absent."""
    path = validation_dir() / relative
    if path.exists():
        return path
    message = (
        f"research-only validation data {relative} not found under {validation_dir()}; "
        f"set {VALIDATION_VARIABLE} to a folder holding it (see tests/data/README.md)"
    )
    if os.environ.get(VALIDATION_VARIABLE):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
