"""The default config's QA work through `transformers serve` (`backend: openai`) against the
in-process `hf` backend, on the same machine; and the served throughput over concurrency.

The work: SmolLM2-135M-Instruct (the pip package's GGUF, converted once by the harness's GGUF
cache, float32, CPU) answers the 15 questions of references/korea.yaml with the qa block of
configs/default.yaml (chat template, greedy, 24 new tokens at most, its stop strings).

- hf: the harness's HFBackend, batch 8 with shared-article prefix reuse (the default), loaded
  once before timing.
- served: `transformers serve <converted folder>` started once through the harness's own
  `launch:` code (harness/backends/launch.py), with continuous batching (`--continuous-batching`,
  its KV cache bounded by --cb-num-blocks: unbounded, it sized the cache from the machine's
  memory and took 14.8 GB here), then the harness's OpenAIBackend with `concurrency` requests in
  flight. A second server without continuous batching is measured too.

Both sides get the same torch threads (`--threads`, default: the machine's cores): the server
process through OMP_NUM_THREADS, this process through torch.set_num_threads. The timed span is
generate() over all 15 requests: no load, no start-up. Rounds are interleaved (hf, served, hf,
served, ...), and the headline is the median of the paired ratios served/hf with their range, as
the project asks of every timing; the load average is recorded around each run. Every run's
answers are compared with the hf backend's first run (greedy: they must be equal).

    .venv/bin/python benchmarks/served_vs_hf.py [--rounds 5] [--concurrency 1,2,4,8] [--threads N]

Writes benchmarks/results/served_vs_hf.json and prints a table. Not measured here: a GPU (vLLM or
SGLang on CUDA, where continuous batching and paged attention are built for), more than 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.backends.hf import HFBackend  # noqa: E402
from harness.backends.launch import LaunchedServer  # noqa: E402
from harness.backends.openai_api import OpenAIBackend  # noqa: E402
from harness.backends.openai_config import Launch, OpenAIModel  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.prompts import build_requests  # noqa: E402
from harness.sources import load_articles  # noqa: E402
from harness.versions import package_version  # noqa: E402

MODEL = "smollm2-135m-instruct"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def qa_requests():
    path = ROOT / "configs" / "default.yaml"
    config = load_config(path)
    model = next(m for m in config.models if m.name == MODEL)
    articles, _, _ = load_articles(config, path)
    return model, build_requests(articles, {"qa": config.task(model, "qa")})


def timed(backend, requests) -> dict:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    generations = backend.generate(requests, lambda batch: None)
    seconds = time.perf_counter() - started
    tokens = sum(g.new_tokens for g in generations)
    return {
        "seconds": round(seconds, 3),
        "new_tokens": tokens,
        "tokens_per_second": round(tokens / seconds, 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "outputs": [g.raw_output for g in generations],
    }


def start_server(folder: Path, threads: int, continuous_batching: bool, log: Path) -> tuple[LaunchedServer, str]:
    port = free_port()
    command = ["transformers", "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", "--dtype", "float32"]
    if continuous_batching:
        # 512 blocks of 32 tokens: 16k tokens of KV cache, ~750 MB for SmolLM2 in float32
        command += ["--continuous-batching", "--cb-num-blocks", "512", "--cb-block-size", "32"]
    launch = Launch(command=command, env={"OMP_NUM_THREADS": str(threads)}, ready_timeout_s=600)
    base_url = f"http://127.0.0.1:{port}/v1"
    server = LaunchedServer("bench", launch, base_url, log)
    server.start()
    return server, base_url


def served_backend(base_url: str, folder: Path, concurrency: int) -> OpenAIBackend:
    return OpenAIBackend(OpenAIModel(name="served", backend="openai", base_url=base_url, model=str(folder), concurrency=concurrency, max_retries=0, timeout_s=3600), seed=0)


def summary(ratios: list[float]) -> dict:
    return {"median": round(statistics.median(ratios), 3), "min": round(min(ratios), 3), "max": round(max(ratios), 3), "n": len(ratios)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "served_vs_hf.json")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]

    import torch

    torch.set_num_threads(args.threads)
    model_config, requests = qa_requests()
    hf = HFBackend(model_config, seed=0)
    hf.ensure_loaded()
    folder = Path(hf.resolved.location)
    scratch = ROOT / "benchmarks" / "results" / "served_vs_hf"
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {p: package_version(p) for p in ("torch", "transformers", "openai")},
        "threads": args.threads,
        "requests": len(requests),
        "rounds": args.rounds,
    }
    reference = None
    mismatches = 0

    def check(run: dict) -> dict:
        nonlocal reference, mismatches
        outputs = run.pop("outputs")
        reference = reference or outputs
        run["outputs_equal_hf"] = outputs == reference
        mismatches += outputs != reference
        return run

    for continuous_batching in (True, False):
        label = "continuous_batching" if continuous_batching else "plain_generate"
        server, base_url = start_server(folder, args.threads, continuous_batching, scratch / f"{label}.server.log")
        try:
            backends = {c: served_backend(base_url, folder, c) for c in levels}
            top = max(levels)
            paired = []
            for _ in range(args.rounds):  # hf, served, hf, served, ...
                a = check(timed(hf, requests))
                b = check(timed(backends[top], requests))
                paired.append({"hf": a, "served": b, "wall_ratio": round(b["seconds"] / a["seconds"], 3),
                               "tokens_per_second_ratio": round(b["tokens_per_second"] / a["tokens_per_second"], 3)})
            curve = {c: [] for c in levels}
            for _ in range(args.rounds):  # 1, 2, 4, 8, 1, 2, 4, 8, ...
                for c in levels:
                    run = check(timed(backends[c], requests))
                    run["requests_per_second"] = round(len(requests) / run["seconds"], 3)
                    curve[c].append(run)
        finally:
            server.stop()
        results[label] = {
            "server_command": server.launch.command,
            "concurrency_for_ratio": top,
            "paired": paired,
            "wall_ratio_served_over_hf": summary([p["wall_ratio"] for p in paired]),
            "tokens_per_second_ratio_served_over_hf": summary([p["tokens_per_second_ratio"] for p in paired]),
            "concurrency_curve": {
                str(c): {
                    "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
                    "median_requests_per_second": round(statistics.median(r["requests_per_second"] for r in runs), 3),
                    "median_tokens_per_second": round(statistics.median(r["tokens_per_second"] for r in runs), 2),
                    "runs": runs,
                }
                for c, runs in curve.items()
            },
        }
    results["answer_mismatches"] = mismatches
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")

    print(f"{len(requests)} QA requests, SmolLM2-135M-Instruct fp32 CPU, {args.threads} threads, {args.rounds} interleaved rounds; answers differing from hf: {mismatches}")
    for label in ("continuous_batching", "plain_generate"):
        r = results[label]
        w, t = r["wall_ratio_served_over_hf"], r["tokens_per_second_ratio_served_over_hf"]
        print(f"\n{label}: served (concurrency {r['concurrency_for_ratio']}) / hf wall time: median {w['median']} (range {w['min']}-{w['max']}); tokens/s ratio {t['median']} ({t['min']}-{t['max']})")
        print("| concurrency | median s | requests/s | tokens/s |\n|---|---|---|---|")
        for c, row in r["concurrency_curve"].items():
            print(f"| {c} | {row['median_seconds']} | {row['median_requests_per_second']} | {row['median_tokens_per_second']} |")
    print(f"\nwritten: {args.output}")
    return 0 if mismatches == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
