"""The schema of a run config (pydantic) and `load_config(path)`.

Every relative path in a config is relative to the config file itself, so a config works from
any working directory. Unknown keys are rejected; errors name the file, the key and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationError, ValidationInfo, field_serializer, field_validator, model_validator

from harness.errors import HarnessError
from harness.executors.ray_executor import RaySettings
from harness.gates import Gate, check_gate_key
from harness.metrics.qa import QA_METRICS
from harness.sources.datasets_source import DatasetSource
from harness.sources.squad_import import SquadSource
from harness.strict import Strict
from harness.yaml_errors import describe_validation_error, read_yaml

SEED_MAX = 2**32 - 1
"""numpy (and transformers.set_seed) take seeds in [0, 2**32-1]."""
MAX_NEW_TOKENS = 32768
MAX_BATCH_SIZE = 4096
MAX_RESAMPLES = 1_000_000


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


class Source(Strict):
    """Where a model's weights come from: exactly one of `hub`, `path` or `package`."""

    hub: str | None = Field(default=None, pattern=r"^[\w.\-]+/[\w.\-]+$")
    """A Hugging Face hub id, `org/name`."""
    revision: str | None = None
    """A branch, tag or commit of the hub repository."""
    path: Path | None = None
    """A local model folder, or a .gguf file."""
    gguf_file: str | None = None
    """The GGUF file inside `hub` or the `path` folder."""
    package: str | None = None
    """An installed Python package that ships the model."""
    file: str | None = None
    """With `package`: the model file or folder inside the package."""
    assemble: str | None = None
    """With `package`: a function of the package that writes the model and returns its path."""

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("hub", "path", "package") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("set exactly one of hub, path or package")
        if self.package is None and (self.file or self.assemble):
            raise ValueError("file and assemble go with package")
        if self.package is not None and (self.file is None) == (self.assemble is None):
            raise ValueError("with package, set exactly one of file or assemble")
        if self.revision is not None and self.hub is None:
            raise ValueError("revision goes with hub")
        if self.gguf_file is not None and self.package is not None:
            raise ValueError("gguf_file goes with hub or path; with package, name the file in file")
        return self


class HFModel(Strict):
    name: str = Field(pattern=r"^[\w.\-]+$")
    backend: Literal["hf"]
    source: Source
    chat_template: Literal["auto"] | bool = "auto"
    """auto: use the tokenizer's chat template when it has one; true: require it; false: plain."""
    system_prompt: str | None = None
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    """auto: float32 on CPU (bfloat16 measured 3-5x slower there), bfloat16 on CUDA."""
    device: str = "auto"
    """auto, cpu, cuda, cuda:N or mps."""
    batch_size: Annotated[int, Field(ge=1, le=MAX_BATCH_SIZE)] | Literal["auto"] = "auto"
    """auto: 8 on CPU, 32 on CUDA, halved on out-of-memory."""
    prefix_reuse: bool = True
    context_overflow: Literal["error", "truncate"] = "error"
    """A prompt (plus max_new_tokens) longer than the model's context window: error names the
    items and fails the model; truncate cuts the article's end until it fits, and marks the item."""
    """Prefill an article's shared prompt prefix once for all its questions (README, "Generation cache, resume and re-scoring")."""
    tasks: TaskOverrides = TaskOverrides()


class LeadModel(Strict):
    """The Lead-k baseline: the article's first k sentences. It answers no questions."""

    name: str = Field(pattern=r"^[\w.\-]+$")
    backend: Literal["lead"]
    k: int = Field(default=3, gt=0)


ModelConfig = Annotated[Union[HFModel, LeadModel], Field(discriminator="backend")]
BACKENDS = ("hf", "lead")


class Scoring(Strict):
    rouge_types: tuple[Literal["rouge1", "rouge2", "rougeL", "rougeLsum"], ...] = Field(
        default=("rouge1", "rouge2", "rougeL", "rougeLsum"), min_length=1
    )
    use_stemmer: bool = True
    """Porter stemming, as in most published ROUGE numbers (ROUGE-1.5.5 -m)."""
    multi_reference: Literal["max", "model_average"] = "max"
    """max: best F over the references (rouge-score's score_multi); model_average: ROUGE-1.5.5's
    default -f A (hits and counts summed over all references)."""
    tokenizer: Literal["default", "unicode"] = "default"
    """default: rouge-score's (ASCII letters and digits only); unicode: every script (Korean, Chinese, ...)."""
    sentence_split: Literal["pysbd", "newline"] = "pysbd"
    """How rougeLsum finds sentences: pysbd rules, or the text's own lines."""
    bootstrap_resamples: int = Field(default=1000, ge=1, le=MAX_RESAMPLES)
    """Resamples of the seeded percentile bootstrap behind every 95% interval (seed: the run's)."""


    def rouge_options(self):
        from harness.metrics.rouge import RougeOptions

        return RougeOptions(tuple(self.rouge_types), self.use_stemmer, self.multi_reference, self.tokenizer, self.sentence_split)


class RayExecutor(Strict):
    ray: RaySettings = RaySettings()


class RunConfig(Strict):
    eval_set: Path | None = None
    """The eval-set YAML file, relative to this config file (or `dataset:` or `squad:` instead)."""
    dataset: DatasetSource | None = None
    """An eval set from the `datasets` library: a hub dataset or local files, with a column mapping."""
    squad: SquadSource | None = None
    """A SQuAD v1.1/v2.0 JSON file as articles with questions."""
    executor: RayExecutor | None = None
    """Where generation runs: `local` (this process; None here) or `{ray: {...}}` (a Ray cluster)."""

    @field_validator("executor", mode="before")
    @classmethod
    def _local_executor(cls, value):
        if value == "local" or value is None:
            return None
        if isinstance(value, str):
            raise ValueError(f"unknown executor {value!r}; use local or {{ray: {{address: ..., num_workers: ...}}}}")
        return value

    @field_serializer("executor")
    def _dump_executor(self, value):
        return "local" if value is None else value.model_dump(mode="json")
    output_dir: Path = Path("runs")
    """Each run gets a new folder inside it; relative to this config file."""
    models: tuple[ModelConfig, ...] = Field(min_length=1)
    tasks: Tasks = Tasks()
    scoring: Scoring = Scoring()
    seed: int = Field(default=0, ge=0, le=SEED_MAX)
    gates: dict[str, Gate] = {}
    """Regression gates for `compare` and `--baseline`, e.g. {"summary.rougeL": {"max_drop": 0.02}}."""

    @field_validator("gates")
    @classmethod
    def _gate_keys(cls, gates, info: ValidationInfo):
        scoring = info.data.get("scoring")  # absent when scoring itself failed (that error is reported)
        metrics = {"summary": tuple(scoring.rouge_types), "qa": QA_METRICS} if scoring is not None else None
        for key in gates:
            check_gate_key(key, metrics, summary_note=" (the configured scoring.rouge_types)")
        return gates

    @model_validator(mode="after")
    def _one_eval_source(self):
        given = [key for key in ("eval_set", "dataset", "squad") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                "set exactly one of eval_set (an eval-set YAML), dataset (a `datasets` dataset) or squad (a SQuAD JSON file)"
                + (f"; got {', '.join(given)}" if given else "")
            )
        return self

    @model_validator(mode="after")
    def _unique_names(self):
        seen = set()
        for model in self.models:
            if model.name in seen:
                raise ValueError(f"model name {model.name!r} is used twice; names must be unique")
            seen.add(model.name)
        return self

    def task(self, model, task: str) -> TaskConfig:
        """The task settings for one model: its own override, else the run's."""
        override = getattr(getattr(model, "tasks", None), task, None)
        return override or getattr(self.tasks, task)

    def qa_postprocess(self, model) -> QAPostprocess:
        """How one model's raw answers become scored answers (its own qa block, else the run's)."""
        qa = self.task(model, "qa")
        return qa.postprocess if isinstance(qa, QATask) else self.tasks.qa.postprocess

    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a config; relative paths inside become relative to the config file."""
    path = Path(path)
    data = read_yaml(path, what="config")
    if not isinstance(data, dict):
        raise HarnessError(f"{path}: the config must be a mapping of keys (eval_set, models, ...)")
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(describe_validation_error(path, exc, RunConfig)) from None
    base = path.parent
    models = tuple(_resolve_model_paths(m, base) for m in config.models)
    update = {"output_dir": _join(base, config.output_dir), "models": models}
    if config.eval_set is not None:
        update["eval_set"] = _join(base, config.eval_set)
    if config.dataset is not None:
        update["dataset"] = config.dataset.resolve_paths(base)
    if config.squad is not None:
        update["squad"] = config.squad.model_copy(update={"path": _join(base, config.squad.path)})
    return config.model_copy(update=update)


def _join(base: Path, path: Path) -> Path:
    """`path` relative to `base`, without `..` detours (configs/../runs -> runs)."""
    return Path(os.path.normpath(base / path.expanduser()))


def _resolve_model_paths(model, base: Path):
    if isinstance(model, HFModel) and model.source.path is not None:
        source = model.source.model_copy(update={"path": _join(base, model.source.path)})
        return model.model_copy(update={"source": source})
    return model

