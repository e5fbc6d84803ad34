"""SQuAD-format JSON (v1.1 and v2.0) as eval-set articles with questions.

Each paragraph becomes one `Article`: its `context` is the article text, its questions are the
article's questions. The article id is `<title>-<paragraph index>` (the title with characters
outside letters, digits, `.`, `_`, `-` replaced by `_`; the index counts the title's paragraphs
from 0 in file order, also across several `data` entries with the same title), so
`Super_Bowl_50-3` is the fourth paragraph of "Super_Bowl_50". A question keeps its SQuAD `id`.
Its answers are the texts of its `answers` list, stripped, blank ones dropped, deduplicated in
order: the first is the gold answer, the rest accepted aliases (the harness scores the max over
them, as the official script does). `answer_start` is not needed and not read.

SQuAD v2.0 unanswerable questions (`is_impossible: true`, or no non-blank answer) are
**skipped**: the harness's QA metrics (exact match, token F1, contains) need a gold answer, and
scoring abstentions is the job of `harness.metrics.squad` on whole files. `read_squad` says how
many were skipped; a paragraph left without questions is skipped too.

The file is read and validated by `harness.squad_format`, the reader the official-scorer port
(`harness.metrics.squad`) uses too, so both accept and refuse the same files; this module adds
what articles need (a non-empty `context` and `question`, checked there with `texts=True`).

Summaries are not requested for these articles: they have no reference summaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from harness.errors import HarnessError
from harness.records import Article, Question
from harness.squad_format import read_squad_file
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
    squad = read_squad_file(path, what="SQuAD", texts=True)
    articles: list[Article] = []
    paragraph_counts: dict[str, int] = {}
    kept = skipped = 0
    for a, entry in enumerate(squad.articles):
        if limit is not None and kept >= limit:
            break
        title = entry.title or f"article{a}"
        key = _UNSAFE.sub("_", title)
        for paragraph in entry.paragraphs:
            if limit is not None and kept >= limit:
                break
            index = paragraph_counts.get(key, 0)
            paragraph_counts[key] = index + 1
            questions: list[Question] = []
            for qa in paragraph.questions:
                if limit is not None and kept >= limit:
                    break
                answers = _clean(qa.answers)
                if qa.impossible or not answers:
                    skipped += 1
                    continue
                questions.append(Question(id=qa.id, question=(qa.question or "").strip(), answers=tuple(answers)))
                kept += 1
            if questions:
                articles.append(
                    Article(
                        id=f"{key}-{index}",
                        text=(paragraph.context or "").strip(),
                        references=(),
                        questions=tuple(questions),
                        title=title,
                        source=f"SQuAD: {path.name}",
                    )
                )
    if not articles:
        raise HarnessError(f"{path}: no answerable questions in this SQuAD file; our QA metrics need gold answers")
    return SquadImport(articles=articles, version=squad.version, questions=kept, skipped_unanswerable=skipped)


def _clean(texts: tuple[str, ...]) -> list[str]:
    """Answer texts stripped, blank ones dropped, deduplicated in order (the first is the gold answer)."""
    out: list[str] = []
    for text in (t.strip() for t in texts):
        if text and text not in out:
            out.append(text)
    return out
