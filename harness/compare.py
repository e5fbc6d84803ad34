"""Two runs -> paired differences per model and metric, gate verdicts, the items that changed.

Items are matched by (article id, task, item id); only items present in both runs enter a
statistic, and the others are listed. Intervals come from a paired bootstrap over the shared
items, p-values from a paired sign-flip permutation test (metrics/stats.py); both are seeded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from harness.compare_record import CI_METHOD, P_VALUE_METHOD, ChangedSummary, Comparison, FlippedAnswer, GateResult, MetricDelta
from harness.errors import HarnessError
from harness.evalset import same_eval_set
from harness.gates import Gate, check_gate_key
from harness.metrics import mde as mde_of
from harness.metrics import stats
from harness.run_files import read_run

__all__ = ["CI_METHOD", "P_VALUE_METHOD", "ChangedSummary", "Comparison", "FlippedAnswer", "GateResult", "MetricDelta", "Side",
           "check_comparable", "compare", "load_side", "model_pairs", "pairwise_within_run"]


@dataclass
class Side:
    """One run as compare reads it."""

    path: Path
    report: dict
    scores: dict[str, dict[tuple, dict[str, float]]]
    """model -> (article_id, task, item_id) -> metric -> value."""
    outputs: dict[str, dict[tuple, str]]


def load_side(path: str | Path) -> Side:
    """A run folder or its report.json, validated for what compare reads (run_files.read_run)."""
    path = Path(path)
    if path.is_file() and path.name != "report.json":
        raise HarnessError(f"{path}: not a report.json; give a run folder or the report.json in it")
    run_dir = path.parent if path.is_file() else path
    report, predictions = read_run(run_dir, full=False)
    scores: dict = {}
    outputs: dict = {}
    for line in predictions:
        key = (line["article_id"], line["task"], line["item_id"])
        scores.setdefault(line["model"], {})[key] = line["scores"]
        outputs.setdefault(line["model"], {})[key] = line["output"]
    return Side(run_dir, report, scores, outputs)


def check_comparable(baseline: Side, candidate: Side) -> None:
    """Refuse reports that were scored differently or on different eval sets."""
    problems = []
    b_sig, c_sig = baseline.report["scoring"].get("signature"), candidate.report["scoring"].get("signature")
    if not same_scoring(b_sig, c_sig):
        problems.append(f"scorer signatures differ ({b_sig} vs {c_sig})")
    b_set, c_set = baseline.report["eval_set"]["sha256"], candidate.report["eval_set"]["sha256"]
    if not same_eval_set(baseline.report["eval_set"], candidate.report["eval_set"]):
        problems.append(f"eval sets differ (sha256 {b_set[:12]} vs {c_set[:12]})")
    if problems:
        raise HarnessError(f"{candidate.path / 'report.json'}: not comparable with {baseline.path / 'report.json'}: "
                           + "; ".join(problems) + " (pass --force to compare anyway)")


# Signature entries of numbers compare never pairs or gates: the summary statistics (coverage and
# density) are shown in each report, not compared, so a machine without spaCy (builtin tokens) can
# still compare its run with a baseline made with it.
UNCOMPARED_SIGNATURES = frozenset({"summary_stats"})


def same_scoring(baseline: object, candidate: object) -> bool:
    """Whether two reports' scorer signatures ({scorer: signature}) agree on every scorer both
    have. A scorer only one report has (a metric added to the harness after the baseline was
    made, or a plugin installed on one side) is no difference: its metrics exist on one side
    only, so no delta pairs them and a gate on one fails as absent from the baseline."""
    if isinstance(baseline, dict) and isinstance(candidate, dict):
        shared = (baseline.keys() & candidate.keys()) - UNCOMPARED_SIGNATURES
        return bool(shared) and all(baseline[name] == candidate[name] for name in shared)
    return baseline == candidate


def model_pairs(baseline: Side, candidate: Side, explicit: list[str]) -> list[tuple[str, str]]:
    if explicit:
        pairs = []
        for text in explicit:
            base, sep, cand = text.partition(":")
            if not sep or base not in baseline.scores or cand not in candidate.scores:
                raise HarnessError(
                    f"--pair {text!r}: write BASE_MODEL:CAND_MODEL with models that have outputs; "
                    f"baseline has {sorted(baseline.scores)}, candidate has {sorted(candidate.scores)}"
                )
            pairs.append((base, cand))
        return pairs
    # every baseline model that the candidate also lists, even as failed: compare() fails its gates
    listed = {entry.get("name") for entry in candidate.report.get("models", [])} | set(candidate.scores)
    pairs = [(name, name) for name in baseline.scores if name in listed]
    if not pairs:
        raise HarnessError(
            f"no model name is in both runs (baseline: {sorted(baseline.scores)}, candidate: {sorted(candidate.scores)}); use --pair BASE:CAND"
        )
    return pairs


def compare(baseline: Side, candidate: Side, pairs: list[tuple[str, str]], gates: dict[str, Gate], resamples: int = 1000, seed: int = 0) -> Comparison:
    result = Comparison(baseline=str(baseline.path), candidate=str(candidate.path), pairs=pairs, deltas=[], gates=[])
    # (baseline model, candidate model) -> task -> why the candidate lacks that task's items
    lost: dict[tuple[str, str], dict[str, str]] = {}
    candidate_status = {entry.get("name"): entry for entry in candidate.report.get("models", []) if isinstance(entry, dict)}
    listed = set(candidate_status) | set(candidate.scores)
    paired = {base for base, _ in pairs}
    for vanished in (name for name in baseline.scores if name not in paired and name not in listed):
        lost[(vanished, vanished)] = {key[1]: "is missing from the candidate run" for key in baseline.scores[vanished]}
    for base_model, cand_model in pairs:
        b_items, c_items = baseline.scores.get(base_model, {}), candidate.scores.get(cand_model, {})
        shared = [key for key in b_items if key in c_items]
        label = base_model if base_model == cand_model else f"{base_model}:{cand_model}"
        result.only_in_baseline[label] = [list(k) for k in b_items if k not in c_items]
        result.only_in_candidate[label] = [list(k) for k in c_items if k not in b_items]
        entry = candidate_status.get(cand_model) or {}
        if entry.get("status") == "failed":
            lost[(base_model, cand_model)] = {key[1]: f"failed in the candidate run: {entry.get('error') or 'no error recorded'}" for key in b_items}
        else:
            for task in dict.fromkeys(key[1] for key in b_items):
                total = sum(1 for key in b_items if key[1] == task)
                missing = sum(1 for key in b_items if key[1] == task and key not in c_items)
                if missing:
                    lost.setdefault((base_model, cand_model), {})[task] = f"lost {missing} of {total} {task} items in the candidate run"
        metrics = _metrics(b_items, c_items, shared)
        for task, metric in metrics:
            keys = [k for k in shared if k[1] == task and metric in b_items[k] and metric in c_items[k]]
            base = [b_items[k][metric] for k in keys]
            cand = [c_items[k][metric] for k in keys]
            result.deltas.append(_delta(base_model, cand_model, task, metric, base, cand, resamples, seed))
        result.changed += _changed(baseline, candidate, base_model, cand_model, shared)
    for (base_model, cand_model), reasons in lost.items():
        for reason in reasons.values():
            name = cand_model if base_model == cand_model else f"{base_model} → {cand_model}"
            finding = f"{name} {reason}"
            if finding not in result.findings:
                result.findings.append(finding)
    for key, gate in gates.items():
        task, metric = check_gate_key(key)
        for delta in (d for d in result.deltas if (d.task, d.metric) == (task, metric)):
            result.gates += _apply(key, gate, delta)
        # a model that failed, vanished or lost items fails every gate on that task: a gate that
        # cannot see the candidate's items must not pass
        for (base_model, cand_model), reasons in lost.items():
            if task in reasons:
                result.gates.append(GateResult(gate=key, baseline_model=base_model, candidate_model=cand_model, kind="complete", passed=False,
                                               detail=f"{cand_model} {reasons[task]}"))
        if not any(g.gate == key for g in result.gates):
            result.gates.append(GateResult(gate=key, baseline_model="-", candidate_model="-", kind="present", passed=False, detail=f"no model has {key} in both runs"))
    return result


def _metrics(b_items, c_items, shared) -> list[tuple[str, str]]:
    seen = []
    for key in shared:
        for metric in b_items[key]:
            if metric in c_items[key] and (key[1], metric) not in seen:
                seen.append((key[1], metric))
    return seen


def _delta(base_model, cand_model, task, metric, base, cand, resamples, seed) -> MetricDelta:
    paired = stats.paired_bootstrap(base, cand, resamples=resamples, seed=seed)
    p_value = stats.paired_permutation_pvalue(base, cand, seed=seed) if base else None
    # the gate's power against a regression, not against this candidate: metrics/mde.py says why;
    # one item leaves no test any power (infinite), none leaves nothing to say (None)
    mde = mde_of.comparison_mde(base, paired["sd_diff"]) if len(base) >= 2 else math.inf if base else None
    mean = lambda values: sum(values) / len(values) if values else None  # noqa: E731
    significant, note = stats.significance(len(base), paired["ci"], p_value)
    return MetricDelta(baseline_model=base_model, candidate_model=cand_model, task=task, metric=metric, n=len(base), baseline_mean=mean(base),
                       candidate_mean=mean(cand), delta=paired["delta"], ci=paired["ci"], p_value=p_value, sd_diff=paired["sd_diff"],
                       baseline_sd=mde_of.baseline_sd(base), mde=mde,
                       significant=significant, significance_note=note)


def _apply(key: str, gate: Gate, delta: MetricDelta) -> list[GateResult]:
    out = []
    common: dict = dict(gate=key, baseline_model=delta.baseline_model, candidate_model=delta.candidate_model)
    if gate.max_drop is not None:
        drop = -(delta.delta or 0.0)
        too_large = drop > gate.max_drop
        significant_drop = delta.significant is True and (delta.delta or 0.0) < 0
        untestable = too_large and gate.require_significance and delta.significant is None
        failed = too_large and (significant_drop or not gate.require_significance)
        why = f"delta {delta.delta or 0.0:+.4f} (allowed drop {gate.max_drop:.4f}); 95% CI [{_f(delta.ci[0])}, {_f(delta.ci[1])}], p {_f(delta.p_value, 3)}"
        if untestable:
            why += (f": {delta.significance_note}, so this significance gate cannot fail; add items (n ≥ {stats.min_items_to_test()}) "
                    "or set require_significance: false to gate on the point estimate")
        elif too_large and not failed:
            why += ": not significant"
        out.append(GateResult(kind="max_drop", threshold=gate.max_drop, passed=not failed, detail=why, mde=delta.mde, n=delta.n, untestable=untestable, **common))
    if gate.min is not None:
        value = delta.candidate_mean
        passed = value is not None and value >= gate.min
        out.append(GateResult(kind="min", threshold=gate.min, passed=passed, detail=f"candidate mean {_f(value)} vs min {gate.min}", **common))
    return out


def _f(value, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _changed(baseline: Side, candidate: Side, base_model: str, cand_model: str, shared: list[tuple]) -> list[ChangedSummary | FlippedAnswer]:
    """Summaries whose ROUGE moved most and questions that flipped right <-> wrong."""
    b_scores, c_scores = baseline.scores.get(base_model, {}), candidate.scores.get(cand_model, {})
    out: list[ChangedSummary | FlippedAnswer] = []
    summaries = [k for k in shared if k[1] == "summary"]
    # a ROUGE type both runs scored on every summary (their rouge_types may differ)
    metric = next((m for m in ("rougeLsum", "rougeL", "rouge1", "rouge2") if all(m in b_scores[k] and m in c_scores[k] for k in summaries)), None)
    if metric:
        moved = sorted(summaries, key=lambda k: -abs(c_scores[k][metric] - b_scores[k][metric]))[:5]
        for k in moved:
            delta = c_scores[k][metric] - b_scores[k][metric]
            if delta:
                out.append(ChangedSummary(model=cand_model, article_id=k[0], item_id=k[2], metric=metric, delta=delta,
                                          baseline=baseline.outputs[base_model][k], candidate=candidate.outputs[cand_model][k]))
    for k in (k for k in shared if k[1] == "qa"):
        before, after = b_scores[k].get("exact_match"), c_scores[k].get("exact_match")
        if before is not None and after is not None and before != after:
            out.append(FlippedAnswer(model=cand_model, article_id=k[0], item_id=k[2], flip="right->wrong" if before > after else "wrong->right",
                                     baseline=baseline.outputs[base_model][k], candidate=candidate.outputs[cand_model][k]))
    return out


def pairwise_within_run(models, resamples: int = 1000, seed: int = 0) -> list[dict]:
    """Every pair of a run's models on every shared metric: delta, paired 95% CI, p-value, and
    whether the difference is significant (None, with the reason, when n is too small to test).
    `models` are ModelResults with scored items."""
    scored = {m.name: {(i.generation.request.article_id, i.generation.request.task, i.generation.request.item_id): i.scores for i in m.items}
              for m in models if m.status == "ok" and m.items}
    names = list(scored)
    out = []
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            shared = [k for k in scored[first] if k in scored[second]]
            for task, metric in _metrics(scored[first], scored[second], shared):
                # an item may lack a metric (fact_recall of an article without questions)
                keys = [k for k in shared if k[1] == task and metric in scored[first][k] and metric in scored[second][k]]
                delta = _delta(first, second, task, metric, [scored[first][k][metric] for k in keys],
                               [scored[second][k][metric] for k in keys], resamples, seed)
                out.append({"a": first, "b": second, "task": task, "metric": metric, "n": delta.n, "delta_b_minus_a": delta.delta,
                            "ci95": delta.ci, "p_value": delta.p_value, "significant": delta.significant,
                            "significance_note": delta.significance_note})
    return out
