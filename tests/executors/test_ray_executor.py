"""The Ray executor on a real local Ray instance (2 CPUs, 2 workers) with the tiny causal model.

One Ray instance serves the whole module (it takes seconds to start). Outputs are compared
with the local backend's on the same requests; a worker process that dies mid-run is replaced
and its shard run again (the dying worker is injected through RayBackend's `worker_factory`).
"""

import logging
import os
import socket
from pathlib import Path

import pytest

from harness.backends.hf import HFBackend
from harness.config import HFModel, QATask, SummaryTask
from harness.errors import HarnessError
from harness.executors import RayBackend, RaySettings, Worker, check_ray_address, generate_with_ray, make_shards
from harness.prompts import build_requests
from harness.records import Article, Question, Reference, Request

ray = pytest.importorskip("ray")

TEXTS = [
    "Seoul and Tokyo will meet in Singapore. The talks resume in June.",
    "The next meeting opens later this year in Seoul. It was a two-day dialogue.",
    "Japan agreed to the plan after a long debate in Tokyo.",
    "The trilateral talks last opened in 2019 and then stopped.",
    "Officials said the ministers would discuss North Korea.",
    "A joint statement is expected at the end of the meeting.",
]


def articles() -> list[Article]:
    """Six articles with 0 to 3 questions each (so shards hold different numbers of articles)."""
    out = []
    for i, text in enumerate(TEXTS):
        questions = tuple(Question(f"q{k}", f"Question {k} about article {i}: where?", ("Seoul",)) for k in range(i % 4))
        out.append(Article(f"a{i}", text, (Reference("r", text.split(".")[0]),), questions))
    return out


def tiny_requests() -> list[Request]:
    tasks = {
        "summary": SummaryTask(prompt="Summarize:\n{article}\nSummary:", max_new_tokens=8),
        # article first: questions share the prefilled article (prefix reuse runs inside a shard)
        "qa": QATask(prompt="Article:\n{article}\n\nQuestion: {question}\nAnswer:", max_new_tokens=6),
    }
    return build_requests(articles(), tasks)


def crashing_worker(nth: int, times: int, marks: Path) -> type[Worker]:
    """A worker class whose actors exit their process on their `nth` shard, as if their node went
    away, `times` times in all (counted in files under `marks`: the actors are separate processes).

    The class is made inside this function so that Ray pickles it by value (the workers cannot
    import this test module); it uses nothing from the module.
    """

    class CrashingWorker(Worker):
        def __init__(self, model_config, seed: int):
            super().__init__(model_config, seed)
            self.shards_run = 0

        def run(self, requests):
            self.shards_run += 1
            if self.shards_run == nth and self._claim_a_crash():
                os._exit(1)
            return super().run(requests)

        @staticmethod
        def _claim_a_crash() -> bool:
            for k in range(times):
                try:  # O_EXCL: exactly one actor claims each crash
                    os.close(os.open(marks / f"crash-{k}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                    return True
                except FileExistsError:
                    continue
            return False

    return CrashingWorker


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model(tiny_models):
    return HFModel(name="tiny", backend="hf", source={"path": str(tiny_models["causal"])}, batch_size=2)


@pytest.fixture(scope="module")
def local(model):
    """The reference: the local backend's generations of the same requests."""
    backend = HFBackend(model, seed=0)
    try:
        return backend.generate(tiny_requests(), lambda _batch: None)
    finally:
        backend.close()


def same_outputs(generations, reference):
    return [(g.request.item_id, g.raw_output, g.new_tokens, g.rendered_prompt) for g in generations] == [
        (g.request.item_id, g.raw_output, g.new_tokens, g.rendered_prompt) for g in reference
    ]


def test_shards_hold_whole_articles():
    requests = tiny_requests()
    shards = make_shards(requests, 4)
    assert sorted(i for shard in shards for i in shard) == list(range(len(requests)))
    for shard in shards:
        articles_in = {requests[i].article_id for i in shard}
        for article in articles_in:  # every request of an article is in this one shard
            assert {i for i, r in enumerate(requests) if r.article_id == article} <= set(shard)
        assert len(shard) <= 4 or len(articles_in) == 1
    assert [len(s) for s in shards] == [3, 3, 4, 3]  # articles of 1, 2, 3, 4, 1, 2 requests
    assert make_shards(requests, 1000) == [list(range(len(requests)))]


def test_ray_generations_equal_local_ones(ray_cluster, model, local):
    requests = tiny_requests()
    calls = []
    result = generate_with_ray(model, 0, requests, calls.append, RaySettings(num_workers=2, shard_size=4))
    assert same_outputs(result.generations, local)
    assert [g.request for g in result.generations] == requests
    # on_batch once per shard, with that shard's generations
    shards = make_shards(requests, 4)
    assert len(calls) == len(shards) == result.shards == 4
    assert sorted(sorted(g.request.item_id + "@" + g.request.article_id for g in call) for call in calls) == sorted(
        sorted(requests[i].item_id + "@" + requests[i].article_id for i in shard) for shard in shards
    )
    assert result.retries == 0 and result.load_seconds is not None and result.load_seconds > 0
    assert result.efficiency["decode_tokens"] == sum(g.new_tokens for g in local)
    assert result.efficiency["prefill_tokens"] > 0 and result.efficiency["peak_memory_mb"] > 0
    assert result.identity["device_type"] == "cpu" and result.identity["backend"] == "hf"


def test_a_killed_worker_is_replaced_and_its_shard_rerun(ray_cluster, model, local, tmp_path):
    requests = tiny_requests()
    calls = []
    # the first worker to get its second shard exits its process (after a shard it finished)
    crashing = crashing_worker(nth=2, times=1, marks=tmp_path)
    result = generate_with_ray(model, 0, requests, calls.append, RaySettings(num_workers=2, shard_size=4), worker_factory=crashing)
    assert result.retries == 1
    assert same_outputs(result.generations, local)
    # every shard reported exactly once: nothing finished was redone
    assert len(calls) == 4
    assert sorted((g.request.article_id, g.request.item_id) for call in calls for g in call) == sorted(
        (r.article_id, r.item_id) for r in requests
    )


def test_a_shard_lost_too_often_fails_the_run(ray_cluster, model, tmp_path):
    settings = RaySettings(num_workers=1, shard_size=4, max_retries=1)
    calls = []
    # the one worker, and then its replacement, exits on its first shard: shard 0 is lost twice
    crashing = crashing_worker(nth=1, times=2, marks=tmp_path)
    with pytest.raises(RuntimeError, match=r"shard 0 \(3 requests.*lost its worker 2 times \(executor.ray.max_retries is 1\)"):
        generate_with_ray(model, 0, tiny_requests(), calls.append, settings, worker_factory=crashing)
    assert calls == []


def test_the_backend_interface_takes_the_workers_identity(ray_cluster, model, local):
    with RayBackend(model, 0, RaySettings(num_workers=2, shard_size=100)) as backend:
        assert backend.identity == HFBackend(model, 0).identity  # same machine, same libraries
        assert backend.tasks == frozenset({"summary", "qa"})
        assert backend.generate([], lambda _b: None) == [] and backend.load_seconds is None  # nothing to do: no load
        backend.warm_up()  # both workers load the model now
        assert backend.load_seconds > 0 and len(backend._snapshots) == 2
        out = backend.generate(tiny_requests(), lambda _b: None)
        assert same_outputs(out, local) and backend.load_seconds > 0
        assert backend.source_info["architecture"] == "LlamaForCausalLM"
    with pytest.raises(RuntimeError, match="another identity than the driver's"):
        generate_with_ray(model, 0, [], lambda _b: None, RaySettings(num_workers=1), identity={"device_type": "cuda"})


def test_an_error_inside_generation_is_raised_as_itself_and_not_retried(ray_cluster, tiny_models):
    broken = HFModel(name="broken", backend="hf", source={"path": str(tiny_models["breaks-in-generate"])})
    with RayBackend(broken, 0, RaySettings(num_workers=1)) as backend:
        with pytest.raises(IndexError):
            backend.generate(tiny_requests()[:2], lambda _b: None)
        assert backend.retries == 0


def test_a_model_that_does_not_load_fails_as_a_load_error(ray_cluster, tmp_path):
    missing = HFModel(name="gone", backend="hf", source={"path": str(tmp_path / "nowhere")})
    with RayBackend(missing, 0, RaySettings(num_workers=2)) as backend:
        with pytest.raises(OSError, match="nowhere"):  # transformers' own error, as in a local run
            backend.generate(tiny_requests(), lambda _b: None)
        assert backend.load_seconds is None and backend.retries == 0  # the runner says "load failed"


def test_a_worker_that_cannot_fit_on_any_node(ray_cluster, model):
    with pytest.raises(HarnessError, match=r"no node of the Ray cluster can hold a worker with 1 CPU and 1 GPU \(nodes: 2 CPU/0 GPU\)"):
        RayBackend(model, 0, RaySettings(gpus_per_worker=1))


def test_an_unreachable_address_is_one_line(model, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(HarnessError) as info:
            RayBackend(model, 0, RaySettings(address=address, connect_timeout_s=2))
        text = str(info.value)
        assert text.startswith(f"cannot reach the Ray cluster at {address} (") and "\n" not in text
        assert "start it with `ray start --head` or fix executor.ray.address" in text
    with pytest.raises(HarnessError, match="is not host:port"):
        RayBackend(model, 0, RaySettings(address="127.0.0.1:notaport"))
    # the up-front check (for the runner's prepare) needs no Ray session; $RAY_ADDRESS counts too
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    with pytest.raises(HarnessError, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        check_ray_address(RaySettings())
