"""`python -m harness --config FILE`: run a config (harness.runner), print the table of scores,
and with `--baseline` compare the new run with a baseline using the config's gates."""

from __future__ import annotations

import argparse
import sys

from harness import __version__
from harness.commands import EXIT_INTERRUPTED, consoles


def build_parser() -> argparse.ArgumentParser:
    from harness.cli import SUBCOMMANDS, Parser

    commands = "\n".join(f"  {name:<10} {text}" for name, text in SUBCOMMANDS.items())
    parser = Parser(
        prog="python -m harness",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run a config: every model summarizes every article and answers its questions; "
        "the outputs are scored\n(ROUGE; exact match, token F1, contains) and a new run folder gets "
        "report.json, predictions.jsonl, report.md and report.html.\n\nOther commands:\n" + commands,
        epilog="Exit codes: 0 run completed; 1 at least one model failed (the others are still "
        "reported); 2 bad usage, config or eval set; 130 interrupted.",
    )
    parser.add_argument("--config", required=True, metavar="FILE", help="the run config (YAML), e.g. configs/default.yaml")
    parser.add_argument("--output-dir", metavar="DIR", help="where the run folder goes (default: the config's output_dir)")
    parser.add_argument("--models", metavar="A,B", help="run only these models of the config (comma-separated names)")
    parser.add_argument("--no-cache", action="store_true", help="generate everything again; neither read nor write the generation cache")
    parser.add_argument(
        "--baseline", metavar="REPORT", help="after the run, compare it with this report.json or run folder using the config's gates (exit 1 when a gate fails)"
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    return parser


def run_command(argv: list[str]) -> int:
    from harness.cli import CTRL_C

    args = build_parser().parse_args(argv)
    try:
        from harness.report.terminal import print_summary
        from harness.runner import execute, exit_code, prepare

        CTRL_C.checkpoint()  # the imports take a while; a finaliser may have eaten a Ctrl-C meanwhile
        err, out = consoles()
        only = [name.strip() for name in args.models.split(",") if name.strip()] if args.models else None
        plan = prepare(args.config, args.output_dir, only, use_cache=not args.no_cache, baseline=args.baseline)
        CTRL_C.checkpoint()
    except KeyboardInterrupt:
        print("Interrupted (Ctrl-C) before the run started; nothing was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        run, run_dir = execute(plan, err, CTRL_C.checkpoint)
    except KeyboardInterrupt:
        print("Interrupted: the reports of the models that finished are marked incomplete.", file=sys.stderr)
        return EXIT_INTERRUPTED
    print_summary(run, run_dir, out)
    code = exit_code(run)
    if args.baseline:
        from harness.commands.compare import compare_and_report

        gate_code = compare_and_report(args.baseline, run_dir, gates=plan.config.gates, write_to=run_dir)
        code = max(code, gate_code)
    return code
