"""Real OpenAI-compatible servers for the `openai` backend's tests: `transformers serve` on a tiny
model folder, plus two small stand-ins for faults the real server cannot be made to produce
(each says why it exists)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(folder: Path, port: int, *extra: str) -> list[str]:
    return ["transformers", "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", "--dtype", "float32", *extra]


def wait_until_ready(url: str, process: subprocess.Popen | None = None, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def transformers_serve(folder: Path, *extra: str, log: Path | None = None):
    """A real `transformers serve` of `folder` on a free port; yields its base URL (…/v1)."""
    port = free_port()
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    out = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(serve_command(folder, port, *extra), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        kill_group(process.pid)
        process.wait(30)
        if log:
            out.close()


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def child_servers(port: int) -> list[int]:
    """Pids of this process's children that serve on `port` (a `launch:` server)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and f" --port {port} ".encode() in cmdline + b" ":
            pids.append(int(entry.name))
    return pids


def port_answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/health", timeout=2):
            return True
    except OSError:
        return False


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@contextmanager
def http_stub(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server
    finally:
        server.shutdown()
        server.server_close()


def refusing_handler():
    """Answers 401 to everything, as a server with an API key does to a wrong one.
    A stand-in because `transformers serve` has no authentication to refuse with."""

    class Refusing(_Quiet):
        requests = 0

        def _refuse(self):
            type(self).requests += 1
            body = json.dumps({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
            self.send_response(401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _refuse

    return Refusing


def faulty_proxy_handler(upstream: str, fail_posts: set[int], status: int = 500, headers: dict[str, str] | None = None):
    """Forwards every request to the real server `upstream`, except that the POSTs numbered in
    `fail_posts` (1 = the first) get `status` (500, 429 with a Retry-After, 400...) instead; once
    a test sets the class's `owner`, /v1/models answers the upstream's list with that owner, as a
    server that describes its model otherwise would. A stand-in because a real server cannot be made to fail
    on a chosen request and then recover, nor to change what it says about its model."""

    class FaultyProxy(_Quiet):
        posts = 0
        forwarded = 0
        bodies: list[bytes] = []  # every POST's body, in order (to see what was sent again)
        owner: str | None = None  # a test may set it between runs

        def do_GET(self):
            self._forward(None)

        def do_POST(self):
            type(self).posts += 1
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            type(self).bodies.append(body)
            if type(self).posts in fail_posts:
                kind = "server_error" if status >= 500 else "invalid_request_error"
                message = json.dumps({"error": {"message": f"injected fault {status}", "type": kind}}).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(message)))
                self.end_headers()
                self.wfile.write(message)
                return
            self._forward(body)

        def _forward(self, body: bytes | None):
            type(self).forwarded += 1
            url = upstream.removesuffix("/v1") + self.path
            request = urllib.request.Request(url, data=body, method=self.command, headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as response:
                data = response.read()
                owner = type(self).owner
                if owner is not None and self.path.rstrip("/").endswith("/v1/models"):
                    listed = json.loads(data)
                    listed["data"] = [{**entry, "owned_by": owner} for entry in listed["data"]]
                    data = json.dumps(listed).encode()
                self.send_response(response.status)
                self.send_header("content-type", response.headers.get("content-type", "application/json"))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    return FaultyProxy
