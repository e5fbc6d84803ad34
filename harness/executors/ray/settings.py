"""The Ray executor's settings: the config's `executor: {ray: {...}}` block (pydantic)."""

from __future__ import annotations

from pydantic import Field

from harness.strict import Strict


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
