"""SQuAD-format files as articles with questions, on the real dev files (v1.1 and v2.0)."""

import json

import pytest

from harness.config import Tasks
from harness.errors import HarnessError
from harness.metrics.squad import load_squad_gold
from harness.prompts import build_requests
from harness.sources import SquadSource, load_squad_articles, read_squad

from validation_data import vendored

V11 = vendored("squad/v1.1/dev-v1.1.reconstructed.json")
V20 = vendored("squad/v2.0/dev-v2.0.reconstructed.json")


def _dedup(texts):
    out = []
    for t in (t.strip() for t in texts):
        if t and t not in out:
            out.append(t)
    return out


def test_v11_dev_every_paragraph_an_article_every_question_kept():
    loaded = read_squad(V11)
    articles = loaded.articles
    assert loaded.version == "1.1" and loaded.skipped_unanswerable == 0
    assert len(articles) == 2067
    assert loaded.questions == sum(len(a.questions) for a in articles) == 10570
    assert len({a.id for a in articles}) == 2067
    assert articles[0].id == "1973_oil_crisis-0" and articles[0].title == "1973_oil_crisis"
    # the answers are the gold file's, stripped and deduplicated in order (first = gold)
    gold = load_squad_gold(V11)
    for article in articles:
        assert article.references == () and article.text == article.text.strip()
        for question in article.questions:
            assert list(question.answers) == _dedup(gold.answers[question.id])
            assert len(set(question.answers)) == len(question.answers) >= 1
    first = articles[0].questions[0]
    assert first.question == "When did the 1973 oil crisis begin?"
    assert first.answers == ("October 1973", "October", "1973")  # five answers, three distinct


def test_v11_paragraph_index_counts_within_the_title():
    articles = load_squad_articles(V11)
    data = json.loads(V11.read_text())
    second_title = data["data"][1]["title"]
    count = len(data["data"][0]["paragraphs"])
    assert articles[count - 1].id == f"1973_oil_crisis-{count - 1}"
    assert articles[count].id == f"{second_title}-0"
    assert articles[count].text == data["data"][1]["paragraphs"][0]["context"].strip()


def test_v20_unanswerable_questions_are_skipped_and_counted():
    loaded = read_squad(V20)
    gold = load_squad_gold(V20)
    assert loaded.version == "2.0"
    assert loaded.skipped_unanswerable == len(gold.unanswerable) == 5945
    assert loaded.questions == 11873 - 5945 == 5928
    assert len(loaded.articles) == 1204
    kept = {q.id for a in loaded.articles for q in a.questions}
    assert not kept & gold.unanswerable
    assert all(q.answers for a in loaded.articles for q in a.questions)


def test_limit_keeps_the_first_questions_in_file_order():
    full = load_squad_articles(V11)
    first = [q.id for a in full for q in a.questions][:500]
    cut = load_squad_articles(V11, limit=500)
    assert [q.id for a in cut for q in a.questions] == first
    assert [a.id for a in cut] == [a.id for a in full[: len(cut)]]
    # about five questions per paragraph: the shared-prefix reuse case
    requests = build_requests(cut, {"qa": Tasks().qa})
    assert len(requests) == 500 and len({r.article_id for r in requests}) == len(cut) < 120


def test_articles_feed_the_runner_unchanged():
    articles = load_squad_articles(V20, limit=20)
    requests = build_requests(articles, {"summary": Tasks().summary, "qa": Tasks().qa})
    # no references: no summary requests; one qa request per kept question
    assert {r.task for r in requests} == {"qa"} and len(requests) == 20


def test_repeated_title_continues_the_paragraph_numbering(tmp_path):
    def entry(context, qid):
        return {"title": "Some title/with:odd chars", "paragraphs": [{"context": context, "qas": [
            {"id": qid, "question": "What?", "answers": [{"text": " x "}, {"text": "x"}, {"text": ""}, {"text": "y"}]}]}]}

    path = tmp_path / "two.json"
    path.write_text(json.dumps({"version": "1.1", "data": [entry("First.", "a"), entry("Second.", "b")]}))
    articles = load_squad_articles(path)
    assert [a.id for a in articles] == ["Some_title_with_odd_chars-0", "Some_title_with_odd_chars-1"]
    assert articles[0].questions[0].answers == ("x", "y")
    assert articles[0].title == "Some title/with:odd chars"


def test_squad_source_schema():
    assert SquadSource(path="a.json", limit=5).limit == 5
    with pytest.raises(ValueError):
        SquadSource(path="a.json", limit=0)
    with pytest.raises(ValueError):
        SquadSource(path="a.json", unknown=1)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "SQuAD file not found"),
        ("", "the SQuAD file is empty"),
        ("{", "invalid JSON"),
        (json.dumps([1, 2]), "(top level): not a SQuAD file"),
        (json.dumps({"data": [{"title": "t"}]}), "data[0]: not a SQuAD file: each article needs a `paragraphs` list"),
        (json.dumps({"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "q", "question": "?", "answers": []}]}]}]}),
         "does not allow"),
        (json.dumps({"data": [{"title": "t", "paragraphs": [{"context": " ", "qas": []}]}]}), "non-empty string `context`"),
        (json.dumps({"version": "v2.0", "data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [
            {"id": "q", "question": "?", "answers": [], "is_impossible": True}]}]}]}), "no answerable questions"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "squad.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HarnessError) as info:
        load_squad_articles(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_a_lone_surrogate_in_a_squad_file_is_refused_when_it_loads(tmp_path, capsys):
    from harness.cli import main

    data = {"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "Seoul hosts the talks.", "qas": [
        {"id": "q1", "question": "Who hosts?", "answers": [{"text": "Seoul"}]},
        {"id": "q2", "question": "Who \ud800?", "answers": [{"text": "Seoul"}]}]}]}]}
    (tmp_path / "squad.json").write_text(json.dumps(data))  # ensure_ascii: the file holds the \ud800 escape
    (tmp_path / "config.yaml").write_text("squad: {path: squad.json}\nmodels: [{name: lead-1, backend: lead, k: 1}]\n")
    code = main(["--config", str(tmp_path / "config.yaml"), "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "runs").exists()
    assert err.startswith("Error: ") and "questions.q2.question: character 5 is a lone surrogate (U+D800)" in err
    assert len(err.strip().splitlines()) == 1
