"""`python -m harness rescore RUN_DIR`: new scores for a finished run's stored outputs.

No model is loaded. The scoring options come from the run's own config, or from `--config`
(to score the same outputs another way). The result is a new run folder: the original is
never overwritten. The scoring itself is the runner's: harness.score_run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from harness.commands import EXIT_OK, consoles

if TYPE_CHECKING:
    from harness.records import RunResult


def build_rescore_parser() -> argparse.ArgumentParser:
    from harness.cli import Parser

    parser = Parser(
        prog="python -m harness rescore",
        description="Score a finished run's stored outputs again (no model is loaded) and write the "
        "reports into a new run folder; the original run is never changed.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (with report.json and predictions.jsonl)")
    parser.add_argument("--config", metavar="FILE", help="score with this config's scoring options (default: the run's own config)")
    parser.add_argument("--output-dir", metavar="DIR", help="where the new run folder goes (default: beside RUN_DIR)")
    return parser


def rescore_command(argv: list[str]) -> int:
    args = build_rescore_parser().parse_args(argv)
    from harness.report.terminal import print_summary

    _, out = consoles()
    run, run_dir = rescore(args.run_dir, args.config, args.output_dir)
    print_summary(run, run_dir, out)
    return EXIT_OK


def rescore(run_dir: str | Path, config_path: str | Path | None = None, output_dir: str | Path | None = None) -> tuple[RunResult, Path]:
    from harness.config import load_config
    from harness.provenance import now
    from harness.records import TASKS, RunResult
    from harness.report.files import new_run_dir
    from harness.report.write import write_reports
    from harness.run_files import config_of, generations_of, model_result_of, read_run
    from harness.score_run import ModelOutputs, score_run
    from harness.scoring import describe
    from harness.sources import load_articles

    run_dir = Path(run_dir)
    report, predictions = read_run(run_dir)
    config = load_config(config_path) if config_path else config_of(report, run_dir / "report.json")
    articles, eval_set, _ = load_articles(config, config_path or run_dir / "report.json")
    stored = generations_of(predictions)
    models, outputs = [], []
    for entry in report["models"]:
        result = model_result_of(entry)
        if result.status == "ok":
            tasks = {task for task in TASKS if entry["metrics"].get(task) is not None}
            outputs.append(ModelOutputs(result, stored.get(result.name, []), tasks))
        models.append(result)
    provenance = {**report["provenance"], "rescored_from": str(run_dir), "rescored_at": now()}
    if config_path:
        provenance.update(config_path=str(config_path), config_sha256=config.hash())
    if eval_set["sha256"] != report["eval_set"]["sha256"]:
        provenance["eval_set_changed_since_generation"] = True
    run = score_run(RunResult(provenance, config.model_dump(mode="json"), describe(config.scoring, config.seed), eval_set, articles, models), config, outputs)
    out = new_run_dir(Path(output_dir) if output_dir else run_dir.parent, f"{run_dir.name}-rescored")
    write_reports(run, out, stamp_finish=False)
    return run, out
