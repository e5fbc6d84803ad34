"""The typed records that flow between the rooms of the harness.

A backend only sees `Request`s and returns `Generation`s; metrics only see strings; reports
only read `ModelResult`s. Each record is frozen so no stage can change another's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = "1.0"
"""Version of report.json and predictions.jsonl; bump on any incompatible change."""

TASKS = ("summary", "qa")


@dataclass(frozen=True)
class Reference:
    id: str
    """Unique within its article."""
    text: str
    """A hand-written reference summary."""


@dataclass(frozen=True)
class Question:
    id: str
    """Unique within its article."""
    question: str
    answers: tuple[str, ...]
    """The first is the gold answer, the rest accepted aliases; never empty."""
    evidence: str | None = None
    """The sentence of the article that supports the answer, verbatim."""


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    references: tuple[Reference, ...]
    questions: tuple[Question, ...]
    title: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Request:
    """One thing to generate: a summary of an article, or the answer to one question."""

    article_id: str
    task: str
    """'summary' or 'qa'."""
    item_id: str
    """The article id for a summary, the question id for qa."""
    prompt: str
    """The filled-in template, before any chat template is applied."""
    max_new_tokens: int
    stop: tuple[str, ...] = ()
    """Generation stops at the first of these; the output is cut before it."""
    do_sample: bool = False
    temperature: float | None = None
    top_p: float | None = None
    article: str = field(default="", repr=False, compare=False)
    """The article text itself, for backends that read it directly (Lead-k); not reported."""
    truncated_tokens: int = 0
    """Article tokens cut from the end so the prompt fits the model's context window
    (`context_overflow: truncate`); 0 when the prompt is whole."""
    examples: tuple[tuple[str, str], ...] = ()
    """Few-shot examples shown before `prompt`, as (user text, answer) pairs: the user text is the
    same template filled with the example's context and question. The same for every question of
    an article. Part of the generation cache's key; rendered by harness.fewshot."""
    examples_as_turns: bool | None = None
    """How `examples` are shown: True as prior user/assistant chat turns, False inline before the
    prompt, None (auto) as turns when the model uses a chat template, else inline."""


@dataclass(frozen=True)
class Generation:
    request: Request
    raw_output: str
    """What the model produced, cut at the first stop string."""
    new_tokens: int
    seconds: float
    """Wall time of the batch this item was generated in, divided by the batch size."""
    rendered_prompt: str | None = None
    """The exact text the model saw (after the chat template); None for non-model backends."""
    cached: bool = False
    """True when it came from the generation cache instead of the model."""


@dataclass(frozen=True)
class ScoredItem:
    """A generation after post-processing and scoring; one line of predictions.jsonl."""

    model: str
    generation: Generation
    output: str
    """The post-processed output that was scored."""
    scores: dict[str, float]
    """Higher-is-better metrics: ROUGE F for summaries; exact_match, f1, contains for answers."""
    trace: dict = field(default_factory=dict)
    """How the scores were reached (the best reference; the normalised answers and verdict)."""
    stats: dict = field(default_factory=dict)
    """Summary statistics (length, compression, novel n-grams, ...): descriptive, not scores."""


@dataclass
class ModelResult:
    """Everything the reports need about one model of a run."""

    name: str
    backend: str
    status: str = "ok"
    """'ok' or 'failed'."""
    error: str | None = None
    source: dict = field(default_factory=dict)
    """Where the weights came from: hub id and revision, or file path and sha256."""
    load_seconds: float | None = None
    """None when the model was never loaded (every output came from the cache)."""
    generation_seconds: float = 0.0
    new_tokens: int = 0
    """Tokens generated in this run (cached outputs are not counted)."""
    cached_items: int = 0
    truncated_items: int = 0
    """Items whose article was cut to fit the context window (context_overflow: truncate)."""
    efficiency: dict = field(default_factory=dict)
    """Prefill and decode tokens per second, peak memory (backends/efficiency.py)."""
    items: list[ScoredItem] = field(default_factory=list)
    metrics: dict[str, dict[str, dict] | None] = field(default_factory=dict)
    """{task: {metric: {"mean": x, "ci95": [lo, hi], "n": k}}}; a task the backend does not do is None."""
    per_article: dict[str, dict] = field(default_factory=dict)
    """{task: {article_id: {metric: {"mean", "ci95", "n"}}}}."""
    qa_verdicts: dict[str, float] | None = None
    summary_statistics: dict[str, dict] | None = None
    answerable_from_summary: dict | None = None
    """With `scoring: answerable_from_summary`: the reader's EM/F1 on this model's summaries and
    its upper bound (harness/answerable.py); None otherwise."""

    @property
    def tokens_per_second(self) -> float | None:
        if not self.generation_seconds or not self.new_tokens:
            return None
        return self.new_tokens / self.generation_seconds


@dataclass
class RunResult:
    """A finished (or failed) run: what every report writer reads."""

    provenance: dict
    config: dict
    """The validated config, as JSON."""
    scoring: dict
    """How the numbers were computed (ROUGE options, splitter, QA normalisation)."""
    eval_set: dict
    """Path, sha256 and counts of the eval set."""
    articles: list[Article]
    models: list[ModelResult]
    pairwise: list[dict] = field(default_factory=list)
    """Paired differences between the run's models (compare.pairwise_within_run)."""
