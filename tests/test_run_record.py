"""The typed run record (harness/run_record.py): one set of models that report.json and
predictions.jsonl are written and read through, and the JSON Schemas published from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from harness.cli import main
from harness.records import Generation, Request, ScoredItem
from harness.report.json_report import predictions_jsonl, report_json, report_record
from harness.run_files import read_run, run_result_of
from harness.run_record import LIGHT, REGENERATE, SCHEMAS, Prediction, Report, schema_text

from conftest import ROOT
from helpers import EVAL_SET, write_run

NON_ASCII = "Séoul et Tōkyō — 서울에서 회담이 열린다. 「東京」で会う。"


@pytest.fixture(scope="module")
def lead_run(tmp_path_factory) -> Path:
    """Two Lead-k models (so `pairwise` is filled) on an eval set with non-ASCII text."""
    tmp = tmp_path_factory.mktemp("lead-run-서울")  # a non-ASCII path: in report.json too
    eval_set = copy.deepcopy(EVAL_SET)
    eval_set["articles"].append(
        {"id": "a3", "text": NON_ASCII, "references": [{"id": "r1", "text": "서울에서 회담."}], "questions": []}
    )
    models = [{"name": "lead-3", "backend": "lead"}, {"name": "lead-1", "backend": "lead", "k": 1}]
    assert main(["--config", str(write_run(tmp, models, eval_set)), "--no-cache"]) == 0
    (run_dir,) = (tmp / "runs").iterdir()
    return run_dir


def _published(name: str) -> dict:
    return json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))


def _validator(name: str):
    """A JSON Schema validator for a checked-in schema, as a CI user would build one."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (it comes with the ray extra: `make install`)")
    jsonschema.Draft202012Validator.check_schema(_published(name))
    return jsonschema.Draft202012Validator(_published(name))


def _lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text(encoding="utf-8").split("\n") if line]


# --- the published schemas -------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_checked_in_schemas_are_the_generated_ones(name):
    path = ROOT / "schemas" / name
    assert path.is_file(), f"schemas/{name} is missing; run `{REGENERATE}`"
    assert path.read_text(encoding="utf-8") == schema_text(SCHEMAS[name]), (
        f"schemas/{name} differs from the models in harness/run_record.py; run `{REGENERATE}` and commit the result"
    )


def test_a_real_run_validates_against_the_checked_in_schemas(lead_run):
    report = json.loads((lead_run / "report.json").read_text(encoding="utf-8"))
    _validator("report.schema.json").validate(report)
    lines = _lines(lead_run)
    assert lines
    for line in lines:
        _validator("prediction.schema.json").validate(line)
    assert report["pairwise"], "two models: their paired deltas are in the report"


def test_the_schemas_reject_what_the_readers_reject(lead_run):
    validator = _validator("report.schema.json")
    report = json.loads((lead_run / "report.json").read_text(encoding="utf-8"))
    report["models"][0]["status"] = "fine"
    del report["eval_set"]["sha256"]
    report["models"][0]["metrics"]["summary"]["rouge1"]["mean"] = "high"
    problems = {error.message for error in validator.iter_errors(report)}
    assert any("'fine'" in problem for problem in problems), problems
    assert any("'sha256' is a required property" in problem for problem in problems), problems
    assert any("'high'" in problem for problem in problems), problems


def test_the_committed_baseline_validates_against_the_schema():
    _validator("report.schema.json").validate(json.loads((ROOT / "baselines" / "default" / "report.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_published_field_is_described(name):
    schema = json.loads(schema_text(SCHEMAS[name]))
    undescribed = [
        f"{where}.{key}"
        for where, part in [("(top level)", schema), *schema.get("$defs", {}).items()]
        for key, field in part.get("properties", {}).items()
        if not field.get("description")
    ]
    assert not undescribed


# --- writing through the models --------------------------------------------------------------


def _undeclared(value, where: str = "") -> list[str]:
    """Keys of a written record that its models do not declare (so the schema does not document them)."""
    if isinstance(value, BaseModel):
        found = [f"{where}.{key}" for key in value.model_extra or {}]
        return found + [key for name in type(value).model_fields for key in _undeclared(getattr(value, name), f"{where}.{name}")]
    if isinstance(value, dict):
        return [key for name, item in value.items() for key in _undeclared(item, f"{where}.{name}")]
    if isinstance(value, list):
        return [key for index, item in enumerate(value) for key in _undeclared(item, f"{where}[{index}]")]
    return []


def test_everything_a_run_writes_is_declared(lead_run):
    report = Report.model_validate_json((lead_run / "report.json").read_bytes())
    assert _undeclared(report) == []
    for line in _lines(lead_run):
        assert _undeclared(Prediction.model_validate(line)) == []


def test_reading_a_run_back_and_writing_it_again_gives_the_same_files(lead_run):
    run = run_result_of(lead_run)
    assert report_json(run) == (lead_run / "report.json").read_text(encoding="utf-8")
    assert predictions_jsonl(run) == (lead_run / "predictions.jsonl").read_text(encoding="utf-8")


def test_the_format_is_indented_utf8_json(lead_run):
    text = (lead_run / "report.json").read_text(encoding="utf-8")
    assert text.startswith('{\n  "schema_version": "1.0",\n  "provenance": {\n') and text.endswith("}\n")
    predictions = (lead_run / "predictions.jsonl").read_text(encoding="utf-8")
    assert "서울에서" in predictions and "\\u" not in predictions, "non-ASCII text is written as UTF-8, not escaped"
    assert "lead-run-서울" in text and "\\u" not in text
    keys = list(json.loads(text))
    assert keys == ["schema_version", "provenance", "eval_set", "scoring", "config", "models", "pairwise", "reference_fact_recall"]
    assert list(json.loads(text)["models"][0]) == [
        "name", "backend", "status", "error", "source", "timing", "truncated_items", "efficiency",
        "metrics", "per_article", "qa_verdicts", "summary_statistics",
    ]
    assert list(_lines(lead_run)[0]) == [
        "model", "article_id", "task", "item_id", "prompt", "rendered_prompt", "raw_output", "output",
        "scores", "trace", "stats", "new_tokens", "seconds", "cached", "truncated_tokens",
    ]


def test_a_qa_line_carries_its_answers_and_a_summary_line_none(lead_run):
    run = run_result_of(lead_run)
    request = Request("a1", "qa", "q2", "When?", 24)
    scores = {"exact_match": 1, "f1": 1.0, "contains": 1.0}
    run.models[0].items.append(ScoredItem("lead-3", Generation(request, "June", 1, 0.01), "June", scores, {"verdict": "exact"}))
    lines = [json.loads(line) for line in predictions_jsonl(run).splitlines()]
    (qa,) = [line for line in lines if line["task"] == "qa"]
    assert all("answers" not in line for line in lines if line["task"] == "summary")
    assert qa["answers"] == ["June", "in June"]
    assert qa["scores"]["exact_match"] == 1 and isinstance(qa["scores"]["exact_match"], int), "an integer stays one"
    _validator("prediction.schema.json").validate(qa)


def test_the_writer_refuses_what_a_reader_would_refuse(lead_run):
    run = run_result_of(lead_run)
    run.models[0].metrics["summary"]["rouge1"]["mean"] = float("nan")
    with pytest.raises(ValueError, match="finite number"):
        report_record(run)


# --- reading ---------------------------------------------------------------------------------


def test_older_files_without_the_later_keys_still_read(lead_run, tmp_path, capsys):
    """truncated_items, truncated_tokens and significance_note came after the first 1.0 files."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(lead_run, old)
    report = json.loads((old / "report.json").read_text(encoding="utf-8"))
    for model in report["models"]:
        del model["truncated_items"]
    for entry in report["pairwise"]:
        del entry["significance_note"]
    (old / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = _lines(old)
    for line in lines:
        del line["truncated_tokens"]
    (old / "predictions.jsonl").write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")

    read_run(old)
    run = run_result_of(old)
    assert all(model.truncated_items == 0 for model in run.models)
    assert all(item.generation.request.truncated_tokens == 0 for model in run.models for item in model.items)
    assert Report.model_validate(report).models[0].truncated_items == 0
    assert main(["report", str(old)]) == 0
    assert main(["compare", str(lead_run), str(old)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("light", LIGHT, ids=lambda model: model.__name__)
def test_what_compare_reads_is_a_subset_of_the_record(light):
    full = LIGHT[light]
    assert set(light.model_fields) <= set(full.model_fields), f"{light.__name__} has fields {full.__name__} lacks"
    required = {name for name, field in light.model_fields.items() if field.is_required()}
    assert required <= {name for name, field in full.model_fields.items() if field.is_required()}


def test_the_regenerate_command_writes_the_checked_in_files(tmp_path, capsys):
    from harness.run_record import main as regenerate

    assert regenerate([str(tmp_path)]) == 0
    for name in SCHEMAS:
        assert (tmp_path / name).read_text(encoding="utf-8") == (ROOT / "schemas" / name).read_text(encoding="utf-8")
    capsys.readouterr()
