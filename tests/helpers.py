"""Writing small configs and eval sets for tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

EVAL_SET = {
    "articles": [
        {
            "id": "a1",
            "text": "Seoul and Tokyo will meet in Singapore. The talks resume in June. Japan agreed.",
            "references": [{"id": "r1", "text": "Seoul and Tokyo meet in Singapore in June."}],
            "questions": [
                {"id": "q1", "question": "Where will they meet?", "answers": ["Singapore"]},
                {"id": "q2", "question": "When do the talks resume?", "answers": ["June", "in June"]},
            ],
        },
        {
            "id": "a2",
            "text": "The next meeting opens later this year in Seoul.\nIt was a two-day dialogue.",
            "references": [{"id": "r1", "text": "The next meeting is in Seoul."}, {"id": "r2", "text": "Seoul hosts next."}],
            "questions": [{"id": "q1", "question": "Where is the next meeting?", "answers": ["Seoul"]}],
        },
    ]
}


def write_run(tmp: Path, models: list[dict], eval_set: dict | None = None, **extra) -> Path:
    """A config and eval set in `tmp`; returns the config path."""
    (tmp / "evalset.yaml").write_text(yaml.safe_dump(eval_set or EVAL_SET, sort_keys=False))
    config = {"eval_set": "evalset.yaml", "output_dir": "runs", "models": models, **extra}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def hf(name: str, folder: Path, **extra) -> dict:
    return {"name": name, "backend": "hf", "source": {"path": str(folder)}, **extra}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=900
    )


def only_run_dir(output_dir: Path) -> Path:
    runs = sorted(p for p in output_dir.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0]


def read_report(run_dir: Path) -> tuple[dict, list[dict]]:
    report = json.loads((run_dir / "report.json").read_text())
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    return report, predictions
