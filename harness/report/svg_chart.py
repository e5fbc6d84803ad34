"""Charts for report.html as inline SVG strings: no JavaScript library, no network, no fonts.

Two kinds:
- `interval_chart`: grouped vertical bars (one group per metric, one bar per model) with the
  95% interval drawn as an error bar on each bar; for a run's leaderboard, per task.
- `delta_chart`: a forest plot (one row per model and metric: the delta as a dot, its 95%
  interval as a line, a vertical line at 0); for a comparison's deltas.

Every piece of text that reaches the SVG (model names, metric names) goes through
`markupsafe.escape`, so a chart is as safe to inline as the autoescaped template around it.
Sizes are in SVG user units with a `viewBox`, so a chart scales to its container's width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

from harness.report.format import MISSING

PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0")
"""Observable's colour-blind-aware categorical palette (Observable Plot's "observable10")."""

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CHAR_WIDTH = 7.2
"""Rough width of one character at font-size 12, to size label margins (no font metrics here)."""


def model_colours(names: list[str]) -> dict[str, str]:
    """A stable colour per model, in the run's order (cycles after ten models)."""
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(names)}


@dataclass(frozen=True)
class Point:
    """A mean with its 95% interval; `low`/`high` are None when there is no interval."""

    mean: float
    low: float | None = None
    high: float | None = None


def _f(value: float) -> str:
    """A coordinate: short, locale-free."""
    return f"{value:.1f}"


def _text_width(text: str, size: float = 12) -> float:
    return len(text) * CHAR_WIDTH * size / 12


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= value (an axis end)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value - 1e-12:
            return candidate
    return 10 ** (exponent + 1)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / (count - 1)
    exponent = math.floor(math.log10(raw))
    step = next(s * 10**exponent for s in (1, 2, 2.5, 5, 10) if s * 10**exponent >= raw - 1e-12)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(0.0 if abs(value) < 1e-12 else value)
        value += step
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def interval_chart(
    groups: list[str],
    series: list[tuple[str, list[Point | None]]],
    colours: dict[str, str],
    title: str,
    y_label: str = "mean (95% interval)",
) -> Markup:
    """Grouped bars: `series` is [(model, [Point per group or None])]; None (no mean) draws format.MISSING.

    The y axis starts at 0 and ends at 1 or the highest interval end, whichever is larger
    (every metric in the harness is a share in [0, 1]).
    """
    n_groups, n_series = max(len(groups), 1), max(len(series), 1)
    bar, gap, group_pad = 22.0, 4.0, 26.0
    group_width = n_series * bar + (n_series - 1) * gap
    left, right, top, bottom = 52.0, 16.0, 50.0, 40.0
    plot_h = 220.0
    width = left + right + n_groups * (group_width + group_pad) + group_pad
    width = max(width, 460.0)
    legend, legend_rows = _legend([name for name, _ in series], colours, left, top - 6, width - left - right)
    legend_h = 22.0 * legend_rows
    height = top + legend_h + plot_h + bottom
    y0 = top + legend_h  # top of the plot area
    highest = max([p.high if p.high is not None else p.mean for _, points in series for p in points if p is not None] + [1.0])
    y_max = _nice_max(highest)

    def y(value: float) -> float:
        return y0 + plot_h - (max(value, 0.0) / y_max) * plot_h

    parts = [_svg_open(width, height, title)]
    parts.append(f'<text x="{_f(left)}" y="18" class="chart-title" font-weight="600" font-size="14">{escape(title)}</text>')
    parts += legend
    # y grid and axis labels
    for tick in _ticks(0.0, y_max):
        ty = y(tick)
        parts.append(f'<line x1="{_f(left)}" x2="{_f(width - right)}" y1="{_f(ty)}" y2="{_f(ty)}" stroke="#e3e6ea" stroke-width="1"/>')
        parts.append(f'<text x="{_f(left - 6)}" y="{_f(ty + 4)}" text-anchor="end" font-size="11" fill="#5b6470">{_tick_label(tick)}</text>')
    parts.append(
        f'<text transform="translate(14 {_f(y0 + plot_h / 2)}) rotate(-90)" text-anchor="middle" font-size="11" fill="#5b6470">{escape(y_label)}</text>'
    )
    parts.append(f'<line x1="{_f(left)}" x2="{_f(width - right)}" y1="{_f(y(0))}" y2="{_f(y(0))}" stroke="#8a939e" stroke-width="1"/>')
    for g, group in enumerate(groups):
        gx = left + group_pad + g * (group_width + group_pad)
        for s, (name, points) in enumerate(series):
            x = gx + s * (bar + gap)
            point = points[g] if g < len(points) else None
            colour = colours.get(name, PALETTE[s % len(PALETTE)])
            if point is None:
                parts.append(
                    f'<text x="{_f(x + bar / 2)}" y="{_f(y(0) - 5)}" text-anchor="middle" font-size="9" fill="#8a939e">{MISSING}</text>'
                )
                continue
            label = f"{name} · {group}: {point.mean:.4f}"
            if point.low is not None and point.high is not None:
                label += f" [{point.low:.4f}, {point.high:.4f}]"
            top_y = y(point.mean)
            parts.append(f'<g class="bar"><title>{escape(label)}</title>')
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(top_y)}" width="{_f(bar)}" height="{_f(max(y(0) - top_y, 0.0))}" fill="{colour}" rx="2"/>'
            )
            if point.mean == 0:  # a zero-height bar is invisible: mark it so 0 is not read as missing
                parts.append(f'<rect x="{_f(x)}" y="{_f(y(0) - 2)}" width="{_f(bar)}" height="2" fill="{colour}"/>')
            if point.low is not None and point.high is not None:
                cx, ly, hy = x + bar / 2, y(point.low), y(point.high)
                parts.append(
                    f'<path d="M{_f(cx)} {_f(ly)}V{_f(hy)}M{_f(cx - 5)} {_f(ly)}H{_f(cx + 5)}M{_f(cx - 5)} {_f(hy)}H{_f(cx + 5)}" '
                    'stroke="#1f2933" stroke-width="1.5" fill="none"/>'
                )
            parts.append("</g>")
        parts.append(
            f'<text x="{_f(gx + group_width / 2)}" y="{_f(y(0) + 18)}" text-anchor="middle" font-size="12" fill="#1f2933">{escape(group)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class DeltaRow:
    label: str
    delta: float | None
    low: float | None
    high: float | None
    significant: bool | None = None
    """From metrics.stats.significance: only True colours a row (None: too few items to test)."""


def delta_chart(rows: list[DeltaRow], title: str, x_label: str = "candidate − baseline (95% interval)") -> Markup:
    """A forest plot. A significant drop is red, a significant gain green, anything else grey
    (a zero-width interval from one item "excludes 0" but is not significant); a row without a
    delta shows format.MISSING."""
    label_w = max([_text_width(r.label) for r in rows] + [60.0]) + 16
    left, right, top, bottom, row_h = label_w, 24.0, 34.0, 40.0, 24.0
    plot_w = 420.0
    width = left + plot_w + right
    height = top + row_h * max(len(rows), 1) + bottom
    extent = max([abs(v) for r in rows for v in (r.delta, r.low, r.high) if v is not None] + [0.0])
    extent = _nice_max(extent * 1.05) if extent > 0 else 0.1

    def x(value: float) -> float:
        return left + (value + extent) / (2 * extent) * plot_w

    parts = [_svg_open(width, height, title)]
    parts.append(f'<text x="8" y="18" font-weight="600" font-size="14">{escape(title)}</text>')
    plot_bottom = top + row_h * max(len(rows), 1)
    for tick in _ticks(-extent, extent):
        tx = x(tick)
        parts.append(f'<line x1="{_f(tx)}" x2="{_f(tx)}" y1="{_f(top)}" y2="{_f(plot_bottom)}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{_f(tx)}" y="{_f(plot_bottom + 14)}" text-anchor="middle" font-size="11" fill="#5b6470">{_tick_label(tick)}</text>')
    parts.append(f'<line x1="{_f(x(0))}" x2="{_f(x(0))}" y1="{_f(top - 4)}" y2="{_f(plot_bottom)}" stroke="#1f2933" stroke-width="1.2"/>')
    parts.append(f'<text x="{_f(left + plot_w / 2)}" y="{_f(plot_bottom + 32)}" text-anchor="middle" font-size="11" fill="#5b6470">{escape(x_label)}</text>')
    for i, row in enumerate(rows):
        cy = top + row_h * i + row_h / 2
        if i % 2 == 0:
            parts.append(f'<rect x="0" y="{_f(cy - row_h / 2)}" width="{_f(width)}" height="{_f(row_h)}" fill="#f6f7f9"/>')
        parts.append(f'<text x="{_f(left - 10)}" y="{_f(cy + 4)}" text-anchor="end" font-size="12" fill="#1f2933">{escape(row.label)}</text>')
        if row.delta is None:
            parts.append(f'<text x="{_f(x(0) + 6)}" y="{_f(cy + 4)}" font-size="11" fill="#8a939e">{MISSING}</text>')
            continue
        colour = "#7b8794"
        if row.significant:
            colour = "#d64545" if row.delta < 0 else "#2f9e44"
        label = f"{row.label}: {row.delta:+.4f}"
        parts.append('<g class="delta">')
        if row.low is not None and row.high is not None:
            label += f" [{row.low:+.4f}, {row.high:+.4f}]"
            parts.append(f'<line x1="{_f(x(row.low))}" x2="{_f(x(row.high))}" y1="{_f(cy)}" y2="{_f(cy)}" stroke="{colour}" stroke-width="2.5"/>')
        parts.append(f'<title>{escape(label)}</title><circle cx="{_f(x(row.delta))}" cy="{_f(cy)}" r="5" fill="{colour}"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_open(width: float, height: float, title: str) -> str:
    # No xmlns: inside an HTML document the parser puts <svg> in the SVG namespace by itself,
    # and the page then holds no http:// string at all.
    return (
        f'<svg class="chart" viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}">'
    )


def _legend(names: list[str], colours: dict[str, str], x0: float, y0: float, max_width: float) -> tuple[list[str], int]:
    """The legend's SVG pieces and how many rows it wraps to."""
    parts, x, y, rows = [], x0, y0, 1
    for index, name in enumerate(names):
        item_w = 18 + _text_width(name) + 16
        if x > x0 and x + item_w > x0 + max_width:
            x, y, rows = x0, y + 22, rows + 1
        colour = colours.get(name, PALETTE[index % len(PALETTE)])
        parts.append(f'<rect x="{_f(x)}" y="{_f(y - 10)}" width="12" height="12" rx="2" fill="{colour}"/>')
        parts.append(f'<text x="{_f(x + 17)}" y="{_f(y)}" font-size="12" fill="#1f2933">{escape(name)}</text>')
        x += item_w
    return parts, rows
