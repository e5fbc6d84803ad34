"""Writes a run's three report files into its folder."""

from __future__ import annotations

from pathlib import Path

from harness.atomic import write_atomic
from harness.provenance import now
from harness.records import RunResult
from harness.report.html import report_html
from harness.report.json_report import predictions_jsonl, report_json
from harness.report.markdown import report_markdown


def write_reports(run: RunResult, run_dir: Path, stamp_finish: bool = True) -> None:
    """predictions first, report.json last: a report.json on disk means the folder is whole.

    `stamp_finish=False` keeps the recorded finish time (re-scoring does not re-run anything).
    """
    if stamp_finish:
        run.provenance["finished_at"] = now()
    write_atomic(run_dir / "predictions.jsonl", predictions_jsonl(run))
    write_readable_reports(run, run_dir)
    write_atomic(run_dir / "report.json", report_json(run))


def write_readable_reports(run: RunResult, run_dir: Path) -> list[Path]:
    """The files a person reads; `python -m harness report` rebuilds just these."""
    written = [run_dir / "report.md", run_dir / "report.html"]
    write_atomic(written[0], report_markdown(run))
    write_atomic(written[1], report_html(run))
    return written
