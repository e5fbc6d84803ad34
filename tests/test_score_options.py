"""`python -m harness score`: option ranges, --output checked before scoring, and bounded line
lengths (issue 12, item 2), through the CLI in-process: one `Error:` line, exit 2."""

import json
import os
import time

import pytest

import harness.commands.score
from harness.cli import MAX_PROCESSES, main
from harness.commands.score import MAX_LINE_CHARS, MAX_PYSBD_LINE_CHARS


def _one_error_line(capsys, code: int, *expected: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "pred.txt").write_text("Seoul hosts the talks.\nJapan agreed.\n")
    (tmp_path / "ref.txt").write_text("The talks are in Seoul.\nJapan agreed to meet.\n")
    return tmp_path


def _summary(folder, *extra: str) -> list[str]:
    return ["score", "--task", "summary", "--predictions", str(folder / "pred.txt"), "--references", str(folder / "ref.txt"),
            "--rouge-types", "rouge1", "--resamples", "10", *extra]


@pytest.mark.parametrize("option, value, allowed", [
    ("--processes", "0", f"1 to {MAX_PROCESSES}"),
    ("--processes", "-2", f"1 to {MAX_PROCESSES}"),
    ("--processes", str(MAX_PROCESSES + 1), f"1 to {MAX_PROCESSES}"),
    ("--processes", "two", f"1 to {MAX_PROCESSES}"),
    ("--resamples", "0", "1 to 1000000"),
    ("--resamples", "-5", "1 to 1000000"),
    ("--seed", "-1", "0 to 4294967295"),
])
def test_out_of_range_options_are_usage_errors(files, capsys, option, value, allowed):
    with pytest.raises(SystemExit) as info:
        main(_summary(files, option, value))
    _one_error_line(capsys, info.value.code, f"argument {option}: must be a whole number from {allowed}")


def test_the_largest_process_count_is_accepted(files, capsys):
    assert main(_summary(files, "--processes", str(MAX_PROCESSES))) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["n"] == 2


@pytest.fixture
def no_scoring(monkeypatch):
    """--output problems must be found before scoring starts (it can take minutes)."""

    def refuse(*args, **kwargs):
        raise AssertionError("scored although --output cannot be written")

    monkeypatch.setattr(harness.commands.score, "score_summaries", refuse)


def test_output_into_a_missing_folder(files, capsys, no_scoring):
    out = files / "missing" / "score.json"
    _one_error_line(capsys, main(_summary(files, "--output", str(out))),
                    f"Error: {out}: --output: the folder {files / 'missing'} does not exist; create it first")
    assert not (files / "missing").exists()


def test_output_onto_an_existing_folder(files, capsys, no_scoring):
    (files / "results").mkdir()
    _one_error_line(capsys, main(_summary(files, "--output", str(files / "results"))),
                    f"Error: {files / 'results'}: --output: is a folder; give a file path, e.g. {files / 'results' / 'score.json'}")
    assert list((files / "results").iterdir()) == []


def test_output_under_a_file(files, capsys, no_scoring):
    out = files / "pred.txt" / "score.json"
    _one_error_line(capsys, main(_summary(files, "--output", str(out))), f"Error: {out}: --output: {files / 'pred.txt'} is a file, not a folder")


def test_output_in_a_folder_this_user_cannot_write(files, capsys, no_scoring, monkeypatch):
    # os.access as a non-root user sees it; root may write anywhere, so it is simulated here
    folder = files / "ro"
    folder.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **k: False if os.fspath(path) == os.fspath(folder) else real(path, mode, *a, **k))
    _one_error_line(capsys, main(_summary(files, "--output", str(folder / "score.json"))), "--output: not writable")


def test_output_overwrites_an_existing_file(files, capsys):
    out = files / "score.json"
    out.write_text("old")
    assert main(_summary(files, "--output", str(out))) == 0, capsys.readouterr().err
    assert json.loads(out.read_text())["n"] == 2


def _prose(chars: int) -> str:
    sentences = "Seoul and Tokyo will meet in Singapore. The talks resume in June. Japan agreed. "
    return (sentences * (chars // len(sentences) + 1))[:chars]


def test_a_two_megabyte_line_without_spaces_is_refused_at_once(files, capsys):
    (files / "pred.txt").write_text("short\n" + "x" * 2_000_000 + "\n")
    started = time.monotonic()
    code = main(_summary(files))
    _one_error_line(capsys, code, f"Error: {files / 'pred.txt'}: line 2: 2,000,000 characters; a summary line may hold at most {MAX_LINE_CHARS:,}")
    assert time.monotonic() - started < 10


def test_a_long_reference_line_is_named_too(files, capsys):
    (files / "ref.txt").write_text("The talks.\n" + _prose(MAX_LINE_CHARS + 1) + "\n")
    _one_error_line(capsys, main(_summary(files)), f"Error: {files / 'ref.txt'}: line 2: {MAX_LINE_CHARS + 1:,} characters")


def test_rouge_lsum_with_pysbd_has_a_lower_limit(files, capsys):
    """pysbd's time grows with the square of the line: 2 MB of prose would take about 20 minutes."""
    (files / "pred.txt").write_text("Seoul hosts the talks.\n" + _prose(2_000_000) + "\n")
    started = time.monotonic()
    code = main(_summary(files, "--rouge-types", "rouge1,rougeLsum"))
    _one_error_line(capsys, code, f"Error: {files / 'pred.txt'}: line 2: 2,000,000 characters; rougeLsum with --sentence-split pysbd "
                    f"takes at most {MAX_PYSBD_LINE_CHARS:,} characters per line", "--sentence-split newline")
    assert time.monotonic() - started < 10


def test_a_long_line_scores_quickly_without_pysbd(files, capsys):
    long_line = _prose(MAX_PYSBD_LINE_CHARS * 3)
    (files / "pred.txt").write_text("Seoul hosts the talks.\n" + long_line + "\n")
    started = time.monotonic()
    code = main(_summary(files, "--rouge-types", "rouge1,rougeL,rougeLsum", "--sentence-split", "newline"))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out)["n"] == 2
    assert time.monotonic() - started < 30  # about 1 s on one core


def test_the_limits_are_inclusive():
    from harness.commands.score import _check_lengths
    from harness.metrics.rouge import RougeOptions

    _check_lengths("p.txt", ["x" * MAX_LINE_CHARS], RougeOptions(("rouge1",)))
    _check_lengths("p.txt", ["x" * MAX_PYSBD_LINE_CHARS], RougeOptions(("rougeLsum",)))
    with pytest.raises(harness.commands.score.HarnessError, match="p.txt: line 1: 100,001 characters"):
        _check_lengths("p.txt", ["x" * (MAX_PYSBD_LINE_CHARS + 1)], RougeOptions(("rougeLsum",)))
