"""The shipped default config on the real packaged models (SmolLM2, Gemma-3, Lead-3): minutes."""

import pytest

from helpers import only_run_dir, read_report, run_cli


@pytest.mark.slow
def test_default_config_end_to_end_on_the_real_models(tmp_path):
    # a real process: the one smoke run of the shipped config as a user starts it (from the repository root)
    result = run_cli("--config", "configs/default.yaml", "--output-dir", str(tmp_path))
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    report, predictions = read_report(only_run_dir(tmp_path))
    models = {m["name"]: m for m in report["models"]}
    assert set(models) == {"smollm2-135m-instruct", "gemma-3-270m", "lead-3"}
    for name, model in models.items():
        assert model["status"] == "ok", (name, model["error"])
        for metric in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
            value = model["metrics"]["summary"][metric]
            assert value["n"] == 1 and 0 <= value["mean"] <= 1, (name, metric)
    for name in ("smollm2-135m-instruct", "gemma-3-270m"):
        qa = models[name]["metrics"]["qa"]
        assert qa["f1"]["n"] >= 12 and all(0 <= qa[m]["mean"] <= 1 for m in ("exact_match", "f1", "contains"))
        assert models[name]["source"]["gguf_sha256"]
        assert models[name]["timing"]["new_tokens_per_second"] > 0
    assert models["lead-3"]["metrics"]["qa"] is None
    assert len(predictions) == 2 * (1 + 15) + 1
