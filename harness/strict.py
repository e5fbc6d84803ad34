"""The one base for every schema a user writes (configs, eval sets, gates, sources): unknown
keys are errors, and a validated value never changes afterwards."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
