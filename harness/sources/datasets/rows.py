"""A split's rows -> `Article` records, with the counts of what was left out (`DatasetLoad`).

The rules (the two QA shapes, dotted struct fields, answer cleaning, ids, what is skipped,
`limit` and `sample`) are in the package docstring (`harness.sources.datasets`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.records import Article, Question, Reference
from harness.sources.datasets.spec import DatasetSource, describe_source


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


def build_articles(table, spec: DatasetSource, where: str) -> DatasetLoad:
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
