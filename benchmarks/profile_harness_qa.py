"""Where the harness's time goes on the lm_eval_compare work (SmolLM2-135M-Instruct, float32,
CPU, the 15 questions of references/korea.yaml, batch 8), in one process, stage by stage.

It uses the bench config that benchmarks/lm_eval_compare.py writes (run that first), loads the
model once through the harness's own backend, then generates the 15 answers `--repeat` times
with prefix reuse and without, alternating, and times every forward pass of the model: the
shared-prefix prefill (reuse only), each generate() call's first forward (its prefill) and its
decode steps. Wall and CPU seconds (user + system of this process) are both shown: on a shared
machine the wall clock moves with the other load, CPU seconds much less.

    .venv/bin/python benchmarks/profile_harness_qa.py [--repeat 3] [--torch-profile] [--output PATH]

--torch-profile adds torch.profiler's top operators for one generation of each mode.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "results" / "lm_eval_compare"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Clock:
    def __init__(self):
        self.stages = {}

    def stage(self, name, fn, *args, **kwargs):
        w, c = time.perf_counter(), cpu()
        out = fn(*args, **kwargs)
        self.stages[name] = {"wall": round(time.perf_counter() - w, 3), "cpu": round(cpu() - c, 3)}
        return out


class ForwardTimer:
    """Times every forward pass of the model with forward hooks (so generate() still sees the
    model's own forward signature) and puts it in the phase the caller set."""

    def __init__(self, model):
        self.phase = "other"
        self.calls_in_generate = 0
        self.started = None
        self.records = defaultdict(lambda: {"calls": 0, "wall": 0.0, "cpu": 0.0, "tokens": 0})

        def before(module, args, kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            self.current_tokens = int(ids.numel()) if ids is not None else 0
            self.started = (time.perf_counter(), cpu())

        def after(module, args, kwargs, output):
            wall, used = time.perf_counter() - self.started[0], cpu() - self.started[1]
            phase = self.phase
            if phase == "generate":
                phase = "generate_prefill" if self.calls_in_generate == 0 else "decode_step"
                self.calls_in_generate += 1
            rec = self.records[phase]
            rec["calls"] += 1
            rec["wall"] += wall
            rec["cpu"] += used
            rec["tokens"] += self.current_tokens

        model.register_forward_pre_hook(before, with_kwargs=True)
        model.register_forward_hook(after, with_kwargs=True)
        inner_generate = model.generate

        @functools.wraps(inner_generate)
        def generate(*args, **kwargs):
            self.phase, self.calls_in_generate = "generate", 0
            w, c = time.perf_counter(), cpu()
            try:
                return inner_generate(*args, **kwargs)
            finally:
                rec = self.records["generate_call_total"]
                rec["calls"] += 1
                rec["wall"] += time.perf_counter() - w
                rec["cpu"] += cpu() - c
                self.phase = "other"

        model.generate = generate

    def reset(self):
        self.records.clear()

    def summary(self):
        return {k: {**v, "wall": round(v["wall"], 3), "cpu": round(v["cpu"], 3)} for k, v in self.records.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--torch-profile", action="store_true")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads(N) after the model loads; default: torch's own choice")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "profile_harness_qa.json")
    args = parser.parse_args()
    config_path = WORK / "inputs" / "bench-qa-reuse.yaml"
    if not config_path.exists():
        raise SystemExit(f"{config_path} is missing: run benchmarks/lm_eval_compare.py first")

    clock = Clock()
    clock.stages["python_start_to_main"] = {"wall": round(time.perf_counter() - T0, 3), "cpu": round(cpu(), 3)}
    runner = clock.stage("import_harness_runner", __import__, "harness.runner", fromlist=["prepare"])
    from harness.backends import hf_prefix
    from harness.backends.hf import HFBackend
    from harness.prompts import build_requests

    plan = clock.stage("prepare_config_and_eval_set", runner.prepare, config_path, use_cache=False)
    model_config = plan.models[0]
    backend = clock.stage("backend_init_resolve_source_sha256", HFBackend, model_config, plan.config.seed)
    clock.stage("import_torch_transformers", lambda: (__import__("torch"), __import__("transformers")))
    clock.stage("model_load", backend.ensure_loaded)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}", file=sys.stderr)
    tasks = {t: plan.config.task(model_config, t) for t in ("summary", "qa")}
    requests = build_requests(plan.articles, tasks)
    clock.stage("render_and_tokenize", lambda: [backend._encode(backend.render(r)) for r in requests])

    timer = ForwardTimer(backend.model)
    inner_prefill = hf_prefix.prefill

    def prefill(model, prefix_ids, device):
        timer.phase = "prefix_prefill"
        try:
            return inner_prefill(model, prefix_ids, device)
        finally:
            timer.phase = "other"

    hf_prefix.prefill = prefill

    runs = defaultdict(list)
    outputs = {}
    for i in range(args.repeat):
        for reuse in (True, False):
            label = "reuse" if reuse else "no_reuse"
            backend.config = model_config.model_copy(update={"prefix_reuse": reuse})
            timer.reset()
            w, c = time.perf_counter(), cpu()
            generations = backend.generate(requests, lambda _: None)
            wall, used = time.perf_counter() - w, cpu() - c
            runs[label].append({"wall": round(wall, 3), "cpu": round(used, 3), "forward": timer.summary()})
            outputs.setdefault(label, [g.raw_output for g in generations])
            print(f"{i + 1}/{args.repeat} {label}: {wall:.1f} s wall, {used:.1f} s cpu", file=sys.stderr, flush=True)

    ops = {}
    if args.torch_profile:
        from torch.profiler import ProfilerActivity, profile

        for reuse in (True, False):
            label = "reuse" if reuse else "no_reuse"
            backend.config = model_config.model_copy(update={"prefix_reuse": reuse})
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                backend.generate(requests, lambda _: None)
            table = prof.key_averages()
            rows = sorted(table, key=lambda e: -e.self_cpu_time_total)[:15]
            ops[label] = [{"op": e.key, "self_cpu_s": round(e.self_cpu_time_total / 1e6, 3), "calls": e.count} for e in rows]

    def med(label, *path):
        values = []
        for run in runs[label]:
            node = run
            for key in path:
                node = node.get(key, {}) if isinstance(node, dict) else {}
            values.append(node if isinstance(node, (int, float)) else 0.0)
        return round(statistics.median(values), 3)

    print("\nstages (one process, once):")
    for name, value in clock.stages.items():
        print(f"  {name:<40}{value['wall']:>8.2f} s wall {value['cpu']:>8.2f} s cpu")
    phases = ("prefix_prefill", "generate_prefill", "decode_step", "generate_call_total")
    print(f"\ngeneration of the {len(requests)} answers, median of {args.repeat} (wall / cpu seconds; calls; tokens fed):")
    for label in ("reuse", "no_reuse"):
        print(f"  {label:<10} total {med(label, 'wall'):7.2f} / {med(label, 'cpu'):7.2f}")
        for phase in phases:
            print(
                f"    {phase:<22}{med(label, 'forward', phase, 'wall'):8.2f} / {med(label, 'forward', phase, 'cpu'):8.2f}"
                f"   calls {med(label, 'forward', phase, 'calls'):>5.0f}   tokens {med(label, 'forward', phase, 'tokens'):>6.0f}"
            )
    same = outputs.get("reuse") == outputs.get("no_reuse")
    print(f"\nreuse and no-reuse raw outputs identical: {same}")
    for index, (a, b) in enumerate(zip(outputs.get("reuse", []), outputs.get("no_reuse", []))):
        if a != b:
            print(f"  {requests[index].item_id}: reuse {a!r} / no reuse {b!r}")
    for label, rows in ops.items():
        print(f"\ntorch.profiler, one generation, {label}: top operators by self CPU time")
        for row in rows:
            print(f"  {row['op']:<55}{row['self_cpu_s']:>8.2f} s  {row['calls']:>7} calls")

    result = {"threads": torch.get_num_threads(), "stages": clock.stages, "runs": runs, "outputs_identical": same, "outputs": outputs, "torch_ops": ops}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
