"""`python -m harness report RUN_DIR`: rebuild a run folder's report.md and report.html from its
report.json and predictions.jsonl, without loading any model."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import EXIT_OK


def build_report_parser() -> argparse.ArgumentParser:
    from harness.cli import Parser

    parser = Parser(
        prog="python -m harness report",
        description="Rebuild the human-readable reports of a run folder from its report.json and predictions.jsonl, "
        "without loading any model (so a template change never needs a re-run).",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    return parser


def report_command(argv: list[str]) -> int:
    args = build_report_parser().parse_args(argv)
    from harness.report.write import write_readable_reports
    from harness.run_files import run_result_of

    run_dir = Path(args.run_dir)
    written = write_readable_reports(run_result_of(run_dir), run_dir)
    print("Rebuilt: " + ", ".join(str(p) for p in written))
    return EXIT_OK
