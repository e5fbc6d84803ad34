"""The `openai` backend's config (a model behind an OpenAI-compatible server: vLLM, SGLang, TGI,
llama.cpp's server, `transformers serve`) and its registration. Light: the `openai` client is
imported only when such a model is checked or run (openai_api.py, openai_server.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.strict import Strict
from harness.task_config import TaskOverrides


class Launch(Strict):
    """A server command the run starts before the model's turn and stops after it."""

    command: list[str] = Field(min_length=1)
    """The command and its arguments, e.g. [transformers, serve, ./model, --port, "8011"]. The
    folder of the Python running the harness is put first on PATH, so a venv's tools are found."""
    ready_url: str = "/health"
    """Polled until it answers 200: a path on base_url's host, or a full URL."""
    ready_timeout_s: float = Field(default=600.0, gt=0)
    """How long the server may take to answer ready_url (loading a large model takes minutes)."""
    env: dict[str, str] = {}
    """Extra environment variables for the server (e.g. CUDA_VISIBLE_DEVICES)."""


class OpenAIModel(ModelConfigBase):
    """A model served behind an OpenAI-compatible HTTP API."""

    backend: Literal["openai"]
    base_url: str = Field(pattern=r"^https?://[^\s/]+")
    """The API root, with its /v1: e.g. http://127.0.0.1:8000/v1."""
    model: str = Field(min_length=1)
    """The served model id, as the server's /v1/models lists it."""
    api: Literal["chat", "completions"] = "chat"
    """chat: /v1/chat/completions (the server applies the model's chat template); completions:
    /v1/completions with the prompt as written (base models)."""
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """The name of the environment variable that holds the API key (the key itself is never in a
    config, a report or the cache key); unset: no key is sent."""
    system_prompt: str | None = None
    """chat: a system message before the prompt; completions: prepended to the prompt."""
    concurrency: int = Field(default=8, ge=1, le=1024)
    """Requests in flight at once (the server batches them: continuous batching in vLLM, SGLang)."""
    timeout_s: float = Field(default=300.0, gt=0)
    """Per request."""
    max_retries: int = Field(default=4, ge=0, le=20)
    """Retries of one request on a connection error, 429 or 5xx, with exponential backoff and
    jitter; never on another 4xx (a wrong request stays wrong)."""
    launch: Launch | None = None
    """Start a local server for this model and stop it after (its log goes into the run folder)."""
    tasks: TaskOverrides = TaskOverrides()

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


def _preflight(model: OpenAIModel, where: str) -> None:
    """Before the run: the key's variable is set and, unless the run starts the server itself,
    the server answers, serves the model and takes a one-token request."""
    from harness.backends.openai_server import check_key, check_server

    check_key(model, where)
    if model.launch is None:
        check_server(model, where)


PLUGIN = BackendPlugin("openai", OpenAIModel, load="harness.backends.openai_api:load", preflight=_preflight)
