"""Talking to an OpenAI-compatible server about itself: the API key, what /v1/models says about
the served model, a one-token probe, and every failure as one line that names the model and the
cause. Used before the run (pre-flight) and when a backend starts."""

from __future__ import annotations

import os
from typing import Any

from harness.errors import HarnessError

VOLATILE_MODEL_FIELDS = ("created", "status", "permission")
"""Parts of a /v1/models entry that change while the model does not: vLLM stamps `created` with
the time of the request and `permission` with fresh ids; transformers serve reports whether the
model is `status: loaded`. Everything else (id, owned_by, root, parent, max_model_len...) is kept
in the cache key."""


def api_key(model) -> str:
    """The key from the named variable; a placeholder when none is configured (the client needs
    one, and servers without authentication ignore it)."""
    if model.api_key_env is None:
        return "no-key"
    return os.environ.get(model.api_key_env, "")


def check_key(model, where: str) -> None:
    if model.api_key_env is not None and not os.environ.get(model.api_key_env):
        raise HarnessError(
            f"{where}.api_key_env: model {model.name}: the environment variable {model.api_key_env} is not set or empty; "
            f"export {model.api_key_env}=<your key>, or remove api_key_env for a server without authentication"
        )


def client(model, max_retries: int = 0):
    """The official client. The checks here use its own retries (a server that answers 503 while
    it loads is waited for); the backend's generation turns them off and retries itself, because
    it counts retries and never retries a 4xx other than 429 (the client retries 408 and 409)."""
    import openai

    return openai.OpenAI(base_url=model.base_url, api_key=api_key(model), max_retries=max_retries, timeout=model.timeout_s)


def served_model(model, where: str | None = None) -> dict[str, Any]:
    """The server's /v1/models entry for `model.model`, without the fields that change between
    calls; raises HarnessError when the server is unreachable or does not serve it."""
    prefix = f"{where}: " if where else ""
    try:
        listed = [entry.model_dump() for entry in client(model, model.max_retries).models.list()]
    except Exception as exc:
        raise HarnessError(f"{prefix}{describe_error(model, exc)}") from None
    for entry in listed:
        if entry.get("id") == model.model:
            return {k: v for k, v in sorted(entry.items()) if k not in VOLATILE_MODEL_FIELDS and v is not None}
    ids = ", ".join(str(entry.get("id")) for entry in listed) or "none"
    raise HarnessError(f"{prefix}model {model.name}: the server at {model.base_url} does not serve '{model.model}' (it serves: {ids}); set model to one of these")


def probe(model, where: str | None = None) -> None:
    """One request of one token on the configured API: catches a refused key, an endpoint the
    server lacks (chat on a model without a chat template) before the run starts."""
    prefix = f"{where}: " if where else ""
    api = client(model, model.max_retries)
    try:
        if model.api == "chat":
            api.chat.completions.create(model=model.model, messages=[{"role": "user", "content": "Hello"}], max_tokens=1, temperature=0)
        else:
            api.completions.create(model=model.model, prompt="Hello", max_tokens=1, temperature=0)
    except Exception as exc:
        raise HarnessError(f"{prefix}{describe_error(model, exc)} (a one-token test request)") from None


def check_server(model, where: str) -> None:
    served_model(model, where)
    probe(model, where)


def describe_error(model, exc: BaseException) -> str:
    """One line: the model, the server and what went wrong, with the fix where there is one."""
    import openai

    head = f"model {model.name} ({model.base_url})"
    if isinstance(exc, openai.APITimeoutError):
        return f"{head}: no answer within timeout_s={model.timeout_s:g} s; raise timeout_s or lower concurrency"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"{head}: cannot reach the server ({_first_line(cause)}); start it, fix base_url, or add a launch: block"
    if isinstance(exc, openai.AuthenticationError):
        where = f"${model.api_key_env}" if model.api_key_env else "api_key_env (none is set)"
        return f"{head}: the server refused the API key (HTTP 401); check {where}"
    if isinstance(exc, openai.PermissionDeniedError):
        return f"{head}: the API key may not use this model (HTTP 403)"
    if isinstance(exc, openai.NotFoundError):
        return f"{head}: HTTP 404 {_server_message(exc)}; check base_url (it ends in /v1), model and api ({model.api})"
    if isinstance(exc, openai.APIStatusError):
        return f"{head}: HTTP {exc.status_code} {_server_message(exc)}"
    return f"{head}: {type(exc).__name__}: {_first_line(exc)}"


def _server_message(exc) -> str:
    """The server's own words: OpenAI's {"error": {"message"}}, FastAPI's {"detail"}, or the text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") or inner.get("detail") if isinstance(inner, dict) else inner
        if message:
            return _first_line(message)
    return _first_line(getattr(exc, "message", exc))


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0][:300] if text else type(value).__name__
