"""Where a run's articles come from, and the registry of eval-set sources:

- `eval_set` (`harness.evalset`): the eval-set YAML;
- `datasets` (a package: spec.py the schema, load.py reading files or the hub, rows.py rows ->
  articles): a Hugging Face `datasets` dataset (hub or local json/jsonl/csv/parquet files) with
  a column mapping (config key `dataset:`);
- `squad_import`: a SQuAD v1.1 / v2.0 JSON file (config key `squad:`), read by `harness.squad_format`.

Each registers a `SourcePlugin` (plugin.py) in `EVAL_SOURCES` under its config key; other
packages add theirs under the entry-point group `harness.eval_sources`, or call
`EVAL_SOURCES.register(key, plugin)` (README, "Adding an eval-set source").

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
from harness.registry import Registry
from harness.sources.datasets import (
    ColumnMap,
    DatasetLoad,
    DatasetSource,
    describe_dataset,
    load_dataset_articles,
    read_dataset,
)
from harness.sources.identity import articles_sha256
from harness.sources.plugin import SourcePlugin
from harness.sources.squad_import import SquadImport, SquadSource, load_squad_articles, read_squad

__all__ = [
    "EVAL_SOURCES",
    "ColumnMap",
    "DatasetLoad",
    "DatasetSource",
    "SourcePlugin",
    "SquadImport",
    "SquadSource",
    "articles_sha256",
    "describe_dataset",
    "describe_squad",
    "eval_source",
    "load_articles",
    "load_dataset_articles",
    "load_squad_articles",
    "read_dataset",
    "read_squad",
    "reload_articles",
]

EVAL_SOURCES = Registry(
    "eval-set source",
    "harness.eval_sources",
    {
        "eval_set": "harness.sources.builtin:EVAL_SET",
        "dataset": "harness.sources.builtin:DATASET",
        "squad": "harness.sources.builtin:SQUAD",
    },
)


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


def eval_source(key: str) -> SourcePlugin:
    """The registered source that answers to config key `key`."""
    plugins = EVAL_SOURCES.all()
    for plugin in plugins:
        if plugin.key == key:
            return plugin
    return EVAL_SOURCES.get(key)  # raises: unknown eval-set source, with the close match


def load_articles(config, config_path: str | Path = "config") -> tuple[list[Article], dict, list[str]]:
    """(articles, eval_set description for report.json, warnings) from the registered source whose
    config key the config sets (`eval_set`, `dataset`, `squad`, ...). Paths in the config must
    already be resolved (load_config makes them relative to the config file)."""
    plugins = EVAL_SOURCES.all()
    given = [plugin for plugin in plugins if getattr(config, plugin.key, None) is not None]
    if not given:
        keys = ", ".join(plugin.key for plugin in plugins)
        raise HarnessError(f"{config_path}: set one of {keys}")
    # load_config allows exactly one; the YAML eval set yields to any other source set beside it
    plugin = next((p for p in given if p.key != "eval_set"), given[0])
    return plugin.load(getattr(config, plugin.key), config_path)


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
    """The articles a report's `eval_set` description names: the source its `source` key names
    (dataset, SQuAD file, a plugin's), else the YAML eval set at its `path`."""
    source = eval_set.get("source") or {}
    key = next(iter(source), "eval_set")
    return eval_source(key).reload(eval_set)
