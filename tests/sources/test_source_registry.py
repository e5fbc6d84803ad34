"""EVAL_SOURCES: load_articles and reload_articles find the source by its config key, a plugin's too."""

from types import SimpleNamespace

import pytest

from harness.errors import HarnessError
from harness.records import Article
from harness.sources import EVAL_SOURCES, SourcePlugin, articles_sha256, eval_source, load_articles, reload_articles

from helpers import EVAL_SET, write_run


def test_the_built_in_sources_answer_to_the_config_keys():
    assert EVAL_SOURCES.names()[:3] == ["eval_set", "dataset", "squad"]
    assert [eval_source(key).key for key in ("eval_set", "dataset", "squad")] == ["eval_set", "dataset", "squad"]


def test_the_yaml_eval_set_loads_and_reloads_through_the_registry(tmp_path):
    write_run(tmp_path, [], EVAL_SET)
    articles, described, warnings = load_articles(SimpleNamespace(eval_set=tmp_path / "evalset.yaml"))
    assert [a.id for a in articles] == ["a1", "a2"] and warnings == []
    assert "source" not in described and described["sha256"] == articles_sha256(articles)
    assert reload_articles(described) == articles


def _toy_load(value, config_path):
    articles = [Article(id=f"t{i}", text=f"Toy article {i}.", references=(), questions=()) for i in range(value)]
    return articles, {"path": f"toy:{value}", "sha256": articles_sha256(articles), "source": {"toy": value}}, [f"{config_path}: toy"]


@pytest.fixture
def toy_source():
    EVAL_SOURCES.register("toy", SourcePlugin("toy", load=_toy_load, reload=lambda eval_set: _toy_load(eval_set["source"]["toy"], "")[0]))
    yield
    EVAL_SOURCES.unregister("toy")


def test_a_registered_source_is_loaded_and_reloaded_by_its_key(toy_source):
    config = SimpleNamespace(eval_set=None, dataset=None, squad=None, toy=2)
    articles, described, warnings = load_articles(config, "cfg.yaml")
    assert [a.id for a in articles] == ["t0", "t1"] and warnings == ["cfg.yaml: toy"]
    assert reload_articles(described) == articles


def test_a_report_naming_an_unknown_source_is_refused():
    with pytest.raises(HarnessError, match="unknown eval-set source 'toyy'"):
        reload_articles({"path": "x", "source": {"toyy": 1}})


def test_a_config_naming_no_source_is_refused():
    with pytest.raises(HarnessError, match="cfg.yaml: set one of eval_set, dataset, squad"):
        load_articles(SimpleNamespace(eval_set=None, dataset=None, squad=None), "cfg.yaml")
