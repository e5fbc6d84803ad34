"""Shared-article prefix reuse: prefill the common prompt prefix once, then continue every
question of the article from a copy of its KV cache, batched; without sliding windows, a batch
runs on across articles, each row over its own article's prefix.

The questions of one article share the instructions and the article, ~600 of their ~620
tokens; without reuse that prefix is recomputed for every question. Here it is computed once
per article, and each batch only prefills its questions' suffixes.

Batching suffixes of different lengths: the cache holds the prefix for one sequence; it is
repeated for the batch, and each suffix is padded on the left *between* the prefix and the
suffix, with those positions masked (rows of several articles: padded up to the longest prefix,
then up to the longest suffix, all of it between each row's prefix and its suffix).
transformers derives position ids from the attention mask, so every real token keeps the
position it has without padding. Models with sliding-window attention (Gemma-3, Mistral) would
count the padding inside their window: for them a batch mixes lengths and articles only when
the padded batch fits inside the window (HFBackend._fits_window), otherwise it holds one
article's suffixes of equal length.

The batch's cache is one of three. "shared" (CPU, checked architectures): one copy of each
prefix for all its rows, read through a two-part attention (hf_shared_prefix.py). "static": a
StaticCache sized for the batch's prompt and new tokens, the prefix written into every row once
and each new token written in place. "dynamic" (sliding windows): a copy of the prefix's
DynamicCache, which grows by a torch.cat of every layer's keys and values at each decode step (the
whole cache copied once per new token): on SmolLM2 at batch 8 over a 506-token prefix the cat took
~18% of a decode step (torch.profiler; benchmarks/decode_profile.py). All three give the same
greedy tokens (tested on the tiny models, measured on the packaged ones).
"""

from __future__ import annotations

import copy
from typing import Any

from harness.backends import hf_shared_prefix

MIN_PREFIX_TOKENS = 8
"""Shorter shared prefixes are not worth a separate prefill."""


def common_prefix_length(token_lists: list[list[int]]) -> int:
    """Length of the longest common token prefix, leaving every sequence at least one token."""
    if not token_lists:
        return 0
    shortest = min(len(tokens) for tokens in token_lists)
    length = 0
    first = token_lists[0]
    while length < shortest - 1 and all(tokens[length] == first[length] for tokens in token_lists):
        length += 1
    return length


def has_sliding_window(model_config) -> bool:
    layer_types = getattr(model_config, "layer_types", None) or []
    return bool(getattr(model_config, "sliding_window", None)) and (
        not layer_types or any("sliding" in str(t) for t in layer_types)
    )


def prefill(model, prefix_ids, device):
    """Run the prefix once; returns its KV cache."""
    import torch

    ids = torch.tensor([prefix_ids], device=device)
    with torch.inference_mode():
        try:  # only the cache is needed: skip the logits of all but the last position
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, logits_to_keep=1)
        except TypeError:  # a model whose forward() has no logits_to_keep
            out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True)
    return out.past_key_values


def batch_inputs(prefix_ids: list[int], suffixes: list[list[int]], pad_id: int, prefix_cache, device):
    """input_ids, attention_mask and a batch-sized copy of one prefix's cache for generate():
    for sliding-window models, whose cache keeps only the window and is copied as it is."""
    import torch

    input_ids, mask = _rows([prefix_ids] * len(suffixes), suffixes, pad_id)
    cache = copy.deepcopy(prefix_cache)
    if len(suffixes) > 1:
        cache.batch_repeat_interleave(len(suffixes))
    return torch.tensor(input_ids, device=device), torch.tensor(mask, device=device), cache


def rows_inputs(prefixes: list[tuple[list[int], Any]], suffixes: list[list[int]], pad_id: int, device, model_config, max_new_tokens: int,
                kind: str):
    """input_ids, attention_mask and a cache for a batch whose rows continue different prefixes
    (questions of several articles in one batch): row i is prefix i, padding up to the longest
    prefix and then up to the longest suffix (masked: positions come from the mask), suffix i.
    `kind` "shared": each run of rows of one prefix reads that prefix's own cache, and the cache
    holds per row what follows the longest prefix, new tokens included (hf_shared_prefix.py);
    "static": a StaticCache, each row starting with its own copy of its prefix's keys and values,
    that also holds the new tokens; "dynamic": a DynamicCache rebuilt from the prefixes' full keys
    and values (models without sliding windows, or batches that fit inside the window, whose
    prefixes were never cut to it)."""
    import torch
    from transformers import DynamicCache, StaticCache

    input_ids, mask = _rows([ids for ids, _ in prefixes], suffixes, pad_id)
    longest = max(len(ids) for ids, _ in prefixes)
    runs = _runs([cache for _, cache in prefixes])  # consecutive rows of one prefix share a tensor view
    width = len(input_ids[0])
    cache: Any
    if kind == "shared":
        cache = hf_shared_prefix.cache(runs, longest, width - longest + max_new_tokens)
    else:  # every row gets its own copy of its prefix
        cache = StaticCache(config=model_config, max_cache_len=width + max_new_tokens) if kind == "static" else DynamicCache(config=model_config)
        for index in range(len(runs[0][0].layers)):
            keys = torch.cat([_padded(prefix.layers[index].keys, longest, count) for prefix, count in runs])
            values = torch.cat([_padded(prefix.layers[index].values, longest, count) for prefix, count in runs])
            cache.update(keys, values, index)
    return torch.tensor(input_ids, device=device), torch.tensor(mask, device=device), cache


def _rows(prefixes: list[list[int]], suffixes: list[list[int]], pad_id: int) -> tuple[list[list[int]], list[list[int]]]:
    longest, width = max(len(p) for p in prefixes), max(len(s) for s in suffixes)
    rows, masks = [], []
    for prefix, suffix in zip(prefixes, suffixes):
        pad = longest - len(prefix) + width - len(suffix)
        rows.append(prefix + [pad_id] * pad + suffix)
        masks.append([1] * len(prefix) + [0] * pad + [1] * len(suffix))
    return rows, masks


def _runs(caches: list) -> list[tuple[Any, int]]:
    runs: list[tuple[Any, int]] = []
    for cache in caches:
        if runs and runs[-1][0] is cache:
            runs[-1] = (cache, runs[-1][1] + 1)
        else:
            runs.append((cache, 1))
    return runs


def _padded(tensor, length: int, count: int):
    """A (1, heads, n, dim) prefix tensor as (count, heads, length, dim): zeros after the prefix
    (masked positions), the same row `count` times (a view when nothing is padded)."""
    import torch

    missing = length - tensor.shape[2]
    if missing:
        tensor = torch.cat([tensor, tensor.new_zeros(*tensor.shape[:2], missing, tensor.shape[3])], dim=2)
    return tensor.expand(count, *tensor.shape[1:])
