"""Shared fixtures: tiny random models built once per session and saved like real ones.

They go through the real loading code (Auto classes, chat templates, generate); they are random,
so their outputs are nonsense, but deterministic under greedy decoding.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach the hub
# The tiny models gain nothing from a second thread, and on a busy machine torch's spinning
# OpenMP threads made CLI runs up to 10x slower; the CLI subprocesses inherit this too.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# A shell starts a background job (`make test &`, `nohup ... &` without job control) with SIGINT
# ignored, and every process started from it inherits that: the Ctrl-C tests (in this process and
# in the CLI processes they start) would then press a key nobody listens to. Python's own handler
# back, and the children start with the default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config):
    """The tests (and the CLI runs they start) use a private cache, never the user's."""
    import tempfile

    if "HARNESS_TEST_KEEP_CACHE" not in os.environ:
        os.environ["HARNESS_CACHE_DIR"] = tempfile.mkdtemp(prefix="harness-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "references" / "articles" / "korea-us-japan-talks.txt"

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _tokenizer(vocab_size: int = 400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<s>", "</s>", "<unk>", "<|user|>", "<|assistant|>", "<|system|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    tok.train_from_iterator(lines * 3, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )


def build_causal(folder: Path, chat_template: bool = True, vocab_size: int | None = None, sliding_window: int | None = None,
                 max_positions: int = 2048, heads: int = 2, key_value_heads: int = 2) -> Path:
    """A 2-layer Llama. `vocab_size` smaller than the tokenizer's makes a model that loads but
    fails in generate (an embedding index out of range): a realistic mid-run failure. Fewer
    `key_value_heads` than `heads`: grouped-query attention, as SmolLM2 has (9 and 3)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

    tokenizer = _tokenizer()
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    # Mistral is Llama with sliding-window attention
    config_class, model_class = (MistralConfig, MistralForCausalLM) if sliding_window else (LlamaConfig, LlamaForCausalLM)
    extra = {"sliding_window": sliding_window} if sliding_window else {}
    config = config_class(
        **extra,
        vocab_size=vocab_size or len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=key_value_heads,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model_class(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_t5(folder: Path) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_ff=64,
        d_kv=16,
        num_layers=2,
        num_heads=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        # the default init is so small that a random T5 only ever predicts <pad>
        initializer_factor=20.0,
    )
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """{'causal': with a chat template, 'plain': without one, 'gqa': grouped-query attention, 't5': seq2seq,
    'breaks-in-generate', 'sliding', 'sliding-wide'}."""
    root = tmp_path_factory.mktemp("tiny-models")
    return {
        "causal": build_causal(root / "tiny-llama"),
        "plain": build_causal(root / "tiny-llama-plain", chat_template=False),
        "gqa": build_causal(root / "tiny-llama-gqa", heads=4, key_value_heads=2),
        "t5": build_t5(root / "tiny-t5"),
        "breaks-in-generate": build_causal(root / "tiny-broken", vocab_size=20),
        "sliding": build_causal(root / "tiny-mistral", sliding_window=16),  # shorter than the test prompts
        "sliding-wide": build_causal(root / "tiny-mistral-wide", sliding_window=160),  # longer than most
    }


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A private harness cache per test, so conversions never leak between tests."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(folder))
    return folder
