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

import glob
import hashlib
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from harness.errors import HarnessError
from harness.records import Article, Question, Reference
from harness.strict import Strict

FORMATS = ("json", "csv", "parquet")
_EXTENSIONS = {".json": "json", ".jsonl": "json", ".ndjson": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".lz4")
_OFFLINE_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


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


@dataclass(frozen=True)
class DatasetLoad:
    articles: list[Article]
    rows: int
    """Rows in the split."""
    skipped_rows: int
    """Rows with an empty text."""
    skipped_questions: int
    """Questions without a gold answer."""
    skipped_articles: int
    """Articles left with neither references nor questions."""
    available_articles: int
    """Articles before `limit` / `sample`."""

    def warnings(self, where: str = "dataset") -> list[str]:
        """What was left out, as lines for the run's warnings (empty when nothing was)."""
        out = []
        if self.skipped_rows:
            out.append(f"{where}: skipped {self.skipped_rows} row(s) with an empty text")
        if self.skipped_questions:
            out.append(f"{where}: skipped {self.skipped_questions} question(s) without a gold answer (QA metrics need one)")
        if self.skipped_articles:
            out.append(f"{where}: skipped {self.skipped_articles} article(s) with neither references nor answerable questions")
        return out


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
    table = _load_split(spec, where, cache_dir)
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
    return _articles(table, spec, where)


def describe_source(spec: DatasetSource) -> str:
    """A short human name of the data: `hub rajpurkar/squad (plain_text)` or the file names."""
    if spec.hub is not None:
        extra = f" ({spec.config})" if spec.config else ""
        revision = f" @ {spec.revision}" if spec.revision else ""
        return f"hub dataset {spec.hub}{extra}{revision}"
    files = [str(f) for f in spec.files or ()]
    return files[0] if len(files) == 1 else f"{files[0]} and {len(files) - 1} more file(s)"


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


def articles_sha256(articles: list[Article]) -> str:
    payload = [
        {
            "id": a.id,
            "text": a.text,
            "references": [[r.id, r.text] for r in a.references],
            "questions": [[q.id, q.question, list(q.answers)] for q in a.questions],
        }
        for a in articles
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# -- loading ---------------------------------------------------------------------------------


def _offline() -> bool:
    return any(os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE") for name in _OFFLINE_ENV)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quiet_datasets():
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def infer_format(files: tuple[Path, ...], where: str = "dataset") -> str:
    """json, csv or parquet from the files' extensions (a compression suffix is looked through)."""
    found = set()
    for file in files:
        name = file.name.lower()
        for suffix in _COMPRESSION:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        fmt = _EXTENSIONS.get(Path(name).suffix)
        if fmt is None:
            raise HarnessError(
                f"{where}: files: cannot tell the format of {file} from its extension; "
                "set format: json, csv or parquet (.json/.jsonl, .csv, .parquet are recognised)"
            )
        found.add(fmt)
    if len(found) > 1:
        raise HarnessError(f"{where}: files: mixed formats ({', '.join(sorted(found))}); use files of one format per dataset")
    return found.pop()


def _local_files(spec: DatasetSource, where: str) -> list[str]:
    out: list[str] = []
    for file in spec.files or ():
        text = str(file)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text))
            if not matches:
                raise HarnessError(f"{where}: files: no file matches {text} (relative paths start at the config file)")
            out.extend(matches)
            continue
        if not file.is_file():
            raise HarnessError(f"{where}: files: file not found: {file} (relative paths start at the config file)")
        out.append(text)
    for name in out:
        if os.path.getsize(name) == 0:
            raise HarnessError(f"{where}: files: {name} is empty; the split {spec.split!r} has no rows")
    return out


def _load_split(spec: DatasetSource, where: str, cache_dir):
    datasets = _quiet_datasets()
    kwargs = {"cache_dir": str(cache_dir)} if cache_dir is not None else {}
    if spec.files is not None:
        files = _local_files(spec, where)
        fmt = spec.format or infer_format(tuple(Path(f) for f in files), where)
        if spec.field is not None:
            if fmt != "json":
                raise HarnessError(f"{where}: field: goes with json files, these are {fmt}")
            kwargs["field"] = spec.field
        try:
            return datasets.load_dataset(fmt, data_files={spec.split: files}, split=spec.split, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line naming the files
            cause = exc.__cause__ or exc.__context__ or exc
            detail = _first_line(cause if isinstance(exc, datasets.exceptions.DatasetGenerationError) else exc)
            if "corresponds to no data" in detail or isinstance(exc, StopIteration):
                raise HarnessError(f"{where}: split {spec.split!r} of {describe_source(spec)} has no rows; pick other files") from None
            raise HarnessError(f"{where}: files: cannot read {describe_source(spec)} as {fmt}: {detail}") from None
    try:
        return datasets.load_dataset(spec.hub, spec.config, split=spec.split, revision=spec.revision, **kwargs)
    except Exception as exc:  # noqa: BLE001
        raise HarnessError(_hub_error(spec, exc, where, datasets)) from None


def _hub_error(spec: DatasetSource, exc: Exception, where: str, datasets) -> str:
    detail = _first_line(exc)
    fix = "set up hub access (network to huggingface.co, HF_TOKEN for gated sets) or download the data and use `files:`"
    connection = isinstance(exc, (ConnectionError, TimeoutError)) or any(
        word in type(exc).__name__ for word in ("Connection", "Offline", "Timeout", "LocalEntryNotFound")
    )
    if connection or _offline():
        offline = " (offline: HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set)" if _offline() else ""
        return f"{where}: hub: cannot reach the Hugging Face hub for dataset {spec.hub!r}{offline}: {detail}; {fix}"
    if isinstance(exc, datasets.exceptions.DatasetNotFoundError):
        return f"{where}: hub: dataset {spec.hub!r} not found on the hub: {detail}; check the name (and HF_TOKEN for a private or gated set)"
    if "split" in detail.lower() and spec.split in detail:
        return f"{where}: split: {detail}"
    if "config" in detail.lower():
        return f"{where}: config: {detail}"
    return f"{where}: hub: cannot load dataset {spec.hub!r}: {type(exc).__name__}: {detail}"


# -- rows -> articles --------------------------------------------------------------------------


class _Draft:
    __slots__ = ("id", "text", "title", "references", "questions", "question_ids")

    def __init__(self, article_id: str, text: str, title: str | None):
        self.id, self.text, self.title = article_id, text, title
        self.references: list[str] = []
        self.questions: list[tuple[str | None, str, list[str]]] = []
        self.question_ids: set[str] = set()


def _get(row: dict, name: str, key: str, where: str):
    """A mapped value of a row; `a.b` reads field b of struct column a."""
    parts = name.split(".")
    value = row[parts[0]]
    for depth, part in enumerate(parts[1:], start=1):
        if value is None:
            return None
        if isinstance(value, list):  # a list of structs: the field of each
            try:
                value = [None if v is None else v[part] for v in value]
            except (KeyError, TypeError):
                value = _missing_field(parts, depth, value, key, where)
            continue
        if not isinstance(value, dict) or part not in value:
            _missing_field(parts, depth, value, key, where)
        value = value[part]
    return value


def _missing_field(parts, depth, value, key, where):
    column = ".".join(parts[:depth])
    if isinstance(value, dict):
        fields = f"its fields are: {', '.join(value)}"
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        fields = f"its fields are: {', '.join(value[0])}"
    else:
        fields = "it is not a struct"
    raise HarnessError(f"{where}: columns.{key}: column {column!r} has no field {parts[depth]!r}; {fields}")


def _scalar_text(value, key: str, name: str, where: str, row_index: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise HarnessError(
        f"{where}: columns.{key}: column {name!r} holds {type(value).__name__} in row {row_index}, expected text"
    )


def _texts(value) -> list[str]:
    """Answer or reference texts: a string, a list of strings, or a struct with a `text` field."""
    if value is None:
        return []
    if isinstance(value, dict):
        return _texts(value.get("text"))
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_texts(item))
        return out
    if isinstance(value, bool):
        return [str(value).lower()]
    return [str(value)]


def _clean(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        text = text.strip()
        if text and text not in out:
            out.append(text)
    return out


def _articles(table, spec: DatasetSource, where: str) -> DatasetLoad:
    cols = spec.columns
    drafts: dict[str, _Draft] = {}
    skipped_rows = skipped_questions = 0
    any_answer = False
    for row_index, row in enumerate(table):
        text = _scalar_text(_get(row, cols.text, "text", where), "text", cols.text, where, row_index)
        if text is None or not text.strip():
            skipped_rows += 1
            continue
        text = text.strip()
        if cols.id is not None:
            raw_id = _scalar_text(_get(row, cols.id, "id", where), "id", cols.id, where, row_index)
            if raw_id is None or not raw_id.strip():
                raise HarnessError(f"{where}: columns.id: column {cols.id!r} is empty in row {row_index}; every article needs an id")
            key = raw_id.strip()
        else:
            key = text
        draft = drafts.get(key)
        if draft is None:
            title = None
            if cols.title is not None:
                title = _scalar_text(_get(row, cols.title, "title", where), "title", cols.title, where, row_index)
            article_id = key if cols.id is not None else f"article-{len(drafts)}"
            draft = drafts[key] = _Draft(article_id, text, title)
        elif draft.text != text:
            raise HarnessError(
                f"{where}: columns.id: rows with id {key!r} have different texts (row {row_index}); "
                "map an id column that is unique per article, or drop columns.id to group rows by their text"
            )
        if cols.references is not None:
            value = _get(row, cols.references, "references", where)
            for ref in _clean(_texts(value)):
                if ref not in draft.references:
                    draft.references.append(ref)
        if cols.questions is not None and cols.answers is not None:  # the schema maps both or neither
            question_value = _get(row, cols.questions, "questions", where)
            answer_value = _get(row, cols.answers, "answers", where)
            qid_value = _get(row, cols.question_id, "question_id", where) if cols.question_id else None
            if isinstance(question_value, (list, tuple)):  # one row per article
                items = _per_article_questions(question_value, answer_value, qid_value, spec, where, row_index)
            elif question_value is None:
                items = []
            else:  # one row per question
                qid = _scalar_text(qid_value, "question_id", cols.question_id or "", where, row_index)
                items = [(qid, str(question_value), _clean(_texts(answer_value)))]
            for qid, question, answers in items:
                question = question.strip()
                if not question:
                    continue
                if not answers:
                    skipped_questions += 1
                    continue
                any_answer = True
                if qid is not None:
                    qid = qid.strip()
                    if qid in draft.question_ids:
                        raise HarnessError(
                            f"{where}: columns.question_id: id {qid!r} occurs twice in article {draft.id!r} (row {row_index}); "
                            "question ids must be unique within an article (or drop columns.question_id)"
                        )
                    draft.question_ids.add(qid)
                draft.questions.append((qid, question, answers))
    rows = table.num_rows
    if cols.questions is not None and not any_answer and skipped_questions:
        raise HarnessError(
            f"{where}: columns.answers: no question of split {spec.split!r} has an answer in column {cols.answers!r}; "
            "map the column that holds the gold answers"
        )
    articles, skipped_articles = [], 0
    for draft in drafts.values():
        if not draft.references and not draft.questions:
            skipped_articles += 1
            continue
        articles.append(_to_article(draft, cols.references))
    if not articles:
        raise HarnessError(
            f"{where}: split {spec.split!r} of {describe_source(spec)} has no usable article "
            f"({rows} row(s): empty texts, or no references or answered questions); check columns"
        )
    available = len(articles)
    if spec.limit is not None:
        articles = articles[: spec.limit]
    elif spec.sample is not None and spec.sample < len(articles):
        keep = sorted(random.Random(spec.seed).sample(range(len(articles)), spec.sample))
        articles = [articles[i] for i in keep]
    return DatasetLoad(articles, rows, skipped_rows, skipped_questions, skipped_articles, available)


def _per_article_questions(questions, answers, qids, spec: DatasetSource, where: str, row_index: int):
    cols = spec.columns
    if isinstance(answers, dict):  # a struct of parallel lists, e.g. {"text": [...], "answer_start": [...]}
        if "text" not in answers:
            raise HarnessError(
                f"{where}: columns.answers: column {cols.answers!r} is a struct with fields {', '.join(answers)}; "
                f"name the field with the answer texts, e.g. answers: {cols.answers}.{next(iter(answers), 'text')}"
            )
        answers = answers["text"]
    if not isinstance(answers, (list, tuple)) or len(answers) != len(questions):
        got = f"{len(answers)} answer item(s)" if isinstance(answers, (list, tuple)) else type(answers).__name__
        raise HarnessError(
            f"{where}: columns.answers: row {row_index} has {len(questions)} question(s) in {cols.questions!r} but {got} "
            f"in {cols.answers!r}; with a list of questions, answers must be a parallel list (one list of answers per question)"
        )
    if qids is not None and (not isinstance(qids, (list, tuple)) or len(qids) != len(questions)):
        raise HarnessError(
            f"{where}: columns.question_id: row {row_index}: with a list of questions, {cols.question_id!r} must be a parallel list of ids"
        )
    out = []
    for k, question in enumerate(questions):
        qid = None if qids is None else (None if qids[k] is None else str(qids[k]))
        out.append((qid, "" if question is None else str(question), _clean(_texts(answers[k]))))
    return out


def _to_article(draft: _Draft, reference_column: str | None) -> Article:
    references: tuple[Reference, ...]
    if len(draft.references) == 1:
        references = (Reference(reference_column or "reference", draft.references[0]),)
    else:
        references = tuple(Reference(f"{reference_column}-{k}", text) for k, text in enumerate(draft.references))
    questions = tuple(
        Question(qid if qid is not None else f"q{k}", question, tuple(answers))
        for k, (qid, question, answers) in enumerate(draft.questions)
    )
    return Article(id=draft.id, text=draft.text, references=references, questions=questions, title=draft.title)
