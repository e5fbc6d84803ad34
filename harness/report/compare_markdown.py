"""The Markdown of a comparison: for a pull-request comment or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from harness.compare_record import ChangedSummary, Comparison, FlippedAnswer
from harness.report.format import score, signed
from harness.report.markdown import Raw, _cell, _code, _table


def _significance(significant: bool | None, note: str | None) -> str:
    return (note or "not tested") if significant is None else "yes" if significant else "no"


def _model(base: str, cand: str) -> str:
    return cand if base == cand else f"{base} → {cand}"


def compare_markdown(comparison: Comparison) -> str:
    verdict = "PASS" if comparison.passed else "FAIL"
    if comparison.passed and comparison.untestable:
        verdict += f" ({len(comparison.untestable)} gate check(s) could not be tested: too few items)"
    out = [f"# Comparison: {verdict}", "", f"Baseline {_code(comparison.baseline)} → candidate {_code(comparison.candidate)}.", ""]
    if comparison.findings:
        out += ["## What the candidate lost", "", *(f"- {_cell(finding)}" for finding in comparison.findings), ""]
    if comparison.gates:
        rows = [
            [("⚠️ untested" if g.untestable else "✅ pass" if g.passed else "❌ fail"), g.gate, g.rule, _model(g.baseline_model, g.candidate_model),
             score(g.mde), "" if g.n is None else str(g.n), g.detail]
            for g in comparison.gates
        ]
        out += ["## Gates", "", *_table(["result", "gate", "rule", "model", "MDE", "n", "detail"], rows), ""]
        warnings = [g for g in comparison.gates if g.warning]
        if warnings:
            out += [*(f"- ⚠️ {_code(g.gate)} ({_cell(_model(g.baseline_model, g.candidate_model))}): {_cell(g.warning)}" for g in warnings), "",
                    "A gate whose MDE exceeds its max_drop cannot reliably catch a regression of that size: add items to the eval set "
                    "or allow a larger drop.", ""]
    else:
        out += ["No gates were given: this is a report, not a check.", ""]
    rows = []
    for d in comparison.deltas:
        model = d.candidate_model if d.baseline_model == d.candidate_model else f"{d.baseline_model} → {d.candidate_model}"
        rows.append([model, f"{d.task}.{d.metric}", str(d.n), score(d.baseline_mean), score(d.candidate_mean), signed(d.delta),
                     f"[{score(d.ci[0])}, {score(d.ci[1])}]", score(d.p_value, 3), _significance(d.significant, d.significance_note), score(d.mde)])
    out += ["## Deltas", "", *_table(["model", "metric", "n", "baseline", "candidate", "delta", "95% CI", "p", "significant", "MDE"], rows), ""]
    out += [f"CI: {comparison.methods['ci']}. p: {comparison.methods['p_value']}. Significant: p < 0.05 and the interval excludes 0; "
            "fewer than 6 shared items cannot reach p < 0.05, so they are not tested. "
            "MDE: the smallest drop detectable at 80% power (two-sided α=0.05) on n items, (1.96 + 0.84) · sd_D / √n, with sd_D the "
            "larger of √2 × the baseline's per-item sd (the candidate as an independent re-draw) and the sd of the paired differences.", ""]
    excluded = {k: v for k, v in {**{f"baseline only ({m})": i for m, i in comparison.only_in_baseline.items()}, **{f"candidate only ({m})": i for m, i in comparison.only_in_candidate.items()}}.items() if v}
    if excluded:
        out += ["## Items in only one run (excluded)", ""] + [f"- {_cell(label)}: " + ", ".join(_cell("/".join(map(str, k))) for k in items) for label, items in excluded.items()] + [""]
    summaries = [c for c in comparison.changed if isinstance(c, ChangedSummary)]
    flips = [c for c in comparison.changed if isinstance(c, FlippedAnswer)]
    if summaries:
        rows = [[c.model, c.article_id, f"{c.metric} {c.delta:+.4f}", c.baseline, c.candidate] for c in summaries]
        out += ["## Summaries that changed most", "", *_table(["model", "article", "delta", "baseline summary", "candidate summary"], rows), ""]
    if flips:
        rows = [[c.model, f"{c.article_id}/{c.item_id}", Raw(c.flip), c.baseline, c.candidate] for c in flips]  # flip: "right->wrong", made by compare
        out += ["## Questions that flipped", "", *_table(["model", "question", "flip", "baseline answer", "candidate answer"], rows), ""]
    return "\n".join(out) + "\n"


def compare_json(comparison: Comparison) -> str:
    """compare.json: the comparison's `model_dump_json` (indent 2, a trailing newline); read it
    back with `Comparison.model_validate_json`."""
    return comparison.model_dump_json(indent=2) + "\n"
