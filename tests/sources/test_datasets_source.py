"""Eval sets through the real `datasets` library on local json/jsonl/csv/parquet files."""

import json

import pytest

from harness.errors import HarnessError
from harness.sources import DatasetSource, describe_dataset, load_dataset_articles, load_squad_articles, read_dataset, reload_articles

from validation_data import vendored

pytest.importorskip("datasets")

V11 = vendored("squad/v1.1/dev-v1.1.reconstructed.json")


@pytest.fixture
def load(tmp_path):
    """read_dataset with a private datasets cache, so no test sees another's Arrow files."""
    cache = tmp_path / "hf-datasets-cache"

    def _load(**spec):
        return read_dataset(DatasetSource.model_validate(spec), where="cfg.yaml: dataset", cache_dir=cache)

    return _load


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


QA_ROWS = [  # one row per question, SQuAD-on-the-hub style
    {"qid": "x1", "context": "Seoul hosts talks.", "question": "Who hosts?", "answers": {"text": ["Seoul", "Seoul", " seoul "], "answer_start": [0, 0, 0]}},
    {"qid": "x2", "context": "Tokyo joins later.", "question": "Who joins?", "answers": {"text": ["Tokyo"], "answer_start": [0]}},
    {"qid": "x3", "context": "Seoul hosts talks.", "question": "What does Seoul host?", "answers": {"text": ["talks"], "answer_start": [12]}},
    {"qid": "x4", "context": "Tokyo joins later.", "question": "Unanswerable?", "answers": {"text": [], "answer_start": []}},
]


def test_one_row_per_question_groups_rows_by_text(tmp_path, load):
    files = [write_jsonl(tmp_path / "qa.jsonl", QA_ROWS)]
    loaded = load(files=files, columns={"text": "context", "questions": "question", "answers": "answers.text", "question_id": "qid"})
    a, b = loaded.articles
    assert (a.id, a.text, [q.id for q in a.questions]) == ("article-0", "Seoul hosts talks.", ["x1", "x3"])
    assert a.questions[0].answers == ("Seoul", "seoul")  # stripped, deduplicated in order
    assert (b.id, [q.id for q in b.questions]) == ("article-1", ["x2"])
    assert loaded.skipped_questions == 1 and loaded.rows == 4
    assert "skipped 1 question(s) without a gold answer" in loaded.warnings("cfg.yaml: dataset")[0]
    # a struct with a `text` field is read without naming the field
    same = load(files=files, columns={"text": "context", "questions": "question", "answers": "answers", "question_id": "qid"})
    assert same.articles == loaded.articles


def test_one_row_per_question_grouped_by_an_id_column(tmp_path, load):
    rows = [
        {"doc": "d1", "body": "Text one.", "q": "A?", "a": "one"},
        {"doc": "d2", "body": "Text two.", "q": "B?", "a": ["two", "2"]},
        {"doc": "d1", "body": "Text one.", "q": "C?", "a": "uno"},
    ]
    loaded = load(files=[write_jsonl(tmp_path / "d.jsonl", rows)], columns={"id": "doc", "text": "body", "questions": "q", "answers": "a"})
    assert [(a.id, [(q.id, q.question, q.answers) for q in a.questions]) for a in loaded.articles] == [
        ("d1", [("q0", "A?", ("one",)), ("q1", "C?", ("uno",))]),
        ("d2", [("q0", "B?", ("two", "2"))]),
    ]
    rows[2]["body"] = "Another text."
    with pytest.raises(HarnessError, match=r"columns\.id: rows with id 'd1' have different texts"):
        load(files=[write_jsonl(tmp_path / "d.jsonl", rows)], columns={"id": "doc", "text": "body", "questions": "q", "answers": "a"})


def test_one_row_per_article_with_parallel_lists_in_parquet(tmp_path, load):
    import datasets

    rows = {
        "id": ["n1", "n2"],
        "title": ["First", "Second"],
        "article": ["Body one. It goes on.", "Body two."],
        "highlights": [["Short one.", "Other one."], ["Short two."]],
        "questions": [["Q1?", "Q2?"], []],
        "answers": [[["a1"], ["a2", "b2"]], []],
        "qids": [["k1", "k2"], []],
    }
    path = tmp_path / "news.parquet"
    datasets.Dataset.from_dict(rows).to_parquet(str(path))
    loaded = load(
        files=[str(path)],
        split="validation",
        columns={"id": "id", "title": "title", "text": "article", "references": "highlights",
                 "questions": "questions", "answers": "answers", "question_id": "qids"},
    )
    n1, n2 = loaded.articles
    assert n1.title == "First" and [(r.id, r.text) for r in n1.references] == [("highlights-0", "Short one."), ("highlights-1", "Other one.")]
    assert [(q.id, q.question, q.answers) for q in n1.questions] == [("k1", "Q1?", ("a1",)), ("k2", "Q2?", ("a2", "b2"))]
    assert n2.questions == () and [(r.id, r.text) for r in n2.references] == [("highlights", "Short two.")]

    rows["answers"] = [[["a1"]], []]  # one answer list for two questions
    datasets.Dataset.from_dict(rows).to_parquet(str(path))
    with pytest.raises(HarnessError, match=r"row 0 has 2 question\(s\) in 'questions' but 1 answer item\(s\)"):
        load(files=[str(path)], columns={"text": "article", "questions": "questions", "answers": "answers"})


def test_csv_summaries_only(tmp_path, load):
    path = tmp_path / "sums.csv"
    path.write_text('id,document,summary\n7,"A long document.",A summary.\n8,"",Empty text row.\n9,"Third doc.",Third summary.\n')
    loaded = load(files=[str(path)], columns={"id": "id", "text": "document", "references": "summary"})
    assert [(a.id, a.references[0].id, a.references[0].text) for a in loaded.articles] == [
        ("7", "summary", "A summary."), ("9", "summary", "Third summary.")]
    assert loaded.skipped_rows == 1


def test_relative_files_resolve_against_the_config_folder_and_globs(tmp_path, load):
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "part-0.jsonl", QA_ROWS[:2])
    write_jsonl(folder / "part-1.jsonl", QA_ROWS[2:])
    spec = DatasetSource(files=["data/part-*.jsonl"], columns={"text": "context", "questions": "question", "answers": "answers"})
    resolved = spec.resolve_paths(tmp_path)
    assert resolved.files[0] == folder / "part-*.jsonl"
    articles = load_dataset_articles(resolved, cache_dir=tmp_path / "cache")
    assert sum(len(a.questions) for a in articles) == 3


def many_articles(tmp_path, n=30):
    rows = [{"id": f"doc{i:02d}", "text": f"Article number {i}.", "q": f"Which number is {i}?", "a": str(i)} for i in range(n)]
    return [write_jsonl(tmp_path / "many.jsonl", rows)]


def test_limit_takes_the_first_articles(tmp_path, load):
    files = many_articles(tmp_path)
    loaded = load(files=files, columns={"id": "id", "text": "text", "questions": "q", "answers": "a"}, limit=4)
    assert [a.id for a in loaded.articles] == ["doc00", "doc01", "doc02", "doc03"]
    assert loaded.available_articles == 30


def test_sample_is_a_seeded_subset_in_original_order(tmp_path, load):
    files = many_articles(tmp_path)
    columns = {"id": "id", "text": "text", "questions": "q", "answers": "a"}
    ids = lambda **kw: [a.id for a in load(files=files, columns=columns, **kw).articles]  # noqa: E731
    first = ids(sample=5, seed=1)
    assert len(first) == 5 and first == sorted(first)
    assert ids(sample=5, seed=1) == first
    assert ids(sample=5, seed=2) != first
    assert ids(sample=500) == ids()  # more than there are: all of them
    # generated ids do not depend on sampling: an article keeps its id
    generated = lambda **kw: {a.text: a.id for a in load(files=files, columns={"text": "text", "questions": "q", "answers": "a"}, **kw).articles}  # noqa: E731
    whole = generated()
    assert all(whole[text] == id_ for text, id_ in generated(sample=7, seed=3).items())


def test_real_squad_flattened_to_rows_matches_the_squad_importer(tmp_path, load):
    """The SQuAD v1.1 dev file as one row per question (the hub's shape) gives the importer's
    paragraphs, questions and answers."""
    data = json.loads(V11.read_text())
    rows = [
        {"id": qa["id"], "title": entry["title"], "context": paragraph["context"], "question": qa["question"],
         "answers": {"text": [a["text"] for a in qa["answers"]]}}
        for entry in data["data"] for paragraph in entry["paragraphs"] for qa in paragraph["qas"]
    ]
    loaded = load(files=[write_jsonl(tmp_path / "squad.jsonl", rows)], split="validation",
                  columns={"text": "context", "title": "title", "questions": "question", "answers": "answers.text", "question_id": "id"})
    assert loaded.rows == 10570
    imported = load_squad_articles(V11)
    shape = lambda articles: [(a.text, a.title, [(q.id, q.question, q.answers) for q in a.questions]) for a in articles]  # noqa: E731
    assert shape(loaded.articles) == shape(imported)
    assert len(loaded.articles) == 2067


def test_description_and_reload(tmp_path, load, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "default-cache")  # not the user's
    files = [write_jsonl(tmp_path / "qa.jsonl", QA_ROWS)]
    spec = DatasetSource(files=files, columns={"text": "context", "questions": "question", "answers": "answers"})
    articles = load_dataset_articles(spec)
    described = describe_dataset(spec, articles)
    assert described["articles"] == 2 and described["questions"] == 3 and len(described["sha256"]) == 64
    assert reload_articles(json.loads(json.dumps(described))) == articles
    assert (tmp_path / "default-cache").is_dir()
    other = describe_dataset(spec.model_copy(update={"limit": 1}), articles[:1])
    assert other["sha256"] != described["sha256"]


# -- errors: one line, naming the key and the fix ---------------------------------------------------


def one_line(exc_info) -> str:
    text = str(exc_info.value)
    assert "\n" not in text and text.startswith("cfg.yaml: dataset: ")
    return text


def test_missing_column_lists_the_columns_that_exist(tmp_path, load):
    files = [write_jsonl(tmp_path / "qa.jsonl", QA_ROWS)]
    with pytest.raises(HarnessError) as info:
        load(files=files, columns={"text": "body", "questions": "question", "answers": "answers"})
    assert "columns.text: no column 'body'" in one_line(info)
    assert "the columns are: qid, context, question, answers" in str(info.value)
    with pytest.raises(HarnessError) as info:
        load(files=files, columns={"text": "context", "questions": "question", "answers": "answers.texts"})
    assert "columns.answers: column 'answers' has no field 'texts'; its fields are: text, answer_start" in one_line(info)


def test_empty_split_is_an_error(tmp_path, load):
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(HarnessError) as info:
        load(files=[str(tmp_path / "empty.jsonl")], columns={"text": "t", "references": "r"})
    assert "empty.jsonl is empty; the split 'test' has no rows" in one_line(info)
    (tmp_path / "header.csv").write_text("t,r\n")
    with pytest.raises(HarnessError) as info:
        load(files=[str(tmp_path / "header.csv")], columns={"text": "t", "references": "r"})
    assert "split 'test' of" in one_line(info) and "has no rows" in str(info.value)


def test_no_answers_at_all_is_a_mapping_error(tmp_path, load):
    rows = [{"c": "Text.", "q": "Q?", "a": ""}]
    with pytest.raises(HarnessError) as info:
        load(files=[write_jsonl(tmp_path / "x.jsonl", rows)], columns={"text": "c", "questions": "q", "answers": "a"})
    assert "columns.answers: no question of split 'test' has an answer in column 'a'" in one_line(info)


def test_hub_dataset_while_offline(tmp_path, load, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # HF_HUB_OFFLINE=1 is set for every test
    with pytest.raises(HarnessError) as info:
        load(hub="rajpurkar/squad", split="validation", columns={"text": "context", "questions": "question", "answers": "answers"})
    text = one_line(info)
    assert "cannot reach the Hugging Face hub for dataset 'rajpurkar/squad'" in text
    assert "set up hub access" in text and "use `files:`" in text


def test_bad_files_and_specs(tmp_path, load):
    with pytest.raises(HarnessError) as info:
        load(files=[str(tmp_path / "nope.jsonl")], columns={"text": "t", "references": "r"})
    assert "files: file not found:" in one_line(info)
    (tmp_path / "data.txt").write_text("hello")
    with pytest.raises(HarnessError) as info:
        load(files=[str(tmp_path / "data.txt")], columns={"text": "t", "references": "r"})
    assert "set format: json, csv or parquet" in one_line(info)
    (tmp_path / "bad.jsonl").write_text('{"t": "a"}\n{"t": \n')
    with pytest.raises(HarnessError) as info:
        load(files=[str(tmp_path / "bad.jsonl")], columns={"text": "t", "references": "r"})
    assert "cannot read" in one_line(info) and "as json" in str(info.value)
    for bad, message in [
        (dict(columns={"text": "t", "references": "r"}), "set exactly one of hub or files"),
        (dict(hub="a/b", files=["x.json"], columns={"text": "t", "references": "r"}), "set exactly one of hub or files"),
        (dict(hub="a/b", columns={"text": "t"}), "map references, questions"),
        (dict(hub="a/b", columns={"text": "t", "questions": "q"}), "questions and answers go together"),
        (dict(hub="a/b", columns={"text": "t", "references": "r"}, limit=2, sample=2), "limit"),
        (dict(files=["x.json"], revision="main", columns={"text": "t", "references": "r"}), "config and revision go with hub"),
        (dict(hub="a/b", columns={"text": "t", "references": "r", "extra": "x"}), "Extra inputs"),
    ]:
        with pytest.raises(ValueError, match=message):
            DatasetSource.model_validate(bad)
