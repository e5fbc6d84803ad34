"""The report writers and their registry: each turns a finished run into one file of its folder.

A `ReportWriter` names its file and renders it from the `RunResult`. The built-ins are
predictions.jsonl, report.md, report.html and report.json; another package adds a format (a CSV
leaderboard, say) under the entry-point group `harness.report_writers`, or with
`WRITERS.register(name, writer)` (README, "Adding a report writer"). `write.write_reports`
writes every registered writer's file, the `last` ones (report.json) after all the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from harness.records import RunResult
from harness.registry import Registry


@dataclass(frozen=True)
class ReportWriter:
    name: str
    """Its registry name (and the name shown in messages)."""
    filename: str
    """The file it writes in the run folder."""
    render: Callable[[RunResult], str]
    """`(run) -> the file's text`."""
    readable: bool = True
    """A file for people: `python -m harness report` rebuilds it from report.json and predictions.jsonl."""
    last: bool = False
    """Written after every other file: report.json, whose presence means the folder is whole."""


def _json(run: RunResult) -> str:
    from harness.report.json_report import report_json

    return report_json(run)


def _jsonl(run: RunResult) -> str:
    from harness.report.json_report import predictions_jsonl

    return predictions_jsonl(run)


def _markdown(run: RunResult) -> str:
    from harness.report.markdown import report_markdown

    return report_markdown(run)


def _html(run: RunResult) -> str:
    from harness.report.html import report_html

    return report_html(run)


JSONL = ReportWriter("jsonl", "predictions.jsonl", _jsonl, readable=False)
MARKDOWN = ReportWriter("md", "report.md", _markdown)
HTML = ReportWriter("html", "report.html", _html)
JSON = ReportWriter("json", "report.json", _json, readable=False, last=True)

WRITERS = Registry(
    "report writer",
    "harness.report_writers",
    {
        "jsonl": "harness.report.writers:JSONL",
        "md": "harness.report.writers:MARKDOWN",
        "html": "harness.report.writers:HTML",
        "json": "harness.report.writers:JSON",
    },
)


def report_writers() -> list[ReportWriter]:
    """Every registered writer in writing order: registry order, the `last` ones at the end."""
    writers = WRITERS.all()
    return [w for w in writers if not w.last] + [w for w in writers if w.last]


__all__ = ["WRITERS", "ReportWriter", "report_writers"]
