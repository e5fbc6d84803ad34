"""report.json (scores and provenance) and predictions.jsonl (every output with its scores).

Both are written through the models of `harness.run_record`, the same ones the readers
validate against, and published as JSON Schemas in schemas/; bump SCHEMA_VERSION on any change
a reader would notice.
"""

from __future__ import annotations

from typing import Any

from harness.answerable import block_of as answerable_block
from harness.metrics.facts import reference_fact_recall
from harness.records import SCHEMA_VERSION, ModelResult, RunResult
from harness.run_record import Prediction, Report
from harness.scorers.fact_recall import in_run as scores_facts


def _model_entry(model: ModelResult) -> dict:
    entry = {
        "name": model.name,
        "backend": model.backend,
        "status": model.status,
        "error": model.error,
        "source": model.source,
        "timing": {
            "load_seconds": _round(model.load_seconds),
            "generation_seconds": model.generation_seconds,
            "new_tokens": model.new_tokens,
            "new_tokens_per_second": _round(model.tokens_per_second),
            "cached_items": model.cached_items,
        },
        "truncated_items": model.truncated_items,
        "efficiency": model.efficiency,
        "metrics": model.metrics,
        "per_article": model.per_article,
        "qa_verdicts": model.qa_verdicts,
        "summary_statistics": model.summary_statistics,
    }
    if (block := answerable_block(model)) is not None:  # only when the option is on: older readers see no new key
        entry["answerable_from_summary"] = block
    return entry


def _round(value, digits: int = 3):
    return None if value is None else round(value, digits)


def report_record(run: RunResult) -> Report:
    """The run as the report.json record (validated: what a reader would refuse is never written)."""
    record = {
        "schema_version": SCHEMA_VERSION,
        "provenance": run.provenance,
        "eval_set": run.eval_set,
        "scoring": run.scoring,
        "config": run.config,
        "models": [_model_entry(m) for m in run.models],
        "pairwise": run.pairwise,
    }
    if scores_facts(run.scoring):  # the yardstick, a pure function of the eval set, beside the models' fact_recall
        record["reference_fact_recall"] = reference_fact_recall(run.articles)
    return Report.model_validate(record, strict=False)  # Python values, not JSON: a tuple is a list here


def report_json(run: RunResult) -> str:
    # exclude_unset: a key the run did not give (an optional provenance key) is left out, not written as null
    return report_record(run).model_dump_json(indent=2, exclude_unset=True) + "\n"


def prediction_records(run: RunResult) -> list[Prediction]:
    """One record per scored item, model by model, in the order they were generated."""
    answers = {(a.id, q.id): list(q.answers) for a in run.articles for q in a.questions}
    records = []
    for model in run.models:
        for item in model.items:
            request = item.generation.request
            line: dict[str, Any] = {
                "model": model.name,
                "article_id": request.article_id,
                "task": request.task,
                "item_id": request.item_id,
                "prompt": request.prompt,
                "rendered_prompt": item.generation.rendered_prompt,
                "raw_output": item.generation.raw_output,
                "output": item.output,
                "scores": item.scores,
                "trace": item.trace,
                "stats": item.stats,
                "new_tokens": item.generation.new_tokens,
                "seconds": round(item.generation.seconds, 4),
                "cached": item.generation.cached,
                "truncated_tokens": request.truncated_tokens,
            }
            if request.task == "qa":
                line["answers"] = answers[(request.article_id, request.item_id)]
            records.append(Prediction.model_validate(line, strict=False))
    return records


def predictions_jsonl(run: RunResult) -> str:
    lines = [record.model_dump_json(exclude_unset=True) for record in prediction_records(run)]
    return "\n".join(lines) + ("\n" if lines else "")
