"""Shard scheduling: the requests split into shards of whole articles (`make_shards`), and the
retry loop that runs them on the worker slots (`ShardRun`, its state held in fields).

Every idle worker gets the next pending shard; finished shards stream to `on_batch`; a shard
whose worker was lost goes back to the front of the queue (at most `max_retries` times) while
its slot gets a new actor. An error raised inside generation is not retried: it propagates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from harness.executors.ray.pool import WorkerPool, first_line, identity_difference
from harness.records import Generation, Request

OnBatch = Callable[[list[Generation]], None]


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


@dataclass
class ShardRun:
    """One generate() call on the pool: `run(on_batch)` returns the generations in request order.

    The state between two events (a worker answered, a shard finished or lost its worker) is
    all here: the shards still to run, the workers that are starting, idle or running one, the
    attempts per shard and the results so far.
    """

    pool: WorkerPool
    requests: list[Request]
    shards: list[list[int]]
    identity: dict
    """Every worker must have this identity (the first worker's)."""
    record: Callable[[int, dict], None]
    """Called with (slot, the worker's output) for every finished shard."""

    pending: deque[int] = field(init=False)
    """Shards to run, the next first (a lost one goes back to the front)."""
    attempts: list[int] = field(init=False)
    """Per shard, how often its worker was lost."""
    idle: deque[int] = field(default_factory=deque, init=False)
    """Slots whose worker is ready for a shard."""
    starting: dict[Any, int] = field(default_factory=dict, init=False)
    """A worker's `info()` ref -> its slot, until it answers."""
    running: dict[Any, tuple[int, int]] = field(default_factory=dict, init=False)
    """A `run()` ref -> (slot, shard)."""
    results: dict[int, Generation] = field(default_factory=dict, init=False)
    """Request index -> its generation."""
    retries: int = field(default=0, init=False)
    """Shards that were run again because their worker was lost."""

    def __post_init__(self) -> None:
        self.pending = deque(range(len(self.shards)))
        self.attempts = [0] * len(self.shards)

    @property
    def max_retries(self) -> int:
        return self.pool.settings.max_retries

    def run(self, on_batch: OnBatch) -> list[Generation]:
        self._start_workers()
        while self.pending or self.running:
            self._dispatch()
            if not self.running and not self.starting:
                raise RuntimeError(
                    f"no Ray worker is left ({len(self.pending)} shard(s) to go): every worker slot died more than "
                    f"{self.max_retries} times; see the Ray logs (/tmp/ray/session_latest/logs)"
                )
            ref = self.pool.wait_one(list(self.running) + list(self.starting))
            if ref in self.starting:
                self._worker_answered(ref)
            else:
                self._shard_answered(ref, on_batch)
        return [self.results[i] for i in range(len(self.requests))]

    def _start_workers(self) -> None:
        """Start the slots that have no worker; slot 0 (checked when the backend started) is idle,
        the others are starting until their `info()` answers."""
        for slot in range(1, self.pool.settings.num_workers):
            if self.pool.can_start(slot):
                self.pool.start(slot)
        if 0 in self.pool.slots:
            self.idle.append(0)
        self.starting = {self.pool.info(slot): slot for slot in self.pool.slots if slot not in self.idle}

    def _dispatch(self) -> None:
        """The next pending shards to the idle workers."""
        while self.idle and self.pending:
            slot, shard = self.idle.popleft(), self.pending.popleft()
            if slot not in self.pool.slots:
                self.pending.appendleft(shard)
                continue
            ref = self.pool.run(slot, [self.requests[i] for i in self.shards[shard]])
            self.running[ref] = (slot, shard)

    def _restart(self, slot: int) -> None:
        if self.pool.replace(slot):
            self.starting[self.pool.info(slot)] = slot

    def _worker_answered(self, ref) -> None:
        slot = self.starting.pop(ref)
        try:
            info = self.pool.get(ref)
        except self.pool.lost:
            self._restart(slot)
            return
        if info["identity"] != self.identity:
            raise RuntimeError(identity_difference("the first worker's", self.identity, info))
        self.idle.append(slot)

    def _shard_answered(self, ref, on_batch: OnBatch) -> None:
        slot, shard = self.running.pop(ref)
        try:
            out = self.pool.get(ref)
        except self.pool.lost as exc:
            self._shard_lost(shard, exc)
            self._restart(slot)
            return
        self.record(slot, out)
        indices = self.shards[shard]
        generations = [replace(g, request=self.requests[i]) for g, i in zip(out["generations"], indices)]
        for g, i in zip(generations, indices):
            self.results[i] = g
        self.idle.append(slot)
        on_batch(generations)

    def _shard_lost(self, shard: int, exc: BaseException) -> None:
        """Queue the shard again, or fail the run once it lost its worker more than max_retries times."""
        self.attempts[shard] += 1
        self.retries += 1
        if self.attempts[shard] > self.max_retries:
            indices = self.shards[shard]
            articles = sorted({self.requests[i].article_id for i in indices})
            raise RuntimeError(
                f"shard {shard} ({len(indices)} requests, articles {', '.join(articles[:3])}"
                f"{' ...' if len(articles) > 3 else ''}) lost its worker {self.attempts[shard]} times "
                f"(executor.ray.max_retries is {self.max_retries}); last: {first_line(exc)}"
            ) from None
        self.pending.appendleft(shard)
