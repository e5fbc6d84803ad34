"""The `dataset:` block of a config: which data (`DatasetSource`) and which columns (`ColumnMap`).

The mapping rules are in the package docstring (`harness.sources.datasets`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from harness.strict import Strict

FORMATS = ("json", "csv", "parquet")


class ColumnMap(Strict):
    """Which column holds what; a dotted name reads a field of a struct column (`answers.text`)."""

    text: str
    """The article text (required)."""
    id: str | None = None
    """The article id; rows with the same id are one article. None: rows with the same text are."""
    title: str | None = None
    references: str | None = None
    """Reference summaries: a string column or a list-of-strings column."""
    questions: str | None = None
    """A question (one row per question) or a list of questions (one row per article)."""
    answers: str | None = None
    """The answers of `questions`: a string or list of strings per question (see module doc)."""
    question_id: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.questions is None) != (self.answers is None):
            raise ValueError("questions and answers go together: map both or neither")
        if self.question_id is not None and self.questions is None:
            raise ValueError("question_id goes with questions")
        if self.references is None and self.questions is None:
            raise ValueError("map references, questions (with answers) or both: an article needs something to score")
        return self


class DatasetSource(Strict):
    """A `datasets` eval set: exactly one of `hub` or `files`, and a column mapping."""

    hub: str | None = None
    """A hub dataset name, e.g. `rajpurkar/squad` (needs hub access, or the datasets cache offline)."""
    config: str | None = None
    """The hub dataset's configuration (subset) name, e.g. `3.0.0` for cnn_dailymail."""
    revision: str | None = None
    """A branch, tag or commit of the hub dataset."""
    files: tuple[Path, ...] | None = Field(default=None, min_length=1)
    """Local json/jsonl/csv/parquet files (glob patterns allowed); relative to the config file."""
    format: Literal["json", "csv", "parquet"] | None = None
    """The files' format; inferred from the extension (.json/.jsonl, .csv, .parquet) when unset."""
    field: str | None = None
    """json only: the top-level key that holds the list of records."""
    split: str = "test"
    columns: ColumnMap
    limit: int | None = Field(default=None, gt=0)
    """Keep the first N articles."""
    sample: int | None = Field(default=None, gt=0)
    """Keep a seeded random subset of N articles (in their original order)."""
    seed: int = 0
    """The seed of `sample`."""

    @model_validator(mode="after")
    def _check(self):
        if (self.hub is None) == (self.files is None):
            raise ValueError("set exactly one of hub or files")
        if self.files is not None and (self.config is not None or self.revision is not None):
            raise ValueError("config and revision go with hub, not files")
        if self.hub is not None and self.format is not None:
            raise ValueError("format goes with files (a hub dataset knows its own)")
        if self.field is not None and self.hub is not None:
            raise ValueError("field goes with json files")
        if self.limit is not None and self.sample is not None:
            raise ValueError("set limit (the first N articles) or sample (a random N), not both")
        return self

    def resolve_paths(self, base: str | Path) -> "DatasetSource":
        """A copy whose relative `files` are relative to `base` (the config file's folder)."""
        if self.files is None:
            return self
        base = Path(base)
        files = tuple(Path(os.path.normpath(base / f.expanduser())) for f in self.files)
        return self.model_copy(update={"files": files})


def describe_source(spec: DatasetSource) -> str:
    """A short human name of the data: `hub rajpurkar/squad (plain_text)` or the file names."""
    if spec.hub is not None:
        extra = f" ({spec.config})" if spec.config else ""
        revision = f" @ {spec.revision}" if spec.revision else ""
        return f"hub dataset {spec.hub}{extra}{revision}"
    files = [str(f) for f in spec.files or ()]
    return files[0] if len(files) == 1 else f"{files[0]} and {len(files) - 1} more file(s)"
