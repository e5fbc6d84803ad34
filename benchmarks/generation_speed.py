"""Generation speed benchmarks (run by hand; prints a table and writes JSON).

1. cold vs warm: the default config with an empty generation cache, then again (the GGUF
   conversions are reused in both, so "cold" measures generation, not de-quantization).
   Target: warm at most 5% of cold.
2. QA cost as the number of questions grows: 4, 8, 16, 32 questions over the shipped article,
   SmolLM2, with and without shared-article prefix reuse. The cost of one extra question is the
   slope of a least-squares line through (questions, seconds). Target: with reuse at most a
   third of without.
3. Batch and reuse equivalence on the real models: greedy outputs at batch size 8 (with and
   without reuse) against batch size 1 without reuse, for every shipped question and summary.

    .venv/bin/python benchmarks/generation_speed.py [--only cold-warm,qa-scaling,equivalence]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.backends.weights import cache_dir  # noqa: E402
from harness.config import HFModel, load_config  # noqa: E402
from harness.evalset import load_eval_set  # noqa: E402
from harness.prompts import build_requests  # noqa: E402
from harness.records import Request  # noqa: E402


def cold_warm() -> dict:
    user_cache = cache_dir()
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(user_cache / "gguf", Path(tmp) / "gguf")  # reuse conversions, not generations
        env = {**os.environ, "HARNESS_CACHE_DIR": tmp}
        times = []
        for label in ("cold", "warm"):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "harness", "--config", "configs/default.yaml", "--output-dir", str(Path(tmp) / label)],
                cwd=ROOT, env=env, capture_output=True, text=True,
            )
            times.append(time.perf_counter() - started)
            if result.returncode != 0:
                raise SystemExit(result.stderr[-2000:])
    cold, warm = times
    return {"cold_seconds": round(cold, 2), "warm_seconds": round(warm, 2), "warm_over_cold": round(warm / cold, 4)}


def _smollm2(**extra) -> HFModel:
    config = load_config(ROOT / "configs" / "default.yaml")
    return next(m for m in config.models if m.name == "smollm2-135m-instruct").model_copy(update=extra)


def _questions(n: int) -> list[Request]:
    config = load_config(ROOT / "configs" / "default.yaml")
    (article,) = load_eval_set(config.eval_set)
    qa = config.tasks.qa
    out = []
    for i in range(n):
        q = article.questions[i % len(article.questions)]
        text = q.question if i < len(article.questions) else f"{q.question} (asked again, {i})"
        prompt = qa.prompt.format(article=article.text, question=text)
        out.append(Request(article.id, "qa", f"q{i}", prompt, qa.max_new_tokens, qa.stop, article=article.text))
    return out


def _slope(points: list[tuple[int, float]]) -> float:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def qa_scaling() -> dict:
    from harness.backends.hf import HFBackend

    rows = {}
    for reuse in (True, False):
        backend = HFBackend(_smollm2(prefix_reuse=reuse, batch_size=8), seed=0)
        backend.generate(_questions(2), lambda _: None)  # load and warm up outside the timing
        points = []
        for n in (4, 8, 16, 32):
            times = []
            for _ in range(3):  # the median of three: this machine is shared
                started = time.perf_counter()
                backend.generate(_questions(n), lambda _: None)
                times.append(time.perf_counter() - started)
            points.append((n, round(sorted(times)[1], 2)))
        rows["with_reuse" if reuse else "without_reuse"] = {"points": points, "seconds_per_extra_question": round(_slope(points), 3)}
        backend.close()
    rows["extra_question_cost_ratio"] = round(
        rows["with_reuse"]["seconds_per_extra_question"] / rows["without_reuse"]["seconds_per_extra_question"], 3
    )
    return rows


def equivalence() -> dict:
    from harness.backends.hf import HFBackend

    config = load_config(ROOT / "configs" / "default.yaml")
    articles = load_eval_set(config.eval_set)
    out = {}
    for model in config.models:
        if model.backend != "hf":
            continue
        tasks = {"summary": config.task(model, "summary"), "qa": config.task(model, "qa")}
        requests = build_requests(articles, tasks)
        runs = {}
        for label, extra in (("bs1", {"batch_size": 1, "prefix_reuse": False}), ("bs8", {"batch_size": 8, "prefix_reuse": False}), ("bs8_reuse", {"batch_size": 8, "prefix_reuse": True})):
            backend = HFBackend(model.model_copy(update=extra), seed=0)
            runs[label] = [g.raw_output for g in backend.generate(requests, lambda _: None)]
            backend.close()
        out[model.name] = {
            label: {
                "identical": sum(a == b for a, b in zip(runs["bs1"], runs[label])),
                "of": len(requests),
                "differing": [
                    {"item": r.item_id, "bs1": a, label: b} for r, a, b in zip(requests, runs["bs1"], runs[label]) if a != b
                ],
            }
            for label in ("bs8", "bs8_reuse")
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="cold-warm,qa-scaling,equivalence")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "generation_speed.json"))
    parser.add_argument("--threads", type=int, help="torch threads (1 is steadier on a busy machine)")
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # for the CLI runs of cold-warm
        import torch

        torch.set_num_threads(args.threads)
    results = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}}
    steps = {"cold-warm": cold_warm, "qa-scaling": qa_scaling, "equivalence": equivalence}
    for name in args.only.split(","):
        started = time.perf_counter()
        results[name] = steps[name]()
        print(f"== {name} ({time.perf_counter() - started:.0f} s)\n{json.dumps(results[name], indent=2, ensure_ascii=False)}", flush=True)
    output = Path(args.output)
    previous = json.loads(output.read_text()) if output.exists() else {}
    output.write_text(json.dumps({**previous, **results}, indent=2, ensure_ascii=False) + "\n")
    print(f"written: {output}")


if __name__ == "__main__":
    main()
