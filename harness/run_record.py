"""The on-disk record of a run: report.json and one line of predictions.jsonl, as pydantic models.

`harness.report.json_report` writes through these models (`model_dump_json`) and
`harness.run_files` reads through them, so the writer and the readers cannot drift. The JSON
Schemas published in `schemas/` are generated from them: `python -m harness.run_record`
rewrites them (a test fails when the checked-in files differ).

Over 300 lines on purpose: every field carries the docstring that becomes its description in
the published schema; splitting the record would split the contract.

Every part is strict JSON (a string is never a number, a boolean never a number) with finite
numbers, and keeps keys it does not declare (`extra="allow"`): a newer harness may add keys
an older reader passes through. Fields added after schema 1.0 shipped have defaults, so older
files still read.

`Report` and `Prediction` are the whole record (what `rescore` and `report` rebuild a run
from); `LightReport` and `LightPrediction` are the subset `compare` reads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, PlainSerializer, Strict, WrapValidator

from harness import schemas
from harness.records import SCHEMA_VERSION


def _keep_int(value, handler):
    """An integer stays one, read and written (1 is written as 1, not 1.0); the rest is
    validated as a float."""
    return value if type(value) is int else handler(value)


NUMBER = Annotated[
    float, Strict(), AllowInfNan(False), WrapValidator(_keep_int), PlainSerializer(lambda value: value, return_type=Any)
]
"""A finite JSON number, integer or not: json.loads accepts NaN and Infinity, no score is one."""


class _Part(BaseModel):
    """A part of a stored run: strict JSON types; keys this version does not declare are kept."""

    model_config = ConfigDict(strict=True, extra="allow", use_attribute_docstrings=True)


# --- report.json -----------------------------------------------------------------------------


class GitState(_Part):
    commit: str | None = None
    """The commit of the harness checkout; null for an installed harness (no git checkout)."""
    dirty: bool | None = None
    """True when tracked files differed from that commit; null when unknown."""


class Provenance(_Part):
    """How the run was made: versions, the config and when."""

    harness_version: str | None = None
    """The harness package version."""
    git: GitState | None = None
    """The harness's own git commit."""
    python: str | None = None
    """The Python version, e.g. "3.11.7"."""
    platform: str | None = None
    """`platform.platform()` of the machine that ran it."""
    packages: dict[str, str | None] | None = None
    """Versions of the packages that affect the numbers (torch, transformers, rouge-score, ...); null: not installed."""
    config_path: str
    """The config file the run was made with (for a rescore with --config, that file)."""
    config_sha256: str
    """SHA-256 of the validated config (hex)."""
    seed: int | None = None
    """The run's seed (torch, bootstrap resampling)."""
    started_at: str
    """ISO 8601 time in UTC when the run started."""
    finished_at: str | None = None
    """ISO 8601 time in UTC when the reports were written; null only while running."""
    complete: bool | None = None
    """False when the run was interrupted (Ctrl-C): only the models that finished are reported."""
    rescored_from: str | None = None
    """Only in a `rescore` run: the run folder whose stored outputs were scored again."""
    rescored_at: str | None = None
    """Only in a `rescore` run: ISO 8601 time in UTC of the rescoring."""
    eval_set_changed_since_generation: bool | None = None
    """Only in a `rescore` run, true when the eval set's sha256 differs from the original run's."""


class EvalSetInfo(_Part):
    """Which eval set the run used; two runs compare only when their sha256 agree."""

    path: str
    """The eval-set YAML, or a description of the dataset or SQuAD file it came from."""
    sha256: str
    """SHA-256 (hex) of the eval-set file; of the articles' content for `dataset:` and `squad:`."""
    articles: int
    """Number of articles."""
    references: int | None = None
    """Number of reference summaries over all articles."""
    questions: int
    """Number of questions over all articles."""
    source: dict[str, Any] | None = None
    """For `dataset:` and `squad:` eval sets, the config section that loads it again
    ({"dataset": {...}} or {"squad": {...}}); absent for an eval-set YAML."""


class ScoringInfo(_Part):
    """How the numbers were computed."""

    rouge_types: list[str]
    """The ROUGE types scored, e.g. ["rouge1", "rouge2", "rougeL", "rougeLsum"]."""
    use_stemmer: bool | None = None
    """Stemming before matching (words longer than 3 characters); `stemmer` says which."""
    multi_reference: str | None = None
    """How several references combine: "max" (best F) or "model_average" (ROUGE-1.5.5 -f A)."""
    tokenizer: str | None = None
    """"default" (rouge-score's, ASCII only) or "unicode"."""
    sentence_split: str | None = None
    """rougeLsum's sentence splitting: "pysbd" or "newline"."""
    stemmer: str | None = None
    """"porter" (rouge-score's, nltk) or "rouge155" (ROUGE-1.5.5.pl -m); absent in reports written before it existed."""
    signature: dict[str, str]
    """Scorer signatures by task ({"rouge": ..., "qa": ...}): `compare` refuses runs whose signatures differ."""
    rouge: str
    """The ROUGE signature in words."""
    fact_recall: str | None = None
    """How a summary's fact_recall is computed, in words; absent in reports written before that scorer."""
    qa: str
    """The QA normalisation in words."""
    metrics: dict[str, list[str]] | None = None
    """{task: the metric names its scorers produced}, in display order (the leaderboard's
    columns); absent in reports written before scorers were registered."""
    summary_stats: dict[str, str] | None = None
    """Which tokens the summary statistics' coverage and density counted: {"setting": "auto",
    "spacy" or "builtin" (the config's), "tokenizer": "spacy-<version>-en" or "builtin" (what
    ran), "description": the same in words}; absent in reports written before the setting."""


class Timing(_Part):
    """Where a model's time went."""

    load_seconds: NUMBER | None = None
    """Seconds to load the model; null when it was never loaded (every output came from the cache)."""
    generation_seconds: NUMBER | None = None
    """Seconds spent generating in this run (cached outputs take none)."""
    new_tokens: int | None = None
    """Tokens generated in this run (cached outputs are not counted)."""
    new_tokens_per_second: NUMBER | None = None
    """new_tokens / generation_seconds; null when either is 0."""
    cached_items: int | None = None
    """Items whose output came from the generation cache."""


class ServedEfficiency(_Part):
    """A model behind a server (`backend: openai`): the server's `usage` fields and the client's clock."""

    requests: int
    """Requests answered in this run (retries not counted)."""
    seconds: NUMBER
    """From the first request sent to the last answer."""
    requests_per_second: NUMBER | None = None
    """requests / seconds; null when nothing was answered."""
    prompt_tokens: int
    """Sum of the answers' usage.prompt_tokens."""
    completion_tokens: int
    """Sum of the answers' usage.completion_tokens."""
    completion_tokens_per_second: NUMBER | None = None
    """completion_tokens / seconds: the throughput the server gave this run."""
    median_latency_seconds: NUMBER | None = None
    """Median time from sending a request to its answer."""
    concurrency: int
    """The configured limit of requests in flight."""
    concurrency_reached: int
    """The most requests that were in flight at once."""
    retries: int
    """Requests sent again after a connection error, 429 or 5xx."""
    usage_missing: int
    """Answers without a usage field (their tokens are not counted)."""


class Efficiency(_Part):
    """Prefill and decode throughput and peak memory, from the backend; {} when the model never loaded."""

    prefill_tokens: int | None = None
    """Prompt tokens processed."""
    prefill_tokens_per_second: NUMBER | None = None
    """Prompt tokens per second of prefill; null when nothing was prefilled."""
    decode_tokens: int | None = None
    """Tokens generated."""
    decode_tokens_per_second: NUMBER | None = None
    """Generated tokens per second of decoding; null when nothing was decoded."""
    decode_row_steps: int | None = None
    """Batch rows times the positions each batch generated (a batch runs until its longest row
    stops); null for backends that do not batch rows (served models, Lead-k)."""
    batch_occupancy: NUMBER | None = None
    """decode_tokens / decode_row_steps: how much of the batches' work produced tokens."""
    peak_memory_mb: NUMBER | None = None
    """Peak accelerator memory on CUDA, else the process's peak resident set size, in MB."""
    served: ServedEfficiency | None = None
    """Only for a served model (backend: openai); its prefill/decode_tokens are the usage sums."""


class MetricSummary(_Part):
    """A mean over items with its percentile-bootstrap 95% interval."""

    mean: NUMBER | None = None
    """The plain mean; null when there are no items."""
    ci95: list[NUMBER | None] | None = None
    """[low, high] of the 95% interval; [null, null] when there are no items."""
    n: int | None = None
    """Number of items averaged."""


class UpperBound(_Part):
    """The reader's own QA score with the full article as context, over the same questions."""

    exact_match: NUMBER
    """Mean exact match (0..1)."""
    f1: NUMBER
    """Mean token F1 (0..1)."""
    n: int
    """Questions averaged."""


class AnswerableFromSummary(_Part):
    """scoring.answerable_from_summary: the reader model's answers to the article's questions with
    this model's summary as its only context (QAGS / QuestEval with fixed questions)."""

    reader: str
    """The reader model's name in the config."""
    status: Literal["ok", "failed"]
    """"failed" when the reader failed to load or generate; the scores are then absent."""
    error: str | None = None
    """What failed; null when status is "ok"."""
    exact_match: MetricSummary | None = None
    """Exact match of the reader's answers against the gold answers (SQuAD v1.1 normalisation), over every question of every summarized article."""
    f1: MetricSummary | None = None
    """Token F1 of the same answers."""
    upper_bound: UpperBound | None = None
    """The reader's EM/F1 with the full article, over the same questions; null when the reader did not run in this run or failed."""
    questions: int | None = None
    """Questions the reader answered from this model's summaries."""
    reader_new_tokens: int | None = None
    """Tokens the reader generated for them in this run (cached answers not counted)."""
    reader_cached_items: int | None = None
    """Answers that came from the generation cache."""


class ModelReport(_Part):
    """One model of the run: its status, where its weights came from, time and scores."""

    name: str
    """The model's name in the config."""
    backend: str
    """"hf" (transformers), "openai" (a model behind an OpenAI-compatible server), "lead" (the Lead-k baseline), or a plugin's name."""
    status: Literal["ok", "failed"]
    """"failed" when it failed to load or generate; its scores are then empty."""
    error: str | None = None
    """What failed ("load failed: OSError: ..."); null when status is "ok"."""
    source: dict[str, Any] = Field(default_factory=dict)
    """Where the weights came from: hub id, revision and commit, or file path and sha256, and how it ran (dtype, device)."""
    timing: Timing = Field(default_factory=Timing)
    """Load and generation time, tokens and cache hits."""
    truncated_items: int = 0
    """Items whose article was cut to fit the context window (context_overflow: truncate)."""
    efficiency: Efficiency = Field(default_factory=Efficiency)
    """Throughput and peak memory."""
    metrics: dict[str, dict[str, MetricSummary] | None]
    """{task: {metric: summary}}; ROUGE F and fact_recall for "summary", exact_match, f1, contains for "qa"
    (all 0..1, higher is better); a task the backend does not do (Lead-k's qa) is null."""
    per_article: dict[str, dict[str, dict[str, MetricSummary]] | None] = Field(default_factory=dict)
    """{task: {article_id: {metric: summary}}}."""
    qa_verdicts: dict[str, NUMBER] | None = None
    """Share of answers per verdict (exact, verbose, partial, wrong, empty), 0..1; null without QA."""
    summary_statistics: dict[str, MetricSummary] | None = None
    """Descriptive statistics of the summaries (words, compression, novel n-grams, coverage,
    density), not scores; null without summaries."""
    answerable_from_summary: AnswerableFromSummary | None = None
    """Only with scoring.answerable_from_summary, for a model that wrote summaries: how well the reader answers the questions from them."""


class PairwiseDelta(_Part):
    """The paired difference between two models of the run on one metric, over their shared items."""

    a: str
    """The first model's name."""
    b: str
    """The second model's name."""
    task: str
    """"summary" or "qa"."""
    metric: str
    """The metric's name, e.g. "rougeL" or "f1"."""
    n: int
    """Number of shared items."""
    delta_b_minus_a: NUMBER | None = None
    """Mean of b's score minus a's; null without shared items."""
    ci95: list[NUMBER | None]
    """[low, high] of the paired-bootstrap 95% interval of the delta."""
    p_value: NUMBER | None = None
    """Paired sign-flip permutation test's two-sided p-value."""
    significant: bool | None = None
    """p < 0.05 and the interval excludes 0; null when too few items to test (see significance_note)."""
    significance_note: str | None = None
    """Why significance is null ("too few items to test (n = 1)"); null otherwise."""


class ReferenceFacts(_Part):
    """The key facts one reference summary carries: the yardstick for the models' fact_recall."""

    fact_recall: NUMBER
    """Share of the article's questions whose gold answer or an alias occurs in the reference as whole tokens (SQuAD v1.1 normalisation)."""
    carried: int
    """Number of those questions."""
    facts: int
    """Number of the article's questions."""
    matched: dict[str, str | None]
    """{question_id: the answer found in the reference, as written in the eval set; null when none was}."""


class Report(_Part):
    """report.json: scores, provenance and how they were computed, for machines (CI)."""

    schema_version: Literal[SCHEMA_VERSION]  # type: ignore[valid-type]
    """Version of this format; a reader refuses a version it does not know."""
    provenance: Provenance
    """Versions, config and times."""
    eval_set: EvalSetInfo
    """Which eval set, with its sha256 and counts."""
    scoring: ScoringInfo
    """ROUGE and QA options and the scorer signatures."""
    config: dict[str, Any]
    """The validated run config as JSON, with every default filled in (see README "Config format")."""
    models: list[ModelReport]
    """Every model of the config, in order (only those that finished when the run was interrupted)."""
    pairwise: list[PairwiseDelta] = Field(default_factory=list)
    """Every pair of models on every metric they share."""
    reference_fact_recall: dict[str, dict[str, ReferenceFacts]] | None = None
    """fact_recall of the eval set's own reference summaries, {article_id: {reference_id: ...}},
    for every article with references and questions (an article without questions has no facts
    and is left out); absent when the run does not score fact_recall."""


# --- predictions.jsonl -----------------------------------------------------------------------


class Prediction(_Part):
    """One line of predictions.jsonl: one output of one model for one article's summary or question."""

    model: str
    """The model's name."""
    article_id: str
    """The article's id in the eval set."""
    task: Literal["summary", "qa"]
    """What was asked: a summary of the article, or the answer to one question."""
    item_id: str
    """The article id for a summary, the question id for qa."""
    prompt: str
    """The filled-in prompt template, before any chat template."""
    rendered_prompt: str | None = None
    """The exact text the model saw (after the chat template); null for Lead-k."""
    raw_output: str
    """What the model produced, cut at the first stop string."""
    output: str
    """The post-processed output that was scored."""
    scores: dict[str, NUMBER]
    """{metric: score}, higher is better: ROUGE F per type and fact_recall for a summary (no fact_recall
    when the article has no questions); exact_match, f1, contains for an answer."""
    trace: dict[str, Any] = Field(default_factory=dict)
    """How the scores were reached: for a summary the best reference per ROUGE type and `facts`, one
    entry per question of the article (question_id, question, answers: gold first, matched: the
    answer found in the summary or null; [] without questions); for qa `extraction` (the
    post-processing steps that changed the raw output, in order, each `{step, before, after}`, and
    the `regex` step with `matched`), the normalised prediction and gold answers, the answer that
    matched each metric, and the verdict. With scoring.answerable_from_summary a summary's trace has
    `answerable`: per question of the article the reader's answer from the summary alone (question_id,
    question, answers, prompt, raw_output, output, exact_match, f1, cached)."""
    stats: dict[str, Any] = Field(default_factory=dict)
    """Summary statistics (words, compression, novel n-grams, ...); empty for qa."""
    new_tokens: int
    """Tokens generated for this item (as generated, also when it came from the cache)."""
    seconds: NUMBER
    """Wall time of the batch it was generated in, divided by the batch size."""
    cached: bool = False
    """True when the output came from the generation cache instead of the model."""
    truncated_tokens: int = 0
    """Article tokens cut so the prompt fit the context window; 0 when the prompt was whole."""
    answers: list[str] | None = None
    """Only for qa: the gold answer first, then its accepted aliases; absent for a summary."""


# --- the subset `compare` reads --------------------------------------------------------------


class LightModel(_Part):
    """A model's name and status (ModelReport's first fields)."""

    name: str
    status: Literal["ok", "failed"]
    error: str | None = None


class LightEvalSet(_Part):
    sha256: str


class LightScoring(_Part):
    signature: Any = None
    """Compared for equality only."""


class LightReport(_Part):
    """What `compare` reads of report.json: a subset of Report, checked less deeply."""

    schema_version: str
    provenance: dict[str, Any]
    eval_set: LightEvalSet
    scoring: LightScoring
    models: list[LightModel]
    pairwise: list[dict[str, Any]] = Field(default_factory=list)


class LightPrediction(_Part):
    """What `compare` reads of a predictions line: ids, output and scores (a subset of Prediction)."""

    model: str
    article_id: str
    task: Literal["summary", "qa"]
    item_id: str
    output: str
    scores: dict[str, NUMBER]


LIGHT = {LightReport: Report, LightModel: ModelReport, LightEvalSet: EvalSetInfo, LightScoring: ScoringInfo, LightPrediction: Prediction}
"""Each light model and the full one whose fields it is a subset of (tested)."""


# --- the published JSON Schemas --------------------------------------------------------------

SCHEMAS: dict[str, type[BaseModel]] = {"report.schema.json": Report, "prediction.schema.json": Prediction}
SCHEMA_DIR = schemas.SCHEMA_DIR
REGENERATE = "python -m harness.run_record"


def schema_text(model: type[BaseModel]) -> str:
    return schemas.schema_text(model)


def main(argv: list[str] | None = None) -> int:
    """`python -m harness.run_record [FOLDER]`: write this module's schemas into FOLDER (default: the checkout's schemas/)."""
    return schemas.main(SCHEMAS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
