"""What a backend registers: its name, its own config class and the answers the runner needs
(pre-flight checks, warnings, whether it can run on Ray workers), so that adding a backend is
one file and the runner never asks `isinstance`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import Field

from harness.strict import Strict

NAME_PATTERN = r"^[\w.\-]+$"


class ModelConfigBase(Strict):
    """Every entry under `models:`; a backend's config class adds its own keys and narrows
    `backend` to its name (`backend: Literal["mine"]`)."""

    name: str = Field(pattern=NAME_PATTERN)
    """Letters, digits, `.`, `_` and `-`; unique within a config."""
    backend: str

    def resolve_paths(self, base: Path) -> ModelConfigBase:
        """This entry with its relative paths taken from the config's folder `base`."""
        return self


@dataclass(frozen=True)
class BackendPlugin:
    name: str
    """The `backend:` value that selects it."""
    config: type[ModelConfigBase]
    """Its config class (the entry under `models:`), validated with the rest of the config."""
    load: str | Callable[[Any, int], Any]
    """`(model_config, seed) -> Backend`, or "module:function" (imported only when a model uses it)."""
    preflight: Callable[[Any, str], None] | None = None
    """`(model_config, where)`: raise HarnessError before anything runs (e.g. a missing file)."""
    warnings: Callable[[Any, Any], list[str]] | None = None
    """`(model_config, run_config) -> [warning]` shown before the run."""
    ray: bool = False
    """True when `executor: {ray: ...}` can run it on Ray workers (else it runs locally)."""

    def loader(self) -> Callable[[Any, int], Any]:
        if isinstance(self.load, str):
            module, _, function = self.load.partition(":")
            return getattr(importlib.import_module(module), function)
        return self.load
