"""Hostile input (issue 12) through the CLI, in-process: one `Error:` line, exit 2, nothing
written; and files that follow the umask."""

import argparse
import os
import stat
from pathlib import Path

import pytest

from harness.atomic import write_atomic
from harness.cli import main

from helpers import EVAL_SET, write_run

LEAD = [{"name": "lead-3", "backend": "lead"}]


def _one_error_line(capsys, code: int, expected: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert expected in lines[0], lines[0]
    return lines[0]


def _with_question(**changes) -> dict:
    article = {**EVAL_SET["articles"][0], "questions": [{"id": "q", "question": "Where?", "answers": ["Seoul"], **changes}]}
    return {"articles": [article]}


@pytest.mark.parametrize(
    "extra, eval_set, expected",
    [
        ({"seed": -1}, None, "seed: must be a whole number from 0 to 4294967295; got -1"),
        ({"scoring": {"rouge_types": []}}, None, "scoring.rouge_types: needs at least 1 item(s), got 0"),
        ({"gates": {"qa.bleu": {"min": 0.5}}}, None, "qa has no metric 'bleu'; qa gates take exact_match, f1, contains"),
        ({}, _with_question(answers=[True]), "questions[0].answers[0]: must be text, got a boolean"),
        ({}, _with_question(answers=["the"]), "answer 1 'the' is empty under SQuAD normalisation"),
        ({}, _with_question(answers=["Seoul\ud800"]), "questions[0].answers[0]: character 6 is a lone surrogate (U+D800)"),
    ],
)
def test_bad_values_stop_the_run_with_one_line(tmp_path, capsys, extra, eval_set, expected):
    config = write_run(tmp_path, LEAD, eval_set, **extra)
    line = _one_error_line(capsys, main(["--config", str(config)]), expected)
    assert str(tmp_path) in line  # the file is named
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["compare", "a", "b", "--seed", "-1"], "argument --seed: must be a whole number from 0 to 4294967295; got -1"),
        (["compare", "a", "b", "--resamples", "0"], "argument --resamples: must be a whole number from 1 to 1000000; got 0"),
        (["score", "--task", "qa", "--predictions", "p", "--seed", str(2**32)], "argument --seed: must be a whole number"),
    ],
)
def test_seed_and_resamples_options_have_the_config_ranges(capsys, argv, expected):
    with pytest.raises(SystemExit) as info:
        main(argv)
    _one_error_line(capsys, info.value.code, expected)


def test_the_options_ranges_are_the_configs():
    from harness.cli import RESAMPLES, SEED
    from harness.config import MAX_RESAMPLES, SEED_MAX

    assert (SEED("0"), SEED(str(SEED_MAX)), RESAMPLES("1"), RESAMPLES(str(MAX_RESAMPLES))) == (0, SEED_MAX, 1, MAX_RESAMPLES)
    for parse, text in ((SEED, str(SEED_MAX + 1)), (RESAMPLES, str(MAX_RESAMPLES + 1)), (SEED, "1.5")):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def test_a_gate_on_an_unknown_metric_is_refused_before_reading_the_runs(capsys, tmp_path):
    code = main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--gate", "summary.rougeX:max_drop=0.1"])
    _one_error_line(capsys, code, "summary has no metric 'rougeX'; summary gates take rouge1, rouge2, rougeL, rougeLsum")


@pytest.fixture
def umask():
    """Set the process umask for one test; restored afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    path = tmp_path / "report.json"
    write_atomic(path, "{}\n")
    assert path.read_text() == "{}\n" and _mode(path) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_atomic_overwrite_keeps_the_files_mode(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "out.json"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, "new")
    assert path.read_text() == "new" and _mode(path) == 0o640


def test_score_output_follows_the_umask(tmp_path, umask, capsys):
    umask(0o022)
    (tmp_path / "pred.txt").write_text("Seoul hosts the talks.\n")
    (tmp_path / "ref.txt").write_text("The talks are in Seoul.\n")
    out = tmp_path / "score.json"
    code = main(["score", "--task", "summary", "--predictions", str(tmp_path / "pred.txt"), "--references", str(tmp_path / "ref.txt"),
                 "--rouge-types", "rouge1", "--resamples", "10", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    assert _mode(out) == 0o644


def test_run_files_follow_the_umask(tmp_path, umask, capsys):
    umask(0o022)
    code = main(["--config", str(write_run(tmp_path, LEAD)), "--no-cache"])
    assert code == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert {p.name: _mode(p) for p in run_dir.iterdir()} == {
        name: 0o644 for name in ("predictions.jsonl", "report.html", "report.json", "report.md")
    }


def _config_error(capsys, path) -> str:
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    return err


def test_a_folder_a_link_loop_a_fifo_and_a_nul_byte_each_say_what_they_are(tmp_path, capsys):
    import os

    (tmp_path / "folder.yaml").mkdir()
    assert "folder.yaml: is a folder; give the path of the config YAML file" in _config_error(capsys, tmp_path / "folder.yaml")
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    assert "loop.yaml: cannot open the config file (Too many levels of symbolic links)" in _config_error(capsys, tmp_path / "loop.yaml")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nothing.yaml")
    assert "a symbolic link to a file that does not exist" in _config_error(capsys, tmp_path / "gone.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    assert "fifo.yaml: is not a regular file (a FIFO, socket or device)" in _config_error(capsys, tmp_path / "fifo.yaml")
    (tmp_path / "nul.yaml").write_bytes(b"seed: 0\nmodels: [\x00]\n")
    assert "nul.yaml: line 2, column 10: YAML syntax error: character U+0000 is not allowed in YAML" in _config_error(capsys, tmp_path / "nul.yaml")


def test_every_reader_says_what_a_bad_file_is_even_with_braces_in_its_path(tmp_path, capsys):
    from harness.errors import HarnessError
    from harness.textfile import FileMessages, literal, read_text

    folder = tmp_path / "{odd} name"
    folder.mkdir()
    messages = FileMessages(missing=literal(f"{folder}: ") + "{path} not found{link}", not_utf8="{path}: byte {byte}: {reason}",
                            folder="{path}: a folder", special="{path}: special", unreadable="{path}: {error}")
    cases = {"missing.txt": "missing.txt not found", "sub": "sub: a folder", "latin1.txt": "latin1.txt: byte 2: invalid continuation byte"}
    (folder / "sub").mkdir()
    (folder / "latin1.txt").write_bytes(b"a\xe9b")
    for name, expected in cases.items():
        with pytest.raises(HarnessError) as caught:
            read_text(folder / name, messages)
        assert expected in str(caught.value) and "{odd} name" in str(caught.value)
    (folder / "link.txt").symlink_to(folder / "gone.txt")
    with pytest.raises(HarnessError, match="a symbolic link to a file that does not exist"):
        read_text(folder / "link.txt", messages)
    (folder / "ok.txt").write_text("회담")
    assert read_text(folder / "ok.txt", messages) == "회담"
