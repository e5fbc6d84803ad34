"""Where generation time goes: prefill vs decode tokens per second, and peak memory.

transformers' generate() does the prefill forward pass, then one decode step per new token.
A logits processor is called once per step, after that step's forward pass, so the time of its
first call ends the prefill. Decode tokens per second counts all new tokens over the time from
the first step to the end (the first token of each sequence comes from the prefill pass).

A batch runs until its longest row stops: `decode_row_steps` counts the batch's rows times the
positions it generated, and `batch_occupancy` (decode tokens over it) says how much of that was
used. It is the ceiling of what refilling a finished row's slot at once (continuous batching)
could save.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass


class FirstStepClock:
    """A logits processor that only notes when it was first called."""

    def __init__(self):
        self.first_step: float | None = None

    def __call__(self, input_ids, scores):
        if self.first_step is None:
            self.first_step = time.perf_counter()
        return scores


@dataclass
class Efficiency:
    prefill_tokens: int = 0
    prefill_seconds: float = 0.0
    decode_tokens: int = 0
    decode_seconds: float = 0.0
    decode_row_steps: int = 0
    peak_memory_mb: float | None = None

    def first_step_clock(self) -> FirstStepClock:
        return FirstStepClock()

    def add_prefill(self, tokens: int, seconds: float) -> None:
        self.prefill_tokens += tokens
        self.prefill_seconds += seconds

    def add_batch(self, started: float, first_step: float | None, ended: float, prompt_tokens: int, new_tokens: int, device: str,
                  row_steps: int = 0) -> None:
        first_step = first_step or ended
        self.add_prefill(prompt_tokens, first_step - started)
        self.decode_tokens += new_tokens
        self.decode_row_steps += row_steps
        self.decode_seconds += ended - first_step
        self.peak_memory_mb = peak_memory_mb(device)

    def as_dict(self) -> dict:
        rate = lambda tokens, seconds: round(tokens / seconds, 2) if seconds > 0 and tokens else None  # noqa: E731
        return {
            "prefill_tokens": self.prefill_tokens,
            "prefill_tokens_per_second": rate(self.prefill_tokens, self.prefill_seconds),
            "decode_tokens": self.decode_tokens,
            "decode_tokens_per_second": rate(self.decode_tokens, self.decode_seconds),
            "decode_row_steps": self.decode_row_steps or None,
            "batch_occupancy": round(self.decode_tokens / self.decode_row_steps, 3) if self.decode_row_steps else None,
            "peak_memory_mb": None if self.peak_memory_mb is None else round(self.peak_memory_mb, 1),
        }


def peak_memory_mb(device: str) -> float:
    """Peak accelerator memory on CUDA; on CPU the process's peak resident set size (the whole
    process, all models so far: the OS keeps no per-model peak)."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10
