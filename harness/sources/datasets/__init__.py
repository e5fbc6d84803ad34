"""Eval sets from the `datasets` library: a hub dataset or local json/jsonl/csv/parquet files.

A config's `dataset:` block (`DatasetSource`) names the data and maps its columns onto articles:

```yaml
dataset:
  hub: rajpurkar/squad            # or files: [data/dev.jsonl] (relative to the config file)
  split: validation
  columns: {text: context, questions: question, answers: answers.text, question_id: id}
  sample: 200                     # a seeded random subset of 200 articles (seed: 0)
```

Two shapes of QA data work, told apart by the `questions` column's type:

- **one row per question** (SQuAD on the hub): `questions` holds a string; rows with the same
  article (the same `id` column value, or without an `id` column the same text) become one
  article with several questions, in row order. `answers` holds a string or a list of strings.
- **one row per article**: `questions` holds a list of strings and `answers` a parallel list
  whose items are each a list of strings (or one string); `question_id`, when mapped, is a
  parallel list too.

A column name may go into a struct with dots: `answers.text` is the `text` field of the
`answers` column; a struct with a `text` field is read that way even without the dot. The
answers of a question are stripped, blank ones dropped and deduplicated in order; the first is
the gold answer. `references` holds a string or a list of strings (reference summaries).

Ids: the `id` column (as text) when mapped, else `article-<n>` with n the article's position in
the whole split (so `limit` and `sample` do not change ids); question ids from `question_id`,
else `q<k>` (the question's position in its article). Reference ids: the column name, or
`<column>-<k>` for a list.

What is left out, and counted in `DatasetLoad`: rows with an empty text, questions without any
answer (e.g. SQuAD v2.0's unanswerable ones: our QA metrics need a gold answer), and articles
left with neither references nor questions. A split where nothing is left is an error.

`limit: N` keeps the first N articles (in order of first appearance); `sample: N` keeps a random
subset of N articles drawn with `random.Random(seed)`, in their original order, the same subset
for the same data and seed. Either one, not both; N at least the number of articles keeps all.

Every problem is a one-line HarnessError that names the key and the fix.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import HarnessError
from harness.records import Article
from harness.sources.datasets.load import infer_format, load_split
from harness.sources.datasets.rows import DatasetLoad, build_articles
from harness.sources.datasets.spec import FORMATS, ColumnMap, DatasetSource, describe_source
from harness.sources.identity import articles_sha256

__all__ = [
    "FORMATS",
    "ColumnMap",
    "DatasetLoad",
    "DatasetSource",
    "articles_sha256",
    "describe_dataset",
    "describe_source",
    "infer_format",
    "load_dataset_articles",
    "read_dataset",
]


def load_dataset_articles(spec: DatasetSource, *, where: str = "dataset", cache_dir: str | Path | None = None) -> list[Article]:
    """The articles of a `datasets` eval set (see the module docstring for the mapping rules).

    `spec.files` must already be absolute or relative to the working directory
    (`spec.resolve_paths(config_folder)` does that). `where` prefixes every error message (e.g.
    `configs/x.yaml: dataset`). `cache_dir` is the `datasets` cache (default: its own,
    `$HF_DATASETS_CACHE` or ~/.cache/huggingface/datasets).
    """
    return read_dataset(spec, where=where, cache_dir=cache_dir).articles


def read_dataset(spec: DatasetSource, *, where: str = "dataset", cache_dir: str | Path | None = None) -> DatasetLoad:
    """`load_dataset_articles` with the counts of what was left out."""
    table = load_split(spec, where, cache_dir)
    desc = describe_source(spec)
    if table.num_rows == 0:
        raise HarnessError(f"{where}: split {spec.split!r} of {desc} has no rows; pick another split or other files")
    columns = table.column_names
    mapping = {key: value for key, value in spec.columns.model_dump().items() if value is not None}
    for key, name in mapping.items():
        top = name.split(".")[0]
        if top not in columns:
            raise HarnessError(
                f"{where}: columns.{key}: no column {top!r} in {desc} (split {spec.split!r}); "
                f"the columns are: {', '.join(columns)}"
            )
    table = table.select_columns(sorted({name.split(".")[0] for name in mapping.values()}))
    return build_articles(table, spec, where)


def describe_dataset(spec: DatasetSource, articles: list[Article]) -> dict:
    """What a report records about a dataset eval set, like evalset.describe_eval_set.

    `sha256` is over the articles' content (ids, texts, references, questions, answers), so two
    runs on the same data compare, whatever files or hub revision it came from.
    """
    return {
        "path": describe_source(spec) + f", split {spec.split}",
        "sha256": articles_sha256(articles),
        "articles": len(articles),
        "references": sum(len(a.references) for a in articles),
        "questions": sum(len(a.questions) for a in articles),
        "source": {"dataset": spec.model_dump(mode="json")},
    }
