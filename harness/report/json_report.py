"""report.json (scores and provenance) and predictions.jsonl (every output with its scores).

The schema is documented in README.md ("Report schema"); bump SCHEMA_VERSION on any change a
reader would notice.
"""

from __future__ import annotations

import json

from harness.records import SCHEMA_VERSION, ModelResult, RunResult


def _model_entry(model: ModelResult) -> dict:
    return {
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


def _round(value, digits: int = 3):
    return None if value is None else round(value, digits)


def report_json(run: RunResult) -> str:
    report = {
        "schema_version": SCHEMA_VERSION,
        "provenance": run.provenance,
        "eval_set": run.eval_set,
        "scoring": run.scoring,
        "config": run.config,
        "models": [_model_entry(m) for m in run.models],
        "pairwise": run.pairwise,
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def predictions_jsonl(run: RunResult) -> str:
    answers = {(a.id, q.id): list(q.answers) for a in run.articles for q in a.questions}
    lines = []
    for model in run.models:
        for item in model.items:
            request = item.generation.request
            line = {
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
            lines.append(json.dumps(line, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")
