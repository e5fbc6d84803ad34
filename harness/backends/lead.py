"""The Lead-k baseline: the first k sentences of the article, the standard extractive baseline
of news summarization (lead-3 on CNN/DailyMail). It answers no questions."""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field

from harness.backends.efficiency import Efficiency
from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.metrics.sentences import SPLITTER_NAME, split_sentences
from harness.records import Generation, Request


class LeadModel(ModelConfigBase):
    """The Lead-k baseline: the article's first k sentences. It answers no questions."""

    backend: Literal["lead"]
    k: int = Field(default=3, gt=0)


class LeadBackend:
    tasks = frozenset({"summary"})
    load_seconds = 0.0

    def __init__(self, k: int):
        self.k = k
        self.source_info = {"baseline": f"lead-{k}"}
        self.identity = {"backend": "lead", "k": k, "splitter": SPLITTER_NAME}
        self.efficiency = Efficiency()

    def generate(self, requests: list[Request], on_batch) -> list[Generation]:
        out = []
        for request in requests:
            start = time.perf_counter()
            text = " ".join(split_sentences(request.article)[: self.k])
            out.append(Generation(request, text, 0, time.perf_counter() - start))
            on_batch(out[-1:])
        return out

    def ensure_loaded(self) -> None:
        pass  # nothing to load

    def close(self) -> None:
        pass


def load(model_config: LeadModel, seed: int) -> LeadBackend:
    return LeadBackend(model_config.k)


PLUGIN = BackendPlugin("lead", LeadModel, load=load)
