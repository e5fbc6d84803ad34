"""The context of compare.html (templates/compare.html.j2): a comparison shaped into plain dicts
and lists, with word diffs of the summaries that changed most."""

from __future__ import annotations

from typing import Any

from harness.compare_record import ChangedSummary, Comparison, FlippedAnswer
from harness.report import leaderboard
from harness.report.html.env import metric_label, render
from harness.report.svg_chart import DeltaRow, delta_chart
from harness.report.text_marks import diff_segments


def compare_html(comparison: Comparison) -> str:
    """A comparison (gates, deltas, the items that changed) as one self-contained HTML page."""
    return render("compare.html.j2", compare_context(comparison))


def compare_context(comparison: Comparison) -> dict:
    def model_label(base: str, cand: str) -> str:
        return cand if base == cand else f"{base} → {cand}"

    gates = [{"gate": g, "model": model_label(g.baseline_model, g.candidate_model)} for g in comparison.gates]
    deltas: list[dict[str, Any]] = [{"d": d, "model": model_label(d.baseline_model, d.candidate_model), "label": metric_label(d.task, d.metric)} for d in comparison.deltas]
    charts = []
    for task in dict.fromkeys(d.task for d in comparison.deltas):
        rows = [DeltaRow(f"{x['model']} · {leaderboard.SHORT.get(x['d'].metric, x['d'].metric)}", x["d"].delta, x["d"].ci[0] if x["d"].ci else None,
                         x["d"].ci[1] if x["d"].ci else None, x["d"].significant) for x in deltas if x["d"].task == task]
        charts.append({"task": task, "svg": delta_chart(rows, title=f"{task}: candidate − baseline")})
    summaries: list[dict[str, Any]] = []
    flips: list[FlippedAnswer] = []
    for change in comparison.changed:
        if isinstance(change, ChangedSummary):
            left, right = diff_segments(change.baseline, change.candidate)
            summaries.append({**change.model_dump(), "left": left, "right": right})
        elif isinstance(change, FlippedAnswer):
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
