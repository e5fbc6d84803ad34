"""report.md: the leaderboard, then per article the summaries beside the references and a QA
table (question, gold, each model's answer with EM/F1)."""

from __future__ import annotations

import re

from harness import answerable
from harness.metrics.facts import fact_recall, key_facts
from harness.postprocess import extraction_steps
from harness.records import RunResult
from harness.report import format as fmt
from harness.report import leaderboard
from harness.scorers.fact_recall import in_run as scores_facts
from harness.scorers.fact_recall import recorded_facts

LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
"""Every character str.splitlines() breaks at (CR LF, a bare CR, VT, FF, U+001C-U+001E, U+0085, U+2028, U+2029):
one of them in an output would end a table row, a heading or a list item."""
_NOT_IN_CODE = re.compile(r"[`<>&\\\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class Raw(str):
    """Text the harness wrote itself and knows to be Markdown-safe (a label such as
    "right->wrong"): `_table` leaves it as it is. Never wrap anything read from a file in it."""


def _cell(text) -> str:
    """Untrusted text (outputs, references, titles, ids, questions, answers, model names,
    errors, paths) made inert for one line of Markdown: a table cell, a heading or a list item.

    `&`, `<` and `>` become HTML entities (GitHub renders raw HTML, so `<script>` must arrive
    as `&lt;script&gt;` and show as text); `\\`, `|` and backticks are backslash-escaped (a
    pipe would split a table row, a backtick open a code span in which entities are not
    decoded); every line break (\\n, \\r\\n, a bare \\r, U+2028, ...) becomes a space, since it
    would end the row, heading or item. Empty text becomes one space (an empty cell)."""
    text = str(text)
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("`", "\\`")
    return LINE_BREAKS.sub(" ", text).strip() or " "


def _code(text) -> str:
    """Untrusted text shown as `code` when it is safe verbatim there (inside a code span
    nothing is escaped or decoded), else as _cell text. Not for table cells (`|`)."""
    text = str(text)
    return f"`{text}`" if text.strip() and not _NOT_IN_CODE.search(text) else _cell(text)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Every cell goes through _cell, except Raw ones."""
    show = lambda cell: cell if isinstance(cell, Raw) else _cell(cell)  # noqa: E731
    lines = ["| " + " | ".join(show(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(show(c) for c in row) + " |" for row in rows]
    return lines


def report_markdown(run: RunResult) -> str:
    prov = run.provenance
    out = [
        "# Evaluation report",
        "",
        f"Config {_code(prov.get('config_path'))} (sha256 {_code(str(prov.get('config_sha256'))[:12])}), eval set "
        f"{_code(run.eval_set.get('path'))}: {_cell(run.eval_set.get('articles'))} article(s), "
        f"{_cell(run.eval_set.get('questions'))} question(s). Started {_cell(prov.get('started_at'))}, finished {_cell(prov.get('finished_at'))}.",
        "",
        "Scorer signatures: " + " · ".join(_code(sig) for sig in (run.scoring.get("signature") or {}).values()),
        "",
        "## Leaderboard",
        "",
        *_table(leaderboard.header(run), leaderboard.rows(run, with_ci=True)),
        "",
        f"Means over items with a 95% interval (seeded percentile bootstrap over items). Summary "
        f"scores are ROUGE F-measures ({_cell(run.scoring.get('rouge'))}); QA scores follow {_cell(run.scoring.get('qa'))}. "
        f"`{fmt.NOT_APPLICABLE}`: the model does not do the task; `{fmt.MISSING}`: no value (the model failed, or nothing was scored).",
        "",
    ]
    truncated = [m for m in run.models if m.truncated_items]
    if truncated:
        out += ["Articles cut to fit the context window (`context_overflow: truncate`; the end of the article was dropped): "
                + "; ".join(f"{_cell(m.name)}: {m.truncated_items} item(s)" for m in truncated)
                + ". Their scores are on shortened articles; predictions.jsonl has `truncated_tokens` per item.", ""]
    out += _pairwise(run) + _verdicts(run) + _summary_statistics(run) + _answerable(run) + _per_article(run)
    failed = [m for m in run.models if m.status != "ok"]
    if failed:
        out += ["## Failed models", ""] + [f"- **{_cell(m.name)}**: {_cell(m.error)}" for m in failed] + [""]
    out += _timing(run)
    for article in run.articles:
        out += _article_section(run, article)
    return "\n".join(out) + "\n"


def _pairwise(run: RunResult) -> list[str]:
    if not run.pairwise:
        return []
    significant = [p for p in run.pairwise if p["significant"]]
    untestable = [p for p in run.pairwise if p["significant"] is None]
    rows = [[f"{p['b']} − {p['a']}", f"{p['task']}.{p['metric']}", str(p["n"]), fmt.signed(p.get("delta_b_minus_a")),
             f"[{fmt.score((p.get('ci95') or [None, None])[0])}, {fmt.score((p.get('ci95') or [None, None])[-1])}]",
             fmt.score(p.get("p_value"), 3)] for p in significant]
    text = (f"{len(significant)} of {len(run.pairwise)} pairwise differences are significant: p < 0.05 in a paired sign-flip "
            "permutation test and a paired bootstrap 95% interval (over shared items) that excludes 0. ")
    if untestable:
        counts = ", ".join(sorted({f"{p['task']} (n = {p['n']})" for p in untestable}))
        text += (f"{len(untestable)} have too few items to test (fewer than 6 shared items cannot reach p < 0.05): "
                 f"{_cell(counts)}. ")
    text += "With few items, most differences are not significant: read the leaderboard with that in mind."
    return ["## Significant differences between models", "", text, ""] + (_table(["difference", "metric", "n", "delta", "95% CI", "p"], rows) + [""] if rows else [])


def _verdicts(run: RunResult) -> list[str]:
    models = [m for m in run.models if m.qa_verdicts]
    if not models:
        return []
    names = list(models[0].qa_verdicts or {})
    rows = [[m.name, *(fmt.percent((m.qa_verdicts or {}).get(v)) for v in names)] for m in models]
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
    keys = [k for k in STAT_LABELS if any(k in (m.summary_statistics or {}) for m in models)]
    rows = [[m.name, *(fmt.score((m.summary_statistics or {}).get(k, {}).get("mean"))[:6] for k in keys)] for m in models]
    note = ("Means over summaries. compression: article words per summary word; novel n-grams: share not in the article "
            "(how abstractive); repeated: share repeating an earlier n-gram (loops); coverage and density: extractive "
            "fragments of Grusky et al. (2018), as HELM reports them.")
    return ["## Summary statistics", "", *_table(["model", *(STAT_LABELS[k] for k in keys)], rows), "", note, ""]


def _answerable(run: RunResult) -> list[str]:
    rows = answerable.table_rows(run)
    if not rows:
        return []
    return ["## Answerable from the summary", "", *_table(answerable.HEADER, rows), "", answerable.NOTE, ""]


def _per_article(run: RunResult) -> list[str]:
    if len(run.articles) < 2:
        return []
    out = ["## Per article", ""]
    for task, metric in leaderboard.columns(run):
        rows = []
        for m in run.models:
            by_article = (m.per_article or {}).get(task)
            if by_article:
                rows.append([m.name, *(fmt.score(by_article.get(a.id, {}).get(metric, {}).get("mean")) for a in run.articles)])
        if rows:
            out += [f"**{_cell(f'{task}.{metric}')}**", "", *_table(["model", *(a.id for a in run.articles)], rows), ""]
    return out


def _timing(run: RunResult) -> list[str]:
    rows = []
    show = lambda value, fmt_string="{:.1f}": fmt.number(value, fmt_string)  # noqa: E731
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
            show(eff.get("batch_occupancy"), "{:.2f}"),
            show(eff.get("peak_memory_mb"), "{:.0f}"),
            str(m.cached_items),
        ])
    header = ["model", "load s", "generation s", "new tokens", "new tok/s", "prefill tok/s", "decode tok/s", "occupancy", "peak MB", "cached"]
    notes = ("Peak memory on CPU is the process's peak resident set (all models so far); occupancy: the share of the batches' rows x steps "
             "that produced tokens (a batch runs until its longest row stops); cached: outputs taken from the generation cache.")
    return ["## Efficiency", "", *_table(header, rows), "", notes, "", *_served(run)]


def _served(run: RunResult) -> list[str]:
    """Models behind a server: its usage counts and the client's clock (no prefill/decode split)."""
    served = [(m.name, m.efficiency["served"]) for m in run.models if (m.efficiency or {}).get("served")]
    if not served:
        return []
    show = fmt.number
    rows = [[
        name, str(s["requests"]), show(s["requests_per_second"], "{:.2f}"), str(s["prompt_tokens"]), str(s["completion_tokens"]),
        show(s["completion_tokens_per_second"], "{:.1f}"), show(s["median_latency_seconds"], "{:.3f}"),
        f"{s['concurrency_reached']} / {s['concurrency']}", str(s["retries"]),
    ] for name, s in served]
    header = ["model", "requests", "requests/s", "prompt tokens", "completion tokens", "completion tok/s", "median latency s", "concurrency reached / limit", "retries"]
    notes = "Tokens are the server's own `usage` counts; times are the client's, from the first request sent to the last answer."
    return ["## Served models", "", *_table(header, rows), "", notes, ""]


def _items_by_model(run: RunResult, article_id: str, task: str) -> dict[str, dict]:
    return {
        m.name: {i.generation.request.item_id: i for i in m.items if i.generation.request.article_id == article_id and i.generation.request.task == task}
        for m in run.models
    }


def _article_section(run: RunResult, article) -> list[str]:
    out = [f"## Article {_code(article.id)}" + (f": {_cell(article.title)}" if article.title else ""), ""]
    if article.references:
        out += ["### Summaries", "", "**References**", ""]
        out += [f"- *{_cell(r.id)}*: {_cell(r.text)}" for r in article.references] + [""]
        rouge_types = [metric for task, metric in leaderboard.columns(run) if task == "summary"]  # every scorer's
        rows = []
        for model, items in _items_by_model(run, article.id, "summary").items():
            item = items.get(article.id)
            if item is not None:
                rows.append([model, item.output, *(fmt.score(item.scores.get(t)) for t in rouge_types)])
        out += _table(["model", "summary", *rouge_types], rows) + [""]
        out += _facts_section(run, article)
    if article.questions:
        by_model = _items_by_model(run, article.id, "qa")
        rows = []
        for question in article.questions:
            row = [question.question, question.answers[0]]
            for m in run.models:
                item = by_model[m.name].get(question.id)
                if m.status != "ok":
                    row.append("failed")
                elif item is None:  # not a 0: n/a when the model answers no questions, else no output
                    row.append(fmt.placeholder("na" if m.metrics.get("qa") is None else "missing"))
                else:
                    row.append(f"{item.output} (EM {fmt.score(item.scores.get('exact_match'), 0)}, F1 {fmt.score(item.scores.get('f1'), 2)})")
            rows.append(row)
        out += ["### Questions", "", *_table(["question", "gold", *(m.name for m in run.models)], rows), ""]
        out += _extraction_section(run, article, by_model)
    return out


def _extraction_section(run: RunResult, article, by_model: dict[str, dict]) -> list[str]:
    """How each answer of the article became the scored one: the steps of its trace (every post-processing
    step that changed it, and every `regex` step; harness/postprocess.py), one row each; nothing when there are none."""
    rows = []
    for question in article.questions:
        for m in run.models:
            item = by_model[m.name].get(question.id)
            for step in extraction_steps(item.trace) if item is not None else []:
                name = step["step"] if step["matched"] else f"{step['step']} (no match: scored as empty)"
                rows.append([question.id, m.name, name, _breaks_shown(step["before"]), _breaks_shown(step["after"])])
    if not rows:
        return []
    note = ("The post-processing steps (`tasks.qa.postprocess`) that changed an answer, and every `regex` step, in the order "
            "they ran, after white space at both ends was removed; ↵ marks a line break.")
    return ["### Answer extraction", "", note, "", *_table(["question", "model", "step", "before", "after"], rows), ""]


def _breaks_shown(text: str) -> str:
    """A table cell turns line breaks into spaces; `first_line` is about them, so they stay visible."""
    return LINE_BREAKS.sub(" ↵ ", text)


CARRIED, MISSED = "✓", "✗"


def _facts_section(run: RunResult, article) -> list[str]:
    """Which key facts (the article's questions) each summary carries: the references' own
    fact_recall first (the yardstick, computed from the eval set), then a grid of facts × summaries
    from each summary's recorded trace."""
    if not scores_facts(run.scoring):
        return []
    if not article.questions:
        return ["No questions for this article, so no key facts: its summaries have no fact_recall (not 0).", ""]
    references = [(r, key_facts(r.text, article.questions)) for r in article.references]
    carried = lambda facts: sum(1 for f in facts if f["matched"] is not None)  # noqa: E731
    ref_rows = [[r.id, str(len(r.text.split())), fmt.score(fact_recall(facts)), f"{carried(facts)} of {len(facts)}"] for r, facts in references]
    columns: list[tuple[str, dict | None]] = [(f"{r.id} (reference)", {f["question_id"]: f["matched"] for f in facts}) for r, facts in references]
    for model, items in _items_by_model(run, article.id, "summary").items():
        item = items.get(article.id)
        if item is not None:
            facts = recorded_facts(item.trace)
            columns.append((model, None if facts is None else {f["question_id"]: f["matched"] for f in facts}))
    rows = []
    for question in article.questions:
        # –: no recorded facts for that summary (or none for this question: scored against another eval set)
        cells = [fmt.MISSING if matched is None or question.id not in matched else f"{CARRIED} {matched[question.id]}" if matched[question.id] else MISSED
                 for _, matched in columns]
        rows.append([f"{question.id}: {question.question}", question.answers[0], *cells])
    note = (f"{CARRIED}: the summary carries the fact, the answer shown (the gold or an alias) occurring in it as whole words after SQuAD "
            f"normalisation; {MISSED}: it does not. A summary's fact_recall is its share of {CARRIED}.")
    return ["**Reference summaries: fact_recall** (the yardstick: the same measure on the hand-written references)", "",
            *_table(["reference", "words", "fact_recall", "facts carried"], ref_rows), "",
            "**Key facts**", "", *_table(["fact", "gold", *(name for name, _ in columns)], rows), "", note, ""]
