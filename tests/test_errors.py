from harness.cli import main
from harness.errors import one_line


def test_one_line_writes_every_line_break_as_its_escape():
    assert one_line("a\nb\rc\u2028d\x85e") == "a\\nb\\rc\\u2028d\\x85e"
    assert len(one_line("x\r\ny\x0b\x0c\x1c\x1d\x1e\u2029z").splitlines()) == 1


def test_a_key_with_a_line_break_still_gives_one_error_line(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text('{"models": [{"name": "l", "backend": "lead"}], "eval_set": "e.yaml", "x\\ry": 1}')
    assert main(["--config", str(tmp_path / "config.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "x\\ry" in err
