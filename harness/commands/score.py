"""`python -m harness score`: score outputs made elsewhere, without generating anything.

- qa: SQuAD-format gold (v1.1 or v2.0) and `{question_id: answer}` predictions, scored exactly
  like the official scripts (metrics/squad.py).
- summary: one summary per line against one or more reference files (one reference per line
  each), with the same ROUGE options as a run; means with seeded bootstrap intervals, and
  ROUGE-1.5.5's own averaging (`--rouge155-average`) when asked.
Prints JSON (and writes it to `--output`); every result carries its scorer signature.

Line length is bounded, so that one hostile line cannot make scoring run for hours: a
prediction or reference line may hold at most MAX_LINE_CHARS (1,000,000) characters, and at
most MAX_PYSBD_LINE_CHARS (100,000) when rougeLsum splits sentences with pysbd, whose time
grows with the square of the length (on one core: 100,000 characters of prose take about 3.5 s,
400,000 about 47 s, 2 MB about 20 minutes). A longer line is refused before any scoring, with
one `Error:` line naming the file, the line and the fix. Within these limits a line scores in
seconds (1,000,000 characters against a reference as long: about 10 s for rougeL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.commands import EXIT_OK, MAX_PROCESSES, PROCESSES, RESAMPLES, SEED
from harness.errors import HarnessError
from harness.textfile import FileMessages, read_text

MAX_LINE_CHARS = 1_000_000
MAX_PYSBD_LINE_CHARS = 100_000


def build_score_parser() -> argparse.ArgumentParser:
    from harness.cli import Parser

    parser = Parser(
        prog="python -m harness score",
        description="Score outputs made elsewhere, without generating anything; prints JSON with the scorer signature.",
        epilog="qa: --gold DATASET.json (SQuAD v1.1 or v2.0) --predictions PRED.json ({question_id: answer}). "
        "summary: --predictions PRED.txt --references REF.txt [REF2.txt ...], one summary per line.",
    )
    parser.add_argument("--task", required=True, choices=["qa", "summary"])
    parser.add_argument("--predictions", required=True, metavar="FILE")
    parser.add_argument("--gold", metavar="DATASET.json", help="qa: the SQuAD-format gold file")
    parser.add_argument("--references", nargs="+", metavar="REF.txt", help="summary: reference files, one reference per line each")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON here")
    rouge = parser.add_argument_group("ROUGE options (summary), as in a config's scoring: section")
    rouge.add_argument("--rouge-types", default="rouge1,rouge2,rougeL,rougeLsum", metavar="A,B", help="default: rouge1,rouge2,rougeL,rougeLsum")
    rouge.add_argument("--no-stemmer", action="store_true", help="no stemming (stemming is on by default)")
    rouge.add_argument("--stemmer", choices=["porter", "rouge155"], default="porter", help="porter: rouge-score's (default); rouge155: ROUGE-1.5.5.pl -m exactly")
    rouge.add_argument("--multi-reference", choices=["max", "model_average"], default="max", help="how several references combine (default max)")
    rouge.add_argument("--tokenizer", choices=["default", "unicode"], default="default", help="unicode keeps every script (default: rouge-score's)")
    rouge.add_argument("--sentence-split", choices=["pysbd", "newline"], default="pysbd", help="rougeLsum's sentences (default pysbd)")
    rouge.add_argument("--rouge155-average", action="store_true", help="also ROUGE-1.5.5's bootstrap Average R/P/F with 95%% intervals")
    rouge.add_argument("--processes", type=PROCESSES, default=1, metavar="N", help=f"score on N processes, 1 to {MAX_PROCESSES} (default 1)")
    parser.add_argument("--resamples", type=RESAMPLES, default=1000, metavar="N", help="bootstrap resamples for the intervals (default 1000)")
    parser.add_argument("--seed", type=SEED, default=0, metavar="N", help="bootstrap seed (default 0)")
    return parser


def score_command(argv: list[str]) -> int:
    parser = build_score_parser()
    args = parser.parse_args(argv)
    if args.output:
        _check_output_file(Path(args.output))
    if args.task == "qa":
        if not args.gold or args.references:
            parser.error("--task qa takes --gold DATASET.json and --predictions PRED.json")
        result = score_qa(args.gold, args.predictions)
    else:
        if not args.references or args.gold:
            parser.error("--task summary takes --predictions PRED.txt and --references REF.txt [REF2.txt ...]")
        from harness.metrics.rouge import RougeOptions

        try:
            options = RougeOptions(tuple(t.strip() for t in args.rouge_types.split(",") if t.strip()), not args.no_stemmer,
                                   args.multi_reference, args.tokenizer, args.sentence_split, args.stemmer)
        except (ValueError, TypeError) as exc:
            parser.error(f"--rouge-types: {exc}")
        result = score_summaries(args.predictions, args.references, options, args.resamples, args.seed, args.rouge155_average, args.processes)
    sys.stdout.write(write_result(result, args.output))
    return EXIT_OK


def _check_output_file(path: Path) -> None:
    """`score --output FILE` can be written, checked before scoring (which can take minutes)."""
    if path.is_dir():
        raise HarnessError(f"{path}: --output: is a folder; give a file path, e.g. {path / 'score.json'}")
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise HarnessError(f"{path}: --output: {folder} is a file, not a folder; give a path in an existing folder")
        raise HarnessError(f"{path}: --output: the folder {folder} does not exist; create it first (mkdir -p {folder}) or give a path in an existing folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise HarnessError(f"{path}: --output: not writable; give a path you can write to")


def _read_lines(path: str) -> list[str]:
    text = read_text(Path(path), FileMessages(missing="{path}: file not found{link}", not_utf8="{path}: not UTF-8 text",
                                              folder="{path}: is a folder; give a file with one item per line"))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    if not lines:
        raise HarnessError(f"{path}: the file is empty; it needs one summary per line")
    return lines


def _check_lengths(path: str, lines: list[str], options) -> None:
    """Refuse a line longer than the limits above (see the module docstring)."""
    pysbd = "rougeLsum" in options.rouge_types and options.sentence_split == "pysbd"
    limit = MAX_PYSBD_LINE_CHARS if pysbd else MAX_LINE_CHARS
    for number, line in enumerate(lines, 1):
        if len(line) > limit:
            if pysbd:
                fix = (f"rougeLsum with --sentence-split pysbd takes at most {limit:,} characters per line (pysbd's time grows "
                       "with the square of the length); use --sentence-split newline, leave rougeLsum out of --rouge-types, "
                       "or shorten the line")
            else:
                fix = f"a summary line may hold at most {limit:,} characters; shorten or split it"
            raise HarnessError(f"{path}: line {number}: {len(line):,} characters; {fix}")


def score_qa(gold_path: str, predictions_path: str) -> dict:
    from harness.metrics.squad import load_predictions, load_squad_gold, score_squad
    from harness.scoring import QA_SIGNATURE

    gold = load_squad_gold(gold_path)
    result = score_squad(gold, load_predictions(predictions_path))
    return {"task": "qa", "squad_version": gold.version, **result, "signature": QA_SIGNATURE}


def score_summaries(predictions_path: str, reference_paths: list[str], options, resamples: int, seed: int, rouge155: bool = False, processes: int = 1) -> dict:
    from harness.metrics.rouge import signature
    from harness.metrics.rouge_corpus import score_corpus
    from harness.metrics.stats import mean_ci
    from harness.scoring import ci_signature

    predictions = _read_lines(predictions_path)
    _check_lengths(predictions_path, predictions, options)
    references = []
    for path in reference_paths:
        lines = _read_lines(path)
        if len(lines) != len(predictions):
            raise HarnessError(
                f"{path}: {len(lines)} lines but {predictions_path} has {len(predictions)}; "
                "line i of every file must belong to the same item"
            )
        _check_lengths(path, lines, options)
        references.append(lines)
    per_item = score_corpus(predictions, [list(refs) for refs in zip(*references)], options, processes=processes)
    result: dict = {"task": "summary", "n": len(predictions), "references_per_item": len(reference_paths), "scores": {}}
    for rouge_type in options.rouge_types:
        result["scores"][rouge_type] = {
            part: mean_ci([getattr(item[rouge_type], field) for item in per_item], resamples, seed)
            for part, field in (("precision", "precision"), ("recall", "recall"), ("f", "fmeasure"))
        }
    if rouge155:
        from harness.metrics.rouge155 import rouge155_averages

        items = {f"{i:06d}": (p, list(refs)) for i, (p, refs) in enumerate(zip(predictions, zip(*references)))}
        averages = rouge155_averages(items, options, resamples)
        result["rouge155_average"] = {t: {part: avg._asdict() for part, avg in a._asdict().items()} for t, a in averages.items()}
    result["signature"] = f"{signature(options)}|{ci_signature(resamples, seed)}"
    return result


def write_result(result: dict, output: str | None) -> str:
    from harness.atomic import write_atomic

    text = json.dumps(result, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    if output:
        write_atomic(Path(output), text)
    return text


def _jsonable(value):
    if hasattr(value, "_asdict"):
        return value._asdict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
