"""`python -m harness rescore RUN_DIR`: new scores for a finished run's stored outputs.

No model is loaded. The scoring options come from the run's own config, or from `--config`
(to score the same outputs another way). The result is a new run folder: the original is
never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from harness.compare import pairwise_within_run
from harness.config import load_config
from harness.errors import HarnessError
from harness.provenance import now
from harness.records import TASKS, RunResult
from harness.report.files import new_run_dir
from harness.report.write import write_reports
from harness.run_files import config_of, generations_of, model_result_of, read_run
from harness.scoring import aggregate, describe, score
from harness.sources import load_articles


def rescore(run_dir: str | Path, config_path: str | Path | None = None, output_dir: str | Path | None = None) -> tuple[RunResult, Path]:
    run_dir = Path(run_dir)
    report, predictions = read_run(run_dir)
    config = load_config(config_path) if config_path else config_of(report, run_dir / "report.json")
    articles, eval_set, _ = load_articles(config, config_path or run_dir / "report.json")
    by_id = {a.id: a for a in articles}
    stored = generations_of(predictions)
    models = []
    for entry in report["models"]:
        result = model_result_of(entry)
        if result.status == "ok":
            model_config = next((m for m in config.models if m.name == result.name), None)
            rules = config.qa_postprocess(model_config)
            for generation in stored.get(result.name, []):
                article = by_id.get(generation.request.article_id)
                if article is None:
                    raise HarnessError(f"{eval_set['path']}: article {generation.request.article_id!r} of the run is not in the eval set")
                if generation.request.task == "qa" and not any(q.id == generation.request.item_id for q in article.questions):
                    raise HarnessError(
                        f"{eval_set['path']}: article {article.id!r} has no question {generation.request.item_id!r}, which the run answered; "
                        "rescore with the eval set the run was made with"
                    )
                result.items.append(score(result.name, generation, article, config.scoring, rules))
            tasks = {task for task in TASKS if entry["metrics"].get(task) is not None}
            aggregate(result, tasks, config.scoring, config.seed)
        models.append(result)
    provenance = {**report["provenance"], "rescored_from": str(run_dir), "rescored_at": now()}
    if config_path:
        provenance.update(config_path=str(config_path), config_sha256=config.hash())
    if eval_set["sha256"] != report["eval_set"]["sha256"]:
        provenance["eval_set_changed_since_generation"] = True
    run = RunResult(provenance, config.model_dump(mode="json"), describe(config.scoring, config.seed), eval_set, articles, models)
    run.pairwise = pairwise_within_run(models, config.scoring.bootstrap_resamples, config.seed)
    out = new_run_dir(Path(output_dir) if output_dir else run_dir.parent, f"{run_dir.name}-rescored")
    write_reports(run, out, stamp_finish=False)
    return run, out

