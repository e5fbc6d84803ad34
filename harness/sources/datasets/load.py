"""Reading a dataset's split with the `datasets` library: local files or the hub.

Every failure of `datasets` (a missing file, an unreadable one, no hub access, an unknown
dataset, split or config) becomes a one-line HarnessError that names the key and the fix.
`datasets` is imported only here, and only when a split is read.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from harness.errors import HarnessError
from harness.sources.datasets.spec import DatasetSource, describe_source

_EXTENSIONS = {".json": "json", ".jsonl": "json", ".ndjson": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zst", ".lz4")
_OFFLINE_ENV = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


def _offline() -> bool:
    return any(os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE") for name in _OFFLINE_ENV)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quiet_datasets():
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    return datasets


def infer_format(files: tuple[Path, ...], where: str = "dataset") -> str:
    """json, csv or parquet from the files' extensions (a compression suffix is looked through)."""
    found = set()
    for file in files:
        name = file.name.lower()
        for suffix in _COMPRESSION:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        fmt = _EXTENSIONS.get(Path(name).suffix)
        if fmt is None:
            raise HarnessError(
                f"{where}: files: cannot tell the format of {file} from its extension; "
                "set format: json, csv or parquet (.json/.jsonl, .csv, .parquet are recognised)"
            )
        found.add(fmt)
    if len(found) > 1:
        raise HarnessError(f"{where}: files: mixed formats ({', '.join(sorted(found))}); use files of one format per dataset")
    return found.pop()


def _local_files(spec: DatasetSource, where: str) -> list[str]:
    out: list[str] = []
    for file in spec.files or ():
        text = str(file)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text))
            if not matches:
                raise HarnessError(f"{where}: files: no file matches {text} (relative paths start at the config file)")
            out.extend(matches)
            continue
        if not file.is_file():
            raise HarnessError(f"{where}: files: file not found: {file} (relative paths start at the config file)")
        out.append(text)
    for name in out:
        if os.path.getsize(name) == 0:
            raise HarnessError(f"{where}: files: {name} is empty; the split {spec.split!r} has no rows")
    return out


def load_split(spec: DatasetSource, where: str, cache_dir):
    datasets = _quiet_datasets()
    kwargs = {"cache_dir": str(cache_dir)} if cache_dir is not None else {}
    if spec.files is not None:
        files = _local_files(spec, where)
        fmt = spec.format or infer_format(tuple(Path(f) for f in files), where)
        if spec.field is not None:
            if fmt != "json":
                raise HarnessError(f"{where}: field: goes with json files, these are {fmt}")
            kwargs["field"] = spec.field
        try:
            return datasets.load_dataset(fmt, data_files={spec.split: files}, split=spec.split, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line naming the files
            cause = exc.__cause__ or exc.__context__ or exc
            detail = _first_line(cause if isinstance(exc, datasets.exceptions.DatasetGenerationError) else exc)
            if "corresponds to no data" in detail or isinstance(exc, StopIteration):
                raise HarnessError(f"{where}: split {spec.split!r} of {describe_source(spec)} has no rows; pick other files") from None
            raise HarnessError(f"{where}: files: cannot read {describe_source(spec)} as {fmt}: {detail}") from None
    try:
        return datasets.load_dataset(spec.hub, spec.config, split=spec.split, revision=spec.revision, **kwargs)
    except Exception as exc:  # noqa: BLE001
        raise HarnessError(_hub_error(spec, exc, where, datasets)) from None


def _hub_error(spec: DatasetSource, exc: Exception, where: str, datasets) -> str:
    detail = _first_line(exc)
    fix = "set up hub access (network to huggingface.co, HF_TOKEN for gated sets) or download the data and use `files:`"
    connection = isinstance(exc, (ConnectionError, TimeoutError)) or any(
        word in type(exc).__name__ for word in ("Connection", "Offline", "Timeout", "LocalEntryNotFound")
    )
    if connection or _offline():
        offline = " (offline: HF_HUB_OFFLINE/HF_DATASETS_OFFLINE is set)" if _offline() else ""
        return f"{where}: hub: cannot reach the Hugging Face hub for dataset {spec.hub!r}{offline}: {detail}; {fix}"
    if isinstance(exc, datasets.exceptions.DatasetNotFoundError):
        return f"{where}: hub: dataset {spec.hub!r} not found on the hub: {detail}; check the name (and HF_TOKEN for a private or gated set)"
    if "split" in detail.lower() and spec.split in detail:
        return f"{where}: split: {detail}"
    if "config" in detail.lower():
        return f"{where}: config: {detail}"
    return f"{where}: hub: cannot load dataset {spec.hub!r}: {type(exc).__name__}: {detail}"
