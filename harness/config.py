"""The schema of a run config (pydantic) and `load_config(path)`.

Every relative path in a config is relative to the config file itself, so a config works from
any working directory. Unknown keys are rejected; errors name the file, the key and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import Field, ValidationError, ValidationInfo, create_model, field_serializer, field_validator, model_validator

from harness.backends import BACKENDS
from harness.backends.hf_config import MAX_BATCH_SIZE, HFModel, Source  # noqa: F401  (re-exported)
from harness.backends.lead import LeadModel  # noqa: F401  (re-exported)
from harness.backends.plugin import ModelConfigBase
from harness.errors import HarnessError
from harness.executors.ray.settings import RaySettings
from harness.fewshot import resolve_pools
from harness.gates import Gate, check_gate_key
from harness.metrics.summary_stats import SummaryStatsOptions
from harness.scorers import SCORERS, metrics_by_task
from harness.sources import EVAL_SOURCES
from harness.sources.datasets.spec import DatasetSource
from harness.sources.squad_import import SquadSource
from harness.strict import Strict
from harness.task_config import (  # noqa: F401  (re-exported: the task blocks are part of the config)
    DEFAULT_QA,
    DEFAULT_SUMMARY,
    MAX_NEW_TOKENS,
    QAPostprocess,
    QATask,
    SummaryTask,
    TaskConfig,
    TaskOverrides,
    Tasks,
)
from harness.yaml_errors import describe_validation_error, read_yaml

SEED_MAX = 2**32 - 1
"""numpy (and transformers.set_seed) take seeds in [0, 2**32-1]."""
MAX_RESAMPLES = 1_000_000




class AnswerableFromSummary(Strict):
    reader: str = Field(min_length=1)
    """The name of a configured model (under `models:`) whose backend answers questions."""


class Scoring(Strict):
    rouge_types: tuple[Literal["rouge1", "rouge2", "rougeL", "rougeLsum"], ...] = Field(
        default=("rouge1", "rouge2", "rougeL", "rougeLsum"), min_length=1
    )
    use_stemmer: bool = True
    """Stem words longer than 3 characters before matching; `stemmer` says with what."""
    stemmer: Literal["porter", "rouge155"] = "porter"
    """porter: rouge-score's (nltk's Porter stemmer; close to, but not, ROUGE-1.5.5 -m); rouge155:
    ROUGE-1.5.5.pl -m exactly (WordNet 2.0 exception lists, then the script's Porter variant)."""
    multi_reference: Literal["max", "model_average"] = "max"
    """max: best F over the references (rouge-score's score_multi); model_average: ROUGE-1.5.5's
    default -f A (hits and counts summed over all references)."""
    tokenizer: Literal["default", "unicode"] = "default"
    """default: rouge-score's (ASCII letters and digits only); unicode: every script (Korean, Chinese, ...)."""
    sentence_split: Literal["pysbd", "newline"] = "pysbd"
    """How rougeLsum finds sentences: pysbd rules, or the text's own lines."""
    bootstrap_resamples: int = Field(default=1000, ge=1, le=MAX_RESAMPLES)
    """Resamples of the seeded percentile bootstrap behind every 95% interval (seed: the run's)."""
    summary_stats: SummaryStatsOptions = SummaryStatsOptions()
    """The summary statistics' settings: which tokens coverage and density count (metrics/summary_stats.py)."""
    answerable_from_summary: AnswerableFromSummary | None = None
    """Off when absent: a reader model answers each article's questions from each summary alone
    (harness/answerable.py); costs (questions x summarizing models) generations by the reader."""


    def rouge_options(self):
        from harness.metrics.rouge import RougeOptions

        return RougeOptions(tuple(self.rouge_types), self.use_stemmer, self.multi_reference, self.tokenizer, self.sentence_split, self.stemmer)


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
    models: tuple[ModelConfigBase, ...] = Field(min_length=1)
    """Each entry is validated by its backend's own config class (run_config_class())."""
    tasks: Tasks = Tasks()
    scoring: Scoring = Scoring()
    seed: int = Field(default=0, ge=0, le=SEED_MAX)
    gates: dict[str, Gate] = {}
    """Regression gates for `compare` and `--baseline`, e.g. {"summary.rougeL": {"max_drop": 0.02}}."""

    @field_validator("gates")
    @classmethod
    def _gate_keys(cls, gates, info: ValidationInfo):
        scoring = info.data.get("scoring")  # absent when scoring itself failed (that error is reported)
        metrics = metrics_by_task(scoring) if scoring is not None else None
        for key in gates:
            check_gate_key(key, metrics, summary_note=" (the configured scoring.rouge_types and fact_recall)")
        return gates

    @model_validator(mode="after")
    def _one_eval_source(self):
        plugins = [key for key in type(self).model_fields if key not in BUILTIN_SOURCES and key in _plugin_source_keys()]
        given = [key for key in (*BUILTIN_SOURCES, *plugins) if getattr(self, key, None) is not None]
        if len(given) != 1:
            more = "".join(f", {key}" for key in plugins)
            raise ValueError(
                f"set exactly one of eval_set (an eval-set YAML), dataset (a `datasets` dataset){more} or squad (a SQuAD JSON file)"
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

    @field_validator("scoring")
    @classmethod
    def _answerable_reader(cls, scoring, info: ValidationInfo):
        option = scoring.answerable_from_summary
        models = info.data.get("models")  # absent when models itself failed (that error is reported)
        if option is None or models is None:
            return scoring
        key = "answerable_from_summary.reader"
        model = next((m for m in models if m.name == option.reader), None)
        if model is None:
            raise ValueError(f"{key}: no model named {option.reader!r}; name one of models: {', '.join(m.name for m in models)}")
        # a backend declares its tasks only once loaded, so the built-in that answers no questions is
        # named here; a plugin's backend without "qa" is caught when it loads (its block then says so)
        if isinstance(model, LeadModel):
            raise ValueError(f"{key}: {option.reader!r} (backend {model.backend}) answers no questions; name a model whose backend does QA")
        return scoring

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
        schema = run_config_class()
        config = schema.model_validate(data)
    except ValidationError as exc:
        raise HarnessError(describe_validation_error(path, exc, schema)) from None
    base = path.parent
    models = tuple(m.resolve_paths(base) for m in config.models)
    update = {"output_dir": _join(base, config.output_dir), "models": models}
    if config.eval_set is not None:
        update["eval_set"] = _join(base, config.eval_set)
    if config.dataset is not None:
        update["dataset"] = config.dataset.resolve_paths(base)
    if config.squad is not None:
        update["squad"] = config.squad.model_copy(update={"path": _join(base, config.squad.path)})
    for key in _plugin_source_keys():
        plugin, value = EVAL_SOURCES.get(key), getattr(config, key, None)
        if value is not None and plugin.resolve_paths is not None:
            update[key] = plugin.resolve_paths(value, base)
    # few-shot pools are files named relative to the config: read and checked now (exit 2)
    return resolve_pools(config.model_copy(update=update), path)


def _join(base: Path, path: Path) -> Path:
    """`path` relative to `base`, without `..` detours (configs/../runs -> runs)."""
    return Path(os.path.normpath(base / path.expanduser()))


_CLASSES: dict[tuple, type[RunConfig]] = {}  # (backends, sources) -> class


BUILTIN_SOURCES = ("eval_set", "dataset", "squad")
"""Eval-set sources the run config declares itself; other registered sources add their key."""


def _plugin_source_keys() -> list[str]:
    return [key for key in EVAL_SOURCES.names() if key not in BUILTIN_SOURCES]


def run_config_class() -> type[RunConfig]:
    """RunConfig with `models:` a union of every registered backend's config class, told apart
    by `backend:`, and a key for every registered eval-set source beyond the built-ins (built
    once per set of plugins, so a plugin registered later is included)."""
    plugins = [BACKENDS.get(name) for name in BACKENDS.names()]
    sources = [EVAL_SOURCES.get(key) for key in _plugin_source_keys()]
    scorers = [s for s in SCORERS.all() if s.options is not None]
    key = (tuple((p.name, p.config) for p in plugins), tuple((s.key, s.config) for s in sources), tuple((s.name, s.options) for s in scorers))
    if key not in _CLASSES:
        classes = tuple(p.config for p in plugins)
        entry = Annotated[Union[classes], Field(discriminator="backend")] if len(classes) > 1 else classes[0]
        extra: dict = {s.key: (Optional[s.config], None) for s in sources}
        if scorers:  # each scorer's own settings under scoring: {<name>: {...}}
            scoring = create_model("Scoring", __base__=Scoring, __module__=__name__,
                                   **{s.name: (s.options, s.options()) for s in scorers})  # type: ignore[call-overload]
            extra["scoring"] = (scoring, scoring())
        _CLASSES[key] = create_model("RunConfig", __base__=RunConfig, __module__=__name__,
                                     models=(tuple[entry, ...], Field(min_length=1)), **extra)  # type: ignore[valid-type]
    return _CLASSES[key]
