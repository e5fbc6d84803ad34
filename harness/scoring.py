"""Scores one generation against its article's references or gold answers.

The join between generations and the eval set lives here, so metrics stay pure functions of
strings and backends never see a reference.
"""

from __future__ import annotations

from harness.config import QAPostprocess, Scoring
from harness.metrics.qa import qa_scores
from harness.metrics.rouge import rouge
from harness.metrics.rouge import signature as rouge_signature
from harness.metrics.summary_stats import summary_statistics
from harness.postprocess import clean_answer, clean_summary
from harness.records import TASKS, Article, Generation, ScoredItem

QA_SIGNATURE = "qa:norm=squad-v1.1|multi=max"


def ci_signature(resamples: int, seed: int) -> str:
    return f"ci=bootstrap-{resamples}-seed{seed}"


def describe(scoring: Scoring, seed: int = 0) -> dict:
    """How the numbers are computed, recorded in every report; `signature` is compared by
    `compare`, so two reports scored differently are never silently compared."""
    options = scoring.rouge_options()
    ci = ci_signature(scoring.bootstrap_resamples, seed)
    return {
        **options.__dict__,
        "rouge_types": list(options.rouge_types),
        "signature": {"rouge": f"{rouge_signature(options)}|{ci}", "qa": f"{QA_SIGNATURE}|{ci}"},
        "rouge": f"{rouge_signature(options)}: F-measures",
        "qa": "SQuAD v1.1 normalisation (lower-case, no punctuation, no a/an/the), max over accepted answers",
    }


def score(model: str, generation: Generation, article: Article, scoring: Scoring, qa_rules: QAPostprocess) -> ScoredItem:
    request = generation.request
    if request.task == "summary":
        output = clean_summary(generation.raw_output)
        scores, trace = rouge(output, [r.text for r in article.references], scoring.rouge_options())
        if "best_reference" in trace:  # the max rule names the reference behind each type
            trace = {"best_reference": {k: article.references[i].id for k, i in trace["best_reference"].items()}}
        stats = summary_statistics(output, article.text)
    else:
        question = next(q for q in article.questions if q.id == request.item_id)
        output = clean_answer(generation.raw_output, qa_rules)
        scores, trace = qa_scores(output, question.answers)
        stats = {}
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
