"""report.md: the leaderboard, then per article the summaries beside the references and a QA
table (question, gold, each model's answer with EM/F1)."""

from __future__ import annotations

from harness.records import RunResult
from harness.report import leaderboard


def _cell(text) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").strip() or " "


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def report_markdown(run: RunResult) -> str:
    prov = run.provenance
    out = [
        "# Evaluation report",
        "",
        f"Config `{prov['config_path']}` (sha256 `{prov['config_sha256'][:12]}`), eval set "
        f"`{run.eval_set['path']}`: {run.eval_set['articles']} article(s), "
        f"{run.eval_set['questions']} question(s). Started {prov['started_at']}, finished {prov['finished_at']}.",
        "",
        "Scorer signatures: " + " · ".join(f"`{sig}`" for sig in run.scoring.get("signature", {}).values()),
        "",
        "## Leaderboard",
        "",
        *_table(leaderboard.header(run), leaderboard.rows(run, with_ci=True)),
        "",
        f"Means over items with a 95% interval (seeded percentile bootstrap over items). Summary "
        f"scores are ROUGE F-measures ({run.scoring['rouge']}); QA scores follow {run.scoring['qa']}. "
        f"`{leaderboard.NOT_APPLICABLE}`: the model does not do the task.",
        "",
    ]
    out += _pairwise(run) + _verdicts(run) + _summary_statistics(run) + _per_article(run)
    failed = [m for m in run.models if m.status != "ok"]
    if failed:
        out += ["## Failed models", ""] + [f"- **{m.name}**: {_cell(m.error)}" for m in failed] + [""]
    out += _timing(run)
    for article in run.articles:
        out += _article_section(run, article)
    return "\n".join(out) + "\n"


def _pairwise(run: RunResult) -> list[str]:
    if not run.pairwise:
        return []
    significant = [p for p in run.pairwise if p["significant"]]
    untestable = [p for p in run.pairwise if p["significant"] is None]
    rows = [[f"{p['b']} − {p['a']}", f"{p['task']}.{p['metric']}", str(p["n"]), f"{p['delta_b_minus_a']:+.4f}",
             f"[{p['ci95'][0]:.4f}, {p['ci95'][1]:.4f}]", f"{p['p_value']:.3f}"] for p in significant]
    text = (f"{len(significant)} of {len(run.pairwise)} pairwise differences are significant: p < 0.05 in a paired sign-flip "
            "permutation test and a paired bootstrap 95% interval (over shared items) that excludes 0. ")
    if untestable:
        counts = ", ".join(sorted({f"{p['task']} (n = {p['n']})" for p in untestable}))
        text += (f"{len(untestable)} have too few items to test (fewer than 6 shared items cannot reach p < 0.05): "
                 f"{counts}. ")
    text += "With few items, most differences are not significant: read the leaderboard with that in mind."
    return ["## Significant differences between models", "", text, ""] + (_table(["difference", "metric", "n", "delta", "95% CI", "p"], rows) + [""] if rows else [])


def _verdicts(run: RunResult) -> list[str]:
    models = [m for m in run.models if m.qa_verdicts]
    if not models:
        return []
    names = list(models[0].qa_verdicts)
    rows = [[m.name, *(f"{m.qa_verdicts[v]:.0%}" for v in names)] for m in models]
    note = ("exact: the answer is a gold answer; verbose: it contains one but says more; partial: some "
            "words right (F1 > 0); wrong: none; empty: no answer.")
    return ["## Answer verdicts", "", *_table(["model", *names], rows), "", note, ""]


STAT_LABELS = {"words": "words", "compression": "compression", "novel_1gram": "novel 1-gram", "novel_2gram": "novel 2-gram",
               "novel_3gram": "novel 3-gram", "repeated_1gram": "repeated 1-gram", "repeated_2gram": "repeated 2-gram",
               "repeated_3gram": "repeated 3-gram", "coverage": "coverage", "density": "density"}


def _summary_statistics(run: RunResult) -> list[str]:
    models = [m for m in run.models if m.summary_statistics]
    if not models:
        return []
    keys = [k for k in STAT_LABELS if any(k in m.summary_statistics for m in models)]
    rows = [[m.name, *(leaderboard.format_score(m.summary_statistics.get(k, {}).get("mean"))[:6] for k in keys)] for m in models]
    note = ("Means over summaries. compression: article words per summary word; novel n-grams: share not in the article "
            "(how abstractive); repeated: share repeating an earlier n-gram (loops); coverage and density: extractive "
            "fragments of Grusky et al. (2018), as HELM reports them.")
    return ["## Summary statistics", "", *_table(["model", *(STAT_LABELS[k] for k in keys)], rows), "", note, ""]


def _per_article(run: RunResult) -> list[str]:
    if len(run.articles) < 2:
        return []
    out = ["## Per article", ""]
    for task, metric in leaderboard.columns(run):
        rows = []
        for m in run.models:
            by_article = (m.per_article or {}).get(task)
            if by_article:
                rows.append([m.name, *(leaderboard.format_score(by_article.get(a.id, {}).get(metric, {}).get("mean")) for a in run.articles)])
        if rows:
            out += [f"**{task}.{metric}**", "", *_table(["model", *(a.id for a in run.articles)], rows), ""]
    return out


def _timing(run: RunResult) -> list[str]:
    rows = []
    show = lambda value, fmt="{:.1f}": "-" if value is None else fmt.format(value)  # noqa: E731
    for m in run.models:
        eff = m.efficiency or {}
        rows.append([
            m.name,
            show(m.load_seconds),
            show(m.generation_seconds),
            str(m.new_tokens),
            show(m.tokens_per_second),
            show(eff.get("prefill_tokens_per_second")),
            show(eff.get("decode_tokens_per_second")),
            show(eff.get("peak_memory_mb"), "{:.0f}"),
            str(m.cached_items),
        ])
    header = ["model", "load s", "generation s", "new tokens", "new tok/s", "prefill tok/s", "decode tok/s", "peak MB", "cached"]
    notes = "Peak memory on CPU is the process's peak resident set (all models so far); cached: outputs taken from the generation cache."
    return ["## Efficiency", "", *_table(header, rows), "", notes, ""]


def _items_by_model(run: RunResult, article_id: str, task: str) -> dict[str, dict]:
    return {
        m.name: {i.generation.request.item_id: i for i in m.items if i.generation.request.article_id == article_id and i.generation.request.task == task}
        for m in run.models
    }


def _article_section(run: RunResult, article) -> list[str]:
    out = [f"## Article `{article.id}`" + (f": {article.title}" if article.title else ""), ""]
    if article.references:
        out += ["### Summaries", "", "**References**", ""]
        out += [f"- *{r.id}*: {r.text}" for r in article.references] + [""]
        rouge_types = run.scoring["rouge_types"]
        rows = []
        for model, items in _items_by_model(run, article.id, "summary").items():
            item = items.get(article.id)
            if item is not None:
                rows.append([model, item.output, *(leaderboard.format_score(item.scores[t]) for t in rouge_types)])
        out += _table(["model", "summary", *rouge_types], rows) + [""]
    if article.questions:
        by_model = _items_by_model(run, article.id, "qa")
        models = [m.name for m in run.models]
        failed = {m.name for m in run.models if m.status != "ok"}
        rows = []
        for question in article.questions:
            row = [question.question, question.answers[0]]
            for model in models:
                item = by_model[model].get(question.id)
                if model in failed:
                    row.append("failed")
                elif item is None:
                    row.append(leaderboard.NOT_APPLICABLE)
                else:
                    row.append(f"{item.output} (EM {item.scores['exact_match']:.0f}, F1 {item.scores['f1']:.2f})")
            rows.append(row)
        out += ["### Questions", "", *_table(["question", "gold", *models], rows), ""]
    return out
