"""The worker slots, driver side: start, restart and kill the Ray actors that run the workers,
and read their answers back (an error raised inside a worker comes back as itself; a lost
worker as one of `lost_errors`)."""

from __future__ import annotations

from typing import Any

from harness.executors.ray.settings import RaySettings
from harness.records import Request


def lost_worker_errors() -> tuple[type[BaseException], ...]:
    """Ray's exceptions for a worker that is gone (its process or node died, or Ray killed it)."""
    from ray import exceptions as rex

    return tuple(
        getattr(rex, name)
        for name in ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OutOfMemoryError")
        if hasattr(rex, name)
    )


class WorkerPool:
    """`num_workers` slots, each holding at most one live actor of `worker_class`.

    A slot's actor is replaced when it is lost; each new actor is a new *incarnation* (its
    snapshots are kept apart from its predecessor's), and a slot is restarted at most
    `max_retries` times.
    """

    def __init__(self, ray: Any, worker_class: type, settings: RaySettings, model_config, seed: int):
        self._ray = ray
        self._remote_class = ray.remote(worker_class)
        self.settings = settings
        self.config = model_config
        self.seed = seed
        self.lost = lost_worker_errors()
        self.slots: dict[int, Any] = {}  # slot -> Ray actor handle
        self.incarnation: dict[int, int] = {}
        self.restarts: dict[int, int] = {}
        self._next_incarnation = 0

    def can_start(self, slot: int) -> bool:
        """The slot has no actor and was not restarted more than max_retries times."""
        return slot not in self.slots and self.restarts.get(slot, 0) <= self.settings.max_retries

    def start(self, slot: int) -> None:
        options: dict[str, Any] = dict(num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker, max_restarts=0)
        if self.settings.runtime_env:
            options["runtime_env"] = self.settings.runtime_env
        self.slots[slot] = self._remote_class.options(**options).remote(self.config, self.seed)
        self.incarnation[slot] = self._next_incarnation
        self._next_incarnation += 1

    def replace(self, slot: int) -> bool:
        """Kill and restart a worker slot; False once it was restarted max_retries times."""
        old = self.slots.pop(slot, None)
        if old is not None:
            self._kill(old)
        self.restarts[slot] = self.restarts.get(slot, 0) + 1
        if self.restarts[slot] > self.settings.max_retries:
            return False
        self.start(slot)
        return True

    def first_info(self, slot: int) -> dict:
        """The slot's `info()`, restarting its actor while it dies on the way."""
        while True:
            try:
                return self.get(self.info(slot))
            except self.lost as exc:
                if not self.replace(slot):
                    raise RuntimeError(f"the first Ray worker died {self.settings.max_retries + 1} times while starting: {first_line(exc)}") from None

    # -- calls (each returns a Ray object ref) ----------------------------------------------------

    def info(self, slot: int) -> Any:
        return self.slots[slot].info.remote()

    def run(self, slot: int, requests: list[Request]) -> Any:
        return self.slots[slot].run.remote(requests)

    def load(self, slot: int) -> Any:
        return self.slots[slot].load.remote()

    def fit_to_window(self, slot: int, requests: list[Request]) -> Any:
        return self.slots[slot].fit_to_window.remote(requests)

    def wait_one(self, refs: list) -> Any:
        """The first of `refs` that is ready."""
        (ref,), _ = self._ray.wait(refs, num_returns=1)
        return ref

    def get(self, ref):
        """ray.get, with an error raised inside the worker re-raised as the original exception."""
        from ray.exceptions import RayTaskError

        try:
            return self._ray.get(ref)
        except RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    def close(self) -> None:
        """Kill every actor."""
        for actor in list(self.slots.values()):
            self._kill(actor)
        self.slots.clear()

    def _kill(self, actor) -> None:
        try:
            self._ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001 - it is already gone
            pass


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def identity_difference(whose: str, expected: dict, info: dict) -> str:
    """Why a worker (its `info()`) may not generate: its identity is not `expected`."""
    keys = sorted(k for k in set(expected) | set(info["identity"]) if expected.get(k) != info["identity"].get(k))
    detail = "; ".join(f"{k}: {expected.get(k)!r} vs {info['identity'].get(k)!r}" for k in keys)
    return (
        f"a Ray worker (node {info['node'][:12]}, pid {info['pid']}) would generate with another identity than {whose} "
        f"({detail}); outputs would be cached under the wrong key: install the same torch/transformers on every node "
        "and set the model's device and dtype explicitly"
    )
