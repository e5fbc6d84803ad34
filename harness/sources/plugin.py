"""What an eval-set source registers: the config key it answers to, how it loads the articles a
config names, and how it reads them again from a report's `eval_set` description.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from harness.records import Article

LoadFunction = Callable[[Any, "str | Path"], "tuple[list[Article], dict, list[str]]"]
"""`(config_value, config_path) -> (articles, eval_set description, warnings)`: the value of its
config key (paths already resolved against the config's folder) and the config file's name for
messages. The description goes to report.json `eval_set`: `path`, `sha256` (`identity.articles_sha256`),
counts, and `source: {key: ...}` holding what `reload` needs (the YAML eval set has no `source`)."""


@dataclass(frozen=True)
class SourcePlugin:
    key: str
    """The config key it answers to ("eval_set", "dataset", "squad"), and the key under a
    report's `eval_set.source` that names it."""
    load: LoadFunction
    reload: Callable[[dict], list[Article]]
    """`(eval_set description) -> articles`, for `report` and `rescore`."""
    config: Any = None
    """The type of its config value (a pydantic model, a Path, ...), validated with the rest of
    the config; None for the built-ins, which the run config declares itself."""
    resolve_paths: Callable[[Any, Path], Any] | None = None
    """`(config value, config folder) -> value` with relative paths taken from the config's folder."""
