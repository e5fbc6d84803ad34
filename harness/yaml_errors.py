"""Reading user YAML files and turning their problems into one-line messages.

Shared by the config and the eval-set loaders, so both speak the same way:
`<file>: <key.path>: <what is wrong>; <what is allowed>`.
"""

from __future__ import annotations

import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError


def read_yaml(path: Path, what: str):
    """Parse a YAML file or raise a one-line HarnessError (missing file, syntax error)."""
    if not path.is_file():
        raise HarnessError(f"{what} file not found: {path} (check the path; relative paths start at the file that names them)")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise HarnessError(f"{path}:{where}: YAML syntax error: {problem}") from None
    except UnicodeDecodeError:
        raise HarnessError(f"{path}: not UTF-8 text; save the file as UTF-8") from None


def describe_validation_error(path: Path, exc: ValidationError, schema: type[BaseModel]) -> str:
    """The first validation error as `file: key.path: message`, plus how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc, cls = _walk(schema, first["loc"])
    key = _format_loc(loc) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(cls.model_fields) if cls else "see README"
        message = f"unknown key; allowed keys here: {allowed}"
    elif first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "too_short":
        context = first.get("ctx", {})
        message = f"needs at least {context.get('min_length')} item(s), got {context.get('actual_length')}"
    elif first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{path}: {key}: {message}{more}"


def _format_loc(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(schema, loc):
    """Follow an error location through the schema.

    Returns the location without pydantic's union tags (so `models[0].hf.source` reads
    `models[0].source`) and the model class that owns the last key, for "allowed keys" lists.
    """
    clean = []
    current = schema  # the annotation at the current position
    owner = None
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            field = current.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                clean.append(part)
                current = None
                continue
            clean.append(part)
            current = field.annotation
        elif isinstance(part, int) and typing.get_origin(current) in (tuple, list):
            clean.append(part)
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is typing.Union and isinstance(part, str):
            # a tagged union: pydantic puts the tag (e.g. 'hf') in the location
            tagged = [a for a in typing.get_args(current) if _tag(a) == part]
            if tagged:
                current = tagged[0]
            else:
                clean.append(part)
                current = None
        else:
            clean.append(part)
            current = None
    last = _unwrap(current)
    if isinstance(last, type) and issubclass(last, BaseModel):
        owner = last
    return clean, owner


def _unwrap(annotation):
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
            else:
                return annotation
        else:
            return annotation


def _tag(cls) -> str | None:
    field = getattr(cls, "model_fields", {}).get("backend")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None
