"""Reading a finished run folder back: report.json and predictions.jsonl -> RunResult.

Used by `rescore` (new scores from the stored outputs) and by anything that re-renders a run
without loading a model.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.config import RunConfig
from harness.errors import HarnessError
from harness.records import SCHEMA_VERSION, Generation, ModelResult, Request


def read_run(run_dir: str | Path) -> tuple[dict, list[dict]]:
    """report.json and the lines of predictions.jsonl, or a one-line HarnessError."""
    run_dir = Path(run_dir)
    report_path = run_dir / "report.json"
    if not report_path.is_file():
        raise HarnessError(f"{run_dir}: no report.json here; give a run folder written by `python -m harness --config ...`")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        lines = (run_dir / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
        predictions = [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError:
        raise HarnessError(f"{run_dir}: predictions.jsonl is missing; the run folder is incomplete") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{run_dir}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if report.get("schema_version") != SCHEMA_VERSION:
        raise HarnessError(f"{report_path}: schema_version {report.get('schema_version')!r}; this harness reads {SCHEMA_VERSION!r}")
    return report, predictions


def config_of(report: dict, report_path: Path) -> RunConfig:
    try:
        return RunConfig.model_validate(report["config"])
    except Exception as exc:  # a report written by another version
        raise HarnessError(f"{report_path}: its config no longer validates ({str(exc).splitlines()[0]})") from None


def generation_of(line: dict) -> Generation:
    """One stored output as the Generation record scoring takes."""
    request = Request(line["article_id"], line["task"], line["item_id"], line["prompt"], 0)
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
        efficiency=entry.get("efficiency", {}),
    )


def run_result_of(run_dir: str | Path):
    """The whole RunResult of a finished run, as stored: for re-rendering its reports."""
    from harness.records import RunResult, ScoredItem
    from harness.sources import reload_articles

    run_dir = Path(run_dir)
    report, predictions = read_run(run_dir)
    articles = reload_articles(report["eval_set"])
    lines = {}
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
        models.append(result)
    run = RunResult(report["provenance"], report["config"], report["scoring"], report["eval_set"], articles, models)
    run.pairwise = report.get("pairwise", [])
    return run
