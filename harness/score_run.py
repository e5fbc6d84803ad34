"""One scoring pipeline for a run and its rescore: score every item, aggregate, pairwise.

The runner (harness.runner.execute) hands it the generations it has just made; `rescore`
(harness.commands.rescore) the ones stored in a finished run's predictions.jsonl. Both get the
same RunResult back, ready to write with harness.report.write.write_reports.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from harness.compare import pairwise_within_run
from harness.config import RunConfig
from harness.errors import HarnessError
from harness.records import Generation, ModelResult, RunResult
from harness.scoring import aggregate, score


@dataclass
class ModelOutputs:
    """One model's outputs to score: its result (items and metrics are filled in), its
    generations in the order of its items, and the tasks its metrics cover."""

    result: ModelResult
    generations: list[Generation]
    tasks: Collection[str]


def score_run(
    run: RunResult,
    config: RunConfig,
    outputs: list[ModelOutputs],
    failed: Callable[[ModelResult, Exception], object] | None = None,
    pairwise: bool = True,
) -> RunResult:
    """Score and aggregate every model of `outputs` (each is one of `run.models`) with the
    config's scoring options, then the pairwise differences between `run.models`.

    A generation whose article or question is not in `run.articles` is a HarnessError. With
    `failed`, an error while scoring one model is handed to it (which records the model as
    failed) and the other models are still scored; without, it propagates. `pairwise=False`
    (an interrupted run) leaves `run.pairwise` as it is."""
    articles = {a.id: a for a in run.articles}
    for entry in outputs:
        try:
            _score_model(entry, articles, config, run.eval_set.get("path"))
        except Exception as exc:
            if failed is None:
                raise
            failed(entry.result, exc)
    if pairwise:
        run.pairwise = pairwise_within_run(run.models, config.scoring.bootstrap_resamples, config.seed)
    return run


def _score_model(entry: ModelOutputs, articles: dict, config: RunConfig, eval_set_path) -> None:
    result = entry.result
    model_config = next((m for m in config.models if m.name == result.name), None)
    rules = config.qa_postprocess(model_config)
    for generation in entry.generations:
        article = articles.get(generation.request.article_id)
        if article is None:
            raise HarnessError(f"{eval_set_path}: article {generation.request.article_id!r} of the run is not in the eval set")
        if generation.request.task == "qa" and not any(q.id == generation.request.item_id for q in article.questions):
            raise HarnessError(
                f"{eval_set_path}: article {article.id!r} has no question {generation.request.item_id!r}, which the run answered; "
                "rescore with the eval set the run was made with"
            )
        result.items.append(score(result.name, generation, article, config.scoring, rules))
    aggregate(result, entry.tasks, config.scoring, config.seed)
