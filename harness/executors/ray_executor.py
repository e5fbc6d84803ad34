"""Generation on a Ray cluster: N workers each load the model once and work through shards.

How it works:

- The requests are split into **shards** of whole articles (up to about `shard_size` requests;
  an article with more requests than that is one shard on its own). An article's summary and
  questions stay together, so the backend's shared-prefix reuse works inside a shard exactly as
  it does locally, and the batches a shard makes are the ones a local run makes (a local run
  also batches per article), so the outputs are the same.
- `num_workers` Ray **actors** each run `harness.backends.load_backend(model_config, seed)`
  once, load the weights on their first shard and keep them for every later shard. Each worker
  has one shard in flight; a worker that finishes gets the next one (dynamic load balancing).
- Results **stream** back: the driver calls `on_batch(generations)` as each shard finishes, so
  the runner commits them to the generation cache at once, and a finished shard is never redone,
  not in this run and not on a re-run.
- A **lost worker** (its process or node died, or Ray killed it for memory) costs only its
  shard: the driver replaces the actor (Ray places the new one on any node with room) and puts
  the shard back in the queue; a shard lost more than `max_retries` times fails the run. An
  error *inside* generation (a bad model, a bug) is not retried: it is raised as the original
  exception, as a local run would raise it.
- The **identity** that keys the generation cache (device type, dtype, library versions, ...)
  is the workers', not the driver's: a CPU-only driver with GPU workers generates on
  cuda/bfloat16, and caching those outputs under a cpu/float32 key would be wrong.
  `RayBackend.identity` is taken from the first worker, and every worker checks that its own
  identity equals it (nodes with different torch/transformers versions are refused).

Two ways in: `RayBackend(model_config, seed, settings)` is a drop-in `Backend` (identity,
source_info, load_seconds, efficiency, generate, close) for the runner; `generate_with_ray(...)`
does one call and returns a `RayResult`.

Efficiency rates are per worker: tokens over the summed time the workers spent, so with N
workers the run's throughput is up to N times `decode_tokens_per_second`. `peak_memory_mb` is
the highest of any worker.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable
from urllib.parse import urlsplit

from pydantic import Field

from harness.errors import HarnessError
from harness.records import Generation, Request
from harness.strict import Strict

DEFAULT_GCS_PORT, DEFAULT_CLIENT_PORT = 6379, 10001
OnBatch = Callable[[list[Generation]], None]


class RaySettings(Strict):
    """The config's `executor: {ray: {...}}` block."""

    address: str | None = None
    """None: $RAY_ADDRESS when set, else start a local Ray instance on this machine.
    `host:port` (the head's GCS port, 6379 by default), `ray://host:10001` (Ray Client) or `auto`
    (the cluster `ray start` made on this machine)."""
    num_workers: int = Field(default=2, gt=0)
    """Ray actors, each with its own copy of the model."""
    gpus_per_worker: float = Field(default=0, ge=0)
    """GPUs each worker reserves (0.5: two workers share a GPU); Ray sets CUDA_VISIBLE_DEVICES."""
    cpus_per_worker: float = Field(default=1, ge=0)
    """CPUs each worker reserves; Ray also sets the worker's torch threads (OMP_NUM_THREADS) to it."""
    shard_size: int = Field(default=16, gt=0)
    """Requests per shard (whole articles; a bigger article is a shard of its own)."""
    max_retries: int = Field(default=3, ge=0)
    """How often a shard whose worker was lost is tried again (and a worker slot restarted)."""
    connect_timeout_s: float = Field(default=10, gt=0)
    """How long to wait for the cluster's address to answer before giving up."""
    runtime_env: dict | None = None
    """A Ray runtime_env for the workers (env_vars, working_dir, pip, ...); see the Ray docs."""


@dataclass
class RayResult:
    generations: list[Generation]
    """In the order of the requests."""
    load_seconds: float | None
    """The slowest worker's model load; None when nothing was generated."""
    efficiency: dict
    """Like Efficiency.as_dict(), merged over the workers (per-worker rates, the highest peak memory)."""
    identity: dict = field(default_factory=dict)
    """The workers' backend identity (the generation cache's key)."""
    shards: int = 0
    retries: int = 0
    """Shards that were run again because their worker was lost."""


def make_shards(requests: list[Request], shard_size: int) -> list[list[int]]:
    """Request indices grouped into shards of whole articles, in order of first appearance."""
    by_article: dict[str, list[int]] = {}
    for index, request in enumerate(requests):
        by_article.setdefault(request.article_id, []).append(index)
    shards: list[list[int]] = []
    current: list[int] = []
    for indices in by_article.values():
        if current and len(current) + len(indices) > shard_size:
            shards.append(current)
            current = []
        current.extend(indices)
    if current:
        shards.append(current)
    return shards


# -- the worker (a Ray actor; the class is wrapped with ray.remote lazily) ----------------------


class _Worker:
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

    def run(self, requests: list[Request], crash: bool = False) -> dict:
        if self.error is not None:
            raise self.error
        if crash:  # tests only: the process dies as if its node went away
            os._exit(1)
        return self._snapshot(self.backend.generate(requests, lambda _batch: None))

    def load(self) -> dict:
        """Load the weights now (the backend otherwise loads them on the first shard)."""
        if self.error is not None:
            raise self.error
        ensure_loaded = getattr(self.backend, "_ensure_loaded", None)
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


# -- the driver -----------------------------------------------------------------------------------


def _lost_worker_errors():
    from ray import exceptions as rex

    return tuple(
        getattr(rex, name)
        for name in ("RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "OutOfMemoryError")
        if hasattr(rex, name)
    )


def check_ray_address(settings: RaySettings) -> None:
    """The checks that need no Ray session, for a run's up-front validation (exit 2): Ray is
    installed, and the cluster address (settings, else $RAY_ADDRESS) answers within
    `connect_timeout_s`. Raises a one-line HarnessError."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise HarnessError("executor: ray needs the `ray` package on this machine and every worker node: pip install 'ray>=2.9'")
    address = settings.address or os.environ.get("RAY_ADDRESS") or None
    if address is not None:
        _check_reachable(address, settings.connect_timeout_s)


def _check_reachable(address: str, timeout: float) -> None:
    """Fail fast (one line) when a cluster address does not answer; ray.init would wait minutes."""
    if address in ("auto", "local"):
        return
    if "://" in address:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or DEFAULT_CLIENT_PORT
    else:
        host, _, port_text = address.rpartition(":") if ":" in address else (address, "", "")
        try:
            port = int(port_text) if port_text else DEFAULT_GCS_PORT
        except ValueError:
            host = None
    fix = "start it with `ray start --head` or fix executor.ray.address"
    if not host:
        raise HarnessError(f"executor.ray.address: {address!r} is not host:port, ray://host:port or auto; {fix}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, socket.timeout):
            reason = f"no answer within {timeout:g} s"
        raise HarnessError(f"cannot reach the Ray cluster at {address} ({reason}): {fix}") from None


class RayBackend:
    """A Backend whose generate() runs on Ray workers (see the module docstring)."""

    def __init__(self, model_config, seed: int, settings: RaySettings | None = None, *, expected_identity: dict | None = None):
        self.config = model_config
        self.seed = seed
        self.settings = settings or RaySettings()
        self.load_seconds: float | None = None
        self.source_info: dict = {}
        self.retries = 0
        self.shards = 0
        self._snapshots: dict[int, dict] = {}  # actor incarnation -> its latest load time and efficiency
        self._slots: dict[int, Any] = {}  # slot -> Ray actor handle
        self._incarnation: dict[int, int] = {}
        self._restarts: dict[int, int] = {}
        self._next_incarnation = 0
        self._owns_ray = False
        self._closed = False
        self._connect()
        try:
            self._remote_class = self._ray.remote(_Worker)
            self._check_resources()
            self._start(0)
            info = self._first_info(0)
        except BaseException:
            self.close()
            raise
        self.identity: dict = info["identity"]
        if expected_identity is not None and expected_identity != self.identity:
            self.close()
            raise RuntimeError(_identity_difference("the driver's", expected_identity, info))
        self.tasks = frozenset(info["tasks"])
        self.source_info.update(info["source_info"])
        self.efficiency = _MergedEfficiency(self)

    # -- cluster ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        check_ray_address(self.settings)
        import ray

        self._ray = ray
        address = self.settings.address or os.environ.get("RAY_ADDRESS") or None
        if ray.is_initialized():
            return  # the caller's Ray session (a notebook, the tests, `ray job submit`) is used as is
        kwargs: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False)
        try:
            if address is None or address == "local":
                ray.init(address="local", include_dashboard=False, **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except Exception as exc:  # noqa: BLE001
            where = address or "a local instance"
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HarnessError(f"cannot reach the Ray cluster at {where} ({message}): start it with `ray start --head` or fix executor.ray.address") from None
        self._owns_ray = True

    def _check_resources(self) -> None:
        """Fail at once when no node could ever hold one worker (it would wait forever)."""
        need_cpu, need_gpu = self.settings.cpus_per_worker, self.settings.gpus_per_worker
        nodes = [n for n in self._ray.nodes() if n.get("Alive")]
        fits = [n for n in nodes if n["Resources"].get("CPU", 0) >= need_cpu and n["Resources"].get("GPU", 0) >= need_gpu]
        if nodes and not fits:
            have = ", ".join(f"{n['Resources'].get('CPU', 0):g} CPU/{n['Resources'].get('GPU', 0):g} GPU" for n in nodes)
            raise HarnessError(
                f"executor.ray: no node of the Ray cluster can hold a worker with {need_cpu:g} CPU and {need_gpu:g} GPU "
                f"(nodes: {have}); lower executor.ray.cpus_per_worker / gpus_per_worker or add nodes"
            )

    def _start(self, slot: int) -> None:
        options: dict[str, Any] = dict(num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker, max_restarts=0)
        if self.settings.runtime_env:
            options["runtime_env"] = self.settings.runtime_env
        self._slots[slot] = self._remote_class.options(**options).remote(self.config, self.seed)
        self._incarnation[slot] = self._next_incarnation
        self._next_incarnation += 1

    def _replace(self, slot: int) -> bool:
        """Kill and restart a worker slot; False once it was restarted max_retries times."""
        old = self._slots.pop(slot, None)
        if old is not None:
            try:
                self._ray.kill(old, no_restart=True)
            except Exception:  # noqa: BLE001 - it is already gone
                pass
        self._restarts[slot] = self._restarts.get(slot, 0) + 1
        if self._restarts[slot] > self.settings.max_retries:
            return False
        self._start(slot)
        return True

    def _first_info(self, slot: int) -> dict:
        lost = _lost_worker_errors()
        while True:
            try:
                return self._get(self._slots[slot].info.remote())
            except lost as exc:
                if not self._replace(slot):
                    raise RuntimeError(f"the first Ray worker died {self.settings.max_retries + 1} times while starting: {_first_line(exc)}") from None

    def _get(self, ref):
        """ray.get, with an error raised inside the worker re-raised as the original exception."""
        from ray.exceptions import RayTaskError

        try:
            return self._ray.get(ref)
        except RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    # -- generation ------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start every worker and load the model on each, in parallel (before timing a run, or
        to fail early); generate() otherwise loads it on each worker's first shard."""
        for slot in range(self.settings.num_workers):
            if slot not in self._slots:
                self._start(slot)
        refs = {self._slots[slot].load.remote(): slot for slot in self._slots}
        for ref, slot in refs.items():
            self._record(slot, self._get(ref))

    def _record(self, slot: int, out: dict) -> None:
        self._snapshots[self._incarnation[slot]] = {k: v for k, v in out.items() if k != "generations"}
        self.source_info.update(out["source_info"])
        loads = [s["load_seconds"] for s in self._snapshots.values() if s["load_seconds"] is not None]
        self.load_seconds = max(loads) if loads else None

    def generate(self, requests: list[Request], on_batch: OnBatch, *, _test_crashes: dict[int, int] | None = None) -> list[Generation]:
        """Generate every request on the workers; `on_batch(generations)` once per finished shard.

        `_test_crashes` (tests only): {shard: n}, the worker exits its process on the shard's
        first n attempts, as if its node went away.
        """
        if not requests:
            return []
        lost = _lost_worker_errors()
        shards = make_shards(requests, self.settings.shard_size)
        self.shards += len(shards)
        for slot in range(1, self.settings.num_workers):
            if slot not in self._slots and self._restarts.get(slot, 0) <= self.settings.max_retries:
                self._start(slot)
        results: dict[int, Generation] = {}
        pending = deque(range(len(shards)))
        attempts = [0] * len(shards)
        idle = deque([0]) if 0 in self._slots else deque()
        starting = {self._slots[s].info.remote(): s for s in self._slots if s not in idle}
        running: dict = {}  # ref -> (slot, shard)
        while pending or running:
            while idle and pending:
                slot, shard = idle.popleft(), pending.popleft()
                if slot not in self._slots:
                    pending.appendleft(shard)
                    continue
                crash = attempts[shard] < (_test_crashes or {}).get(shard, 0)
                ref = self._slots[slot].run.remote([requests[i] for i in shards[shard]], crash)
                running[ref] = (slot, shard)
            if not running and not starting:
                raise RuntimeError(
                    f"no Ray worker is left ({len(pending)} shard(s) to go): every worker slot died more than "
                    f"{self.settings.max_retries} times; see the Ray logs (/tmp/ray/session_latest/logs)"
                )
            (ref,), _ = self._ray.wait(list(running) + list(starting), num_returns=1)
            if ref in starting:
                slot = starting.pop(ref)
                try:
                    info = self._get(ref)
                except lost:
                    if self._replace(slot):
                        starting[self._slots[slot].info.remote()] = slot
                    continue
                if info["identity"] != self.identity:
                    raise RuntimeError(_identity_difference("the first worker's", self.identity, info))
                idle.append(slot)
                continue
            slot, shard = running.pop(ref)
            try:
                out = self._get(ref)
            except lost as exc:
                attempts[shard] += 1
                self.retries += 1
                if attempts[shard] > self.settings.max_retries:
                    articles = sorted({requests[i].article_id for i in shards[shard]})
                    raise RuntimeError(
                        f"shard {shard} ({len(shards[shard])} requests, articles {', '.join(articles[:3])}"
                        f"{' ...' if len(articles) > 3 else ''}) lost its worker {attempts[shard]} times "
                        f"(executor.ray.max_retries is {self.settings.max_retries}); last: {_first_line(exc)}"
                    ) from None
                pending.appendleft(shard)
                if self._replace(slot):
                    starting[self._slots[slot].info.remote()] = slot
                continue
            self._record(slot, out)
            generations = [replace(g, request=requests[i]) for g, i in zip(out["generations"], shards[shard])]
            for g, i in zip(generations, shards[shard]):
                results[i] = g
            idle.append(slot)
            on_batch(generations)
        return [results[i] for i in range(len(requests))]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for actor in list(self._slots.values()):
            try:
                self._ray.kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001
                pass
        self._slots.clear()
        if self._owns_ray:
            self._ray.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _MergedEfficiency:
    """`as_dict()` over the workers' latest efficiency snapshots."""

    def __init__(self, backend: RayBackend):
        self._backend = backend

    def merged(self):
        from harness.backends.efficiency import Efficiency

        total = Efficiency()
        for snapshot in self._backend._snapshots.values():
            e = snapshot["efficiency"]
            total.prefill_tokens += e["prefill_tokens"]
            total.prefill_seconds += e["prefill_seconds"]
            total.decode_tokens += e["decode_tokens"]
            total.decode_seconds += e["decode_seconds"]
            if e["peak_memory_mb"] is not None:
                total.peak_memory_mb = max(total.peak_memory_mb or 0.0, e["peak_memory_mb"])
        return total

    def as_dict(self) -> dict:
        return self.merged().as_dict()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _identity_difference(whose: str, expected: dict, info: dict) -> str:
    keys = sorted(k for k in set(expected) | set(info["identity"]) if expected.get(k) != info["identity"].get(k))
    detail = "; ".join(f"{k}: {expected.get(k)!r} vs {info['identity'].get(k)!r}" for k in keys)
    return (
        f"a Ray worker (node {info['node'][:12]}, pid {info['pid']}) would generate with another identity than {whose} "
        f"({detail}); outputs would be cached under the wrong key: install the same torch/transformers on every node "
        "and set the model's device and dtype explicitly"
    )


def generate_with_ray(
    model_config,
    seed: int,
    requests: list[Request],
    on_batch: OnBatch,
    settings: RaySettings | None = None,
    *,
    identity: dict | None = None,
    _test_crashes: dict[int, int] | None = None,
) -> RayResult:
    """Generate `requests` on Ray workers; `on_batch` is called once per finished shard.

    `identity`, when given (the runner's `backend.identity`, the key it caches under), must equal
    the workers' identity, else a RuntimeError says what differs (RayBackend avoids the issue by
    giving the runner the workers' identity).
    """
    with RayBackend(model_config, seed, settings, expected_identity=identity) as backend:
        generations = backend.generate(requests, on_batch, _test_crashes=_test_crashes)
        return RayResult(
            generations=generations,
            load_seconds=backend.load_seconds,
            efficiency=backend.efficiency.as_dict(),
            identity=backend.identity,
            shards=backend.shards,
            retries=backend.retries,
        )
