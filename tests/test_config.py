from pathlib import Path

import pytest

from conftest import ROOT
from harness.config import HFModel, LeadModel, load_config
from harness.errors import HarnessError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


GOOD = """
eval_set: ev.yaml
models:
  - {name: m, backend: hf, source: {hub: org/model}}
  - {name: lead-3, backend: lead}
"""


def test_default_config_loads_with_paths_relative_to_the_file():
    config = load_config(ROOT / "configs" / "default.yaml")
    assert config.eval_set == ROOT / "references" / "korea.yaml"
    assert config.output_dir == ROOT / "runs"
    assert [type(m) for m in config.models] == [HFModel, HFModel, LeadModel]
    assert config.models[1].chat_template is False
    # per-model task override replaces the whole block; the others fall back to the run's
    gemma, smol = config.models[1], config.models[0]
    assert config.task(gemma, "summary").prompt.startswith("Article:")
    assert config.task(smol, "summary") == config.tasks.summary
    assert config.task(gemma, "qa") == config.tasks.qa


def test_defaults_are_greedy_and_auto(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    model = config.models[0]
    assert (model.dtype, model.device, model.chat_template) == ("auto", "auto", "auto")
    assert config.tasks.qa.do_sample is False and config.scoring.use_stemmer is True
    assert config.output_dir == tmp_path / "runs"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("models: [\n", "line 2, column 1: YAML syntax error"),
        ("- a\n- b\n", "the config must be a mapping"),
        (GOOD + "colour: red\n", "colour: unknown key; allowed keys here: eval_set, dataset, squad, executor, output_dir, models, tasks, scoring, seed, gates"),
        (GOOD.replace("backend: lead", "backend: vllm"), "models[1]: Input tag 'vllm' found using 'backend' does not match any of the expected tags: 'hf', 'lead'"),
        (GOOD.replace("{hub: org/model}", "{hub: org/model, colour: 1}"), "models[0].source.colour: unknown key; allowed keys here: hub, revision, path, gguf_file, package, file, assemble"),
        (GOOD.replace("{hub: org/model}", "{hub: org/model, path: x}"), "models[0].source: set exactly one of hub, path or package"),
        (GOOD.replace("backend: lead}", "backend: lead, k: three}"), "models[1].k: Input should be a valid integer"),
        (GOOD.replace("backend: hf,", "backend: hf, dtype: float64,"), "models[0].dtype: Input should be 'auto', 'float32', 'float16' or 'bfloat16'"),
        (GOOD.replace("name: lead-3", "name: m"), "model name 'm' is used twice"),
        (GOOD.replace("eval_set: ev.yaml", ""), "set exactly one of eval_set"),
        (GOOD + "tasks: {qa: {prompt: 'Q: {question}', max_new_tokens: 5}}\n", "tasks.qa: prompt must contain {article}"),
        (GOOD + "tasks: {summary: {prompt: '{article} {bogus}', max_new_tokens: 5}}\n", "unknown placeholder(s) ['bogus']"),
    ],
)
def test_bad_configs_say_file_key_and_fix(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(HarnessError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message, message
    assert "\n" not in message


def test_missing_config_file(tmp_path):
    with pytest.raises(HarnessError, match="config file not found: .*nope.yaml"):
        load_config(tmp_path / "nope.yaml")
