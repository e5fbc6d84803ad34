"""Broken environments (issue 12, item 1) and Ctrl-C at start-up (item 3).

A broken generation cache, output folder or `--baseline` is found at pre-flight: one `Error:`
line, exit 2, before any model loads and before the run folder is made. A Ctrl-C at any time
before the models finish ends in exit 130, never a traceback and never exit 0 (harness.cli).
"""

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

import harness.runner
from harness.cli import main

from conftest import ROOT
from helpers import EVAL_SET, only_run_dir, read_report, write_run

LEAD = [{"name": "lead-2", "backend": "lead", "k": 2}]


def _writes_past_permissions() -> bool:
    """True for root (with CAP_DAC_OVERRIDE), who may write to a read-only file or folder."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "read-only")
        open(path, "w").close()
        os.chmod(path, 0o444)
        return os.access(path, os.W_OK)


ROOT_WRITES_ANYWHERE = pytest.mark.skipif(
    _writes_past_permissions(),
    reason="running as root: root may write to a read-only file or folder, so nothing is refused "
    "(the same case is simulated with os.access below; run as a user, or as root under "
    "`setpriv --inh-caps=-dac_override --bounding-set=-dac_override`, to test it for real)",
)


def _one_error_line(capsys, code: int, *expected: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert "Traceback" not in captured.err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def _refuse_to_load(*args, **kwargs):
    raise AssertionError("a model was loaded although pre-flight should have stopped the run")


@pytest.fixture
def no_model_loads(monkeypatch):
    """Loading any model fails the test: pre-flight problems must stop the run before that."""
    monkeypatch.setattr(harness.runner, "load_backend", _refuse_to_load)


def _fill_cache(tmp_path, capsys) -> None:
    """A real cache written by a run (into a folder of its own, removed afterwards)."""
    assert main(["--config", str(write_run(tmp_path, LEAD)), "--output-dir", str(tmp_path / "first")]) == 0
    capsys.readouterr()


def _break_cache(case: str, tmp_path, cache_dir, capsys, monkeypatch):
    """Breaks the cache one way; returns (the path the error must name, text it must hold)."""
    cache_file = cache_dir / "generations.sqlite"
    if case == "garbage":
        cache_dir.mkdir()
        cache_file.write_bytes(bytes(range(256)) * 40)
        return cache_file, "not a SQLite database (file is not a database)"
    if case == "truncated":
        _fill_cache(tmp_path, capsys)
        data = cache_file.read_bytes()
        assert len(data) >= 3 * 4096, len(data)  # several pages, so cutting it loses some
        cache_file.write_bytes(data[: len(data) // 2 - 100])
        return cache_file, "damaged or not a SQLite database (database disk image is malformed)"
    if case == "a folder":
        (cache_file / "x").mkdir(parents=True)
        return cache_file, "the generation cache is a folder, not a SQLite file"
    if case == "folder is a file":
        cache_dir.write_text("not a folder")
        return cache_dir, "the generation cache folder ($HARNESS_CACHE_DIR) is a file, not a folder"
    if case == "folder under a file":
        cache_dir.write_text("not a folder")
        monkeypatch.setenv("HARNESS_CACHE_DIR", str(cache_dir / "sub"))
        return cache_dir / "sub", f"lies under {cache_dir}, which is a file, not a folder"
    if case == "another table":
        cache_dir.mkdir()
        with sqlite3.connect(cache_file) as db:
            db.execute("CREATE TABLE generations (id INTEGER, text TEXT)")
        return cache_file, "not a harness generation cache (its generations table has columns id, text)"
    raise AssertionError(case)


BROKEN_CACHES = ["garbage", "truncated", "a folder", "folder is a file", "folder under a file", "another table"]


@pytest.mark.parametrize("case", BROKEN_CACHES)
def test_a_broken_cache_stops_the_run_at_pre_flight(case, tmp_path, cache_dir, capsys, monkeypatch):
    named, problem = _break_cache(case, tmp_path, cache_dir, capsys, monkeypatch)
    monkeypatch.setattr(harness.runner, "load_backend", _refuse_to_load)
    config = write_run(tmp_path, LEAD)
    line = _one_error_line(capsys, main(["--config", str(config)]), f"Error: {named}: ", problem, "--no-cache")
    assert "delete it" in line or "remove it" in line or "point HARNESS_CACHE_DIR at a folder" in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("case", BROKEN_CACHES)
def test_no_cache_runs_despite_a_broken_cache(case, tmp_path, cache_dir, capsys, monkeypatch):
    _break_cache(case, tmp_path, cache_dir, capsys, monkeypatch)
    assert main(["--config", str(write_run(tmp_path, LEAD)), "--no-cache"]) == 0, capsys.readouterr().err
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    assert report["provenance"]["complete"] is True


def test_an_empty_cache_file_is_an_empty_cache(tmp_path, cache_dir, capsys):
    cache_dir.mkdir()
    (cache_dir / "generations.sqlite").write_bytes(b"")
    assert main(["--config", str(write_run(tmp_path, LEAD))]) == 0, capsys.readouterr().err
    with sqlite3.connect(cache_dir / "generations.sqlite") as db:
        assert db.execute("SELECT count(*) FROM generations").fetchone()[0] == 2  # two lead summaries


def test_pre_flight_of_a_missing_cache_creates_nothing(tmp_path, cache_dir):
    from harness.cache import check_cache

    check_cache(cache_dir / "deeper" / "generations.sqlite")
    assert not cache_dir.exists()


@ROOT_WRITES_ANYWHERE
def test_a_read_only_cache_stops_the_run(tmp_path, cache_dir, capsys, monkeypatch):
    _fill_cache(tmp_path, capsys)
    monkeypatch.setattr(harness.runner, "load_backend", _refuse_to_load)
    cache_file = cache_dir / "generations.sqlite"
    cache_file.chmod(0o444)
    _one_error_line(capsys, main(["--config", str(write_run(tmp_path, LEAD))]), f"{cache_file}: the generation cache is read-only", "--no-cache")
    assert not (tmp_path / "runs").exists()


def _deny_writes_to(monkeypatch, denied):
    """os.access as a non-root user sees a read-only `denied` (root may write anywhere)."""
    real = os.access

    def access(path, mode, *args, **kwargs):
        if os.fspath(path) == os.fspath(denied) and mode & os.W_OK:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_a_cache_that_is_read_only_for_this_user_stops_the_run(tmp_path, cache_dir, capsys, monkeypatch):
    _fill_cache(tmp_path, capsys)
    monkeypatch.setattr(harness.runner, "load_backend", _refuse_to_load)
    cache_file = cache_dir / "generations.sqlite"
    _deny_writes_to(monkeypatch, cache_file)
    _one_error_line(capsys, main(["--config", str(write_run(tmp_path, LEAD))]),
                    f"Error: {cache_file}: the generation cache is read-only; make it writable (chmod u+rw {cache_file})", "--no-cache")
    assert not (tmp_path / "runs").exists()


def test_a_cache_folder_that_is_read_only_for_this_user_stops_the_run(tmp_path, cache_dir, capsys, no_model_loads, monkeypatch):
    cache_dir.mkdir()
    _deny_writes_to(monkeypatch, cache_dir)
    _one_error_line(capsys, main(["--config", str(write_run(tmp_path, LEAD))]),
                    f"Error: {cache_dir}: the generation cache folder is not writable", "--no-cache")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("where", ["option", "config"])
@pytest.mark.parametrize("case", ["a file", "under a file"])
def test_an_output_folder_that_cannot_be_made_stops_the_run(tmp_path, cache_dir, capsys, no_model_loads, where, case):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    out = blocker if case == "a file" else blocker / "runs"
    problem = "is a file, not a folder" if case == "a file" else f"lies under {blocker}, which is a file, not a folder"
    if where == "option":
        config = write_run(tmp_path, LEAD)
        code = main(["--config", str(config), "--output-dir", str(out)])
        _one_error_line(capsys, code, f"Error: {out}: --output-dir: {problem}")
    else:
        config = write_run(tmp_path, LEAD, output_dir=str(out))
        code = main(["--config", str(config)])
        _one_error_line(capsys, code, f"Error: {config}: output_dir: {out} {problem}", "--output-dir DIR")
    assert blocker.read_text() == "a file"
    assert not cache_dir.exists()  # the cache is checked after the output folder, and nothing was created


@ROOT_WRITES_ANYWHERE
def test_a_read_only_output_folder_stops_the_run(tmp_path, cache_dir, capsys, no_model_loads):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        code = main(["--config", str(write_run(tmp_path, LEAD)), "--output-dir", str(out / "runs")])
        _one_error_line(capsys, code, f"Error: {out / 'runs'}: --output-dir: cannot be created: {out} is not writable")
    finally:
        out.chmod(0o755)


def test_an_output_folder_not_writable_for_this_user_stops_the_run(tmp_path, cache_dir, capsys, no_model_loads, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    _deny_writes_to(monkeypatch, out)
    code = main(["--config", str(write_run(tmp_path, LEAD)), "--output-dir", str(out)])
    _one_error_line(capsys, code, f"Error: {out}: --output-dir: is not writable; give a folder you can write to")
    assert list(out.iterdir()) == []


def test_new_run_dir_never_raises_a_traceback(tmp_path):
    from harness.errors import HarnessError
    from harness.report.files import new_run_dir

    (tmp_path / "file").write_text("x")
    with pytest.raises(HarnessError, match="the output folder lies under"):
        new_run_dir(tmp_path / "file" / "runs", "label")


@pytest.mark.parametrize("case", ["missing", "not a report", "folder without a run", "another eval set"])
def test_a_bad_baseline_stops_the_run_at_pre_flight(tmp_path, cache_dir, capsys, monkeypatch, case):
    config = write_run(tmp_path, LEAD)
    if case == "missing":
        baseline, expected = tmp_path / "nope", f"Error: {tmp_path / 'nope'}: --baseline: no such file or folder; give a run folder or its report.json"
    elif case == "not a report":
        baseline, expected = config, f"Error: {config}: --baseline: not a report.json"
    elif case == "folder without a run":
        (tmp_path / "empty").mkdir()
        baseline, expected = tmp_path / "empty", f"Error: {tmp_path / 'empty'}: no report.json here"
    else:
        other = tmp_path / "other"
        other.mkdir()
        eval_set = {"articles": [EVAL_SET["articles"][0]]}
        assert main(["--config", str(write_run(other, LEAD, eval_set)), "--no-cache"]) == 0
        capsys.readouterr()
        baseline = only_run_dir(other / "runs")
        expected = f"Error: {baseline}: --baseline: not comparable with this run: eval sets differ"
    monkeypatch.setattr(harness.runner, "load_backend", _refuse_to_load)
    line = _one_error_line(capsys, main(["--config", str(config), "--baseline", str(baseline)]), expected)
    assert f"--baseline {baseline}" in line or "--baseline:" in line
    assert "--force" not in line  # --baseline has no --force
    assert not (tmp_path / "runs").exists()


def test_a_good_baseline_is_compared_after_the_run(tmp_path, cache_dir, capsys):
    config = write_run(tmp_path, LEAD)
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "base")]) == 0
    baseline = only_run_dir(tmp_path / "base")
    for given in (baseline, baseline / "report.json"):
        assert main(["--config", str(config), "--baseline", str(given)]) == 0, capsys.readouterr().err
    assert all((run / "compare.json").is_file() for run in (tmp_path / "runs").iterdir())


# --- Ctrl-C -----------------------------------------------------------------------------------


class _SwallowsCtrlC:
    """Its finaliser gets a Ctrl-C, which Python can only report as "Exception ignored"."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)


def _ctrl_c_in_a_finaliser():
    thing = _SwallowsCtrlC()
    del thing  # the KeyboardInterrupt is raised inside __del__, and swallowed there


def test_ctrl_c_swallowed_by_a_finaliser_at_pre_flight_still_stops_the_run(tmp_path, cache_dir, capsys, monkeypatch):
    real = harness.runner.load_articles

    def load_articles(*args, **kwargs):
        _ctrl_c_in_a_finaliser()
        return real(*args, **kwargs)

    monkeypatch.setattr(harness.runner, "load_articles", load_articles)
    code = main(["--config", str(write_run(tmp_path, LEAD))])
    err = capsys.readouterr().err
    assert code == 130, err
    assert err.strip() == "Interrupted (Ctrl-C) before the run started; nothing was written."
    assert not (tmp_path / "runs").exists()


def test_ctrl_c_swallowed_while_a_model_loads_stops_the_run(tmp_path, cache_dir, capsys, monkeypatch):
    real = harness.runner.load_backend

    def load_backend(*args, **kwargs):
        _ctrl_c_in_a_finaliser()
        return real(*args, **kwargs)

    monkeypatch.setattr(harness.runner, "load_backend", load_backend)
    models = [*LEAD, {"name": "lead-1", "backend": "lead", "k": 1}]
    code = main(["--config", str(write_run(tmp_path, models)), "--no-cache"])
    err = capsys.readouterr().err
    assert code == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    assert report["provenance"]["complete"] is False
    assert [m["name"] for m in report["models"]] == ["lead-2"]  # the second model never started


def test_main_puts_back_the_sigint_handler_and_the_unraisable_hook(tmp_path, cache_dir, capsys):
    before = signal.getsignal(signal.SIGINT), sys.unraisablehook
    assert main(["--config", str(write_run(tmp_path, LEAD))]) == 0
    assert (signal.getsignal(signal.SIGINT), sys.unraisablehook) == before


def _many_articles(n: int) -> dict:
    article = EVAL_SET["articles"][0]
    text = " ".join([article["text"]] * 40)
    return {"articles": [{**article, "id": f"a{i}", "text": text, "references": [{"id": "r", "text": text[:2000]}]} for i in range(n)]}


def test_ctrl_c_during_start_up_exits_130_without_a_traceback(tmp_path):
    """A real process gets SIGINT at different moments of its start-up (imports, pre-flight,
    the lead model); every one ends in 130 (or 0 when the run was already done)."""
    config = write_run(tmp_path, LEAD, _many_articles(40))  # about 2 s on one idle core
    env = {**os.environ, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    codes = []
    deadline = time.monotonic() + 20
    for attempt, delay in enumerate([0.4, 0.6, 0.9, 1.2, 0.5, 0.8]):
        if time.monotonic() > deadline - 5 or (attempt >= 3 and 130 in codes):
            break
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--config", str(config), "--output-dir", str(tmp_path / f"out{attempt}"), "--no-cache"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode in (0, 130), (delay, process.returncode, stderr)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        if process.returncode == 130:
            assert "Interrupted" in stderr, stderr
        codes.append(process.returncode)
    assert 130 in codes, codes


def test_the_committed_baseline_passes_the_pre_flight_of_the_default_config(tmp_path):
    # baselines/default was made before fact_recall existed: its signatures lack that scorer, which is
    # no difference (compare.same_scoring), so .ci/eval-against-baseline's --baseline must not refuse it
    from harness.runner import prepare

    from conftest import ROOT

    plan = prepare(ROOT / "configs" / "default.yaml", output_dir=tmp_path, use_cache=False, baseline=ROOT / "baselines" / "default")
    assert [m.name for m in plan.models] == ["smollm2-135m-instruct", "gemma-3-270m", "lead-3"]
