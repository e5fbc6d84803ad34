"""The transformers backend: causal LMs and encoder-decoder models (T5, BART), chosen from the
model's own config; chat templates; batched greedy generation with stop strings; shared-article
prefix reuse (hf_prefix.py); the model is loaded only when something is not in the cache.

The only module (with hf_prefix.py and hf_shared_prefix.py) that imports torch and
transformers, lazily.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from itertools import groupby
from typing import Any

from harness import fewshot
from harness.backends import hf_prefix, hf_shared_prefix
from harness.backends.context_window import context_window, fit_to_window
from harness.backends.efficiency import Efficiency
from harness.backends.hf_config import HFModel
from harness.backends.quiet import quiet_transformers
from harness.backends.stops import cut_at_stop
from harness.backends.weights import resolve
from harness.errors import HarnessError
from harness.records import Generation, Request
from harness.versions import package_version

CPU_AUTO_BATCH, CUDA_AUTO_BATCH = 8, 32


def pick_device(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(requested: str, device: str):
    import torch

    if requested != "auto":
        return getattr(torch, requested)
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    # float32 on CPU: bfloat16 generation measured 3-5x slower on a 2-core x86 CPU
    return torch.float32


class HFBackend:
    tasks = frozenset({"summary", "qa"})
    across_articles = True
    """Prefix-reuse batches run on across articles (no config key: benchmarks/decode_profile.py
    turns it off to measure what it saves)."""

    def __init__(self, config: HFModel, seed: int):
        self.config = config
        self.seed = seed
        self.resolved = resolve(config.source)
        self.device = pick_device(config.device)
        self.dtype = pick_dtype(config.dtype, self.device)
        if config.source.hub and not config.source.gguf_file:
            self.resolved.info["commit"] = _hub_commit(self.resolved)
        weights = {k: v for k, v in self.resolved.info.items() if k not in ("path", "converted")}
        self.identity = {
            "backend": "hf",
            "weights": weights,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device_type": self.device.split(":")[0],
            "chat_template": config.chat_template,
            "system_prompt": config.system_prompt,
            "transformers": package_version("transformers"),
            "torch": package_version("torch"),
        }
        self.source_info = {**self.resolved.info, "dtype": self.identity["dtype"], "device": self.device}
        # transformers objects, loaded lazily (typed Any: transformers' own stubs are partial)
        self.model: Any = None
        self.tokenizer: Any = None
        self.load_seconds: float | None = None
        self.efficiency = Efficiency()

    # -- loading ---------------------------------------------------------------------------

    def _ensure_tokenizer(self) -> None:
        """The tokenizer and the model's config without its weights: enough to render and count
        prompts, so a run whose outputs are all cached never loads the model."""
        if self.tokenizer is not None:
            return
        from transformers import AutoConfig, AutoTokenizer

        quiet_transformers()
        location, kwargs = self.resolved.location, self.resolved.kwargs
        self.model_config = AutoConfig.from_pretrained(location, **kwargs)
        self.is_encoder_decoder = bool(self.model_config.is_encoder_decoder)
        tokenizer = AutoTokenizer.from_pretrained(location, **kwargs)
        if not self.is_encoder_decoder:
            tokenizer.padding_side = "left"  # causal models continue from the last token
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
        has_template = bool(getattr(tokenizer, "chat_template", None))
        if self.config.chat_template is True and not has_template:
            raise HarnessError(f"model {self.config.name}: chat_template is true but the tokenizer has no chat template")
        self.use_chat_template = has_template if self.config.chat_template == "auto" else self.config.chat_template
        self.context_window = context_window(self.model_config, tokenizer)
        self.source_info.update(chat_template=self.use_chat_template, context_window=self.context_window)
        self.tokenizer = tokenizer

    def ensure_loaded(self) -> None:
        """Load the weights now (generate() otherwise loads them on the first uncached request)."""
        if self.model is not None:
            return
        import torch
        from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

        started = time.perf_counter()
        self._ensure_tokenizer()
        model_class = AutoModelForSeq2SeqLM if self.is_encoder_decoder else AutoModelForCausalLM
        model: Any = model_class.from_pretrained(self.resolved.location, dtype=self.dtype, **self.resolved.kwargs)
        model.to(self.device).eval()
        torch.manual_seed(self.seed)
        # the window's size in tokens, or None
        self.sliding_window = getattr(model.config, "sliding_window", None) if hf_prefix.has_sliding_window(model.config) else None
        self.kv_cache = self._kv_cache(model)
        self.source_info.update(kv_cache=self.kv_cache)
        self.model = model
        self.load_seconds = time.perf_counter() - started
        self.source_info.update(architecture=type(model).__name__)

    def _kv_cache(self, model) -> str:
        """The cache prefix-reuse batches decode into (hf_prefix.rows_inputs): shared, static or dynamic."""
        wanted = self.config.kv_cache
        if wanted == "dynamic" or self.is_encoder_decoder:
            return "dynamic"
        if self.sliding_window:  # a static cache keeps only the window on those layers
            if wanted != "auto":
                raise HarnessError(f"model {self.config.name}: kv_cache: {wanted} does not support sliding-window attention (Gemma-3, Mistral); use kv_cache: auto or dynamic")
            return "dynamic"
        # the shared-prefix attention runs CPU kernels (CUDA is not measured yet: static there)
        shared = self.device == "cpu" and hf_shared_prefix.supported(model)
        if wanted == "shared" and not shared:
            checked = ", ".join(sorted(hf_shared_prefix.MODEL_TYPES))
            raise HarnessError(f"model {self.config.name}: kv_cache: shared needs a checked architecture ({checked}) on sdpa attention on the CPU; use kv_cache: auto or static")
        return "shared" if shared and wanted in ("auto", "shared") else "static"

    def fit_to_window(self, requests: list[Request]) -> list[Request]:
        """Every request as it fits the model's context window (see context_window.py)."""
        self._ensure_tokenizer()
        return fit_to_window(
            requests,
            model=self.config.name,
            window=self.context_window,
            new_tokens_share_window=not self.is_encoder_decoder,
            policy=self.config.context_overflow,
            count=lambda request: len(self._encode(self.render(request))),
            article_tokens=lambda text: self.tokenizer(text, add_special_tokens=False)["input_ids"],
            decode=lambda ids: self.tokenizer.decode(ids, skip_special_tokens=True),
        )

    def render(self, request: Request) -> str:
        """The exact text the model sees: the chat template applied, or the plain prompt; few-shot
        examples as prior chat turns or inline before the prompt (harness/fewshot.py)."""
        self._ensure_tokenizer()
        if self.use_chat_template:
            messages = fewshot.chat_messages(request, self.config.system_prompt)
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return fewshot.plain_prompt(request, self.config.system_prompt, self.config.name)

    # -- generation ------------------------------------------------------------------------

    def generate(self, requests: list[Request], on_batch) -> list[Generation]:
        """Generate every request; `on_batch(generations)` is called as each batch finishes."""
        if not requests:
            return []
        self.ensure_loaded()
        texts = {id(r): self.render(r) for r in requests}
        ids = {id(r): self._encode(texts[id(r)]) for r in requests}
        results: dict[int, Generation] = {}
        # one generate() call takes one set of generation parameters
        params = lambda r: (r.max_new_tokens, r.stop, r.do_sample, r.temperature or 0, r.top_p or 0)  # noqa: E731
        for _, same_params in groupby(sorted(requests, key=params), key=params):
            for batch_results in self._generate_group(list(same_params), texts, ids):
                for generation in batch_results:
                    results[id(generation.request)] = generation
                on_batch(batch_results)
        return [results[id(r)] for r in requests]

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=not self.use_chat_template)["input_ids"]

    def _batch_size(self) -> int:
        if self.config.batch_size != "auto":
            return self.config.batch_size
        return CUDA_AUTO_BATCH if self.device.startswith("cuda") else CPU_AUTO_BATCH

    def _generate_group(self, group: list[Request], texts: dict, ids: dict):
        """Yields the generations of one parameter group, batch by batch."""
        reuse = self.config.prefix_reuse and not self.is_encoder_decoder
        by_article = groupby(sorted(group, key=lambda r: r.article_id), key=lambda r: r.article_id)
        shared: list[tuple[list[Request], int]] = []  # each article's questions and their common prefix length
        plain: list[Request] = []  # the rest (summaries, one per article; prefix_reuse off), batched across articles
        for _, grouped in by_article:
            article_requests = list(grouped)
            prefix_length = hf_prefix.common_prefix_length([ids[id(r)] for r in article_requests]) if reuse else 0
            if len(article_requests) > 1 and prefix_length >= hf_prefix.MIN_PREFIX_TOKENS:
                shared.append((article_requests, prefix_length))
            else:
                plain.extend(article_requests)
        # longest prompts first so each batch pads as little as possible; left padding keeps every
        # real token at the end of its row, inside a sliding window as without padding
        ordered = sorted(plain, key=lambda r: -len(ids[id(r)]))
        yield from self._batched(ordered, lambda batch: self._plain_batch(batch, [texts[id(r)] for r in batch]))
        inside = []
        for article in shared:
            if self._fits_window([article], ids):
                inside.append(article)
            else:  # padding would push real tokens out of the window
                yield from self._with_prefix(*article, texts=texts, ids=ids, equal_lengths=True)
        if not self.across_articles:
            for article in inside:
                yield from self._with_prefix(*article, texts=texts, ids=ids, equal_lengths=False)
            return
        mixing: list[tuple[list[Request], int]] = []  # articles whose batches may mix (all of them without sliding windows)
        for article in inside:
            if mixing and not self._fits_window([*mixing, article], ids):
                yield from self._across_articles(mixing, texts, ids)
                mixing = []
            mixing.append(article)
        if mixing:
            yield from self._across_articles(mixing, texts, ids)

    def _fits_window(self, articles: list[tuple[list[Request], int]], ids: dict) -> bool:
        """Whether a batch of these articles' questions, padded, fits inside the sliding window
        (always, for models without one). Then every real token is inside the window with the
        padding as without it, so padded and mixed batches give the same outputs; beyond it the
        padding would push real tokens out of the window."""
        if not self.sliding_window:
            return True
        requests = [r for article_requests, _ in articles for r in article_requests]
        longest_prefix = max(length for _, length in articles)
        widest_suffix = max(len(ids[id(r)]) - length for article_requests, length in articles for r in article_requests)
        return longest_prefix + widest_suffix + max(r.max_new_tokens for r in requests) <= self.sliding_window

    def _batched(self, ordered: list[Request], run_batch):
        """Runs batches of the configured size; with batch_size auto, halves it on out-of-memory."""
        size, start = self._batch_size(), 0
        while start < len(ordered):
            batch = ordered[start : start + size]
            try:
                yield run_batch(batch)
            except RuntimeError as exc:
                if self.config.batch_size != "auto" or "out of memory" not in str(exc).lower() or size == 1:
                    raise
                size = max(1, size // 2)
                _free_accelerator_memory()
                continue
            start += len(batch)

    def _with_prefix(self, requests: list[Request], prefix_length: int, texts: dict, ids: dict, equal_lengths: bool):
        """One article's questions over its prefilled prefix, batched inside the article;
        `equal_lengths` (sliding windows the padded batch would not fit in): only suffixes of
        equal length share a batch."""
        prefix_ids = ids[id(requests[0])][:prefix_length]
        prefix_cache = self._prefill(prefix_ids)
        suffix = {id(r): ids[id(r)][prefix_length:] for r in requests}
        if equal_lengths:
            key = lambda r: len(suffix[id(r)])  # noqa: E731
            buckets = [list(g) for _, g in groupby(sorted(requests, key=key), key=key)]
        else:
            buckets = [sorted(requests, key=lambda r: -len(suffix[id(r)]))]
        for bucket in buckets:
            yield from self._batched(
                bucket,
                lambda batch: self._prefix_batch(batch, prefix_ids, [suffix[id(r)] for r in batch], prefix_cache, [texts[id(r)] for r in batch]),
            )

    def _across_articles(self, shared: list[tuple[list[Request], int]], texts: dict, ids: dict):
        """Every article's questions over its own prefilled prefix, in batches that run on across
        articles (a batch is not capped by one article's question count). A prefix is prefilled
        when its first question is batched and dropped after its last, so only the prefixes of
        the articles in flight are held."""
        prefix_of: dict[int, tuple[list[int], int]] = {}  # request -> (prefix ids, article index)
        ordered: list[Request] = []
        left: dict[int, int] = {}
        for index, (requests, length) in enumerate(shared):
            prefix = ids[id(requests[0])][:length]
            for request in sorted(requests, key=lambda r: -len(ids[id(r)])):
                prefix_of[id(request)] = (prefix, index)
                ordered.append(request)
            left[index] = len(requests)
        caches: dict[int, Any] = {}

        def run_batch(batch: list[Request]) -> list[Generation]:
            rows = []
            for request in batch:
                prefix, index = prefix_of[id(request)]
                if index not in caches:
                    caches[index] = self._prefill(prefix)
                rows.append((prefix, caches[index]))
            suffixes = [ids[id(r)][len(prefix_of[id(r)][0]):] for r in batch]
            input_ids, mask, cache = hf_prefix.rows_inputs(rows, suffixes, self.tokenizer.pad_token_id, self.device, self.model.config,
                                                           batch[0].max_new_tokens, self.kv_cache)
            generations = self._run(batch, {"input_ids": input_ids, "attention_mask": mask, "past_key_values": cache},
                                    [texts[id(r)] for r in batch], prompt_tokens=sum(len(s) for s in suffixes))
            for request in batch:  # a retried (out-of-memory) batch keeps its prefixes until it ran
                index = prefix_of[id(request)][1]
                left[index] -= 1
                if not left[index]:
                    del caches[index]
            return generations

        yield from self._batched(ordered, run_batch)

    def _prefill(self, prefix_ids: list[int]):
        started = time.perf_counter()
        prefix_cache = hf_prefix.prefill(self.model, prefix_ids, self.device)
        self.efficiency.add_prefill(len(prefix_ids), time.perf_counter() - started)
        return prefix_cache

    def _prefix_batch(self, batch, prefix_ids, suffixes, prefix_cache, texts):
        pad = self.tokenizer.pad_token_id
        if self.sliding_window:
            input_ids, mask, cache = hf_prefix.batch_inputs(prefix_ids, suffixes, pad, prefix_cache, self.device)
        else:
            input_ids, mask, cache = hf_prefix.rows_inputs([(prefix_ids, prefix_cache)] * len(batch), suffixes, pad, self.device, self.model.config,
                                                           batch[0].max_new_tokens, self.kv_cache)
        inputs = {"input_ids": input_ids, "attention_mask": mask, "past_key_values": cache}
        return self._run(batch, inputs, texts, prompt_tokens=sum(len(s) for s in suffixes))

    def _plain_batch(self, batch: list[Request], texts: list[str]) -> list[Generation]:
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not self.use_chat_template).to(self.device)
        return self._run(batch, dict(inputs), texts, prompt_tokens=int(inputs["attention_mask"].sum()))

    def _run(self, batch: list[Request], inputs: dict, texts: list[str], prompt_tokens: int) -> list[Generation]:
        import torch

        first = batch[0]
        kwargs = dict(max_new_tokens=first.max_new_tokens, do_sample=first.do_sample, pad_token_id=self.tokenizer.pad_token_id)
        if first.do_sample:
            kwargs.update(temperature=first.temperature or 1.0, top_p=first.top_p or 1.0)
        else:  # neutralise sampling defaults a model's generation_config may carry
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=self.tokenizer)
        clock = self.efficiency.first_step_clock()
        started = time.perf_counter()
        cache = inputs.get("past_key_values")
        shared = hf_shared_prefix.attention(self.model, cache) if hf_shared_prefix.is_shared(cache) else contextlib.nullcontext()
        with torch.inference_mode(), warnings.catch_warnings(), shared:
            # transformers 5.2x renames generate's past_key_values to cache; both work below 6.0
            warnings.filterwarnings("ignore", message=".*past_key_values.*deprecated", category=FutureWarning)
            output = self.model.generate(**inputs, **kwargs, logits_processor=[clock])
        ended = time.perf_counter()
        prompt_width = inputs["input_ids"].shape[1]
        new = output if self.is_encoder_decoder else output[:, prompt_width:]
        counts = [self._count(row) for row in new]
        # every row ran for as many positions as the batch generated (the longest row's count)
        self.efficiency.add_batch(started, clock.first_step, ended, prompt_tokens, sum(counts), self.device, row_steps=len(batch) * max(counts, default=0))
        seconds = (ended - started) / len(batch)
        return [
            Generation(request, cut_at_stop(self.tokenizer.decode(row, skip_special_tokens=True), request.stop), count, seconds, text)
            for request, row, count, text in zip(batch, new, counts, texts)
        ]

    def _count(self, row) -> int:
        """New tokens actually produced: up to and including the first end-of-sequence token."""
        eos = self._eos_ids()
        ends = {self.tokenizer.pad_token_id, *eos}
        if self.is_encoder_decoder:
            row = row[1:]  # the decoder start token is not generated
        for index, token in enumerate(row.tolist()):
            if token in ends:
                return index + (1 if token in eos else 0)
        return len(row)

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) - {None}

    def close(self) -> None:
        import gc

        self.model = None
        gc.collect()
        _free_accelerator_memory()


def _free_accelerator_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _hub_commit(resolved) -> str | None:
    """The commit a hub id and revision resolved to: the snapshot folder the files came from."""
    from pathlib import Path

    from transformers.utils.hub import cached_file

    try:
        path = cached_file(resolved.location, "config.json", **resolved.kwargs)
    except OSError:
        return None
    return Path(path).parent.name if path else None


def load(config: HFModel, seed: int) -> HFBackend:
    return HFBackend(config, seed)
