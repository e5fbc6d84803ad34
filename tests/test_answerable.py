"""scoring.answerable_from_summary end to end: a tiny reader answers the questions from Lead-1's
summaries (known text), scored against the gold answers beside its full-article score.

The reader is a random tiny model, so its answers cannot be predicted: the tests check where the
answers came from (the prompts hold the summary and none of the article's other sentences), that
every stored answer is scored by the SQuAD rules (metrics/qa.py applied here to the stored output),
that the means and the upper bound are the means of those stored scores, and that a re-run
generates nothing."""


import pytest

from harness.metrics.qa import exact_match, token_f1

from helpers import cli, hf, only_run_dir, read_report, register_backend_module, write_run

QA_PROMPT = "Context: {article}\nQ: {question}\nA:"
LEAD_1 = {"a1": "Seoul and Tokyo will meet in Singapore.", "a2": "The next meeting opens later this year in Seoul."}
OTHER_SENTENCES = {"a1": ["The talks resume in June.", "Japan agreed."], "a2": ["It was a two-day dialogue."]}
GOLD = {("a1", "q1"): ["Singapore"], ("a1", "q2"): ["June", "in June"], ("a2", "q1"): ["Seoul"]}


ORACLE_MODULE = '''
"""A reader that answers a question with its gold answer when the context states it, else "unknown";
its summary of anything is "nothing"."""
from typing import Literal

from harness.backends.efficiency import Efficiency
from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.records import Generation

GOLD = {"Where will they meet?": "Singapore", "When do the talks resume?": "June", "Where is the next meeting?": "Seoul"}


class OracleModel(ModelConfigBase):
    backend: Literal["oracle"]


class OracleBackend:
    tasks = frozenset({"summary", "qa"})
    load_seconds = 0.0

    def __init__(self, config, seed):
        self.identity = {"backend": "oracle"}
        self.source_info = {}
        self.efficiency = Efficiency()

    def answer(self, request):
        if request.task == "summary":
            return "nothing"
        context, _, question = request.prompt.partition("\\nQ: ")
        gold = GOLD[question.removesuffix("\\nA:")]
        return gold if gold in context else "unknown"

    def generate(self, requests, on_batch):
        out = [Generation(r, self.answer(r), 1, 0.0) for r in requests]
        on_batch(out)
        return out

    def close(self):
        pass


PLUGIN = BackendPlugin("oracle", OracleModel, load=OracleBackend)
'''


@pytest.fixture
def oracle(tmp_path, monkeypatch):
    yield from register_backend_module(tmp_path, monkeypatch, "oracle", ORACLE_MODULE)


def test_hand_known_scores_with_a_reader_that_answers_what_the_context_states(oracle, tmp_path, cache_dir):
    models = [{"name": "lead-1", "backend": "lead", "k": 1}, {"name": "oracle", "backend": "oracle"}]
    config = write_run(tmp_path, models, tasks={"qa": {"prompt": QA_PROMPT, "max_new_tokens": 6}},
                      scoring={"answerable_from_summary": {"reader": "oracle"}})
    result = cli("--config", config)
    assert result.returncode == 0, result.stderr
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    lead, reader = report["models"]
    # Lead-1 states Singapore (a1 q1) and Seoul (a2 q1), not June (a1 q2); the full article states all three
    block = lead["answerable_from_summary"]
    assert block["exact_match"]["mean"] == pytest.approx(2 / 3) and block["f1"]["mean"] == pytest.approx(2 / 3)
    assert block["upper_bound"] == {"exact_match": 1.0, "f1": 1.0, "n": 3}
    answers = {(p["article_id"], e["question_id"]): e["output"] for p in predictions if p["model"] == "lead-1" and p["task"] == "summary"
               for e in p["trace"]["answerable"]}
    assert answers == {("a1", "q1"): "Singapore", ("a1", "q2"): "unknown", ("a2", "q1"): "Seoul"}
    # the reader's own summary ("nothing") answers nothing
    assert reader["answerable_from_summary"]["exact_match"]["mean"] == 0.0 and reader["answerable_from_summary"]["upper_bound"]["f1"] == 1.0
    # rescore reads such a run (it generates nothing, so it writes no block: see the README)
    rescored = cli("rescore", only_run_dir(tmp_path / "runs"), "--output-dir", tmp_path / "rescored")
    assert rescored.returncode == 0, rescored.stderr
    assert "answerable_from_summary" not in read_report(only_run_dir(tmp_path / "rescored"))[0]["models"][0]


def _config(tmp_path, tiny_models, reader="reader", **scoring):
    models = [{"name": "lead-1", "backend": "lead", "k": 1}, hf("reader", tiny_models["causal"], batch_size=2)]
    return write_run(tmp_path, models, tasks={"qa": {"prompt": QA_PROMPT, "max_new_tokens": 6}},
                     scoring={"answerable_from_summary": {"reader": reader}, "bootstrap_resamples": 50, **scoring})


def _mean(values):
    return sum(values) / len(values)


def test_reader_answers_from_the_summary_alone(tiny_models, tmp_path, cache_dir):
    config = _config(tmp_path, tiny_models)
    result = cli("--config", config, "--output-dir", tmp_path / "a")
    assert result.returncode == 0, result.stderr
    run_dir = only_run_dir(tmp_path / "a")
    report, predictions = read_report(run_dir)
    summaries = {p["article_id"]: p for p in predictions if p["model"] == "lead-1" and p["task"] == "summary"}
    assert {a: p["output"] for a, p in summaries.items()} == LEAD_1  # Lead-1: the first sentence

    answers = {}
    for article_id, line in summaries.items():
        entries = line["trace"]["answerable"]
        assert [e["question_id"] for e in entries] == [q for a, q in GOLD if a == article_id]
        for entry in entries:
            # the reader's own qa prompt, the summary where the article was
            assert entry["prompt"] == QA_PROMPT.format(article=LEAD_1[article_id], question=entry["question"])
            assert not any(sentence in entry["prompt"] for sentence in OTHER_SENTENCES[article_id])
            gold = GOLD[(article_id, entry["question_id"])]
            assert entry["answers"] == gold
            assert entry["exact_match"] == max(exact_match(entry["output"], g) for g in gold)
            assert entry["f1"] == max(token_f1(entry["output"], g) for g in gold)
            answers[(article_id, entry["question_id"])] = entry

    lead = next(m for m in report["models"] if m["name"] == "lead-1")
    block = lead["answerable_from_summary"]
    assert block["reader"] == "reader" and block["status"] == "ok" and block["error"] is None
    assert block["questions"] == 3 and block["exact_match"]["n"] == 3 and block["f1"]["n"] == 3
    assert block["exact_match"]["mean"] == _mean([e["exact_match"] for e in answers.values()])
    assert block["f1"]["mean"] == _mean([e["f1"] for e in answers.values()])
    assert block["reader_new_tokens"] > 0 and block["reader_cached_items"] == 0

    # the upper bound: the reader's own full-article QA scores over the same three questions
    own = {(p["article_id"], p["item_id"]): p["scores"] for p in predictions if p["model"] == "reader" and p["task"] == "qa"}
    assert block["upper_bound"] == {"exact_match": _mean([own[k]["exact_match"] for k in GOLD]),
                                    "f1": _mean([own[k]["f1"] for k in GOLD]), "n": 3}
    # the reader summarizes too, so it also reads its own summaries
    assert next(m for m in report["models"] if m["name"] == "reader")["answerable_from_summary"]["questions"] == 3

    markdown = (run_dir / "report.md").read_text()
    assert "## Answerable from the summary" in markdown and "QAGS" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| lead-1 | reader |"))
    assert f"{block['exact_match']['mean']:.4f}" in row and f"{block['upper_bound']['f1']:.4f}" in row
    html = (run_dir / "report.html").read_text()
    assert 'id="answerable"' in html and f"{block['f1']['mean']:.4f}" in html

    # a re-run reads every answer from the generation cache: the same block, nothing generated
    again = cli("--config", config, "--output-dir", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    report_b, predictions_b = read_report(only_run_dir(tmp_path / "b"))
    block_b = next(m for m in report_b["models"] if m["name"] == "lead-1")["answerable_from_summary"]
    assert block_b["reader_new_tokens"] == 0 and block_b["reader_cached_items"] == 3
    assert {k: block_b[k] for k in ("exact_match", "f1", "upper_bound")} == {k: block[k] for k in ("exact_match", "f1", "upper_bound")}
    assert all(e["cached"] for p in predictions_b if p["task"] == "summary" for e in p["trace"]["answerable"])
    reader_b = next(m for m in report_b["models"] if m["name"] == "reader")
    assert reader_b["timing"]["new_tokens"] == 0


def test_off_by_default_adds_nothing(tmp_path, cache_dir):
    config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}])
    assert cli("--config", config).returncode == 0
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    assert "answerable_from_summary" not in report["models"][0]
    assert all("answerable" not in p["trace"] for p in predictions)
    assert "Answerable" not in (only_run_dir(tmp_path / "runs") / "report.md").read_text()


def test_a_failing_reader_is_reported_and_the_run_goes_on(tiny_models, tmp_path, cache_dir):
    models = [{"name": "lead-1", "backend": "lead", "k": 1}, hf("broken", tiny_models["breaks-in-generate"])]
    config = write_run(tmp_path, models, scoring={"answerable_from_summary": {"reader": "broken"}})
    # --models lead-1: the reader still reads (it is a configured model) though it does not run itself
    result = cli("--config", config, "--models", "lead-1")
    assert result.returncode == 0, result.stderr
    run_dir = only_run_dir(tmp_path / "runs")
    report, _ = read_report(run_dir)
    (lead,) = report["models"]
    assert lead["status"] == "ok" and lead["metrics"]["summary"]["rouge1"]["n"] == 2
    block = lead["answerable_from_summary"]
    assert block["status"] == "failed" and block["reader"] == "broken" and block["error"]
    assert "exact_match" not in block and "upper_bound" not in block
    assert "reader failed" in (run_dir / "report.md").read_text()


def test_config_errors_are_one_line(tiny_models, tmp_path, cache_dir):
    for reader, problem in (("nobody", "no model named 'nobody'"), ("lead-1", "'lead-1' (backend lead) answers no questions")):
        result = cli("--config", _config(tmp_path, tiny_models, reader=reader))
        assert result.returncode == 2
        assert "config.yaml: scoring: answerable_from_summary.reader: " in result.stderr and problem in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not (tmp_path / "runs").exists()

