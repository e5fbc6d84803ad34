"""Writes a run's report files into its folder: one per registered writer (`writers.WRITERS`)."""

from __future__ import annotations

from pathlib import Path

from harness.atomic import write_atomic
from harness.provenance import now
from harness.records import RunResult
from harness.report.writers import ReportWriter, report_writers


def write_reports(run: RunResult, run_dir: Path, stamp_finish: bool = True) -> None:
    """Every writer's file, predictions.jsonl first and report.json last: a report.json on disk
    means the folder is whole.

    `stamp_finish=False` keeps the recorded finish time (re-scoring does not re-run anything).
    """
    if stamp_finish:
        run.provenance["finished_at"] = now()
    _write(run, run_dir, report_writers())


def write_readable_reports(run: RunResult, run_dir: Path) -> list[Path]:
    """The files a person reads (report.md, report.html, and any `readable` plugin's);
    `python -m harness report` rebuilds just these."""
    return _write(run, run_dir, [w for w in report_writers() if w.readable])


def _write(run: RunResult, run_dir: Path, writers: list[ReportWriter]) -> list[Path]:
    written = []
    for writer in writers:
        path = run_dir / writer.filename
        write_atomic(path, writer.render(run))
        written.append(path)
    return written
