"""`python -m harness`: argument parsing, subcommands and exit codes; the work is elsewhere.

`python -m harness --config FILE` runs a config; `python -m harness COMMAND ...` runs one of
COMMANDS. Each command (its parser and its work) is a module of harness.commands; here are only
the parser class, the table of commands, and `main` with its exit codes and Ctrl-C handling.

Exit codes: 0 done; 1 at least one model failed (the others still ran and are reported); 2 bad
usage or bad input (one `Error:` line, nothing written); 130 interrupted (the reports written so
far are marked incomplete).

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
import signal
import sys
import threading

from harness.commands import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_MODEL_FAILED, EXIT_OK, MAX_PROCESSES, PROCESSES, RESAMPLES, SEED
from harness.commands.compare import build_compare_parser, compare_command
from harness.commands.report import build_report_parser, report_command
from harness.commands.rescore import build_rescore_parser, rescore_command
from harness.commands.run import build_parser, run_command
from harness.commands.score import build_score_parser, score_command
from harness.errors import HarnessError, one_line

__all__ = [
    "COMMANDS", "CTRL_C", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_MODEL_FAILED", "EXIT_OK", "MAX_PROCESSES", "PROCESSES", "RESAMPLES",
    "SEED", "SUBCOMMANDS", "CtrlC", "Parser", "build_compare_parser", "build_parser", "build_report_parser", "build_rescore_parser",
    "build_score_parser", "main",
]

SUBCOMMANDS = {
    "rescore": "score a finished run's stored outputs again, without any model",
    "compare": "compare two runs: paired deltas with intervals and p-values, regression gates",
    "report": "rebuild a run folder's report.md and report.html from report.json and predictions.jsonl",
    "score": "score outputs made elsewhere: SQuAD-format QA, or summaries against reference files",
}
COMMANDS = {"rescore": rescore_command, "compare": compare_command, "report": report_command, "score": score_command}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `Error:` line (exit 2) like every other bad input."""

    def error(self, message):
        print(f"Error: {self.prog}: {one_line(message)} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


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
