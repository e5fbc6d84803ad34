"""compare on synthetic runs of known effect, and --baseline on a real (tiny) run."""

import json
import random
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.records import SCHEMA_VERSION

from helpers import cli, hf, only_run_dir, write_run


def make_run(folder, models: dict[str, list[float]], sha="abc", signature="sig", task="qa", metric="exact_match"):
    """A run folder whose model M scores values[i] on item i."""
    folder.mkdir(parents=True)
    report = {
        "schema_version": SCHEMA_VERSION,
        "provenance": {},
        "eval_set": {"sha256": sha},
        "scoring": {"signature": signature},
        "config": {},
        "models": [{"name": name, "status": "ok"} for name in models],
    }
    lines = [
        {"model": name, "article_id": "a", "task": task, "item_id": f"q{i}", "output": f"answer {value}", "scores": {metric: value}}
        for name, values in models.items()
        for i, value in enumerate(values)
    ]
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "predictions.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def compare(*args):
    return cli("compare", *args)


BASE = [1.0] * 30 + [0.0] * 10  # 40 items, EM 0.75


def test_identical_reports_pass(tmp_path):
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": BASE})
    result = compare(a, b, "--gate", "qa.exact_match:max_drop=0.02", "--json", tmp_path / "c.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# Comparison: PASS" in result.stdout
    data = json.loads((tmp_path / "c.json").read_text())
    (delta,) = data["deltas"]
    assert delta["delta"] == 0 and delta["n"] == 40 and delta["ci"] == [0.0, 0.0]
    assert data["passed"] is True


def test_planted_regression_on_30_percent_of_items_fails(tmp_path):
    worse = [0.0] * 12 + BASE[12:]  # 12 of 40 items (30%) go from right to wrong
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": worse})
    result = compare(a, b, "--gate", "qa.exact_match:max_drop=0.05", "--json", tmp_path / "c.json")
    assert result.returncode == 1, result.stdout
    data = json.loads((tmp_path / "c.json").read_text())
    (delta,) = data["deltas"]
    assert delta["delta"] == pytest.approx(-0.3)
    assert delta["ci"][1] < 0 and delta["p_value"] < 0.01
    assert "❌ fail" in result.stdout and "right->wrong" in result.stdout


def test_noise_alone_passes(tmp_path):
    rng = random.Random(7)
    base = [rng.random() for _ in range(40)]
    noisy = [min(1.0, max(0.0, v + rng.gauss(0, 0.05))) for v in base]
    a, b = make_run(tmp_path / "a", {"m": base}, metric="f1"), make_run(tmp_path / "b", {"m": noisy}, metric="f1")
    result = compare(a, b, "--gate", "qa.f1:max_drop=0.01")
    assert result.returncode == 0, result.stdout


def test_small_planted_drop_is_reported_with_its_minimum_detectable_effect(tmp_path):
    base = [1.0] * 12
    worse = [0.0] * 3 + [1.0] * 9  # 3 of 12 questions flip
    a, b = make_run(tmp_path / "a", {"m": base}), make_run(tmp_path / "b", {"m": worse})
    result = compare(a, b, "--gate", "qa.exact_match:max_drop=0.1", "--json", tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    (delta,) = data["deltas"]
    assert delta["delta"] == pytest.approx(-0.25)
    # sd of differences [-1,-1,-1,0 x 9] is 0.4523; MDE = (1.96 + 0.8416) * 0.4523 / sqrt(12) = 0.366
    assert delta["mde"] == pytest.approx(0.366, abs=0.002)
    (gate,) = data["gates"]
    assert gate["mde"] == pytest.approx(delta["mde"])
    assert "cannot reliably catch a regression" in result.stdout  # MDE 0.37 > max_drop 0.1
    assert "MDE" in result.stdout


def test_require_significance_false_gates_on_the_point_estimate(tmp_path):
    base, worse = [1.0] * 12, [0.0] + [1.0] * 11  # one flip: a drop of 0.083, not significant
    a, b = make_run(tmp_path / "a", {"m": base}), make_run(tmp_path / "b", {"m": worse})
    assert compare(a, b, "--gate", "qa.exact_match:max_drop=0.05").returncode == 0
    assert compare(a, b, "--gate", "qa.exact_match:max_drop=0.05,require_significance=false").returncode == 1
    assert compare(a, b, "--gate", "qa.exact_match:min=0.95").returncode == 1
    assert compare(a, b, "--gate", "qa.exact_match:min=0.9").returncode == 0


def test_items_in_one_run_only_are_listed_and_excluded(tmp_path):
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": BASE[:35]})
    result = compare(a, b, "--json", tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["deltas"][0]["n"] == 35
    assert data["only_in_baseline"]["m"] == [["a", "qa", f"q{i}"] for i in range(35, 40)]
    assert "Items in only one run" in result.stdout


def test_pair_compares_two_models_of_one_run(tmp_path):
    run = make_run(tmp_path / "a", {"old": BASE, "new": [1.0] * 40})
    result = compare(run, run / "report.json", "--pair", "old:new", "--json", tmp_path / "c.json")
    assert result.returncode == 0
    (delta,) = json.loads((tmp_path / "c.json").read_text())["deltas"]
    assert (delta["baseline_model"], delta["candidate_model"], delta["delta"]) == ("old", "new", pytest.approx(0.25))


@pytest.mark.parametrize("change, message", [({"sha": "other"}, "eval sets differ"), ({"signature": "rouge:stem=none"}, "scorer signatures differ")])
def test_incomparable_reports_are_refused_unless_forced(tmp_path, change, message):
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": BASE}, **change)
    result = compare(a, b)
    assert result.returncode == 2 and message in result.stderr and "--force" in result.stderr
    assert compare(a, b, "--force").returncode == 0


def test_other_summary_statistic_tokens_stay_comparable_other_scoring_does_not(tmp_path):
    # coverage and density are never paired, so a baseline made with spaCy compares with a run
    # on builtin tokens; a scorer whose signature differs is still refused
    spacy = {"qa": "qa:norm=squad-v1.1", "summary_stats": "tokens=spacy-3.8.18-en"}
    a = make_run(tmp_path / "a", {"m": BASE}, signature=spacy)
    assert compare(a, make_run(tmp_path / "b", {"m": BASE}, signature={**spacy, "summary_stats": "tokens=builtin"})).returncode == 0
    refused = compare(a, make_run(tmp_path / "c", {"m": BASE}, signature={**spacy, "qa": "qa:norm=other"}))
    assert refused.returncode == 2 and "scorer signatures differ" in refused.stderr


@pytest.mark.parametrize("args, message", [
    (["--gate", "qa.exact_match"], "a gate needs max_drop, min or both"),
    (["--gate", "quiz.em:min=1"], "must be TASK.METRIC"),
    (["--gate", "qa.exact_match:max_drop=lots"], "--gate"),
    (["--pair", "x:y"], "--pair 'x:y'"),
])
def test_bad_compare_usage(tmp_path, args, message):
    a = make_run(tmp_path / "a", {"m": BASE})
    result = compare(a, a, *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_gates_from_a_config_and_run_with_baseline(tiny_models, tmp_path):
    config = write_run(tmp_path, [hf("tiny", tiny_models["plain"])], gates={"summary.rouge1": {"max_drop": 0.01}, "qa.f1": {"min": 0.0}})
    first = cli("--config", str(config), "--output-dir", str(tmp_path / "base"))
    assert first.returncode == 0, first.stderr
    baseline = only_run_dir(tmp_path / "base")
    second = cli("--config", str(config), "--output-dir", str(tmp_path / "cand"), "--baseline", str(baseline / "report.json"))
    assert second.returncode == 0, second.stdout + second.stderr
    candidate = only_run_dir(tmp_path / "cand")
    data = json.loads((candidate / "compare.json").read_text())
    assert {g["gate"] for g in data["gates"]} == {"summary.rouge1", "qa.f1"} and data["passed"]
    assert (candidate / "compare.md").read_text().startswith("# Comparison: PASS")
    assert "<html" in (candidate / "compare.html").read_text()
    via_config = compare(baseline, candidate, "--config", config)
    assert via_config.returncode == 0 and "summary.rouge1" in via_config.stdout


# --- significance on too few items (in-process: cli.main) --------------------------------------


def compare_in_process(capsys, *args) -> tuple[int, str]:
    from harness import cli

    code = cli.main(["compare", *map(str, args)])
    return code, capsys.readouterr().out


def test_one_item_is_too_few_to_test_and_a_significance_gate_says_so(tmp_path, capsys):
    a = make_run(tmp_path / "a", {"m": [0.5]}, task="summary", metric="rougeL")
    b = make_run(tmp_path / "b", {"m": [0.2]}, task="summary", metric="rougeL")
    code, out = compare_in_process(capsys, a, b, "--gate", "summary.rougeL:max_drop=0.1", "--json", tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    (delta,) = data["deltas"]
    assert delta["ci"][0] == delta["ci"][1] < 0  # zero width: once read as "significant"
    assert delta["significant"] is None and delta["significance_note"] == "too few items to test (n = 1)"
    (gate,) = data["gates"]
    assert gate["passed"] and gate["untestable"]
    assert "too few items to test (n = 1)" in gate["detail"] and "require_significance: false" in gate["detail"]
    assert code == 0
    assert "# Comparison: PASS (1 gate check(s) could not be tested: too few items)" in out and "⚠️ untested" in out
    # the same drop gated on the point estimate fails
    code, _ = compare_in_process(capsys, a, b, "--gate", "summary.rougeL:max_drop=0.1,require_significance=false")
    assert code == 1


def test_five_items_all_worse_are_not_significant_six_are(tmp_path, capsys):
    for n, significant, code in ((5, None, 0), (6, True, 1)):
        a = make_run(tmp_path / f"a{n}", {"m": [1.0] * n})
        b = make_run(tmp_path / f"b{n}", {"m": [0.0] * n})
        got, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:max_drop=0.1", "--json", tmp_path / f"c{n}.json")
        (delta,) = json.loads((tmp_path / f"c{n}.json").read_text())["deltas"]
        assert delta["p_value"] == 2 / 2**n
        assert delta["significant"] is significant
        assert got == code, out
    assert "too few items to test (n = 5)" in json.loads((tmp_path / "c5.json").read_text())["gates"][0]["detail"]


# --- a gated model that failed, vanished or lost items fails the gate ------------------------


def _fail_model(run, name: str, error: str = "generation failed: IndexError: index out of range"):
    """Mark `name` failed in a make_run folder and drop its outputs, as a real failed run writes it."""
    report = json.loads((run / "report.json").read_text())
    report["models"] = [{**m, "status": "failed", "error": error} if m["name"] == name else m for m in report["models"]]
    (run / "report.json").write_text(json.dumps(report))
    lines = [line for line in (run / "predictions.jsonl").read_text().splitlines() if json.loads(line)["model"] != name]
    (run / "predictions.jsonl").write_text("".join(line + "\n" for line in lines))
    return run


@pytest.mark.parametrize("how", ["failed", "missing"])
def test_a_gated_model_that_failed_or_vanished_in_the_candidate_fails_the_gate(tmp_path, capsys, how):
    a = make_run(tmp_path / "a", {"m": BASE, "other": BASE})
    if how == "failed":
        b = _fail_model(make_run(tmp_path / "b", {"m": BASE, "other": BASE}), "m")
        reason = "m failed in the candidate run: generation failed: IndexError"
    else:
        b = make_run(tmp_path / "b", {"other": BASE})
        reason = "m is missing from the candidate run"
    code, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:max_drop=0.05", "--json", tmp_path / "c.json")
    assert code == 1, out
    data = json.loads((tmp_path / "c.json").read_text())
    failed = [g for g in data["gates"] if not g["passed"]]
    assert [(g["candidate_model"], g["rule"]) for g in failed] == [("m", "complete")] and reason in failed[0]["detail"]
    assert [g["passed"] for g in data["gates"] if g["candidate_model"] == "other"] == [True]  # the others are still gated
    assert "# Comparison: FAIL" in out and "## What the candidate lost" in out and reason in out


def test_the_only_model_failing_in_the_candidate_fails_the_gate_not_the_usage(tmp_path, capsys):
    a = make_run(tmp_path / "a", {"m": BASE})
    b = _fail_model(make_run(tmp_path / "b", {"m": BASE}), "m")
    code, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:min=0.5")
    assert code == 1 and "❌ fail" in out and "m failed in the candidate run" in out


def test_items_lost_from_a_task_are_a_finding_and_fail_its_gates(tmp_path, capsys):
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": BASE[:30]})
    code, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:max_drop=0.05", "--json", tmp_path / "c.json", "--html", tmp_path / "c.html")
    assert code == 1
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["findings"] == ["m lost 10 of 40 qa items in the candidate run"]
    assert [(g["rule"], g["passed"]) for g in data["gates"]] == [("max_drop=0.05", True), ("complete", False)]
    assert "m lost 10 of 40 qa items in the candidate run" in (tmp_path / "c.html").read_text()
    # without gates it is still named, and nothing fails
    code, out = compare_in_process(capsys, a, b)
    assert code == 0 and "m lost 10 of 40 qa items in the candidate run" in out


def test_runs_scored_with_different_rouge_types_compare_on_what_they_share(tmp_path, capsys):
    a = make_run(tmp_path / "a", {"m": [0.5, 0.4]}, task="summary", metric="rougeLsum")
    b = make_run(tmp_path / "b", {"m": [0.2, 0.1]}, task="summary", metric="rouge1")
    code, out = compare_in_process(capsys, a, b)
    assert code == 0 and "## Deltas" in out  # no shared metric: nothing to compare, and no traceback


# --- compare.json: pydantic models, written and read back, and its published schema ----------


ROOT = Path(__file__).resolve().parent.parent


def _qa_and_summary_runs(tmp_path):
    """Two runs with a flipped question, a moved summary, and a one-item model (mde Infinity)."""
    a = make_run(tmp_path / "a", {"m": BASE})
    b = make_run(tmp_path / "b", {"m": [0.0] * 12 + BASE[12:]})
    sa = make_run(tmp_path / "sa", {"s": [0.5, 0.4]}, task="summary", metric="rougeL")
    sb = make_run(tmp_path / "sb", {"s": [0.2, 0.4]}, task="summary", metric="rougeL")
    return a, b, sa, sb


def test_compare_json_is_the_models_dump_and_reads_back(tmp_path, capsys):
    from harness.compare_record import ChangedSummary, Comparison, FlippedAnswer
    from harness.report.compare_markdown import compare_json

    a, b, sa, sb = _qa_and_summary_runs(tmp_path)
    for base, cand, name, gate in ((a, b, "qa.json", "qa.exact_match:max_drop=0.05"), (sa, sb, "summary.json", "summary.rougeL:max_drop=0.1"),
                                   (make_run(tmp_path / "one-a", {"m": [0.5]}, task="summary", metric="rougeL"),
                                    make_run(tmp_path / "one-b", {"m": [0.2]}, task="summary", metric="rougeL"), "one.json", "summary.rougeL:min=0.1")):
        compare_in_process(capsys, base, cand, "--gate", gate, "--json", tmp_path / name)
        text = (tmp_path / name).read_text(encoding="utf-8")
        comparison = Comparison.model_validate_json(text)
        assert compare_json(comparison) == text  # written with model_dump_json, read with model_validate_json: no drift
        assert json.loads(text)["passed"] is comparison.passed
    qa = Comparison.model_validate_json((tmp_path / "qa.json").read_text())
    assert qa.changed and all(isinstance(c, FlippedAnswer) and c.kind == "qa" and c.flip == "right->wrong" for c in qa.changed)
    assert json.loads((tmp_path / "qa.json").read_text())["changed"][0] == {
        "kind": "qa", "model": "m", "article_id": "a", "item_id": "q0", "flip": "right->wrong", "baseline": "answer 1.0", "candidate": "answer 0.0"}
    (summary,) = Comparison.model_validate_json((tmp_path / "summary.json").read_text()).changed
    assert isinstance(summary, ChangedSummary) and summary.metric == "rougeL" and summary.delta == pytest.approx(-0.3)
    (gate,) = qa.gates
    assert (gate.kind, gate.threshold, gate.rule) == ("max_drop", 0.05, "max_drop=0.05")
    assert json.loads((tmp_path / "one.json").read_text())["gates"][0] | {"detail": ""} == {
        "gate": "summary.rougeL", "baseline_model": "m", "candidate_model": "m", "kind": "min", "threshold": 0.1, "passed": True,
        "untestable": False, "detail": "", "mde": None, "n": None, "rule": "min=0.1", "underpowered": False, "warning": None}
    (one,) = Comparison.model_validate_json((tmp_path / "one.json").read_text()).deltas
    assert one.n == 1 and one.sd_diff is None and one.mde == float("inf") and one.significance_note == "too few items to test (n = 1)"
    # one item leaves no test any power: Infinity, written as the JSON constant and read back
    assert '"mde": Infinity' in one.model_dump_json(indent=2) and type(one).model_validate_json(one.model_dump_json()).mde == float("inf")


def test_gate_rule_and_underpowered_come_from_the_real_fields():
    from harness.compare_record import GateResult

    common = dict(gate="qa.f1", baseline_model="m", candidate_model="m", passed=True, detail="")
    assert GateResult(kind="max_drop", threshold=0.1, mde=0.2, **common).rule == "max_drop=0.1"
    assert GateResult(kind="max_drop", threshold=0.1, mde=0.2, **common).underpowered
    assert not GateResult(kind="max_drop", threshold=0.1, mde=0.05, **common).underpowered
    assert not GateResult(kind="min", threshold=0.1, mde=0.2, **common).underpowered
    assert GateResult(kind="complete", **common).rule == "complete" and GateResult(kind="present", **common).rule == "present"


def test_the_checked_in_compare_schema_is_the_generated_one():
    from harness.compare_record import REGENERATE, SCHEMAS, schema_text

    for name, model in SCHEMAS.items():
        path = ROOT / "schemas" / name
        assert path.is_file(), f"schemas/{name} is missing; run `{REGENERATE}`"
        assert path.read_text(encoding="utf-8") == schema_text(model), (
            f"schemas/{name} differs from the models in harness/compare_record.py; run `{REGENERATE}` and commit the result"
        )


def test_the_compare_schema_regenerate_command_writes_the_checked_in_file(tmp_path, capsys):
    from harness.compare_record import SCHEMAS
    from harness.compare_record import main as regenerate

    assert regenerate([str(tmp_path)]) == 0
    for name in SCHEMAS:
        assert (tmp_path / name).read_text(encoding="utf-8") == (ROOT / "schemas" / name).read_text(encoding="utf-8")
    capsys.readouterr()


def test_a_real_compare_json_validates_against_the_checked_in_schema(tmp_path, capsys):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed (it comes with the ray extra: `make install`)")
    schema = json.loads((ROOT / "schemas" / "compare.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    a, b, sa, sb = _qa_and_summary_runs(tmp_path)
    for base, cand, name in ((a, b, "qa.json"), (sa, sb, "summary.json")):
        compare_in_process(capsys, base, cand, "--gate", "qa.exact_match:max_drop=0.05", "--gate", "summary.rougeL:min=0.3", "--json", tmp_path / name)
        data = json.loads((tmp_path / name).read_text())
        validator.validate(data)
        assert {"passed", "deltas", "gates", "changed", "findings"} <= set(data)
    bad = json.loads((tmp_path / "qa.json").read_text())
    bad["gates"][0]["kind"] = "max_rise"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)


# --- each gate's minimum detectable effect beside its threshold -------------------------------


class _Cells(HTMLParser):
    """The text of every <td> of every row of the table with id `table_id`."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def _gate_cells(html: str) -> list[list[str]]:
    cells = _Cells("gates-table")
    cells.feed(html)
    return [row for row in cells.rows if row]


def test_each_gate_shows_its_mde_and_n_beside_its_threshold_in_md_json_and_html(tmp_path, capsys):
    # 400 questions at 75%, candidate identical (the usual CI run): the MDE comes from the baseline's
    # spread, not from the (zero) differences. sd = sqrt(400 * 0.75 * 0.25 / 399) = 0.433555;
    # sd_D = sqrt(2) * sd = 0.613139; MDE = (1.959964 + 0.841621) * 0.613139 / sqrt(400) = 0.085888 < 0.1
    big = [1.0] * 300 + [0.0] * 100
    a, b = make_run(tmp_path / "a", {"m": big}), make_run(tmp_path / "b", {"m": big})
    code, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:max_drop=0.1", "--json", tmp_path / "c.json", "--html", tmp_path / "c.html",
                                   "--markdown", tmp_path / "c.md")
    assert code == 0, out
    data = json.loads((tmp_path / "c.json").read_text())
    (delta,) = data["deltas"]
    assert delta["sd_diff"] == 0 and delta["baseline_sd"] == pytest.approx(0.433555, abs=2e-6)
    assert delta["mde"] == pytest.approx(0.085888, abs=2e-6)
    (gate,) = data["gates"]
    assert (gate["threshold"], gate["mde"], gate["n"], gate["underpowered"], gate["warning"]) == (0.1, delta["mde"], 400, False, None)
    row = "| ✅ pass | qa.exact_match | max_drop=0.1 | m | 0.0859 | 400 |"
    assert row in out and row in (tmp_path / "c.md").read_text()
    assert "cannot see" not in out
    (cells,) = _gate_cells((tmp_path / "c.html").read_text())
    assert cells[1:6] == ["qa.exact_match", "max_drop=0.1", "m", "0.0859", "400"]
    assert "cannot see" not in (tmp_path / "c.html").read_text()


def test_a_gate_whose_mde_exceeds_its_max_drop_warns_in_every_output(tmp_path, capsys):
    # the 40-item BASE at 75%: MDE = 2.801585 * sqrt(2) * 0.438529 / sqrt(40) = 0.2747 > 0.05
    a, b = make_run(tmp_path / "a", {"m": BASE}), make_run(tmp_path / "b", {"m": BASE})
    code, out = compare_in_process(capsys, a, b, "--gate", "qa.exact_match:max_drop=0.05,min=0.5",
                                   "--json", tmp_path / "c.json", "--html", tmp_path / "c.html")
    assert code == 0  # a warning, not a failure: nothing dropped
    warning = "this gate cannot see a drop of 0.05 on 40 items (MDE 0.2747)"
    drop, floor = json.loads((tmp_path / "c.json").read_text())["gates"]
    assert (drop["underpowered"], drop["warning"], drop["n"]) == (True, warning, 40)
    assert (floor["underpowered"], floor["warning"], floor["mde"], floor["n"]) == (False, None, None, None)  # min gates have no MDE
    assert f"- ⚠️ `qa.exact_match` (m): {warning}" in out
    html = (tmp_path / "c.html").read_text()
    assert f"⚠ {warning}" in html and html.count("gate-warning") == 1
    assert [cells[4:6] for cells in _gate_cells(html)] == [["0.2747", "40"], ["–", ""]]
    # one item: no test has any power, whatever the gate
    one_a = make_run(tmp_path / "one-a", {"m": [0.5]}, task="summary", metric="rougeL")
    one_b = make_run(tmp_path / "one-b", {"m": [0.5]}, task="summary", metric="rougeL")
    code, out = compare_in_process(capsys, one_a, one_b, "--gate", "summary.rougeL:max_drop=0.1,require_significance=false")
    assert code == 0 and "| ✅ pass | summary.rougeL | max_drop=0.1 | m | inf | 1 |" in out
    assert "this gate cannot see a drop of 0.1 on 1 item (MDE inf)" in out
