"""The built-in eval-set sources (`SourcePlugin`s): the YAML eval set, a `datasets` dataset, a
SQuAD file. Each is imported from `EVAL_SOURCES` by name; their loaders stay in their modules.
"""

from __future__ import annotations

from pathlib import Path

from harness.records import Article
from harness.sources.plugin import SourcePlugin


def _load_eval_set(path, config_path: str | Path) -> tuple[list[Article], dict, list[str]]:
    from harness.evalset import describe_eval_set, load_eval_set

    articles = load_eval_set(path)
    return articles, describe_eval_set(path, articles), []


def _reload_eval_set(eval_set: dict) -> list[Article]:
    from harness.evalset import load_eval_set

    return load_eval_set(eval_set["path"])


def _load_dataset(dataset, config_path: str | Path) -> tuple[list[Article], dict, list[str]]:
    from harness.sources import check_writable, describe_dataset, read_dataset

    where = f"{config_path}: dataset"
    from_dataset = read_dataset(dataset, where=where)
    check_writable(from_dataset.articles, where)
    return from_dataset.articles, describe_dataset(dataset, from_dataset.articles), from_dataset.warnings(where)


def _reload_dataset(eval_set: dict) -> list[Article]:
    from harness.sources.datasets import DatasetSource, load_dataset_articles

    return load_dataset_articles(DatasetSource.model_validate(eval_set["source"]["dataset"]), where="report.json: eval_set")


def _load_squad(squad, config_path: str | Path) -> tuple[list[Article], dict, list[str]]:
    from harness.sources import check_writable, describe_squad, read_squad

    from_squad = read_squad(squad.path, squad.limit)
    check_writable(from_squad.articles, f"{squad.path}")
    warnings = []
    if from_squad.skipped_unanswerable:
        warnings.append(
            f"{config_path}: squad: skipped {from_squad.skipped_unanswerable} unanswerable question(s) "
            "(SQuAD v2.0; QA metrics need a gold answer)"
        )
    return from_squad.articles, describe_squad(squad, from_squad), warnings


def _reload_squad(eval_set: dict) -> list[Article]:
    from harness.sources.squad_import import SquadSource, load_squad_articles

    spec = SquadSource.model_validate(eval_set["source"]["squad"])
    return load_squad_articles(spec.path, spec.limit)


EVAL_SET = SourcePlugin("eval_set", load=_load_eval_set, reload=_reload_eval_set)
DATASET = SourcePlugin("dataset", load=_load_dataset, reload=_reload_dataset)
SQUAD = SourcePlugin("squad", load=_load_squad, reload=_reload_squad)
