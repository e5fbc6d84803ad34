"""Linear weights stored transposed on the CPU (harness/backends/cpu_layout.py): same shapes,
ties kept, the same greedy outputs, and a cache key of their own."""

import pytest
import torch

from harness.backends import cpu_layout
from harness.backends.hf import HFBackend
from harness.config import HFModel
from harness.records import Request


def loaded(folder, **extra) -> HFBackend:
    b = HFBackend(HFModel(name="m", backend="hf", source={"path": str(folder)}, **extra), seed=0)
    b.ensure_loaded()
    return b


def linear_weights(model):
    return [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]


def questions(n=4):
    return [Request("a", "qa", f"q{i}", f"Question {i}: where do Seoul and Japan meet{'?' * i}", 8, ()) for i in range(n)]


@pytest.mark.parametrize("model", ["causal", "t5"])
def test_weights_are_stored_transposed_with_their_shapes_and_ties_and_the_same_outputs(tiny_models, model, monkeypatch):
    transposed = loaded(tiny_models[model], batch_size=4)
    assert transposed.identity["layout"] == cpu_layout.LAYOUT == transposed.source_info["layout"]
    weights = linear_weights(transposed.model)
    assert weights and all(w.stride() == (1, w.shape[0]) for w in weights)  # (out, in) viewed over W.T

    monkeypatch.setattr(cpu_layout, "applies", lambda device_type, dtype: False)
    plain = loaded(tiny_models[model], batch_size=4)
    assert "layout" not in plain.identity  # another cache key: the products round differently
    assert all(w.is_contiguous() for w in linear_weights(plain.model))
    assert [w.shape for w in weights] == [w.shape for w in linear_weights(plain.model)]
    assert all(torch.equal(a, b) for a, b in zip(weights, linear_weights(plain.model), strict=True))
    # a tied output layer stays tied to the embedding (T5 ties them)
    for b in (transposed, plain):
        output, embedding = b.model.get_output_embeddings(), b.model.get_input_embeddings()
        assert (output.weight is embedding.weight) == bool(getattr(b.model.config, "tie_word_embeddings", False))
    outputs = [[g.raw_output for g in b.generate(questions(), lambda _: None)] for b in (transposed, plain)]
    assert outputs[0] == outputs[1] and len(set(outputs[0])) > 1


def test_only_float32_on_the_cpu_is_re_stored(tiny_models):
    b = loaded(tiny_models["causal"], dtype="bfloat16")
    assert "layout" not in b.identity
    assert all(w.is_contiguous() for w in linear_weights(b.model))
    assert not cpu_layout.applies("cuda", "float32")


def test_a_tied_weight_is_re_stored_once():
    embedding = torch.nn.Embedding(10, 4)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = embedding.weight
    model = torch.nn.ModuleDict({"embedding": embedding, "head": head})
    before = embedding.weight.detach().clone()
    assert cpu_layout.store_linear_weights_transposed(model) == 1
    assert head.weight is embedding.weight and head.weight.stride() == (1, 10)
    assert torch.equal(embedding(torch.tensor([3, 7])), before[[3, 7]])
