"""A backend that lives outside the package, found through its entry point: one file plus a
registration, and it runs through the real CLI into every report."""

import json
import sys
import textwrap

import pytest

from harness.cli import main

from helpers import EVAL_SET, install_fake_distribution, write_run

TOY_MODULE = '''
"""A toy backend: answers every request with one configured word."""
from typing import Literal

from harness.backends.efficiency import Efficiency
from harness.backends.plugin import BackendPlugin, ModelConfigBase
from harness.records import Generation


class ToyModel(ModelConfigBase):
    backend: Literal["toy"]
    word: str = "Singapore"


class ToyBackend:
    tasks = frozenset({"summary", "qa"})
    load_seconds = 0.0

    def __init__(self, config, seed):
        self.identity = {"backend": "toy", "word": config.word}
        self.source_info = {"toy": config.word}
        self.efficiency = Efficiency()

    def generate(self, requests, on_batch):
        out = [Generation(r, self.identity["word"], 1, 0.0) for r in requests]
        on_batch(out)
        return out

    def close(self):
        pass


PLUGIN = BackendPlugin("toy", ToyModel, load=ToyBackend)
'''


@pytest.fixture
def toy_distribution(tmp_path, monkeypatch):
    """An installed distribution `toy-harness-plugin` with one entry point, as pip would leave it."""
    site = tmp_path / "site"
    install_fake_distribution(site, "toy_backend", TOY_MODULE, "harness.backends", "toy = toy_backend:PLUGIN")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("toy_backend", None)


def test_a_backend_from_another_package_runs_into_every_report(toy_distribution, tmp_path, capsys):
    from harness.backends import BACKENDS

    assert "toy" in BACKENDS.names()
    config = write_run(tmp_path, [{"name": "toy-1", "backend": "toy", "word": "Singapore"}, {"name": "lead-1", "backend": "lead", "k": 1}],
                       EVAL_SET)
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    toy = next(m for m in report["models"] if m["name"] == "toy-1")
    assert toy["status"] == "ok" and toy["backend"] == "toy" and toy["source"] == {"toy": "Singapore"}
    assert toy["metrics"]["qa"]["exact_match"]["mean"] == pytest.approx(1 / 3)  # "Singapore" is right for q1 only
    assert report["config"]["models"][0] == {"name": "toy-1", "backend": "toy", "word": "Singapore"}
    assert "toy-1" in (run_dir / "report.md").read_text() and "toy-1" in (run_dir / "report.html").read_text()
    # the run folder reads back (rescore validates the config through the same registry)
    assert main(["rescore", str(run_dir), "--output-dir", str(tmp_path / "rescored")]) == 0


def test_an_unknown_backend_names_the_installed_ones(toy_distribution, tmp_path, capsys):
    config = write_run(tmp_path, [{"name": "m", "backend": "tyo"}], EVAL_SET)
    assert main(["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "models[0].backend: unknown backend 'tyo'; did you mean 'toy'? (available: hf, lead, openai, toy)" in err


def test_register_at_run_time_without_an_entry_point(tmp_path, capsys, monkeypatch):
    from harness.backends import BACKENDS

    (tmp_path / "toy_backend.py").write_text(textwrap.dedent(TOY_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(BACKENDS, "_registered", {})
    BACKENDS.register("toy", "toy_backend:PLUGIN")  # a "module:attribute" string, imported on first use
    try:
        config = write_run(tmp_path, [{"name": "toy-2", "backend": "toy", "word": "June"}], EVAL_SET)
        assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
        (run_dir,) = (tmp_path / "runs").iterdir()
        (toy,) = json.loads((run_dir / "report.json").read_text())["models"]
        assert toy["metrics"]["qa"]["exact_match"]["mean"] == pytest.approx(1 / 3)  # "June" is right for q2 only
    finally:
        sys.modules.pop("toy_backend", None)
