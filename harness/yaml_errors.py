"""Reading user YAML files and turning their problems into one-line messages.

Shared by the config and the eval-set loaders, so both speak the same way:
`<file>: <key.path>: <what is wrong>; <what is allowed>`.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError
from harness.textfile import FileMessages, read_text

SERVER_NAMES = ("vllm", "sglang", "tgi", "llama.cpp", "llamacpp", "llama-cpp", "ollama", "lmstudio")
"""Servers users name as a backend; each speaks the OpenAI API."""


def read_yaml(path: Path, what: str):
    """Parse a YAML file or raise a one-line HarnessError (missing, not a file, syntax error)."""
    text = read_text(path, FileMessages(
        missing=f"{what} file not found: {{path}}{{link}} (check the path; relative paths start at the file that names them)",
        not_utf8="{path}: not UTF-8 text; save the file as UTF-8",
        unreadable=f"{{path}}: cannot open the {what} file ({{error}}); give the path of a readable YAML file",
        folder=f"{{path}}: is a folder; give the path of the {what} YAML file",
        special=f"{{path}}: is not a regular file (a FIFO, socket or device); give the path of the {what} YAML file",
    ))
    try:
        return yaml.safe_load(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, most controls)
        before = text[: exc.position]
        where = f"line {before.count(chr(10)) + 1}, column {exc.position - (before.rfind(chr(10)) + 1) + 1}"
        raise HarnessError(f"{path}: {where}: YAML syntax error: character U+{exc.character:04X} is not allowed in YAML; remove it") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise HarnessError(f"{path}:{where}: YAML syntax error: {problem}") from None


def describe_validation_error(path: Path, exc: ValidationError, schema: type[BaseModel]) -> str:
    """The first validation error as `file: key.path: message`, plus how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = _walk(schema, first["loc"])
    key = _format_loc(where.loc) or "(top level)"
    message = first["msg"]
    kind = first["type"]
    if where.union is not None:
        # a plain union (e.g. batch_size: a number or auto): pydantic reports one error per
        # member, under member tags such as 'constrained-int'; say what the key takes instead
        message = f"must be {_describe(where.union, ())}; got {_shown(first.get('input'))}"
    elif kind == "extra_forbidden":
        allowed = ", ".join(where.owner.model_fields) if where.owner else "see README"
        message = f"unknown key; allowed keys here: {allowed}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_not_found":
        # a tagged union (models: backend) without its tag
        tag = str(first.get("ctx", {}).get("discriminator", "")).strip("'\"")
        values = [t for t in (_tag(a, tag) for a in typing.get_args(_unwrap(where.annotation))) if t is not None]
        key = _format_loc([*where.loc, tag])
        message = "required key is missing" + (f"; set it to one of: {', '.join(values)}" if values else "")
    elif kind == "union_tag_invalid":
        # a tagged union with an unknown tag (models: backend: vllm): name the choices, and the closest
        context = first.get("ctx", {})
        tag, given = str(context.get("discriminator", "")).strip("'\""), str(context.get("tag", ""))
        values = [t for t in (_tag(a, tag) for a in typing.get_args(_unwrap(where.annotation))) if t is not None]
        close = difflib.get_close_matches(given, values, n=1)
        key = _format_loc([*where.loc, tag])
        message = f"unknown {tag} {given!r}" + (f"; did you mean {close[0]!r}?" if close else "") + f" (available: {', '.join(values)})"
        if tag == "backend" and given.lower() in SERVER_NAMES and "openai" in values:
            message += f"; a model served by {given} is `backend: openai` with its base_url (README, \"Served models\")"
    elif kind == "too_short":
        context = first.get("ctx", {})
        message = f"needs at least {context.get('min_length')} item(s), got {context.get('actual_length')}"
        items = _unwrap(where.annotation)
        item = _unwrap(typing.get_args(items)[0]) if typing.get_origin(items) in (tuple, list) else None
        if typing.get_origin(item) is typing.Literal:
            message += f"; choose from {_describe(item).replace(' or ', ', ')}"
    elif kind in _BOUND_ERRORS:
        message = f"must be {_describe(where.annotation, where.metadata)}; got {_shown(first.get('input'))}"
    elif kind == "string_type":
        message = _not_text(first.get("input"))
    elif kind == "string_unicode" and isinstance(first.get("input"), str):
        message = unwritable(first["input"]) or message
    elif kind in ("model_attributes_type", "model_type", "dict_type"):
        message = f"must be a mapping of keys (key: value), got {_shown(first.get('input'))}"
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    locations = {tuple(_walk(schema, error["loc"]).loc) for error in errors}
    # a list that is too short only because an item of it failed is not a problem of its own
    problems = [loc for loc in locations if not any(other[: len(loc)] == loc and other != loc for other in locations)]
    more = len(problems) - 1
    return f"{path}: {key}: {message}" + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def unwritable(text: str) -> str | None:
    """Why `text` cannot be written as UTF-8 (a lone surrogate, e.g. from a YAML "\\ud800" escape), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"character {exc.start + 1} is a lone surrogate (U+{ord(text[exc.start]):04X}), which cannot be written as "
            "UTF-8; remove it, or write the character itself (beyond U+FFFF use one \\U0001XXXX escape, not a "
            "\\uD8xx\\uDCxx pair)"
        )
    return None


_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _not_text(value) -> str:
    """Why a non-string is refused where text belongs: YAML turned the user's text into something else."""
    if isinstance(value, bool):
        got = f"a boolean ({str(value).lower()}: YAML reads unquoted yes, no, on, off, true and false as booleans)"
        example = '"yes"'
    elif isinstance(value, (int, float)):
        got, example = f"the number {value!r}", f'"{value!r}"'
    elif isinstance(value, (list, tuple)):
        got, example = "a list (YAML reads [...] and `- ` lines as lists)", '"[x]"'
    elif isinstance(value, dict):
        got, example = "a mapping (YAML reads `key: value` and {...} as mappings)", '"a: 1"'
    elif value is None:
        got, example = "nothing (an empty value, null or ~)", '"null"'
    else:
        got, example = f"a {type(value).__name__}", '"..."'
    return f"must be text, got {got}; quote the value to keep it as written, e.g. {example}"


def _shown(value) -> str:
    shown = "nothing (null)" if value is None else repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _describe(annotation, metadata=()) -> str:
    """What a (possibly constrained, possibly union) annotation accepts, in words."""
    annotation, metadata = _unwrap_with_metadata(annotation, metadata)
    origin = typing.get_origin(annotation)
    if origin in _UNIONS:
        return " or ".join(_describe(arm) for arm in typing.get_args(annotation) if arm is not type(None))
    if origin is typing.Literal:
        return " or ".join(str(value).lower() if isinstance(value, bool) else str(value) for value in typing.get_args(annotation))
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        return _number_range(annotation, metadata)
    if annotation is str:
        return "text"
    if origin in (tuple, list):
        return "a list"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"a mapping with keys {', '.join(annotation.model_fields)}"
    return getattr(annotation, "__name__", str(annotation))


def _number_range(kind: type, metadata) -> str:
    """e.g. "a whole number from 1 to 32768", "a number greater than 0"."""
    noun = "a whole number" if kind is int else "a number"
    low = high = None
    for item in metadata:
        if getattr(item, "ge", None) is not None:
            low = (item.ge, True)
        elif getattr(item, "gt", None) is not None:
            low = (item.gt, False)
        if getattr(item, "le", None) is not None:
            high = (item.le, True)
        elif getattr(item, "lt", None) is not None:
            high = (item.lt, False)
    if kind is int:  # whole numbers: say the inclusive bounds
        low = low and (low[0] if low[1] else low[0] + 1, True)
        high = high and (high[0] if high[1] else high[0] - 1, True)
    if low and high and low[1] and high[1]:
        return f"{noun} from {low[0]} to {high[0]}"
    words = []
    if low:
        words.append(f"at least {low[0]}" if low[1] else f"greater than {low[0]}")
    if high:
        words.append(f"at most {high[0]}" if high[1] else f"less than {high[0]}")
    return " ".join([noun, " and ".join(words)]) if words else noun


def _format_loc(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, _Key):
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else str(part)
    return out


class _Key(str):
    """A key of a user mapping (e.g. a gate name), not a schema field: shown as ["summary.rougeL"]."""


_UNIONS = (typing.Union, types.UnionType)


class _Where(typing.NamedTuple):
    loc: list
    """The location without pydantic's union tags."""
    owner: type[BaseModel] | None
    """The model class whose keys are allowed at the last position."""
    annotation: object
    """The annotation at the end of the location (None when it could not be followed)."""
    metadata: tuple
    """The constraints (Ge, Le, ...) of the field at the end of the location."""
    union: object
    """The plain union the location stopped in (its members' errors describe one key)."""


def _walk(schema, loc) -> _Where:
    """Follow an error location through the schema.

    Returns the location without pydantic's union tags (so `models[0].hf.source` reads
    `models[0].source`, and `models[0].batch_size.constrained-int` reads `models[0].batch_size`),
    the model class that owns the last key, for "allowed keys" lists, and what the last key takes.
    """
    clean = []
    current = schema  # the annotation at the current position
    owner = None
    metadata: tuple = ()
    for part in loc:
        current, extra = _unwrap_with_metadata(current)
        metadata = (*metadata, *extra)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner = current
            field = current.model_fields.get(part) if isinstance(part, str) else None
            clean.append(part)
            if field is None:
                current, metadata = None, ()
                continue
            current, metadata = field.annotation, tuple(field.metadata)
            continue
        owner = None
        if isinstance(part, int) and origin in (tuple, list):
            clean.append(part)
            current, metadata = typing.get_args(current)[0], ()
        elif origin is dict and isinstance(part, str):
            clean.append(_Key(part))
            current, metadata = typing.get_args(current)[1], ()
        elif origin in _UNIONS and isinstance(part, str):
            # a tagged union: pydantic puts the tag (e.g. 'hf') in the location
            tagged = [a for a in typing.get_args(current) if _tag(a) == part]
            if tagged:
                current = tagged[0]
            else:  # a plain union's member tag ('constrained-int', "literal['auto']")
                return _Where(clean, None, current, metadata, current)
        else:
            clean.append(part)
            current, metadata = None, ()
    last, extra = _unwrap_with_metadata(current)
    if isinstance(last, type) and issubclass(last, BaseModel):
        owner = last
    return _Where(clean, owner, current, (*metadata, *extra), None)


def _unwrap(annotation):
    return _unwrap_with_metadata(annotation)[0]


def _unwrap_with_metadata(annotation, metadata=()):
    """The annotation without Annotated and Optional wrappers, and the constraints they carried."""
    metadata = tuple(metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extras = typing.get_args(annotation)
            for extra in extras:
                metadata += tuple(getattr(extra, "metadata", None) or (extra,))
        elif origin in _UNIONS:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
            else:
                return annotation, metadata
        else:
            return annotation, metadata


def _tag(cls, discriminator: str = "backend") -> str | None:
    field = getattr(cls, "model_fields", {}).get(discriminator)
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None
