"""The SQuAD file format (v1.1 and v2.0): one reader and one set of rules for everything that reads it.

Two users: `harness.metrics.squad` takes the gold answers to score a predictions file exactly as
the official scripts do, and `harness.sources.squad_import` turns the paragraphs into articles
with questions. Both see the same `SquadFile`, so a file is SQuAD format or not for both alike.

The rules (every violation is a one-line HarnessError `<file>: <JSON path>: not a SQuAD file: ...`):
- the top level is an object with a `data` list of articles; an article has a `paragraphs` list,
  a paragraph a `qas` list, a question a string `id` and an `answers` list of objects with a
  string `text` (`answer_start` is not needed and not read; v2.0's `plausible_answers` are never
  scored and not read);
- question ids are unique in the whole file (the official scripts key everything by id);
- the version is "2.0" when the file says `"version": "v2.0"` or any question carries
  `is_impossible`, else "1.1"; a v1.1 question must have answers (evaluate-v1.1.py would take a
  max over an empty list and crash); the file must hold at least one question;
- with `texts=True` (articles need them) every paragraph also needs a non-empty string
  `context` and every question a non-empty string `question`; scoring needs neither.

Answer texts are kept exactly as written, in file order: the official v1.1 rules score them so,
and each user cleans them its own way (v2.0 scoring drops golds that normalise to nothing, the
importer strips and deduplicates them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.jsonfile import json_type, read_json


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str | None
    """The question text; None only when read with texts=False and the file has none."""
    answers: tuple[str, ...]
    """The `text` of every entry of `answers`, as written and in file order (v2.0 unanswerable: ())."""
    impossible: bool
    """`is_impossible: true` in the file."""
    where: str
    """The JSON path, for error messages: data[0].paragraphs[1].qas[2]."""


@dataclass(frozen=True)
class SquadParagraph:
    context: str | None
    """The paragraph text; None only when read with texts=False and the file has none."""
    questions: tuple[SquadQuestion, ...]
    where: str


@dataclass(frozen=True)
class SquadArticle:
    title: str | None
    """The `title`, as text; None when missing or empty."""
    paragraphs: tuple[SquadParagraph, ...]


@dataclass(frozen=True)
class SquadFile:
    path: Path
    version: str
    """"1.1" or "2.0": which official script's rules apply."""
    articles: tuple[SquadArticle, ...]

    def questions(self) -> Iterator[SquadQuestion]:
        """Every question, in file order."""
        for article in self.articles:
            for paragraph in article.paragraphs:
                yield from paragraph.questions


def not_squad(path: Path, where: str, problem: str) -> HarnessError:
    """The one-line error for a file that breaks the format at `where` (a JSON path)."""
    return HarnessError(f"{path}: {where}: not a SQuAD file: {problem}")


def looks_like_squad(data) -> bool:
    """True for parsed JSON shaped like a SQuAD file (an object with `version` and a `data` list)."""
    return isinstance(data, dict) and isinstance(data.get("data"), list) and "version" in data


def read_squad_file(path: str | Path, *, what: str = "SQuAD", texts: bool = False) -> SquadFile:
    """Read and validate a SQuAD v1.1 / v2.0 file (see the module docstring for the rules).

    `what` names the file in read errors ("SQuAD gold file not found"); `texts=True` also
    requires every paragraph's `context` and every question's `question` text.
    """
    path = Path(path)
    data = read_json(path, what)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        got = json_type(data) if not isinstance(data, dict) else "an object without a `data` list"
        raise not_squad(path, "(top level)", f"expected an object with a `data` list of articles, got {got}")
    seen: set[str] = set()
    has_is_impossible = False
    articles = []
    for a, entry in enumerate(data["data"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("paragraphs"), list):
            raise not_squad(path, f"data[{a}]", "each article needs a `paragraphs` list")
        paragraphs = []
        for p, paragraph in enumerate(entry["paragraphs"]):
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(paragraph, dict) or not isinstance(paragraph.get("qas"), list):
                raise not_squad(path, where, "each paragraph needs a `qas` list")
            context = paragraph.get("context")
            if texts and (not isinstance(context, str) or not context.strip()):
                raise not_squad(path, where, "each paragraph needs a non-empty string `context`")
            questions = []
            for q, qa in enumerate(paragraph["qas"]):
                questions.append(_question(path, f"{where}.qas[{q}]", qa, seen, texts))
                has_is_impossible = has_is_impossible or "is_impossible" in qa
            paragraphs.append(SquadParagraph(context if isinstance(context, str) else None, tuple(questions), where))
        title = entry.get("title")
        articles.append(SquadArticle(None if title in (None, "") else str(title), tuple(paragraphs)))
    if not seen:
        raise not_squad(path, "data", "no questions")
    squad = SquadFile(path, "2.0" if data.get("version") == "v2.0" or has_is_impossible else "1.1", tuple(articles))
    if squad.version == "1.1":
        for question in squad.questions():
            if not question.answers:
                # evaluate-v1.1.py takes a max over an empty list here and crashes
                raise not_squad(
                    path, question.where,
                    f"question {question.id!r} has no answers, which SQuAD v1.1 does not allow (v2.0 files say \"version\": \"v2.0\")",
                )
    return squad


def _question(path: Path, where: str, qa, seen: set[str], texts: bool) -> SquadQuestion:
    if not isinstance(qa, dict) or not isinstance(qa.get("id"), str):
        raise not_squad(path, where, "each question needs a string `id`")
    qid = qa["id"]
    question = qa.get("question")
    if texts:
        if not isinstance(question, str):
            raise not_squad(path, where, f"question {qid!r} needs a string `question`")
        if not question.strip():
            raise not_squad(path, where, f"question {qid!r} is empty")
    if not isinstance(qa.get("answers"), list):
        raise not_squad(path, where, f"question {qid!r} needs an `answers` list")
    answers = []
    for n, answer in enumerate(qa["answers"]):
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise not_squad(path, f"{where}.answers[{n}]", "each answer needs a string `text`")
        answers.append(answer["text"])
    if qid in seen:
        raise not_squad(path, where, f"duplicate question id {qid!r}")
    seen.add(qid)
    return SquadQuestion(
        qid, question if isinstance(question, str) else None, tuple(answers), qa.get("is_impossible") is True, where
    )
