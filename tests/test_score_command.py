"""`python -m harness score` on published outputs, and its bad inputs."""

import json

import pytest

from helpers import run_cli
from validation_data import vendored


def score(*args):
    result = run_cli("score", *map(str, args))
    return result, (json.loads(result.stdout) if result.returncode == 0 else None)


def test_squad_v11_matches_the_official_script(tmp_path):
    result, data = score("--task", "qa", "--gold", vendored("squad/v1.1/dev-v1.1.reconstructed.json"),
                         "--predictions", vendored("squad/v1.1/pred_BERT_ensemble_GoogleAI.json"), "--output", tmp_path / "out.json")
    assert result.returncode == 0, result.stderr
    assert (round(data["exact_match"], 3), round(data["f1"], 3)) == (86.206, 92.196)
    assert data["signature"] == "qa:norm=squad-v1.1|multi=max"
    assert json.loads((tmp_path / "out.json").read_text()) == data


def test_squad_v20_reports_has_and_no_answer_apart():
    _, data = score("--task", "qa", "--gold", vendored("squad/v2.0/dev-v2.0.reconstructed.json"),
                    "--predictions", vendored("squad/v2.0/pred_BERT_single_GoogleAI.json"))
    assert (round(data["exact_match"], 3), round(data["f1"], 3)) == (78.742, 81.775)
    assert (round(data["HasAns_exact"], 3), round(data["HasAns_f1"], 3), round(data["NoAns_exact"], 3)) == (74.106, 80.182, 83.364)


def test_summaries_against_reference_files():
    result, data = score("--task", "summary", "--predictions", vendored("rouge_score_testdata/prediction.txt"), "--references", vendored("rouge_score_testdata/target.txt"),
                         "--no-stemmer", "--rouge-types", "rouge1,rouge2")
    assert result.returncode == 0, result.stderr
    # the pinned ROUGE-1.5.5 values of the two pairs (validation README): F .51163 and .50000
    assert data["scores"]["rouge1"]["f"]["mean"] == pytest.approx((0.51163 + 0.50000) / 2, abs=1e-5)
    assert data["scores"]["rouge1"]["f"]["ci95"] == pytest.approx([0.5, 0.51163], abs=1e-5)
    assert data["n"] == 2 and data["signature"].startswith("rouge:pkg=rouge-score-0.1.2|stem=none|")
    assert data["signature"].endswith("|multiref=max|tok=default|ci=bootstrap-1000-seed0")


def test_korean_needs_the_unicode_tokenizer(tmp_path):
    (tmp_path / "pred.txt").write_text("한국과 미국은 일본과 회담을 열기로 했다\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("한국과 미국은 일본과 3자 회담을 열기로 합의했다\n", encoding="utf-8")
    args = ["--task", "summary", "--predictions", tmp_path / "pred.txt", "--references", tmp_path / "ref.txt", "--rouge-types", "rouge1"]
    _, default = score(*args)
    _, unicode = score(*args, "--tokenizer", "unicode")
    assert default["scores"]["rouge1"]["f"]["mean"] == 0.0  # rouge-score drops every Hangul character
    # 6 prediction words, 7 reference words, 5 shared (한국과 미국은 일본과 회담을 열기로): F = 2*5/(6+7)
    assert unicode["scores"]["rouge1"]["f"]["mean"] == pytest.approx(10 / 13)
    assert "tok=unicode-1" in unicode["signature"]


def test_several_reference_files_and_rouge155_averaging(tmp_path):
    (tmp_path / "p.txt").write_text("the cat sat on the mat\nseoul hosts the talks\n")
    (tmp_path / "r1.txt").write_text("the cat sat on a mat\nthe talks are in tokyo\n")
    (tmp_path / "r2.txt").write_text("a cat was on the mat\nseoul hosts the next talks\n")
    args = ["--task", "summary", "--predictions", tmp_path / "p.txt", "--references", tmp_path / "r1.txt", tmp_path / "r2.txt", "--rouge-types", "rouge1"]
    _, best = score(*args)
    _, average = score(*args, "--multi-reference", "model_average", "--rouge155-average")
    assert best["references_per_item"] == 2
    assert best["scores"]["rouge1"]["f"]["mean"] > average["scores"]["rouge1"]["f"]["mean"]
    assert set(average["rouge155_average"]["rouge1"]) == {"recall", "precision", "fmeasure"}
    assert "multiref=model_average" in average["signature"]


def test_the_rouge155_stemmer_on_the_command_line(tmp_path):
    (tmp_path / "p.txt").write_text("the children went home\n")
    (tmp_path / "r.txt").write_text("the child goes home\n")
    args = ["--task", "summary", "--predictions", tmp_path / "p.txt", "--references", tmp_path / "r.txt", "--rouge-types", "rouge1"]
    _, porter = score(*args)
    _, perl = score(*args, "--stemmer", "rouge155")
    # porter: the, home shared (children, went, child, goe differ): F = 2*2/(4+4); rouge155 (WordNet exceptions):
    # children -> child, went -> go, goes -> go, so all 4 tokens match
    assert porter["scores"]["rouge1"]["f"]["mean"] == pytest.approx(0.5)
    assert perl["scores"]["rouge1"]["f"]["mean"] == pytest.approx(1.0)
    assert "stem=rouge155-wn2.0-1" in perl["signature"]


@pytest.mark.parametrize("case, message", [
    ("line counts", "r.txt: 1 lines but"),
    ("empty", "the file is empty"),
    ("not a mapping", "predictions must be a JSON object"),
    ("unknown rule", "argument --multi-reference: invalid choice: 'best'"),
    ("qa without gold", "--task qa takes --gold"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, case, message):
    (tmp_path / "p.txt").write_text("one\ntwo\n")
    (tmp_path / "r.txt").write_text("one\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "list.json").write_text("[1, 2]")
    args = {
        "line counts": ["--task", "summary", "--predictions", tmp_path / "p.txt", "--references", tmp_path / "r.txt"],
        "empty": ["--task", "summary", "--predictions", tmp_path / "empty.txt", "--references", tmp_path / "r.txt"],
        "not a mapping": ["--task", "qa", "--gold", vendored("squad/v1.1/dev-v1.1.reconstructed.json"), "--predictions", tmp_path / "list.json"],
        "unknown rule": ["--task", "summary", "--predictions", tmp_path / "p.txt", "--references", tmp_path / "p.txt", "--multi-reference", "best"],
        "qa without gold": ["--task", "qa", "--predictions", tmp_path / "list.json"],
    }[case]
    result, _ = score(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
