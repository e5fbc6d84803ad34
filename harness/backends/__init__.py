"""Ways of producing text. Each backend module is imported only when a model uses it, so the
CLI starts fast and torch/transformers load only for `backend: hf`.

A backend module exposes `load(model_config, seed) -> Backend`.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol

from harness.records import Generation, Request

_MODULES = {"hf": "harness.backends.hf", "lead": "harness.backends.lead"}

Progress = Callable[[int, int], None]
"""Called as progress(items_done, new_tokens) after each batch."""


class Backend(Protocol):
    tasks: frozenset[str]
    """The tasks this backend can do; the others are 'not applicable' in the report."""
    source_info: dict
    """Identity of the weights (hub revision, file sha256, ...) for the report's provenance."""

    def generate(self, requests: list[Request], progress: Progress) -> list[Generation]: ...

    def close(self) -> None: ...


def load_backend(model_config, seed: int) -> Backend:
    module = importlib.import_module(_MODULES[model_config.backend])
    return module.load(model_config, seed)

