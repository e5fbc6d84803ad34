"""Hostile input (issue 12): malformed run folders given to `compare`, `rescore` and `report`.

Each damaged file is one `Error: <file>: <key or line>: <problem; fix>` line and exit 2 (for
`compare`, exit 1 means "a gate failed", so a crash must never look like one), and nothing is
written. The run is a real Lead-3 run (no model to load), made once and copied per case.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.run_files import read_run

from conftest import ROOT
from helpers import write_run

COMMANDS = ["compare", "rescore", "report"]


@pytest.fixture(scope="module")
def lead_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("lead-run")
    code = main(["--config", str(write_run(tmp, [{"name": "lead-3", "backend": "lead"}])), "--no-cache"])
    assert code == 0
    (run_dir,) = (tmp / "runs").iterdir()
    return run_dir


@pytest.fixture
def damaged(lead_run, tmp_path):
    """A fresh copy of the lead run to damage, and a pristine copy to compare it with."""
    good = tmp_path / "good"
    shutil.copytree(lead_run, good)
    bad = tmp_path / "bad"
    shutil.copytree(lead_run, bad)
    return good, bad


def _run(command: str, good: Path, target: Path, tmp_path: Path) -> int:
    if command == "compare":
        return main(["compare", str(good), str(target)])
    if command == "rescore":
        return main(["rescore", str(target), "--output-dir", str(tmp_path / "rescored")])
    return main(["report", str(target)])


def _one_error_line(capsys, code: int, *expected: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.out + captured.err
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert "Traceback" not in captured.err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def _edit_report(run: Path, change) -> Path:
    path = run / "report.json"
    report = json.loads(path.read_text())
    change(report)
    path.write_text(json.dumps(report))
    return path


def _edit_line(run: Path, number: int, change) -> Path:
    """Apply `change` to line `number` (1-based) of predictions.jsonl, as a dict."""
    path = run / "predictions.jsonl"
    lines = path.read_text().splitlines()
    line = json.loads(lines[number - 1])
    change(line)
    lines[number - 1] = json.dumps(line)  # allow_nan: writes NaN / Infinity as json.loads reads them
    path.write_text("\n".join(lines) + "\n")
    return path


def _set_score(value):
    return lambda line: line["scores"].__setitem__("rouge1", value)


# --- report.json -----------------------------------------------------------------------------

REPORT_TEXT = {
    "not JSON": ("{not json", "invalid JSON"),
    "empty": ("", "the report file is empty"),
    "truncated": (None, "invalid JSON"),  # the first half of the real file
    "a list": ("[]", "(top level): must be a JSON object ({...}), got a list"),
    "a string": ('"report"', "(top level): must be a JSON object ({...}), got a string"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", REPORT_TEXT)
def test_report_json_that_is_not_a_json_object(damaged, tmp_path, capsys, command, case):
    good, bad = damaged
    path = bad / "report.json"
    text, expected = REPORT_TEXT[case]
    path.write_text(path.read_text()[: len(path.read_text()) // 2] if text is None else text)
    line = _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: ", expected)
    assert "restore it, or run the config again" in line
    assert not (tmp_path / "rescored").exists()


REPORT_CHANGES = {
    "no models": (lambda r: r.pop("models"), "models: required key is missing"),
    "no eval_set": (lambda r: r.pop("eval_set"), "eval_set: required key is missing"),
    "no scoring": (lambda r: r.pop("scoring"), "scoring: required key is missing"),
    "no provenance": (lambda r: r.pop("provenance"), "provenance: required key is missing"),
    "models not a list": (lambda r: r.__setitem__("models", {"lead-3": {}}), "models: must be a list ([...]), got a JSON object"),
    "model not an object": (lambda r: r["models"].__setitem__(0, "lead-3"), 'models[0]: must be a JSON object ({...}), got a string ("lead-3")'),
    "model without name": (lambda r: r["models"][0].pop("name"), "models[0].name: required key is missing"),
    "model without status": (lambda r: r["models"][0].pop("status"), "models[0].status: required key is missing"),
    "unknown status": (lambda r: r["models"][0].__setitem__("status", "fine"), "models[0].status: must be 'ok' or 'failed', got \"fine\""),
    "name a number": (lambda r: r["models"][0].__setitem__("name", 3), "models[0].name: must be a string, got the number 3"),
    "sha256 not text": (lambda r: r["eval_set"].__setitem__("sha256", None), "eval_set.sha256: must be a string, got null"),
    "wrong schema": (lambda r: r.__setitem__("schema_version", "0.9"), "schema_version: '0.9'; this harness reads '1.0'"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", REPORT_CHANGES)
def test_report_json_without_what_is_read(damaged, tmp_path, capsys, command, case):
    good, bad = damaged
    change, expected = REPORT_CHANGES[case]
    path = _edit_report(bad, change)
    _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: {expected}")
    assert not (tmp_path / "rescored").exists()


@pytest.mark.parametrize("command", ["rescore", "report"])
def test_what_only_rebuilding_reads_is_checked_for_rescore_and_report(damaged, tmp_path, capsys, command):
    good, bad = damaged
    path = _edit_report(bad, lambda r: r["models"][0]["metrics"]["summary"]["rouge1"].__setitem__("mean", "high"))
    _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: models[0].metrics.summary.rouge1.mean: must be a number")
    # compare reads only names, statuses, the eval set's sha256 and the predictions: it still works
    assert main(["compare", str(good), str(bad)]) == 0


# --- predictions.jsonl ---------------------------------------------------------------------


PREDICTION_CHANGES = {
    **{f"no {key}": (lambda line, key=key: line.pop(key), f"{key}: required key is missing")
       for key in ("model", "article_id", "task", "item_id", "output", "scores")},
    "scores a list": (lambda line: line.__setitem__("scores", [0.5]), "scores: must be a JSON object ({...}), got a list"),
    "scores a string": (lambda line: line.__setitem__("scores", "0.5"), "scores: must be a JSON object ({...}), got a string"),
    "score a string": (_set_score("0.5"), 'scores.rouge1: must be a number, got a string ("0.5")'),
    "score a boolean": (_set_score(True), "scores.rouge1: must be a number, got a boolean (true)"),
    "score null": (_set_score(None), "scores.rouge1: must be a number, got null"),
    "score NaN": (_set_score(float("nan")), "scores.rouge1: must be a finite number, got NaN"),
    "score Infinity": (_set_score(float("inf")), "scores.rouge1: must be a finite number, got Infinity"),
    "score -Infinity": (_set_score(float("-inf")), "scores.rouge1: must be a finite number, got -Infinity"),
    "unknown task": (lambda line: line.__setitem__("task", "quiz"), "task: must be 'summary' or 'qa', got \"quiz\""),
    "output not text": (lambda line: line.__setitem__("output", ["a"]), "output: must be a string, got a list"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", PREDICTION_CHANGES)
def test_a_bad_predictions_line(damaged, tmp_path, capsys, command, case):
    good, bad = damaged
    change, expected = PREDICTION_CHANGES[case]
    path = _edit_line(bad, 2, change)
    line = _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: line 2: {expected}")
    assert "restore it, or run the config again" in line
    assert not (tmp_path / "rescored").exists()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("text, expected", [
    ('{"model": "lead-3", ', "line 2: invalid JSON: Expecting property name enclosed in double quotes (column 21)"),
    ("[1, 2]", "line 2: must be a JSON object ({...}), got a list"),
    ('"lead-3"', 'line 2: must be a JSON object ({...}), got a string ("lead-3")'),
    ("NaN", "line 2: must be a JSON object ({...}), got the number NaN"),
])
def test_a_predictions_line_that_is_not_an_object(damaged, tmp_path, capsys, command, text, expected):
    good, bad = damaged
    path = bad / "predictions.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = text
    path.write_text("\n".join(lines) + "\n")
    _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: {expected}")


@pytest.mark.parametrize("command", ["rescore", "report"])
def test_what_only_rebuilding_reads_of_a_line(damaged, tmp_path, capsys, command):
    good, bad = damaged
    path = _edit_line(bad, 1, lambda line: line.pop("raw_output"))
    _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {path}: line 1: raw_output: required key is missing")
    assert main(["compare", str(good), str(bad)]) == 0


def test_the_baseline_is_damaged_too(damaged, tmp_path, capsys):
    good, bad = damaged
    path = _edit_line(bad, 1, _set_score(float("nan")))
    _one_error_line(capsys, main(["compare", str(bad), str(good)]), f"Error: {path}: line 1: scores.rouge1: must be a finite number")


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_run_folder_that_does_not_exist(lead_run, tmp_path, capsys, command):
    missing = tmp_path / "no-such-run"
    _one_error_line(capsys, _run(command, lead_run, missing, tmp_path), f"Error: {missing}: no such folder")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_without_report_json(lead_run, tmp_path, capsys, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_error_line(capsys, _run(command, lead_run, empty, tmp_path), f"Error: {empty}: no report.json here")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_without_predictions(damaged, tmp_path, capsys, command):
    good, bad = damaged
    (bad / "predictions.jsonl").unlink()
    _one_error_line(capsys, _run(command, good, bad, tmp_path), f"Error: {bad}: predictions.jsonl is missing")


@pytest.mark.parametrize("command, expected", [
    ("compare", "not a report.json; give a run folder or the report.json in it"),
    ("rescore", "is a file, not a run folder"),
    ("report", "is a file, not a run folder"),
])
def test_a_file_that_is_not_report_json(lead_run, tmp_path, capsys, command, expected):
    target = lead_run / "predictions.jsonl"
    _one_error_line(capsys, _run(command, lead_run, target, tmp_path), f"Error: {target}: {expected}")


def test_compare_still_takes_a_report_json(lead_run, capsys):
    assert main(["compare", str(lead_run / "report.json"), str(lead_run)]) == 0
    assert "# Comparison: PASS" in capsys.readouterr().out


# --- what must still be read ---------------------------------------------------------------


def test_outputs_with_line_separators_are_one_line_each(damaged, tmp_path, capsys):
    """json.dumps(ensure_ascii=False), as the harness writes predictions.jsonl, leaves U+2028 and U+0085
    raw; str.splitlines() would split a line there: a line ends at "\\n" only."""
    good, bad = damaged
    _edit_line(bad, 1, lambda line: line.__setitem__("output", "x\u2028y\x85z\x0bw"))
    path = bad / "predictions.jsonl"
    path.write_text(path.read_text().replace("\\u2028", "\u2028").replace("\\u0085", "\x85"))  # as the harness writes them
    assert "\u2028" in path.read_text()
    _, predictions = read_run(bad)
    assert predictions[0]["output"] == "x\u2028y\x85z\x0bw"
    assert main(["compare", str(good), str(bad)]) == 0
    capsys.readouterr()


def test_keys_this_version_does_not_read_are_kept(damaged, tmp_path, capsys):
    good, bad = damaged
    _edit_report(bad, lambda r: r["models"][0].__setitem__("future_key", {"x": 1}))
    _edit_line(bad, 1, lambda line: line.__setitem__("future_key", [1]))
    for command in COMMANDS:
        assert _run(command, good, bad, tmp_path) == 0, capsys.readouterr().err
    capsys.readouterr()


def test_the_committed_baseline_is_read_in_full():
    report, predictions = read_run(ROOT / "baselines" / "default")
    assert report["models"] and predictions
