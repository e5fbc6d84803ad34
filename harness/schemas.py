"""Publishing the JSON Schemas of the on-disk records (schemas/*.json), generated from the
pydantic models of run_record.py and compare_record.py by one generator; each record module
names its files and runs it (`python -m harness.run_record`, `python -m harness.compare_record`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
Mode = Literal["validation", "serialization"]


def json_schema(model: type[BaseModel], mode: Mode = "validation") -> dict:
    """The JSON Schema (draft 2020-12) of one file or line; "serialization" includes computed fields."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema(mode=mode)}


def schema_text(model: type[BaseModel], mode: Mode = "validation") -> str:
    """The published text: sorted keys, indent 2, a trailing newline."""
    return json.dumps(json_schema(model, mode), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(schemas: dict[str, type[BaseModel]], folder: Path = SCHEMA_DIR, mode: Mode = "validation") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in schemas.items():
        path = folder / name
        path.write_text(schema_text(model, mode), encoding="utf-8")
        written.append(path)
    return written


def main(schemas: dict[str, type[BaseModel]], argv: list[str] | None = None, mode: Mode = "validation") -> int:
    """Write `schemas` into the folder given as the one argument (default: the checkout's schemas/)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_schemas(schemas, Path(args[0]) if args else SCHEMA_DIR, mode):
        print(path)
    return 0
