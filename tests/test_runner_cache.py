"""The generation cache through the CLI: re-runs, --no-cache, resume after kill -9, Ctrl-C.

In this process (cli.main) except where a real process matters: the run that is killed or
interrupted, and the run that resumes from what the kill left."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

from conftest import ROOT
from helpers import cli, hf, read_report, run_cli, write_run


def _outputs(run_dir):
    _, predictions = read_report(run_dir)
    return {(p["model"], p["article_id"], p["item_id"]): p["raw_output"] for p in predictions}


def test_rerun_takes_everything_from_the_cache(tiny_models, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    config = write_run(tmp_path, [hf("tiny", tiny_models["causal"])])
    first = cli("--config", str(config), "--output-dir", str(tmp_path / "a"))
    second = cli("--config", str(config), "--output-dir", str(tmp_path / "b"))
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    (run_a,), (run_b,) = list((tmp_path / "a").iterdir()), list((tmp_path / "b").iterdir())
    assert _outputs(run_a) == _outputs(run_b)
    report, predictions = read_report(run_b)
    timing = report["models"][0]["timing"]
    assert timing["cached_items"] == 5 and timing["new_tokens"] == 0
    assert timing["load_seconds"] is None  # the model was never loaded
    assert all(p["cached"] for p in predictions)

    # same seed, same outputs: the same means and intervals, byte for byte
    assert read_report(run_a)[0]["models"][0]["metrics"] == report["models"][0]["metrics"]

    third = cli("--config", str(config), "--output-dir", str(tmp_path / "c"), "--no-cache")
    (run_c,) = list((tmp_path / "c").iterdir())
    report, _ = read_report(run_c)
    assert third.returncode == 0 and report["models"][0]["timing"]["cached_items"] == 0
    assert _outputs(run_c) == _outputs(run_a)


def _many_questions(n: int) -> dict:
    questions = [{"id": f"q{i}", "question": f"What happened in part {i}?", "answers": ["talks"]} for i in range(n)]
    return {"articles": [{"id": "a", "text": "Seoul and Tokyo will hold talks in Singapore in June.", "questions": questions}]}


def _rows(cache_file) -> int:
    try:
        with sqlite3.connect(cache_file, timeout=1) as db:
            return db.execute("SELECT count(*) FROM generations").fetchone()[0]
    except sqlite3.Error:
        return 0


def _start(config, tmp_path, out):
    # a real process: the tests kill it (kill -9) or press Ctrl-C (SIGINT) in it
    env = {**os.environ, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "--config", str(config), "--output-dir", str(tmp_path / out)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_rows(cache_file, process, at_least=2, timeout=120):
    deadline = time.monotonic() + timeout
    while _rows(cache_file) < at_least:
        assert process.poll() is None, "the run finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_killed_run_resumes_without_redoing_anything(tiny_models, tmp_path, monkeypatch):
    n = 30
    config = write_run(tmp_path, [hf("tiny", tiny_models["causal"], batch_size=1, prefix_reuse=False)], _many_questions(n),
                       tasks={"qa": {"prompt": "{article} Q: {question} A:", "max_new_tokens": 16}})
    cache_file = tmp_path / "cache" / "generations.sqlite"
    process = _start(config, tmp_path, "killed")
    _wait_for_rows(cache_file, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = _rows(cache_file)
    assert 0 < done_before < n

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    # a real process, as a user's next run: a fresh interpreter resumes from the cache the kill -9 left
    resumed = run_cli("--config", str(config), "--output-dir", str(tmp_path / "resumed"))
    assert resumed.returncode == 0, resumed.stderr
    (run_dir,) = list((tmp_path / "resumed").iterdir())
    report, _ = read_report(run_dir)
    assert report["models"][0]["timing"]["cached_items"] == done_before  # nothing finished is redone
    fresh = cli("--config", str(config), "--output-dir", str(tmp_path / "fresh"), "--no-cache")  # reads no cache: in process
    (fresh_dir,) = list((tmp_path / "fresh").iterdir())
    assert fresh.returncode == 0 and _outputs(fresh_dir) == _outputs(run_dir)  # nothing lost


def test_ctrl_c_writes_a_report_marked_incomplete(tiny_models, tmp_path):
    config = write_run(
        tmp_path,
        [{"name": "lead-1", "backend": "lead", "k": 1}, hf("tiny", tiny_models["causal"], batch_size=1, prefix_reuse=False)],
        _many_questions(60),
        tasks={"qa": {"prompt": "{article} Q: {question} A:", "max_new_tokens": 24}},
    )
    process = _start(config, tmp_path, "interrupted")
    _wait_for_rows(tmp_path / "cache" / "generations.sqlite", process, at_least=3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    (run_dir,) = list((tmp_path / "interrupted").iterdir())
    report, _ = read_report(run_dir)
    assert report["provenance"]["complete"] is False
    assert [m["name"] for m in report["models"]] == ["lead-1"]  # the finished model is kept


def test_changing_only_scoring_rescores_from_the_cache(tiny_models, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    config = write_run(tmp_path, [hf("tiny", tiny_models["causal"])])
    assert cli("--config", str(config), "--output-dir", str(tmp_path / "a")).returncode == 0
    rescored = write_run(tmp_path, [hf("tiny", tiny_models["causal"])], scoring={"rouge_types": ["rouge2"], "use_stemmer": False})
    result = cli("--config", str(rescored), "--output-dir", str(tmp_path / "b"))
    (run_b,) = list((tmp_path / "b").iterdir())
    report, _ = read_report(run_b)
    assert result.returncode == 0 and report["models"][0]["timing"]["cached_items"] == 5
    assert list(report["models"][0]["metrics"]["summary"]) == ["rouge2", "fact_recall"]


def test_a_template_that_prevents_prefix_reuse_is_warned_about(tiny_models, tmp_path):
    config = write_run(tmp_path, [hf("tiny", tiny_models["causal"])], tasks={"qa": {"prompt": "Q: {question}\n{article}\nA:", "max_new_tokens": 4}})
    result = cli("--config", str(config))
    assert result.returncode == 0
    assert "the qa prompt puts {question} before {article}" in result.stderr
