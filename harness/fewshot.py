"""Few-shot QA: the pool file of worked examples, which examples each article's questions see,
and how a backend shows them (prior chat turns, or written inline before the prompt).

Which examples: every article gets the n candidates with the smallest
sha256(seed, article id, example id). A hash rank rather than `random.sample` because each
candidate's rank is its own: adding an example to a pool can only take the place of a chosen one,
never reshuffle the rest; it is the same on every Python version; and a test can compute it by
hand. Per article, not per question: all questions of an article see the same examples, so the
examples lie in the prompt prefix they share, which prefix reuse prefills once.

Never its own article: with `source: eval_set` the candidates are the questions of the *other*
articles; from either source a candidate is left out when its context (white space collapsed) is
the article's text or a part of it, or the article is part of it. That also covers a pool cut from
the paragraphs being evaluated (the shipped SQuAD pool, on a `squad:` run of SQuAD dev).

How they are shown: the example's user text is the qa template filled with the example's context
and question, its answer the reply. With a chat template they become prior user/assistant turns
(lm-eval's `fewshot_as_multiturn`); written inline (plain models, or `as_turns: false`) each is
the user text, a space and the answer, followed by a blank line, as lm-eval's defaults
(`target_delimiter=" "`, `fewshot_delimiter="\\n\\n"`) write them. Examples are never cut to fit
a context window; only the article of the question itself is (context_window.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from harness.errors import HarnessError
from harness.evalset import Id, Text
from harness.records import Article, Request
from harness.strict import Strict
from harness.yaml_errors import describe_validation_error, read_yaml

ANSWER_SEPARATOR = " "
"""Between an inline example's user text and its answer (none when the text ends in white space)."""
EXAMPLE_SEPARATOR = "\n\n"
"""After each inline example."""


@dataclass(frozen=True)
class Example:
    id: str
    """Unique among the candidates: a pool entry's id, or `<article id>/<question id>`."""
    context: str
    question: str
    answer: str


class ExampleEntry(Strict):
    id: Id
    context: Text = Field(min_length=1)
    question: Text = Field(min_length=1)
    answer: Text = Field(min_length=1)
    """A short span of the context, verbatim: the harness asks for a phrase from the article."""
    source: Text | None = None
    """Where the example comes from (e.g. a SQuAD question id); not shown to the model."""

    @field_validator("context", "question", "answer")
    @classmethod
    def _stripped(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("is empty; write the text")
        return text.strip()

    @model_validator(mode="after")
    def _answer_in_context(self):
        if self.answer not in self.context:
            raise ValueError(f"answer {self.answer!r} is not in the context verbatim; copy the answer's words from the context")
        return self


class PoolFile(Strict):
    """A few-shot pool: `examples:` and, for people, where they come from and under what licence."""

    source: Text | None = None
    licence: Text | None = None
    examples: tuple[ExampleEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        ids = [e.id for e in self.examples]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate example id(s) {dupes}; ids must be unique within the pool")
        return self


def load_pool(path: Path) -> tuple[Example, ...]:
    """Read and check a pool file; a problem is a one-line HarnessError naming the file and key."""
    data = read_yaml(path, what="few-shot pool")
    if not isinstance(data, dict):
        raise HarnessError(f"{path}: a few-shot pool must be a mapping with an `examples:` list")
    try:
        parsed = PoolFile.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(describe_validation_error(path, exc, PoolFile)) from None
    return tuple(Example(e.id, e.context, e.question, e.answer) for e in parsed.examples)


# -- the config: pool paths -----------------------------------------------------------------


def resolve_pools(config, config_path: Path):
    """`config` (a RunConfig) with every qa block's `fewshot.pool` taken from the config file's
    folder, each pool read and checked now (exit 2 before anything runs, naming the key)."""
    base = config_path.parent
    update: dict = {"tasks": config.tasks.model_copy(update={"qa": _resolved(config.tasks.qa, base, config_path, "tasks.qa.fewshot")})}
    models = []
    for index, model in enumerate(config.models):
        overrides = getattr(model, "tasks", None)
        own = getattr(overrides, "qa", None)
        if overrides is not None and own is not None:  # a model's own qa block (TaskOverrides)
            own = _resolved(own, base, config_path, f"models[{index}].tasks.qa.fewshot")
            model = model.model_copy(update={"tasks": overrides.model_copy(update={"qa": own})})
        models.append(model)
    update["models"] = tuple(models)
    return config.model_copy(update=update)


def _resolved(qa, base: Path, config_path: Path, key: str):
    fewshot = qa.fewshot
    if fewshot.pool is None:
        return qa
    path = Path(os.path.normpath(base / fewshot.pool.expanduser()))
    try:
        pool = load_pool(path)
    except HarnessError as exc:
        raise HarnessError(f"{config_path}: {key}.pool: {exc}") from None
    if fewshot.n > len(pool):
        raise HarnessError(f"{config_path}: {key}.n: {fewshot.n} examples per question, but the pool {path} has {len(pool)}; "
                           "lower n or add examples to the pool")
    return qa.model_copy(update={"fewshot": fewshot.model_copy(update={"pool": path})})


# -- which examples -------------------------------------------------------------------------


def rank(seed: int, article_id: str, example_id: str) -> str:
    """An example's place in an article's order: the smaller, the earlier it is chosen."""
    return hashlib.sha256(f"{seed}\n{article_id}\n{example_id}".encode()).hexdigest()


def candidates(articles: list[Article], fewshot, pool: tuple[Example, ...] | None = None) -> tuple[Example, ...]:
    """Every example the source offers (before an article's own are left out)."""
    if fewshot.source == "pool":
        return pool if pool is not None else load_pool(fewshot.pool)
    return tuple(Example(f"{a.id}/{q.id}", a.text, q.question, q.answers[0]) for a in articles for q in a.questions)


def choose(article: Article, offered: tuple[Example, ...], n: int, seed: int, source: str = "pool") -> tuple[Example, ...]:
    """The n examples an article's questions see, in the order they are shown; HarnessError when
    fewer than n are left once the article's own are left out (never fewer silently: "3-shot"
    would then mean different things for different articles)."""
    text = _collapse(article.text)
    allowed = [e for e in offered if not _overlap(_collapse(e.context), text)]
    if len(allowed) < n:
        where = ("the eval set's other articles have only" if source == "eval_set" else "the pool has only")
        fix = "add articles with questions to the eval set" if source == "eval_set" else "add examples to the pool"
        raise HarnessError(f"n is {n}, but for article {article.id!r} {where} {len(allowed)} example(s) from other texts "
                           f"(an example whose text is part of the article, or contains it, is never shown); lower n or {fix}")
    return tuple(sorted(allowed, key=lambda e: rank(seed, article.id, e.id))[:n])


def examples_by_article(articles: list[Article], qa) -> dict[str, tuple[tuple[str, str], ...]]:
    """{article id: its (user text, answer) pairs} for the articles with questions; {} without few-shot."""
    fewshot = getattr(qa, "fewshot", None)
    if fewshot is None or fewshot.n == 0:
        return {}
    offered = candidates(articles, fewshot)
    return {
        article.id: tuple((qa.prompt.format(article=e.context, question=e.question), e.answer)
                          for e in choose(article, offered, fewshot.n, fewshot.seed, fewshot.source))
        for article in articles
        if article.questions
    }


def preflight(config, models, articles: list[Article], config_path: Path) -> None:
    """Every run model's examples can be chosen for every article: a HarnessError (exit 2) naming
    the config key before anything runs, rather than a failed model after others ran."""
    for index, model in enumerate(config.models):
        if model not in models:
            continue
        own = getattr(getattr(model, "tasks", None), "qa", None)
        key = f"models[{index}].tasks.qa.fewshot" if own is not None else "tasks.qa.fewshot"
        try:
            examples_by_article(articles, config.task(model, "qa"))
        except HarnessError as exc:
            raise HarnessError(f"{config_path}: {key}: {exc}") from None


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _overlap(context: str, article: str) -> bool:
    return bool(context) and (context in article or article in context)


# -- how a backend shows them ---------------------------------------------------------------


def as_turns_setting(qa) -> bool | None:
    """A qa task's `fewshot.as_turns` (auto, true, false) as Request.examples_as_turns (None, True, False)."""
    value = getattr(getattr(qa, "fewshot", None), "as_turns", "auto")
    return None if value == "auto" else bool(value)


def inline(request: Request) -> str:
    """The examples written before the prompt, as one text."""
    shown = [f"{user}{'' if user[-1:].isspace() else ANSWER_SEPARATOR}{answer}" for user, answer in request.examples]
    return EXAMPLE_SEPARATOR.join([*shown, request.prompt])


def chat_messages(request: Request, system_prompt: str | None) -> list[dict]:
    """The messages for a model with a chat template (or a chat API): the system prompt, the
    examples as prior turns (or inline in the one user message with `as_turns: false`), the prompt."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    if request.examples and request.examples_as_turns is not False:
        for user, answer in request.examples:
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
        messages.append({"role": "user", "content": request.prompt})
    else:
        messages.append({"role": "user", "content": inline(request)})
    return messages


def plain_prompt(request: Request, system_prompt: str | None, model: str) -> str:
    """The text for a model without a chat template (or a completions API): the system prompt as a
    paragraph, then the examples inline, then the prompt."""
    if request.examples and request.examples_as_turns is True:
        raise HarnessError(f"model {model}: the qa task's fewshot.as_turns is true but the model uses no chat template; "
                           "set fewshot.as_turns to auto or false (examples inline), or use a model with a chat template")
    text = inline(request)
    return f"{system_prompt}\n\n{text}" if system_prompt else text
