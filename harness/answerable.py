"""Answerable from the summary: a reader model answers each article's questions with a summary as
its only context, scored with SQuAD EM/F1 against the gold answers (the QAGS / QuestEval idea,
with the eval set's fixed questions instead of generated ones).

On with `scoring: {answerable_from_summary: {reader: <model name>}}`. It runs after every model
(harness.runner.execute): the reader's own qa task (its prompt, few-shot examples, generation
parameters and answer post-processing) is used unchanged, except that the summary stands where
the article was, so its number is comparable with the reader's QA score on the full article, the
upper bound, taken over the same questions. It costs (questions x summarizing models) reader
generations, cached like every other output (a re-run generates nothing).

Each summarizing model gets a block (`BLOCK`, in report.json under its `models[i]`), and each of
its summaries a `trace["answerable"]` list with the reader's answer to every question. A reader
that fails to load or generate leaves every block `status: failed` with the error; the run and
the other scores are unaffected.
"""

from __future__ import annotations

from dataclasses import replace

from harness.metrics.qa import qa_scores
from harness.metrics.stats import mean_ci
from harness.postprocess import extract_answer
from harness.prompts import build_requests
from harness.records import ModelResult, RunResult, ScoredItem

BLOCK = "answerable_from_summary"
"""The ModelResult field (and report.json key) that holds a summarizing model's block."""
METRICS = ("exact_match", "f1")


def block_of(model: ModelResult) -> dict | None:
    """A model's block, or None (the option is off, or the model wrote no summaries)."""
    return model.answerable_from_summary


def run_phase(plan, run: RunResult, cache, console, load, generate) -> None:
    """Give every model of `run` that summarized its block. `load(model_config, plan)` and
    `generate(backend, requests, name, cache, result, console)` are the runner's own, so the
    reader loads (locally or on Ray) and caches exactly as it does for its own outputs."""
    config = plan.config
    option = config.scoring.answerable_from_summary
    if option is None:
        return
    summarizers = [m for m in run.models if m.status == "ok" and _summaries(m)]
    if not summarizers:
        return
    reader = next(m for m in config.models if m.name == option.reader)  # config validation guarantees it
    questions = {(a.id, q.id): q for a in run.articles for q in a.questions}
    # the reader's own qa requests on the full articles: examples and parameters are kept, only the context changes
    qa = config.task(reader, "qa")
    base = {(r.article_id, r.item_id): r for r in build_requests(run.articles, {"qa": qa})}
    asked: list[tuple[ModelResult, ScoredItem, list]] = []
    requests = []
    for model in summarizers:
        for item in _summaries(model):
            article_id = item.generation.request.article_id
            own = [r for key, r in base.items() if key[0] == article_id]
            mine = [replace(r, prompt=qa.prompt.format(article=item.output, question=questions[(article_id, r.item_id)].question),
                            article=item.output, truncated_tokens=0) for r in own]
            asked.append((model, item, mine))
            requests += mine
    stats = ModelResult(name=reader.name, backend=reader.backend)  # scratch: generate() records timing on a result
    try:
        generations = _answers(reader, plan, requests, cache, console, load, generate, stats) if requests else []
    except Exception as exc:  # the reader failed: every block says so, nothing else changes
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:500]
        console.print(f"[red]answerable_from_summary: reader {reader.name} failed: {error}[/red]", highlight=False)
        for model in summarizers:
            model.answerable_from_summary = {"reader": reader.name, "status": "failed", "error": error}
        return
    rules = config.qa_postprocess(reader)
    upper = _reader_items(run, reader.name)
    scores: dict[str, dict[str, list[float]]] = {m.name: {k: [] for k in METRICS} for m in summarizers}
    keys: dict[str, list[tuple[str, str]]] = {m.name: [] for m in summarizers}
    cost = {m.name: {"new_tokens": 0, "cached_items": 0} for m in summarizers}
    position = 0
    for model, item, mine in asked:
        entries = []
        for request in mine:
            generation = generations[position]
            position += 1
            key = (request.article_id, request.item_id)
            question = questions[key]
            output, _ = extract_answer(generation.raw_output, rules)
            result, _ = qa_scores(output, question.answers)
            for metric in METRICS:
                scores[model.name][metric].append(result[metric])
            keys[model.name].append(key)
            cost[model.name]["new_tokens"] += 0 if generation.cached else generation.new_tokens
            cost[model.name]["cached_items"] += int(generation.cached)
            entries.append({"question_id": question.id, "question": question.question, "answers": list(question.answers),
                            "prompt": generation.request.prompt, "raw_output": generation.raw_output, "output": output,
                            "exact_match": result["exact_match"], "f1": result["f1"], "cached": generation.cached})
        item.trace["answerable"] = entries
    resamples, seed = config.scoring.bootstrap_resamples, config.seed
    for model in summarizers:
        block = {"reader": reader.name, "status": "ok", "error": None,
                 **{metric: mean_ci(scores[model.name][metric], resamples, seed) for metric in METRICS},
                 "upper_bound": _upper_bound(upper, keys[model.name]),
                 "questions": len(keys[model.name]), "reader_new_tokens": cost[model.name]["new_tokens"],
                 "reader_cached_items": cost[model.name]["cached_items"]}
        model.answerable_from_summary = block


def _summaries(model: ModelResult) -> list[ScoredItem]:
    return [i for i in model.items if i.generation.request.task == "summary"]


def _answers(reader, plan, requests, cache, console, load, generate, stats: ModelResult):
    backend = load(reader, plan)
    try:
        if "qa" not in backend.tasks:
            raise ValueError(f"backend {reader.backend} answers no questions")
        fit = getattr(backend, "fit_to_window", None)  # as for its own prompts: an over-long one is cut or refused
        requests = fit(requests) if fit else requests
        return generate(backend, requests, f"{reader.name} (reads summaries)", cache, stats, console)
    finally:
        backend.close()


def _reader_items(run: RunResult, reader: str) -> dict[tuple[str, str], dict[str, float]] | None:
    """The reader's own full-article QA scores per (article, question); None when it did not run
    in this run (left out by --models) or failed."""
    model = next((m for m in run.models if m.name == reader and m.status == "ok"), None)
    if model is None:
        return None
    items = {(i.generation.request.article_id, i.generation.request.item_id): i.scores for i in model.items if i.generation.request.task == "qa"}
    return items or None


def _upper_bound(reader_items, keys: list[tuple[str, str]]) -> dict | None:
    """The reader's mean EM/F1 with the full article, over exactly the questions it answered from
    this model's summaries (an article without references has no summary, so no question here)."""
    if reader_items is None or not keys or any(k not in reader_items for k in keys):
        return None
    return {metric: sum(reader_items[k][metric] for k in keys) / len(keys) for metric in METRICS} | {"n": len(keys)}


HEADER = ["model", "reader", "EM from summary", "F1 from summary", "questions", "reader EM, full article", "reader F1, full article"]
NOTE = ("The reader answers every question of the article with the summary as its only context (QAGS, Wang et al. 2020; "
        "QuestEval, Scialom et al. 2021; here with the eval set's fixed questions), scored with SQuAD EM/F1 against the gold "
        "answers; beside it the same reader with the full article, over the same questions: the upper bound.")


def table_rows(run: RunResult) -> list[list[str]]:
    """One row per model with a block (HEADER's columns), for report.md and report.html; [] when
    the option is off. A failed reader shows its error in the EM cell."""
    from harness.report import format as fmt

    rows = []
    for model in run.models:
        block = block_of(model)
        if block is None:
            continue
        if block.get("status") != "ok":
            rows.append([model.name, str(block.get("reader")), f"reader failed: {block.get('error')}", fmt.MISSING, fmt.MISSING, fmt.MISSING, fmt.MISSING])
            continue
        upper = block.get("upper_bound") or {}
        cells = [f"{fmt.score(block[m].get('mean'))} {fmt.interval(block[m].get('ci95'))}".strip() for m in METRICS]
        rows.append([model.name, str(block.get("reader")), *cells, str(block.get("questions")),
                     fmt.score(upper.get("exact_match")), fmt.score(upper.get("f1"))])
    return rows
