"""The context of report.html (templates/report.html.j2): the run shaped into plain dicts and
lists. The layout is in the template; the cell text in format.py; the highlights in text_marks.py."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness import answerable
from harness.metrics.qa import VERDICTS
from harness.postprocess import extraction_steps
from harness.records import TASKS, Article, RunResult, ScoredItem
from harness.report import format as fmt
from harness.report import leaderboard
from harness.report.html.env import metric_label, render
from harness.report.html.facts import fact_view, question_anchor, reference_views
from harness.report.markdown import STAT_LABELS
from harness.report.svg_chart import Point, interval_chart, model_colours
from harness.report.text_marks import shared_ngram_segments
from harness.scorers.fact_recall import in_run as scores_facts
from harness.scorers.fact_recall import recorded_facts

VERDICT_TEXT = {
    "exact": "the answer is a gold answer (exact match)",
    "verbose": "contains a gold answer but says more",
    "partial": "some gold words (F1 > 0), not a whole gold answer",
    "wrong": "no gold word",
    "empty": "no answer at all",
    "na": "the model does not answer questions (e.g. Lead-k)",
    "failed": "the model failed to load or generate",
}
"""Legend text per verdict; the order of VERDICTS, then the two cells that carry no verdict."""

HIGHLIGHT_PREFERENCE = ("rougeLsum", "rougeL", "rouge2", "rouge1")
"""Which ROUGE type's best reference a summary is highlighted against: the first present."""


def report_html(run: RunResult) -> str:
    """The whole run as one self-contained HTML page (report.html)."""
    return render("report.html.j2", run_context(run))


def _key(item: ScoredItem) -> tuple[str, str, str]:
    request = item.generation.request
    return request.article_id, request.task, request.item_id


def run_context(run: RunResult) -> dict:
    names = [m.name for m in run.models]
    colours = model_colours(names)
    items = {m.name: {_key(i): i for i in m.items} for m in run.models}
    prov = run.provenance
    config_path = prov.get("config_path") or ""
    qa_grid = _qa_grid(run, items)
    facts_on = scores_facts(run.scoring)
    anchors = {row["anchor"] for group in qa_grid for row in group["rows"]}  # the QA grid's rows a fact can link to
    return {
        "title": f"Evaluation report · {Path(config_path).stem}" if config_path else "Evaluation report",
        "run": run,
        "prov": prov,
        "eval_set": run.eval_set,
        "colours": colours,
        "leaderboard": _leaderboard(run),
        "charts": _charts(run, colours),
        "failed": [m for m in run.models if m.status != "ok"],
        "truncated": [m for m in run.models if m.truncated_items],
        "pairwise": _pairwise(run),
        "verdicts": _verdict_shares(run),
        "verdict_names": list(VERDICTS),
        "verdict_text": VERDICT_TEXT,
        "qa_models": names,
        "qa_grid": qa_grid,
        "articles": [_article(run, article, items, anchors if facts_on else None) for article in run.articles],
        "summary_statistics": _summary_statistics(run),
        "answerable": {"header": answerable.HEADER, "rows": answerable.table_rows(run), "note": answerable.NOTE},
        "efficiency": _efficiency(run),
        "served": [(m.name, m.efficiency["served"]) for m in run.models if (m.efficiency or {}).get("served")],
        "scoring": run.scoring,
        "config_json": json.dumps(run.config, indent=2, ensure_ascii=False, default=str),
        "provenance_rows": _provenance_rows(prov),
    }


def _leaderboard(run: RunResult) -> dict:
    columns = leaderboard.columns(run)
    rows: list[dict[str, Any]] = []
    for model in run.models:
        # kind (value / na / failed / missing), mean, ci, n; "best" is added below
        cells: list[dict[str, Any]] = [asdict(fmt.metric_cell(model, task, metric)) for task, metric in columns]
        rows.append({"model": model, "cells": cells})
    # the best mean of each column is shown in bold (ties: all of them; none when all are equal)
    for c in range(len(columns)):
        values = [r["cells"][c]["mean"] for r in rows if r["cells"][c]["kind"] == "value"]
        best = max(values) if len(set(values)) > 1 else None
        for r in rows:
            cell = r["cells"][c]
            cell["best"] = best is not None and cell["kind"] == "value" and cell["mean"] == best
    return {"columns": [{"task": t, "metric": m, "label": metric_label(t, m)} for t, m in columns], "rows": rows}


def _charts(run: RunResult, colours: dict[str, str]) -> list[dict]:
    charts = []
    for task in TASKS:
        metrics = [m for t, m in leaderboard.columns(run) if t == task]
        series, not_applicable = [], []
        for model in run.models:
            if model.status != "ok":
                continue
            task_metrics = model.metrics.get(task)
            if task_metrics is None:
                not_applicable.append(model.name)
                continue
            points = []
            for metric in metrics:
                summary = task_metrics.get(metric) or {}
                ci = summary.get("ci95") or [None, None]
                points.append(None if summary.get("mean") is None else Point(summary["mean"], ci[0], ci[1]))
            series.append((model.name, points))
        if series and metrics:
            svg = interval_chart([leaderboard.SHORT.get(m, m) for m in metrics], series, colours, title=f"{task}: mean per metric")
            charts.append({"task": task, "svg": svg, "not_applicable": not_applicable})
    return charts


def _pairwise(run: RunResult) -> dict:
    rows = sorted(run.pairwise, key=lambda p: (not p.get("significant"), p.get("p_value") if p.get("p_value") is not None else 2.0))
    return {"rows": rows, "significant": sum(1 for p in rows if p.get("significant")),
            "untestable": sum(1 for p in rows if p.get("significant") is None)}


def _verdict_shares(run: RunResult) -> list[dict]:
    out: list[dict[str, Any]] = []
    for model in run.models:
        if model.status != "ok":
            out.append({"model": model.name, "kind": "failed", "n": None})
        elif model.metrics.get("qa") is None:
            out.append({"model": model.name, "kind": "na", "n": None})
        elif model.qa_verdicts is None:  # a report written before verdicts were recorded
            out.append({"model": model.name, "kind": "missing", "n": None})
        else:
            n = (model.metrics.get("qa") or {}).get("exact_match", {}).get("n")
            out.append({"model": model.name, "kind": "value", "shares": [(v, model.qa_verdicts.get(v, 0.0)) for v in VERDICTS], "n": n})
    return out


def _qa_grid(run: RunResult, items: dict) -> list[dict]:
    """Per article, per question, one cell per model: its verdict, answer and trace."""
    groups = []
    for article in run.articles:
        if not article.questions:
            continue
        rows: list[dict[str, Any]] = []
        for question in article.questions:
            cells: list[dict[str, Any]] = []
            for model in run.models:
                item = items[model.name].get((article.id, "qa", question.id))
                if model.status != "ok":
                    cells.append({"kind": "failed", "model": model.name})
                elif item is None:
                    # Lead-k (and any model without the qa task) answers nothing: not a 0
                    kind = "na" if model.metrics.get("qa") is None else "missing"
                    cells.append({"kind": kind, "model": model.name})
                else:
                    trace = item.trace or {}
                    cells.append({
                        "kind": "answer",
                        "model": model.name,
                        "verdict": trace.get("verdict", "unknown"),
                        "output": item.output,
                        "raw": item.generation.raw_output,
                        "extraction": extraction_steps(trace),  # the post-processing steps from raw to output
                        "normalized": trace.get("normalized_prediction"),
                        "golds": trace.get("normalized_answers") or [],
                        # which accepted answer gave each metric its score (None when it was 0)
                        "matched": [(metric, alias) for metric, alias in (trace.get("matched_answer") or {}).items() if alias],
                        "scores": item.scores,
                    })
            rows.append({"question": question, "cells": cells, "anchor": question_anchor(article.id, question.id)})
        means = []
        for model in run.models:
            per = ((model.per_article or {}).get("qa") or {}).get(article.id) or {}
            means.append({"em": (per.get("exact_match") or {}).get("mean"), "f1": (per.get("f1") or {}).get("mean"),
                          "na": model.status == "ok" and model.metrics.get("qa") is None, "failed": model.status != "ok"})
        groups.append({"article": article, "rows": rows, "means": means})
    return groups


def _article(run: RunResult, article: Article, items: dict, anchors: set[str] | None) -> dict:
    """One article's summaries; with `anchors` (the run scores fact_recall) also their key facts."""
    references = {r.id: r for r in article.references}
    rouge_types = [metric for task, metric in leaderboard.columns(run) if task == "summary"]  # every scorer's metrics
    summaries: list[dict[str, Any]] = []
    for model in run.models:
        item = items[model.name].get((article.id, "summary", article.id))
        if model.status != "ok":
            summaries.append({"model": model.name, "kind": "failed", "error": model.error})
            continue
        if item is None:
            kind = "na" if model.metrics.get("summary") is None else "missing"
            summaries.append({"model": model.name, "kind": kind})
            continue
        best = (item.trace or {}).get("best_reference")
        best = {t: r for t, r in best.items() if isinstance(r, str)} if isinstance(best, dict) else {}  # a damaged trace: no highlight
        against = next((t for t in HIGHLIGHT_PREFERENCE if t in best), next(iter(best), None))
        reference = references.get(best.get(against, "")) if against else None
        if reference is None and article.references:
            reference, against = article.references[0], None
        summaries.append({
            "model": model.name,
            "kind": "summary",
            "segments": shared_ngram_segments(item.output, reference.text) if reference else [(item.output, False)],
            "reference": reference,
            "reference_segments": shared_ngram_segments(reference.text, item.output) if reference else [],
            "against": against,
            "scores": [(t, item.scores.get(t)) for t in rouge_types if t in item.scores],
            "stats": [(STAT_LABELS.get(k, k), _stat(k, v)) for k, v in (item.stats or {}).items()],
            "raw_differs": item.generation.raw_output.strip() != item.output.strip(),
            "raw": item.generation.raw_output,
            "facts": None if anchors is None else fact_view(article, recorded_facts(item.trace), anchors),
        })
    return {"article": article, "summaries": summaries, "facts_on": anchors is not None,
            "reference_facts": [] if anchors is None else reference_views(article, anchors)}


def _stat(key: str, value) -> str:
    """One summary statistic of one summary: a count as an integer, a ratio with two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(int(value)) if key == "words" else f"{value:.2f}"


def _summary_statistics(run: RunResult) -> dict:
    stats = {m.name: m.summary_statistics for m in run.models if m.summary_statistics}
    keys = [k for k in STAT_LABELS if any(k in s for s in stats.values())]
    keys += [k for s in stats.values() for k in s if k not in keys and k not in STAT_LABELS]
    rows = [{"model": name, "cells": [(s.get(k) or {}).get("mean") for k in keys]} for name, s in stats.items()]
    return {"columns": [STAT_LABELS.get(k, k) for k in keys], "rows": rows}


def _efficiency(run: RunResult) -> list[dict]:
    rows = []
    for m in run.models:
        eff = m.efficiency or {}
        source = m.source or {}
        where = next((f"{k}: {source[k]}" for k in ("hub", "package", "path") if source.get(k)), "")
        rows.append({
            "model": m,
            "load": m.load_seconds,
            "generation": m.generation_seconds,
            "new_tokens": m.new_tokens,
            "tps": m.tokens_per_second,
            "prefill": eff.get("prefill_tokens_per_second"),
            "decode": eff.get("decode_tokens_per_second"),
            "occupancy": eff.get("batch_occupancy"),
            "peak": eff.get("peak_memory_mb"),
            "cached": m.cached_items,
            "where": where,
            "sha": source.get("sha256"),
            "source": source,
        })
    return rows


def _provenance_rows(prov: dict) -> list[tuple[str, object]]:
    """The provenance as (label, value) rows; nested dicts (git, packages) stay dicts."""
    return [(key.replace("_", " "), value) for key, value in prov.items()]
