"""The task blocks of a config (`tasks:` and a model's own `tasks:`): prompts, generation
parameters and answer post-processing. Shared by the run config and every backend's config."""

from __future__ import annotations

from pydantic import Field, model_validator

from harness.strict import Strict

MAX_NEW_TOKENS = 32768


class QAPostprocess(Strict):
    """How a raw answer becomes the scored answer (summaries are only stripped)."""

    first_line: bool = True
    """Keep only the first non-empty line: small models go on to ask themselves new questions."""
    strip_prefixes: tuple[str, ...] = ("Answer:", "A:")
    """Removed (case-insensitively) from the start of the answer."""


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


class QATask(TaskConfig):
    postprocess: QAPostprocess = QAPostprocess()

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
