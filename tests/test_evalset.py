import pytest
import yaml

from conftest import ROOT
from harness.errors import HarnessError
from harness.evalset import load_eval_set
from harness.metrics.qa import normalize_answer

SHIPPED = ROOT / "references" / "korea.yaml"


def test_shipped_set_ids_evidence_and_answers():
    articles = load_eval_set(SHIPPED)
    assert len({a.id for a in articles}) == len(articles)
    for article in articles:
        assert len({r.id for r in article.references}) == len(article.references)
        assert len({q.id for q in article.questions}) == len(article.questions)
        for question in article.questions:
            assert question.evidence and question.evidence in article.text, question.id
            assert any(normalize_answer(a) in normalize_answer(question.evidence) for a in question.answers), question.id
            assert 1 <= len(question.answers[0].split()) <= 6, question.id


def test_shipped_set_meets_the_spec():
    (article,) = load_eval_set(SHIPPED)
    words = {r.id: len(r.text.split()) for r in article.references}
    assert words["headline"] <= 30
    assert 50 <= words["three-sentences"] <= 80
    assert 100 <= words["full"] <= 150
    assert len(article.questions) >= 12
    # the page chrome is gone, the headline and byline are kept
    for chrome in ("Back To Top", "MOST POPULAR", "LATEST NEWS", "subscribe", "소아쌤", "Ministry of National Defense"):
        assert chrome not in article.text
    assert article.text.startswith("S. Korea, US seek talks with Japan amid new NK policy")
    assert article.text.endswith("By Choi Si-young (siyoungchoi@heraldcorp.com)")


def test_several_articles_inline_text_and_text_file(tmp_path):
    (tmp_path / "b.txt").write_text("Body of b.\n")
    data = {
        "articles": [
            {"id": "a", "text": "Body of a.", "questions": [{"id": "q", "question": "?", "answers": "a"}]},
            {"id": "b", "text_file": "b.txt", "references": [{"id": "r", "text": "b"}]},
        ]
    }
    (tmp_path / "set.yaml").write_text(yaml.safe_dump(data))
    a, b = load_eval_set(tmp_path / "set.yaml")
    assert (a.text, b.text) == ("Body of a.", "Body of b.")
    assert a.questions[0].answers == ("a",)


def _article(**changes):
    article = {"id": "a", "text": "Seoul.", "references": [{"id": "r", "text": "Seoul"}],
               "questions": [{"id": "q", "question": "Where?", "answers": ["Seoul"], "evidence": "Seoul."}]}
    article.update(changes)
    return article


@pytest.mark.parametrize(
    "articles, expected",
    [
        ([_article(), _article()], "duplicate article id(s) ['a']"),
        ([_article(text="   ")], "articles[0].text: the article text is empty"),
        ([_article(questions=[{"id": "q", "question": "Where?", "answers": []}])], "articles[0].questions[0].answers: a question needs at least one answer"),
        ([_article(questions=[{"id": "q", "question": "Where?"}])], "articles[0].questions[0].answers: required key is missing"),
        ([_article(references=[{"id": "r", "text": "x"}, {"id": "r", "text": "y"}])], "duplicate reference id(s) ['r']"),
        ([_article(text_file="missing.txt", text=None)], "articles[0].text_file: file not found"),
        ([_article(text_file="x.txt")], "set exactly one of text or text_file"),
        ([_article(questions=[{"id": "q", "question": "?", "answers": ["x"], "evidence": "Tokyo."}])], "questions[0].evidence: not found verbatim"),
        ([_article(colour="red")], "articles[0].colour: unknown key; allowed keys here: id, title, source, text, text_file, references, questions"),
        ([], "articles: needs at least 1 item(s), got 0"),
    ],
)
def test_bad_eval_sets(tmp_path, articles, expected):
    for article in articles:
        if article.get("text") is None:
            article.pop("text", None)
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump({"articles": articles}))
    with pytest.raises(HarnessError) as info:
        load_eval_set(path)
    assert str(info.value).startswith(str(path)) and expected in str(info.value), str(info.value)
