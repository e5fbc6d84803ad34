"""Orchestration only: config -> requests -> generations -> scores -> reports.

`prepare` does every check that can fail on bad input (exit 2) before anything is created:
the config and eval set, the model sources, the output folder, the `--baseline` run and the
generation cache (see harness.cache for what each broken cache gets); `execute` runs the models
one by one, so one failing model never stops the others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from harness import answerable, fewshot
from harness.backends import backend_plugin, load_backend
from harness.backends.weights import cache_dir
from harness.cache import GenerationCache, NoCache, check_cache
from harness.compare import load_side, same_scoring
from harness.config import RunConfig, load_config
from harness.errors import HarnessError
from harness.evalset import same_eval_set
from harness.progress import model_progress
from harness.prompts import build_requests
from harness.provenance import base_provenance
from harness.records import TASKS, Article, ModelResult, RunResult
from harness.report.files import new_run_dir, output_dir_problem
from harness.report.write import write_reports
from harness.run_context import run_dir_set
from harness.score_run import ModelOutputs, score_run
from harness.scoring import describe
from harness.sources import load_articles

CACHE_FILE = "generations.sqlite"


@dataclass
class Plan:
    config_path: Path
    config: RunConfig
    articles: list[Article]
    models: list
    output_dir: Path
    use_cache: bool = True
    warnings: tuple[str, ...] = ()
    eval_set_info: dict | None = None


def prepare(
    config_path: str | Path,
    output_dir: str | Path | None = None,
    only: list[str] | None = None,
    use_cache: bool = True,
    baseline: str | Path | None = None,
) -> Plan:
    """Validate everything a run needs; raises HarnessError (exit 2) and creates nothing."""
    config_path = Path(config_path)
    config = load_config(config_path)
    articles, eval_set_info, source_warnings = load_articles(config, config_path)
    if config.executor is not None:
        from harness.executors import check_ray_address

        try:
            check_ray_address(config.executor.ray)
        except HarnessError as exc:
            raise HarnessError(f"{config_path}: {exc}") from None
    models = list(config.models)
    if only:
        names = [m.name for m in models]
        unknown = [name for name in only if name not in names]
        if unknown:
            raise HarnessError(f"--models: unknown model(s) {', '.join(unknown)}; the config has: {', '.join(names)}")
        models = [m for m in models if m.name in only]
    for index, model in enumerate(config.models):
        preflight = backend_plugin(model.backend).preflight
        if preflight is not None and model in models:  # a model left out by --models is not checked (nor its server asked)
            preflight(model, f"{config_path}: models[{index}]")
    warnings = tuple(source_warnings) + tuple(
        warning for m in models if (warn := backend_plugin(m.backend).warnings) is not None for warning in warn(m, config)
    )
    fewshot.preflight(config, models, articles, config_path)  # every article's examples can be chosen
    out = _check_output_dir(Path(output_dir) if output_dir else None, config, config_path)
    if baseline is not None:
        _check_baseline(Path(baseline), config, eval_set_info)
    if use_cache:
        check_cache(cache_dir() / CACHE_FILE)
    return Plan(config_path, config, articles, models, out, use_cache, warnings, eval_set_info)


def _check_output_dir(given: Path | None, config: RunConfig, config_path: Path) -> Path:
    """The folder the run folder goes into: not a file, not under a file, writable."""
    out = given if given is not None else config.output_dir
    problem = output_dir_problem(out)
    if problem and given is not None:
        raise HarnessError(f"{out}: --output-dir: {problem}; give a folder you can write to (it is created if missing)")
    if problem:
        raise HarnessError(f"{config_path}: output_dir: {out} {problem}; set output_dir to a folder you can write to, or pass --output-dir DIR")
    return out


def _check_baseline(path: Path, config: RunConfig, eval_set_info: dict | None) -> None:
    """`--baseline` is a run folder or its report.json, readable, and comparable with this run
    (same scorer signature and eval set, as `compare` demands), so the comparison cannot fail
    after the whole run."""
    if not path.exists():
        raise HarnessError(f"{path}: --baseline: no such file or folder; give a run folder or its report.json")
    if path.is_file() and path.name != "report.json":
        raise HarnessError(f"{path}: --baseline: not a report.json; give a run folder or its report.json")
    try:
        report = load_side(path).report  # what `compare` will read after the run
    except HarnessError as exc:
        raise HarnessError(f"{exc} (--baseline {path})") from None
    problems = []
    scoring, eval_set = report.get("scoring"), report.get("eval_set")
    signature = describe(config.scoring, config.seed)["signature"]
    if isinstance(scoring, dict) and not same_scoring(scoring.get("signature"), signature):
        problems.append(f"scorer signatures differ ({scoring.get('signature')} vs {signature})")
    if isinstance(eval_set, dict) and eval_set_info is not None and not same_eval_set(eval_set, eval_set_info):
        problems.append(f"eval sets differ (sha256 {str(eval_set.get('sha256'))[:12]} vs {str(eval_set_info.get('sha256'))[:12]})")
    if problems:
        raise HarnessError(
            f"{path}: --baseline: not comparable with this run: {'; '.join(problems)}; "
            "give a baseline made with the same scoring options and eval set"
        )


def execute(plan: Plan, console: Console, checkpoint=None) -> tuple[RunResult, Path]:
    """Run every model, write the reports, return the run and its folder.

    `checkpoint()` is called before each model and before the run is marked complete; it raises
    KeyboardInterrupt when a Ctrl-C was swallowed somewhere (say, by a finaliser) meanwhile."""
    checkpoint = checkpoint or (lambda: None)
    config = plan.config
    provenance = base_provenance(plan.config_path, config.hash(), config.seed)
    run = RunResult(
        provenance=provenance,
        config=config.model_dump(mode="json"),
        scoring=describe(config.scoring, config.seed),
        eval_set=plan.eval_set_info or {},
        articles=plan.articles,
        models=[],
    )
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    # the cache before the run folder: a cache that cannot be opened leaves no folder behind
    cache = GenerationCache(cache_dir() / CACHE_FILE) if plan.use_cache else NoCache()
    run_dir = None

    def failed(result: ModelResult, exc: Exception) -> None:
        # the model loads lazily, on the first request that is not cached
        _failed(result, "load" if result.load_seconds is None else "generation", exc, console)

    try:
        checkpoint()
        run_dir = new_run_dir(plan.output_dir, plan.config_path.stem)
        for model in plan.models:
            checkpoint()
            with run_dir_set(run_dir):  # a launched server's log goes into the run folder
                result, outputs = _run_model(model, plan, cache, console)
            # scored as soon as it is done: an interrupted run reports every model it lists scored
            score_run(run, config, outputs, failed, pairwise=False)
            run.models.append(result)
        checkpoint()
        with run_dir_set(run_dir):  # the reader reads every summary once all are written (scoring.answerable_from_summary)
            answerable.run_phase(plan, run, cache, console, _load, _generate)
        checkpoint()
        provenance["complete"] = True
        score_run(run, config, [], failed)  # every model is scored: now the pairwise differences
    except KeyboardInterrupt:
        # keep what finished: the reports say the run is incomplete, then the interrupt goes on
        provenance["complete"] = False
        if run_dir is not None:
            write_reports(run, run_dir)
        raise
    finally:
        cache.close()
    write_reports(run, run_dir)
    return run, run_dir


def _run_model(model, plan: Plan, cache, console: Console) -> tuple[ModelResult, list[ModelOutputs]]:
    """The model's result (its status, source, timings) and its outputs for `score_run`: one
    entry, or none when it failed (then the result says why)."""
    result = ModelResult(name=model.name, backend=model.backend)
    try:
        backend = _load(model, plan)
    except Exception as exc:  # one model's failure is recorded; the others still run
        return _failed(result, "load", exc, console), []
    result.source = backend.source_info
    try:
        tasks = {task: plan.config.task(model, task) for task in TASKS if task in backend.tasks}
        requests = build_requests(plan.articles, tasks)
        fit = getattr(backend, "fit_to_window", None)  # backends with a context window count every prompt first
        try:
            requests = fit(requests) if fit else requests
        except HarnessError as exc:
            return _failed(result, "context window check", exc, console), []
        result.truncated_items = sum(1 for r in requests if r.truncated_tokens)
        generations = _generate(backend, requests, model.name, cache, result, console)
        # rounded as report.json stores them, so a report rebuilt from it reads the same
        result.load_seconds = None if backend.load_seconds is None else round(backend.load_seconds, 3)
        result.efficiency = backend.efficiency.as_dict()
    except Exception as exc:
        # the model loads lazily, on the first request that is not cached
        return _failed(result, "load" if backend.load_seconds is None else "generation", exc, console), []
    finally:
        backend.close()
    return result, [ModelOutputs(result, generations, backend.tasks)]


def _load(model, plan: Plan):
    """The model's backend: in this process, or on Ray workers with `executor: {ray: ...}`."""
    executor = plan.config.executor
    if executor is not None and backend_plugin(model.backend).ray:
        from harness.executors import RayBackend

        return RayBackend(model, plan.config.seed, executor.ray)  # identity: the workers'
    return load_backend(model, plan.config.seed)


def _generate(backend, requests, name: str, cache, result: ModelResult, console: Console):
    """Cached outputs first; the rest from the model, each batch cached as soon as it is done."""
    cached = cache.lookup(backend.identity, requests)
    missing = [r for i, r in enumerate(requests) if i not in cached]
    loaded_before = backend.load_seconds or 0.0
    started = time.perf_counter()
    with model_progress(console, name, len(requests), done=len(cached)) as advance:

        def on_batch(generations):
            cache.store(backend.identity, generations)
            advance(len(generations), sum(g.new_tokens for g in generations))

        fresh = iter(backend.generate(missing, on_batch))
    # a model that loads lazily inside generate() (hf): that load time is not generation time
    elapsed = time.perf_counter() - started - ((backend.load_seconds or 0.0) - loaded_before)
    result.generation_seconds = round(elapsed, 3) if missing else 0.0
    generations = [cached[i] if i in cached else next(fresh) for i in range(len(requests))]
    result.cached_items = len(cached)
    result.new_tokens = sum(g.new_tokens for g in generations if not g.cached)
    return generations


def _failed(result: ModelResult, stage: str, exc: Exception, console: Console) -> ModelResult:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    result.status = "failed"
    result.error = f"{stage} failed: {type(exc).__name__}: {message}"[:500]
    result.items, result.metrics = [], {}
    console.print(f"[red]{result.name}: {result.error}[/red]", highlight=False)
    return result


def exit_code(run: RunResult) -> int:
    """0 when every model ran (however it scored), 1 when at least one failed."""
    return 1 if any(m.status != "ok" for m in run.models) else 0
