"""Prompts against the context window: counted before generating; refused or truncated, and marked."""

import json

import pytest

from harness.backends.context_window import fit_to_window
from harness.cli import main
from harness.errors import HarnessError
from harness.records import Request

from conftest import ARTICLE, build_causal
from helpers import hf, only_run_dir, read_report, write_run

# --- the pure rule, with words as tokens ----------------------------------------------------------

ARTICLE_WORDS = " ".join(f"w{i}" for i in range(20))


def request(item: str, question: str = "", max_new_tokens: int = 4, task: str = "qa") -> Request:
    prompt = f"Read: {ARTICLE_WORDS} Q: {question}"
    return Request("a", task, item, prompt, max_new_tokens, article=ARTICLE_WORDS)


def fit(requests, window, policy="truncate", causal=True):
    words = lambda text: text.split()  # noqa: E731
    return fit_to_window(requests, model="m", window=window, new_tokens_share_window=causal, policy=policy,
                         count=lambda r: len(words(r.prompt)), article_tokens=lambda text: list(range(len(words(text)))),
                         decode=lambda ids: " ".join(f"w{i}" for i in ids))


def test_prompts_that_fit_are_untouched():
    requests = [request("q1", "where"), request("q2", "when exactly")]
    # 1 + 20 + 1 + 2 = 24 words for q2, plus 4 new tokens = 28
    assert fit(requests, window=28, policy="error") == requests


def test_error_names_every_item_that_does_not_fit_with_its_length():
    requests = [request("q1", "where"), request("q2", "when exactly")]
    with pytest.raises(HarnessError) as caught:
        fit(requests, window=27, policy="error")
    message = str(caught.value)
    assert "model m: 1 prompt(s) do not fit its context window of 27 tokens" in message
    assert "a/qa/q2 (24 tokens)" in message and "q1" not in message and "context_overflow: truncate" in message


def test_truncation_cuts_the_article_end_by_the_same_amount_for_every_question_of_the_article():
    requests = [request("q1", "where"), request("q2", "when exactly")]
    fitted = fit(requests, window=25)  # q2 needs 24 + 4 = 28: 3 article words must go, for both questions
    assert [r.truncated_tokens for r in fitted] == [3, 3]
    assert all("w16" in r.prompt and "w17" not in r.prompt for r in fitted)  # the beginning is kept
    assert [len(r.prompt.split()) + 4 for r in fitted] == [24, 25]


def test_encoder_decoder_windows_hold_the_prompt_alone():
    requests = [request("q1", "where", max_new_tokens=100)]
    assert fit(requests, window=23, policy="error", causal=False) == requests  # 23 words, the new tokens are the decoder's
    with pytest.raises(HarnessError, match="max_new_tokens 100 does not fit its context window of 23"):
        fit(requests, window=23, policy="error", causal=True)


def test_no_known_window_checks_nothing():
    requests = [request("q1", "where", max_new_tokens=10**6)]
    assert fit(requests, window=None, policy="error") == requests


def test_a_prompt_that_cannot_fit_even_without_its_article_is_an_error():
    with pytest.raises(HarnessError, match="even with the whole article cut"):
        fit([request("q1", "where")], window=6)


# --- through the CLI on a real tiny model with 256 positions ---------------------------------------


@pytest.fixture(scope="module")
def short_window_model(tmp_path_factory):
    return build_causal(tmp_path_factory.mktemp("short-window") / "tiny-256", max_positions=256)


def long_eval_set() -> dict:
    text = " ".join(ARTICLE.read_text(encoding="utf-8").split()[:300])  # well over 256 tokens
    return {"articles": [
        {"id": "long", "text": text, "references": [{"id": "r", "text": "Talks resume."}],
         "questions": [{"id": "q1", "question": "Who met?", "answers": ["Seoul"]}, {"id": "q2", "question": "When?", "answers": ["June"]}]},
        {"id": "short", "text": "Seoul and Tokyo met in June.", "references": [{"id": "r", "text": "They met."}],
         "questions": [{"id": "q1", "question": "Who met?", "answers": ["Seoul"]}]},
    ]}


def run(tmp_path, capsys, model: dict, **extra):
    config = write_run(tmp_path, [model, {"name": "lead-1", "backend": "lead", "k": 1}], long_eval_set(), **extra)
    code = main(["--config", str(config), "--output-dir", str(tmp_path / "runs")])
    capsys.readouterr()
    return code, *read_report(only_run_dir(tmp_path / "runs"))


def test_an_overlong_prompt_fails_the_model_by_default_and_names_the_items(tmp_path, capsys, cache_dir, short_window_model):
    code, report, _ = run(tmp_path, capsys, hf("tiny", short_window_model))
    assert code == 1
    tiny, lead = report["models"]
    assert tiny["status"] == "failed" and lead["status"] == "ok"  # the other model still ran
    assert tiny["error"].startswith("context window check failed: HarnessError: model tiny: 3 prompt(s) do not fit its context window of 256 tokens")
    assert "long/summary/long" in tiny["error"] and "long/qa/q1" in tiny["error"] and "short/" not in tiny["error"]


def test_truncate_cuts_the_article_marks_each_item_and_counts_them(tmp_path, capsys, cache_dir, short_window_model):
    from transformers import AutoTokenizer

    code, report, predictions = run(tmp_path, capsys, hf("tiny", short_window_model, context_overflow="truncate"))
    assert code == 0
    tiny = report["models"][0]
    assert tiny["status"] == "ok" and tiny["truncated_items"] == 3 and tiny["source"]["context_window"] == 256
    mine = {(p["article_id"], p["item_id"]): p for p in predictions if p["model"] == "tiny"}
    assert {k for k, p in mine.items() if p["truncated_tokens"]} == {("long", "long"), ("long", "q1"), ("long", "q2")}
    assert mine[("long", "q1")]["truncated_tokens"] == mine[("long", "q2")]["truncated_tokens"]  # one cut per article and task
    tokenizer = AutoTokenizer.from_pretrained(short_window_model)
    max_new = {"summary": 120, "qa": 24}
    for p in mine.values():
        used = len(tokenizer(p["rendered_prompt"], add_special_tokens=False)["input_ids"]) + max_new[p["task"]]
        assert used <= 256, (p["item_id"], used)
    assert mine[("short", "q1")]["truncated_tokens"] == 0
    assert all(p["truncated_tokens"] == 0 for p in predictions if p["model"] == "lead-1")


def test_max_new_tokens_beyond_the_window_is_an_error(tmp_path, capsys, cache_dir, short_window_model):
    model = hf("tiny", short_window_model, context_overflow="truncate", tasks={"qa": {"prompt": "{article} {question}", "max_new_tokens": 300}})
    code, report, _ = run(tmp_path, capsys, model)
    assert code == 1 and "max_new_tokens 300 does not fit its context window of 256 tokens" in report["models"][0]["error"]
    assert json.dumps(report)  # the report is still whole


def test_truncated_items_are_counted_in_report_md_and_report_html(tmp_path, capsys, cache_dir, short_window_model):
    run(tmp_path, capsys, hf("tiny", short_window_model, context_overflow="truncate"))
    run_dir = only_run_dir(tmp_path / "runs")
    assert "Articles cut to fit the context window" in (run_dir / "report.md").read_text()
    assert "tiny: 3 item(s)" in (run_dir / "report.md").read_text()
    html = (run_dir / "report.html").read_text()
    assert 'id="truncated"' in html and "tiny: 3 item(s)" in html
    # rebuilt from the run folder alone, the counts stay
    assert main(["report", str(run_dir)]) == 0
    assert "tiny: 3 item(s)" in (run_dir / "report.md").read_text()
