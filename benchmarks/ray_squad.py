"""Local vs Ray generation on SQuAD v1.1 dev questions with SmolLM2 (run by hand).

SmolLM2-135M-Instruct (configs/default.yaml, prefix reuse on, the default QA prompt and
post-processing) answers the first N questions of the SQuAD v1.1 dev file (about five per
paragraph, so each paragraph's questions share its prefilled prompt):

1. local: `HFBackend.generate` in this process (torch uses every core); `localN`: the same with
   N torch threads (`local1`: what each one-CPU Ray worker gets);
2. ray: `RayBackend` on a local Ray instance with W workers of one CPU each (each loads the
   model once; shards of whole paragraphs stream back); `rayWxC`: W workers of C CPUs each, the
   worker's torch threads set to C (OMP_NUM_THREADS through the runtime_env).

The question the issue asks on a 2-core machine: `--only local2,ray1x2,ray2x1 --rounds 2` (one
process with two threads, one worker with two threads, two workers with one thread each),
interleaved, with the load average before and after each run.

For each it prints and records questions per second over the generation alone (the model
already loaded) and end to end (start-up and load included), EM/F1 on the subset (SQuAD v1.1
rules, harness.metrics.qa.qa_scores after the config's QA post-processing) and how many outputs
the two executors agree on. It projects nothing: an earlier version extrapolated a full-SQuAD
run linearly to 8 and 64 workers from 2 one-CPU workers that gave no speed-up over one local
process (1.70 vs 1.78 questions/s), a figure no measurement here supports.

    .venv/bin/python benchmarks/ray_squad.py [--questions 500] [--workers 2] [--only local,local1,ray] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.backends.hf import HFBackend  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.executors import RayBackend, RaySettings  # noqa: E402
from harness.metrics.qa import qa_scores  # noqa: E402
from harness.postprocess import clean_answer  # noqa: E402
from harness.prompts import allows_prefix_reuse, build_requests  # noqa: E402
from harness.sources import load_squad_articles  # noqa: E402

SQUAD = ROOT.parent / "shared" / "validation" / "squad" / "v1.1" / "dev-v1.1.reconstructed.json"


def setup(n_questions: int):
    config = load_config(ROOT / "configs" / "default.yaml")
    model = next(m for m in config.models if m.name == "smollm2-135m-instruct")
    qa = config.task(model, "qa")
    assert model.prefix_reuse and allows_prefix_reuse(qa.prompt), "the benchmark is about prefix reuse being on"
    articles = load_squad_articles(SQUAD, limit=n_questions)
    requests = build_requests(articles, {"qa": qa})
    return config, model, qa, articles, requests


def scores(generations, articles, qa) -> dict:
    answers = {(a.id, q.id): q.answers for a in articles for q in a.questions}
    em = f1 = 0.0
    for g in generations:
        s, _ = qa_scores(clean_answer(g.raw_output, qa.postprocess), answers[(g.request.article_id, g.request.item_id)])
        em += s["exact_match"]
        f1 += s["f1"]
    n = len(generations)
    return {"exact_match": round(em / n, 4), "f1": round(f1 / n, 4), "n": n}


def run_local(model, seed, requests, threads: int | None = None) -> tuple[dict, list]:
    import torch

    default_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    backend = HFBackend(model, seed)
    backend.ensure_loaded()
    ready = time.perf_counter()
    generations = backend.generate(requests, lambda _batch: None)
    ended = time.perf_counter()
    result = {
        "executor": "local (HFBackend.generate, one process)",
        "torch_threads": torch.get_num_threads(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "startup_and_load_seconds": round(ready - started, 2),
        "generation_seconds": round(ended - ready, 2),
        "efficiency": backend.efficiency.as_dict(),
    }
    backend.close()
    torch.set_num_threads(default_threads)
    return result, generations


def run_ray(model, seed, requests, workers: int, shard_size: int, cpus: int = 1) -> tuple[dict, list]:
    settings = RaySettings(num_workers=workers, cpus_per_worker=cpus, shard_size=shard_size,
                           runtime_env={"env_vars": {"OMP_NUM_THREADS": str(cpus)}})
    started = time.perf_counter()
    shards = []
    with RayBackend(model, seed, settings) as backend:
        backend.warm_up()  # every worker loads the model before the clock starts
        ready = time.perf_counter()
        generations = backend.generate(requests, shards.append)
        ended = time.perf_counter()
        result = {
            "executor": f"ray ({workers} workers x {cpus} CPU, local instance, shard_size {shard_size})",
            "startup_and_load_seconds": round(ready - started, 2),
            "worker_load_seconds_max": round(backend.load_seconds, 2),
            "generation_seconds": round(ended - ready, 2),
            "shards": len(shards),
            "retries": backend.retries,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "efficiency": backend.efficiency.as_dict(),
        }
    return result, generations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=16)
    parser.add_argument("--only", default="local,ray")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every executor; medians are reported")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "ray_squad.json"))
    args = parser.parse_args()

    config, model, qa, articles, requests = setup(args.questions)
    results = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "subset": {"file": str(SQUAD.relative_to(ROOT.parent)), "questions": len(requests), "paragraphs": len(articles),
                   "questions_per_paragraph": round(len(requests) / len(articles), 2)},
        "model": model.name, "prefix_reuse": model.prefix_reuse, "batch_size": model.batch_size,
        "executors": {},
    }
    outputs = {}
    rounds: dict[str, list[dict]] = {}
    for round_ in range(args.rounds):
        for name in args.only.split(","):
            print(f"== {name} (round {round_ + 1}): {len(requests)} questions over {len(articles)} paragraphs ...", flush=True)
            load_before = [round(x, 2) for x in os.getloadavg()]
            if name == "local":
                result, generations = run_local(model, config.seed, requests)
            elif re.fullmatch(r"local\d+", name):  # the local executor with N torch threads
                result, generations = run_local(model, config.seed, requests, threads=int(name[5:]))
            elif name == "ray":
                result, generations = run_ray(model, config.seed, requests, args.workers, args.shard_size)
            elif shape := re.fullmatch(r"ray(\d+)x(\d+)", name):
                result, generations = run_ray(model, config.seed, requests, int(shape[1]), args.shard_size, cpus=int(shape[2]))
            else:
                raise SystemExit(f"--only: unknown executor {name!r} (local, localN, ray, rayWxC)")
            result["load_average_before"] = load_before
            result["questions_per_second"] = round(len(requests) / result["generation_seconds"], 3)
            result["questions_per_second_end_to_end"] = round(
                len(requests) / (result["generation_seconds"] + result["startup_and_load_seconds"]), 3)
            result["scores"] = scores(generations, articles, qa)
            rounds.setdefault(name, []).append(result)
            outputs[name] = generations
            print(json.dumps(result, indent=2), flush=True)
    for name, runs in rounds.items():
        results["executors"][name] = {
            **runs[-1],
            "rounds": len(runs),
            "questions_per_second_by_round": [r["questions_per_second"] for r in runs],
            "questions_per_second": statistics.median(r["questions_per_second"] for r in runs),
        }
    reference = next((name for name in outputs if name.startswith("local")), None)
    for name in outputs:
        if reference and name.startswith("ray"):
            local, ray = outputs[reference], outputs[name]
            same = sum(a.raw_output == b.raw_output and a.new_tokens == b.new_tokens for a, b in zip(local, ray))
            results[f"agreement_{reference}_vs_{name}"] = {"identical_outputs": same, "of": len(local)}
            pairs = zip(rounds[reference], rounds[name])  # round i of each: run next to each other
            ratios = [b["questions_per_second"] / a["questions_per_second"] for a, b in pairs]
            results[f"{name}_over_{reference}_paired"] = {"median": round(statistics.median(ratios), 3), "min": round(min(ratios), 3), "max": round(max(ratios), 3)}
    print(json.dumps({k: v for k, v in results.items() if k != "executors"}, indent=2), flush=True)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    # one entry per subset size and executor set, so runs of different sizes sit side by side
    previous = json.loads(output.read_text()) if output.exists() else {}
    runs = previous.get("runs", {})
    runs[f"{len(requests)}_questions:{args.only}"] = results
    output.write_text(json.dumps({"benchmark": "ray_squad", "runs": runs}, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
