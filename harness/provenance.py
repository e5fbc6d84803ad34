"""What a report records about how it was made: versions, git commit, config hash, times."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import harness
from harness.versions import package_version

PACKAGES = ("torch", "transformers", "tokenizers", "rouge-score", "pysbd", "pydantic", "gguf")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str | None]:
    return {name: package_version(name) for name in PACKAGES}


def git_commit() -> dict:
    """The commit of the harness checkout, when it is one (None for an installed wheel)."""
    root = Path(harness.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def base_provenance(config_path: Path, config_hash: str, seed: int) -> dict:
    return {
        "harness_version": harness.__version__,
        "git": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "config_path": str(config_path),
        "config_sha256": config_hash,
        "seed": seed,
        "started_at": now(),
        "finished_at": None,
    }
