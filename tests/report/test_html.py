"""report.html and compare.html rendered from a real run of the tiny models through the CLI.

The run has the usual tiny models, Lead-2 (which answers no questions), a model that fails to
load, and a third article whose text holds markup. Lead-2 copies that markup into its summary,
so the untrusted-output case is a real model output, not a planted string. The rendered page is
parsed with the standard library's HTML parser into a small tree (`parse`) and checked by
structure, not by grepping for formatting.

`tiny_run` is shared with test_html_browser.py (same folder): both render the same run, and it
is made once per test session.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.compare import compare, load_side
from harness.compare_record import FlippedAnswer
from harness.gates import Gate
from harness.metrics.qa import VERDICTS
from harness.report.html import compare_html, diff_segments, report_html, shared_ngram_segments
from harness.run_files import run_result_of

from helpers import EVAL_SET, hf, only_run_dir, read_report, run_cli, write_run

HOSTILE_ARTICLE = {
    "id": "a3",
    "title": 'Tricky <b>markup</b> & "quotes"',
    # Lead-2 copies the first two sentences: the script tag and the img tag land in its summary
    "text": "<script>alert(1)</script> Officials said talks went well. <img src=x onerror=alert(2)> More talks follow.",
    "references": [{"id": "r1", "text": "Officials said the talks went well <script>alert(3)</script>."}],
    "questions": [{"id": "q1", "question": "What went <i>well</i>?", "answers": ["talks", "the talks"]}],
}
MODELS = ["tiny-llama", "tiny-t5", "lead-2", "broken"]

_RUNS: dict[str, Path] = {}


def tiny_run(tiny_models, tmp_path_factory) -> Path:
    """The run folder of one real CLI run (made once per session, also for the browser test)."""
    if "run" not in _RUNS:
        tmp = tmp_path_factory.mktemp("html-run")
        broken = tmp / "broken-model"
        broken.mkdir()
        (broken / "config.json").write_text(json.dumps({"model_type": "llama"}))  # no weights: fails to load
        eval_set = copy.deepcopy(EVAL_SET)
        eval_set["articles"].append(HOSTILE_ARTICLE)
        config = write_run(
            tmp,
            [hf("tiny-llama", tiny_models["causal"], batch_size=2), hf("tiny-t5", tiny_models["t5"]),
             {"name": "lead-2", "backend": "lead", "k": 2}, hf("broken", broken)],
            eval_set=eval_set,
            tasks={"summary": {"prompt": "Summarize: {article}", "max_new_tokens": 8}, "qa": {"prompt": "{article} Q: {question} A:", "max_new_tokens": 4}},
        )
        result = run_cli("--config", str(config))
        assert result.returncode == 1, result.stdout + result.stderr  # 1: the broken model failed, the others ran
        _RUNS["run"] = only_run_dir(tmp / "runs")
    return _RUNS["run"]


@pytest.fixture(scope="module")
def run_dir(tiny_models, tmp_path_factory) -> Path:
    return tiny_run(tiny_models, tmp_path_factory)


@pytest.fixture(scope="module")
def run(run_dir):
    return run_result_of(run_dir)


@pytest.fixture(scope="module")
def page(run):
    return report_html(run)


@pytest.fixture(scope="module")
def doc(page):
    return parse(page)


# --------------------------------------------------------------------------------------------
# a small DOM from the standard library's parser


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict
    children: list = dataclasses.field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        return [n for n in self.iter() if (tag is None or n.tag == tag) and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, **attrs) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):  # <rect ... /> in SVG
        self.current.children.append(Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"stray </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


RESOURCE_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset", "background", "manifest", "ping", "cite", "longdesc"}


def external_references(doc: Node) -> list[str]:
    """Everything in a page that could make the browser fetch something: resource attributes
    that are not in-page anchors or inline data, embedding tags, @import and url() in CSS."""
    problems = []
    for node in doc.iter():
        for name, value in node.attrs.items():
            if name in RESOURCE_ATTRIBUTES and not (value.startswith("#") or value.startswith("data:")):
                problems.append(f"<{node.tag} {name}={value!r}>")
            if "http://" in value or "https://" in value or "//" in value.replace("://", ""):
                problems.append(f"<{node.tag} {name}={value!r}>: a URL in an attribute")
        if node.tag in {"iframe", "object", "embed", "img", "video", "audio", "source", "base", "frame"}:
            problems.append(f"<{node.tag}> element")
        if node.tag == "link" and node.attrs.get("rel") != "icon":
            problems.append(f"<link rel={node.attrs.get('rel')!r}>")
        if node.tag in {"style", "script"}:
            code = node.text()
            for pattern in (r"@import", r"url\s*\(", r"https?://", r"\bfetch\s*\(", r"XMLHttpRequest", r"WebSocket", r"\bimport\s*\("):
                if re.search(pattern, code):
                    problems.append(f"<{node.tag}> contains {pattern}")
        if node.tag == "script" and "src" in node.attrs:
            problems.append("<script src>")
    return problems


# --------------------------------------------------------------------------------------------
# the run page


def test_every_model_and_every_question_appear(run, doc):
    board = doc.find("table", id="leaderboard-table")
    assert [tr.attrs["data-model"] for tr in board.find("tbody").find_all("tr")] == MODELS
    grid = doc.find("table", id="qa-grid")
    assert [th.text().strip() for th in grid.find("thead").find_all("th")][1:] == MODELS
    questions = {row.attrs["data-question"]: row for row in grid.find_all("tr") if "data-question" in row.attrs}
    expected = [f"{a.id}/{q.id}" for a in run.articles for q in a.questions]
    assert list(questions) == expected == ["a1/q1", "a1/q2", "a2/q1", "a3/q1"]
    for article in run.articles:
        for question in article.questions:
            row = questions[f"{article.id}/{question.id}"]
            assert question.question in row.text()  # the question text, unescaped by the parser: shown as text
            assert question.answers[0] in row.text()
            assert [td.attrs["data-model"] for td in row.find_all("td") if "data-model" in td.attrs] == MODELS
    for article in run.articles:
        section = doc.find("section", id=f"article-{article.id}")
        assert [row.attrs["data-model"] for row in section.find_all("div") if "summary-row" in row.classes() and "data-model" in row.attrs] == MODELS
        details = section.find("details")
        assert article.text in details.text()  # the article text, collapsed
        for reference in article.references:
            assert reference.text in section.text()


def test_leaderboard_has_every_mean_and_interval_and_lead_qa_is_na(run, doc):
    board = doc.find("table", id="leaderboard-table")
    header = [th for th in board.find("thead").find_all("th")]
    columns = [(th.attrs.get("data-task"), th.attrs.get("data-metric")) for th in header]
    assert columns[:2] == [(None, None), (None, None)]
    summary_metrics = [*run.scoring["rouge_types"], "fact_recall"]  # the ROUGE types, then the built-in fact_recall scorer
    assert columns[2:] == [("summary", m) for m in summary_metrics] + [("qa", m) for m in ("exact_match", "f1", "contains")]
    rows = {tr.attrs["data-model"]: tr.find_all("td") for tr in board.find("tbody").find_all("tr")}
    for model in run.models:
        cells = rows[model.name]
        for (task, metric), cell in zip(columns[2:], cells[2:]):
            if model.status != "ok":
                assert cell.attrs["data-sort"] == "" and cell.text().strip() == "–"
            elif model.metrics[task] is None:
                assert cell.text().strip() == "n/a" and cell.attrs["data-sort"] == ""  # never 0
            else:
                summary = model.metrics[task][metric]
                assert float(cell.attrs["data-sort"]) == pytest.approx(summary["mean"])
                assert f"{summary['mean']:.4f}" in cell.text()
                assert f"[{summary['ci95'][0]:.3f}, {summary['ci95'][1]:.3f}]" in cell.text()
    lead = rows["lead-2"]
    assert [c.text().strip() for c in lead[-3:]] == ["n/a"] * 3
    assert float(lead[2].attrs["data-sort"]) > 0.3  # lead-2 does summarize
    broken = next(m for m in run.models if m.name == "broken")
    assert broken.status == "failed" and broken.error in rows["broken"][1].text()  # the failure and why


def test_qa_grid_colours_each_answer_by_its_verdict_with_the_trace_one_click_away(run, run_dir, doc):
    _, predictions = read_report(run_dir)
    grid = doc.find("table", id="qa-grid")
    cells = {(tr.attrs["data-question"], td.attrs["data-model"]): td for tr in grid.find_all("tr") if "data-question" in tr.attrs
             for td in tr.find_all("td") if "data-model" in td.attrs}
    answered = [p for p in predictions if p["task"] == "qa"]
    assert {p["model"] for p in answered} == {"tiny-llama", "tiny-t5"}
    for p in answered:
        cell = cells[(f"{p['article_id']}/{p['item_id']}", p["model"])]
        verdict = p["trace"]["verdict"]
        assert verdict in VERDICTS
        assert cell.attrs["data-verdict"] == verdict and f"v-{verdict}" in cell.classes()
        trace = cell.find("details")
        assert trace.find("summary").text() == "trace"
        fields = dict(zip((dt.text() for dt in trace.find_all("dt")), (dd.text() for dd in trace.find_all("dd"))))
        assert list(fields) == ["raw output", "post-processed", "normalized", "normalized golds", "matched alias"]
        assert fields["raw output"] == p["raw_output"] and fields["post-processed"] == p["output"]
        assert fields["normalized"] == p["trace"]["normalized_prediction"]
        assert fields["normalized golds"] == ", ".join(p["trace"]["normalized_answers"])
    for key, cell in cells.items():
        if key[1] == "lead-2":
            assert cell.attrs["data-verdict"] == "na" and "n/a" in cell.text()  # not applicable, not wrong
        if key[1] == "broken":
            assert cell.attrs["data-verdict"] == "failed"
    # the legend names every colour used
    legend = doc.find("section", id="qa").find("div", role="list")
    assert {span.attrs["class"].split()[1] for span in legend.find_all("span") if "chip" in span.classes()} == {f"v-{v}" for v in (*VERDICTS, "na", "failed")}


def test_summaries_highlight_the_bigrams_shared_with_the_best_reference(run, doc):
    lead_a1 = next(row for row in doc.find("section", id="article-a1").find_all("div") if row.attrs.get("data-model") == "lead-2")
    summary_cell, reference_cell = [d for d in lead_a1.children if isinstance(d, Node) and "text" in d.classes()]
    # summary "Seoul and Tokyo will meet in Singapore. The talks resume in June." against
    # r1 "Seoul and Tokyo meet in Singapore in June.": shared bigrams seoul-and, and-tokyo,
    # meet-in, in-singapore, in-june
    assert [m.text() for m in summary_cell.find_all("mark")] == ["Seoul and Tokyo", "meet in Singapore", "in June"]
    assert [m.text() for m in reference_cell.find_all("mark")] == ["Seoul and Tokyo meet in Singapore in June"]
    assert "r1" in reference_cell.text() and "best for rougeLsum" in reference_cell.text()
    assert "rougeLsum" in lead_a1.text() and "0.8000" in lead_a1.text()  # the item's scores
    assert "words 12" in lead_a1.text() and "coverage 1.00" in lead_a1.text()  # and its statistics


def test_shared_ngrams_and_diffs_cut_text_without_losing_any():
    text = "Seoul and Tokyo will meet, in Singapore!"
    segments = shared_ngram_segments(text, "seoul AND tokyo met in singapore")
    assert "".join(s for s, _ in segments) == text
    assert [s for s, marked in segments if marked] == ["Seoul and Tokyo", "in Singapore"]
    assert shared_ngram_segments("", "x y") == [] and shared_ngram_segments("a b", "") == [("a b", False)]
    assert [s for s, m in shared_ngram_segments("회담이 열린다 서울에서", "서울에서 회담이 열린다") if m] == ["회담이 열린다"]
    left, right = diff_segments("the talks resume in June", "the talks open in July")
    assert "".join(s for s, _ in left) == "the talks resume in June" and "".join(s for s, _ in right) == "the talks open in July"
    assert [s.strip() for s, m in left if m] == ["resume", "June"] and [s.strip() for s, m in right if m] == ["open", "July"]


def test_page_loads_nothing_from_anywhere(page, doc):
    assert external_references(doc) == []
    assert "<svg" in page and "xmlns" not in page  # inline SVG needs no namespace URL in HTML
    csp = next(m for m in doc.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp
    (script,) = doc.find_all("script")
    digest = base64.b64encode(hashlib.sha256(script.text().encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp  # only our own script may run


def test_untrusted_text_is_escaped(run, run_dir, page, doc):
    _, predictions = read_report(run_dir)
    hostile = next(p for p in predictions if p["model"] == "lead-2" and p["article_id"] == "a3")
    assert "<script>alert(1)</script>" in hostile["output"] and "<img src=x" in hostile["output"]  # a real model output
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(doc.find_all("script")) == 1  # ours; none from the outputs, the article or the references
    assert doc.find_all("img") == [] and doc.find_all("i") == []
    assert not [n for n in doc.iter() if any(name.startswith("on") for name in n.attrs)]  # no event handler attributes
    assert "<script>alert(1)</script>" in doc.find("section", id="article-a3").text()  # shown as text
    assert 'Tricky <b>markup</b> & "quotes"' in doc.find("section", id="article-a3").find("h3").text()


def test_untrusted_text_is_escaped_in_answers_traces_and_errors(run):
    """Every other place a model's text reaches: answers, raw outputs in traces, error messages."""
    run = copy.copy(run)
    attack = '</code></dd></details><script>alert(4)</script><img src="https://example.com/x.png">'
    models = []
    for model in run.models:
        model = copy.copy(model)
        if model.name == "tiny-llama":
            items = []
            for item in model.items:
                generation = dataclasses.replace(item.generation, raw_output=attack)
                items.append(dataclasses.replace(item, generation=generation, output=attack,
                                                 trace={**item.trace, "normalized_prediction": attack}))
            model.items = items
        if model.name == "broken":
            model.error = attack
        models.append(model)
    run.models = models
    html = report_html(run)
    doc = parse(html)
    assert len(doc.find_all("script")) == 1 and doc.find_all("img") == []
    assert external_references(doc) == []
    assert html.count("&lt;script&gt;alert(4)&lt;/script&gt;") >= 3


def test_the_other_sections(run, run_dir, doc):
    report, _ = read_report(run_dir)
    verdicts = {tr.find("td").text(): tr.find_all("td")[1:] for tr in doc.find("table", id="verdict-table").find("tbody").find_all("tr")}
    for model in run.models:
        if model.qa_verdicts:
            assert [float(td.attrs["data-sort"]) for td in verdicts[model.name]] == pytest.approx([model.qa_verdicts[v] for v in VERDICTS])
    assert [td.text() for td in verdicts["lead-2"]] == ["n/a"] * len(VERDICTS)
    stats = doc.find("table", id="summary-statistics-table")
    assert [tr.find("td").text() for tr in stats.find("tbody").find_all("tr")] == ["tiny-llama", "tiny-t5", "lead-2"]
    pairwise = doc.find("table", id="pairwise-table").find("tbody").find_all("tr")
    assert len(pairwise) == len(run.pairwise) > 0
    significant = sum(p["significant"] is True for p in run.pairwise)
    assert [("significant" in tr.text()) and "dim" not in tr.classes() for tr in pairwise] == [True] * significant + [False] * (len(pairwise) - significant)
    efficiency = {tr.find("td").text(): tr for tr in doc.find("table", id="efficiency-table").find("tbody").find_all("tr")}
    assert list(efficiency) == MODELS
    llama = next(m for m in run.models if m.name == "tiny-llama")
    assert float(efficiency["tiny-llama"].find_all("td")[2].attrs["data-sort"]) == pytest.approx(llama.load_seconds)
    provenance = doc.find("section", id="provenance")
    assert run.provenance["config_sha256"] in provenance.text() and run.eval_set["sha256"] in provenance.text()
    for value in (run.scoring.get("signature") or {}).values() if isinstance(run.scoring.get("signature"), dict) else [run.scoring.get("signature")]:
        if value:
            assert value in provenance.text()  # the scorer signature, as recorded
    config = provenance.find("pre", id="config-json")
    assert config.parent.tag == "details"  # collapsible
    assert json.loads(config.text()) == report["config"]


def test_one_chart_per_task_with_an_interval_per_bar(run, doc):
    charts = doc.find("section", id="charts").find_all("svg")
    assert [svg.attrs["aria-label"] for svg in charts] == ["summary: mean per metric", "qa: mean per metric"]
    summary_bars = [g for g in charts[0].find_all("g") if "bar" in g.classes()]
    assert len(summary_bars) == 5 * 3  # (4 ROUGE types + fact_recall) x (tiny-llama, tiny-t5, lead-2)
    lead_r1 = next(g for g in summary_bars if g.find("title").text().startswith("lead-2 · R1"))
    mean = next(m for m in run.models if m.name == "lead-2").metrics["summary"]["rouge1"]
    assert lead_r1.find("title").text() == f"lead-2 · R1: {mean['mean']:.4f} [{mean['ci95'][0]:.4f}, {mean['ci95'][1]:.4f}]"
    assert lead_r1.find_all("path")  # the error bar
    qa_bars = [g for g in charts[1].find_all("g") if "bar" in g.classes()]
    assert {g.find("title").text().split(" · ")[0] for g in qa_bars} == {"tiny-llama", "tiny-t5"}  # lead-2: n/a
    assert "Not applicable: lead-2." in doc.find("section", id="charts").text()


# --------------------------------------------------------------------------------------------
# the comparison page


def real_comparison(run_dir: Path, pairs, gates):
    side = load_side(run_dir)
    return compare(side, side, pairs, gates, resamples=200, seed=0)


def test_compare_html_fails_a_regression_and_shows_what_changed(run_dir):
    # lead-2 -> tiny-llama on the same 3 summaries: a large ROUGE drop, gated on the point estimate
    # (3 items are too few for a significance test)
    comparison = real_comparison(run_dir, [("lead-2", "tiny-llama"), ("tiny-llama", "tiny-t5")], {"summary.rouge1": Gate(max_drop=0.02, require_significance=False)})
    assert not comparison.passed
    # the tiny models never answer right, so no question flips for real: add one in the shape
    # compare._changed writes, with a hostile answer, to render the flip table
    comparison.changed.append(FlippedAnswer(model="tiny-t5", article_id="a1", item_id="q1", flip="right->wrong",
                                            baseline="Singapore", candidate="<script>alert(5)</script>"))
    html = compare_html(comparison)
    doc = parse(html)
    banner = doc.find("div", id="verdict")
    assert banner.attrs["data-passed"] == "false" and banner.text().strip().startswith("FAIL")
    results = {(tr.find_all("td")[3].text(), tr.attrs["data-result"]) for tr in doc.find("table", id="gates-table").find("tbody").find_all("tr")}
    assert results == {("lead-2 → tiny-llama", "fail"), ("tiny-llama → tiny-t5", "pass")}
    assert len(doc.find("table", id="deltas-table").find("tbody").find_all("tr")) == len(comparison.deltas)
    charts = doc.find("section", id="deltas").find_all("svg")
    assert [svg.attrs["aria-label"] for svg in charts] == ["summary: candidate − baseline", "qa: candidate − baseline"]
    changed = doc.find("section", id="changed-summaries").find_all("div")
    a3 = next(d for d in changed if d.attrs.get("data-article") == "a3")
    assert "<script>alert(1)</script>" in a3.text() and a3.find_all("del")  # lead's hostile summary, escaped, struck
    flips = doc.find("table", id="flips-table").find("tbody").find_all("tr")
    assert [tr.attrs["data-flip"] for tr in flips] == ["right->wrong"]
    assert len(doc.find_all("script")) == 1 and external_references(doc) == []


def test_compare_html_passes(run_dir):
    comparison = real_comparison(run_dir, [("lead-2", "lead-2")], {"summary.rouge1": Gate(max_drop=0.02), "summary.rougeL": Gate(min=0.3)})
    assert comparison.passed
    doc = parse(compare_html(comparison))
    banner = doc.find("div", id="verdict")
    assert banner.attrs["data-passed"] == "true" and banner.text().strip().startswith("PASS")
    assert [tr.attrs["data-result"] for tr in doc.find("table", id="gates-table").find("tbody").find_all("tr")] == ["pass", "pass"]
    assert doc.find_all("section", id="changed-summaries") == []  # identical outputs: nothing changed
    no_gates = parse(compare_html(real_comparison(run_dir, [("lead-2", "lead-2")], {})))
    assert "no gates were given" in no_gates.find("div", id="verdict").text()


def test_no_report_calls_a_difference_on_too_few_items_significant(run, run_dir, doc):
    report, _ = read_report(run_dir)
    few = [p for p in report["pairwise"] if p["n"] < 6]
    assert few, "the tiny run has 3 summaries per model"
    assert all(p["significant"] is None and p["significance_note"] == f"too few items to test (n = {p['n']})" for p in few)
    assert all(p["significant"] in (True, False) and p["significance_note"] is None for p in report["pairwise"] if p["n"] >= 6)
    markdown = (run_dir / "report.md").read_text()
    assert f"{len(few)} have too few items to test" in markdown and "summary (n = 3)" in markdown
    rows = doc.find("table", id="pairwise-table").find("tbody").find_all("tr")
    untested = [tr for tr in rows if "too few items to test (n = 3)" in tr.text()]
    assert len(untested) == sum(1 for p in few if p["n"] == 3) and all("significant" not in tr.text() for tr in untested)
