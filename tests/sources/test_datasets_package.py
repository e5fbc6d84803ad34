"""harness.sources.datasets: one job per module, the public names where they were, a cheap import."""

import subprocess
import sys
from pathlib import Path

import harness.sources as sources
import harness.sources.datasets as package

MODULES = ("spec", "load", "rows")


def test_one_job_per_module_each_short():
    folder = Path(package.__file__).parent
    for name in ("__init__", *MODULES):
        lines = (folder / f"{name}.py").read_text(encoding="utf-8").count("\n")
        assert lines < 300, (name, lines)
    assert not (folder.parent / "datasets_source.py").exists()


def test_public_names_are_where_they_were():
    for name in ("ColumnMap", "DatasetLoad", "DatasetSource", "articles_sha256", "describe_dataset", "load_dataset_articles", "read_dataset"):
        assert getattr(sources, name) is getattr(package, name), name
    from harness.config import DatasetSource

    assert DatasetSource is package.DatasetSource


def test_importing_the_sources_does_not_import_the_datasets_library():
    code = "import sys, harness.config, harness.sources, harness.evalset; print('datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
