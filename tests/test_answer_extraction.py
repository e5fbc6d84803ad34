"""Answer extraction (tasks.qa.postprocess: regex, max_words, strip_trailing_punctuation) through
the config, the CLI, the generation cache and rescore, and the committed baseline unchanged.

A backend with canned answers (registered at run time, as README "Adding a backend" shows) makes
every raw output known, so each extracted answer and step below is worked out by hand."""

import json
import re

import pytest
import yaml

from harness.config import load_config
from harness.errors import HarnessError
from harness.postprocess import clean_answer, extract_answer
from harness.task_config import DEFAULT_QA

from conftest import ROOT
from helpers import cli, only_run_dir, read_report, register_backend_module, write_run

CANNED_MODULE = '''
"""A backend that answers from a table: {"article/question": raw output}."""
from typing import Literal

from harness.backends.efficiency import Efficiency
from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.records import Generation


class CannedModel(ModelConfigBase):
    backend: Literal["canned"]
    answers: dict[str, str] = {}


class CannedBackend:
    tasks = frozenset({"summary", "qa"})
    load_seconds = 0.0

    def __init__(self, config, seed):
        self.identity = {"backend": "canned", "answers": dict(config.answers)}
        self.source_info, self.efficiency = {"canned": True}, Efficiency()

    def generate(self, requests, on_batch):
        answers = self.identity["answers"]
        out = [Generation(r, answers.get(f"{r.article_id}/{r.item_id}", "Seoul and Tokyo meet."), 1, 0.0) for r in requests]
        on_batch(out)
        return out

    def close(self):
        pass


PLUGIN = BackendPlugin("canned", CannedModel, load=CannedBackend)
'''

RAW = {
    "a1/q1": "A: They meet in Singapore, in June.\nQuestion: When?",
    "a1/q2": "The talks resume in June.",
    "a2/q1": "Seoul hosts it.",
}
MODEL = {"name": "canned", "backend": "canned", "answers": RAW}
RULES = {"regex": "(?:in|at) (?P<answer>.+)", "max_words": 1, "strip_trailing_punctuation": True}

# worked out by hand from RAW and RULES (first_line and strip_prefixes keep their defaults)
EXPECTED = {
    "a1/q1": ("Singapore", [
        {"step": "first_line", "before": RAW["a1/q1"], "after": "A: They meet in Singapore, in June."},
        {"step": "strip_prefixes", "before": "A: They meet in Singapore, in June.", "after": "They meet in Singapore, in June."},
        {"step": "regex", "before": "They meet in Singapore, in June.", "after": "Singapore, in June.", "matched": True},
        {"step": "max_words", "before": "Singapore, in June.", "after": "Singapore,"},
        {"step": "strip_trailing_punctuation", "before": "Singapore,", "after": "Singapore"},
    ]),
    "a1/q2": ("June", [
        {"step": "regex", "before": "The talks resume in June.", "after": "June.", "matched": True},
        {"step": "strip_trailing_punctuation", "before": "June.", "after": "June"},
    ]),
    "a2/q1": ("", [{"step": "regex", "before": "Seoul hosts it.", "after": "", "matched": False}]),
}


@pytest.fixture
def canned(tmp_path, monkeypatch):
    yield from register_backend_module(tmp_path, monkeypatch, "canned", CANNED_MODULE)


def _config(tmp_path, postprocess: dict | None, name: str = "config.yaml"):
    qa = {"prompt": DEFAULT_QA.prompt, "max_new_tokens": 24}
    if postprocess is not None:
        qa["postprocess"] = postprocess
    path = write_run(tmp_path, [MODEL], tasks={"qa": qa})
    return path.rename(tmp_path / name)


def _answers(run_dir) -> dict[str, tuple[str, list]]:
    _, predictions = read_report(run_dir)
    return {f"{p['article_id']}/{p['item_id']}": (p["output"], p["trace"]["extraction"]) for p in predictions if p["task"] == "qa"}


def test_the_steps_reach_predictions_report_md_and_report_html(canned, tmp_path):
    config = _config(tmp_path, RULES)
    result = cli("--config", config, "--output-dir", tmp_path / "runs", "--no-cache")
    assert result.returncode == 0, result.stderr
    run_dir = only_run_dir(tmp_path / "runs")
    assert _answers(run_dir) == EXPECTED
    report, predictions = read_report(run_dir)
    assert report["config"]["tasks"]["qa"]["postprocess"] == {"first_line": True, "strip_prefixes": ["Answer:", "A:"], **RULES}
    (model,) = report["models"]
    assert model["metrics"]["qa"]["exact_match"]["mean"] == pytest.approx(2 / 3)  # Singapore and June right; nothing for Seoul
    verdicts = {p["item_id"] + "@" + p["article_id"]: p["trace"]["verdict"] for p in predictions if p["task"] == "qa"}
    assert verdicts == {"q1@a1": "exact", "q2@a1": "exact", "q1@a2": "empty"}
    assert "extraction" not in next(p for p in predictions if p["task"] == "summary")["trace"]

    markdown = (run_dir / "report.md").read_text()
    section = markdown[markdown.index("### Answer extraction"):]
    assert "| q1 | canned | first_line | A: They meet in Singapore, in June. ↵ Question: When? | A: They meet in Singapore, in June. |" in section
    assert "| q1 | canned | strip_trailing_punctuation | Singapore, | Singapore |" in section
    assert "| q1 | canned | regex (no match: scored as empty) | Seoul hosts it. |   |" in section
    assert markdown.count("### Answer extraction") == 2  # one per article

    html = (run_dir / "report.html").read_text()
    assert "<li>max_words: <code>Singapore, in June.</code> → <code>Singapore,</code></li>" in html
    assert "<li>regex (no match: scored as empty): <code>Seoul hosts it.</code> → <code></code></li>" in html

    # `report` rebuilds both from predictions.jsonl, steps included
    before = _shown_steps(run_dir)
    assert cli("report", run_dir).returncode == 0
    assert _shown_steps(run_dir) == before and len(before[1]) == 3  # 3 answers, each with steps


def _shown_steps(run_dir) -> tuple[list[str], list[str]]:
    """The answer-extraction parts of report.md (its sections) and report.html (its step lists)."""
    markdown = (run_dir / "report.md").read_text().split("### ")
    html = (run_dir / "report.html").read_text()
    return [part for part in markdown if part.startswith("Answer extraction")], re.findall(r'<ol class="steps">.*?</ol>', html, flags=re.S)


def test_new_rules_reuse_the_cached_generations_and_rescore_applies_them(canned, tmp_path, cache_dir):
    plain, extracting = _config(tmp_path, None, "plain.yaml"), _config(tmp_path, RULES, "extract.yaml")
    assert cli("--config", plain, "--output-dir", tmp_path / "plain").returncode == 0
    result = cli("--config", extracting, "--output-dir", tmp_path / "extract")
    assert result.returncode == 0, result.stderr
    plain_dir, extract_dir = only_run_dir(tmp_path / "plain"), only_run_dir(tmp_path / "extract")
    report, _ = read_report(extract_dir)
    assert report["models"][0]["timing"]["cached_items"] == 5  # 3 answers and 2 summaries: nothing generated again
    assert _answers(extract_dir) == EXPECTED
    # the defaults alone: first line, no prefix, nothing else
    assert {key: output for key, (output, _) in _answers(plain_dir).items()} == {
        "a1/q1": "They meet in Singapore, in June.", "a1/q2": "The talks resume in June.", "a2/q1": "Seoul hosts it."}

    # rescore with the extracting config turns the plain run's outputs into the extracting run's answers ...
    assert cli("rescore", plain_dir, "--config", extracting, "--output-dir", tmp_path / "rescored").returncode == 0
    rescored = only_run_dir(tmp_path / "rescored")
    assert _answers(rescored) == EXPECTED
    assert read_report(rescored)[0]["models"][0]["metrics"] == report["models"][0]["metrics"]
    # ... and a rescore with the run's own config reads its rules back from report.json
    assert cli("rescore", extract_dir, "--output-dir", tmp_path / "again").returncode == 0
    assert _answers(only_run_dir(tmp_path / "again")) == EXPECTED


@pytest.mark.parametrize(
    "where, postprocess, expected",
    [
        ("run", {"regex": "(19|20)\\d\\d"}, "tasks.qa.postprocess.regex: the pattern has capturing groups but none named 'answer'; "
                                            "name the part to keep (?P<answer>...) or make the groups non-capturing (?:...)"),
        ("run", {"regex": "[0-9"}, "tasks.qa.postprocess.regex: not a valid regular expression (unterminated character set at position 0)"),
        ("run", {"max_words": 0}, "tasks.qa.postprocess.max_words: must be a whole number from 1 to 32768; got 0"),
        ("model", {"regex": "*"}, "models[0].tasks.qa.postprocess.regex: not a valid regular expression (nothing to repeat at position 0)"),
        ("run", {"regex": "x", "colour": 1}, "tasks.qa.postprocess.colour: unknown key; allowed keys here: first_line, strip_prefixes, regex, "
                                             "max_words, strip_trailing_punctuation"),
    ],
)
def test_bad_rules_are_one_line_config_errors_naming_the_key(tmp_path, where, postprocess, expected):
    qa = {"prompt": DEFAULT_QA.prompt, "max_new_tokens": 24, "postprocess": postprocess}
    model = {"name": "m", "backend": "hf", "source": {"hub": "org/model"}}
    if where == "model":
        path = write_run(tmp_path, [{**model, "tasks": {"qa": qa}}])
    else:
        path = write_run(tmp_path, [model], tasks={"qa": qa})
    with pytest.raises(HarnessError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)
    assert "\n" not in str(info.value)
    result = cli("--config", path)
    assert result.returncode == 2 and result.stderr.startswith(f"Error: {path}: {expected}")


def test_the_default_config_gives_the_baselines_answers_again():
    """The committed baseline's raw outputs, post-processed by today's code with configs/default.yaml,
    are the answers it scored, character for character (its scores follow from them)."""
    config = load_config(ROOT / "configs" / "default.yaml")
    models = {m.name: m for m in config.models}
    lines = [json.loads(line) for line in (ROOT / "baselines" / "default" / "predictions.jsonl").read_text().splitlines()]
    answers = [line for line in lines if line["task"] == "qa"]
    assert len(answers) == 30  # 15 questions × the two language models (Lead-3 answers none)
    for line in answers:
        rules = config.qa_postprocess(models[line["model"]])
        assert clean_answer(line["raw_output"], rules) == line["output"], line["item_id"]
    # and the steps say what changed: two of Gemma's answers (the only raw outputs with a line break
    # inside) lost the lines after their first; no answer began with a prefix
    steps = {(line["model"], line["item_id"]): extract_answer(line["raw_output"], config.qa_postprocess(models[line["model"]]))[1] for line in answers}
    assert {key: [s["step"] for s in value] for key, value in steps.items() if value} == {
        ("gemma-3-270m", "control-transfer"): ["first_line"], ("gemma-3-270m", "author"): ["first_line"]}


def test_the_shipped_default_config_keeps_the_new_rules_off():
    rules = load_config(ROOT / "configs" / "default.yaml").tasks.qa.postprocess
    assert (rules.regex, rules.max_words, rules.strip_trailing_punctuation) == (None, None, False)
    assert yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())["tasks"]["qa"]["postprocess"] == {
        "first_line": True, "strip_prefixes": ["Answer:", "A:"]}
