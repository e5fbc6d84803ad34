"""Reads an eval-set YAML file (see README, "Eval-set format") into `Article` records.

Validation happens here, at the boundary, so nothing downstream meets an empty article, a
question without answers, a duplicate id, a gold answer that SQuAD normalisation empties, or
text that cannot be written out as UTF-8. Every text field must be a YAML string as written:
YAML turns unquoted `yes` into a boolean and `[x]` into a list, and silently making text of
those would change the gold answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from harness.errors import HarnessError
from harness.metrics.qa import normalize_answer
from harness.records import Article, Question, Reference
from harness.sources.identity import articles_sha256
from harness.strict import Strict
from harness.textfile import FileMessages, literal, read_text
from harness.yaml_errors import describe_validation_error, read_yaml, unwritable

ID_PATTERN = r"^[\w.\-]+$"


def _writable(text: str) -> str:
    problem = unwritable(text)
    if problem:
        raise ValueError(problem)
    return text


Text = Annotated[str, Field(strict=True), AfterValidator(_writable)]
"""A YAML string as written: no number, boolean, list or mapping made into text; writable as UTF-8."""
Id = Annotated[str, Field(strict=True, pattern=ID_PATTERN)]


class ReferenceEntry(Strict):
    id: Id
    text: Text

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("reference text is empty")
        return text.strip()


class QuestionEntry(Strict):
    id: Id
    question: Text = Field(min_length=1)
    answers: tuple[Text, ...]
    evidence: Text | None = None

    @field_validator("answers", mode="before")
    @classmethod
    def _listed(cls, answers):
        if answers is None or (isinstance(answers, (list, tuple)) and not answers):
            raise ValueError("a question needs at least one answer (the first is the gold answer)")
        if not isinstance(answers, (list, tuple)):
            answers = [answers]  # a lone answer is a list of one (and must be text like any other)
        return answers

    @field_validator("answers")
    @classmethod
    def _answers(cls, answers):
        cleaned = tuple(a.strip() for a in answers)
        for number, answer in enumerate(cleaned, 1):
            if not answer:
                raise ValueError(f"an answer is empty (answer {number})")
            if not normalize_answer(answer):
                raise ValueError(
                    f"answer {number} {answer!r} is empty under SQuAD normalisation (lower-case, no punctuation, "
                    "no a/an/the), so an empty prediction would score exact match 1; give the answer's words"
                )
        return cleaned


class ArticleEntry(Strict):
    id: Id
    title: Text | None = None
    source: Text | None = None
    text: Text | None = None
    text_file: Path | None = None
    references: tuple[ReferenceEntry, ...] = ()
    questions: tuple[QuestionEntry, ...] = ()

    @model_validator(mode="after")
    def _check(self):
        if (self.text is None) == (self.text_file is None):
            raise ValueError("set exactly one of text or text_file")
        if not self.references and not self.questions:
            raise ValueError("an article needs references, questions or both")
        for kind, entries in (("reference", self.references), ("question", self.questions)):
            ids = [e.id for e in entries]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id(s) {dupes}; ids must be unique within an article")
        return self


class EvalSetFile(Strict):
    articles: tuple[ArticleEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        ids = [a.id for a in self.articles]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate article id(s) {dupes}; article ids must be unique")
        return self


def load_eval_set(path: str | Path) -> list[Article]:
    """Read and validate an eval set; `text_file` paths are relative to the YAML file."""
    path = Path(path)
    data = read_yaml(path, what="eval-set")
    if not isinstance(data, dict):
        raise HarnessError(f"{path}: the eval set must be a mapping with an `articles:` list")
    try:
        parsed = EvalSetFile.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(describe_validation_error(path, exc, EvalSetFile)) from None
    return [_to_article(path, i, entry) for i, entry in enumerate(parsed.articles)]


def _to_article(path: Path, index: int, entry: ArticleEntry) -> Article:
    key = f"articles[{index}]"
    if entry.text_file is not None:
        text_path = path.parent / entry.text_file
        where = literal(f"{path}: {key}.text_file: ")
        text = read_text(text_path, FileMessages(
            missing=where + "file not found: {path}{link}",
            not_utf8=where + "{path} is not UTF-8 text (byte {byte}: {reason}); save it as UTF-8",
            unreadable=where + "cannot read {path} ({error})",
            folder=where + "{path} is a folder; name the article's text file",
        ))
        key += ".text_file"
    else:
        text, key = entry.text or "", key + ".text"  # the schema requires text or text_file
    problem = unwritable(text)
    if problem:
        raise HarnessError(f"{path}: {key}: {problem}")
    text = text.strip()
    if not text:
        raise HarnessError(f"{path}: {key}: the article text is empty")
    for q_index, question in enumerate(entry.questions):
        if question.evidence is not None and question.evidence not in text:
            raise HarnessError(
                f"{path}: articles[{index}].questions[{q_index}].evidence: not found verbatim in the "
                "article; quote the sentence exactly (or drop evidence)"
            )
    return Article(
        id=entry.id,
        text=text,
        title=entry.title,
        source=entry.source,
        references=tuple(Reference(r.id, r.text) for r in entry.references),
        questions=tuple(Question(q.id, q.question, q.answers, q.evidence) for q in entry.questions),
    )


def describe_eval_set(path: Path, articles: list[Article]) -> dict:
    """What a report records about its eval set: path, sha256 and counts.

    `sha256` is `articles_sha256` of the loaded articles, the content identity every eval-set
    source records: reformatting the YAML (flow or block style, key order, comments, quoting)
    keeps it; changing a text, a question or an answer changes it.
    """
    return {
        "path": str(path),
        "sha256": articles_sha256(articles),
        "articles": len(articles),
        "references": sum(len(a.references) for a in articles),
        "questions": sum(len(a.questions) for a in articles),
    }


def same_eval_set(baseline: dict, candidate: dict) -> bool:
    """Whether two reports' `eval_set` descriptions name the same eval set.

    Equal sha256s do. For the move from file-bytes to content hashes of YAML eval sets, so do a
    report made before it (its YAML sha256 is that of the file's bytes) and one made after, when
    the YAML file the older report names still has exactly those bytes and its articles hash to
    the newer report's sha256. Either side may be the older one.
    """
    if baseline.get("sha256") == candidate.get("sha256"):
        return True
    return _legacy_match(baseline, candidate) or _legacy_match(candidate, baseline)


def _legacy_match(old: dict, new: dict) -> bool:
    """`old` records a YAML file's byte sha256, the file is unchanged, and its content hash is `new`'s."""
    from harness.provenance import file_digest

    if old.get("source") or not isinstance(old.get("path"), str) or not isinstance(new.get("sha256"), str):
        return False  # `dataset:` and `squad:` sources have always recorded content hashes
    path = Path(old["path"])
    try:
        if not path.is_file() or file_digest(path) != old.get("sha256"):
            return False
        return articles_sha256(load_eval_set(path)) == new["sha256"]
    except (HarnessError, OSError):
        return False
