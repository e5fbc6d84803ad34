"""A server started for a run (`launch:` in an openai model's config): started in its own process
group with its output in a log file, polled until its ready URL answers 200, and stopped, with
everything it spawned, when the model is done, when the run is interrupted, or when the harness
itself dies (Linux: the child gets SIGTERM when its parent goes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from harness.errors import HarnessError

POLL_SECONDS = 0.25
STOP_GRACE_SECONDS = 10.0


def ready_url(base_url: str, ready: str) -> str:
    """`ready` as a full URL: a path is taken on base_url's host (`/health` beside `/v1`)."""
    if urlsplit(ready).scheme:
        return ready
    parts = urlsplit(base_url)
    return urljoin(f"{parts.scheme}://{parts.netloc}", ready)


def answers(url: str, timeout: float = 2.0) -> bool:
    """True when `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the user's own URL)
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class LaunchedServer:
    """`start()` returns once the server answers; `stop()` is safe to call twice."""

    def __init__(self, name: str, launch, base_url: str, log_path: Path):
        self.name = name
        self.launch = launch
        self.url = ready_url(base_url, launch.ready_url)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start the command and wait for the ready URL; the seconds it took."""
        if answers(self.url):
            raise HarnessError(
                f"model {self.name}: launch: something already answers {self.url}, so the run would test that server, not "
                "the one it starts; stop it, or pick another port in launch.command and base_url"
            )
        started = time.perf_counter()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.launch.env}
        # the venv's console scripts (transformers, vllm) even when the venv is not activated
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(self.launch.command)}\n".encode())
            log.flush()
            try:
                self.process = subprocess.Popen(
                    self.launch.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                    start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            except OSError as exc:
                raise HarnessError(f"model {self.name}: launch.command cannot start ({exc.strerror or exc}): {self.launch.command[0]}") from None
        deadline = started + self.launch.ready_timeout_s
        while not answers(self.url):
            code = self.process.poll()
            if code is not None:
                raise HarnessError(f"model {self.name}: the launched server exited with status {code} before {self.url} answered; see {self.log_path}")
            if time.perf_counter() > deadline:
                self.stop()
                raise HarnessError(
                    f"model {self.name}: the launched server did not answer {self.url} within launch.ready_timeout_s="
                    f"{self.launch.ready_timeout_s:g} s; see {self.log_path}"
                )
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - started

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the server's own workers too (start_new_session made the group)
    except ProcessLookupError:
        pass


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the harness dies, even by kill -9."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)
