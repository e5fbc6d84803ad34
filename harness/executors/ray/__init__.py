"""Generation on a Ray cluster: N workers each load the model once and work through shards.

One job per module: `settings` (the config block), `cluster` (address probing, connecting,
the resource check), `worker` (the class each actor runs), `pool` (the worker slots: start,
restart, kill, read answers), `scheduler` (shards and the retry loop), `backend` (RayBackend,
the Backend the runner uses, and generate_with_ray).

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
does one call and returns a `RayResult`. Both take `worker_factory`, the class each actor runs
(default `Worker`), so tests can inject a worker that fails in a chosen way.

Efficiency rates are per worker: tokens over the summed time the workers spent, so with N
workers the run's throughput is up to N times `decode_tokens_per_second`. `peak_memory_mb` is
the highest of any worker.

Importing this package is cheap: Ray itself is imported only when a Ray executor starts.
"""

from __future__ import annotations

from harness.executors.ray.backend import RayBackend, RayResult, generate_with_ray
from harness.executors.ray.cluster import check_ray_address
from harness.executors.ray.scheduler import make_shards
from harness.executors.ray.settings import RaySettings
from harness.executors.ray.worker import Worker

__all__ = ["RayBackend", "RayResult", "RaySettings", "Worker", "check_ray_address", "generate_with_ray", "make_shards"]
