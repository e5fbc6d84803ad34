"""Ways of producing text, and the registry that names them.

A backend registers a `BackendPlugin` (plugin.py): its name, its config class and its loader.
The built-ins are listed below as "module:PLUGIN" strings; other packages add theirs under the
entry-point group `harness.backends`, or call `BACKENDS.register(name, plugin)` (README, "Adding
a backend"). A backend's heavy module is imported only when a model uses it, so the CLI starts
fast and torch/transformers load only for `backend: hf`.
"""

from __future__ import annotations

from typing import Callable, Protocol

from harness.backends.plugin import BackendPlugin
from harness.records import Generation, Request
from harness.registry import Registry

BACKENDS = Registry(
    "backend",
    "harness.backends",
    {"hf": "harness.backends.hf_config:PLUGIN", "lead": "harness.backends.lead:PLUGIN", "openai": "harness.backends.openai_config:PLUGIN"},
)

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

    def ensure_loaded(self) -> None:
        """Load the model now (a backend may otherwise load lazily, on the first uncached request);
        optional: the Ray workers call it when it exists, to load before timing."""

    def generate(self, requests: list[Request], on_batch: OnBatch) -> list[Generation]: ...

    def close(self) -> None: ...


def backend_plugin(name: str) -> BackendPlugin:
    return BACKENDS.get(name)


def load_backend(model_config, seed: int) -> Backend:
    return backend_plugin(model_config.backend).loader()(model_config, seed)

