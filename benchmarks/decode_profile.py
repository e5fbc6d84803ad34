"""Where a decode step of the default QA work goes, and what the static KV cache saves
(run by hand; prints a summary and writes JSON). SmolLM2-135M-Instruct, float32, CPU, the
questions of configs/default.yaml with shared-article prefix reuse, as the harness runs them.

1. bound: the weight bytes one decode step must read, over this machine's measured read
   bandwidth (one thread, a 256 MB sum); the output projection (49152 x 576) as a matmul at
   batch 1, 8 and 16, in GB/s of weights read, through F.linear (MKL sgemm, what the model
   runs) and through MKL's packed GEMM (the weight re-laid out for that batch size).
2. step: decode steps of one batch of 8 questions over the shared prefix, the model's forward
   alone (no generate()), with the prefix's DynamicCache copied per batch (transformers'
   default) and with a StaticCache holding a copy of the prefix per row (hf_prefix.rows_inputs); paired,
   interleaved rounds; torch.profiler's operators per step for each.
3. qa: the backend's whole QA generation (every question of the default config) with
   kv_cache dynamic and static, at batch 8 and 16, interleaved rounds; outputs compared with
   batch size 1 without prefix reuse.
4. across: the questions of the first --ci-articles paragraphs of references/ci-squad.yaml
   (about 5 each), batches that run on across articles vs batches inside each article
   (HFBackend.across_articles), interleaved rounds; outputs compared with baselines/ci.
5. --compile: torch.compile of the forward with the static cache: compile seconds and step ms.
6. --layout-only: every nn.Linear weight re-stored transposed (W.T contiguous, viewed back with
   its shape, ties kept: MKL's kernel for a decode step's few rows is faster on that layout) vs
   as transformers loads it: decode step (static cache), a 500-token prefill and the whole QA
   generation, interleaved rounds, tokens compared; and the memory of each in a fresh process
   (VmHWM after loading and answering the 15 questions): transformers memory-maps the weights,
   and the copy reads every page of the file into the process besides the new copy. Merged into
   the existing results file under "linear_layout" (the other sections stay as measured).
7. --kv-only: kv_cache static (the prefix copied into every row) vs shared (one copy per
   article, hf_shared_prefix.py): decode step, the default config's QA generation and the
   questions of the first --ci-articles paragraphs of the ci set (batches across articles),
   interleaved rounds; outputs against batch 1 without reuse and against baselines/ci; the peak
   memory of each in a fresh process per workload. Merged under "shared_prefix".
8. --prefill-only: one sequence's prefill at 256, 512 and 1024 tokens against the compute bound
   (the non-embedding weights' FLOPs plus causal attention, at the GFLOP/s of a large matmul on
   this machine's thread). Merged under "prefill_bound".

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/decode_profile.py [--rounds 5] [--ci-articles 16] [--compile] [--layout-only]
        [--kv-only] [--prefill-only]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "decode_profile.json"


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def paired(a: list[float], b: list[float]) -> dict:
    ratios = [y / x for x, y in zip(a, b)]
    return {"median": round(statistics.median(ratios), 3), "min": round(min(ratios), 3), "max": round(max(ratios), 3), "pairs": len(ratios)}


def setup():
    from harness.backends.hf import HFBackend
    from harness.config import load_config
    from harness.evalset import load_eval_set
    from harness.prompts import build_requests

    config = load_config(ROOT / "configs" / "default.yaml")
    model = next(m for m in config.models if m.name == "smollm2-135m-instruct")
    requests = build_requests(load_eval_set(config.eval_set), {"qa": config.task(model, "qa")})
    return HFBackend, model, requests


def bound(model) -> dict:
    import torch

    big = torch.randn(64 * 1024 * 1024)  # 256 MB
    read_gbs = big.numel() * 4 / timed(big.sum, 7) / 1e9
    head = model.lm_head.weight
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    per_batch, packed = {}, {}
    for rows in (1, 8, 16):
        x = torch.randn(rows, head.shape[1])
        per_batch[rows] = round(head.numel() * 4 / timed(lambda x=x: torch.nn.functional.linear(x, head), 15) / 1e9, 1)
        # MKL's GEMM with the weight packed for this batch size (what inductor's freezing uses on CPU):
        # not used by the harness (a second copy of every weight), measured as the headroom
        weight = torch.ops.mkl._mkl_reorder_linear_weight(head.detach(), rows)
        packed[rows] = round(head.numel() * 4 / timed(lambda x=x, w=weight, n=rows: torch.ops.mkl._mkl_linear(x, w, head, None, n), 15) / 1e9, 1)
    return {
        "read_gb_per_s": round(read_gbs, 1),
        "weight_mb": round(weight_bytes / 1e6, 1),
        "decode_step_bound_ms": round(weight_bytes / (read_gbs * 1e9) * 1000, 1),
        "output_projection_gb_per_s_by_batch": per_batch,
        "output_projection_mkl_packed_gb_per_s_by_batch": packed,
    }


def decode_steps(backend, requests, kind: str, steps: int, profile: bool = False):
    """Median ms of `steps` decode steps of the first 8 questions, the forward alone; `kind` the
    cache: dynamic (the prefix's DynamicCache copied for the batch, as before the static cache),
    static (a StaticCache with a copy of the prefix per row) or shared (hf_shared_prefix.py)."""
    import contextlib

    import torch

    from harness.backends import hf_prefix, hf_shared_prefix

    model = backend.model
    ids = [backend._encode(backend.render(r)) for r in requests[:8]]
    length = hf_prefix.common_prefix_length(ids)
    prefix = hf_prefix.prefill(model, ids[0][:length], "cpu")
    prefix_ids, suffixes, pad = ids[0][:length], [i[length:] for i in ids], backend.tokenizer.pad_token_id
    static = kind != "dynamic"
    if static:
        inputs, mask, cache = hf_prefix.rows_inputs([(prefix_ids, prefix)] * len(ids), suffixes, pad, "cpu", model.config, steps + 1, kind)
    else:
        inputs, mask, cache = hf_prefix.batch_inputs(prefix_ids, suffixes, pad, prefix, "cpu")
    width = inputs.shape[1]
    full_mask = torch.cat([mask, torch.ones(len(ids), steps + 1, dtype=mask.dtype)], 1)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    times, tokens = [], []
    attention = hf_shared_prefix.attention(model, cache) if kind == "shared" else contextlib.nullcontext()
    with torch.inference_mode(), attention:
        out = model(input_ids=inputs[:, length:], attention_mask=mask, position_ids=positions[:, length:], past_key_values=cache,
                    use_cache=True, logits_to_keep=1, cache_position=torch.arange(length, width))
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        last = positions[:, -1:]
        profiler = None
        for step in range(steps):
            if profile and step == 2:
                profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
                profiler.__enter__()
            started = time.perf_counter()
            step_mask = full_mask if static else full_mask[:, : width + step + 1]
            out = model(input_ids=token, attention_mask=step_mask, position_ids=last + 1 + step, past_key_values=cache,
                        use_cache=True, logits_to_keep=1, cache_position=torch.tensor([width + step]))
            token = out.logits[:, -1].argmax(-1, keepdim=True)
            times.append(time.perf_counter() - started)
            tokens.append(token)
        if profiler is not None:
            profiler.__exit__(None, None, None)
    result = {"step_ms": round(statistics.median(times[1:]) * 1000, 1), "tokens": torch.cat(tokens, 1).tolist()}
    if profiler is not None:
        measured = steps - 2
        ops = sorted(profiler.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
        result["ops_ms_per_step"] = {e.key: round(e.self_cpu_time_total / 1000 / measured, 2) for e in ops}
    return result


def qa_generation(HFBackend, model, requests, rounds: int) -> dict:
    variants = {f"{cache}_batch{size}": model.model_copy(update={"kv_cache": cache, "batch_size": size}) for size in (8, 16) for cache in ("dynamic", "static")}
    reference = HFBackend(model.model_copy(update={"prefix_reuse": False, "batch_size": 1}), 0)
    expected = [g.raw_output for g in reference.generate(requests, lambda _: None)]
    backends = {name: HFBackend(config, 0) for name, config in variants.items()}
    for backend in backends.values():
        backend.ensure_loaded()
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    equal = {}
    for _ in range(rounds):
        for name, backend in backends.items():
            started = time.perf_counter()
            outputs = [g.raw_output for g in backend.generate(requests, lambda _: None)]
            seconds[name].append(time.perf_counter() - started)
            equal[name] = outputs == expected
    return {
        "questions": len(requests),
        "seconds": {name: [round(s, 2) for s in values] for name, values in seconds.items()},
        "median_seconds": {name: round(statistics.median(values), 2) for name, values in seconds.items()},
        "paired_ratio_over_dynamic_batch8": {name: paired(seconds["dynamic_batch8"], values) for name, values in seconds.items() if name != "dynamic_batch8"},
        "outputs_equal_batch1_without_reuse": equal,
    }


def ci_questions(articles: int):
    """SmolLM2's model config in configs/ci.yaml, the questions of the ci set's first `articles`
    paragraphs, and their outputs in baselines/ci by (article, item)."""
    from harness.config import load_config
    from harness.evalset import load_eval_set
    from harness.prompts import build_requests

    config = load_config(ROOT / "configs" / "ci.yaml")
    model = next(m for m in config.models if m.name == "smollm2-135m-instruct")
    requests = build_requests(load_eval_set(config.eval_set)[:articles], {"qa": config.task(model, "qa")})
    baseline = {}
    for line in (ROOT / "baselines" / "ci" / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["model"] == model.name and row["task"] == "qa":
            baseline[(row["article_id"], row["item_id"])] = row["raw_output"]
    return model, requests, baseline


def across_articles(HFBackend, rounds: int, articles: int) -> dict:
    model, requests, baseline = ci_questions(articles)
    backend = HFBackend(model, 0)
    backend.ensure_loaded()
    seconds: dict[str, list[float]] = {"inside_articles": [], "across_articles": []}
    batches: dict[str, int] = {}
    differing: dict[str, int] = {}
    try:
        for _ in range(rounds):
            for name in seconds:
                backend.across_articles = name == "across_articles"
                done: list = []
                started = time.perf_counter()
                outputs = backend.generate(requests, done.append)
                seconds[name].append(time.perf_counter() - started)
                batches[name] = len(done)
                differing[name] = sum(g.raw_output != baseline[(g.request.article_id, g.request.item_id)] for g in outputs)
    finally:
        del backend.across_articles  # back to the class default
    return {
        "articles": articles, "questions": len(requests), "batches": batches,
        "seconds": {name: [round(s, 2) for s in values] for name, values in seconds.items()},
        "paired_ratio_across_over_inside": paired(seconds["inside_articles"], seconds["across_articles"]),
        "outputs_differing_from_baselines_ci": differing,
    }


def transpose_linear_weights(model) -> None:
    """Every nn.Linear weight stored as W.T contiguous, viewed back as (out, in); a tied weight once."""
    import torch

    done: set[int] = set()
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and id(module.weight) not in done:
            done.add(id(module.weight))
            module.weight.data = module.weight.data.t().contiguous().t()


def fresh_process_memory(body: str, fields: tuple[str, ...] = ("VmHWM", "VmRSS")) -> dict:
    """Runs `body` (with `dp`, this module, imported, one torch thread) in a fresh process, then
    returns those /proc/self/status fields of it in MB: VmHWM is the peak resident set."""
    import subprocess

    code = (
        "import sys, torch; sys.path.insert(0, 'benchmarks'); torch.set_num_threads(1)\n"
        "import decode_profile as dp\n"
        f"{body}\n"
        f"import json; print(json.dumps({{l.split(':')[0]: round(int(l.split()[1]) / 1024, 1) for l in open('/proc/self/status') if l.startswith({fields!r})}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def layout_memory(transposed: bool) -> dict:
    """A fresh process that loads SmolLM2 (transposed or not) and answers the default config's
    questions: the peak (VmHWM), what is resident at the end, anonymous and file-backed, in MB."""
    body = (
        "HFBackend, model, requests = dp.setup(); b = HFBackend(model, 0); b.ensure_loaded()\n"
        f"if {transposed}: dp.transpose_linear_weights(b.model)\n"
        "b.generate(requests, lambda _: None)"
    )
    return fresh_process_memory(body, ("VmHWM", "VmRSS", "RssAnon", "RssFile"))


def linear_layout(HFBackend, model, requests, rounds: int, steps: int) -> dict:
    import torch

    contiguous = HFBackend(model, 0)  # as transformers loads it (and the backend runs it)
    transposed = HFBackend(model, 0)
    for backend in (contiguous, transposed):
        backend.ensure_loaded()
    transpose_linear_weights(transposed.model)
    backends = {"contiguous": contiguous, "transposed": transposed}
    prompt = torch.tensor([contiguous._encode(contiguous.render(requests[0]))[:500]])
    step_ms: dict[str, list[float]] = {name: [] for name in backends}
    prefill_s: dict[str, list[float]] = {name: [] for name in backends}
    qa_s: dict[str, list[float]] = {name: [] for name in backends}
    tokens, outputs = {}, {}
    for _ in range(rounds):
        for name, backend in backends.items():
            run = decode_steps(backend, requests, "static", steps)
            step_ms[name].append(run["step_ms"])
            tokens[name] = run["tokens"]
            with torch.inference_mode():
                started = time.perf_counter()
                backend.model(input_ids=prompt, logits_to_keep=1)
                prefill_s[name].append(time.perf_counter() - started)
            started = time.perf_counter()
            outputs[name] = [g.raw_output for g in backend.generate(requests, lambda _: None)]
            qa_s[name].append(time.perf_counter() - started)
    return {
        "decode_step_batch8_ms": step_ms,
        "paired_ratio_transposed_over_contiguous": {
            "decode_step": paired(step_ms["contiguous"], step_ms["transposed"]),
            "prefill_500_tokens": paired(prefill_s["contiguous"], prefill_s["transposed"]),
            "qa_generation": paired(qa_s["contiguous"], qa_s["transposed"]),
        },
        "prefill_500_tokens_s": {name: [round(x, 3) for x in v] for name, v in prefill_s.items()},
        "qa_generation_s": {name: [round(x, 2) for x in v] for name, v in qa_s.items()},
        "same_step_tokens": tokens["contiguous"] == tokens["transposed"],
        "same_qa_outputs": outputs["contiguous"] == outputs["transposed"],
        "memory_mb_after_qa_in_a_fresh_process": {name: layout_memory(name == "transposed") for name in backends},
    }


def kv_memory(kind: str, workload: str, ci_articles: int) -> dict:
    """A fresh process that loads SmolLM2 with kv_cache `kind` and answers `workload`: "default"
    (the default config's questions) or "ci" (the questions of the ci set's first `ci_articles`
    paragraphs): the peak (VmHWM) and what is resident at the end, in MB."""
    load = "HFBackend, model, requests = dp.setup()" if workload == "default" else f"HFBackend = dp.setup()[0]; model, requests, _ = dp.ci_questions({ci_articles})"
    body = (
        f"{load}\n"
        f"b = HFBackend(model.model_copy(update={{'kv_cache': '{kind}'}}), 0); b.ensure_loaded()\n"
        "b.generate(requests, lambda _: None)"
    )
    return fresh_process_memory(body)


def shared_prefix(HFBackend, model, requests, rounds: int, steps: int, ci_articles: int) -> dict:
    """kv_cache static (a copy of the prefix per row) vs shared (one copy per article): decode
    step, the default config's QA, the ci set's first paragraphs' questions (batches across
    articles), interleaved; outputs against batch 1 without reuse and against baselines/ci; the
    memory of each in a fresh process."""
    kinds = ("static", "shared")
    backends = {kind: HFBackend(model.model_copy(update={"kv_cache": kind}), 0) for kind in kinds}
    ci_model, ci_requests, baseline = ci_questions(ci_articles)
    ci_backends = {kind: HFBackend(ci_model.model_copy(update={"kv_cache": kind}), 0) for kind in kinds}
    for backend in [*backends.values(), *ci_backends.values()]:
        backend.ensure_loaded()
    reference = HFBackend(model.model_copy(update={"prefix_reuse": False, "batch_size": 1}), 0)
    expected = [g.raw_output for g in reference.generate(requests, lambda _: None)]
    step_ms: dict[str, list[float]] = {kind: [] for kind in kinds}
    qa_s: dict[str, list[float]] = {kind: [] for kind in kinds}
    ci_s: dict[str, list[float]] = {kind: [] for kind in kinds}
    tokens, equal, differing = {}, {}, {}
    for _ in range(rounds):
        for kind in kinds:
            run = decode_steps(backends[kind], requests, kind, steps)
            step_ms[kind].append(run["step_ms"])
            tokens[kind] = run["tokens"]
            started = time.perf_counter()
            equal[kind] = [g.raw_output for g in backends[kind].generate(requests, lambda _: None)] == expected
            qa_s[kind].append(time.perf_counter() - started)
            started = time.perf_counter()
            outputs = ci_backends[kind].generate(ci_requests, lambda _: None)
            ci_s[kind].append(time.perf_counter() - started)
            differing[kind] = sum(g.raw_output != baseline[(g.request.article_id, g.request.item_id)] for g in outputs)
    return {
        "decode_step_batch8_ms": step_ms,
        "default_qa_s": {kind: [round(x, 2) for x in v] for kind, v in qa_s.items()},
        "ci_questions": len(ci_requests),
        "ci_questions_s": {kind: [round(x, 2) for x in v] for kind, v in ci_s.items()},
        "paired_ratio_shared_over_static": {
            "decode_step": paired(step_ms["static"], step_ms["shared"]),
            "default_qa": paired(qa_s["static"], qa_s["shared"]),
            "ci_questions": paired(ci_s["static"], ci_s["shared"]),
        },
        "same_step_tokens": tokens["static"] == tokens["shared"],
        "default_qa_equal_batch1_without_reuse": equal,
        "ci_outputs_differing_from_baselines_ci": differing,
        "memory_mb_in_a_fresh_process": {f"{kind}_{workload}": kv_memory(kind, workload, ci_articles) for workload in ("default", "ci") for kind in kinds},
    }


def compiled(backend, requests, steps: int) -> dict:
    import torch

    model = backend.model
    eager_forward = model.forward
    model.forward = torch.compile(eager_forward, dynamic=False)
    try:
        started = time.perf_counter()
        decode_steps(backend, requests, "static", steps)  # compiles (prefill and step shapes)
        first = time.perf_counter() - started
        result = decode_steps(backend, requests, "static", steps)
    finally:
        model.forward = eager_forward
    return {"first_pass_seconds_with_compile": round(first, 1), "step_ms": result["step_ms"]}


def prefill_bound(backend, requests, rounds: int) -> dict:
    """One sequence's prefill (hf_prefix.prefill: the cache and the last position's logits) at
    256, 512 and 1024 tokens of the default prompts, against the compute bound: 2 FLOPs per
    non-embedding weight per token plus causal attention (2 x tokens^2 x hidden per layer), at the
    GFLOP/s of a 2048^3 float32 matmul on this machine's thread."""
    import torch

    from harness.backends import hf_prefix

    size = 2048
    a, b = torch.randn(size, size), torch.randn(size, size)
    gflops = 2 * size**3 / timed(lambda: torch.mm(a, b), 5) / 1e9
    model = backend.model
    embedding = model.get_input_embeddings().weight.numel()
    weights = sum(p.numel() for p in model.parameters()) - embedding  # the output projection is tied: only the last position pays it
    config = model.config
    ids = [t for r in requests for t in backend._encode(backend.render(r))]
    result: dict = {"matmul_gflops": round(gflops, 1), "non_embedding_weights": weights, "by_tokens": {}}
    for tokens in (256, 512, 1024):
        flops = 2 * weights * tokens + config.num_hidden_layers * 2 * tokens**2 * config.hidden_size
        seconds = [timed(lambda n=tokens: hf_prefix.prefill(model, ids[:n], "cpu"), 1) for _ in range(rounds)]
        measured = statistics.median(seconds)
        bound = flops / (gflops * 1e9)
        result["by_tokens"][tokens] = {"seconds": [round(x, 3) for x in seconds], "bound_seconds": round(bound, 3),
                                       "ratio_to_bound": round(measured / bound, 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--ci-articles", type=int, default=16)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--layout-only", action="store_true")
    parser.add_argument("--kv-only", action="store_true")
    parser.add_argument("--prefill-only", action="store_true")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    HFBackend, model, requests = setup()
    if args.prefill_only:
        backend = HFBackend(model, 0)
        backend.ensure_loaded()
        before = os.getloadavg()
        prefill = prefill_bound(backend, requests, args.rounds)
        prefill["load_average"] = {"start": [round(x, 2) for x in before], "end": [round(x, 2) for x in os.getloadavg()]}
        result = json.loads(OUT.read_text()) if OUT.exists() else {}
        result["prefill_bound"] = prefill
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(prefill))
        return
    if args.kv_only:
        before = os.getloadavg()
        shared = shared_prefix(HFBackend, model, requests, args.rounds, args.steps, args.ci_articles)
        shared["load_average"] = {"start": [round(x, 2) for x in before], "end": [round(x, 2) for x in os.getloadavg()]}
        result = json.loads(OUT.read_text()) if OUT.exists() else {}
        result["shared_prefix"] = shared
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(shared["paired_ratio_shared_over_static"]), json.dumps(shared["memory_mb_in_a_fresh_process"]),
              "same tokens:", shared["same_step_tokens"], shared["default_qa_equal_batch1_without_reuse"], shared["ci_outputs_differing_from_baselines_ci"])
        return
    if args.layout_only:
        before = os.getloadavg()
        layout = linear_layout(HFBackend, model, requests, args.rounds, args.steps)
        layout["load_average"] = {"start": [round(x, 2) for x in before], "end": [round(x, 2) for x in os.getloadavg()]}
        result = json.loads(OUT.read_text()) if OUT.exists() else {}
        result["linear_layout"] = layout
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(layout["paired_ratio_transposed_over_contiguous"]), "same tokens:", layout["same_step_tokens"], layout["same_qa_outputs"])
        return
    backend = HFBackend(model, 0)
    backend.ensure_loaded()
    load_start = os.getloadavg()
    result: dict = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__},
        "load_average_at_start": [round(x, 2) for x in load_start],
        "bound": bound(backend.model),
    }
    # a first round under torch.profiler (its overhead, and the first dynamic run's allocations,
    # would distort the timed rounds), then the timed rounds, interleaved
    profiled = {kind: decode_steps(backend, requests, kind, args.steps, profile=True) for kind in ("dynamic", "static")}
    steps: dict[str, list[dict]] = {"dynamic": [], "static": []}
    for _ in range(args.rounds):
        for kind in ("dynamic", "static"):
            steps[kind].append(decode_steps(backend, requests, kind, args.steps))
    same_tokens = all(d["tokens"] == s["tokens"] for d, s in zip(steps["dynamic"], steps["static"]))
    result["decode_step_batch8"] = {
        "step_ms": {kind: [r["step_ms"] for r in runs] for kind, runs in steps.items()},
        "median_step_ms": {kind: statistics.median(r["step_ms"] for r in runs) for kind, runs in steps.items()},
        "paired_ratio_static_over_dynamic": paired([r["step_ms"] for r in steps["dynamic"]], [r["step_ms"] for r in steps["static"]]),
        "same_tokens": same_tokens,
        "profiled_round_step_ms": {kind: run["step_ms"] for kind, run in profiled.items()},
        "ops_ms_per_step": {kind: run["ops_ms_per_step"] for kind, run in profiled.items()},
    }
    result["qa_generation"] = qa_generation(HFBackend, model, requests, max(2, args.rounds // 2))
    result["across_articles"] = across_articles(HFBackend, max(2, args.rounds // 2), args.ci_articles)
    if args.compile:
        result["compile"] = compiled(backend, requests, args.steps)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    step = result["decode_step_batch8"]
    print(f"decode step, batch 8: dynamic {step['median_step_ms']['dynamic']} ms, static {step['median_step_ms']['static']} ms "
          f"(paired ratio {step['paired_ratio_static_over_dynamic']}); bound {result['bound']['decode_step_bound_ms']} ms; same tokens: {same_tokens}")
    print(json.dumps(result["qa_generation"]["median_seconds"]), json.dumps(result["qa_generation"]["outputs_equal_batch1_without_reuse"]))
    print(json.dumps(result["across_articles"]))
    print(f"load average {result['load_average_at_start']} -> {result['load_average_at_end']}; written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
