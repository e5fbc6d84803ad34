"""The connection to the Ray cluster: probing its address, joining (or starting) it, and
checking that some node can hold a worker. Ray is imported only here and only when called."""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError
from harness.executors.ray.settings import RaySettings

DEFAULT_GCS_PORT, DEFAULT_CLIENT_PORT = 6379, 10001
_FIX = "start it with `ray start --head` or fix executor.ray.address"


def cluster_address(settings: RaySettings) -> str | None:
    """The address to join: the settings', else $RAY_ADDRESS, else None (a local instance)."""
    return settings.address or os.environ.get("RAY_ADDRESS") or None


def check_ray_address(settings: RaySettings) -> None:
    """The checks that need no Ray session, for a run's up-front validation (exit 2): Ray is
    installed, and the cluster address (settings, else $RAY_ADDRESS) answers within
    `connect_timeout_s`. Raises a one-line HarnessError."""
    if importlib.util.find_spec("ray") is None:
        raise HarnessError("executor: ray needs the `ray` package on this machine and every worker node: pip install 'ray>=2.9'")
    address = cluster_address(settings)
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
    if not host:
        raise HarnessError(f"executor.ray.address: {address!r} is not host:port, ray://host:port or auto; {_FIX}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, socket.timeout):
            reason = f"no answer within {timeout:g} s"
        raise HarnessError(f"cannot reach the Ray cluster at {address} ({reason}): {_FIX}") from None


def connect(settings: RaySettings) -> tuple[Any, bool]:
    """The `ray` module, connected: `(ray, owned)`, where `owned` says this call started the Ray
    session (so the caller shuts it down when done). A session the caller already has (a
    notebook, the tests, `ray job submit`) is used as is."""
    check_ray_address(settings)
    import ray

    if ray.is_initialized():
        return ray, False
    address = cluster_address(settings)
    kwargs: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False)
    try:
        if address is None or address == "local":
            ray.init(address="local", include_dashboard=False, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except Exception as exc:  # noqa: BLE001
        where = address or "a local instance"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HarnessError(f"cannot reach the Ray cluster at {where} ({message}): {_FIX}") from None
    return ray, True


def check_resources(ray: Any, settings: RaySettings) -> None:
    """Fail at once when no node could ever hold one worker (it would wait forever)."""
    need_cpu, need_gpu = settings.cpus_per_worker, settings.gpus_per_worker
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    fits = [n for n in nodes if n["Resources"].get("CPU", 0) >= need_cpu and n["Resources"].get("GPU", 0) >= need_gpu]
    if nodes and not fits:
        have = ", ".join(f"{n['Resources'].get('CPU', 0):g} CPU/{n['Resources'].get('GPU', 0):g} GPU" for n in nodes)
        raise HarnessError(
            f"executor.ray: no node of the Ray cluster can hold a worker with {need_cpu:g} CPU and {need_gpu:g} GPU "
            f"(nodes: {have}); lower executor.ray.cpus_per_worker / gpus_per_worker or add nodes"
        )
