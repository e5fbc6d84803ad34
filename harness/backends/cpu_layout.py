"""Linear weights stored transposed on the CPU, so a decode step's small matrix products run
MKL's faster kernel.

`nn.Linear` computes x @ W.T with W stored (out, in): a "transposed B" product. For the few rows
of a decode step (one per sequence in the batch) MKL's sgemm is much slower on that layout than
on W.T stored contiguously. Measured on SmolLM2-135M, float32, one thread, batch 8
(benchmarks/decode_profile.py --layout-only, paired, 4 rounds): a decode step 0.924x the time
(0.910 to 0.928), the default config's 15 answers 0.930x, a 500-token prefill 0.971x, the same
greedy tokens; the ci set's first 75 questions and 8 summaries equal baselines/ci on SmolLM2
and Gemma-3.
Only the storage changes: the parameter keeps its shape (out, in) as a strided view, tied
weights stay tied (the same Parameter object is re-stored once), the embedding lookup reads the
same values. The products round differently in the last bits, so the layout is part of the
cache key (HFBackend.identity).
"""

from __future__ import annotations

from typing import Any

LAYOUT = "linear-weights-transposed"
"""The identity's name for this layout; float32 CPU models only (where it was measured)."""


def applies(device_type: str, dtype: str) -> bool:
    return device_type == "cpu" and dtype == "float32"


def store_linear_weights_transposed(model: Any) -> int:
    """Re-store every nn.Linear weight of `model` as W.T contiguous (viewed back as W); returns
    how many tensors were re-stored."""
    import torch

    done: set[int] = set()
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if not isinstance(module, torch.nn.Linear) or weight is None or id(weight) in done:
            continue
        done.add(id(weight))
        if weight.dim() == 2 and weight.is_contiguous() and weight.is_floating_point():
            weight.data = weight.data.t().contiguous().t()
    return len(done)
