"""Hostile input (issue 12): untrusted text in report.md and compare.md.

compare.md goes into $GITHUB_STEP_SUMMARY, which renders HTML, and both files are read on
GitHub: model outputs, references, titles, questions, answers, model names, ids, error messages
and paths must arrive as text (`&lt;script&gt;`), never as markup, and a line break inside
one of them (\\r, \\r\\n, U+2028, ...) must not split a table row, a heading or a list item.

report.md: a real Lead-3 run (no model to load) on an eval set with markup in its title,
reference, question and answers; its stored outputs are then replaced by hostile ones and a
failed model with a hostile name and error is added to report.json, and `report` rebuilds
report.md from those files, as a user would. compare.md: two synthetic run folders.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.records import SCHEMA_VERSION
from harness.report.markdown import _cell

from helpers import EVAL_SET, write_run

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "a|b", "x\ry", "x\u2028y", "p\r\nq", "&amp; `code` \\|"]
LINE_BREAKS = ["\r\n", "\r", "\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c", "\x1d", "\x1e"]

HOSTILE_ARTICLE = {
    "id": "a3",
    "title": "Tricky <b>markup</b> & | pipes\rand\u2028breaks",
    "text": "Officials said talks went well. More talks follow. A third sentence ends it.",
    "references": [{"id": "r1", "text": "Officials said <script>alert(3)</script> | it\r\nwent well."}],
    "questions": [{"id": "q1", "question": "What went <i>well</i> | badly?\r", "answers": ["the talks <b>", "a|b"]}],
}
FAILED_NAME = "<b>broken|model</b>"
FAILED_ERROR = "load failed: <script>alert(4)</script>\r\nOSError: a|b\u2028c"


def table_blocks(markdown: str) -> list[list[str]]:
    blocks, current = [], []
    for line in markdown.split("\n"):
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks + ([current] if current else [])


def cells(line: str) -> list[str]:
    """The cells of a table row: split at pipes that are not backslash-escaped."""
    assert line.startswith("|") and line.endswith("|"), line
    return re.split(r"(?<!\\)\|", line)[1:-1]


def assert_inert(markdown: str) -> None:
    """No markup, no stray line breaks, and every table row as wide as its header."""
    assert not re.search(r"<[A-Za-z/!?]", markdown), re.search(r".*<[A-Za-z/!?].*", markdown).group(0)
    assert "<script" not in markdown.lower() and "<img" not in markdown.lower()
    assert markdown.split("\n") == markdown.splitlines() + [""], "a line break other than \\n"
    blocks = table_blocks(markdown)
    assert blocks
    for block in blocks:
        width = len(cells(block[0]))
        assert block[1] == "|" + "---|" * width, block[:2]
        for row in block[2:]:
            assert len(cells(row)) == width, (block[0], row)


# --- the helper --------------------------------------------------------------------------------


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[repr(b) for b in LINE_BREAKS])
def test_every_line_break_becomes_a_space(brk):
    assert _cell(f"x{brk}y") == "x y"


@pytest.mark.parametrize("text, shown", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("<img src=x onerror=alert(2)>", "&lt;img src=x onerror=alert(2)&gt;"),
    ("a|b", "a\\|b"),
    ("&amp;", "&amp;amp;"),
    ("a\\b", "a\\\\b"),
    ("`x`", "\\`x\\`"),
    ("  \r\n ", " "),
])
def test_cell_escapes(text, shown):
    assert _cell(text) == shown


# --- report.md ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("hostile-md")
    eval_set = copy.deepcopy(EVAL_SET)
    eval_set["articles"].append(HOSTILE_ARTICLE)
    assert main(["--config", str(write_run(tmp, [{"name": "lead-3", "backend": "lead"}], eval_set)), "--no-cache"]) == 0
    (run_dir,) = (tmp / "runs").iterdir()
    # the stored outputs become hostile: 3 summaries, and 4 answers added (Lead-k answers none)
    path = run_dir / "predictions.jsonl"
    lines = [json.loads(line) for line in path.read_text().split("\n") if line]
    assert [line["task"] for line in lines] == ["summary"] * 3
    questions = [(a["id"], q["id"]) for a in eval_set["articles"] for q in a["questions"]]
    lines += [{**lines[0], "article_id": article, "task": "qa", "item_id": question, "scores": {"exact_match": 0.0, "f1": 0.0, "contains": 0.0},
               "trace": {}, "stats": {}} for article, question in questions]
    for line, output in zip(lines, HOSTILE):
        line["output"] = line["raw_output"] = output
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    report = json.loads((run_dir / "report.json").read_text())
    report["models"].append({"name": FAILED_NAME, "backend": "hf", "status": "failed", "error": FAILED_ERROR, "metrics": {}})
    (run_dir / "report.json").write_text(json.dumps(report))
    assert main(["report", str(run_dir)]) == 0
    return (run_dir / "report.md").read_bytes().decode("utf-8")  # no newline translation: a raw CR must show


def test_report_md_holds_no_markup_and_keeps_its_tables(hostile_report):
    assert_inert(hostile_report)


def test_report_md_shows_the_hostile_text_as_text(hostile_report):
    md = hostile_report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&lt;img src=x onerror=alert(2)&gt;" in md
    assert "a\\|b" in md and "x y" in md and "p q" in md
    assert "&amp;amp; \\`code\\` \\\\\\|" in md
    (heading,) = [line for line in md.split("\n") if line.startswith("## Article `a3`")]
    assert heading == "## Article `a3`: Tricky &lt;b&gt;markup&lt;/b&gt; &amp; \\| pipes and breaks"
    assert "- *r1*: Officials said &lt;script&gt;alert(3)&lt;/script&gt; \\| it went well." in md
    assert "| What went &lt;i&gt;well&lt;/i&gt; \\| badly? | the talks &lt;b&gt; |" in md
    assert "- **&lt;b&gt;broken\\|model&lt;/b&gt;**: load failed: &lt;script&gt;alert(4)&lt;/script&gt; OSError: a\\|b c" in md
    assert "| &lt;b&gt;broken\\|model&lt;/b&gt; | failed |" in md  # the leaderboard row


# --- compare.md --------------------------------------------------------------------------------


def make_run(folder: Path, lines: list[dict], models: list[dict]) -> Path:
    folder.mkdir(parents=True)
    report = {"schema_version": SCHEMA_VERSION, "provenance": {}, "eval_set": {"sha256": "abc"}, "scoring": {"signature": "sig"},
              "config": {}, "models": models}
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "predictions.jsonl").write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return folder


NAME = "m<i>|</i>"
ARTICLE = "art<b>|1"


def _line(task, item, output, **scores):
    return {"model": NAME, "article_id": ARTICLE, "task": task, "item_id": item, "output": output, "scores": scores}


@pytest.fixture
def hostile_compare(tmp_path, capsys) -> tuple[int, str, str]:
    before = [_line("summary", ARTICLE, "calm summary", rouge1=0.5)]
    before += [_line("qa", f"q{i}", "right", exact_match=1.0) for i in range(len(HOSTILE))]
    before += [_line("qa", "gone<script>|\r", "x", exact_match=1.0)]  # only in the baseline
    after = [_line("summary", ARTICLE, HOSTILE[0] + " " + HOSTILE[2], rouge1=0.1)]
    after += [_line("qa", f"q{i}", output, exact_match=0.0) for i, output in enumerate(HOSTILE)]
    other = {"name": "other<img src=x>", "status": "ok"}
    a = make_run(tmp_path / "a", before + [{**before[1], "model": other["name"]}], [{"name": NAME, "status": "ok"}, other])
    b = make_run(tmp_path / "b", after, [{"name": NAME, "status": "ok"}, {**other, "status": "failed", "error": FAILED_ERROR}])
    out = tmp_path / "compare.md"
    code = main(["compare", str(a), str(b), "--gate", "qa.exact_match:max_drop=0.01", "--gate", "summary.rouge1:min=0.9",
                 "--markdown", str(out)])
    return code, capsys.readouterr().out, out.read_bytes().decode("utf-8")


def test_compare_md_holds_no_markup_and_keeps_its_tables(hostile_compare):
    code, stdout, md = hostile_compare
    assert code == 1  # the regression and the failed model fail their gates: a verdict, not a crash
    assert stdout == md
    assert_inert(md)
    for heading in ("## What the candidate lost", "## Gates", "## Deltas", "## Items in only one run", "## Summaries that changed most",
                    "## Questions that flipped"):
        assert heading in md


def test_compare_md_shows_the_hostile_text_as_text(hostile_compare):
    _, _, md = hostile_compare
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "&lt;img src=x onerror=alert(2)&gt;" in md
    assert "| a\\|b |" in md and "| x y |" in md
    assert "| m&lt;i&gt;\\|&lt;/i&gt; | art&lt;b&gt;\\|1/q0 | right->wrong | right | &lt;script&gt;alert(1)&lt;/script&gt; |" in md
    assert "- other&lt;img src=x&gt; failed in the candidate run: load failed: &lt;script&gt;alert(4)&lt;/script&gt; OSError: a\\|b c" in md
    assert "- baseline only (m&lt;i&gt;\\|&lt;/i&gt;): art&lt;b&gt;\\|1/qa/gone&lt;script&gt;\\|" in md
