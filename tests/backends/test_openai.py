"""`backend: openai` against a real `transformers serve` of the tiny test model: the same greedy
outputs as the in-process hf backend, concurrency that changes nothing but speed, the cache,
usage-based efficiency, honest one-line errors, retries, a launched server killed mid-run and
the resumed re-run. Only the 401 and the 500s come from stand-ins (tests/served.py says why)."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from pathlib import Path

import pytest
import yaml

from harness.backends.openai_api import BACKOFF_MAX_SECONDS, backoff_seconds
from harness.task_config import DEFAULT_QA

from conftest import ROOT
from helpers import EVAL_SET, cli, hf, only_run_dir, read_report, write_run
from served import child_servers, faulty_proxy_handler, free_port, http_stub, kill_group, port_answers, refusing_handler, serve_command, transformers_serve

MAX_MODEL_LEN = 1024


@pytest.fixture(scope="module")
def server(tiny_models, tmp_path_factory):
    """One real server for the module, with a context limit to test over-long prompts against."""
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with transformers_serve(tiny_models["causal"], "--max-model-len", str(MAX_MODEL_LEN), log=log) as base_url:
        yield base_url


def said(result) -> str:
    return result.stdout + result.stderr


def served(name: str, base_url: str, folder: Path, **extra) -> dict:
    return {"name": name, "backend": "openai", "base_url": base_url, "model": str(folder), **extra}


def outputs(predictions: list[dict], model: str) -> dict:
    return {(p["article_id"], p["task"], p["item_id"]): p["raw_output"] for p in predictions if p["model"] == model}


def test_greedy_outputs_equal_the_hf_backend_on_both_apis_and_any_concurrency(server, tiny_models, tmp_path):
    causal = tiny_models["causal"]
    config = write_run(tmp_path, [
        hf("hf-chat", causal),
        served("served-chat", server, causal, concurrency=1),
        served("served-chat-4", server, causal, concurrency=4),
        # the same folder without its chat template on the hf side = the raw prompt on /v1/completions
        hf("hf-plain", causal, chat_template=False),
        served("served-completions", server, causal, api="completions", concurrency=3),
    ])
    result = cli("--config", str(config), "--no-cache")
    assert result.returncode == 0, said(result)
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    chat = outputs(predictions, "hf-chat")
    assert len(chat) == 5 and len(set(chat.values())) > 1  # 2 summaries + 3 answers, not all alike
    assert outputs(predictions, "served-chat") == chat
    assert outputs(predictions, "served-chat-4") == chat
    assert outputs(predictions, "served-completions") == outputs(predictions, "hf-plain")
    models = {m["name"]: m for m in report["models"]}
    efficiency = models["served-chat-4"]["efficiency"]["served"]
    assert efficiency["requests"] == 5 and efficiency["retries"] == 0 and efficiency["usage_missing"] == 0
    assert efficiency["concurrency"] == 4 and 1 <= efficiency["concurrency_reached"] <= 4
    assert models["served-chat"]["efficiency"]["served"]["concurrency_reached"] == 1
    # the server's usage agrees with the tokens the hf backend generated for the same outputs
    assert efficiency["completion_tokens"] == models["hf-chat"]["timing"]["new_tokens"] == models["served-chat-4"]["timing"]["new_tokens"]
    assert efficiency["prompt_tokens"] > 0 and efficiency["completion_tokens_per_second"] > 0
    source = models["served-chat"]["source"]
    assert source["base_url"] == server and source["api"] == "chat" and source["served"]["id"] == str(causal)
    assert "created" not in source["served"] and "status" not in source["served"]  # they change between calls
    run_dir = only_run_dir(tmp_path / "runs")
    markdown = (run_dir / "report.md").read_text()
    assert "## Served models" in markdown and "| served-chat-4 |" in markdown.split("## Served models")[1]
    assert "Served models" in (run_dir / "report.html").read_text()


def test_fewshot_examples_reach_the_server_as_the_hf_backend_renders_them(server, tiny_models, tmp_path):
    # chat: examples as prior user/assistant turns; completions: inline before the prompt
    causal = tiny_models["causal"]
    pool = ROOT / "references" / "fewshot" / "squad_examples.yaml"
    qa = {"prompt": "Article:\n{article}\n\nQuestion: {question}\nAnswer:", "max_new_tokens": 12, "fewshot": {"n": 2, "pool": str(pool)}}
    config = write_run(tmp_path, [
        hf("hf-chat", causal), served("served-chat", server, causal),
        hf("hf-plain", causal, chat_template=False), served("served-completions", server, causal, api="completions"),
    ], tasks={"qa": qa})
    result = cli("--config", str(config), "--no-cache")
    assert result.returncode == 0, said(result)
    _, predictions = read_report(only_run_dir(tmp_path / "runs"))
    assert outputs(predictions, "served-chat") == outputs(predictions, "hf-chat")
    assert outputs(predictions, "served-completions") == outputs(predictions, "hf-plain")
    sent = next(p for p in predictions if p["model"] == "served-chat" and p["task"] == "qa")["rendered_prompt"]
    assert [m["role"] for m in json.loads(sent)] == ["user", "assistant", "user", "assistant", "user"]


def test_a_rerun_against_the_same_server_generates_nothing(server, tiny_models, tmp_path, cache_dir):
    config = write_run(tmp_path, [served("served", server, tiny_models["causal"])])
    assert cli("--config", str(config), "--output-dir", str(tmp_path / "one")).returncode == 0
    assert cli("--config", str(config), "--output-dir", str(tmp_path / "two")).returncode == 0
    first, _ = read_report(only_run_dir(tmp_path / "one"))
    second, predictions = read_report(only_run_dir(tmp_path / "two"))
    assert first["models"][0]["timing"]["cached_items"] == 0
    assert second["models"][0]["timing"]["cached_items"] == 5 and second["models"][0]["timing"]["new_tokens"] == 0
    assert all(p["cached"] for p in predictions)


def test_a_wrong_model_id_is_one_line_before_the_run(server, tiny_models, tmp_path):
    config = write_run(tmp_path, [served("served", server, Path("no-such-model"))])
    result = cli("--config", str(config))
    assert result.returncode == 2 and not (tmp_path / "runs").exists()
    assert f"does not serve 'no-such-model' (it serves: {tiny_models['causal']}); set model to one of these" in said(result)
    assert len(said(result).strip().splitlines()) == 1


def test_a_server_that_is_down_is_one_line_before_the_run(tmp_path):
    config = write_run(tmp_path, [served("served", f"http://127.0.0.1:{free_port()}/v1", Path("m"), max_retries=0)])
    result = cli("--config", str(config))
    assert result.returncode == 2 and not (tmp_path / "runs").exists()
    assert "models[0]: model served (http://127.0.0.1:" in said(result) and "cannot reach the server" in said(result)
    assert len(said(result).strip().splitlines()) == 1


def test_a_model_left_out_by_models_does_not_need_its_server(tmp_path):
    config = write_run(tmp_path, [served("served", f"http://127.0.0.1:{free_port()}/v1", Path("m"), max_retries=0), {"name": "lead-1", "backend": "lead", "k": 1}])
    assert cli("--config", str(config), "--models", "lead-1").returncode == 0


def test_a_missing_api_key_variable_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_TEST_KEY", raising=False)
    config = write_run(tmp_path, [served("served", "http://127.0.0.1:9/v1", Path("m"), api_key_env="HARNESS_TEST_KEY")])
    result = cli("--config", str(config))
    assert result.returncode == 2
    assert "models[0].api_key_env: model served: the environment variable HARNESS_TEST_KEY is not set or empty" in said(result)


def test_a_401_is_one_line_and_never_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_KEY", "wrong-key")
    with http_stub(refusing_handler()) as (base_url, stub):
        config = write_run(tmp_path, [served("served", base_url, Path("m"), api_key_env="HARNESS_TEST_KEY", max_retries=4)])
        result = cli("--config", str(config))
        assert result.returncode == 2
        assert "the server refused the API key (HTTP 401); check $HARNESS_TEST_KEY" in said(result)
        assert stub.RequestHandlerClass.requests == 1  # /v1/models once: no retries
    assert len(said(result).strip().splitlines()) == 1
    assert "wrong-key" not in said(result)


def test_500_twice_then_200_is_retried_and_counted(server, tiny_models, tmp_path):
    # POST 1 is the pre-flight's one-token probe; POSTs 2 and 3 are the first item's first two tries
    with http_stub(faulty_proxy_handler(server, fail_posts={2, 3})) as (base_url, proxy):
        config = write_run(tmp_path, [served("served", base_url, tiny_models["causal"], concurrency=1, max_retries=2), hf("hf", tiny_models["causal"])])
        result = cli("--config", str(config), "--no-cache")
        assert result.returncode == 0, said(result)
        assert proxy.RequestHandlerClass.posts == 1 + 2 + 5
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    assert report["models"][0]["efficiency"]["served"]["retries"] == 2
    assert report["models"][0]["efficiency"]["served"]["requests"] == 5
    assert outputs(predictions, "served") == outputs(predictions, "hf")


def test_a_429_is_retried_after_the_servers_retry_after(server, tiny_models, tmp_path):
    # Retry-After: 0 replaces our own backoff; the answers do not change
    with http_stub(faulty_proxy_handler(server, fail_posts={2}, status=429, headers={"retry-after": "0"})) as (base_url, proxy):
        config = write_run(tmp_path, [served("served", base_url, tiny_models["causal"], concurrency=1, max_retries=1), hf("hf", tiny_models["causal"])])
        result = cli("--config", str(config), "--no-cache")
        assert result.returncode == 0, said(result)
        assert proxy.RequestHandlerClass.posts == 1 + 2 + 4
        assert proxy.RequestHandlerClass.bodies[1] == proxy.RequestHandlerClass.bodies[2]  # the same request again
    report, predictions = read_report(only_run_dir(tmp_path / "runs"))
    assert report["models"][0]["efficiency"]["served"]["retries"] == 1
    assert outputs(predictions, "served") == outputs(predictions, "hf")


def test_a_400_during_the_run_fails_that_model_and_is_never_retried(server, tiny_models, tmp_path):
    with http_stub(faulty_proxy_handler(server, fail_posts={2}, status=400)) as (base_url, proxy):
        config = write_run(tmp_path, [served("served", base_url, tiny_models["causal"], concurrency=1, max_retries=3), {"name": "lead-1", "backend": "lead", "k": 1}])
        result = cli("--config", str(config), "--no-cache")
        assert result.returncode == 1, said(result)
        refused = proxy.RequestHandlerClass.bodies[1]
        assert proxy.RequestHandlerClass.bodies.count(refused) == 1  # sent once: a 4xx is not retried
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    failed, lead = report["models"]
    assert failed["status"] == "failed" and lead["status"] == "ok"
    assert f"model served ({base_url}): HTTP 400 injected fault 400 (item " in failed["error"]
    assert "retr" not in failed["error"]  # no "after N retries"


def test_another_base_url_api_or_model_description_misses_the_cache(server, tiny_models, tmp_path, cache_dir):
    causal = tiny_models["causal"]
    runs = itertools.count()

    def cached_items(model: dict) -> int:
        folder = tmp_path / f"run{next(runs)}"
        folder.mkdir()
        config = write_run(folder, [model])
        result = cli("--config", str(config))
        assert result.returncode == 0, said(result)
        return read_report(only_run_dir(folder / "runs"))[0]["models"][0]["timing"]["cached_items"]

    assert cached_items(served("served", server, causal)) == 0
    assert cached_items(served("served", server, causal)) == 5
    assert cached_items(served("served", server, causal, api="completions")) == 0  # another API flavour
    # the same server behind another URL; then the same URL, the server describing its model otherwise
    with http_stub(faulty_proxy_handler(server, fail_posts=set())) as (base_url, proxy):
        assert cached_items(served("served", base_url, causal)) == 0
        assert cached_items(served("served", base_url, causal)) == 5
        proxy.RequestHandlerClass.owner = "someone-else"
        assert cached_items(served("served", base_url, causal)) == 0
    # and the generation parameters: another max_new_tokens for the answers misses them only
    folder = tmp_path / "longer"
    folder.mkdir()
    qa = DEFAULT_QA.model_dump(mode="json") | {"max_new_tokens": 7}
    config = write_run(folder, [served("served", server, causal)], tasks={"qa": qa})
    assert cli("--config", str(config)).returncode == 0
    timing = read_report(only_run_dir(folder / "runs"))[0]["models"][0]["timing"]
    assert timing["cached_items"] == 2  # the 2 summaries; the 3 answers are generated again


def test_a_prompt_over_the_servers_context_fails_that_model_only(server, tiny_models, tmp_path):
    long_set = json.loads(json.dumps(EVAL_SET))
    long_set["articles"][0]["text"] = " ".join(["Seoul and Tokyo will meet in Singapore."] * 300)
    config = write_run(tmp_path, [served("served", server, tiny_models["causal"]), {"name": "lead-1", "backend": "lead", "k": 1}], eval_set=long_set)
    result = cli("--config", str(config), "--no-cache")
    assert result.returncode == 1
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    failed, lead = report["models"]
    assert failed["status"] == "failed" and lead["status"] == "ok"
    assert failed["error"].startswith("generation failed: HarnessError: model served (http://127.0.0.1:")
    assert "HTTP 400 The prompt has" in failed["error"] and f"takes at most {MAX_MODEL_LEN}" in failed["error"] and "(item a1/" in failed["error"]


def test_a_launched_server_killed_mid_run_fails_the_model_and_the_rerun_resumes(tiny_models, tmp_path, cache_dir):
    port = free_port()
    many = {"articles": [{**EVAL_SET["articles"][0], "questions": [
        {"id": f"q{i}", "question": f"Question {i}: where will they meet?", "answers": ["Singapore"]} for i in range(40)
    ]}]}
    model = served("served", f"http://127.0.0.1:{port}/v1", tiny_models["causal"], concurrency=1, max_retries=1,
                   launch={"command": serve_command(tiny_models["causal"], port), "ready_url": "/health"})
    config = write_run(tmp_path, [model, {"name": "lead-1", "backend": "lead", "k": 1}], eval_set=many)

    def kill_after_some_answers():
        # the launched server logs each request; kill it (-9) once a few answers are cached
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            logs = list((tmp_path / "one").glob("*/logs/served.server.log"))
            if logs and logs[0].read_text(errors="replace").count("POST /v1/chat/completions") >= 6:
                for pid in child_servers(port):
                    kill_group(pid)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_after_some_answers)
    killer.start()
    first = cli("--config", str(config), "--output-dir", str(tmp_path / "one"))
    killer.join()
    assert first.returncode == 1, said(first)
    report, predictions = read_report(only_run_dir(tmp_path / "one"))
    killed, lead = report["models"]
    assert lead["status"] == "ok" and killed["status"] == "failed"
    assert "cannot reach the server" in killed["error"] and "after 1 retry" in killed["error"]
    log = only_run_dir(tmp_path / "one") / "logs" / "served.server.log"
    assert log.read_text(errors="replace").startswith("$ transformers serve")

    second = cli("--config", str(config), "--output-dir", str(tmp_path / "two"))
    assert second.returncode == 0, said(second)
    report, predictions = read_report(only_run_dir(tmp_path / "two"))
    timing = report["models"][0]["timing"]
    assert 5 <= timing["cached_items"] < 41  # what the killed run finished was kept
    assert len([p for p in predictions if p["model"] == "served"]) == 41
    assert not port_answers(model["base_url"])  # the run stopped the server it started
    assert child_servers(port) == []
    assert report["models"][0]["source"]["launch"][:2] == ["transformers", "serve"]


def test_launch_refuses_a_port_that_already_answers(server, tiny_models, tmp_path):
    model = served("served", server, tiny_models["causal"], launch={"command": ["true"]})
    result = cli("--config", str(write_run(tmp_path, [model])), "--no-cache")
    assert result.returncode == 1
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    assert "something already answers" in report["models"][0]["error"]


def test_launch_of_a_command_that_does_not_exist_fails_that_model(tmp_path):
    port = free_port()
    model = served("served", f"http://127.0.0.1:{port}/v1", Path("m"), launch={"command": ["no-such-server-command", "--port", str(port)]})
    result = cli("--config", str(write_run(tmp_path, [model, {"name": "lead-1", "backend": "lead", "k": 1}])))
    assert result.returncode == 1
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    assert report["models"][0]["error"] == "load failed: HarnessError: model served: launch.command cannot start (No such file or directory): no-such-server-command"
    assert report["models"][1]["status"] == "ok"


def test_launch_gives_up_when_the_server_exits(tmp_path):
    port = free_port()
    model = served("served", f"http://127.0.0.1:{port}/v1", Path("m"), launch={"command": ["sh", "-c", "echo cannot bind; exit 3"]})
    assert cli("--config", str(write_run(tmp_path, [model]))).returncode == 1
    report, _ = read_report(only_run_dir(tmp_path / "runs"))
    assert "the launched server exited with status 3 before" in report["models"][0]["error"]
    log = only_run_dir(tmp_path / "runs") / "logs" / "served.server.log"
    assert "cannot bind" in log.read_text()


@pytest.mark.parametrize("key, value, message", [
    ("base_url", "127.0.0.1:8000/v1", "base_url"),
    ("concurrency", 0, "concurrency"),
    ("api", "responses", "api"),
    ("api_key_env", "sk-123 456", "api_key_env"),
    ("launch", {"command": []}, "launch.command"),
])
def test_bad_openai_settings_are_one_line(tmp_path, key, value, message):
    model = {**served("served", "http://127.0.0.1:9/v1", Path("m")), key: value}
    result = cli("--config", str(write_run(tmp_path, [model])))
    assert result.returncode == 2 and message in said(result)


def test_backoff_is_exponential_with_jitter_and_capped():
    rng = random.Random(0)
    for attempt in range(12):
        full = min(BACKOFF_MAX_SECONDS, 0.5 * 2**attempt)
        delays = [backoff_seconds(attempt, rng) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays) and len(set(delays)) > 1
    assert backoff_seconds(3, rng, retry_after=2.0) == 2.0 and backoff_seconds(0, rng, retry_after=1e6) == 60.0


def test_the_api_key_never_reaches_the_reports(server, tiny_models, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_KEY", "sk-secret-value")
    # transformers serve ignores the key; the point is that no report or record holds it
    config = write_run(tmp_path, [served("served", server, tiny_models["causal"], api_key_env="HARNESS_TEST_KEY")])
    assert cli("--config", str(config), "--no-cache").returncode == 0
    run_dir = only_run_dir(tmp_path / "runs")
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert "sk-secret-value" not in path.read_text(errors="replace"), path
    assert yaml.safe_load(config.read_text())["models"][0]["api_key_env"] == "HARNESS_TEST_KEY"


@pytest.mark.skipif(not Path("/proc").exists(), reason="Linux only: the launched server dies with its parent through PR_SET_PDEATHSIG")
def test_a_launched_server_dies_with_a_killed_harness(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    # never ready: the harness waits for it, and is killed meanwhile
    model = served("served", f"http://127.0.0.1:{port}/v1", Path("m"),
                   launch={"command": [sys.executable, "-c", "import time; time.sleep(600)"], "ready_timeout_s": 600})
    config = write_run(tmp_path, [model])
    harness = subprocess.Popen([sys.executable, "-m", "harness", "--config", str(config)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child = None
        deadline = time.monotonic() + 120
        while child is None and time.monotonic() < deadline:
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        stat = (entry / "stat").read_text()
                    except OSError:
                        continue
                    if int(stat.rsplit(")", 1)[1].split()[1]) == harness.pid:
                        child = int(entry.name)
            time.sleep(0.05)
        assert child is not None, "the launch command never started"
    finally:
        harness.send_signal(signal.SIGKILL)
        harness.wait()
    def alive(pid: int) -> bool:
        try:  # a zombie (state Z) has died; whoever adopted it may not reap it at once
            return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(child):
        time.sleep(0.05)
    if alive(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the launched server outlived the harness")
