"""`python -m harness`: argument parsing, subcommands and exit codes; the work is elsewhere.

(Over 300 lines: the five subcommands' parsers and their help texts; moving them to a
`commands/` package is listed in issue 11.)

`python -m harness --config FILE` runs a config; `python -m harness COMMAND ...` runs one of
COMMANDS. Exit codes: 0 done; 1 at least one model failed (the others still ran and are
reported); 2 bad usage or bad input (one `Error:` line, nothing written); 130 interrupted (the
reports written so far are marked incomplete).

Ctrl-C: `main` installs its own SIGINT handler (`CtrlC`) for the length of a command. It raises
KeyboardInterrupt as Python's own does, and also remembers the press, because an interrupt can
be swallowed on the way: one raised inside a `__del__` or a finaliser is only printed as
"Exception ignored ...", and library code with `except BaseException` eats it. The run checks
the flag at every stage boundary (after the imports, after pre-flight, before the run folder,
before each model and before the run is marked complete), so a Ctrl-C at any time before the
models finish ends in exit 130 with one line, never a traceback and never exit 0 (from the
moment `main` starts: a Ctrl-C while Python itself starts up is still Python's own).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from harness import __version__
from harness.errors import HarnessError, one_line

EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

SUBCOMMANDS = {
    "rescore": "score a finished run's stored outputs again, without any model",
    "compare": "compare two runs: paired deltas with intervals and p-values, regression gates",
    "report": "rebuild a run folder's report.md and report.html from report.json and predictions.jsonl",
    "score": "score outputs made elsewhere: SQuAD-format QA, or summaries against reference files",
}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `Error:` line (exit 2) like every other bad input."""

    def error(self, message):
        print(f"Error: {self.prog}: {one_line(message)} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _whole_number(low: int, high: int):
    """An argparse type: an integer in [low, high], else a usage error naming the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}; got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}; got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


SEED = _whole_number(0, 2**32 - 1)  # as a config's seed: numpy and torch take seeds in [0, 2**32-1]
RESAMPLES = _whole_number(1, 1_000_000)  # as a config's scoring.bootstrap_resamples
MAX_PROCESSES = (os.cpu_count() or 1) * 4  # more workers than that only add start-up time
PROCESSES = _whole_number(1, MAX_PROCESSES)


class CtrlC:
    """SIGINT for one command: raise KeyboardInterrupt, and remember it for `checkpoint`.

    A KeyboardInterrupt that Python can only report as unraisable (raised in a `__del__` or a
    finaliser) is recorded here instead of printed with a traceback, and honoured at the next
    checkpoint."""

    def __init__(self):
        self.pressed = False
        self._hook = None

    def handler(self, signum, frame):
        self.pressed = True
        raise KeyboardInterrupt

    def unraisable(self, unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            self.pressed = True
            return
        (self._hook or sys.__unraisablehook__)(unraisable)

    def checkpoint(self) -> None:
        """Raise KeyboardInterrupt again if a Ctrl-C came and was swallowed since."""
        if self.pressed:
            raise KeyboardInterrupt

    def install(self) -> tuple:
        """Take over SIGINT (in the main thread, unless it is ignored, as in a background job)
        and the unraisable hook; returns what `restore` needs."""
        self.pressed = False
        self._hook = sys.unraisablehook
        sys.unraisablehook = self.unraisable
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            return True, signal.signal(signal.SIGINT, self.handler), self._hook
        return False, None, self._hook

    def restore(self, saved: tuple, exiting: bool) -> None:
        """Put back what `install` replaced. When the process is about to exit (`exiting`),
        SIGINT is ignored instead, so a late Ctrl-C cannot turn the exit into a traceback."""
        took_sigint, previous, hook = saved
        if took_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN if exiting else (previous if previous is not None else signal.default_int_handler))
        sys.unraisablehook = hook


CTRL_C = CtrlC()


def build_parser() -> argparse.ArgumentParser:
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


def build_score_parser() -> argparse.ArgumentParser:
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
    rouge.add_argument("--no-stemmer", action="store_true", help="no Porter stemming (stemming is on by default)")
    rouge.add_argument("--multi-reference", choices=["max", "model_average"], default="max", help="how several references combine (default max)")
    rouge.add_argument("--tokenizer", choices=["default", "unicode"], default="default", help="unicode keeps every script (default: rouge-score's)")
    rouge.add_argument("--sentence-split", choices=["pysbd", "newline"], default="pysbd", help="rougeLsum's sentences (default pysbd)")
    rouge.add_argument("--rouge155-average", action="store_true", help="also ROUGE-1.5.5's bootstrap Average R/P/F with 95%% intervals")
    rouge.add_argument("--processes", type=PROCESSES, default=1, metavar="N", help=f"score on N processes, 1 to {MAX_PROCESSES} (default 1)")
    parser.add_argument("--resamples", type=RESAMPLES, default=1000, metavar="N", help="bootstrap resamples for the intervals (default 1000)")
    parser.add_argument("--seed", type=SEED, default=0, metavar="N", help="bootstrap seed (default 0)")
    return parser


def build_report_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m harness report",
        description="Rebuild the human-readable reports of a run folder from its report.json and predictions.jsonl, "
        "without loading any model (so a template change never needs a re-run).",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder")
    return parser


def build_compare_parser() -> argparse.ArgumentParser:
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


def build_rescore_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m harness rescore",
        description="Score a finished run's stored outputs again (no model is loaded) and write the "
        "reports into a new run folder; the original run is never changed.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (with report.json and predictions.jsonl)")
    parser.add_argument("--config", metavar="FILE", help="score with this config's scoring options (default: the run's own config)")
    parser.add_argument("--output-dir", metavar="DIR", help="where the new run folder goes (default: beside RUN_DIR)")
    return parser


def _consoles():
    from rich.console import Console

    # rich assumes 80 columns when stdout is not a terminal (CI logs, pipes): the table of
    # scores would be cut to "0.4…", so give it room there
    return Console(stderr=True), (Console() if sys.stdout.isatty() else Console(width=160))


def run_command(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        from harness.report.terminal import print_summary
        from harness.runner import execute, exit_code, prepare

        CTRL_C.checkpoint()  # the imports take a while; a finaliser may have eaten a Ctrl-C meanwhile
        err, out = _consoles()
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
        from harness.compare_command import compare_and_report

        gate_code = compare_and_report(args.baseline, run_dir, gates=plan.config.gates, write_to=run_dir)
        code = max(code, gate_code)
    return code


def compare_command(argv: list[str]) -> int:
    args = build_compare_parser().parse_args(argv)
    from harness.compare_command import compare_and_report, gates_from

    gates = gates_from(args.config, args.gate)
    return compare_and_report(
        args.baseline, args.candidate, gates, pairs=args.pair, force=args.force, json_path=args.json,
        markdown_path=args.markdown, html_path=args.html, resamples=args.resamples, seed=args.seed,
    )


def rescore_command(argv: list[str]) -> int:
    args = build_rescore_parser().parse_args(argv)
    from harness.report.terminal import print_summary
    from harness.rescore import rescore

    _, out = _consoles()
    run, run_dir = rescore(args.run_dir, args.config, args.output_dir)
    print_summary(run, run_dir, out)
    return EXIT_OK


def report_command(argv: list[str]) -> int:
    args = build_report_parser().parse_args(argv)
    from harness.report.write import write_readable_reports
    from harness.run_files import run_result_of

    run_dir = Path(args.run_dir)
    written = write_readable_reports(run_result_of(run_dir), run_dir)
    print("Rebuilt: " + ", ".join(str(p) for p in written))
    return EXIT_OK


def score_command(argv: list[str]) -> int:
    parser = build_score_parser()
    args = parser.parse_args(argv)
    from harness import score_command as scoring

    if args.output:
        _check_output_file(Path(args.output))
    if args.task == "qa":
        if not args.gold or args.references:
            parser.error("--task qa takes --gold DATASET.json and --predictions PRED.json")
        result = scoring.score_qa(args.gold, args.predictions)
    else:
        if not args.references or args.gold:
            parser.error("--task summary takes --predictions PRED.txt and --references REF.txt [REF2.txt ...]")
        from harness.metrics.rouge import RougeOptions

        try:
            options = RougeOptions(tuple(t.strip() for t in args.rouge_types.split(",") if t.strip()), not args.no_stemmer,
                                   args.multi_reference, args.tokenizer, args.sentence_split)
        except (ValueError, TypeError) as exc:
            parser.error(f"--rouge-types: {exc}")
        result = scoring.score_summaries(args.predictions, args.references, options, args.resamples, args.seed, args.rouge155_average, args.processes)
    sys.stdout.write(scoring.write_result(result, args.output))
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


COMMANDS = {"rescore": rescore_command, "compare": compare_command, "report": report_command, "score": score_command}


def main(argv: list[str] | None = None) -> int:
    """The exit code; `argv` None means the process's own command line (`python -m harness`)."""
    from_command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    command = COMMANDS.get(argv[0]) if argv else None
    saved = CTRL_C.install()
    try:
        return command(argv[1:]) if command else run_command(argv)
    except HarnessError as exc:
        print(f"Error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("Interrupted (Ctrl-C).", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        CTRL_C.restore(saved, exiting=from_command_line)
