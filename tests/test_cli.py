"""The CLI end to end on the tiny models: in this process (cli.main, output captured), and once
through a real `python -m harness` process so the entry point stays covered."""

import json
import re

import pytest
import yaml

from harness.cli import build_compare_parser, build_parser, build_report_parser, build_rescore_parser, build_score_parser

from conftest import ROOT
from helpers import EVAL_SET, cli, hf, only_run_dir, read_report, run_cli, write_run


@pytest.fixture(scope="module")
def finished_run(tiny_models, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as patch:  # its own generation cache: every model really runs
        patch.setenv("HARNESS_CACHE_DIR", str(tmp / "cache"))
        return _finished_run(tiny_models, tmp)


def _finished_run(tiny_models, tmp):
    config = write_run(
        tmp,
        [hf("tiny-llama", tiny_models["causal"], batch_size=2), hf("tiny-t5", tiny_models["t5"]), {"name": "lead-2", "backend": "lead", "k": 2}],
        tasks={"summary": {"prompt": "Summarize: {article}", "max_new_tokens": 8}, "qa": {"prompt": "{article} Q: {question} A:", "max_new_tokens": 4}},
    )
    result = cli("--config", str(config))
    return result, only_run_dir(tmp / "runs")


def test_run_writes_the_three_reports(finished_run):
    result, run_dir = finished_run
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in run_dir.iterdir()) == ["predictions.jsonl", "report.html", "report.json", "report.md"]
    report, predictions = read_report(run_dir)
    assert report["schema_version"] == "1.0"
    prov = report["provenance"]
    for key in ("harness_version", "git", "python", "packages", "config_sha256", "seed", "started_at", "finished_at"):
        assert prov[key] is not None, key
    assert prov["complete"] is True
    assert {"torch", "transformers", "rouge-score"} <= set(prov["packages"])
    models = {m["name"]: m for m in report["models"]}
    assert list(models) == ["tiny-llama", "tiny-t5", "lead-2"]
    for name in ("tiny-llama", "tiny-t5"):
        m = models[name]
        assert m["status"] == "ok" and m["error"] is None
        assert m["metrics"]["summary"]["rougeLsum"]["n"] == 2
        assert m["metrics"]["qa"]["exact_match"]["n"] == 3
        assert set(m["metrics"]["qa"]) == {"exact_match", "f1", "contains"}
        assert m["timing"]["load_seconds"] >= 0 and m["timing"]["new_tokens"] > 0
        assert len(m["source"]["sha256"]) == 64
        ci = m["metrics"]["qa"]["f1"]["ci95"]
        assert ci[0] <= m["metrics"]["qa"]["f1"]["mean"] <= ci[1]
        assert sum(m["qa_verdicts"].values()) == pytest.approx(1.0)
        assert set(m["per_article"]["qa"]) == {"a1", "a2"} and m["per_article"]["qa"]["a1"]["f1"]["n"] == 2
        assert m["summary_statistics"]["words"]["n"] == 2
    lead = models["lead-2"]
    assert lead["metrics"]["qa"] is None  # not applicable, never zero
    assert lead["qa_verdicts"] is None
    pairs = {(p["a"], p["b"], p["task"], p["metric"]) for p in report["pairwise"]}
    assert ("tiny-llama", "tiny-t5", "qa", "f1") in pairs and ("tiny-llama", "lead-2", "summary", "rouge1") in pairs
    assert ("tiny-llama", "lead-2", "qa", "f1") not in pairs  # lead answers nothing: no shared qa items
    # lead copies the article: nothing novel, full coverage
    assert lead["summary_statistics"]["novel_1gram"]["mean"] == 0 and lead["summary_statistics"]["coverage"]["mean"] == 1
    assert lead["metrics"]["summary"]["rouge1"]["mean"] > 0.3
    # one line per (model, article, task item): 2 summaries + 3 questions per HF model, 2 for lead
    assert len(predictions) == 12
    line = next(p for p in predictions if p["model"] == "tiny-llama" and p["task"] == "qa")
    for key in ("article_id", "item_id", "prompt", "raw_output", "output", "scores", "new_tokens", "seconds", "answers"):
        assert key in line, key
    assert line["rendered_prompt"].startswith("<|user|>")
    assert line["trace"]["verdict"] in ("exact", "verbose", "partial", "wrong", "empty")
    assert line["trace"]["normalized_answers"]
    summary = next(p for p in predictions if p["model"] == "lead-2")
    assert summary["stats"]["words"] > 0


def test_lead_summary_is_scored_against_the_references(finished_run):
    _, run_dir = finished_run
    _, predictions = read_report(run_dir)
    lead = next(p for p in predictions if p["model"] == "lead-2" and p["article_id"] == "a1")
    assert lead["output"] == "Seoul and Tokyo will meet in Singapore. The talks resume in June."
    # reference "Seoul and Tokyo meet in Singapore in June." (8 tokens); lead-2 has 12 tokens;
    # unigram overlap: seoul and tokyo meet in singapore june (+ "in" twice in both) = 8 -> F = 16/20
    assert lead["scores"]["rouge1"] == pytest.approx(16 / 20)


def test_markdown_report_and_terminal_table(finished_run):
    result, run_dir = finished_run
    md = (run_dir / "report.md").read_text()
    assert "## Leaderboard" in md and "| tiny-llama | ok |" in md
    assert "## Significant differences between models" in md
    assert "## Answer verdicts" in md and "## Summary statistics" in md and "## Per article" in md
    assert re.search(r"\| lead-2 \| ok \| 0\.\d{4} \[0\.\d{3}, 0\.\d{3}\]", md)  # mean [95% interval]
    assert "| lead-2 | ok |" in md and "n/a" in md
    assert "Seoul and Tokyo meet in Singapore in June." in md  # the reference beside the summaries
    assert "| Where will they meet? | Singapore |" in md
    assert "Results (means)" in result.stdout and "tiny-t5" in result.stdout
    assert str(run_dir) in result.stdout


def test_models_subset_output_dir_and_no_overwrite(tiny_models, tmp_path):
    config = write_run(tmp_path, [hf("tiny", tiny_models["plain"]), {"name": "lead-1", "backend": "lead", "k": 1}])
    out = tmp_path / "elsewhere"
    for _ in range(2):
        result = cli("--config", str(config), "--models", "lead-1", "--output-dir", str(out))
        assert result.returncode == 0, result.stderr
    runs = sorted(out.iterdir())
    assert len(runs) == 2  # a second run never overwrites the first
    report, _ = read_report(runs[1])
    assert [m["name"] for m in report["models"]] == ["lead-1"]
    assert not (tmp_path / "runs").exists()


def test_a_failing_model_is_reported_and_the_others_finish(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "llama"}))  # no weights, no tokenizer
    config = write_run(tmp_path, [hf("broken", broken), {"name": "lead-3", "backend": "lead"}])
    result = cli("--config", str(config))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    broken_entry, lead = report["models"]
    assert broken_entry["status"] == "failed" and broken_entry["error"].startswith("load failed:")
    assert lead["status"] == "ok" and lead["metrics"]["summary"]["rouge1"]["n"] == 2
    assert "broken failed" in result.stdout


def test_a_model_failing_in_generation_is_reported(tiny_models, tmp_path):
    config = write_run(tmp_path, [hf("breaks", tiny_models["breaks-in-generate"]), hf("fine", tiny_models["plain"])])
    result = cli("--config", str(config))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    breaks, fine = report["models"]
    assert breaks["status"] == "failed" and breaks["error"].startswith("generation failed: IndexError")
    assert breaks["metrics"] == {} and fine["status"] == "ok"
    assert {p["model"] for p in predictions} == {"fine"}


def _bad(tmp_path, name):
    """Each case writes a broken config or eval set and returns the CLI arguments."""
    good = [{"name": "lead-3", "backend": "lead"}]
    if name == "missing config":
        return ["--config", str(tmp_path / "nope.yaml")], "config file not found"
    if name == "yaml syntax":
        (tmp_path / "config.yaml").write_text("models: [\n")
        return ["--config", str(tmp_path / "config.yaml")], "YAML syntax error"
    if name == "unknown key":
        return ["--config", str(write_run(tmp_path, good, colour="red"))], "colour: unknown key; allowed keys here:"
    if name == "wrong type":
        return ["--config", str(write_run(tmp_path, good, seed="zero"))], "seed: Input should be a valid integer"
    if name == "missing eval set":
        path = write_run(tmp_path, good)
        (tmp_path / "evalset.yaml").unlink()
        return ["--config", str(path)], "eval-set file not found"
    if name == "duplicate ids":
        data = {"articles": [EVAL_SET["articles"][0], EVAL_SET["articles"][0]]}
        return ["--config", str(write_run(tmp_path, good, data))], "duplicate article id(s) ['a1']"
    if name == "empty article":
        data = {"articles": [{**EVAL_SET["articles"][0], "text": " "}]}
        return ["--config", str(write_run(tmp_path, good, data))], "articles[0].text: the article text is empty"
    if name == "question without answers":
        article = {**EVAL_SET["articles"][0], "questions": [{"id": "q", "question": "?", "answers": []}]}
        return ["--config", str(write_run(tmp_path, good, {"articles": [article]}))], "questions[0].answers: a question needs at least one answer"
    if name == "missing model source":
        return ["--config", str(write_run(tmp_path, [hf("m", tmp_path / "no-model")]))], "models[0].source.path: not found"
    if name == "unknown backend":
        return ["--config", str(write_run(tmp_path, [{"name": "m", "backend": "vllm"}]))], "models[0].backend: unknown backend 'vllm' (available: hf, lead, openai); a model served by vllm is `backend: openai`"
    if name == "unknown --models":
        return ["--config", str(write_run(tmp_path, good)), "--models", "gpt9"], "--models: unknown model(s) gpt9; the config has: lead-3"
    raise AssertionError(name)


CASES = ["missing config", "yaml syntax", "unknown key", "wrong type", "missing eval set", "duplicate ids",
         "empty article", "question without answers", "missing model source", "unknown backend", "unknown --models"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, case):
    args, expected = _bad(tmp_path, case)
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "runs").exists()


def test_the_real_entry_point_gives_what_main_gives(tmp_path):
    # real processes: `python -m harness` (harness/__main__.py and its exit status) is what users run
    runs = {"version": ["--version"], "bad config": ["--config", str(tmp_path / "nope.yaml")]}
    real = {name: run_cli(*args) for name, args in runs.items()}
    assert real["version"].returncode == 0 and real["version"].stdout.startswith("harness ")
    assert real["bad config"].returncode == 2 and real["bad config"].stderr.startswith("Error: ")
    assert "config file not found" in real["bad config"].stderr
    for name, args in runs.items():  # the in-process runner the other tests use sees the same
        same = cli(*args)
        assert (same.returncode, same.stdout, same.stderr) == (real[name].returncode, real[name].stdout, real[name].stderr), name


def test_bad_usage_exits_2():
    assert cli().returncode == 2
    assert cli("--config", "x", "--bogus").returncode == 2


@pytest.mark.parametrize("command, parser", [(None, build_parser), ("rescore", build_rescore_parser), ("compare", build_compare_parser), ("report", build_report_parser), ("score", build_score_parser)])
def test_help_and_readme_document_every_option(command, parser):
    help_text = cli(*([command] if command else []), "--help").stdout
    readme = (ROOT / "README.md").read_text()
    if command:
        assert f"python -m harness {command}" in readme and command in cli("--help").stdout
    for action in parser()._actions:
        for option in action.option_strings:
            if option.startswith("--"):
                assert option in help_text, option
                assert option in readme, f"README does not document {option}"
    if not command:
        for code in ("0", "1", "2"):
            assert re.search(rf"\b{code}\b", help_text)


def test_rescore_scores_stored_outputs_into_a_new_folder(finished_run, tmp_path):
    _, run_dir = finished_run
    changed = yaml.safe_load((run_dir.parent.parent / "config.yaml").read_text())
    changed["scoring"] = {"rouge_types": ["rouge1"], "use_stemmer": False}
    (run_dir.parent.parent / "rescore.yaml").write_text(yaml.safe_dump(changed))
    result = cli("rescore", str(run_dir), "--config", str(run_dir.parent.parent / "rescore.yaml"), "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    (new_dir,) = list(tmp_path.iterdir())
    before, before_predictions = read_report(run_dir)
    after, after_predictions = read_report(new_dir)
    assert [p["raw_output"] for p in after_predictions] == [p["raw_output"] for p in before_predictions]
    assert set(after["models"][0]["metrics"]["summary"]) == {"rouge1", "fact_recall"}  # fact_recall has no options: always on
    assert after["models"][0]["metrics"]["qa"] == before["models"][0]["metrics"]["qa"]
    assert after["models"][2]["metrics"]["qa"] is None
    assert after["provenance"]["rescored_from"] == str(run_dir)
    # the same options as the run give the same numbers
    again = cli("rescore", str(run_dir), "--output-dir", str(tmp_path / "same"))
    (same_dir,) = list((tmp_path / "same").iterdir())
    assert again.returncode == 0 and read_report(same_dir)[0]["models"] == before["models"]


def test_rescore_of_a_folder_without_a_run(tmp_path):
    result = cli("rescore", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith(f"Error: {tmp_path}: no report.json here")


def test_report_rebuilds_the_readable_reports_without_a_model(finished_run, tmp_path):
    import shutil

    _, run_dir = finished_run
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    originals = {name: (copy / name).read_text() for name in ("report.md", "report.html")}
    for name in originals:
        (copy / name).write_text("stale")
    result = cli("report", str(copy))
    assert result.returncode == 0, result.stderr
    for name, original in originals.items():
        assert (copy / name).read_text() == original, name
    assert "Rebuilt:" in result.stdout
