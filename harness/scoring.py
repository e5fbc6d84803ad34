"""Scores one generation against its article's references or gold answers.

The join between generations and the eval set lives here, so metrics stay pure functions of
strings and backends never see a reference. Which metrics run comes from the scorer registry
(harness/scorers): every scorer of the item's task adds its scores.
"""

from __future__ import annotations

from harness.config import QAPostprocess, Scoring
from harness.metrics import summary_stats
from harness.postprocess import clean_summary, extract_answer
from harness.records import TASKS, Article, Generation, ScoredItem
from harness.scorers import SCORERS, metrics_by_task, scorers_for
from harness.scorers.squad_qa import SIGNATURE as QA_SIGNATURE  # noqa: F401  (the score command's signature)


def ci_signature(resamples: int, seed: int) -> str:
    return f"ci=bootstrap-{resamples}-seed{seed}"


def describe(scoring: Scoring, seed: int = 0) -> dict:
    """How the numbers are computed, recorded in every report; `signature` is compared by
    `compare`, so two reports scored differently are never silently compared."""
    options = scoring.rouge_options()
    ci = ci_signature(scoring.bootstrap_resamples, seed)
    scorers = SCORERS.all()
    stats = summary_stats.describe(scoring)
    return {
        **options.__dict__,
        "rouge_types": list(options.rouge_types),
        # summary_stats: which tokens coverage and density counted; compare reads it but does not
        # refuse on it (compare.UNCOMPARED_SIGNATURES): it pairs no summary statistic
        "signature": {**{s.name: f"{s.signature(scoring)}|{ci}" for s in scorers}, "summary_stats": f"tokens={stats['tokenizer']}"},
        **{s.name: s.description(scoring) for s in scorers},
        "metrics": {task: list(names) for task, names in metrics_by_task(scoring).items()},
        "summary_stats": stats,
    }


def score(model: str, generation: Generation, article: Article, scoring: Scoring, qa_rules: QAPostprocess) -> ScoredItem:
    request = generation.request
    trace: dict = {}
    if request.task == "summary":
        output = clean_summary(generation.raw_output)
        stats = summary_stats.summary_statistics(output, article.text, summary_stats.fragment_tokenizer(scoring))
    else:
        output, trace["extraction"] = extract_answer(generation.raw_output, qa_rules)  # how the raw output became `output`
        stats = {}
    scores: dict[str, float] = {}
    for scorer in scorers_for(request.task):
        more_scores, more_trace = scorer.score(output, article, request.item_id, scoring)
        scores.update(more_scores)
        trace.update(more_trace)
    return ScoredItem(model=model, generation=generation, output=output, scores=scores, trace=trace, stats=stats)


def aggregate(result, tasks, scoring: Scoring, seed: int) -> None:
    """Fill a ModelResult's means, intervals, per-article breakdown, verdicts and statistics."""
    from harness.metrics import aggregate as agg

    resamples = scoring.bootstrap_resamples
    items = result.items
    result.metrics = {task: agg.task_metrics(items, task, resamples, seed) if task in tasks else None for task in TASKS}
    result.per_article = {task: agg.per_article(items, task, resamples, seed) for task in TASKS if task in tasks}
    result.qa_verdicts = agg.qa_verdicts(items) if "qa" in tasks else None
    result.summary_statistics = agg.summary_statistics(items, resamples, seed) if "summary" in tasks else None
