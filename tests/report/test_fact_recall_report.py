"""fact_recall end to end: a real run of two Lead-k baselines through the CLI (in-process), then
report.json, predictions.jsonl, report.md and report.html read back for the metric, its trace and
the references' yardstick; compare and gates on it; an article without questions; an old run
without it.

The eval set is small enough to score by hand (SQuAD normalisation, whole tokens):
  lead-1 = "The talks open in Singapore on June 4-5."  carries city, dates          -> 2/4 = 0.5
  lead-2 = lead-1 + " Officials met for two days in Washington."  + length          -> 3/4 = 0.75
  reference short "Talks open in Singapore."                       carries city     -> 1/4 = 0.25
  reference long  (18 words) carries city, dates, length ("two days"), next ("in Seoul") -> 4/4
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from harness.report.html.facts import question_anchor
from harness.run_files import read_run

from conftest import ROOT
from helpers import cli, only_run_dir, read_report, write_run
from test_html import parse

A1 = {
    "id": "a1",
    "text": "The talks open in Singapore on June 4-5. Officials met for two days in Washington. The next meeting is in Seoul.",
    "references": [{"id": "short", "text": "Talks open in Singapore."},
                   {"id": "long", "text": "Talks open in Singapore on June 4-5 after two days of meetings; the next meeting is in Seoul."}],
    "questions": [
        {"id": "city", "question": "Where do the talks open?", "answers": ["Singapore"]},
        {"id": "dates", "question": "On what dates do the talks open?", "answers": ["June 4-5", "4-5 June"]},
        {"id": "length", "question": "How long did the officials meet?", "answers": ["two days", "2 days"]},
        {"id": "next", "question": "Where is the next meeting?", "answers": ["in Seoul", "Seoul"]},
    ],
}
# a2 has references but no questions: its summaries get no fact_recall (not 0)
A2 = {"id": "a2", "text": "Ministers met in Seoul. They agreed.", "references": [{"id": "r1", "text": "Ministers met in Seoul."}]}
MODELS = [{"name": "lead-1", "backend": "lead", "k": 1}, {"name": "lead-2", "backend": "lead", "k": 2}]


def run_once(tmp: Path, articles: list[dict], **extra) -> Path:
    config = write_run(tmp, MODELS, {"articles": articles}, **extra)
    result = cli("--config", config, "--output-dir", tmp / "runs", "--no-cache")
    assert result.returncode == 0, result.stderr
    return only_run_dir(tmp / "runs")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return run_once(tmp_path_factory.mktemp("facts"), [A1], gates={"summary.fact_recall": {"min": 0.4}})  # a gate on it is a valid config


def summary_line(predictions: list[dict], model: str, article: str) -> dict:
    return next(p for p in predictions if p["model"] == model and p["task"] == "summary" and p["article_id"] == article)


def test_report_json_has_the_metric_its_interval_pairwise_difference_and_the_yardstick(run_dir):
    report, _ = read_run(run_dir)  # validated through the record models
    jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "report.schema.json").read_text())).validate(report)
    assert report["scoring"]["metrics"]["summary"] == ["rouge1", "rouge2", "rougeL", "rougeLsum", "fact_recall"]
    assert report["scoring"]["signature"]["fact_recall"] == "fact_recall:norm=squad-v1.1|match=whole-tokens|answers=any|ci=bootstrap-1000-seed0"
    means = {m["name"]: m["metrics"]["summary"]["fact_recall"] for m in report["models"]}
    assert means == {"lead-1": {"mean": 0.5, "ci95": [0.5, 0.5], "n": 1}, "lead-2": {"mean": 0.75, "ci95": [0.75, 0.75], "n": 1}}
    assert report["models"][0]["per_article"]["summary"]["a1"]["fact_recall"]["mean"] == 0.5
    (pair,) = [p for p in report["pairwise"] if p["metric"] == "fact_recall"]
    assert (pair["a"], pair["b"], pair["task"], pair["n"], pair["delta_b_minus_a"]) == ("lead-1", "lead-2", "summary", 1, 0.25)
    assert pair["significant"] is None  # one summary: too few items to test
    assert report["reference_fact_recall"] == {"a1": {
        "short": {"fact_recall": 0.25, "carried": 1, "facts": 4, "matched": {"city": "Singapore", "dates": None, "length": None, "next": None}},
        "long": {"fact_recall": 1.0, "carried": 4, "facts": 4, "matched": {"city": "Singapore", "dates": "June 4-5", "length": "two days", "next": "in Seoul"}},
    }}


def test_predictions_carry_the_per_fact_trace(run_dir):
    _, predictions = read_report(run_dir)
    lead1 = summary_line(predictions, "lead-1", "a1")
    assert lead1["scores"]["fact_recall"] == 0.5
    assert lead1["trace"]["facts"] == [
        {"question_id": "city", "question": "Where do the talks open?", "answers": ["Singapore"], "matched": "Singapore"},
        {"question_id": "dates", "question": "On what dates do the talks open?", "answers": ["June 4-5", "4-5 June"], "matched": "June 4-5"},
        {"question_id": "length", "question": "How long did the officials meet?", "answers": ["two days", "2 days"], "matched": None},
        {"question_id": "next", "question": "Where is the next meeting?", "answers": ["in Seoul", "Seoul"], "matched": None},
    ]
    assert "best_reference" in lead1["trace"]  # beside ROUGE's trace, not instead of it
    assert [f["matched"] for f in summary_line(predictions, "lead-2", "a1")["trace"]["facts"]] == ["Singapore", "June 4-5", "two days", None]


def test_report_md_has_the_column_the_yardstick_and_the_facts_of_each_summary(run_dir):
    markdown = (run_dir / "report.md").read_text()
    leaderboard = next(line for line in markdown.splitlines() if line.startswith("| model | status |"))
    assert leaderboard.endswith("| summary.RLsum | summary.fact_recall | qa.EM | qa.F1 | qa.contains |")
    assert "| model | summary | rouge1 | rouge2 | rougeL | rougeLsum | fact_recall |" in markdown
    assert "| lead-2 | The talks open in Singapore on June 4-5. Officials met for two days in Washington. |" in markdown
    assert "| 0.7500 |\n" in markdown  # lead-2's row ends with its fact_recall
    assert "**Reference summaries: fact_recall**" in markdown
    assert "| short | 4 | 0.2500 | 1 of 4 |" in markdown and "| long | 18 | 1.0000 | 4 of 4 |" in markdown
    assert "| fact | gold | short (reference) | long (reference) | lead-1 | lead-2 |" in markdown
    assert "| city: Where do the talks open? | Singapore | ✓ Singapore | ✓ Singapore | ✓ Singapore | ✓ Singapore |" in markdown
    assert "| length: How long did the officials meet? | two days | ✗ | ✓ two days | ✗ | ✓ two days |" in markdown
    assert "| next: Where is the next meeting? | in Seoul | ✗ | ✓ in Seoul | ✗ | ✗ |" in markdown


def test_report_html_shows_each_summarys_facts_linked_to_their_questions(run_dir):
    doc = parse((run_dir / "report.html").read_text())
    board = doc.find("table", id="leaderboard-table")
    assert ("summary", "fact_recall") in [(th.attrs.get("data-task"), th.attrs.get("data-metric")) for th in board.find_all("th")]
    grid_rows = {tr.attrs["id"] for tr in doc.find("table", id="qa-grid").find_all("tr") if "id" in tr.attrs}
    assert grid_rows == {"q-a1/city", "q-a1/dates", "q-a1/length", "q-a1/next"}
    section = doc.find("section", id="article-a1")
    rows = {div.attrs["data-model"]: div for div in section.find_all("div") if "summary-row" in div.classes() and "data-model" in div.attrs}
    expected = {"lead-1": (["city", "dates"], ["length", "next"]), "lead-2": (["city", "dates", "length"], ["next"])}
    for model, (carried, missed) in expected.items():
        facts = next(div for div in rows[model].find_all("div") if "facts" in div.classes())
        chips = [span for span in facts.find_all("span") if "fact-chip" in span.classes()]
        assert [c.attrs["data-fact"] for c in chips if "hit" in c.classes()] == carried
        assert [c.attrs["data-fact"] for c in chips if "miss" in c.classes()] == missed
        for chip in chips:
            link = chip.find("a")
            assert link.attrs["href"] == f"#q-a1/{chip.attrs['data-fact']}" and link.attrs["href"][1:] in grid_rows
        assert f"carries {len(carried)} of 4 facts" in facts.text()
        scores = {tr.find_all("td")[0].text(): tr.find_all("td")[1].text() for tr in rows[model].find("table").find_all("tr")}
        assert scores["fact_recall"] == f"{len(carried) / 4:.4f}"
    table = doc.find("table", id="reference-facts-a1")
    references = {tr.attrs["data-reference"]: tr for tr in table.find("tbody").find_all("tr")}
    assert list(references) == ["short", "long"]
    assert references["short"].find_all("td")[2].text() == "0.25001 of 4"  # mean, then "n of total" below it
    assert [s.attrs["data-fact"] for s in references["long"].find_all("span") if "hit" in s.classes()] == ["city", "dates", "length", "next"]


def test_compare_and_gates_take_fact_recall_like_any_metric(run_dir):
    result = cli("compare", run_dir, run_dir, "--pair", "lead-1:lead-2", "--gate", "summary.fact_recall:min=0.8")
    assert result.returncode == 1  # lead-2's 0.75 is below 0.8
    assert "summary.fact_recall" in result.stdout and "candidate mean 0.7500 vs min 0.8" in result.stdout


def test_an_article_without_questions_has_no_fact_recall_and_nothing_fails(tmp_path):
    run = run_once(tmp_path, [A1, A2])
    report, predictions = read_report(run)
    a2 = summary_line(predictions, "lead-1", "a2")
    assert "fact_recall" not in a2["scores"] and "rouge1" in a2["scores"] and a2["trace"]["facts"] == []
    lead1 = report["models"][0]
    assert lead1["metrics"]["summary"]["fact_recall"] == {"mean": 0.5, "ci95": [0.5, 0.5], "n": 1}  # a1 only: a2 is not a 0
    assert lead1["metrics"]["summary"]["rouge1"]["n"] == 2
    assert "fact_recall" not in lead1["per_article"]["summary"]["a2"]
    assert [p["n"] for p in report["pairwise"] if p["metric"] == "fact_recall"] == [1]
    assert list(report["reference_fact_recall"]) == ["a1"]  # a2 has no facts to carry
    markdown = (run / "report.md").read_text()
    assert "No questions for this article, so no key facts: its summaries have no fact_recall (not 0)." in markdown
    assert "| lead-1 | Ministers met in Seoul. | " in markdown and markdown.count(" | – |\n") >= 2  # its fact_recall cells: no value
    doc = parse((run / "report.html").read_text())
    section = doc.find("section", id="article-a2")
    assert "No questions for this article" in section.text() and not section.find_all("table", id="reference-facts-a2")
    assert all("no questions for this article" in div.text() for div in section.find_all("div") if "facts" in div.classes())


def without_fact_recall(run_dir: Path, to: Path) -> Path:
    """The run as a harness without the scorer wrote it (the committed baseline's shape)."""
    shutil.copytree(run_dir, to)
    report = json.loads((to / "report.json").read_text())
    del report["scoring"]["signature"]["fact_recall"], report["scoring"]["fact_recall"], report["reference_fact_recall"]
    report["scoring"]["metrics"]["summary"].remove("fact_recall")
    for model in report["models"]:
        del model["metrics"]["summary"]["fact_recall"]
        for scores in model["per_article"]["summary"].values():
            del scores["fact_recall"]
    report["pairwise"] = [p for p in report["pairwise"] if p["metric"] != "fact_recall"]
    (to / "report.json").write_text(json.dumps(report, indent=2))
    lines = []
    for line in (to / "predictions.jsonl").read_text().splitlines():
        prediction = json.loads(line)
        prediction["scores"].pop("fact_recall", None)
        prediction["trace"].pop("facts", None)
        lines.append(json.dumps(prediction))
    (to / "predictions.jsonl").write_text("\n".join(lines) + "\n")
    return to


def test_an_old_baseline_without_fact_recall_still_compares(run_dir, tmp_path):
    old = without_fact_recall(run_dir, tmp_path / "old")
    result = cli("compare", old, run_dir, "--gate", "summary.rougeLsum:max_drop=0.1,require_significance=false", "--json", tmp_path / "c.json")
    assert result.returncode == 0, result.stdout + result.stderr
    comparison = json.loads((tmp_path / "c.json").read_text())
    assert {d["metric"] for d in comparison["deltas"]} == {"rouge1", "rouge2", "rougeL", "rougeLsum"}  # fact_recall: one side only, not compared
    gated = cli("compare", old, run_dir, "--gate", "summary.fact_recall:min=0.1")
    assert gated.returncode == 1 and "no model has summary.fact_recall in both runs" in gated.stdout  # a gate on it cannot pass silently


def test_an_old_run_is_rebuilt_without_facts(run_dir, tmp_path):
    old = without_fact_recall(run_dir, tmp_path / "old")
    assert cli("report", old).returncode == 0
    markdown, page = (old / "report.md").read_text(), (old / "report.html").read_text()
    assert "fact_recall" not in markdown and "Key facts" not in markdown
    assert 'class="fact-chip' not in page and 'class="facts"' not in page and 'id="reference-facts-' not in page


def test_report_rebuilds_the_same_facts(run_dir, tmp_path):
    """`report` recomputes the yardstick from the eval set and reads the models' facts back from
    predictions.jsonl: the same tables and chips as the run wrote."""
    copy_dir = tmp_path / "copy"
    shutil.copytree(run_dir, copy_dir)
    assert cli("report", copy_dir).returncode == 0
    assert (copy_dir / "report.md").read_text() == (run_dir / "report.md").read_text()
    before, after = (parse((d / "report.html").read_text()).find("section", id="summaries") for d in (run_dir, copy_dir))
    assert after.text() == before.text() and [a.attrs for a in after.find_all("a")] == [a.attrs for a in before.find_all("a")]


def test_hostile_text_in_facts_is_escaped(tmp_path):
    hostile = copy.deepcopy(A1)
    hostile["questions"][0] = {"id": "city", "question": "Where <b>do</b> | talks open?", "answers": ["Singapore"]}
    run = run_once(tmp_path, [hostile])
    assert "| city: Where &lt;b&gt;do&lt;/b&gt; \\| talks open? | Singapore |" in (run / "report.md").read_text()
    page = (run / "report.html").read_text()
    assert "<b>do</b>" not in page and 'title="Where &lt;b&gt;do&lt;/b&gt; | talks open?"' in page


def test_question_anchors_are_unique_fragments_for_any_id():
    # eval-set YAML ids are plain; `dataset:` columns may hold anything
    assert question_anchor("korea-us-japan-talks", "talks-venue") == "q-korea-us-japan-talks/talks-venue"
    assert question_anchor("a 1", "q/1<") == "q-a%201/q%2F1%3C"
    assert question_anchor("a/b", "c") != question_anchor("a", "b/c")


def test_a_damaged_trace_is_shown_as_no_facts_not_an_error(run_dir, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(run_dir, damaged)
    lines = [json.loads(line) for line in (damaged / "predictions.jsonl").read_text().splitlines()]
    for line in lines:
        if line["model"] == "lead-1" and line["task"] == "summary":
            line["trace"]["facts"] = [None]
            line["trace"]["best_reference"] = {"rouge1": ["long"]}
    (damaged / "predictions.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("report", damaged)
    assert result.returncode == 0, result.stderr
    assert "| city: Where do the talks open? | Singapore | ✓ Singapore | ✓ Singapore | – | ✓ Singapore |" in (damaged / "report.md").read_text()
    rows = parse((damaged / "report.html").read_text()).find("section", id="article-a1").find_all("div", data_model="lead-1")
    assert not [div for div in rows[0].find_all("div") if "facts" in div.classes()]  # lead-1: no facts shown; the page still renders
