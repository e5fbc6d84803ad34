"""Few-shot QA (tasks.qa.fewshot): which examples each article gets, the pool file, the config's
one-line errors, the requests and the generation cache's key, and a run end to end on the tiny
models. Rendering and prefix reuse on the hf backend are in tests/backends/test_hf.py.

The chosen examples are worked out by hand: an example's rank is sha256("<seed>\\n<article
id>\\n<example id>"), computed for every case below with coreutils, e.g.
`printf '0\\na1\\ne2' | sha256sum` (09f4cfd9...), and sorted by eye."""

import json
from pathlib import Path

import pytest
import yaml

from harness.cache import request_key
from harness.errors import HarnessError
from harness.fewshot import Example, choose, examples_by_article, load_pool
from harness.prompts import build_requests
from harness.records import Article, Question, Reference, Request
from harness.task_config import DEFAULT_QA, FewShot, SummaryTask

from conftest import ROOT
from helpers import EVAL_SET, cli, hf, only_run_dir, read_report, write_run

SHIPPED_POOL = ROOT / "references" / "fewshot" / "squad_examples.yaml"

POOL = {
    "source": "written for these tests",
    "examples": [
        {"id": f"e{i}", "context": f"Example text {i} names the city Lisbon{i}.", "question": f"Which city does text {i} name?", "answer": f"Lisbon{i}"}
        for i in range(1, 6)
    ],
}


def article(id_: str, text: str, questions: int) -> Article:
    return Article(id_, text, (), tuple(Question(f"q{i}", f"Question {i} about {id_}?", (f"answer {id_} {i}",)) for i in range(1, questions + 1)))


ARTICLES = [article("a1", "Text of a1.", 2), article("a2", "Text of a2.", 1), article("a3", "Text of a3.", 2)]
POOL_EXAMPLES = tuple(Example(e["id"], e["context"], e["question"], e["answer"]) for e in POOL["examples"])


def ids(examples) -> list[str]:
    return [e.id for e in examples]


# -- which examples --------------------------------------------------------------------------


def test_the_n_examples_with_the_smallest_hash_in_that_order():
    # seed 0, a1: e2 09f4.., e4 3996.., e5 43ff.., e1 9ead.., e3 c435..
    assert ids(choose(ARTICLES[0], POOL_EXAMPLES, 3, seed=0)) == ["e2", "e4", "e5"]
    assert ids(choose(ARTICLES[0], POOL_EXAMPLES, 1, seed=0)) == ["e2"]
    # seed 7, a1: e2 3987.., e5 5dd2.., e3 6348.., e1 78b6.., e4 a181..
    assert ids(choose(ARTICLES[0], POOL_EXAMPLES, 3, seed=7)) == ["e2", "e5", "e3"]
    # seed 0, a2: e1 4f44.., e2 6b9f.., e4 9715.., e3 ae84.., e5 bbfa..
    assert ids(choose(ARTICLES[1], POOL_EXAMPLES, 3, seed=0)) == ["e1", "e2", "e4"]
    # the order of the pool does not matter, and nothing changes between calls
    assert ids(choose(ARTICLES[0], POOL_EXAMPLES[::-1], 3, seed=0)) == ["e2", "e4", "e5"]
    assert choose(ARTICLES[0], POOL_EXAMPLES, 0, seed=0) == ()


def test_eval_set_examples_never_come_from_the_article_itself():
    qa = DEFAULT_QA.model_copy(update={"fewshot": FewShot(n=2, source="eval_set")})
    chosen = examples_by_article(ARTICLES, qa)
    # a1's own a1/q2 (08de..) and a1/q1 (5b81..) rank first but are left out: a2/q1 9081.., a3/q2 a394.., a3/q1 f21c..
    # a2: a1/q1 0b5d.., a3/q2 1578.. (own a2/q1 397c.. left out); a3: a1/q1 058e.., a1/q2 4fb2..
    question = {"a1/q1": "Question 1 about a1?", "a1/q2": "Question 2 about a1?", "a2/q1": "Question 1 about a2?", "a3/q2": "Question 2 about a3?"}
    expected = {"a1": ["a2/q1", "a3/q2"], "a2": ["a1/q1", "a3/q2"], "a3": ["a1/q1", "a1/q2"]}
    for art, picked in expected.items():
        pairs = []
        for example in picked:
            other, q = example.split("/")
            pairs.append((DEFAULT_QA.prompt.format(article=f"Text of {other}.", question=question[example]), f"answer {other} {q[1:]}"))
        assert chosen[art] == tuple(pairs), art


def test_a_pool_example_cut_from_the_article_is_left_out():
    text = "Seoul and Tokyo will meet in Singapore.  The talks resume\nin June. Japan agreed."
    own = Article("a1", text, (), (Question("q1", "When?", ("June",)),))
    pool = (
        Example("e2", "The talks resume in June.", "When do the talks resume?", "June"),  # a sentence of the article (white space aside)
        Example("e4", f"Before. {text} After.", "Where?", "Singapore"),  # the whole article and more
        *[e for e in POOL_EXAMPLES if e.id not in ("e2", "e4")],
    )
    assert ids(choose(own, pool, 3, seed=0)) == ["e5", "e1", "e3"]  # without e2 and e4, which rank first (see above)
    assert ids(choose(ARTICLES[0], pool, 3, seed=0)) == ["e2", "e4", "e5"]  # another article keeps them


def test_more_examples_than_there_are_is_an_error_not_fewer_examples():
    assert ids(choose(ARTICLES[0], POOL_EXAMPLES, 5, seed=0)) == ["e2", "e4", "e5", "e1", "e3"]
    with pytest.raises(HarnessError, match=r"^n is 6, but for article 'a1' the pool has only 5 example\(s\) from other texts .*; lower n or add examples to the pool$"):
        choose(ARTICLES[0], POOL_EXAMPLES, 6, seed=0)
    qa = DEFAULT_QA.model_copy(update={"fewshot": FewShot(n=4, source="eval_set")})
    with pytest.raises(HarnessError, match=r"for article 'a1' the eval set's other articles have only 3 example\(s\).*add articles with questions to the eval set$"):
        examples_by_article(ARTICLES, qa)


# -- requests and the cache key ---------------------------------------------------------------


def test_every_question_of_an_article_gets_the_same_examples_and_summaries_none(tmp_path):
    (tmp_path / "pool.yaml").write_text(yaml.safe_dump(POOL))
    qa = DEFAULT_QA.model_copy(update={"fewshot": FewShot(n=2, pool=tmp_path / "pool.yaml", as_turns=False)})
    summary = SummaryTask(prompt="Summarize: {article}", max_new_tokens=5)
    arts = [*ARTICLES, Article("s", "Text of s.", (Reference("r", "Ref."),), ())]
    requests = build_requests(arts, {"qa": qa, "summary": summary})
    assert [(r.task, r.examples) for r in requests if r.article_id == "s"] == [("summary", ())]
    by_article: dict[str, set] = {}
    for r in requests:
        if r.task == "qa":
            assert r.examples_as_turns is False
            by_article.setdefault(r.article_id, set()).add(r.examples)
    assert {a: len(e) for a, e in by_article.items()} == {"a1": 1, "a2": 1, "a3": 1}
    # a1, seed 0: e2 then e4 (see above)
    e2, e4 = POOL["examples"][1], POOL["examples"][3]
    assert by_article["a1"] == {((DEFAULT_QA.prompt.format(article=e2["context"], question=e2["question"]), "Lisbon2"),
                                 (DEFAULT_QA.prompt.format(article=e4["context"], question=e4["question"]), "Lisbon4"))}
    without = build_requests(ARTICLES, {"qa": DEFAULT_QA})
    assert all(r.examples == () and r.examples_as_turns is None for r in without)


def test_no_examples_keep_the_cache_key_they_always_had_and_examples_change_it():
    plain = Request("a1", "qa", "q1", "Question: Where?\nAnswer:", 8, ("\nQuestion:",))
    identity = {"backend": "echo", "word": "x"}
    # computed with request_key as it was before few-shot existed (commit 1d7397b: git show 1d7397b:harness/cache.py)
    assert request_key(identity, plain) == "3ef81e1ac16e64bfdc2bc7fb28e0e48979335aaa877556a6f9c57bb6708e5bea"
    from dataclasses import replace

    one = replace(plain, examples=(("Question: Who?\nAnswer:", "Choi"),))
    keys = {
        request_key(identity, plain),
        request_key(identity, one),
        request_key(identity, replace(one, examples=(("Question: Who?\nAnswer:", "Kim"),))),
        request_key(identity, replace(one, examples=one.examples * 2)),
        request_key(identity, replace(one, examples_as_turns=True)),
        request_key(identity, replace(one, examples_as_turns=False)),
    }
    assert len(keys) == 6


# -- the pool file -----------------------------------------------------------------------------


def test_the_shipped_pool_loads_and_every_answer_is_a_span_of_its_context():
    pool = load_pool(SHIPPED_POOL)
    assert 8 <= len(pool) <= 12
    for example in pool:
        assert example.answer in example.context
        assert len(example.context.split()) <= 60 and len(example.answer.split()) <= 8  # short texts, short answers
    text = SHIPPED_POOL.read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in text and "SQuAD" in text


@pytest.mark.parametrize(
    "pool, expected",
    [
        ({"examples": []}, "examples: needs at least 1 item(s), got 0"),
        ({"examples": [{"id": "x", "context": "Paris is big.", "question": "What?", "answer": "Lyon"}]},
         "examples[0]: answer 'Lyon' is not in the context verbatim; copy the answer's words from the context"),
        ({"examples": [{"id": "x", "context": "Paris.", "question": "What?"}]}, "examples[0].answer: required key is missing"),
        ({"examples": [{"id": "x", "context": "Paris.", "question": "What?", "answer": 1998}]}, "examples[0].answer: must be text, got the number 1998"),
        ({"examples": [{"id": "x", "context": "Paris.", "question": "Q?", "answer": "Paris"}] * 2}, "duplicate example id(s) ['x']"),
        ({"examples": [{"id": "x", "context": "Paris.", "question": "Q?", "answer": "Paris", "colour": 1}]}, "examples[0].colour: unknown key"),
        (["x"], "a few-shot pool must be a mapping with an `examples:` list"),
    ],
)
def test_a_bad_pool_is_one_line_naming_its_key(tmp_path, pool, expected):
    path = tmp_path / "pool.yaml"
    path.write_text(yaml.safe_dump(pool))
    with pytest.raises(HarnessError) as caught:
        load_pool(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value) and "\n" not in str(caught.value)


# -- the config, through the CLI --------------------------------------------------------------


def fewshot_run(tmp_path, tiny, fewshot: dict, model_qa: bool = False, pool=POOL) -> Path:
    """A config in tmp_path/configs/ whose pool sits in tmp_path/pools/ (a path relative to the config)."""
    (tmp_path / "pools").mkdir(exist_ok=True)
    if pool is not None:
        (tmp_path / "pools" / "pool.yaml").write_text(yaml.safe_dump(pool))
    (tmp_path / "configs").mkdir(exist_ok=True)
    qa = {"prompt": "Article: {article}\nQuestion: {question}\nAnswer:", "max_new_tokens": 4, "fewshot": fewshot}
    model = hf("tiny", tiny, **({"tasks": {"qa": qa}} if model_qa else {}))
    config = write_run(tmp_path / "configs", [model], **({} if model_qa else {"tasks": {"qa": qa}}))
    return config


@pytest.mark.parametrize(
    "fewshot, expected",
    [
        ({"n": -1, "pool": "../pools/pool.yaml"}, "tasks.qa.fewshot.n: must be a whole number from 0 to 64; got -1"),
        ({"n": 65, "pool": "../pools/pool.yaml"}, "tasks.qa.fewshot.n: must be a whole number from 0 to 64; got 65"),
        ({"n": 3}, "tasks.qa.fewshot: n > 0 with source pool needs pool: a YAML file of examples (relative to the config file)"),
        ({"n": 1, "source": "eval_set", "pool": "../pools/pool.yaml"}, "tasks.qa.fewshot: pool goes with source: pool"),
        ({"n": 1, "source": "wikipedia"}, "tasks.qa.fewshot.source: Input should be 'pool' or 'eval_set'"),
        ({"n": 1, "pool": "../pools/pool.yaml", "as_turns": "maybe"}, "tasks.qa.fewshot.as_turns: must be auto or true or false"),
        ({"n": 1, "pool": "../pools/pool.yaml", "shots": 2}, "tasks.qa.fewshot.shots: unknown key; allowed keys here: n, source, pool, seed, as_turns"),
        ({"n": 1, "pool": "pool.yaml"}, "tasks.qa.fewshot.pool: few-shot pool file not found: {tmp}/configs/pool.yaml (check the path; "),
        ({"n": 6, "pool": "../pools/pool.yaml"}, "tasks.qa.fewshot.n: 6 examples per question, but the pool {tmp}/pools/pool.yaml has 5; lower n or add examples"),
        ({"n": 2, "source": "eval_set"}, "tasks.qa.fewshot: n is 2, but for article 'a1' the eval set's other articles have only 1 example(s)"),
    ],
)
def test_bad_fewshot_settings_stop_the_run_with_one_line(tmp_path, tiny_models, fewshot, expected):
    config = fewshot_run(tmp_path, tiny_models["causal"], fewshot)
    result = cli("--config", config)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"Error: {config}: ") and result.stderr.count("\n") == 1, result.stderr
    assert expected.format(tmp=tmp_path) in result.stderr
    assert not (tmp_path / "configs" / "runs").exists()


def test_a_bad_pool_file_names_the_config_key_and_the_pool_key(tmp_path, tiny_models):
    bad = {"examples": [{"id": "x", "context": "Paris is big.", "question": "What?", "answer": "Lyon"}]}
    config = fewshot_run(tmp_path, tiny_models["causal"], {"n": 1, "pool": "../pools/pool.yaml"}, model_qa=True, pool=bad)
    result = cli("--config", config)
    assert result.returncode == 2
    assert result.stderr == (f"Error: {config}: models[0].tasks.qa.fewshot.pool: {tmp_path}/pools/pool.yaml: examples[0]: "
                             "answer 'Lyon' is not in the context verbatim; copy the answer's words from the context\n")


def test_a_run_shows_the_examples_caches_them_and_reruns_from_the_cache(tmp_path, tiny_models):
    config = fewshot_run(tmp_path, tiny_models["causal"], {"n": 2, "pool": "../pools/pool.yaml"})
    first = cli("--config", config)
    assert first.returncode == 0, first.stderr
    report, predictions = read_report(only_run_dir(tmp_path / "configs" / "runs"))
    assert report["config"]["tasks"]["qa"]["fewshot"] == {"n": 2, "source": "pool", "pool": f"{tmp_path}/pools/pool.yaml", "seed": 0, "as_turns": "auto"}
    qa = {(p["article_id"], p["item_id"]): p for p in predictions if p["task"] == "qa"}
    e1, e2, e4 = (POOL["examples"][i] for i in (0, 1, 3))
    turn = "<|user|>Article: {c}\nQuestion: {q}\nAnswer:</s><|assistant|>{a}</s>"
    # a1 gets e2, e4 and a2 gets e1, e2 (the hashes above), as prior chat turns before the question
    a1_examples = turn.format(c=e2["context"], q=e2["question"], a="Lisbon2") + turn.format(c=e4["context"], q=e4["question"], a="Lisbon4")
    a2_examples = turn.format(c=e1["context"], q=e1["question"], a="Lisbon1") + turn.format(c=e2["context"], q=e2["question"], a="Lisbon2")
    text = {a["id"]: a["text"] for a in EVAL_SET["articles"]}
    question = {(a["id"], q["id"]): q["question"] for a in EVAL_SET["articles"] for q in a["questions"]}
    for (art, item), line in qa.items():
        examples = a1_examples if art == "a1" else a2_examples
        assert line["rendered_prompt"] == f"{examples}<|user|>{line['prompt']}</s><|assistant|>"
        assert line["prompt"] == f"Article: {text[art]}\nQuestion: {question[(art, item)]}\nAnswer:"  # the question's own prompt alone
    summaries = [p for p in predictions if p["task"] == "summary"]
    assert summaries and all("Lisbon" not in p["rendered_prompt"] for p in summaries)
    again = cli("--config", config, "--output-dir", tmp_path / "again")
    assert again.returncode == 0
    report2, predictions2 = read_report(only_run_dir(tmp_path / "again"))
    assert report2["models"][0]["timing"]["cached_items"] == len(predictions2)
    assert [p["raw_output"] for p in predictions2] == [p["raw_output"] for p in predictions]
    json.dumps(report2)  # sanity: the report is plain JSON
