"""write_reports: one file per registered writer, predictions.jsonl first and report.json last."""

from pathlib import Path

import pytest

import harness.report.write as write
from harness.report.writers import WRITERS, ReportWriter, report_writers


def test_the_built_in_writers_and_their_order():
    assert WRITERS.names()[:4] == ["jsonl", "md", "html", "json"]
    assert [w.filename for w in report_writers()] == ["predictions.jsonl", "report.md", "report.html", "report.json"]


@pytest.fixture
def recorded(monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(write, "write_atomic", lambda path, text: written.append(Path(path).name))
    WRITERS.register("json", ReportWriter("json", "report.json", lambda run: "{}", readable=False, last=True))
    WRITERS.register("jsonl", ReportWriter("jsonl", "jsonl.out", lambda run: "", readable=False))
    for name in ("md", "html"):
        WRITERS.register(name, ReportWriter(name, f"{name}.out", lambda run: ""))
    WRITERS.register("extra", ReportWriter("extra", "extra.csv", lambda run: "a,b\n"))
    yield written
    for name in ("json", "jsonl", "md", "html", "extra"):
        WRITERS.unregister(name)


class _Run:
    provenance: dict = {}


def test_report_json_is_written_after_every_other_file_a_plugins_included(recorded, tmp_path):
    write.write_reports(_Run(), tmp_path)  # type: ignore[arg-type]
    assert recorded == ["jsonl.out", "md.out", "html.out", "extra.csv", "report.json"]


def test_readable_reports_are_the_readable_writers_only(recorded, tmp_path):
    assert write.write_readable_reports(_Run(), tmp_path) == [tmp_path / "md.out", tmp_path / "html.out", tmp_path / "extra.csv"]  # type: ignore[arg-type]
    assert recorded == ["md.out", "html.out", "extra.csv"]
