"""Shared-article prefix reuse: prefill the common prompt prefix once, then continue every
question of the article from a copy of its KV cache, batched.

The questions of one article share the instructions and the article, ~600 of their ~620
tokens; without reuse that prefix is recomputed for every question. Here it is computed once
per article, and each batch only prefills its questions' suffixes.

Batching suffixes of different lengths: the cache holds the prefix for one sequence; it is
repeated for the batch, and each suffix is padded on the left *between* the prefix and the
suffix, with those positions masked. transformers derives position ids from the attention
mask, so every real token keeps the position it has without padding. Models with sliding-window
attention (Gemma-3, Mistral) would see the padding inside their window, so for them a batch only
holds suffixes of equal length.

The batch's cache is either a copy of the prefix's DynamicCache (it grows by a torch.cat of every
layer's keys and values at each decode step: the whole cache is copied once per new token) or a
StaticCache sized for the batch's prompt and new tokens, the prefix written into it once and each
new token written in place. On SmolLM2 at batch 8 over a 506-token prefix the cat took ~18% of a
decode step (torch.profiler; benchmarks/decode_profile.py), and the static cache gives the same
greedy tokens (tested on the tiny models, measured on the packaged ones).
"""

from __future__ import annotations

import copy

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


def batch_inputs(prefix_ids: list[int], suffixes: list[list[int]], pad_id: int, prefix_cache, device, static_for=None):
    """input_ids, attention_mask and a batch-sized copy of the prefix cache for generate().

    `static_for=(model_config, max_new_tokens)` gives a StaticCache that holds the whole batch
    (prompt and new tokens) instead of a growing DynamicCache."""
    import torch

    width = max(len(s) for s in suffixes)
    rows, masks = [], []
    for suffix in suffixes:
        pad = width - len(suffix)
        rows.append(prefix_ids + [pad_id] * pad + suffix)
        masks.append([1] * len(prefix_ids) + [0] * pad + [1] * len(suffix))
    if static_for is not None:
        model_config, max_new_tokens = static_for
        cache = static_copy(prefix_cache, model_config, len(suffixes), len(prefix_ids) + width + max_new_tokens)
    else:
        cache = copy.deepcopy(prefix_cache)
        if len(suffixes) > 1:
            cache.batch_repeat_interleave(len(suffixes))
    return torch.tensor(rows, device=device), torch.tensor(masks, device=device), cache


def static_copy(prefix_cache, model_config, batch_size: int, length: int):
    """A StaticCache of `length` positions for `batch_size` sequences that starts with the
    prefix's keys and values in every row (written through the cache's own update())."""
    from transformers import StaticCache

    cache = StaticCache(config=model_config, max_cache_len=length)
    for index, layer in enumerate(prefix_cache.layers):
        keys, values = layer.keys, layer.values
        cache.update(keys.expand(batch_size, *keys.shape[1:]), values.expand(batch_size, *values.shape[1:]), index)
    return cache
