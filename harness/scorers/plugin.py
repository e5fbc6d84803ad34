"""What a scorer registers: the task it scores, the metrics it adds to every item (all higher
is better), its signature, and a pure scoring function. The leaderboard, the report tables,
gate validation and `compare` read the metric names from here, so a new metric is one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from harness.records import Article

ScoreFunction = Callable[[str, Article, str, Any], tuple[dict[str, float], dict]]
"""`(output, article, item_id, scoring) -> (scores, trace)`: the post-processed output of one
item (a summary, or the answer to question `item_id`), the run's `scoring:` settings."""


@dataclass(frozen=True)
class ScorerPlugin:
    name: str
    """The key of its signature in report.json (`scoring.signature`)."""
    task: str
    """"summary" or "qa"."""
    metrics: Callable[[Any], tuple[str, ...]]
    """`(scoring) -> metric names` it adds to each item's scores, in display order."""
    signature: Callable[[Any], str]
    """`(scoring) -> one line naming everything that changes its numbers`."""
    score: ScoreFunction
    description: Callable[[Any], str] = lambda scoring: ""
    """`(scoring) -> how the numbers are computed, in words` (report.json `scoring`)."""
    options: Any = None
    """Its own settings: a pydantic model (all fields with defaults), set in a config under
    `scoring: {<name>: {...}}` and read back as `getattr(scoring, name)`; None when it has none.
    The built-in ROUGE options are `scoring:`'s own keys."""
