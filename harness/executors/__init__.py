"""Where generation runs. The default is the backend's own `generate` in this process;
the `ray` package spreads it over a Ray cluster (`executor: {ray: {...}}` in a config).

Importing this package is cheap: Ray is imported only when a Ray executor starts.
"""

from __future__ import annotations

from harness.executors.ray import RayBackend, RayResult, RaySettings, Worker, check_ray_address, generate_with_ray, make_shards

__all__ = ["RayBackend", "RayResult", "RaySettings", "Worker", "check_ray_address", "generate_with_ray", "make_shards"]
