"""An eval-set source that lives outside the package, found through its entry point: one file
plus a registration gives the config a new key, and a run reads its articles from it."""

import json
import sys

import pytest

from harness.cli import main

from helpers import install_fake_distribution, write_run

TOY_SOURCE = '''
"""A toy source: `lines: {path: FILE}`, one article per line of FILE, the line its own reference."""
from pathlib import Path

from harness.records import Article, Reference
from harness.sources.identity import articles_sha256
from harness.sources.plugin import SourcePlugin
from harness.strict import Strict


class LinesSource(Strict):
    path: Path


def _articles(path):
    lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    return [Article(f"line-{i}", line, (Reference("self", line),), ()) for i, line in enumerate(lines)]


def load(value, config_path):
    articles = _articles(value.path)
    description = {"path": str(value.path), "sha256": articles_sha256(articles), "articles": len(articles),
                   "references": len(articles), "questions": 0, "source": {"lines": {"path": str(value.path)}}}
    return articles, description, []


SOURCE = SourcePlugin("lines", load=load, reload=lambda eval_set: _articles(eval_set["source"]["lines"]["path"]),
                      config=LinesSource, resolve_paths=lambda value, base: LinesSource(path=base / value.path))
'''


@pytest.fixture
def toy_source(tmp_path, monkeypatch):
    install_fake_distribution(tmp_path / "site", "toy_source", TOY_SOURCE, "harness.eval_sources", "lines = toy_source:SOURCE")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield
    sys.modules.pop("toy_source", None)


def test_a_source_from_another_package_is_a_config_key(toy_source, tmp_path, capsys):
    (tmp_path / "news.txt").write_text("Seoul and Tokyo meet in June. They agreed.\nThe talks resume in Singapore.\n")
    config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}])
    text = (tmp_path / "config.yaml").read_text().replace("eval_set: evalset.yaml", "lines: {path: news.txt}")
    (tmp_path / "config.yaml").write_text(text)
    assert main(["--config", str(config), "--output-dir", str(tmp_path / "runs"), "--no-cache"]) == 0, capsys.readouterr().err
    (run_dir,) = (tmp_path / "runs").iterdir()
    report = json.loads((run_dir / "report.json").read_text())
    assert report["eval_set"]["articles"] == 2 and report["eval_set"]["source"] == {"lines": {"path": str(tmp_path / "news.txt")}}
    assert report["models"][0]["metrics"]["summary"]["rouge1"]["n"] == 2
    assert main(["report", str(run_dir)]) == 0  # reloaded through the same source
    # two sources at once is refused like any other pair, naming the new key
    (tmp_path / "config.yaml").write_text(text.replace("lines:", "eval_set: evalset.yaml\nlines:"))
    capsys.readouterr()
    assert main(["--config", str(config)]) == 2
    assert "set exactly one of eval_set (an eval-set YAML), dataset (a `datasets` dataset), lines or squad" in capsys.readouterr().err


def test_without_the_plugin_the_key_is_unknown(tmp_path, capsys):
    config = write_run(tmp_path, [{"name": "lead-1", "backend": "lead", "k": 1}])
    (tmp_path / "config.yaml").write_text((tmp_path / "config.yaml").read_text().replace("eval_set: evalset.yaml", "lines: {path: news.txt}"))
    assert main(["--config", str(config)]) == 2
    assert "lines: unknown key" in capsys.readouterr().err
