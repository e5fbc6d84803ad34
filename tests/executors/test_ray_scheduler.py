"""The shard scheduler's retry loop on a fake worker pool (no Ray): which shards run where, what
a lost worker costs, and when the run gives up. The real pool is tested in test_ray_executor.py."""

import pytest

from harness.executors.ray.scheduler import ShardRun, make_shards
from harness.executors.ray.settings import RaySettings
from harness.records import Generation, Request


class Lost(Exception):
    """Stands in for Ray's lost-worker errors."""


class FakePool:
    """The WorkerPool interface over plain tuples as refs; `doomed` incarnations lose their first shard."""

    lost = (Lost,)

    def __init__(self, num_workers: int, max_retries: int, doomed=()):
        self.settings = RaySettings(num_workers=num_workers, max_retries=max_retries)
        self.slots: dict[int, int] = {}
        self.incarnation: dict[int, int] = {}
        self.restarts: dict[int, int] = {}
        self.doomed = set(doomed)
        self.ran: list[tuple[int, list[str]]] = []  # (incarnation, article ids)
        self._next = 0

    def can_start(self, slot):
        return slot not in self.slots and self.restarts.get(slot, 0) <= self.settings.max_retries

    def start(self, slot):
        self.slots[slot] = self.incarnation[slot] = self._next
        self._next += 1

    def replace(self, slot):
        self.slots.pop(slot, None)
        self.restarts[slot] = self.restarts.get(slot, 0) + 1
        if self.restarts[slot] > self.settings.max_retries:
            return False
        self.start(slot)
        return True

    def info(self, slot):
        return ("info", self.slots[slot])

    def run(self, slot, requests):
        return ("run", self.slots[slot], tuple(requests))

    def wait_one(self, refs):
        return refs[0]

    def get(self, ref):
        if ref[0] == "info":
            return {"identity": {"backend": "fake"}}
        _, incarnation, requests = ref
        self.ran.append((incarnation, [r.article_id for r in requests]))
        if incarnation in self.doomed:
            self.doomed.discard(incarnation)
            raise Lost(f"worker {incarnation} died\nstack ...")
        generations = [Generation(r, f"out {r.item_id}", 1, 0.1) for r in requests]
        return {"generations": generations, "load_seconds": 1.0, "efficiency": {}, "source_info": {}}


def requests(n_articles: int = 4) -> list[Request]:
    return [Request(f"a{i}", "summary", f"a{i}", f"prompt {i}", 8) for i in range(n_articles)]


def shard_run(pool, reqs, shard_size=1):
    pool.start(0)  # the backend starts and checks slot 0 before any run
    recorded = []
    run = ShardRun(pool, reqs, make_shards(reqs, shard_size), {"backend": "fake"}, lambda slot, out: recorded.append(slot))
    return run, recorded


def test_every_shard_runs_once_and_results_come_back_in_request_order():
    pool, reqs = FakePool(num_workers=2, max_retries=1), requests()
    run, recorded = shard_run(pool, reqs)
    batches = []
    out = run.run(batches.append)
    assert [g.request for g in out] == reqs and [g.raw_output for g in out] == [f"out a{i}" for i in range(4)]
    assert sorted(a for _, articles in pool.ran for a in articles) == ["a0", "a1", "a2", "a3"]
    assert len(batches) == len(recorded) == 4 and run.retries == 0
    assert not run.pending and not run.running and run.attempts == [0, 0, 0, 0]


def test_a_lost_worker_costs_its_shard_only():
    pool, reqs = FakePool(num_workers=1, max_retries=2, doomed={0}), requests()
    run, _ = shard_run(pool, reqs)
    batches = []
    out = run.run(batches.append)
    assert [g.request for g in out] == reqs and run.retries == 1 and run.attempts == [1, 0, 0, 0]
    assert pool.ran[:2] == [(0, ["a0"]), (1, ["a0"])]  # the replacement runs the lost shard first
    assert len(batches) == 4 and pool.restarts == {0: 1}


def test_a_shard_lost_more_than_max_retries_times_fails_the_run():
    pool, reqs = FakePool(num_workers=1, max_retries=1, doomed={0, 1}), requests()
    run, _ = shard_run(pool, reqs, shard_size=2)
    batches = []
    with pytest.raises(RuntimeError, match=r"^shard 0 \(2 requests, articles a0, a1\) lost its worker 2 times \(executor.ray.max_retries is 1\); last: worker 1 died$"):
        run.run(batches.append)
    assert batches == [] and run.retries == 2
