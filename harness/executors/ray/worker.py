"""The worker: the class each Ray actor runs (it loads the model once and generates shards).

RayBackend wraps it with `ray.remote` when it starts; a test may hand RayBackend a subclass
instead (its `worker_factory`), e.g. one whose process dies on its Nth shard.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from harness.records import Generation, Request


class Worker:
    """One model on one Ray actor. Every method returns plain data the driver can merge."""

    def __init__(self, model_config, seed: int):
        # a failure here is kept and raised by every call, so it reaches the driver as the
        # original exception (a failed load), not as a dead actor that would be retried
        self.error: BaseException | None = None
        self.backend: Any = None  # a Backend once loaded; `error` says why not
        try:
            from harness.backends import load_backend

            self.backend = load_backend(model_config, seed)
        except BaseException as exc:  # noqa: BLE001
            self.error = exc

    def info(self) -> dict:
        """The worker's identity (the generation cache's key), tasks, node and process."""
        if self.error is not None:
            raise self.error
        import ray

        return {
            "identity": self.backend.identity,
            "source_info": dict(self.backend.source_info),
            "tasks": sorted(self.backend.tasks),
            "node": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
        }

    def run(self, requests: list[Request]) -> dict:
        """Generate one shard; its generations with the worker's latest load time and efficiency."""
        if self.error is not None:
            raise self.error
        return self._snapshot(self.backend.generate(requests, lambda _batch: None))

    def fit_to_window(self, requests: list[Request]) -> list[Request]:
        """The requests as they fit the model's context window (the backend's own check, with
        the tokenizer the worker has), or the backend's HarnessError naming the items."""
        if self.error is not None:
            raise self.error
        fit = getattr(self.backend, "fit_to_window", None)
        return fit(requests) if fit is not None else requests

    def load(self) -> dict:
        """Load the weights now (the backend otherwise loads them on the first shard)."""
        if self.error is not None:
            raise self.error
        ensure_loaded = getattr(self.backend, "ensure_loaded", None)  # optional for backends without a model
        if ensure_loaded is not None:
            ensure_loaded()
        return self._snapshot([])

    def _snapshot(self, generations: list[Generation]) -> dict:
        return {
            "generations": generations,
            "load_seconds": self.backend.load_seconds,
            "efficiency": asdict(self.backend.efficiency),
            "source_info": dict(self.backend.source_info),
        }
