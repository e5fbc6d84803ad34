"""The transformers backend on tiny random models, through the real loading code."""

import pytest

from harness.backends.hf import HFBackend, _cut
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


@pytest.mark.parametrize("model, batch_size", [("causal", 1), ("causal", 2), ("causal", 5), ("sliding", 5)])
def test_prefix_reuse_gives_the_same_greedy_outputs(tiny_models, model, batch_size):
    reqs = article_questions()
    plain = backend(tiny_models[model], prefix_reuse=False, batch_size=batch_size).generate(reqs, ignore)
    reused_backend = backend(tiny_models[model], prefix_reuse=True, batch_size=batch_size)
    assert reused_backend.sliding_window == (model == "sliding")
    reused = reused_backend.generate(reqs, ignore)
    assert [g.raw_output for g in reused] == [g.raw_output for g in plain]
    assert [g.new_tokens for g in reused] == [g.new_tokens for g in plain]
    # the shared prefix was prefilled once: far fewer prompt tokens than five full prompts
    full = sum(len(reused_backend._encode(reused_backend.render(r))) for r in reqs)
    assert reused_backend.efficiency.prefill_tokens < full * 0.6


def test_efficiency_is_measured(tiny_models):
    b = backend(tiny_models["causal"])
    b.generate(article_questions(3), ignore)
    eff = b.efficiency.as_dict()
    assert eff["prefill_tokens"] > 0 and eff["decode_tokens"] > 0
    assert eff["prefill_tokens_per_second"] > 0 and eff["decode_tokens_per_second"] > 0
    assert eff["peak_memory_mb"] > 0
