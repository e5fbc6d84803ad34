"""report.html and compare.html: one self-contained page a person opens from disk.

Self-contained means the page asks the network for nothing: the CSS and the few lines of
JavaScript (sortable tables) are inlined from templates/, charts are inline SVG drawn in
Python (svg_chart.py), and fonts are the system's. It opens from a file:// URL, offline.

Everything a model wrote, and everything from the eval set or the config, is untrusted text:
the templates are rendered by jinja2 with autoescape on, and nothing from a run is ever marked
safe. The only `Markup` here is our own: the inlined CSS/JS files and the SVG charts, whose
text content goes through `markupsafe.escape` (svg_chart.py).

This module only shapes the records into plain dicts and lists (`_run_context`,
`_compare_context`); the layout is in templates/report.html.j2 and templates/compare.html.j2.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from harness.compare import Comparison
from harness.metrics.qa import VERDICTS
from harness.records import TASKS, Article, RunResult, ScoredItem
from harness.report import leaderboard
from harness.report.markdown import STAT_LABELS
from harness.report.svg_chart import DeltaRow, Point, delta_chart, interval_chart, model_colours

TEMPLATES = Path(__file__).parent / "templates"

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

HIGHLIGHT_N = 2
"""Summaries highlight the word n-grams (bigrams) they share with their best reference."""

HIGHLIGHT_PREFERENCE = ("rougeLsum", "rougeL", "rouge2", "rouge1")
"""Which ROUGE type's best reference a summary is highlighted against: the first present."""


# --------------------------------------------------------------------------------------------
# public API


def report_html(run: RunResult) -> str:
    """The whole run as one self-contained HTML page (report.html)."""
    return _render("report.html.j2", _run_context(run))


def compare_html(comparison: Comparison) -> str:
    """A comparison (gates, deltas, the items that changed) as one self-contained HTML page."""
    return _render("compare.html.j2", _compare_context(comparison))


# --------------------------------------------------------------------------------------------
# rendering


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: model outputs are untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(score=_score, ci=_ci, pct=_pct, num=_num, signed=_signed, sortkey=_sortkey)
    return env


def _render(template: str, context: dict) -> str:
    js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    static = {
        # Our own files, inlined verbatim; neither may contain "</style>" / "</script>".
        "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "js": Markup(js),
        # the page's Content-Security-Policy lets exactly this script run, and no other
        "script_hash": "sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii"),
    }
    return _environment().get_template(template).render(**static, **context)


def _score(value, digits: int = 4) -> str:
    return leaderboard.NOT_APPLICABLE if value is None else f"{value:.{digits}f}"


def _ci(ci, digits: int = 3) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def _signed(value, digits: int = 4) -> str:
    return leaderboard.NOT_APPLICABLE if value is None else f"{value:+.{digits}f}"


def _sortkey(value) -> str:
    """The data-sort attribute of a numeric cell: the number, or "" (always sorted last)."""
    return "" if value is None else repr(float(value))


# --------------------------------------------------------------------------------------------
# text helpers: highlights and diffs (both produce [(text, marked)] segments the template
# escapes piece by piece, so no model text is ever turned into markup)

# Tokenisation for highlighting only (not for scoring): a word is a maximal run of Unicode
# letters/digits/underscore (`\w+`), compared case-folded and unstemmed, so the marks fall on the
# literal words a reader sees. ROUGE's own tokenizer (metrics/tokenize.py) also stems and keeps
# only [a-z0-9], so a highlight can differ slightly from what ROUGE counted: "meets"/"meet"
# match for ROUGE (stemmed) but are not marked here. Punctuation never forms an n-gram, and
# n-grams may span a sentence boundary ("Singapore. The" is the bigram singapore the).
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]


def _ngrams(words: list[tuple[int, int, str]], n: int) -> set[tuple[str, ...]]:
    return {tuple(w[2] for w in words[i : i + n]) for i in range(len(words) - n + 1)}


def shared_ngram_segments(text: str, other: str, n: int = HIGHLIGHT_N) -> list[tuple[str, bool]]:
    """`text` cut into (piece, marked) segments, marked where a word n-gram of `text` also occurs
    in `other`. Adjacent marked words merge into one segment (with the space between them)."""
    words = _words(text)
    theirs = _ngrams(_words(other), n)
    marked = [False] * len(words)
    for i in range(len(words) - n + 1):
        if tuple(w[2] for w in words[i : i + n]) in theirs:
            for j in range(i, i + n):
                marked[j] = True
    segments: list[tuple[str, bool]] = []
    pos, i = 0, 0
    while i < len(words):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and marked[j + 1]:
            j += 1
        start, end = words[i][0], words[j][1]
        if start > pos:
            segments.append((text[pos:start], False))
        segments.append((text[start:end], True))
        pos, i = end, j + 1
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments


_TOKEN_WITH_SPACE = re.compile(r"\S+\s*|\s+")


def diff_segments(before: str, after: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Word-level diff: `before` with its removed words marked, `after` with its added words
    marked (difflib over whitespace-separated words, compared case-folded)."""
    a, b = _TOKEN_WITH_SPACE.findall(before), _TOKEN_WITH_SPACE.findall(after)
    matcher = difflib.SequenceMatcher(a=[t.strip().casefold() for t in a], b=[t.strip().casefold() for t in b], autojunk=False)
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), tag != "equal"))
    return left, right


# --------------------------------------------------------------------------------------------
# the run page


def _label(task: str, metric: str) -> str:
    return f"{task}.{leaderboard.SHORT.get(metric, metric)}"


def _key(item: ScoredItem) -> tuple[str, str, str]:
    request = item.generation.request
    return request.article_id, request.task, request.item_id


def _run_context(run: RunResult) -> dict:
    names = [m.name for m in run.models]
    colours = model_colours(names)
    items = {m.name: {_key(i): i for i in m.items} for m in run.models}
    prov = run.provenance
    config_path = prov.get("config_path") or ""
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
        "qa_grid": _qa_grid(run, items),
        "articles": [_article(run, article, items) for article in run.articles],
        "summary_statistics": _summary_statistics(run),
        "efficiency": _efficiency(run),
        "scoring": run.scoring,
        "config_json": json.dumps(run.config, indent=2, ensure_ascii=False, default=str),
        "provenance_rows": _provenance_rows(prov),
        "not_applicable": leaderboard.NOT_APPLICABLE,
    }


def _leaderboard(run: RunResult) -> dict:
    columns = leaderboard.columns(run)
    rows: list[dict[str, Any]] = []
    for model in run.models:
        cells: list[dict[str, Any]] = []
        for task, metric in columns:
            if model.status != "ok":
                cells.append({"kind": "failed"})
            elif model.metrics.get(task) is None:
                cells.append({"kind": "na"})
            else:
                summary = (model.metrics[task] or {}).get(metric) or {}
                mean = summary.get("mean")
                cells.append({"kind": "value" if mean is not None else "missing", "mean": mean, "ci": summary.get("ci95"), "n": summary.get("n")})
        rows.append({"model": model, "cells": cells})
    # the best mean of each column is shown in bold (ties: all of them; none when all are equal)
    for c in range(len(columns)):
        values = [r["cells"][c]["mean"] for r in rows if r["cells"][c]["kind"] == "value"]
        best = max(values) if len(set(values)) > 1 else None
        for r in rows:
            cell = r["cells"][c]
            cell["best"] = best is not None and cell["kind"] == "value" and cell["mean"] == best
    return {"columns": [{"task": t, "metric": m, "label": _label(t, m)} for t, m in columns], "rows": rows}


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
                        "normalized": trace.get("normalized_prediction"),
                        "golds": trace.get("normalized_answers") or [],
                        # which accepted answer gave each metric its score (None when it was 0)
                        "matched": [(metric, alias) for metric, alias in (trace.get("matched_answer") or {}).items() if alias],
                        "scores": item.scores,
                    })
            rows.append({"question": question, "cells": cells})
        means = []
        for model in run.models:
            per = ((model.per_article or {}).get("qa") or {}).get(article.id) or {}
            means.append({"em": (per.get("exact_match") or {}).get("mean"), "f1": (per.get("f1") or {}).get("mean"),
                          "na": model.status == "ok" and model.metrics.get("qa") is None, "failed": model.status != "ok"})
        groups.append({"article": article, "rows": rows, "means": means})
    return groups


def _article(run: RunResult, article: Article, items: dict) -> dict:
    references = {r.id: r for r in article.references}
    rouge_types = list(run.scoring.get("rouge_types") or [])
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
        best = (item.trace or {}).get("best_reference") or {}
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
        })
    return {"article": article, "summaries": summaries}


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


# --------------------------------------------------------------------------------------------
# the comparison page


def _compare_context(comparison: Comparison) -> dict:
    def model_label(base: str, cand: str) -> str:
        return cand if base == cand else f"{base} → {cand}"

    gates = []
    for g in comparison.gates:
        underpowered = False
        if g.mde is not None and g.rule.startswith("max_drop="):
            try:
                underpowered = g.mde > float(g.rule.split("=", 1)[1])
            except ValueError:
                pass
        gates.append({"gate": g, "model": model_label(g.baseline_model, g.candidate_model), "underpowered": underpowered})
    deltas: list[dict[str, Any]] = [{"d": d, "model": model_label(d.baseline_model, d.candidate_model), "label": _label(d.task, d.metric)} for d in comparison.deltas]
    charts = []
    for task in dict.fromkeys(d.task for d in comparison.deltas):
        rows = [DeltaRow(f"{x['model']} · {leaderboard.SHORT.get(x['d'].metric, x['d'].metric)}", x["d"].delta, x["d"].ci[0] if x["d"].ci else None,
                         x["d"].ci[1] if x["d"].ci else None, x["d"].significant) for x in deltas if x["d"].task == task]
        charts.append({"task": task, "svg": delta_chart(rows, title=f"{task}: candidate − baseline")})
    summaries, flips = [], []
    for change in comparison.changed:
        if change.get("kind") == "summary":
            left, right = diff_segments(change.get("baseline") or "", change.get("candidate") or "")
            summaries.append({**change, "left": left, "right": right})
        elif change.get("kind") == "qa":
            flips.append(change)
    excluded = []
    for label, side in (("baseline only", comparison.only_in_baseline), ("candidate only", comparison.only_in_candidate)):
        for model, keys in side.items():
            if keys:
                excluded.append({"label": f"{label} ({model})", "entries": ["/".join(map(str, k)) for k in keys]})
    return {
        "title": f"Comparison: {'PASS' if comparison.passed else 'FAIL'}",
        "c": comparison,
        "passed": comparison.passed,
        "gates": gates,
        "n_failed": sum(1 for g in comparison.gates if not g.passed),
        "n_untestable": len(comparison.untestable),
        "deltas": deltas,
        "charts": charts,
        "summaries": summaries,
        "flips": flips,
        "excluded": excluded,
        "pairs": [model_label(b, c) for b, c in comparison.pairs],
    }


__all__ = ["report_html", "compare_html", "shared_ngram_segments", "diff_segments"]
