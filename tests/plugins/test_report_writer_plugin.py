"""A report format that lives outside the package: one writer registered at run time, and its
file is in every run folder, written before report.json, and rebuilt by `report`."""

import csv
import io
import os

import pytest

from harness.cli import main
from harness.report.writers import WRITERS, ReportWriter

from helpers import EVAL_SET, write_run


def leaderboard_csv(run) -> str:
    """One row per model: its name and the mean of every summary metric."""
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    metrics = sorted({m for model in run.models for m in (model.metrics.get("summary") or {})})
    rows.writerow(["model", *metrics])
    for model in run.models:
        summary = model.metrics.get("summary") or {}
        rows.writerow([model.name, *(f"{summary[m]['mean']:.4f}" if m in summary else "" for m in metrics)])
    return out.getvalue()


@pytest.fixture
def csv_writer():
    WRITERS.register("csv", ReportWriter("csv", "leaderboard.csv", leaderboard_csv))
    yield
    WRITERS.unregister("csv")


def test_a_registered_writer_adds_its_file_to_the_run_folder(csv_writer, tmp_path, capsys):
    models = [{"name": "lead-1", "backend": "lead", "k": 1}, {"name": "lead-3", "backend": "lead", "k": 3}]
    config = write_run(tmp_path, models, EVAL_SET)
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    table = list(csv.reader((run_dir / "leaderboard.csv").read_text().splitlines()))
    assert table[0][0] == "model" and "rouge1" in table[0]
    assert [row[0] for row in table[1:]] == ["lead-1", "lead-3"]
    assert all(cell for row in table[1:] for cell in row)
    for name in ("predictions.jsonl", "report.md", "report.html"):
        assert (run_dir / name).is_file()
    # report.json is still the last file written: its presence means the folder is whole
    assert os.stat(run_dir / "leaderboard.csv").st_mtime_ns <= os.stat(run_dir / "report.json").st_mtime_ns

    # `report` rebuilds the readable files, the plugin's among them
    (run_dir / "leaderboard.csv").unlink()
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0, capsys.readouterr().err
    assert "leaderboard.csv" in capsys.readouterr().out
    assert list(csv.reader((run_dir / "leaderboard.csv").read_text().splitlines())) == table


def test_without_the_writer_there_is_no_csv(tmp_path, capsys):
    config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}], EVAL_SET)
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert {"predictions.jsonl", "report.md", "report.html", "report.json"} <= {p.name for p in run_dir.iterdir()}
    assert not (run_dir / "leaderboard.csv").exists()
