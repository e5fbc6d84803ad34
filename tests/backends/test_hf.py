"""The transformers backend on tiny random models, through the real loading code."""

import pytest

from harness.backends.hf import HFBackend
from harness.backends.stops import cut_at_stop as _cut
from harness.config import HFModel
from harness.errors import HarnessError
from harness.records import Request


def backend(folder, **extra) -> HFBackend:
    """A loaded backend (the model itself loads lazily, on the first generate or render)."""
    b = HFBackend(HFModel(name="m", backend="hf", source={"path": str(folder)}, **extra), seed=0)
    b.ensure_loaded()
    return b


def ignore(_batch):
    pass


def requests(n=3, max_new_tokens=6, stop=()):
    return [
        Request("a", "qa", f"q{i}", f"Question {i}: where do Seoul and Japan meet{'?' * i}", max_new_tokens, stop)
        for i in range(n)
    ]


def test_causal_model_with_chat_template(tiny_models):
    b = backend(tiny_models["causal"])
    assert not b.is_encoder_decoder and b.use_chat_template
    assert b.source_info["architecture"] == "LlamaForCausalLM" and b.source_info["dtype"] == "float32"
    assert len(b.source_info["sha256"]) == 64
    done = []
    out = b.generate(requests(), done.append)
    assert [g.request.item_id for g in out] == ["q0", "q1", "q2"]
    assert all(0 < g.new_tokens <= 6 for g in out)
    assert out[0].rendered_prompt == "<|user|>Question 0: where do Seoul and Japan meet</s><|assistant|>"
    assert sorted(g.request.item_id for batch in done for g in batch) == ["q0", "q1", "q2"]


def test_system_prompt_goes_into_the_template_or_in_front(tiny_models):
    with_template = backend(tiny_models["causal"], system_prompt="Be brief.")
    assert with_template.render(requests(1)[0]).startswith("<|system|>Be brief.</s><|user|>")
    plain = backend(tiny_models["plain"], system_prompt="Be brief.")
    assert not plain.use_chat_template
    assert plain.render(requests(1)[0]) == "Be brief.\n\nQuestion 0: where do Seoul and Japan meet"


def test_chat_template_can_be_turned_off_or_required(tiny_models):
    assert backend(tiny_models["causal"], chat_template=False).use_chat_template is False
    with pytest.raises(HarnessError, match="chat_template is true but the tokenizer has no chat template"):
        backend(tiny_models["plain"], chat_template=True).ensure_loaded()


def test_encoder_decoder_is_chosen_from_the_model_config(tiny_models):
    b = backend(tiny_models["t5"])
    assert b.is_encoder_decoder and b.source_info["architecture"] == "T5ForConditionalGeneration"
    out = b.generate(requests(2), ignore)
    assert all(g.raw_output and 0 < g.new_tokens <= 6 for g in out)


def test_greedy_batches_equal_one_by_one(tiny_models):
    reqs = requests(4, max_new_tokens=8)
    batched = [g.raw_output for g in backend(tiny_models["causal"], batch_size=4).generate(reqs, ignore)]
    single = [g.raw_output for g in backend(tiny_models["causal"], batch_size=1).generate(reqs, ignore)]
    assert batched == single


def test_stop_strings_cut_the_output(tiny_models):
    b = backend(tiny_models["causal"])
    free = b.generate(requests(1, max_new_tokens=12), ignore)[0].raw_output
    stop = free[3:5]
    assert stop and stop in free
    cut = b.generate(requests(1, max_new_tokens=12, stop=(stop,)), ignore)[0]
    assert cut.raw_output == free[: free.index(stop)]


def test_cut_takes_the_earliest_stop():
    assert _cut("a\nQuestion: b\n\nc", ("\n\n", "\nQuestion:")) == "a"
    assert _cut("abc", ()) == "abc"


def test_hub_id_and_revision_through_the_hub_cache(tiny_models, tmp_path, monkeypatch):
    """A hub source, loaded by the real hub code from a populated offline cache (no network here)."""
    import shutil

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--tiny-org--tiny-llama"
    shutil.copytree(tiny_models["causal"], repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    import huggingface_hub.constants

    # the hub library reads these at import; set them where it looks
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    for revision in (None, commit):
        source = {"hub": "tiny-org/tiny-llama", **({"revision": revision} if revision else {})}
        b = HFBackend(HFModel(name="m", backend="hf", source=source), seed=0)
        assert b.source_info["hub"] == "tiny-org/tiny-llama" and b.source_info["revision"] == revision
        assert b.source_info["commit"] == commit
        assert b.generate(requests(1), ignore)[0].new_tokens > 0


def article_questions(n=5, max_new_tokens=8):
    article = "Senior South Korean and US defense officials agreed to hold three-way talks with Japan in Singapore."
    questions = ["Where?", "Who agreed to hold the talks with Japan?", "When?", "What kind of talks were agreed?", "Which officials met?"]
    return [
        Request("a", "qa", f"q{i}", f"Article: {article}\nQuestion: {q}\nAnswer:", max_new_tokens, ())
        for i, q in enumerate(questions[:n])
    ]


@pytest.mark.parametrize("model, batch_size, kv_cache", [
    ("causal", 1, "auto"), ("causal", 2, "auto"), ("causal", 5, "auto"), ("causal", 5, "dynamic"), ("causal", 2, "static"), ("causal", 5, "static"),
    ("causal", 5, "shared"), ("gqa", 5, "auto"), ("gqa", 5, "static"), ("sliding", 5, "auto"),
])
def test_prefix_reuse_gives_the_same_greedy_outputs(tiny_models, model, batch_size, kv_cache):
    reqs = article_questions()
    plain = backend(tiny_models[model], prefix_reuse=False, batch_size=batch_size).generate(reqs, ignore)
    reused_backend = backend(tiny_models[model], prefix_reuse=True, batch_size=batch_size, kv_cache=kv_cache)
    assert bool(reused_backend.sliding_window) == (model == "sliding")
    # auto: one copy of the prefix (CPU, sdpa) unless the model has sliding-window layers
    expected_kind = "dynamic" if model == "sliding" else ("shared" if kv_cache == "auto" else kv_cache)
    assert reused_backend.source_info["kv_cache"] == expected_kind
    reused = reused_backend.generate(reqs, ignore)
    assert [g.raw_output for g in reused] == [g.raw_output for g in plain]
    assert [g.new_tokens for g in reused] == [g.new_tokens for g in plain]
    # the shared prefix was prefilled once: far fewer prompt tokens than five full prompts
    full = sum(len(reused_backend._encode(reused_backend.render(r))) for r in reqs)
    assert reused_backend.efficiency.prefill_tokens < full * 0.6


def questions_of_three_articles():
    articles = {
        "a": "Senior South Korean and US defense officials agreed to hold three-way talks with Japan in Singapore.",
        "b": "The talks were last held in 2019 and are expected to resume at the Shangri-La Dialogue.",
        "c": "Officials said the meeting would focus on North Korea's missile launches and on how the three allies share data in real time.",
    }
    questions = ["Where?", "Who agreed to hold the talks with Japan?", "When were the talks last held, and where?"]
    return [
        Request(article_id, "qa", f"q{i}", f"Article: {text}\nQuestion: {q}\nAnswer:", 8, ())
        for article_id, text in articles.items() for i, q in enumerate(questions)
    ]


@pytest.mark.parametrize("model, kv_cache, across", [
    ("causal", "shared", True), ("gqa", "shared", True), ("causal", "static", True), ("causal", "dynamic", True), ("causal", "shared", False),
])
def test_batches_run_on_across_articles_with_the_same_greedy_outputs(tiny_models, model, kv_cache, across, monkeypatch):
    # three articles (prefixes of different lengths) of three questions, batch 5: two batches,
    # each mixing articles, instead of three batches of one article each (across_articles off)
    reqs = questions_of_three_articles()
    expected = backend(tiny_models[model], prefix_reuse=False, batch_size=1).generate(reqs, ignore)
    monkeypatch.setattr(HFBackend, "across_articles", across)
    reused = backend(tiny_models[model], batch_size=5, kv_cache=kv_cache)
    batches = []
    outputs = reused.generate(reqs, batches.append)
    if across:
        assert [len(b) for b in batches] == [5, 4]
        assert {g.request.article_id for g in batches[0]} == {"a", "b"} and {g.request.article_id for g in batches[1]} == {"b", "c"}
    else:
        assert [sorted({g.request.article_id for g in b}) for b in batches] == [["a"], ["b"], ["c"]]
    assert [g.raw_output for g in outputs] == [g.raw_output for g in expected]
    assert [g.new_tokens for g in outputs] == [g.new_tokens for g in expected]
    # each article's prefix was prefilled once (plus each question's own suffix)
    prompts = [reused._encode(reused.render(r)) for r in reqs]
    prefixes = {}
    for r, p in zip(reqs, prompts):
        prefixes.setdefault(r.article_id, []).append(p)
    from harness.backends.hf_prefix import common_prefix_length

    prefix_tokens = sum(common_prefix_length(group) for group in prefixes.values())
    assert reused.efficiency.prefill_tokens == sum(len(p) for p in prompts) - 2 * prefix_tokens


@pytest.mark.parametrize("model", ["sliding-wide", "sliding"])
def test_sliding_window_batches_mix_only_when_the_padded_batch_fits_the_window(tiny_models, model):
    # window 160: every padded batch fits, so suffixes of any length and articles mix as without
    # a window; window 16: shorter than the prompts, so a batch holds equal suffixes of one article
    reqs = questions_of_three_articles()
    expected = backend(tiny_models[model], prefix_reuse=False, batch_size=1).generate(reqs, ignore)
    reused = backend(tiny_models[model], batch_size=5)
    prompts = [len(reused._encode(reused.render(r))) for r in reqs]
    batches = []
    outputs = reused.generate(reqs, batches.append)
    assert [g.raw_output for g in outputs] == [g.raw_output for g in expected]
    assert [g.new_tokens for g in outputs] == [g.new_tokens for g in expected]
    if model == "sliding-wide":
        assert max(prompts) + 8 <= 160 and [len(b) for b in batches] == [5, 4]
    else:
        assert min(prompts) > 16
        for batch in batches:
            suffix_lengths = {len(reused._encode(reused.render(g.request))) for g in batch}
            assert len({g.request.article_id for g in batch}) == 1 and len(suffix_lengths) == 1


@pytest.mark.parametrize("model", ["causal", "sliding"])
def test_summaries_of_several_articles_share_batches_with_the_same_greedy_outputs(tiny_models, model):
    # one summary per article: batched across articles (left padding, which keeps every real token
    # inside a sliding window), equal to one by one
    texts = [r.prompt for r in questions_of_three_articles()[::3]]
    reqs = [Request(f"art{i}", "summary", f"art{i}", f"Summarize: {text * (i + 1)}\nSummary:", 10, ()) for i, text in enumerate(texts)]
    expected = backend(tiny_models[model], batch_size=1).generate(reqs, ignore)
    batches = []
    outputs = backend(tiny_models[model], batch_size=3).generate(reqs, batches.append)
    assert [len(b) for b in batches] == [3]
    assert [g.raw_output for g in outputs] == [g.raw_output for g in expected]


@pytest.mark.parametrize("kv_cache", ["static", "shared"])
def test_a_static_or_shared_cache_is_refused_for_sliding_window_attention(tiny_models, kv_cache):
    with pytest.raises(HarnessError, match=f"kv_cache: {kv_cache} does not support sliding-window attention"):
        backend(tiny_models["sliding"], kv_cache=kv_cache)


def test_the_static_cache_holds_prefix_suffix_and_new_tokens_and_starts_with_the_prefix(tiny_models):
    import torch

    from harness.backends import hf_prefix

    b = backend(tiny_models["causal"])
    ids = [b._encode(b.render(r)) for r in article_questions(3)]
    length = hf_prefix.common_prefix_length(ids)
    prefix_cache = hf_prefix.prefill(b.model, ids[0][:length], "cpu")
    suffixes = [i[length:] for i in ids]
    _, _, cache = hf_prefix.rows_inputs([(ids[0][:length], prefix_cache)] * 3, suffixes, b.tokenizer.pad_token_id, "cpu", b.model.config, 7, "static")
    width = max(len(s) for s in suffixes)
    assert cache.get_max_length() == length + width + 7 and cache.get_seq_length() == length
    for static, dynamic in zip(cache.layers, prefix_cache.layers):
        assert static.keys.shape[0] == 3 and torch.equal(static.keys[:, :, :length], dynamic.keys.expand(3, -1, -1, -1))
        assert torch.equal(static.values[:, :, :length], dynamic.values.expand(3, -1, -1, -1))


def two_articles_inputs(b, kind: str, max_new_tokens: int = 7):
    """input_ids, mask and a cache of `kind` for 2 questions of article a and 3 of article c
    (prefixes of different lengths), as a batch across articles builds them."""
    from harness.backends import hf_prefix

    by_article: dict[str, list[list[int]]] = {}
    for r in questions_of_three_articles():
        by_article.setdefault(r.article_id, []).append(b._encode(b.render(r)))
    rows, suffixes = [], []
    for article, count in (("a", 2), ("c", 3)):
        prompts = by_article[article][:count]
        length = hf_prefix.common_prefix_length(by_article[article])
        prefix = (prompts[0][:length], hf_prefix.prefill(b.model, prompts[0][:length], "cpu"))
        rows += [prefix] * count
        suffixes += [p[length:] for p in prompts]
    return hf_prefix.rows_inputs(rows, suffixes, b.tokenizer.pad_token_id, "cpu", b.model.config, max_new_tokens, kind), rows


def test_the_shared_cache_holds_each_prefix_once_and_per_row_only_what_follows(tiny_models):

    b = backend(tiny_models["causal"])
    (input_ids, mask, cache), rows = two_articles_inputs(b, "shared")
    longest = max(len(ids) for ids, _ in rows)
    assert len(rows[0][0]) != len(rows[2][0]) and cache.get_seq_length() == longest
    # positions and the mask are those of the whole sequence; the tensors hold only the tail
    assert cache.get_max_length() == input_ids.shape[1] + 7 and cache.layers[0].keys.shape[2] == input_ids.shape[1] - longest + 7
    for index, layer in enumerate(cache.layers):
        assert layer.keys.shape[0] == 5
        runs = cache.prefix_runs[index]
        assert [(first, end) for _, _, first, end in runs] == [(0, 2), (2, 5)]
        # the prefix caches' own tensors, not copies
        assert runs[0][0] is rows[0][1].layers[index].keys and runs[1][1] is rows[2][1].layers[index].values


def test_a_prefix_is_freed_as_soon_as_its_last_batch_drops_it(tiny_models):
    # without waiting for Python's cycle collector: a batch's cache must not sit in a reference
    # cycle (a class made per batch did, and kept every finished article's prefix for a while)
    import gc
    import weakref

    b = backend(tiny_models["gqa"])
    gc.collect()
    gc.disable()
    try:
        (_, _, cache), rows = two_articles_inputs(b, "shared")
        prefixes = weakref.ref(rows[0][1]), weakref.ref(rows[2][1])
        tail = weakref.ref(cache.layers[0].keys)
        del cache, rows
        assert [p() for p in prefixes] == [None, None] and tail() is None
    finally:
        gc.enable()


@pytest.mark.filterwarnings("ignore:.*past_key_values.*deprecated:FutureWarning")
@pytest.mark.parametrize("model", ["causal", "gqa"])
def test_shared_prefix_attention_gives_the_logits_of_the_static_cache(tiny_models, model):
    import torch

    from harness.backends import hf_shared_prefix

    b = backend(tiny_models[model])
    logits = {}
    for kind in ("static", "shared"):
        (input_ids, mask, cache), rows = two_articles_inputs(b, kind)
        longest = max(len(ids) for ids, _ in rows)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        attention = hf_shared_prefix.attention(b.model, cache) if kind == "shared" else torch.inference_mode()
        with torch.inference_mode(), attention:
            out = b.model(input_ids=input_ids[:, longest:], attention_mask=mask, position_ids=positions[:, longest:], past_key_values=cache,
                          use_cache=True, cache_position=torch.arange(longest, input_ids.shape[1]))
            # a decode step after the suffixes
            step_mask = torch.cat([mask, torch.ones(5, 1, dtype=mask.dtype)], 1)
            step = b.model(input_ids=out.logits[:, -1:].argmax(-1), attention_mask=step_mask, position_ids=positions[:, -1:] + 1,
                           past_key_values=cache, use_cache=True, cache_position=torch.tensor([input_ids.shape[1]]))
        real = mask[:, longest:].bool()  # padding positions' logits are never read
        logits[kind] = (out.logits[real], step.logits)
    assert b.model.config._attn_implementation == "sdpa"  # switched back after the batch
    for static, shared in zip(logits["static"], logits["shared"]):
        torch.testing.assert_close(shared, static, rtol=1e-5, atol=1e-5)


def test_shared_prefix_attention_keeps_the_models_dtype(tiny_models):
    # the log-sum-exps are float32: the merged output goes back to bfloat16 for the projection
    reqs = questions_of_three_articles()
    outputs = {kind: backend(tiny_models["gqa"], dtype="bfloat16", batch_size=5, kv_cache=kind).generate(reqs, ignore) for kind in ("static", "shared")}
    assert [g.raw_output for g in outputs["shared"]] == [g.raw_output for g in outputs["static"]]


def test_shared_prefix_needs_sdpa_attention(tiny_models):
    from harness.backends import hf_shared_prefix

    b = backend(tiny_models["causal"])
    assert hf_shared_prefix.supported(b.model)
    b.model.config._attn_implementation = "eager"
    assert not hf_shared_prefix.supported(b.model)
    with pytest.raises(HarnessError, match=r"^model m: kv_cache: shared needs a checked architecture \(llama\) on sdpa attention on the CPU; use kv_cache: auto or static$"):
        _with_config(b, kv_cache="shared")._kv_cache(b.model)
    assert _with_config(b, kv_cache="auto")._kv_cache(b.model) == "static"
    b.model.config._attn_implementation = "sdpa"
    b.model.config.model_type = "gemma2"  # soft-capping: not checked, so the per-row static cache
    assert not hf_shared_prefix.supported(b.model) and _with_config(b, kv_cache="auto")._kv_cache(b.model) == "static"


def test_shared_prefix_attention_refuses_what_it_does_not_compute(tiny_models):
    import torch

    from harness.backends import hf_shared_prefix

    b = backend(tiny_models["causal"])
    (_, _, cache), _ = two_articles_inputs(b, "shared")
    layer = b.model.model.layers[0].self_attn
    query, key = torch.zeros(5, 4, 1, 8), torch.zeros(5, 2, 3, 8)
    with hf_shared_prefix.attention(b.model, cache), pytest.raises(RuntimeError, match="kv_cache: shared cannot compute this attention \\(softcap\\); set kv_cache: static"):
        hf_shared_prefix._attention(layer, query, key, key, torch.ones(5, 1, 1, 9, dtype=torch.bool), softcap=30.0)


def _with_config(b: HFBackend, **changes) -> HFBackend:
    b.config = b.config.model_copy(update=changes)
    return b


def test_efficiency_is_measured(tiny_models):
    b = backend(tiny_models["causal"])
    outputs = b.generate(article_questions(3), ignore)
    eff = b.efficiency.as_dict()
    assert eff["prefill_tokens"] > 0 and eff["decode_tokens"] > 0
    assert eff["prefill_tokens_per_second"] > 0 and eff["decode_tokens_per_second"] > 0
    assert eff["peak_memory_mb"] > 0
    # one batch of 3: every row ran as long as the longest
    counts = [g.new_tokens for g in outputs]
    assert eff["decode_tokens"] == sum(counts) and eff["decode_row_steps"] == 3 * max(counts)
    assert eff["batch_occupancy"] == round(sum(counts) / (3 * max(counts)), 3)


# -- few-shot examples (harness/fewshot.py) ----------------------------------------------------

EXAMPLES = (("Article: Lisbon is big.\nQuestion: Which city?\nAnswer:", "Lisbon"), ("Article: It rained in May.\nQuestion: When?\nAnswer:", "May"))


def with_examples(request: Request, as_turns=None, examples=EXAMPLES) -> Request:
    from dataclasses import replace

    return replace(request, examples=examples, examples_as_turns=as_turns)


def test_examples_render_as_prior_chat_turns_or_inline(tiny_models):
    question = with_examples(Request("a", "qa", "q", "Article: Seoul.\nQuestion: Where?\nAnswer:", 4))
    u1, a1, u2, a2 = EXAMPLES[0] + EXAMPLES[1]
    chat = backend(tiny_models["causal"])
    turns = f"<|user|>{u1}</s><|assistant|>{a1}</s><|user|>{u2}</s><|assistant|>{a2}</s><|user|>{question.prompt}</s><|assistant|>"
    assert chat.render(question) == turns  # auto: a chat template, so turns
    assert chat.render(with_examples(question, as_turns=True)) == turns
    inline = f"{u1} {a1}\n\n{u2} {a2}\n\n{question.prompt}"
    assert chat.render(with_examples(question, as_turns=False)) == f"<|user|>{inline}</s><|assistant|>"
    assert backend(tiny_models["causal"], system_prompt="Be brief.").render(question) == f"<|system|>Be brief.</s>{turns}"
    plain = backend(tiny_models["plain"])
    assert plain.render(question) == inline  # auto: no chat template, so inline
    assert plain.render(with_examples(question, as_turns=False)) == inline
    assert backend(tiny_models["causal"], chat_template=False).render(question) == inline
    assert backend(tiny_models["plain"], system_prompt="Be brief.").render(question) == f"Be brief.\n\n{inline}"
    # a user text that ends in white space gets no space before its answer
    assert plain.render(with_examples(question, examples=(("Q: Which city?\n", "Lisbon"),))) == f"Q: Which city?\nLisbon\n\n{question.prompt}"
    with pytest.raises(HarnessError, match=r"^model m: the qa task's fewshot.as_turns is true but the model uses no chat template; set fewshot.as_turns to auto or false"):
        plain.render(with_examples(question, as_turns=True))
    # without examples, nothing changes
    assert plain.render(with_examples(question, examples=())) == question.prompt


@pytest.mark.parametrize("model, as_turns", [("causal", None), ("causal", False), ("plain", None), ("sliding", None)])
def test_prefix_reuse_with_examples_gives_the_same_greedy_outputs(tiny_models, model, as_turns):
    """The examples are the same for every question of an article, so they join the shared prefix."""
    reqs = [with_examples(r, as_turns) for r in article_questions()]
    plain = backend(tiny_models[model], prefix_reuse=False, batch_size=5).generate(reqs, ignore)
    reused_backend = backend(tiny_models[model], prefix_reuse=True, batch_size=5)
    reused = reused_backend.generate(reqs, ignore)
    assert [g.raw_output for g in reused] == [g.raw_output for g in plain]
    assert [g.new_tokens for g in reused] == [g.new_tokens for g in plain]
    assert [g.rendered_prompt for g in reused] == [g.rendered_prompt for g in plain]
    assert all("Lisbon" in g.rendered_prompt for g in reused)
    # prefilled once: the prefix the questions share holds both examples, and the prompt tokens
    # counted are that prefix once plus each question's own suffix
    from harness.backends.hf_prefix import common_prefix_length

    rendered = [reused_backend._encode(reused_backend.render(r)) for r in reqs]
    prefix = common_prefix_length(rendered)
    shared_text = reused_backend.tokenizer.decode(rendered[0][:prefix])
    assert all(user in shared_text and answer in shared_text for user, answer in EXAMPLES)
    assert reused_backend.efficiency.prefill_tokens == prefix + sum(len(ids) - prefix for ids in rendered)
