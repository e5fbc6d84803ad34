"""`python -m harness`: argument parsing and exit codes; the work is in runner.py.

Exit codes: 0 the run completed (however the models scored); 1 at least one model failed (the
others still ran and are reported); 2 bad usage, config or eval set (one `Error:` line, nothing
written); 130 interrupted (the reports written so far are marked incomplete).
"""

from __future__ import annotations

import argparse
import sys

from harness import __version__
from harness.errors import HarnessError

EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Run a config: every model summarizes every article and answers its questions; "
        "the outputs are scored (ROUGE; exact match, token F1, contains) and a new run folder gets "
        "report.json, predictions.jsonl and report.md.",
        epilog="Exit codes: 0 run completed; 1 at least one model failed (the others are still "
        "reported); 2 bad usage, config or eval set; 130 interrupted.",
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="the run config (YAML), e.g. configs/default.yaml")
    parser.add_argument(
        "--output-dir", metavar="DIR", help="where the run folder goes (default: the config's output_dir)"
    )
    parser.add_argument(
        "--models", metavar="A,B", help="run only these models of the config (comma-separated names)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="generate everything again; neither read nor write the generation cache",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console

    err = Console(stderr=True)
    # rich assumes 80 columns when stdout is not a terminal (CI logs, pipes): the table of
    # scores would be cut to "0.4…", so give it room there
    out = Console() if sys.stdout.isatty() else Console(width=160)
    try:
        from harness.runner import execute, exit_code, prepare
        from harness.report.terminal import print_summary

        only = [name.strip() for name in args.models.split(",") if name.strip()] if args.models else None
        plan = prepare(args.config, args.output_dir, only, use_cache=not args.no_cache)
        run, run_dir = execute(plan, err)
    except HarnessError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("Interrupted: the reports of the models that finished are marked incomplete.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(run, run_dir, out)
    return exit_code(run)
