"""report/format.py: one text per kind of value cell, the same in every report (issue 11)."""

from __future__ import annotations

import pytest

from harness.records import ModelResult
from harness.report import format as fmt
from harness.report.svg_chart import DeltaRow, Point, delta_chart, interval_chart

SUMMARY = {"rouge1": {"mean": 0.45678, "ci95": [0.4, 0.51], "n": 3}, "rouge2": {"mean": None, "n": 0}}


def test_two_placeholders_only():
    assert fmt.NOT_APPLICABLE == "n/a" and fmt.MISSING == "–"
    assert fmt.placeholder("na") == "n/a"
    assert {fmt.placeholder(kind) for kind in ("failed", "missing")} == {"–"}


@pytest.mark.parametrize("call, shown", [
    (lambda: fmt.score(0.45678), "0.4568"),
    (lambda: fmt.score(0.45678, 2), "0.46"),
    (lambda: fmt.score(1.0, 0), "1"),
    (lambda: fmt.signed(0.012), "+0.0120"),
    (lambda: fmt.signed(-0.5, 2), "-0.50"),
    (lambda: fmt.percent(0.256), "26%"),
    (lambda: fmt.number(3.14159, "{:.1f}"), "3.1"),
    (lambda: fmt.interval([0.1, 0.2]), "[0.100, 0.200]"),
    (lambda: fmt.interval((0.1, 0.2), 4), "[0.1000, 0.2000]"),
])
def test_numbers(call, shown):
    assert call() == shown


def test_none_is_the_missing_glyph_and_an_absent_interval_is_empty():
    assert {fmt.score(None), fmt.signed(None), fmt.percent(None), fmt.number(None, "{:.1f}")} == {"–"}
    assert fmt.interval(None) == fmt.interval([]) == fmt.interval([None, None]) == fmt.interval([0.1, None]) == ""


def test_metric_cells_of_each_kind():
    ok = ModelResult("m", "hf", metrics={"summary": SUMMARY, "qa": None})
    failed = ModelResult("broken", "hf", status="failed")
    value = fmt.metric_cell(ok, "summary", "rouge1")
    assert (value.kind, value.mean, value.n) == ("value", 0.45678, 3)
    assert value.text() == "0.4568" and value.text(with_ci=True) == "0.4568 [0.400, 0.510]"
    assert fmt.metric_text(ok, "summary", "rouge1", with_ci=True) == "0.4568 [0.400, 0.510]"
    assert fmt.metric_cell(ok, "qa", "f1").kind == "na" and fmt.metric_text(ok, "qa", "f1") == "n/a"  # never 0
    assert fmt.metric_cell(ok, "summary", "rouge2").kind == "missing" and fmt.metric_text(ok, "summary", "rouge2", with_ci=True) == "–"
    assert fmt.metric_cell(ok, "summary", "rougeL").kind == "missing"  # a metric never computed
    assert fmt.metric_cell(failed, "summary", "rouge1").kind == "failed" and fmt.metric_text(failed, "qa", "f1") == "–"


def test_charts_draw_the_same_glyph_for_a_missing_value():
    bars = interval_chart(["R1", "R2"], [("m", [Point(0.5, 0.4, 0.6), None])], {"m": "#000"}, title="t")
    forest = delta_chart([DeltaRow("m · R1", None, None, None)], title="t")
    assert ">–</text>" in bars and ">–</text>" in forest
    assert "n/a" not in bars and "n/a" not in forest
