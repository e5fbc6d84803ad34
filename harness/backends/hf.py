"""The transformers backend: causal LMs and encoder-decoder models (T5, BART), chosen from the
model's own config; chat templates; batched greedy generation with stop strings.

The only module that imports torch and transformers (lazily, in `load`).
"""

from __future__ import annotations

import time
from itertools import groupby

from harness.backends.sources import resolve
from harness.config import HFModel
from harness.errors import HarnessError
from harness.records import Generation, Request


def quiet_transformers() -> None:
    """transformers' own progress bars and notices would tear through the run's progress display."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


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

    def __init__(self, config: HFModel, seed: int):
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        quiet_transformers()
        self.config = config
        resolved = resolve(config.source)
        self.device = pick_device(config.device)
        self.dtype = pick_dtype(config.dtype, self.device)
        model_config = AutoConfig.from_pretrained(resolved.location, **resolved.kwargs)
        self.is_encoder_decoder = bool(model_config.is_encoder_decoder)
        model_class = AutoModelForSeq2SeqLM if self.is_encoder_decoder else AutoModelForCausalLM
        self.tokenizer = AutoTokenizer.from_pretrained(resolved.location, **resolved.kwargs)
        self.model = model_class.from_pretrained(resolved.location, dtype=self.dtype, **resolved.kwargs)
        self.model.to(self.device).eval()
        torch.manual_seed(seed)

        if not self.is_encoder_decoder:
            self.tokenizer.padding_side = "left"  # causal models continue from the last token
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        if config.chat_template is True and not has_template:
            raise HarnessError(f"model {config.name}: chat_template is true but the tokenizer has no chat template")
        self.use_chat_template = has_template if config.chat_template == "auto" else config.chat_template
        self.source_info = {
            **resolved.info,
            **({"commit": _hub_commit(resolved)} if config.source.hub and not config.source.gguf_file else {}),
            "architecture": type(self.model).__name__,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": self.device,
            "chat_template": self.use_chat_template,
        }

    def render(self, request: Request) -> str:
        """The exact text the model sees: the chat template applied, or the plain prompt."""
        if self.use_chat_template:
            messages = [{"role": "user", "content": request.prompt}]
            if self.config.system_prompt:
                messages.insert(0, {"role": "system", "content": self.config.system_prompt})
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if self.config.system_prompt:
            return f"{self.config.system_prompt}\n\n{request.prompt}"
        return request.prompt

    def generate(self, requests: list[Request], progress) -> list[Generation]:
        rendered = {id(r): self.render(r) for r in requests}
        lengths = {id(r): len(self.tokenizer(rendered[id(r)], add_special_tokens=not self.use_chat_template)["input_ids"]) for r in requests}
        results: dict[int, Generation] = {}
        # one generate() call needs one max_new_tokens and one stop list; within a group,
        # longest prompts first so each batch pads as little as possible
        key = lambda r: (r.max_new_tokens, r.stop, r.do_sample, r.temperature or 0, r.top_p or 0)  # noqa: E731
        for _, group in groupby(sorted(requests, key=key), key=key):
            group = sorted(group, key=lambda r: -lengths[id(r)])
            for start in range(0, len(group), self.config.batch_size):
                batch = group[start : start + self.config.batch_size]
                for generation in self._generate_batch(batch, [rendered[id(r)] for r in batch]):
                    results[id(generation.request)] = generation
                progress(len(batch), sum(results[id(r)].new_tokens for r in batch))
        return [results[id(r)] for r in requests]

    def _generate_batch(self, batch: list[Request], texts: list[str]) -> list[Generation]:
        import torch

        first = batch[0]
        inputs = self.tokenizer(
            texts, return_tensors="pt", padding=True, add_special_tokens=not self.use_chat_template
        ).to(self.device)
        kwargs = dict(
            max_new_tokens=first.max_new_tokens,
            do_sample=first.do_sample,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        if first.do_sample:
            kwargs.update(temperature=first.temperature or 1.0, top_p=first.top_p or 1.0)
        else:  # neutralise sampling defaults a model's generation_config may carry
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=self.tokenizer)
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(**inputs, **kwargs)
        seconds = (time.perf_counter() - started) / len(batch)
        new = output if self.is_encoder_decoder else output[:, inputs["input_ids"].shape[1] :]
        return [
            Generation(request, _cut(self.tokenizer.decode(row, skip_special_tokens=True), request.stop), self._count(row), seconds, text)
            for request, row, text in zip(batch, new, texts)
        ]

    def _count(self, row) -> int:
        """New tokens actually produced: up to and including the first end-of-sequence token."""
        ends = {self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, *self._eos_ids()}
        if self.is_encoder_decoder:
            row = row[1:]  # the decoder start token is not generated
        for index, token in enumerate(row.tolist()):
            if token in ends:
                return index + (1 if token in self._eos_ids() else 0)
        return len(row)

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        return set(eos if isinstance(eos, list) else [eos]) - {None}

    def close(self) -> None:
        import gc

        del self.model
        gc.collect()


def _hub_commit(resolved) -> str | None:
    """The commit a hub id and revision resolved to: the snapshot folder the files came from."""
    from pathlib import Path

    from transformers.utils.hub import cached_file

    try:
        path = cached_file(resolved.location, "config.json", **resolved.kwargs)
    except OSError:
        return None
    return Path(path).parent.name if path else None


def _cut(text: str, stop: tuple[str, ...]) -> str:
    """Cut at the first stop string: generation stops at one but a batch may run past it."""
    positions = [text.find(s) for s in stop if s and s in text]
    return text[: min(positions)] if positions else text


def load(config: HFModel, seed: int) -> HFBackend:
    return HFBackend(config, seed)
