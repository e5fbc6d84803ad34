"""Time plain rouge-score against harness.metrics.rouge_corpus on one real test set.

Both score the same pairs in the same process run (SimCLS CNN/DailyMail test outputs by default,
11,490 pairs; rouge1, rouge2, rougeLsum; Porter stemming; a line break after every " . ", " ! "
and " ? " so rougeLsum has sentences). The script checks that every per-pair precision, recall and F is
identical (the same float, not merely close), then prints both times and the ratio and writes
them to a JSON file. Exit status 1 if any number differs.

    .venv/bin/python benchmarks/rouge_speed.py [--limit N] [--processes 1,2] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.metrics.rouge import RougeOptions, signature  # noqa: E402
from harness.metrics.rouge_corpus import score_corpus  # noqa: E402
from harness.metrics.tokenize import get_tokenizer  # noqa: E402

SIMCLS = ROOT.parent / "shared" / "validation" / "system_outputs" / "simcls"
TYPES = ("rouge1", "rouge2", "rougeLsum")
_SENTENCE_END = re.compile(r" ([.!?]) ")


def load(predictions: Path, references: Path, limit: int | None, resplit: bool):
    preds = predictions.read_text(encoding="utf-8").split("\n")
    refs = references.read_text(encoding="utf-8").split("\n")
    if preds and preds[-1] == "" and refs and refs[-1] == "":
        preds, refs = preds[:-1], refs[:-1]
    if len(preds) != len(refs):
        raise SystemExit(f"{len(preds)} predictions but {len(refs)} references")
    if limit:
        preds, refs = preds[:limit], refs[:limit]
    if resplit:  # one sentence per line: break after every tokenized " . ", " ! ", " ? "
        preds = [_SENTENCE_END.sub(r" \1\n", p) for p in preds]
        refs = [_SENTENCE_END.sub(r" \1\n", r) for r in refs]
    return preds, refs


def plain_rouge_score(preds, refs):
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(TYPES), use_stemmer=True)
    return [scorer.score(ref, pred) for pred, ref in zip(preds, refs)]


def compare(plain, ours) -> dict:
    differing, max_diff = 0, 0.0
    for a, b in zip(plain, ours, strict=True):
        for rouge_type in TYPES:
            for x, y in zip(a[rouge_type], b[rouge_type]):
                if x != y:
                    differing += 1
                    max_diff = max(max_diff, abs(x - y))
    return {"values_compared": len(plain) * len(TYPES) * 3, "values_differing": differing, "max_abs_difference": max_diff}


def means(results) -> dict:
    return {t: round(100 * sum(r[t].fmeasure for r in results) / len(results), 4) for t in TYPES}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictions", type=Path, default=SIMCLS / "simcls.test.cnndm.ours")
    parser.add_argument("--references", type=Path, default=SIMCLS / "simcls.test.cnndm.reference")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    parser.add_argument("--processes", default="1,2", help="comma-separated process counts to time ours with")
    parser.add_argument("--no-resplit", action="store_true", help="keep the lines as they are (no sentence re-split)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "rouge_speed.json")
    args = parser.parse_args(argv)

    preds, refs = load(args.predictions, args.references, args.limit, not args.no_resplit)
    options = RougeOptions(rouge_types=TYPES, use_stemmer=True, sentence_split="newline")
    print(f"{len(preds)} pairs from {args.predictions.name}; {signature(options)}", flush=True)

    start = time.perf_counter()
    plain = plain_rouge_score(preds, refs)
    plain_seconds = time.perf_counter() - start
    print(f"plain rouge-score, 1 process: {plain_seconds:.2f} s", flush=True)

    runs, identical = [], True
    for processes in (int(p) for p in args.processes.split(",")):
        get_tokenizer.cache_clear()  # every run starts with an empty stem memo (workers fork from here)
        start = time.perf_counter()
        ours = score_corpus(preds, [[r] for r in refs], options, processes=processes)
        seconds = time.perf_counter() - start
        check = compare(plain, ours)
        identical &= check["values_differing"] == 0
        runs.append({"processes": processes, "seconds": round(seconds, 3), "ratio_to_plain": round(seconds / plain_seconds, 4),
                     "speedup": round(plain_seconds / seconds, 2), **check})
        print(f"harness rouge_corpus, {processes} process(es): {seconds:.2f} s = {seconds / plain_seconds:.3f} of plain "
              f"({plain_seconds / seconds:.1f}x); {check['values_differing']} of {check['values_compared']} values differ", flush=True)

    report = {
        "pairs": len(preds),
        "predictions": str(args.predictions),
        "rouge_types": list(TYPES),
        "resplit_after_period": not args.no_resplit,
        "signature": signature(options),
        "mean_f_x100": means(plain),
        "plain_rouge_score_seconds": round(plain_seconds, 3),
        "ours": runs,
        "identical": identical,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "rouge-score": version("rouge-score"), "nltk": version("nltk")},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"mean F x100: {report['mean_f_x100']}; identical: {identical}; wrote {args.output}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
