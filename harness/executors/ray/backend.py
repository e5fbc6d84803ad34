"""RayBackend, the `Backend` the runner uses for `executor: {ray: ...}`: it joins the cluster,
takes the workers' identity, hands generate() to the shard scheduler and merges the workers'
load times and efficiency; and `generate_with_ray`, one call that returns a `RayResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.executors.ray.cluster import check_resources, connect
from harness.executors.ray.pool import WorkerPool, identity_difference
from harness.executors.ray.scheduler import OnBatch, ShardRun, make_shards
from harness.executors.ray.settings import RaySettings
from harness.executors.ray.worker import Worker
from harness.records import Generation, Request


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


class RayBackend:
    """A Backend whose generate() runs on Ray workers (see harness.executors.ray).

    `worker_factory` is the class each actor runs (default `Worker`); tests pass a subclass,
    e.g. one whose process dies on its Nth shard.
    """

    def __init__(
        self,
        model_config,
        seed: int,
        settings: RaySettings | None = None,
        *,
        expected_identity: dict | None = None,
        worker_factory: type[Worker] = Worker,
    ):
        self.config = model_config
        self.seed = seed
        self.settings = settings or RaySettings()
        self.load_seconds: float | None = None
        self.source_info: dict = {}
        self.retries = 0
        self.shards = 0
        self._snapshots: dict[int, dict] = {}  # actor incarnation -> its latest load time and efficiency
        self._pool: WorkerPool | None = None
        self._closed = False
        self._ray, self._owns_ray = connect(self.settings)
        try:
            self._pool = WorkerPool(self._ray, worker_factory, self.settings, model_config, seed)
            check_resources(self._ray, self.settings)
            self._pool.start(0)
            info = self._pool.first_info(0)
        except BaseException:
            self.close()
            raise
        self.identity: dict = info["identity"]
        if expected_identity is not None and expected_identity != self.identity:
            self.close()
            raise RuntimeError(identity_difference("the driver's", expected_identity, info))
        self.tasks = frozenset(info["tasks"])
        self.source_info.update(info["source_info"])
        self.efficiency = _MergedEfficiency(self)

    @property
    def pool(self) -> WorkerPool:
        if self._pool is None:
            raise RuntimeError("the Ray backend did not start")
        return self._pool

    def ensure_loaded(self) -> None:
        """The Backend protocol's name for warm_up: every worker started and its model loaded."""
        self.warm_up()

    def warm_up(self) -> None:
        """Start every worker and load the model on each, in parallel (before timing a run, or
        to fail early); generate() otherwise loads it on each worker's first shard."""
        pool = self.pool
        for slot in range(self.settings.num_workers):
            if slot not in pool.slots:
                pool.start(slot)
        refs = {pool.load(slot): slot for slot in pool.slots}
        for ref, slot in refs.items():
            self._record(slot, pool.get(ref))

    def fit_to_window(self, requests: list[Request]) -> list[Request]:
        """Every prompt counted against the context window before generating, on a worker (the
        driver may have neither the tokenizer nor the model's files)."""
        pool = self.pool
        return pool.get(pool.fit_to_window(next(iter(pool.slots)), requests))

    def generate(self, requests: list[Request], on_batch: OnBatch) -> list[Generation]:
        """Generate every request on the workers; `on_batch(generations)` once per finished shard."""
        if not requests:
            return []
        shards = make_shards(requests, self.settings.shard_size)
        self.shards += len(shards)
        run = ShardRun(self.pool, requests, shards, self.identity, self._record)
        try:
            return run.run(on_batch)
        finally:
            self.retries += run.retries

    def _record(self, slot: int, out: dict) -> None:
        """Keep a worker's latest load time and efficiency (per incarnation) and its source info."""
        self._snapshots[self.pool.incarnation[slot]] = {k: v for k, v in out.items() if k != "generations"}
        self.source_info.update(out["source_info"])
        loads = [s["load_seconds"] for s in self._snapshots.values() if s["load_seconds"] is not None]
        self.load_seconds = max(loads) if loads else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            self._pool.close()
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
            total.decode_row_steps += e.get("decode_row_steps", 0)
            if e["peak_memory_mb"] is not None:
                total.peak_memory_mb = max(total.peak_memory_mb or 0.0, e["peak_memory_mb"])
        return total

    def as_dict(self) -> dict:
        return self.merged().as_dict()


def generate_with_ray(
    model_config,
    seed: int,
    requests: list[Request],
    on_batch: OnBatch,
    settings: RaySettings | None = None,
    *,
    identity: dict | None = None,
    worker_factory: type[Worker] = Worker,
) -> RayResult:
    """Generate `requests` on Ray workers; `on_batch` is called once per finished shard.

    `identity`, when given (the runner's `backend.identity`, the key it caches under), must equal
    the workers' identity, else a RuntimeError says what differs (RayBackend avoids the issue by
    giving the runner the workers' identity).
    """
    with RayBackend(model_config, seed, settings, expected_identity=identity, worker_factory=worker_factory) as backend:
        generations = backend.generate(requests, on_batch)
        return RayResult(
            generations=generations,
            load_seconds=backend.load_seconds,
            efficiency=backend.efficiency.as_dict(),
            identity=backend.identity,
            shards=backend.shards,
            retries=backend.retries,
        )
