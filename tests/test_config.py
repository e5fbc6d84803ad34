from pathlib import Path

import pytest

from harness.config import HFModel, LeadModel, load_config
from harness.errors import HarnessError

from conftest import ROOT


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
        (GOOD.replace("backend: lead", "backend: vllm"), "models[1].backend: unknown backend 'vllm' (available: hf, lead, openai); a model served by vllm is `backend: openai` with its base_url"),
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


HF = "{name: m, backend: hf, source: {hub: org/model}}"


@pytest.mark.parametrize(
    "text, expected",
    [
        # values that validated and failed later: the allowed range is in the schema and the message
        (GOOD + "seed: -1\n", "seed: must be a whole number from 0 to 4294967295; got -1"),
        (GOOD + f"seed: {2**32}\n", "seed: must be a whole number from 0 to 4294967295; got 4294967296"),
        (GOOD + "scoring: {rouge_types: []}\n", "scoring.rouge_types: needs at least 1 item(s), got 0; choose from rouge1, rouge2, rougeL, rougeLsum"),
        (GOOD + "scoring: {bootstrap_resamples: 0}\n", "scoring.bootstrap_resamples: must be a whole number from 1 to 1000000; got 0"),
        (GOOD + "scoring: {bootstrap_resamples: 1000000000}\n", "scoring.bootstrap_resamples: must be a whole number from 1 to 1000000"),
        (GOOD + "tasks: {summary: {prompt: '{article}', max_new_tokens: 0}}\n", "tasks.summary.max_new_tokens: must be a whole number from 1 to 32768; got 0"),
        (GOOD + "tasks: {summary: {prompt: '{article}', max_new_tokens: 100000}}\n", "tasks.summary.max_new_tokens: must be a whole number from 1 to 32768; got 100000"),
        (GOOD.replace("backend: hf,", "backend: hf, batch_size: 0,"), "models[0].batch_size: must be a whole number from 1 to 4096 or auto; got 0"),
        (GOOD.replace("backend: hf,", "backend: hf, batch_size: 100000,"), "models[0].batch_size: must be a whole number from 1 to 4096 or auto; got 100000"),
        (GOOD.replace("backend: hf,", "backend: hf, batch_size: big,"), "models[0].batch_size: must be a whole number from 1 to 4096 or auto; got 'big'"),
        # messages name the key path and what is allowed there
        (GOOD.replace("backend: hf,", ""), "models[0].backend: required key is missing; set it to one of: hf, lead"),
        (GOOD + "gates: {summary.rougeL: {max_drop: 0.1, colour: red}}\n",
         'gates["summary.rougeL"].colour: unknown key; allowed keys here: max_drop, min, require_significance'),
        (GOOD + "executor: {ray: {colour: red}}\n",
         "executor.ray.colour: unknown key; allowed keys here: address, num_workers, gpus_per_worker, cpus_per_worker, shard_size"),
        (GOOD + "executor: {colour: red}\n", "executor.colour: unknown key; allowed keys here: ray"),
        (GOOD + "gates: {summary.rougeX: {min: 0.1}}\n",
         "gates: gate 'summary.rougeX': summary has no metric 'rougeX'; summary gates take rouge1, rouge2, rougeL, rougeLsum"),
        (GOOD + "scoring: {rouge_types: [rouge1]}\ngates: {summary.rougeL: {min: 0.1}}\n",
         "summary has no metric 'rougeL'; summary gates take rouge1, fact_recall (the configured scoring.rouge_types and fact_recall)"),
        (GOOD + "gates: {qa.bleu: {min: 0.1}}\n", "gates: gate 'qa.bleu': qa has no metric 'bleu'; qa gates take exact_match, f1, contains"),
        ("eval_set: ev.yaml\nmodels: [foo]\n", "models[0]: must be a mapping of keys (key: value), got 'foo'"),
        (GOOD.replace("name: m,", "name: 5,"), 'models[0].name: must be text, got the number 5; quote the value to keep it as written, e.g. "5"'),
    ],
)
def test_bounds_and_messages_name_the_key_and_the_allowed_values(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(HarnessError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message
    for jargon in ("constrained-int", "literal[", "discriminator", "Input should be"):
        assert jargon not in message, message


def test_the_edges_of_each_range_load(tmp_path):
    config = load_config(write(tmp_path, GOOD.replace("backend: hf,", "backend: hf, batch_size: 4096,") + f"""
seed: {2**32 - 1}
scoring: {{rouge_types: [rougeL], bootstrap_resamples: 1000000}}
tasks: {{summary: {{prompt: '{{article}}', max_new_tokens: 32768}}}}
gates: {{summary.rougeL: {{min: 0.1}}, qa.contains: {{min: 0.5}}}}
"""))
    assert (config.seed, config.scoring.bootstrap_resamples, config.tasks.summary.max_new_tokens) == (2**32 - 1, 1_000_000, 32768)
    assert config.models[0].batch_size == 4096 and set(config.gates) == {"summary.rougeL", "qa.contains"}


def test_qa_gates_take_exactly_the_metrics_qa_scoring_produces():
    from harness.metrics.qa import QA_METRICS, qa_scores

    assert tuple(qa_scores("x", ["x"])[0]) == QA_METRICS
