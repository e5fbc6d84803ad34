"""`python -m harness compare` and `--baseline`: load, check, compare, write, exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands import RESAMPLES, SEED

if TYPE_CHECKING:
    from harness.gates import Gate


def build_compare_parser() -> argparse.ArgumentParser:
    from harness.cli import Parser

    parser = Parser(
        prog="python -m harness compare",
        description="Compare two runs item by item: per model and metric the baseline and candidate means, the delta with "
        "a paired-bootstrap 95%% interval, a paired permutation p-value, n and the minimum detectable effect; then the gates.",
        epilog="Exit codes: 0 every gate passes (or no gates); 1 a gate failed; 2 bad usage or reports that are not comparable.",
    )
    parser.add_argument("baseline", metavar="BASELINE", help="report.json or run folder")
    parser.add_argument("candidate", metavar="CANDIDATE", help="report.json or run folder")
    parser.add_argument("--pair", action="append", default=[], metavar="BASE:CAND", help="compare these two models (repeatable); default: models with the same name")
    parser.add_argument("--gate", action="append", default=[], metavar="SPEC", help="e.g. summary.rougeL:max_drop=0.02 or qa.exact_match:min=0.5 (repeatable)")
    parser.add_argument("--config", metavar="FILE", help="take the gates from this config's gates: section")
    parser.add_argument("--force", action="store_true", help="compare even when scorer signatures or eval sets differ")
    parser.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="also write the Markdown (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page of the comparison")
    parser.add_argument("--resamples", type=RESAMPLES, default=1000, metavar="N", help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=SEED, default=0, metavar="N", help="seed of the bootstrap and permutation test (default 0)")
    return parser


def compare_command(argv: list[str]) -> int:
    args = build_compare_parser().parse_args(argv)
    gates = gates_from(args.config, args.gate)
    return compare_and_report(
        args.baseline, args.candidate, gates, pairs=args.pair, force=args.force, json_path=args.json,
        markdown_path=args.markdown, html_path=args.html, resamples=args.resamples, seed=args.seed,
    )


def gates_from(config_path: str | None, options: list[str]) -> dict[str, Gate]:
    """The config's gates, then the command line's (which win for the same key)."""
    from harness.config import load_config
    from harness.gates import parse_gate_option

    gates = dict(load_config(config_path).gates) if config_path else {}
    gates.update(parse_gate_option(text) for text in options)
    return gates


def compare_and_report(
    baseline: str | Path,
    candidate: str | Path,
    gates: dict[str, Gate],
    pairs: list[str] | None = None,
    force: bool = False,
    json_path: str | None = None,
    markdown_path: str | None = None,
    html_path: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
    write_to: Path | None = None,
) -> int:
    """Prints the Markdown; returns 0 when every gate passes, 1 otherwise."""
    from harness.atomic import write_atomic
    from harness.compare import check_comparable, compare, load_side, model_pairs
    from harness.report.compare_markdown import compare_json, compare_markdown
    from harness.report.html import compare_html

    base, cand = load_side(baseline), load_side(candidate)
    if not force:
        check_comparable(base, cand)
    comparison = compare(base, cand, model_pairs(base, cand, pairs or []), gates, resamples=resamples, seed=seed)
    markdown = compare_markdown(comparison)
    sys.stdout.write(markdown)
    targets: list[tuple[str | Path | None, str | None]] = [(markdown_path, markdown), (json_path, None), (html_path, compare_html(comparison) if html_path else None)]
    if write_to is not None:
        targets += [(write_to / "compare.md", markdown), (write_to / "compare.json", None), (write_to / "compare.html", compare_html(comparison))]
    for path, text in targets:
        if path:
            write_atomic(Path(path), text if text is not None else compare_json(comparison))  # None: the JSON
    return 0 if comparison.passed else 1
