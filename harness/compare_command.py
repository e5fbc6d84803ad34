"""`python -m harness compare` and `--baseline`: load, check, compare, write, exit code."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.atomic import write_atomic
from harness.compare import check_comparable, compare, load_side, model_pairs
from harness.config import load_config
from harness.gates import Gate, parse_gate_option
from harness.report.compare_markdown import compare_json, compare_markdown
from harness.report.html import compare_html


def gates_from(config_path: str | None, options: list[str]) -> dict[str, Gate]:
    """The config's gates, then the command line's (which win for the same key)."""
    gates = dict(load_config(config_path).gates) if config_path else {}
    gates.update(parse_gate_option(text) for text in options)
    return gates


def compare_and_report(
    baseline: str | Path,
    candidate: str | Path,
    gates: dict[str, Gate],
    pairs: list[str] | None = None,
    force: bool = False,
    json_path: str | None = None,
    markdown_path: str | None = None,
    html_path: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
    write_to: Path | None = None,
) -> int:
    """Prints the Markdown; returns 0 when every gate passes, 1 otherwise."""
    base, cand = load_side(baseline), load_side(candidate)
    if not force:
        check_comparable(base, cand)
    comparison = compare(base, cand, model_pairs(base, cand, pairs or []), gates, resamples=resamples, seed=seed)
    markdown = compare_markdown(comparison)
    sys.stdout.write(markdown)
    targets: list[tuple[str | Path | None, str | None]] = [(markdown_path, markdown), (json_path, None), (html_path, compare_html(comparison) if html_path else None)]
    if write_to is not None:
        targets += [(write_to / "compare.md", markdown), (write_to / "compare.json", None), (write_to / "compare.html", compare_html(comparison))]
    for path, text in targets:
        if path:
            write_atomic(Path(path), text if text is not None else compare_json(comparison))  # None: the JSON
    return 0 if comparison.passed else 1
