import pytest
import yaml

from harness.errors import HarnessError
from harness.evalset import describe_eval_set, load_eval_set, same_eval_set
from harness.metrics.qa import normalize_answer
from harness.provenance import file_digest
from harness.sources import articles_sha256

from conftest import ROOT

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
            {"id": "a", "text": "Body of a.", "questions": [{"id": "q", "question": "?", "answers": "x"}]},
            {"id": "b", "text_file": "b.txt", "references": [{"id": "r", "text": "b"}]},
        ]
    }
    (tmp_path / "set.yaml").write_text(yaml.safe_dump(data))
    a, b = load_eval_set(tmp_path / "set.yaml")
    assert (a.text, b.text) == ("Body of a.", "Body of b.")
    assert a.questions[0].answers == ("x",)  # a lone answer is a list of one ("a" itself normalises to nothing)


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


def _question_yaml(tmp_path, answers: str, question: str = '"Where?"', reference: str = '"Seoul"', text: str = '"Seoul."'):
    """An eval set written by hand: YAML's own readings of unquoted values are the point."""
    path = tmp_path / "set.yaml"
    path.write_text(
        f"articles:\n  - id: a\n    text: {text}\n    references: [{{id: r, text: {reference}}}]\n"
        f"    questions:\n      - {{id: q, question: {question}, answers: {answers}}}\n",
        encoding="utf-8",
    )
    return path


QUOTE = "quote the value to keep it as written"


@pytest.mark.parametrize(
    "changes, expected",
    [
        # YAML makes these something other than text; they were silently turned into "True", "['x']", "a"
        ({"answers": "[yes]"}, "questions[0].answers[0]: must be text, got a boolean (true: YAML reads unquoted yes"),
        ({"answers": "[Seoul, no]"}, "questions[0].answers[1]: must be text, got a boolean (false"),
        ({"answers": "yes"}, "questions[0].answers[0]: must be text, got a boolean"),
        ({"answers": "[[x]]"}, "questions[0].answers[0]: must be text, got a list"),
        ({"answers": "{a: 1}"}, "questions[0].answers[0]: must be text, got a mapping"),
        ({"answers": "[2019]"}, 'questions[0].answers[0]: must be text, got the number 2019; quote the value to keep it as written, e.g. "2019"'),
        ({"answers": "[Seoul, ~]"}, "questions[0].answers[1]: must be text, got nothing (an empty value, null or ~)"),
        ({"question": "12"}, "questions[0].question: must be text, got the number 12"),
        ({"reference": "on"}, "references[0].text: must be text, got a boolean"),
        ({"text": "1.5"}, "articles[0].text: must be text, got the number 1.5"),
        # a gold answer SQuAD normalisation empties would give an empty prediction EM 1
        ({"answers": "[Seoul, the]"}, "questions[0].answers: answer 2 'the' is empty under SQuAD normalisation"),
        ({"answers": '["..."]'}, "questions[0].answers: answer 1 '...' is empty under SQuAD normalisation"),
        ({"answers": '["A."]'}, "answer 1 'A.' is empty under SQuAD normalisation"),
        ({"answers": '[""]'}, "questions[0].answers: an answer is empty"),
        # text that cannot be written out (a lone surrogate, from a YAML escape)
        ({"text": '"Seoul \\ud800."'}, "articles[0].text: character 7 is a lone surrogate (U+D800), which cannot be written as UTF-8"),
        ({"reference": '"Seoul\\udfff"'}, "references[0].text: character 6 is a lone surrogate (U+DFFF)"),
        ({"question": '"Where \\ud800?"'}, "questions[0].question: character 7 is a lone surrogate"),
        ({"answers": '["Seoul", "\\ud800"]'}, "questions[0].answers[1]: character 1 is a lone surrogate"),
        ({"answers": '["\\ud83d\\ude00"]'}, "not a \\uD8xx\\uDCxx pair"),  # YAML does not join a pair
    ],
)
def test_eval_set_text_is_text_as_written(tmp_path, changes, expected):
    path = _question_yaml(tmp_path, **{"answers": "[Seoul]", **changes})
    with pytest.raises(HarnessError) as info:
        load_eval_set(path)
    message = str(info.value)
    assert message.startswith(f"{path}: articles[0]") and expected in message, message
    assert "\n" not in message
    message.encode("utf-8")  # the error itself can be printed
    if "must be text" in message:
        assert QUOTE in message


def test_quoted_values_are_kept_as_written(tmp_path):
    path = _question_yaml(tmp_path, '["yes", "[x]", "2019", "010", "a: 1"]', question='"12"', reference='"on"')
    (article,) = load_eval_set(path)
    assert article.questions[0].answers == ("yes", "[x]", "2019", "010", "a: 1")
    assert (article.questions[0].question, article.references[0].text) == ("12", "on")


def test_text_file_that_is_not_writable_text(tmp_path):
    (tmp_path / "a.txt").write_bytes("Seoul ".encode() + b"\xed\xa0\x80.")  # a surrogate encoded as if UTF-8
    article = _article(text_file="a.txt")
    del article["text"]
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump({"articles": [article]}))
    with pytest.raises(HarnessError) as info:
        load_eval_set(path)
    message = str(info.value)
    assert message.startswith(f"{path}: articles[0].text_file: {tmp_path / 'a.txt'} is not UTF-8 text (byte 7"), message
    assert message.endswith("save it as UTF-8") and "\n" not in message


# --- identity: the content, not the file's bytes ----------------------------------------------

BLOCK = """\
# the shipped layout: block style, comments
articles:
  - id: a          # the article
    title: Talks
    text: "Seoul hosts the talks."
    references:
      - id: r
        text: Seoul hosts talks.
    questions:
      - id: q
        question: Who hosts?
        answers:
          - Seoul
          - the capital
"""

FLOW = """\
{articles: [{questions: [{answers: ['Seoul', "the capital"], question: 'Who hosts?', id: q}],
  references: [{text: 'Seoul hosts talks.', id: r}], text: 'Seoul hosts the talks.', title: Talks, id: a}]}
"""


def _described(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return describe_eval_set(path, load_eval_set(path))


def test_the_same_eval_set_in_two_yaml_layouts_has_one_sha256(tmp_path):
    block, flow = _described(tmp_path, "block.yaml", BLOCK), _described(tmp_path, "flow.yaml", FLOW)
    assert file_digest(tmp_path / "block.yaml") != file_digest(tmp_path / "flow.yaml")
    assert block["sha256"] == flow["sha256"] == articles_sha256(load_eval_set(tmp_path / "flow.yaml"))
    assert same_eval_set(block, flow)
    changed = _described(tmp_path, "changed.yaml", FLOW.replace('"the capital"', '"the city"'))
    assert changed["sha256"] != flow["sha256"] and not same_eval_set(flow, changed)
    reordered = _described(tmp_path, "reordered.yaml", FLOW.replace("['Seoul', \"the capital\"]", "[\"the capital\", Seoul]"))
    assert reordered["sha256"] != flow["sha256"]  # the first answer is the gold one


def test_the_shipped_eval_set_identity():
    described = describe_eval_set(SHIPPED, load_eval_set(SHIPPED))
    assert described["sha256"] == articles_sha256(load_eval_set(SHIPPED)) != file_digest(SHIPPED)


def test_a_report_with_the_old_file_bytes_sha256_still_matches_while_the_file_is_unchanged(tmp_path):
    new = _described(tmp_path, "set.yaml", BLOCK)
    old = {**new, "sha256": file_digest(tmp_path / "set.yaml")}  # what reports recorded before
    assert same_eval_set(old, new) and same_eval_set(new, old)
    (tmp_path / "set.yaml").write_text(BLOCK + "# edited\n", encoding="utf-8")  # the old bytes are gone
    assert not same_eval_set(old, new)
    (tmp_path / "set.yaml").write_text(BLOCK, encoding="utf-8")
    other = _described(tmp_path, "other.yaml", BLOCK.replace("the capital", "the city"))
    assert not same_eval_set(old, other)  # the old file's content is not the other set's
    assert not same_eval_set({**old, "source": {"squad": {}}}, new)  # dataset and squad sources always hashed content
    assert not same_eval_set({**old, "path": str(tmp_path / "missing.yaml")}, new)


def test_the_committed_baseline_matches_the_shipped_eval_set_across_the_change():
    import json

    baseline = json.loads((ROOT / "baselines" / "default" / "report.json").read_text(encoding="utf-8"))["eval_set"]
    current = describe_eval_set(SHIPPED, load_eval_set(SHIPPED))
    if baseline["sha256"] == current["sha256"]:
        return  # the baseline was made after the change
    old = {**baseline, "path": str(SHIPPED)}  # the report names it relative to the repository root
    assert same_eval_set(old, current)
