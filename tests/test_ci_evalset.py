"""The CI gate's eval set, config and baseline: references/ci-squad.yaml is what
tools/make_ci_squad.py makes, validates and has the documented counts; configs/ci.yaml runs the
default config's models and prompts on it; and on the committed baselines/ci every max_drop gate's
minimum detectable effect is below its max_drop (the issue's "done when")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.config import load_config
from harness.evalset import describe_eval_set, load_eval_set, same_eval_set
from harness.metrics.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
EVAL_SET = ROOT / "references" / "ci-squad.yaml"
SUMMARIES = ROOT / "references" / "ci-squad-summaries.yaml"
CONFIG = ROOT / "configs" / "ci.yaml"
BASELINE = ROOT / "baselines" / "ci"

# The counts the README and the file's header state.
PARAGRAPHS, QUESTIONS, SUMMARIZED = 54, 254, 30


def test_the_eval_set_validates_and_has_the_documented_counts():
    articles = load_eval_set(EVAL_SET)
    assert len(articles) == PARAGRAPHS
    assert sum(len(a.questions) for a in articles) == QUESTIONS
    summarized = [a for a in articles if a.references]
    assert len(summarized) == SUMMARIZED
    # the summarized paragraphs are the first of the seeded sample, not picked by hand
    assert [a.id for a in articles[:SUMMARIZED]] == [a.id for a in summarized]
    assert all(a.questions for a in articles)  # every paragraph keeps its questions
    header = EVAL_SET.read_text(encoding="utf-8").split("\narticles:", 1)[0]
    assert f"{PARAGRAPHS} paragraphs" in header and f"{QUESTIONS} of their questions" in header and f"{SUMMARIZED} of them" in header
    assert "CC BY-SA 4.0" in header and "AI" in header and "tools/make_ci_squad.py" in header


def test_every_reference_summary_is_one_to_three_sentences_of_its_own_paragraph():
    for article in load_eval_set(EVAL_SET):
        for reference in article.references:
            sentences = split_sentences(reference.text)
            assert 1 <= len(sentences) <= 3, (article.id, sentences)
            assert len(reference.text.split()) < len(article.text.split()), article.id  # a summary, not a copy
    written = yaml.safe_load(SUMMARIES.read_text(encoding="utf-8"))["summaries"]
    assert len(written) >= SUMMARIZED and "AI agent" in SUMMARIES.read_text(encoding="utf-8")


def test_the_committed_eval_set_is_the_scripts_output():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_ci_squad.py"), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ci_config_runs_the_default_configs_models_and_prompts_on_the_ci_set():
    ci, default = (yaml.safe_load(path.read_text(encoding="utf-8")) for path in (CONFIG, ROOT / "configs" / "default.yaml"))
    for key in ("tasks", "scoring", "models", "seed"):
        assert ci.get(key) == default.get(key), f"configs/ci.yaml `{key}:` differs from configs/default.yaml; copy it and rebuild baselines/ci"
    config = load_config(CONFIG)
    assert Path(config.eval_set).resolve() == EVAL_SET
    assert {key: (gate.max_drop, gate.require_significance) for key, gate in config.gates.items()} == {
        "summary.rougeLsum": (0.15, True), "qa.f1": (0.10, True), "qa.contains": (0.15, True)}


def test_the_baseline_is_a_run_of_this_config_on_this_eval_set():
    report = json.loads((BASELINE / "report.json").read_text(encoding="utf-8"))
    assert same_eval_set(report["eval_set"], describe_eval_set(EVAL_SET, load_eval_set(EVAL_SET))), "rebuild baselines/ci: the eval set changed"
    assert [m["name"] for m in report["models"]] == [m.name for m in load_config(CONFIG).models]
    assert all(m["status"] == "ok" for m in report["models"])
    assert all(m["timing"]["cached_items"] == 0 for m in report["models"]), "baselines/ci must be generated, not read from a cache (--no-cache)"


@pytest.fixture(scope="module")
def self_comparison():
    """The baseline compared with itself under configs/ci.yaml's gates: the MDE of each gate."""
    from harness.compare import compare, load_side, model_pairs

    side = load_side(BASELINE)
    return compare(side, side, model_pairs(side, side, []), dict(load_config(CONFIG).gates))


def test_every_gate_can_see_a_drop_of_its_max_drop_on_the_baseline(self_comparison):
    drops = [g for g in self_comparison.gates if g.kind == "max_drop"]
    # summary.rougeLsum for all three models, qa.f1 and qa.contains for the two that answer
    assert len(drops) == 3 + 2 + 2 and self_comparison.passed
    for gate in drops:
        assert gate.mde is not None and 0 < gate.mde < gate.threshold, f"{gate.gate} ({gate.candidate_model}): MDE {gate.mde} >= max_drop {gate.threshold}"
        assert gate.warning is None
        assert gate.n == (SUMMARIZED if gate.gate.startswith("summary.") else QUESTIONS)


def test_the_baseline_passes_the_pre_flight_of_the_ci_config(tmp_path):
    # what `.ci/eval-against-baseline` asks first: comparable signatures and the same eval set
    from harness.runner import prepare

    plan = prepare(CONFIG, output_dir=tmp_path, use_cache=False, baseline=BASELINE)
    assert [m.name for m in plan.models] == ["smollm2-135m-instruct", "gemma-3-270m", "lead-3"]


def _regressed(tmp_path, model: str, drop: float) -> Path:
    """baselines/ci with `model`'s answers turned wrong (f1, contains, exact match 0) on the right
    questions, in a seeded order, until its mean F1 is `drop` lower: a regression of known size."""
    import random

    folder = tmp_path / f"regressed-{drop}"
    folder.mkdir()
    (folder / "report.json").write_text((BASELINE / "report.json").read_text(encoding="utf-8"), encoding="utf-8")
    lines = [json.loads(line) for line in (BASELINE / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    answers = [line for line in lines if line["model"] == model and line["task"] == "qa"]
    right = [line for line in answers if line["scores"]["f1"] > 0]
    random.Random(0).shuffle(right)
    lost = 0.0
    for line in right:
        if lost >= drop * len(answers):
            break
        lost += line["scores"]["f1"]
        line["scores"].update(f1=0.0, contains=0.0, exact_match=0.0)
    (folder / "predictions.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return folder


def test_a_drop_of_more_than_max_drop_fails_the_gate_and_half_of_it_passes(tmp_path, capsys):
    from harness import cli

    for drop, code in ((0.12, 1), (0.05, 0)):
        candidate = _regressed(tmp_path, "gemma-3-270m", drop)
        assert cli.main(["compare", str(BASELINE), str(candidate), "--config", str(CONFIG), "--json", str(tmp_path / "c.json")]) == code
        gates = {(g["gate"], g["candidate_model"]): g for g in json.loads((tmp_path / "c.json").read_text())["gates"]}
        f1 = gates[("qa.f1", "gemma-3-270m")]
        assert f1["passed"] is (code == 0) and f1["warning"] is None, f1["detail"]
        assert gates[("qa.f1", "smollm2-135m-instruct")]["passed"]
    capsys.readouterr()
