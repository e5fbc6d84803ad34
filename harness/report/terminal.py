"""The short result table printed at the end of a run (rich)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from harness.records import RunResult
from harness.report import leaderboard


def print_summary(run: RunResult, run_dir, console: Console) -> None:
    table = Table(title="Results (means)", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in leaderboard.header(run, joiner="\n"):
        table.add_column(name, justify="left" if name in ("model", "status") else "right", no_wrap=True)
    for row in leaderboard.rows(run):
        table.add_row(*row)
    console.print(table)
    for model in run.models:
        if model.status != "ok":
            console.print(f"[red]{model.name} failed:[/red] {model.error}", highlight=False)
    console.print(f"Reports: {run_dir}", highlight=False)
