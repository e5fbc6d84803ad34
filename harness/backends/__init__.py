"""Ways of producing text. Each backend module is imported only when a model uses it, so the
CLI starts fast and torch/transformers load only for `backend: hf`.

A backend module exposes `load(model_config, seed) -> Backend`.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol

from harness.records import Generation, Request

_MODULES = {"hf": "harness.backends.hf", "lead": "harness.backends.lead"}

OnBatch = Callable[[list[Generation]], None]
"""Called with each batch's generations as soon as it is done (the runner caches them)."""


class Backend(Protocol):
    tasks: frozenset[str]
    """The tasks this backend can do; the others are 'not applicable' in the report."""
    identity: dict
    """Everything besides the request that decides an output: the generation cache's key."""
    source_info: dict
    """Where the weights came from (hub revision, file sha256, ...) for the report."""
    load_seconds: float | None
    """Time to load the model; None while it was not needed (everything came from the cache)."""
    efficiency: object
    """An `efficiency.Efficiency` with prefill/decode rates and peak memory."""

    def generate(self, requests: list[Request], on_batch: OnBatch) -> list[Generation]: ...

    def close(self) -> None: ...


def load_backend(model_config, seed: int) -> Backend:
    module = importlib.import_module(_MODULES[model_config.backend])
    return module.load(model_config, seed)

