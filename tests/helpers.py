"""Writing small configs and eval sets for tests."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import yaml

from conftest import ROOT

EVAL_SET = {
    "articles": [
        {
            "id": "a1",
            "text": "Seoul and Tokyo will meet in Singapore. The talks resume in June. Japan agreed.",
            "references": [{"id": "r1", "text": "Seoul and Tokyo meet in Singapore in June."}],
            "questions": [
                {"id": "q1", "question": "Where will they meet?", "answers": ["Singapore"]},
                {"id": "q2", "question": "When do the talks resume?", "answers": ["June", "in June"]},
            ],
        },
        {
            "id": "a2",
            "text": "The next meeting opens later this year in Seoul.\nIt was a two-day dialogue.",
            "references": [{"id": "r1", "text": "The next meeting is in Seoul."}, {"id": "r2", "text": "Seoul hosts next."}],
            "questions": [{"id": "q1", "question": "Where is the next meeting?", "answers": ["Seoul"]}],
        },
    ]
}


def write_run(tmp: Path, models: list[dict], eval_set: dict | None = None, **extra) -> Path:
    """A config and eval set in `tmp`; returns the config path."""
    (tmp / "evalset.yaml").write_text(yaml.safe_dump(eval_set or EVAL_SET, sort_keys=False))
    config = {"eval_set": "evalset.yaml", "output_dir": "runs", "models": models, **extra}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def hf(name: str, folder: Path, **extra) -> dict:
    return {"name": name, "backend": "hf", "source": {"path": str(folder)}, **extra}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, as a user runs it: only for what needs a real process
    (kill -9, Ctrl-C, resume after a kill, what a process prints on exit, the smoke runs);
    everything else uses `cli`, in this process, which saves the interpreter and import start-up."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=900
    )


@dataclass
class Result:
    """What `cli` gives: the fields of a subprocess.CompletedProcess that the tests read."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def _exit_status(code) -> int:
    """The exit status `raise SystemExit(code)` gives a process."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # as the interpreter does with a non-integer code
    return 1


def cli(*args, cwd: Path | None = None) -> Result:
    """`python -m harness ARGS` in this process: `harness.cli.main` with stdout and stderr captured,
    run from `cwd` (default ROOT, as `run_cli`) and back. The environment is this process's own,
    so a monkeypatched HARNESS_CACHE_DIR applies. Like the interpreter, SystemExit (argparse:
    --help, --version, usage errors) gives its exit status, and an uncaught exception is printed
    as a traceback on stderr with exit status 1."""
    from harness.cli import main

    argv = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = _exit_status(exc.code)
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(before)
    return Result(argv, code, out.getvalue(), err.getvalue())


def only_run_dir(output_dir: Path) -> Path:
    runs = sorted(p for p in output_dir.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0]


def read_report(run_dir: Path) -> tuple[dict, list[dict]]:
    report = json.loads((run_dir / "report.json").read_text())
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines()]
    return report, predictions


def install_fake_distribution(site: Path, module: str, source: str, group: str, entry: str) -> None:
    """Write `module`.py and a dist-info with one entry point (`entry` = "name = module:attr" in
    `group`) into the folder `site`, as pip would leave an installed plugin; the caller puts
    `site` on sys.path (monkeypatch.syspath_prepend) so importlib.metadata finds it."""
    import textwrap

    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n")


def register_backend_module(tmp_path: Path, monkeypatch, name: str, source: str):
    """Write `source` (a module defining PLUGIN) as `<name>_backend.py`, make it importable and
    register it as backend `name` for one test, alone in the registry; a generator for a fixture."""
    import textwrap

    from harness.backends import BACKENDS

    module = f"{name}_backend"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(BACKENDS, "_registered", {})
    BACKENDS.register(name, f"{module}:PLUGIN")
    yield
    sys.modules.pop(module, None)
