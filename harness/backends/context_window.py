"""Prompts against a model's context window: count every prompt's tokens before generating, then
refuse (the default) or cut the article's end until the prompt fits.

Why: a prompt longer than the model's positions does not fail; it produces garbage that is
scored as a valid answer. HELM and lm-eval truncate silently; here the config chooses
(`context_overflow: error | truncate`) and every truncated item is marked and counted.

Truncation keeps the article's beginning and drops its end (a news article's lead carries most
of what a summary or a question needs), and cuts every request of one article and task by the
same number of tokens, so all questions of an article still see the same text (and share the
prefilled prefix).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from typing import Callable

from harness.errors import HarnessError
from harness.records import Request

# attribute names under which transformers configs give the number of positions
_POSITION_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
# tokenizers without a limit report a huge sentinel (int(1e30)); anything above this is "unknown"
_NO_LIMIT = 10**7


def context_window(model_config, tokenizer) -> int | None:
    """The model's positions (its text config's, for multimodal configs), else the tokenizer's
    model_max_length; None when neither says (e.g. T5's relative positions)."""
    text_config = model_config.get_text_config() if hasattr(model_config, "get_text_config") else model_config
    for key in _POSITION_KEYS:
        value = getattr(text_config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < _NO_LIMIT else None


def fit_to_window(
    requests: list[Request],
    *,
    model: str,
    window: int | None,
    new_tokens_share_window: bool,
    policy: str,
    count: Callable[[Request], int],
    article_tokens: Callable[[str], list[int]],
    decode: Callable[[list[int]], str],
) -> list[Request]:
    """`requests` as they fit in `window`: unchanged, or (policy "truncate") with the article cut.

    `count(request)` is the number of tokens the model sees for a request (after its chat
    template); `new_tokens_share_window` is true for causal models, whose generated tokens take
    positions too (an encoder-decoder's encoder sees the prompt alone). Raises HarnessError that
    names the items when a prompt does not fit and the policy is "error", or when max_new_tokens
    alone fills the window.
    """
    if window is None or not requests:
        return requests
    if new_tokens_share_window:
        too_many = sorted({r.max_new_tokens for r in requests if r.max_new_tokens >= window})
        if too_many:
            raise HarnessError(
                f"model {model}: max_new_tokens {too_many[-1]} does not fit its context window of {window} tokens; "
                f"set the task's max_new_tokens below {window}"
            )
    budget = {id(r): window - (r.max_new_tokens if new_tokens_share_window else 0) for r in requests}
    lengths = {id(r): count(r) for r in requests}
    over = [r for r in requests if lengths[id(r)] > budget[id(r)]]
    if not over:
        return requests
    if policy != "truncate":
        names = ", ".join(f"{r.article_id}/{r.task}/{r.item_id} ({lengths[id(r)]} tokens)" for r in over[:5])
        more = f" and {len(over) - 5} more" if len(over) > 5 else ""
        share = f" (with max_new_tokens {over[0].max_new_tokens} generated after the prompt)" if new_tokens_share_window else ""
        raise HarnessError(
            f"model {model}: {len(over)} prompt(s) do not fit its context window of {window} tokens{share}: {names}{more}; "
            "shorten the articles, lower max_new_tokens, or set the model's context_overflow: truncate to cut the article's end"
        )
    fitted: dict[int, Request] = {}
    key = lambda r: (r.article_id, r.task)  # noqa: E731
    for _, grouped in groupby(sorted(over, key=key), key=key):
        group = list(grouped)
        for request, cut in zip(group, _cut_article(group, lengths, budget, count, article_tokens, decode, model)):
            fitted[id(request)] = cut
    return [fitted.get(id(r), r) for r in requests]


def _cut_article(group, lengths, budget, count, article_tokens, decode, model) -> list[Request]:
    """One article's requests of one task, all with the same article prefix, each fitting."""
    tokens = article_tokens(group[0].article)
    keep = len(tokens) - max(lengths[id(r)] - budget[id(r)] for r in group)
    while keep > 0:
        article = decode(tokens[:keep])
        cut = [replace(r, prompt=r.prompt.replace(r.article, article, 1), truncated_tokens=len(tokens) - keep) for r in group]
        worst = max(count(c) - budget[id(r)] for r, c in zip(group, cut))
        if worst <= 0:
            return cut
        keep -= worst  # re-tokenizing a cut text can merge or split a token at the seam
    request = group[0]
    raise HarnessError(
        f"model {model}: {request.article_id}/{request.task} does not fit its context window even with the whole article cut; "
        "shorten the prompt template or lower max_new_tokens"
    )
