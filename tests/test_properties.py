"""Property-based hostile input: generated configs, eval sets and run folders, valid and mutated
(wrong types, out-of-range numbers, hostile Unicode, missing and unknown keys, truncated files).

For every generated case, in-process through `cli.main`:
- the exit code is 0, 1 or 2 (130 needs a Ctrl-C, which no case sends);
- nothing escapes `main` as an exception, and nothing prints a traceback;
- exit 2 leaves no run folder;
- a report.json that was written validates against the published JSON Schema
  (schemas/report.schema.json) and reads back through the run-folder reader (run_files.read_run).

Cases use the Lead backend only (no model), so each takes milliseconds to a second. The number of
generated cases per run is EXAMPLES per property (HARNESS_PROPERTY_EXAMPLES, default 100) times
the 4 properties; `derandomize` makes every run of the suite generate the same cases, so CI is
reproducible and a failure replays.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cli import main
from harness.run_files import read_run
from harness.run_record import SCHEMA_DIR

from helpers import EVAL_SET

REPORT_SCHEMA = json.loads((SCHEMA_DIR / "report.schema.json").read_text())
EXAMPLES = int(os.environ.get("HARNESS_PROPERTY_EXAMPLES", "100"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BASE_CONFIG = {
    "eval_set": "evalset.yaml",
    "output_dir": "runs",
    "seed": 0,
    "scoring": {"rouge_types": ["rouge1", "rougeLsum"], "bootstrap_resamples": 20},
    "gates": {"summary.rouge1": {"max_drop": 0.1}},
    "models": [{"name": "lead-1", "backend": "lead", "k": 1}, {"name": "lead-2", "backend": "lead", "k": 2}],
}

# text that has broken parsers and writers: markup, line and paragraph separators, a lone
# surrogate, NUL, right-to-left marks, CJK, emoji, very long words
HOSTILE_TEXT = st.sampled_from([
    "", " ", "<script>alert(1)</script>", "a|b", "x\ry", "x\u2028y\u2029z", "\ud800", "\x00", "\u202eevil",
    "회담이 열린다", "🙂" * 3, "w" * 5000, "yes", "null", "~", "1e309", "-0", "{a: 1}", "[x]", "'", '"', "\\", "%s{0}{article}",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), HOSTILE_TEXT, st.text(max_size=20),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def _paths(data, prefix=()):
    """Every key path of a nested dict/list, for picking what to mutate."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _mutate(data, draw):
    """A copy of `data` with one to three random changes: a value replaced, a key dropped, a key added."""
    data = json.loads(json.dumps(data))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:  # everything was dropped already
            return data
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return data


def _dump(data) -> str:
    """JSON is YAML; ensure_ascii keeps a lone surrogate as a \\ud800 escape, as a user could type it.
    NaN and Infinity are not YAML: write them as YAML's own .nan and .inf."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=True)
    return text.replace("-Infinity", "-.inf").replace("Infinity", ".inf").replace("NaN", ".nan")


def _call(argv: list[str]) -> tuple[int, str]:
    """cli.main in-process; anything escaping it but argparse's SystemExit (a usage error, exit 2)
    fails the property with the exception itself."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue() + err.getvalue()


def _check_run(code: int, text: str, output_dir: Path) -> None:
    assert code in (0, 1, 2), (code, text[-2000:])
    assert "Traceback" not in text, text[-3000:]
    runs = sorted(p for p in output_dir.iterdir() if p.is_dir()) if output_dir.is_dir() else []
    if code == 2:
        assert runs == [], (text, runs)
        assert text.strip().startswith("Error:") and len(text.strip().splitlines()) == 1, text
    for run in runs:
        if (run / "report.json").exists():
            jsonschema.validate(json.loads((run / "report.json").read_text()), REPORT_SCHEMA)
            read_run(run, full=True)  # raises on anything the readers would refuse


@SETTINGS
@given(st.data())
def test_generated_configs(data):
    config = _mutate(BASE_CONFIG, data.draw) if data.draw(st.booleans()) else BASE_CONFIG
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "evalset.yaml").write_text(_dump(EVAL_SET), encoding="utf-8")
        (folder / "config.yaml").write_text(_dump(config), encoding="utf-8")
        code, text = _call(["--config", str(folder / "config.yaml"), "--output-dir", str(folder / "out"), "--no-cache"])
        _check_run(code, text, folder / "out")


@SETTINGS
@given(st.data())
def test_generated_eval_sets(data):
    eval_set = _mutate(EVAL_SET, data.draw)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "evalset.yaml").write_text(_dump(eval_set), encoding="utf-8")
        (folder / "config.yaml").write_text(_dump(BASE_CONFIG), encoding="utf-8")
        code, text = _call(["--config", str(folder / "config.yaml"), "--output-dir", str(folder / "out"), "--no-cache"])
        _check_run(code, text, folder / "out")


def _valid_run(folder: Path) -> Path:
    (folder / "evalset.yaml").write_text(_dump(EVAL_SET), encoding="utf-8")
    (folder / "config.yaml").write_text(_dump(BASE_CONFIG), encoding="utf-8")
    code, text = _call(["--config", str(folder / "config.yaml"), "--output-dir", str(folder / "runs"), "--no-cache"])
    assert code == 0, text
    (run,) = (folder / "runs").iterdir()
    return run


@SETTINGS
@given(st.data())
def test_generated_run_folders(data):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        baseline = _valid_run(folder)
        candidate = folder / "candidate"
        candidate.mkdir()
        report = json.loads((baseline / "report.json").read_text())
        lines = [json.loads(line) for line in (baseline / "predictions.jsonl").read_text().splitlines()]
        which = data.draw(st.sampled_from(["report", "predictions", "truncate-report", "truncate-predictions"]))
        if which == "report":
            report = _mutate(report, data.draw)
        elif which == "predictions":
            lines = _mutate(lines, data.draw)
        report_text = json.dumps(report, allow_nan=True)
        predictions_text = "".join(json.dumps(line, allow_nan=True) + "\n" for line in (lines if isinstance(lines, list) else [lines]))
        # where to cut, as a share of the file: the files' lengths vary with the temporary paths
        # and times inside them, and hypothesis needs the same draws to mean the same case
        cut = data.draw(st.integers(0, 9999)) / 10000
        if which == "truncate-report":
            report_text = report_text[: int(cut * len(report_text))]
        if which == "truncate-predictions":
            predictions_text = predictions_text[: int(cut * len(predictions_text))]
        (candidate / "report.json").write_text(report_text, encoding="utf-8")
        (candidate / "predictions.jsonl").write_text(predictions_text, encoding="utf-8")
        command = data.draw(st.sampled_from(["compare", "rescore", "report"]))
        if command == "compare":
            code, text = _call(["compare", str(baseline), str(candidate), "--gate", "summary.rouge1:max_drop=0.1", "--resamples", "20"])
        elif command == "rescore":
            code, text = _call(["rescore", str(candidate), "--output-dir", str(folder / "rescored")])
        else:
            code, text = _call(["report", str(candidate)])
        assert code in (0, 1, 2), (command, code, text[-2000:])
        assert "Traceback" not in text, text[-3000:]
        if code == 2:
            assert text.strip().startswith("Error:") and len(text.strip().splitlines()) == 1, (command, text)
            assert not (folder / "rescored").exists() or not any((folder / "rescored").iterdir())


@SETTINGS
@given(
    resamples=st.one_of(st.integers(-5, 5), st.sampled_from(["x", "1e3", "", "10000000000000"])),
    processes=st.one_of(st.integers(-2, 3), st.sampled_from(["two", ""])),
    line=HOSTILE_TEXT,
)
def test_generated_score_options(resamples, processes, line):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if "\ud800" in line:
            line = "surrogate"  # a file on disk holds bytes; a lone surrogate cannot be written to one
        (folder / "pred.txt").write_text(line.replace("\n", " ") + "\n", encoding="utf-8")
        (folder / "ref.txt").write_text("Seoul and Tokyo meet in June.\n", encoding="utf-8")
        code, text = _call(["score", "--task", "summary", "--predictions", str(folder / "pred.txt"), "--references", str(folder / "ref.txt"),
                            "--resamples", str(resamples), "--processes", str(processes)])
        assert code in (0, 2), text[-2000:]
        assert "Traceback" not in text
        if code == 2:
            assert text.strip().splitlines()[-1].startswith(("Error:", "python -m harness score: error:")), text
        else:
            result = json.loads(text[: text.rindex("}") + 1])
            assert all(math.isfinite(v) for v in _numbers(result))


def _numbers(data):
    if isinstance(data, bool):
        return
    if isinstance(data, (int, float)):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from _numbers(value)
