"""The `openai` backend: a model behind an OpenAI-compatible server, through the official `openai`
client's async API. `concurrency` requests are in flight at once (the server batches them);
each result goes to the generation cache as it arrives, so a killed run resumes; connection
errors, 429 and 5xx are retried with exponential backoff and jitter, other 4xx never.

Identity (the cache key): the base URL, the served model id, what /v1/models says about it
(openai_server.py drops the fields that change between calls), the API flavour and the system
prompt; the generation parameters are in each request. A re-run against the same server
generates nothing, but does ask the server who it is (so a launched server is started).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import fewshot
from harness.backends.launch import LaunchedServer
from harness.backends.openai_config import OpenAIModel
from harness.backends.openai_server import api_key, describe_error, probe, served_model
from harness.backends.stops import cut_at_stop
from harness.errors import HarnessError
from harness.records import Generation, Request
from harness.run_context import current_run_dir

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0
RETRY_AFTER_MAX_SECONDS = 60.0


def backoff_seconds(attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
    """Exponential backoff with "equal jitter": half the delay fixed, half random, so clients that
    failed together do not come back together. A server's Retry-After (429, 503) wins when given."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, RETRY_AFTER_MAX_SECONDS)
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
    return delay / 2 + rng.uniform(0, delay / 2)


@dataclass
class ServedEfficiency:
    """What the server's `usage` fields and the client's clock say: no prefill/decode split and no
    memory figure, which only the server could give."""

    concurrency: int
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usage_missing: int = 0
    """Answers without a `usage` field: their tokens are not counted."""
    retries: int = 0
    in_flight: int = 0
    concurrency_reached: int = 0
    first_sent: float | None = None
    last_answered: float | None = None
    latencies: list[float] = field(default_factory=list)

    def sent(self) -> None:
        self.first_sent = self.first_sent or time.perf_counter()
        self.in_flight += 1
        self.concurrency_reached = max(self.concurrency_reached, self.in_flight)

    def answered(self, latency: float | None, usage) -> None:
        self.in_flight -= 1
        self.last_answered = time.perf_counter()
        if latency is None:
            return
        self.requests += 1
        self.latencies.append(latency)
        if usage is None:
            self.usage_missing += 1
        else:
            self.prompt_tokens += usage.prompt_tokens or 0
            self.completion_tokens += usage.completion_tokens or 0

    def as_dict(self) -> dict:
        seconds = (self.last_answered - self.first_sent) if self.first_sent and self.last_answered else 0.0
        rate = lambda amount: round(amount / seconds, 2) if seconds > 0 and amount else None  # noqa: E731
        latencies = sorted(self.latencies)
        return {
            "prefill_tokens": self.prompt_tokens,
            "decode_tokens": self.completion_tokens,
            "served": {
                "requests": self.requests,
                "seconds": round(seconds, 3),
                "requests_per_second": rate(self.requests),
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "completion_tokens_per_second": rate(self.completion_tokens),
                "median_latency_seconds": round(latencies[len(latencies) // 2], 3) if latencies else None,
                "concurrency": self.concurrency,
                "concurrency_reached": self.concurrency_reached,
                "retries": self.retries,
                "usage_missing": self.usage_missing,
            },
        }


class OpenAIBackend:
    tasks = frozenset({"summary", "qa"})

    def __init__(self, config: OpenAIModel, seed: int):
        self.config = config
        self.seed = seed
        self.server: LaunchedServer | None = None
        self.load_seconds: float | None = None
        self.efficiency = ServedEfficiency(config.concurrency)
        self._rng = random.Random()  # jitter only: it never touches an output
        started = time.perf_counter()
        if config.launch is not None:
            self.server = LaunchedServer(config.name, config.launch, config.base_url, _log_path(config.name))
            try:
                self.server.start()
                served = served_model(config)
                probe(config)
            except BaseException:
                self.server.stop()
                raise
        else:
            served = served_model(config)
        self.load_seconds = time.perf_counter() - started
        self.identity = {
            "backend": "openai",
            "base_url": config.base_url,
            "model": config.model,
            "served": served,
            "api": config.api,
            "system_prompt": config.system_prompt,
        }
        self.source_info: dict[str, Any] = {"base_url": config.base_url, "model": config.model, "api": config.api, "served": served}
        if self.server is not None:
            self.source_info.update(launch=list(self.server.launch.command), server_log=str(self.server.log_path))

    def ensure_loaded(self) -> None:
        pass  # the server is up (or was started) when the backend was made

    def generate(self, requests: list[Request], on_batch) -> list[Generation]:
        """Every request, `concurrency` at a time; `on_batch([generation])` as each one arrives."""
        if not requests:
            return []
        return asyncio.run(self._generate_all(requests, on_batch))

    async def _generate_all(self, requests: list[Request], on_batch) -> list[Generation]:
        import openai

        client = openai.AsyncOpenAI(base_url=self.config.base_url, api_key=api_key(self.config), max_retries=0, timeout=self.config.timeout_s)
        slots = asyncio.Semaphore(self.config.concurrency)

        async def one(request: Request) -> Generation:
            async with slots:
                generation = await self._with_retries(client, request)
            on_batch([generation])  # cached at once: a killed run keeps it
            return generation

        tasks = [asyncio.ensure_future(one(r)) for r in requests]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            await client.close()

    async def _with_retries(self, client, request: Request) -> Generation:
        import openai

        item = f"{request.article_id}/{request.task}/{request.item_id}"
        attempt = 0
        while True:
            self.efficiency.sent()
            started = time.perf_counter()
            try:
                response = await self._call(client, request)
            except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
                self.efficiency.answered(None, None)
                if attempt >= self.config.max_retries:
                    retried = f" after {attempt} retr{'y' if attempt == 1 else 'ies'}" if attempt else ""
                    raise HarnessError(f"{describe_error(self.config, exc)}{retried} (item {item})") from None
                self.efficiency.retries += 1
                await asyncio.sleep(backoff_seconds(attempt, self._rng, _retry_after(exc)))
                attempt += 1
                continue
            except openai.APIError as exc:
                self.efficiency.answered(None, None)
                raise HarnessError(f"{describe_error(self.config, exc)} (item {item})") from None
            latency = time.perf_counter() - started
            self.efficiency.answered(latency, response.usage)
            return self._generation(request, response, latency)

    def _messages(self, request: Request) -> list[dict]:
        # as the hf backend renders them: system prompt, few-shot examples as prior turns, the prompt
        return fewshot.chat_messages(request, self.config.system_prompt)

    def _prompt(self, request: Request) -> str:
        # as the hf backend does without a chat template (examples inline)
        return fewshot.plain_prompt(request, self.config.system_prompt, self.config.name)

    def _call(self, client, request: Request):
        params: dict[str, Any] = {"model": self.config.model, "max_tokens": request.max_new_tokens}
        if request.stop:
            params["stop"] = list(request.stop)
        if request.do_sample:
            params.update(temperature=request.temperature or 1.0, top_p=request.top_p or 1.0, seed=self.seed)
        else:
            params["temperature"] = 0  # greedy on every OpenAI-compatible server
        if self.config.api == "chat":
            return client.chat.completions.create(messages=self._messages(request), **params)
        return client.completions.create(prompt=self._prompt(request), **params)

    def _generation(self, request: Request, response, latency: float) -> Generation:
        choice = response.choices[0] if response.choices else None
        if self.config.api == "chat":
            text = (choice.message.content if choice is not None else None) or ""
            rendered = json.dumps(self._messages(request), ensure_ascii=False)  # what was sent; the server renders it
        else:
            text = (choice.text if choice is not None else None) or ""
            rendered = self._prompt(request)
        tokens = response.usage.completion_tokens if response.usage is not None else 0
        return Generation(request, cut_at_stop(text, request.stop), tokens or 0, latency, rendered)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def _retry_after(exc) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: use our own backoff


def _log_path(name: str) -> Path:
    """The launched server's log: in the run folder (kept with the reports), else a temp file."""
    run_dir = current_run_dir()
    if run_dir is not None:
        return run_dir / "logs" / f"{name}.server.log"
    import tempfile

    return Path(tempfile.mkdtemp(prefix="harness-server-")) / f"{name}.server.log"


def load(config: OpenAIModel, seed: int) -> OpenAIBackend:
    return OpenAIBackend(config, seed)
