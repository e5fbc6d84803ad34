"""A metric that lives outside the package, found through its entry point: one file plus a
registration, and it shows up in report.json, report.md, report.html, gates and compare."""

import json
import sys

import pytest

from harness.cli import main

from helpers import EVAL_SET, install_fake_distribution, write_run

TOY_METRIC = '''
"""A toy metric: 1 when a summary has at most 12 words, else 0 (higher is better)."""
from harness.scorers.plugin import ScorerPlugin


def _score(output, article, item_id, scoring):
    words = len(output.split())
    return {"short_enough": float(words <= 12)}, {"words": words}


SCORER = ScorerPlugin("brevity", "summary", metrics=lambda scoring: ("short_enough",),
                      signature=lambda scoring: "brevity:max-words=12", score=_score,
                      description=lambda scoring: "1 when the summary has at most 12 words")
'''


@pytest.fixture
def toy_metric(tmp_path, monkeypatch):
    site = tmp_path / "site"
    install_fake_distribution(site, "toy_metric", TOY_METRIC, "harness.scorers", "brevity = toy_metric:SCORER")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("toy_metric", None)


def test_a_metric_from_another_package_is_in_every_report_and_can_be_gated(toy_metric, tmp_path, capsys):
    models = [{"name": "lead-1", "backend": "lead", "k": 1}, {"name": "lead-3", "backend": "lead", "k": 3}]
    config = write_run(tmp_path, models, EVAL_SET, gates={"summary.short_enough": {"min": 0.5}})
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["scoring"]["metrics"]["summary"][-1] == "short_enough"
    assert report["scoring"]["signature"]["brevity"].startswith("brevity:max-words=12|ci=")
    lead1 = report["models"][0]
    assert lead1["metrics"]["summary"]["short_enough"]["n"] == 2  # both articles' lead sentence is short
    assert lead1["metrics"]["summary"]["short_enough"]["mean"] == 1.0
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    summary = next(p for p in predictions if p["task"] == "summary")
    assert "short_enough" in summary["scores"] and "words" in summary["trace"]
    markdown = (run_dir / "report.md").read_text()
    assert "summary.short_enough" in markdown  # a leaderboard column
    assert "| model | summary | rouge1 | rouge2 | rougeL | rougeLsum | fact_recall | short_enough |" in markdown  # and a column of each article's table
    assert "short_enough" in (run_dir / "report.html").read_text()
    capsys.readouterr()
    # compare gates on it like on any built-in metric
    code = main(["compare", str(run_dir), str(run_dir), "--pair", "lead-1:lead-3", "--gate", "summary.short_enough:min=0.9"])
    out = capsys.readouterr().out
    assert code == 1 and "summary.short_enough" in out


TOY_METRIC_WITH_OPTIONS = '''
"""The toy metric with its own setting: `scoring: {brevity: {max_words: N}}`."""
from harness.scorers.plugin import ScorerPlugin
from harness.strict import Strict


class Brevity(Strict):
    max_words: int = 12


def _score(output, article, item_id, scoring):
    return {"short_enough": float(len(output.split()) <= scoring.brevity.max_words)}, {}


SCORER = ScorerPlugin("brevity", "summary", metrics=lambda scoring: ("short_enough",),
                      signature=lambda scoring: f"brevity:max-words={scoring.brevity.max_words}", score=_score, options=Brevity)
'''


def test_a_metric_brings_its_own_settings_under_scoring(tmp_path, capsys, monkeypatch):
    install_fake_distribution(tmp_path / "site", "toy_metric_options", TOY_METRIC_WITH_OPTIONS, "harness.scorers",
                              "brevity = toy_metric_options:SCORER")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    try:
        means = {}
        for max_words in (12, 3):
            config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}], EVAL_SET, scoring={"brevity": {"max_words": max_words}})
            out = tmp_path / f"runs-{max_words}"
            assert main(["--config", str(config), "--output-dir", str(out), "--no-cache"]) == 0, capsys.readouterr().err
            (run_dir,) = out.iterdir()
            report = json.loads((run_dir / "report.json").read_text())
            means[max_words] = report["models"][0]["metrics"]["summary"]["short_enough"]["mean"]
            assert report["scoring"]["signature"]["brevity"].startswith(f"brevity:max-words={max_words}|")
            assert report["config"]["scoring"]["brevity"] == {"max_words": max_words}
            assert main(["rescore", str(run_dir), "--output-dir", str(tmp_path / f"rescored-{max_words}")]) == 0
        assert means == {12: 1.0, 3: 0.0}  # the two lead sentences have 7 and 9 words
        config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead"}], EVAL_SET, scoring={"brevity": {"max_wrods": 3}})
        capsys.readouterr()
        assert main(["--config", str(config)]) == 2
        assert "scoring.brevity.max_wrods: unknown key; allowed keys here: max_words" in capsys.readouterr().err
    finally:
        sys.modules.pop("toy_metric_options", None)


def test_without_the_plugin_a_gate_on_its_metric_is_refused(tmp_path, capsys):
    config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}], EVAL_SET, gates={"summary.short_enough": {"min": 0.5}})
    assert main(["--config", str(config)]) == 2
    assert "summary has no metric 'short_enough'" in capsys.readouterr().err
