"""The task blocks of a config (`tasks:` and a model's own `tasks:`): prompts, generation
parameters and answer post-processing. Shared by the run config and every backend's config."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from harness.strict import Strict

MAX_NEW_TOKENS = 32768
MAX_SHOTS = 64
"""More examples than this would swamp a small model's context window long before they help."""
SEED_MAX = 2**32 - 1  # as the run's seed (config.SEED_MAX, which imports this module)


class QAPostprocess(Strict):
    """How a raw answer becomes the scored answer (summaries are only stripped). The steps run in
    the order of these keys (harness.postprocess.STEPS), after white space at both ends is removed;
    every step that changed the answer, and every `regex` step, is recorded in its trace (`extraction`)."""

    first_line: bool = True
    """Keep only the first non-empty line: small models go on to ask themselves new questions."""
    strip_prefixes: tuple[str, ...] = ("Answer:", "A:")
    """Removed (case-insensitively) from the start of the answer."""
    regex: str | None = None
    """Keep only what this pattern finds (Python `re.search`, the first match): its group named
    `answer` when it has one, else the whole match. No match scores an empty answer (0 on every
    metric, verdict `empty`), never the unextracted text."""
    max_words: int | None = Field(default=None, ge=1, le=MAX_NEW_TOKENS)
    """Keep at most this many words (runs of non-space characters), cut after the last one kept."""
    strip_trailing_punctuation: bool = False
    """Remove sentence punctuation (. , ; : ! ? and their kin in other scripts: harness.postprocess.
    TRAILING_PUNCTUATION) and white space from the end; quotes, brackets and symbols such as % stay."""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        """A pattern that cannot run, or whose answer is ambiguous, is a config error now rather than a
        surprise in the scores: with unnamed groups, lm-eval's versions disagree on what is kept."""
        if pattern is None:
            return None
        if not pattern:
            raise ValueError("an empty pattern matches the empty text, so every answer would be empty; give a pattern or remove the key")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc}); fix the pattern (in YAML, single-quote it so backslashes stay)") from None
        if compiled.groups and "answer" not in compiled.groupindex:
            raise ValueError("the pattern has capturing groups but none named 'answer'; name the part to keep (?P<answer>...) "
                             "or make the groups non-capturing (?:...)")
        return pattern


class TaskConfig(Strict):
    prompt: str
    """A template with `{article}` (and `{question}` for qa) placeholders."""
    max_new_tokens: int = Field(ge=1, le=MAX_NEW_TOKENS)
    stop: tuple[str, ...] = ()
    """Generation stops at the first of these strings; the string itself is cut off."""
    do_sample: bool = False
    """Greedy decoding by default, so a run is reproducible."""
    temperature: float | None = Field(default=None, gt=0)
    top_p: float | None = Field(default=None, gt=0, le=1)


class SummaryTask(TaskConfig):
    @model_validator(mode="after")
    def _placeholders(self):
        _check_placeholders(self.prompt, required=("article",), allowed=("article",))
        return self


class FewShot(Strict):
    """Worked examples shown before every question (harness/fewshot.py chooses and renders them).
    Every question of an article gets the same examples, so they belong to the prefix its
    questions share (prefix reuse still prefills it once), and no item ever sees its own article."""

    n: int = Field(default=0, ge=0, le=MAX_SHOTS)
    """How many examples each question sees; 0 (the default) asks the question alone."""
    source: Literal["pool", "eval_set"] = "pool"
    """pool: examples from the `pool` file; eval_set: questions of the eval set's other articles
    (each with its whole article as the example's text and its first answer as the example's answer)."""
    pool: Path | None = None
    """With source pool: a YAML file of examples (`examples:` with id, context, question, answer),
    relative to the config file; references/fewshot/squad_examples.yaml ships with the harness."""
    seed: int = Field(default=0, ge=0, le=SEED_MAX)
    """Which examples an article gets: the n with the smallest sha256 of (seed, article id, example id)."""
    as_turns: Literal["auto"] | bool = "auto"
    """auto: prior user/assistant chat turns when the model uses a chat template, else written
    inline before the prompt (lm-eval's fewshot_as_multiturn); true: turns (a model without a chat
    template fails); false: inline, also inside a chat model's one user message."""

    @model_validator(mode="after")
    def _source(self):
        if self.source == "pool" and self.n and self.pool is None:
            raise ValueError("n > 0 with source pool needs pool: a YAML file of examples (relative to the config file), "
                             "e.g. references/fewshot/squad_examples.yaml; or set source: eval_set")
        if self.source == "eval_set" and self.pool is not None:
            raise ValueError("pool goes with source: pool; remove pool or set source: pool")
        return self


class QATask(TaskConfig):
    postprocess: QAPostprocess = QAPostprocess()
    fewshot: FewShot = FewShot()
    """Few-shot examples before each question (none by default)."""

    @model_validator(mode="after")
    def _placeholders(self):
        _check_placeholders(self.prompt, required=("article", "question"), allowed=("article", "question"))
        return self


def _check_placeholders(template: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    import string

    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"prompt is not a valid template ({exc}); write literal braces as {{{{ }}}}") from None
    unknown = names - set(allowed)
    if unknown:
        raise ValueError(f"prompt has unknown placeholder(s) {sorted(unknown)}; allowed: {list(allowed)}")
    missing = [name for name in required if name not in names]
    if missing:
        raise ValueError(f"prompt must contain {', '.join('{' + m + '}' for m in missing)}")


DEFAULT_SUMMARY = SummaryTask(
    prompt="Summarize the following news article in three sentences.\n\nArticle:\n{article}\n\nSummary:",
    max_new_tokens=120,
)
DEFAULT_QA = QATask(
    prompt=(
        "Read the article and answer the question with a short phrase taken from the article.\n\n"
        "Article:\n{article}\n\nQuestion: {question}\nAnswer:"
    ),
    max_new_tokens=24,
    # not "\n" or "\n\n": base models often open with a newline and would answer nothing;
    # postprocess keeps the first non-empty line anyway
    stop=("\nQuestion:", "\nArticle:"),
)


class Tasks(Strict):
    summary: SummaryTask = DEFAULT_SUMMARY
    qa: QATask = DEFAULT_QA


class TaskOverrides(Strict):
    """Per-model replacements of whole task blocks (e.g. a plain prompt for a base model)."""

    summary: SummaryTask | None = None
    qa: QATask | None = None
