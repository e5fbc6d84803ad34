"""Shared-prefix attention: the questions of one article read its prefix's keys and values from
one copy, not from a copy per row of the batch.

With a plain StaticCache every row of a batch holds its own copy of its article's prefix (the
instructions and the article, most of the prompt), and every decode step reads all of them: on
SmolLM2 at batch 8 over the default config's article, attention took 28 of a step's 141 ms
(torch.profiler, benchmarks/decode_profile.py), and the copies hold ~190 MB (8 rows x 506 tokens x
30 layers x keys and values of 3 heads x 64 floats). Here (cascade attention,
as FlashInfer and vLLM do it for shared prefixes) the cache holds, per row, only what follows
the prefixes (padding, suffix, new tokens: the "tail"); each layer's attention is computed in two
parts, merged through the log-sum-exp of each (exact in real arithmetic):
- the prefix part: all the rows of one article (and all the query heads that share a key head)
  as the queries of a single attention over that article's one copy of the prefix, which every
  suffix and new token sees in full;
- the tail part: each row over its own tail, with the padding and causal mask.
The split only moves where the kernel's online softmax starts a new block, so the result equals
the single attention up to float rounding; greedy tokens are tested equal to batch 1 without
reuse (tests/backends/test_hf.py) and measured on the packaged models.

Both parts run torch's CPU flash-attention kernel, which also returns the log-sum-exp (CUDA is
not wired: the backend uses the per-row static cache there). transformers calls attention
through a registered function and builds the mask through a registered mask function; both are
registered here under one name. The model keeps "sdpa" and switches to this one only while a
batch with a shared cache generates (`attention()`); outside it the function is plain sdpa.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from typing import Any

NAME = "harness_shared_prefix"
_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("harness_shared_prefix_cache", default=None)


MODEL_TYPES = frozenset({"llama"})
"""Architectures whose attention is plain scaled dot-product over the cache (no soft-capping,
sinks or per-layer windows) and that were checked here (SmolLM2, the tests' tiny Llama); any
other keeps the per-row static cache until it is checked."""


def supported(model) -> bool:
    """A decoder-only model of a checked architecture, on sdpa attention."""
    config = model.config
    return (getattr(config, "model_type", None) in MODEL_TYPES and not getattr(config, "is_encoder_decoder", False)
            and getattr(config, "_attn_implementation", None) == "sdpa")


class SharedPrefixCache:
    """What `cache()` builds: a transformers Cache of tail layers, plus each layer's prefixes."""


def is_shared(cache) -> bool:
    return isinstance(cache, SharedPrefixCache)


def cache(prefixes: list[tuple[Any, int]], prefix_width: int, tail_length: int):
    """A cache for a batch whose consecutive rows continue the same prefix: `prefixes` is
    (prefix DynamicCache, row count) per run of rows, `prefix_width` the longest prefix (where
    every row's tail starts), `tail_length` the padding, suffix and new tokens it must hold."""
    return _classes()[1](prefixes, prefix_width, tail_length)


@functools.cache
def _classes():
    """The cache's classes, defined once (transformers is imported lazily). Not per call: a class
    made per batch would sit in a reference cycle with the batch's tensors in its closure, and
    only Python's occasional full collection would free them (the memory piled up over a run)."""
    import torch
    from transformers.cache_utils import Cache, StaticLayer

    class TailLayer(StaticLayer):
        """Stores positions prefix_width.. of each row; reports the whole length, so positions
        and the mask are those of the full sequence."""

        def __init__(self, keys, values, rows: int, prefix_width: int, tail_length: int) -> None:
            super().__init__(max_cache_len=tail_length)
            # allocated now, not at the first update: an uninitialised layer reports length 0,
            # and the first forward's positions and mask start from the reported length
            self.lazy_initialization(keys.expand(rows, *keys.shape[1:]), values.expand(rows, *values.shape[1:]))
            self.prefix_width = prefix_width
            self.max_cache_len = prefix_width + tail_length
            self.cumulative_length.fill_(prefix_width)

        def update(self, key_states, value_states, *args, **kwargs):
            length = key_states.shape[-2]
            positions = torch.arange(length, device=self.device) + self.cumulative_length - self.prefix_width
            self.cumulative_length.add_(length)
            self.keys.index_copy_(2, positions, key_states)
            self.values.index_copy_(2, positions, value_states)
            return self.keys, self.values

    class Shared(Cache, SharedPrefixCache):
        def __init__(self, prefixes: list[tuple[Any, int]], prefix_width: int, tail_length: int) -> None:
            first, rows = prefixes[0][0], sum(count for _, count in prefixes)
            layer_count = len(first.layers)
            super().__init__(layers=[TailLayer(first.layers[i].keys, first.layers[i].values, rows, prefix_width, tail_length)
                                     for i in range(layer_count)])
            self.prefix_width = prefix_width
            # per layer: (keys, values, first row, end row) of each run of rows
            self.prefix_runs: list[list[tuple[Any, Any, int, int]]] = []
            for index in range(layer_count):
                runs, row = [], 0
                for prefix, count in prefixes:
                    runs.append((prefix.layers[index].keys, prefix.layers[index].values, row, row + count))
                    row += count
                self.prefix_runs.append(runs)
            self._bias: tuple[Any, Any, Any] | None = None

        def tail_bias(self, attention_mask, groups: int, dtype):
            """The tail's additive mask for the kernel, repeated for a key head's query heads, and
            which queries see nothing of the tail; built once per forward (every layer gets the
            same mask tensor)."""
            if self._bias is None or self._bias[0] is not attention_mask:
                allowed = attention_mask[..., self.prefix_width :]
                batch, _, queries, length = allowed.shape
                allowed = allowed.expand(batch, 1, queries, length).repeat(1, 1, groups, 1)
                bias = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill_(~allowed, float("-inf"))
                self._bias = (attention_mask, bias, ~allowed.any(-1))
            return self._bias[1], self._bias[2]

    return TailLayer, Shared


@contextlib.contextmanager
def attention(model, shared_cache):
    """The model attends through the shared prefix while it generates over `shared_cache`."""
    _register()
    token = _ACTIVE.set(shared_cache)
    previous = model.config._attn_implementation
    model.config._attn_implementation = NAME
    try:
        yield
    finally:
        model.config._attn_implementation = previous
        _ACTIVE.reset(token)


_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    def mask(*args, **kwargs):
        # always a materialised mask: the tail part needs the padding even where sdpa could skip it
        kwargs["allow_is_causal_skip"] = False
        kwargs["allow_is_bidirectional_skip"] = False
        return sdpa_mask(*args, **kwargs)

    AttentionInterface.register(NAME, _attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, mask)
    _registered = True


def _attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None, **kwargs):
    """(batch, heads, queries, dim) queries over the tail `key`/`value` (batch, key heads, tail,
    dim) and the active cache's prefixes; returns (batch, queries, heads, dim) as transformers'
    attention functions do."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    shared = _ACTIVE.get()
    if shared is None:  # not inside `attention()`: plain sdpa
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    unsupported = [name for name in ("softcap", "s_aux", "sliding_window", "position_bias") if kwargs.get(name) is not None]
    if unsupported or attention_mask is None:
        raise RuntimeError(f"kv_cache: shared cannot compute this attention ({', '.join(unsupported) or 'no mask'}); set kv_cache: static")
    flash = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
    batch, heads, queries, dim = query.shape
    key_heads = key.shape[1]
    groups = heads // key_heads
    scale = scaling if scaling is not None else dim**-0.5

    # tail: each row over its own tail; a key head's query heads as one row block of queries
    bias, sees_nothing = shared.tail_bias(attention_mask, groups, query.dtype)
    tail_out, tail_lse = flash(query.reshape(batch, key_heads, groups * queries, dim), key, value, 0.0, False, attn_mask=bias, scale=scale)
    tail_lse = tail_lse.masked_fill(sees_nothing, float("-inf"))  # the kernel says 0 for a query that sees nothing

    # prefix: every row of a run and every query head of a key head over the run's one copy
    prefix_out = torch.empty_like(tail_out)
    prefix_lse = torch.empty_like(tail_lse)
    for keys, values, first, end in shared.prefix_runs[module.layer_idx]:
        rows = end - first
        block = query[first:end].reshape(rows, key_heads, groups * queries, dim).transpose(0, 1).reshape(1, key_heads, rows * groups * queries, dim)
        out, lse = flash(block, keys, values, 0.0, False, scale=scale)
        prefix_out[first:end] = out.reshape(key_heads, rows, groups * queries, dim).transpose(0, 1)
        prefix_lse[first:end] = lse.reshape(key_heads, rows, groups * queries).transpose(0, 1)

    top = torch.maximum(prefix_lse, tail_lse)
    prefix_weight = torch.exp(prefix_lse - top).unsqueeze(-1)
    tail_weight = torch.exp(tail_lse - top).unsqueeze(-1)
    merged = (prefix_out * prefix_weight + torch.nan_to_num(tail_out) * tail_weight) / (prefix_weight + tail_weight)
    # the log-sum-exps are float32 whatever the model's dtype: back to it for the output projection
    return merged.to(query.dtype).reshape(batch, heads, queries, dim).transpose(1, 2).contiguous(), None
