"""A whole run on Ray equals the same run in this process: same outputs, same scores."""

import pytest

from helpers import hf, read_report, run_cli, write_run

pytest.importorskip("ray")


def _strip(report):
    """The parts of a report that must not depend on where the generation ran."""
    return [{k: m[k] for k in ("name", "status", "metrics", "per_article", "qa_verdicts", "summary_statistics")} for m in report["models"]]


def test_report_of_a_ray_run_equals_a_local_run(tiny_models, tmp_path, monkeypatch):
    models = [hf("tiny", tiny_models["causal"], batch_size=2), {"name": "lead-2", "backend": "lead", "k": 2}]
    (tmp_path / "local").mkdir()
    (tmp_path / "ray").mkdir()
    local = write_run(tmp_path / "local", models)
    ray = write_run(tmp_path / "ray", models, executor={"ray": {"num_workers": 2, "cpus_per_worker": 1, "shard_size": 2}})
    results = {}
    for name, config in (("local", local), ("ray", ray)):
        monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / name / "cache"))  # both really generate
        result = run_cli("--config", str(config))
        assert result.returncode == 0, result.stderr[-3000:]
        (run_dir,) = list((tmp_path / name / "runs").iterdir())
        results[name] = read_report(run_dir)
    (local_report, local_predictions), (ray_report, ray_predictions) = results["local"], results["ray"]
    assert _strip(ray_report) == _strip(local_report)
    key = lambda p: (p["model"], p["article_id"], p["item_id"])  # noqa: E731
    assert sorted((key(p), p["raw_output"], p["new_tokens"], p["scores"]) for p in ray_predictions) == sorted(
        (key(p), p["raw_output"], p["new_tokens"], p["scores"]) for p in local_predictions
    )


def test_a_ray_run_checks_the_context_window_too(tiny_models, tmp_path, monkeypatch):
    from conftest import ARTICLE, build_causal

    short = build_causal(tmp_path / "tiny-256", max_positions=256)
    text = " ".join(ARTICLE.read_text(encoding="utf-8").split()[:300])
    eval_set = {"articles": [{"id": "long", "text": text, "questions": [{"id": "q1", "question": "Who met?", "answers": ["Seoul"]}]}]}
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    executor = {"ray": {"num_workers": 1, "cpus_per_worker": 1}}
    config = write_run(tmp_path, [hf("tiny", short)], eval_set, executor=executor)
    result = run_cli("--config", str(config))
    assert result.returncode == 1
    (run_dir,) = list((tmp_path / "runs").iterdir())
    report, _ = read_report(run_dir)
    assert "context window check failed: HarnessError: model tiny: 1 prompt(s) do not fit its context window of 256 tokens" in report["models"][0]["error"]
