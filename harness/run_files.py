"""Reading a finished run folder back: report.json and predictions.jsonl -> RunResult.

Used by `compare` (scores and outputs), `rescore` (new scores from the stored outputs) and
`report` (re-rendering without a model). Everything they read is validated here, at the
boundary, against the models the writer writes through (`harness.run_record`: strict types,
finite numbers; `compare` checks only the light subset it reads): a damaged or hand-edited file
is one HarnessError `<file>: [line N: ]<key>: <problem>; <fix>`, never a traceback further in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.config import RunConfig, run_config_class
from harness.errors import HarnessError
from harness.metrics.squad import read_json
from harness.records import SCHEMA_VERSION, Generation, ModelResult, Request
from harness.run_record import LightPrediction, LightReport, PairwiseDelta, Prediction, Report
from harness.textfile import FileMessages, read_text

FIX = "the run folder is damaged or was not written by the harness: restore it, or run the config again"


# --- reading ---------------------------------------------------------------------------------


def read_run(run_dir: str | Path, full: bool = True) -> tuple[dict, list[dict]]:
    """report.json and the lines of predictions.jsonl, validated, or a one-line HarnessError.

    `full=False` checks only what `compare` reads (names, statuses, sha256, ids, outputs and
    scores); `full=True` also what rebuilding the run needs (`rescore`, `report`). The dicts
    are returned as stored."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise HarnessError(f"{run_dir}: no such folder; give a run folder written by `python -m harness --config ...`")
    if not run_dir.is_dir():
        raise HarnessError(f"{run_dir}: is a file, not a run folder; give the folder that holds report.json and predictions.jsonl")
    report_path = run_dir / "report.json"
    if not report_path.is_file():
        raise HarnessError(f"{run_dir}: no report.json here; give a run folder written by `python -m harness --config ...`")
    report = read_report_file(report_path, full)
    predictions = read_predictions(run_dir / "predictions.jsonl", full)
    return report, predictions


def read_report_file(path: Path, full: bool = True) -> dict:
    """One report.json, validated (see read_run)."""
    try:
        report = read_json(path, "report")
    except HarnessError as exc:  # empty, truncated, not JSON, not UTF-8
        raise HarnessError(f"{exc}; {FIX}") from None
    if not isinstance(report, dict):
        raise HarnessError(f"{path}: (top level): must be a JSON object ({{...}}), got {_kind(report)}; {FIX}")
    if report.get("schema_version") != SCHEMA_VERSION:
        raise HarnessError(
            f"{path}: schema_version: {report.get('schema_version')!r}; this harness reads {SCHEMA_VERSION!r} "
            "(use the harness version that wrote the run)"
        )
    _validate(Report if full else LightReport, report, f"{path}")
    return report


def read_predictions(path: Path, full: bool = True) -> list[dict]:
    """The lines of one predictions.jsonl, each validated (see read_run); blank lines are skipped."""
    text = read_text(path, FileMessages(
        missing="{parent}: predictions.jsonl is missing; the run folder is incomplete: restore it, or run the config again",
        not_utf8=f"{{path}}: not UTF-8 text; {FIX}",
        unreadable=f"{{path}}: cannot be read ({{error}}); {FIX}",
        folder=f"{{path}}: is a folder, not a file; {FIX}",
        special=f"{{path}}: is not a regular file; {FIX}",
    ))
    schema = Prediction if full else LightPrediction
    lines = []
    # split on "\n" only: an output may hold U+2028, U+0085 or other characters that
    # str.splitlines() would split a JSON line at
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno}); {FIX}") from None
        if not isinstance(value, dict):
            raise HarnessError(f"{where}: must be a JSON object ({{...}}), got {_kind(value)}; {FIX}")
        _validate(schema, value, where)
        lines.append(value)
    return lines


def _validate(schema: type[BaseModel], value: dict, where: str) -> None:
    try:
        schema.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        key, problem = _problem(errors[0])
        more = len(errors) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise HarnessError(f"{where}: {key}: {problem}{extra}; {FIX}") from None


def _problem(error: Any) -> tuple[str, str]:  # a pydantic ErrorDetails
    """(key path, what is wrong) for one pydantic error, in JSON's words."""
    key = ""
    for part in error["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    kind, value = error["type"], error.get("input")
    expected = {
        "float_type": "a number", "int_type": "a whole number", "string_type": "a string", "bool_type": "true or false",
        "dict_type": "a JSON object ({...})", "model_type": "a JSON object ({...})", "list_type": "a list ([...])",
    }
    if kind == "missing":
        problem = "required key is missing"
    elif kind == "finite_number":
        problem = f"must be a finite number, got {_shown(value)}"
    elif kind in expected:
        problem = f"must be {expected[kind]}, got {_kind(value)}"
    elif kind == "literal_error":
        problem = f"must be {error.get('ctx', {}).get('expected', 'one of the allowed values')}, got {_shown(value)}"
    else:
        problem = error["msg"]
    return key or "(top level)", problem


def _kind(value) -> str:
    """A JSON-side description of a value, for "got ...": `a string ("0.5")`, `null`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({_shown(value)})"
    if isinstance(value, (int, float)):
        return f"the number {_shown(value)}"
    if isinstance(value, str):
        return f"a string ({_shown(value)})"
    names: dict[type, str] = {list: "a list", dict: "a JSON object"}
    return names.get(type(value), type(value).__name__)


def _shown(value) -> str:
    try:
        shown = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def config_of(report: dict, report_path: Path) -> RunConfig:
    try:
        return run_config_class().model_validate(report["config"])
    except Exception as exc:  # a report written by another version
        raise HarnessError(f"{report_path}: its config no longer validates ({str(exc).splitlines()[0]})") from None


def generation_of(line: dict) -> Generation:
    """One stored output as the Generation record scoring takes."""
    request = Request(line["article_id"], line["task"], line["item_id"], line["prompt"], 0, truncated_tokens=line.get("truncated_tokens", 0))
    return Generation(request, line["raw_output"], line["new_tokens"], line["seconds"], line.get("rendered_prompt"), line.get("cached", False))


def generations_of(predictions: list[dict]) -> dict[str, list[Generation]]:
    """The stored outputs per model."""
    out: dict[str, list[Generation]] = {}
    for line in predictions:
        out.setdefault(line["model"], []).append(generation_of(line))
    return out


def model_result_of(entry: dict) -> ModelResult:
    """A model's stored status, source and timing (its items and metrics are recomputed)."""
    timing = entry.get("timing", {})
    return ModelResult(
        name=entry["name"],
        backend=entry["backend"],
        status=entry["status"],
        error=entry.get("error"),
        source=entry.get("source", {}),
        load_seconds=timing.get("load_seconds"),
        generation_seconds=timing.get("generation_seconds") or 0.0,
        new_tokens=timing.get("new_tokens") or 0,
        cached_items=timing.get("cached_items") or 0,
        truncated_items=entry.get("truncated_items") or 0,
        efficiency=entry.get("efficiency", {}),
    )


def run_result_of(run_dir: str | Path):
    """The whole RunResult of a finished run, as stored: for re-rendering its reports."""
    from harness.records import RunResult, ScoredItem
    from harness.sources import reload_articles

    run_dir = Path(run_dir)
    report, predictions = read_run(run_dir)
    try:
        articles = reload_articles(report["eval_set"])
    except ValidationError as exc:  # a dataset or SQuAD source description that no longer validates
        key, problem = _problem(exc.errors(include_url=False)[0])
        raise HarnessError(f"{run_dir / 'report.json'}: eval_set.source: {key}: {problem}; {FIX}") from None
    lines: dict[str, list] = {}
    for line in predictions:
        item = ScoredItem(line["model"], generation_of(line), line["output"], line["scores"], line.get("trace", {}), line.get("stats", {}))
        lines.setdefault(line["model"], []).append(item)
    models = []
    for entry in report["models"]:
        result = model_result_of(entry)
        result.items = lines.get(result.name, [])
        result.metrics = entry.get("metrics", {})
        result.per_article = entry.get("per_article", {})
        result.qa_verdicts = entry.get("qa_verdicts")
        result.summary_statistics = entry.get("summary_statistics")
        result.answerable_from_summary = entry.get("answerable_from_summary")  # `report` re-renders it; rescore cannot redo it
        models.append(result)
    run = RunResult(report["provenance"], report["config"], report["scoring"], report["eval_set"], articles, models)
    # through the record, so keys an older file lacks (significance_note) get their defaults
    run.pairwise = [PairwiseDelta.model_validate(entry).model_dump() for entry in report.get("pairwise", [])]
    return run
