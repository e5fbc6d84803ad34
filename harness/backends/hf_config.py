"""The `hf` backend's config (transformers models) and its registration. Light: transformers
and torch are imported only when a model loads (harness/backends/hf.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.strict import Strict
from harness.task_config import TaskOverrides

MAX_BATCH_SIZE = 4096


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


class HFModel(ModelConfigBase):
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
    """Prefill an article's shared prompt prefix once for all its questions (README, "Generation cache, resume and re-scoring")."""
    kv_cache: Literal["auto", "shared", "static", "dynamic"] = "auto"
    """The KV cache of prefix-reuse batches: shared (one copy of each article's prefix for all its
    rows, the rest preallocated per row: hf_shared_prefix.py), static (preallocated, the prefix
    copied into every row, written in place; no copy of the whole cache per new token) or dynamic
    (transformers' default); auto: shared on CPU for Llama-architecture models on sdpa (the ones
    checked: hf_shared_prefix.MODEL_TYPES), else static, and dynamic for sliding-window
    attention, which neither supports."""
    context_overflow: Literal["error", "truncate"] = "error"
    """A prompt (plus max_new_tokens) longer than the model's context window: error names the
    items and fails the model; truncate cuts the article's end until it fits, and marks the item."""
    tasks: TaskOverrides = TaskOverrides()

    def resolve_paths(self, base: Path) -> HFModel:
        if self.source.path is None:
            return self
        import os

        path = Path(os.path.normpath(base / self.source.path.expanduser()))
        return self.model_copy(update={"source": self.source.model_copy(update={"path": path})})


def _preflight(model: HFModel, where: str) -> None:
    from harness.backends.weights import check_source

    check_source(model.source, where=f"{where}.source")


def _warnings(model: HFModel, config) -> list[str]:
    from harness.prompts import allows_prefix_reuse

    if model.prefix_reuse and not allows_prefix_reuse(config.task(model, "qa").prompt):
        return [f"model {model.name}: the qa prompt puts {{question}} before {{article}}, so questions cannot share "
                "the prefilled article (prefix reuse is off; put the article first to make QA faster)"]
    return []


PLUGIN = BackendPlugin("hf", HFModel, load="harness.backends.hf:load", preflight=_preflight, warnings=_warnings, ray=True)
