"""SQuAD-format JSON (v1.1 and v2.0) as eval-set articles with questions.

Each paragraph becomes one `Article`: its `context` is the article text, its questions are the
article's questions. The article id is `<title>-<paragraph index>` (the title with characters
outside letters, digits, `.`, `_`, `-` replaced by `_`; the index counts the title's paragraphs
from 0 in file order, also across several `data` entries with the same title), so
`Super_Bowl_50-3` is the fourth paragraph of "Super_Bowl_50". A question keeps its SQuAD `id`.
Its answers are the texts of its `answers` list, stripped, blank ones dropped, deduplicated in
order: the first is the gold answer, the rest accepted aliases (the harness scores the max over
them, as the official script does). `answer_start` is not needed and not read.

SQuAD v2.0 unanswerable questions (`is_impossible: true`, or an empty `answers` list) are
**skipped**: the harness's QA metrics (exact match, token F1, contains) need a gold answer, and
scoring abstentions is the job of `harness.metrics.squad` on whole files. `read_squad` says how
many were skipped; a paragraph left without questions is skipped too.

Summaries are not requested for these articles: they have no reference summaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from harness.errors import HarnessError
from harness.metrics.squad import read_json
from harness.records import Article, Question
from harness.strict import Strict


class SquadSource(Strict):
    """A config's `squad:` eval-set source: a SQuAD-format JSON file, optionally cut short."""

    path: Path
    """The SQuAD JSON file (relative to the config file; the config loader resolves it)."""
    limit: int | None = Field(default=None, gt=0)
    """Keep only the first N answerable questions, in file order (the last paragraph may keep
    only some of its questions)."""


@dataclass(frozen=True)
class SquadImport:
    articles: list[Article]
    version: str
    """"1.1" or "2.0" ("version": "v2.0" in the file, or any question with `is_impossible`)."""
    questions: int
    """Questions kept (answerable ones, up to `limit`)."""
    skipped_unanswerable: int
    """v2.0 questions without a gold answer that were left out (those read before `limit` was reached)."""


_UNSAFE = re.compile(r"[^\w.\-]")


def load_squad_articles(path: str | Path, limit: int | None = None) -> list[Article]:
    """The paragraphs of a SQuAD v1.1 / v2.0 file as articles with questions.

    Unanswerable v2.0 questions are skipped (our QA metrics need a gold answer); `limit` keeps
    the first N answerable questions in file order. See the module docstring for ids and answers.
    Raises a one-line HarnessError naming the file and the JSON path of the first problem.
    """
    return read_squad(path, limit).articles


def read_squad(path: str | Path, limit: int | None = None) -> SquadImport:
    """`load_squad_articles` with the counts: version, questions kept, unanswerable skipped."""
    path = Path(path)
    if limit is not None and limit < 1:
        raise HarnessError(f"{path}: limit must be a positive number of questions, got {limit}")
    data = read_json(path, "SQuAD")

    def bad(where: str, problem: str) -> HarnessError:
        return HarnessError(f"{path}: {where}: not a SQuAD file: {problem}")

    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise bad("(top level)", "expected an object with a `data` list of articles (SQuAD v1.1/v2.0 format)")
    version = "2.0" if data.get("version") == "v2.0" else "1.1"
    articles: list[Article] = []
    paragraph_counts: dict[str, int] = {}
    kept = skipped = 0
    for a, entry in enumerate(data["data"]):
        if limit is not None and kept >= limit:
            break
        where = f"data[{a}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("paragraphs"), list):
            raise bad(where, "each article needs a `paragraphs` list")
        title = entry.get("title")
        title = str(title) if title not in (None, "") else f"article{a}"
        key = _UNSAFE.sub("_", title)
        for p, paragraph in enumerate(entry["paragraphs"]):
            if limit is not None and kept >= limit:
                break
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(paragraph, dict) or not isinstance(paragraph.get("qas"), list):
                raise bad(where, "each paragraph needs a `qas` list")
            context = paragraph.get("context")
            if not isinstance(context, str) or not context.strip():
                raise bad(where, "each paragraph needs a non-empty string `context`")
            index = paragraph_counts.get(key, 0)
            paragraph_counts[key] = index + 1
            questions: list[Question] = []
            seen_ids: set[str] = set()
            for q, qa in enumerate(paragraph["qas"]):
                if limit is not None and kept >= limit:
                    break
                where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                if not isinstance(qa, dict) or not isinstance(qa.get("id"), str) or not isinstance(qa.get("question"), str):
                    raise bad(where, "each question needs a string `id` and a string `question`")
                if not isinstance(qa.get("answers"), list):
                    raise bad(where, f"question {qa['id']!r} needs an `answers` list")
                answers = []
                for n, answer in enumerate(qa["answers"]):
                    if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
                        raise bad(f"{where}.answers[{n}]", "each answer needs a string `text`")
                    text = answer["text"].strip()
                    if text and text not in answers:
                        answers.append(text)
                if qa.get("is_impossible") is True or not answers:
                    if qa.get("is_impossible") is not True and version == "1.1" and "is_impossible" not in qa:
                        # evaluate-v1.1.py would crash on it; a v2.0 file says so
                        raise bad(where, f"question {qa['id']!r} has no answers, which SQuAD v1.1 does not allow (v2.0 files say \"version\": \"v2.0\")")
                    version = "2.0"
                    skipped += 1
                    continue
                if "is_impossible" in qa:
                    version = "2.0"
                if qa["id"] in seen_ids:
                    raise bad(where, f"duplicate question id {qa['id']!r} in one paragraph")
                seen_ids.add(qa["id"])
                question_text = qa["question"].strip()
                if not question_text:
                    raise bad(where, f"question {qa['id']!r} is empty")
                questions.append(Question(id=qa["id"], question=question_text, answers=tuple(answers)))
                kept += 1
            if questions:
                articles.append(
                    Article(
                        id=f"{key}-{index}",
                        text=context.strip(),
                        references=(),
                        questions=tuple(questions),
                        title=title,
                        source=f"SQuAD: {path.name}",
                    )
                )
    if not articles:
        raise HarnessError(f"{path}: no answerable questions in this SQuAD file; our QA metrics need gold answers")
    return SquadImport(articles=articles, version=version, questions=kept, skipped_unanswerable=skipped)


