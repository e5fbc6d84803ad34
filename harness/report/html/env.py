"""The jinja2 environment both pages render through, its filters, and the inlined static files.

Every template is autoescaped (model outputs, eval-set and config text are untrusted); the only
`Markup` is our own: the inlined CSS/JS files here and the SVG charts (svg_chart.py).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from harness.report import format as fmt
from harness.report import leaderboard

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
"""harness/report/templates/ (package data of harness.report)."""


def render(template: str, context: dict) -> str:
    """`template` rendered with `context`, the page's CSS and script inlined."""
    js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    static = {
        # Our own files, inlined verbatim; neither may contain "</style>" / "</script>".
        "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "js": Markup(js),
        # the page's Content-Security-Policy lets exactly this script run, and no other
        "script_hash": "sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii"),
    }
    return environment().get_template(template).render(**static, **context)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name: model outputs are untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Cell text comes from format.py, as in report.md and the terminal.
    env.filters.update(score=fmt.score, ci=fmt.interval, pct=fmt.percent, num=_num, signed=fmt.signed,
                       placeholder=fmt.placeholder, sortkey=_sortkey)
    env.globals.update(not_applicable=fmt.NOT_APPLICABLE, missing=fmt.MISSING)
    return env


def _num(value, fmt_string: str = "{:.1f}") -> str:
    return fmt.number(value, fmt_string)


def _sortkey(value) -> str:
    """The data-sort attribute of a numeric cell: the number, or "" (always sorted last)."""
    return "" if value is None else repr(float(value))


def metric_label(task: str, metric: str) -> str:
    """A column or delta label: `summary.RLsum`, `qa.EM`."""
    return f"{task}.{leaderboard.SHORT.get(metric, metric)}"
