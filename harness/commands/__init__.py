"""The subcommands of `python -m harness`, one module each: its argparse parser builder and its
command function (argv -> exit code). harness.cli picks the command and handles errors and Ctrl-C.

run.py (the default: a config), rescore.py, compare.py, score.py, report.py. What they share is
here: the exit codes, the number types of their options and the consoles. A module imports only
the standard library at the top (the rest inside its functions), so `python -m harness` starts
quickly and its Ctrl-C handler is in place before the slow imports.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


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


def consoles():
    """rich consoles for stderr (progress, warnings) and stdout (the table of scores)."""
    from rich.console import Console

    # rich assumes 80 columns when stdout is not a terminal (CI logs, pipes): the table of
    # scores would be cut to "0.4…", so give it room there
    return Console(stderr=True), (Console() if sys.stdout.isatty() else Console(width=160))
