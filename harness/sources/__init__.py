"""Where a run's articles come from, besides the eval-set YAML of `harness.evalset`:

- `datasets` (a package: spec.py the schema, load.py reading files or the hub, rows.py rows ->
  articles): a Hugging Face `datasets` dataset (hub or local json/jsonl/csv/parquet files) with
  a column mapping (config key `dataset:`);
- `squad_import`: a SQuAD v1.1 / v2.0 JSON file (config key `squad:`), read by `harness.squad_format`.

Every source, the YAML eval set included, is identified by `identity.articles_sha256`: a hash
of the loaded articles' content, not of the file that holds them.

`load_articles(config)` picks the one a config names and returns the articles, the report's
`eval_set` description and warnings about what was left out; `reload_articles(eval_set)` reads
the articles again from a report's `eval_set` description (for `report` and `rescore`).
Importing this package is cheap: `datasets` is imported only when a dataset is loaded.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.records import Article
from harness.sources.datasets import (
    ColumnMap,
    DatasetLoad,
    DatasetSource,
    describe_dataset,
    load_dataset_articles,
    read_dataset,
)
from harness.sources.identity import articles_sha256
from harness.sources.squad_import import SquadImport, SquadSource, load_squad_articles, read_squad

__all__ = [
    "ColumnMap",
    "DatasetLoad",
    "DatasetSource",
    "SquadImport",
    "SquadSource",
    "articles_sha256",
    "describe_dataset",
    "describe_squad",
    "load_articles",
    "load_dataset_articles",
    "load_squad_articles",
    "read_dataset",
    "read_squad",
    "reload_articles",
]


def describe_squad(spec: SquadSource, loaded: SquadImport) -> dict:
    """The report's `eval_set` for a SQuAD file; sha256 is over the articles kept (so a
    different `limit` is a different eval set)."""
    articles = loaded.articles
    return {
        "path": str(spec.path) + (f" (first {spec.limit} questions)" if spec.limit else ""),
        "sha256": articles_sha256(articles),
        "articles": len(articles),
        "references": 0,
        "questions": sum(len(a.questions) for a in articles),
        "source": {"squad": spec.model_dump(mode="json")},
    }


def load_articles(config, config_path: str | Path = "config") -> tuple[list[Article], dict, list[str]]:
    """(articles, eval_set description for report.json, warnings) for whichever of `eval_set`,
    `dataset` or `squad` the config sets. Paths in the config must already be resolved
    (load_config makes them relative to the config file)."""
    dataset = getattr(config, "dataset", None)
    squad = getattr(config, "squad", None)
    if dataset is not None:
        where = f"{config_path}: dataset"
        from_dataset = read_dataset(dataset, where=where)
        check_writable(from_dataset.articles, where)
        return from_dataset.articles, describe_dataset(dataset, from_dataset.articles), from_dataset.warnings(where)
    if squad is not None:
        from_squad = read_squad(squad.path, squad.limit)
        check_writable(from_squad.articles, f"{squad.path}")
        warnings = []
        if from_squad.skipped_unanswerable:
            warnings.append(
                f"{config_path}: squad: skipped {from_squad.skipped_unanswerable} unanswerable question(s) "
                "(SQuAD v2.0; QA metrics need a gold answer)"
            )
        return from_squad.articles, describe_squad(squad, from_squad), warnings
    from harness.evalset import describe_eval_set, load_eval_set

    articles = load_eval_set(config.eval_set)
    return articles, describe_eval_set(config.eval_set, articles), []


def check_writable(articles: list[Article], where: str) -> None:
    """Refuse text no report can write (a lone surrogate, e.g. from a JSON "\\ud800" escape) when
    the eval set loads, not after generation. The YAML eval-set loader checks its own fields."""
    from harness.yaml_errors import unwritable

    for article in articles:
        fields = [("text", article.text), ("title", article.title or "")]
        fields += [(f"references.{r.id}", r.text) for r in article.references]
        for q in article.questions:
            fields += [(f"questions.{q.id}.question", q.question)] + [(f"questions.{q.id}.answers", a) for a in q.answers]
        for name, text in fields:
            problem = unwritable(text)
            if problem:
                raise HarnessError(f"{where}: article {article.id!r}: {name}: {problem}")


def reload_articles(eval_set: dict) -> list[Article]:
    """The articles a report's `eval_set` description names (YAML path, dataset or SQuAD file)."""
    source = eval_set.get("source") or {}
    if "dataset" in source:
        return load_dataset_articles(DatasetSource.model_validate(source["dataset"]), where="report.json: eval_set")
    if "squad" in source:
        spec = SquadSource.model_validate(source["squad"])
        return load_squad_articles(spec.path, spec.limit)
    from harness.evalset import load_eval_set

    return load_eval_set(eval_set["path"])
