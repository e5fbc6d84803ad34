"""The default eval set through `backend: openai` on a live `transformers serve` of the packaged
SmolLM2 (its converted folder), started by the run's `launch:` block: the same greedy outputs as
the in-process hf backend, item for item. Minutes on a CPU, so `make test-slow` (CI runs it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from helpers import cli, only_run_dir, read_report
from served import free_port, port_answers, serve_command


@pytest.mark.slow
def test_default_eval_set_through_transformers_serve_equals_the_hf_backend(tmp_path):
    from harness.backends.hf_config import Source
    from harness.backends.weights import resolve

    default = yaml.safe_load((ROOT / "configs" / "default.yaml").read_text())
    smollm2 = next(m for m in default["models"] if m["name"] == "smollm2-135m-instruct")
    folder = Path(resolve(Source(**smollm2["source"])).location)  # the GGUF converted once, as the hf backend loads it
    port = free_port()
    served = {
        "name": "smollm2-served",
        "backend": "openai",
        "base_url": f"http://127.0.0.1:{port}/v1",
        "model": str(folder),
        "api": "chat",
        "concurrency": 4,
        "launch": {"command": serve_command(folder, port)},
    }
    config = {
        **{k: v for k, v in default.items() if k not in ("models", "gates")},
        "eval_set": str(ROOT / "references" / "korea.yaml"),
        "output_dir": str(tmp_path / "runs"),
        "models": [smollm2, served],
    }
    path = tmp_path / "served.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    result = cli("--config", str(path), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    by_model: dict[str, dict] = {}
    for p in predictions:
        by_model.setdefault(p["model"], {})[(p["task"], p["item_id"])] = p["raw_output"]
    hf, through_server = by_model["smollm2-135m-instruct"], by_model["smollm2-served"]
    assert len(hf) == 16 and set(hf) == set(through_server)
    different = {key: (hf[key], through_server[key]) for key in hf if hf[key] != through_server[key]}
    assert different == {}, different
    models = {m["name"]: m for m in report["models"]}
    served_efficiency = models["smollm2-served"]["efficiency"]["served"]
    assert served_efficiency["requests"] == 16 and served_efficiency["retries"] == 0
    assert served_efficiency["completion_tokens"] == models["smollm2-135m-instruct"]["timing"]["new_tokens"]
    assert (only_run_dir(tmp_path / "runs") / "logs" / "smollm2-served.server.log").exists()
    assert not port_answers(served["base_url"])
