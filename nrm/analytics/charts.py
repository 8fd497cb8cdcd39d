"""Accessible SVG charts, written by hand, following the Government Analysis Function
guidance on charts: the Analysis Function categorical palette, direct labels instead of
legends, light horizontal gridlines, a value axis starting at zero for bars, a
``<title>`` and ``<desc>`` (with ``role="img"`` and ``aria-labelledby``) as the chart's
text alternative. Output is deterministic: numbers are formatted with fixed precision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BACKGROUND", "MIN_CONTRAST", "PALETTE", "Chart", "bar_chart", "contrast_ratio", "hbar_chart", "line_chart",
           "nice_ticks"]

# The Analysis Function categorical palette's order and hues, with its turquoise, orange and
# purple darkened so that every colour has a contrast of at least 4.5:1 against the white
# background (WCAG 2.2 1.4.3 for text, which direct labels in a series' colour are; 1.4.11 asks 3:1
# of graphics). Gridlines are a mid grey at 4.5:1 too, drawn thin and dotted to stay light.
PALETTE = ("#12436D", "#1D7A72", "#801650", "#B4450E", "#3D3D3D", "#6F4FB0")
BACKGROUND = "#FFFFFF"
GRID = "#767676"
AXIS = "#3D3D3D"
TEXT = "#0B0C0C"
MIN_CONTRAST = 4.5
_GRID_LINE = f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="1 3"'


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(foreground: str, background: str = BACKGROUND) -> float:
    """The WCAG contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)
FONT = "Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class Chart:
    """An SVG chart and its text alternative."""

    id: str
    title: str
    description: str  # the text alternative: what the chart shows, in words
    svg: str


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _f(x: float) -> str:
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _fmt(v: float, percent: bool = False) -> str:
    if percent:
        return f"{v:.0f}%" if float(v).is_integer() else f"{v:.1f}%"
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}"


def _value(v: float, percent: bool = False) -> str:
    """A data value: percentages always to one decimal place."""
    return f"{v:.1f}%" if percent else _fmt(v)


def nice_ticks(max_value: float, target: int = 5) -> list[float]:
    """Tick values from 0 to a round number at or above ``max_value``."""
    if max_value <= 0:
        return [0.0, 1.0]
    raw = max_value / target
    mag = 10 ** math.floor(math.log10(raw))
    step = mag
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            step = m * mag
            break
    top = math.ceil(max_value / step - 1e-9) * step
    n = round(top / step)
    return [round(i * step, 10) for i in range(n + 1)]


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="14">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{BACKGROUND}"/>',
    ]


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    values: Sequence[float | None],
    *,
    y_label: str = "",
    colour: str = PALETTE[0],
    highlight: int | None = None,
    width: int = 720,
    height: int = 400,
) -> Chart:
    """Vertical bars (e.g. a count per quarter), each labelled with its value; the bar
    at ``highlight`` is drawn in the second palette colour. A value of None (not
    available) has no bar and is labelled [x]."""
    left, right, top, bottom = 70, 20, 40, 45
    pw, ph = width - left - right, height - top - bottom
    ticks = nice_ticks(max((v for v in values if v is not None), default=0))
    vmax = ticks[-1] or 1.0
    out = _open(chart_id, title, description, width, height)
    if y_label:
        out.append(f'<text x="{left - 60}" y="{top - 16}" fill="{TEXT}">{_esc(y_label)}</text>')
    for t in ticks:
        y = top + ph - t / vmax * ph
        out.append(f'<line x1="{left}" y1="{_f(y)}" x2="{left + pw}" y2="{_f(y)}" {_GRID_LINE}/>')
        out.append(
            f'<text x="{left - 8}" y="{_f(y + 5)}" text-anchor="end" fill="{TEXT}" font-size="12">{_fmt(t)}</text>'
        )
    n = max(len(values), 1)
    slot = pw / n
    bw = slot * 0.7
    for i, (c, v) in enumerate(zip(categories, values, strict=True)):
        x = left + i * slot + (slot - bw) / 2
        if v is None:
            out.append(
                f'<text x="{_f(x + bw / 2)}" y="{top + ph - 6}" text-anchor="middle" fill="{TEXT}" font-size="12">'
                f"[x]<title>{_esc(c)}: not available</title></text>"
            )
            out.append(
                f'<text x="{_f(x + bw / 2)}" y="{top + ph + 20}" text-anchor="middle" fill="{TEXT}" font-size="12">'
                f"{_esc(c)}</text>"
            )
            continue
        h = v / vmax * ph
        y = top + ph - h
        fill = PALETTE[1] if highlight == i else colour
        out.append(
            f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(bw)}" height="{_f(h)}" fill="{fill}">'
            f"<title>{_esc(c)}: {_fmt(v)}</title></rect>"
        )
        out.append(
            f'<text x="{_f(x + bw / 2)}" y="{_f(y - 6)}" text-anchor="middle" fill="{TEXT}" font-size="12">'
            f"{_fmt(v)}</text>"
        )
        out.append(
            f'<text x="{_f(x + bw / 2)}" y="{top + ph + 20}" text-anchor="middle" fill="{TEXT}" font-size="12">'
            f"{_esc(c)}</text>"
        )
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{AXIS}" stroke-width="1"/>')
    out.append("</svg>")
    return Chart(chart_id, title, description, "\n".join(out) + "\n")


def hbar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    values: Sequence[float],
    *,
    colour: str = PALETTE[0],
    percent: bool = False,
    width: int = 720,
    label_width: int = 260,
) -> Chart:
    """Horizontal bars, largest first as given, with the category and value written
    beside each bar (no legend)."""
    bar_h, gap, top = 24, 10, 20
    height = top + len(values) * (bar_h + gap) + 30
    left, right = label_width, 80
    pw = width - left - right
    ticks = nice_ticks(max(values, default=0))
    vmax = ticks[-1] or 1.0
    out = _open(chart_id, title, description, width, height)
    base = top + len(values) * (bar_h + gap)
    for t in ticks:
        x = left + t / vmax * pw
        out.append(f'<line x1="{_f(x)}" y1="{top - 6}" x2="{_f(x)}" y2="{base}" {_GRID_LINE}/>')
        out.append(
            f'<text x="{_f(x)}" y="{base + 18}" text-anchor="middle" fill="{TEXT}" font-size="12">'
            f"{_fmt(t, percent)}</text>"
        )
    for i, (c, v) in enumerate(zip(categories, values, strict=True)):
        y = top + i * (bar_h + gap)
        w = v / vmax * pw
        out.append(f'<text x="{left - 8}" y="{_f(y + bar_h / 2 + 5)}" text-anchor="end" fill="{TEXT}">{_esc(c)}</text>')
        out.append(
            f'<rect x="{left}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" fill="{colour}">'
            f"<title>{_esc(c)}: {_value(v, percent)}</title></rect>"
        )
        out.append(
            f'<text x="{_f(left + w + 6)}" y="{_f(y + bar_h / 2 + 5)}" fill="{TEXT}" font-size="13">'
            f"{_value(v, percent)}</text>"
        )
    out.append(f'<line x1="{left}" y1="{top - 6}" x2="{left}" y2="{base}" stroke="{AXIS}" stroke-width="1"/>')
    out.append("</svg>")
    return Chart(chart_id, title, description, "\n".join(out) + "\n")


_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")


def _axis_labels(categories: Sequence[str], step: float) -> list[tuple[int, str]]:
    """The category labels to write under a line chart's axis (index, text): all of them
    for a short series; for a long series of quarters the year at each first quarter
    (every year, or every second, fifth ... so that labels do not collide); otherwise
    every k-th category ending with the last."""
    n = len(categories)
    if n <= 12:
        return list(enumerate(categories))
    matches = [_QUARTER.match(c) for c in categories]
    if all(matches):
        year_width = 4 * step
        every = next((k for k in (1, 2, 5, 10, 20) if year_width * k >= 40), 50)
        out = []
        for i, m in enumerate(matches):
            assert m is not None
            if m.group(2) == "1" and int(m.group(1)) % every == 0:
                out.append((i, m.group(1)))
        return out
    every = max(1, math.ceil(70 / max(step, 1.0)))
    return [(i, c) for i, c in enumerate(categories) if (n - 1 - i) % every == 0]


@dataclass(frozen=True)
class _Plot:
    """A line chart's plot area: where category ``i`` and value ``v`` are drawn."""

    left: int
    top: int
    pw: int
    ph: int
    step: float
    vmax: float

    def series_break(self, k: int, i: int, category: str, text: str) -> list[str]:
        """The ``k``-th series break: a dashed line just before category ``i``, labelled directly."""
        left, top, pw, ph = self.left, self.top, self.pw, self.ph
        x = left + (i - 0.5) * self.step if i > 0 else float(left)
        right_side = x < left + pw * 0.6
        tx = x + 5 if right_side else x - 5
        anchor = "start" if right_side else "end"
        return [
            f'<g class="series-break" data-category="{_esc(category)}">',
            f"<title>Series break from {_esc(category)}: {_esc(text)}</title>",
            f'<line x1="{_f(x)}" y1="{top}" x2="{_f(x)}" y2="{top + ph}" stroke="{AXIS}" stroke-width="1.5" '
            'stroke-dasharray="6 4"/>',
            f'<text x="{_f(tx)}" y="{top + 14 + 16 * k}" text-anchor="{anchor}" fill="{TEXT}" font-size="12">'
            f"{_esc(text)} ({_esc(category)})</text>",
            "</g>",
        ]

    def path(self, vs: Sequence[float | None]) -> list[str]:
        """The steps of a line's SVG path; a None lifts the pen, leaving a gap."""
        parts: list[str] = []
        pen_up = True
        for i, v in enumerate(vs):
            if v is None:
                pen_up = True
                continue
            x, y = self.left + i * self.step, self.top + self.ph - v / self.vmax * self.ph
            parts.append(f"{'M' if pen_up else 'L'}{_f(x)},{_f(y)}")
            pen_up = False
        return parts


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    percent: bool = False,
    y_max: float | None = None,
    breaks: Sequence[tuple[str, str]] = (),
    width: int = 720,
    height: int = 400,
) -> Chart:
    """Lines over ``categories`` (e.g. quarters), each labelled directly at its last
    point in its own colour (no legend). The value axis starts at zero; a value of None
    leaves a gap in its line.

    ``breaks`` marks series breaks: for each (category, label) a dashed vertical line
    just before that category (the first on the new basis), labelled directly. Say so in
    the ``description`` too: the marker is not the chart's text alternative.
    """
    all_values = [v for _, vs in series for v in vs if v is not None]
    labels = [
        f"{name} ({_value([v for v in vs if v is not None][-1], percent)})"
        for name, vs in series
        if any(v is not None for v in vs)
    ]
    left, top, bottom = 70, 30, 50
    right = int(24 + 8.6 * max((len(x) for x in labels), default=0))
    pw, ph = width - left - right, height - top - bottom
    ticks = nice_ticks(y_max if y_max is not None else max(all_values, default=0))
    vmax = ticks[-1] or 1.0
    out = _open(chart_id, title, description, width, height)
    for t in ticks:
        y = top + ph - t / vmax * ph
        out.append(f'<line x1="{left}" y1="{_f(y)}" x2="{left + pw}" y2="{_f(y)}" {_GRID_LINE}/>')
        out.append(
            f'<text x="{left - 8}" y="{_f(y + 5)}" text-anchor="end" fill="{TEXT}" font-size="12">'
            f"{_fmt(t, percent)}</text>"
        )
    n = len(categories)
    step = pw / max(n - 1, 1)
    for i, c in _axis_labels(categories, step):
        x = left + i * step
        out.append(
            f'<text x="{_f(x)}" y="{top + ph + 20}" text-anchor="middle" fill="{TEXT}" font-size="12">{_esc(c)}</text>'
        )
    plot = _Plot(left, top, pw, ph, step, vmax)
    for k, (category, text) in enumerate(b for b in breaks if b[0] in categories):
        out += plot.series_break(k, list(categories).index(category), category, text)
    label_ys: list[float] = []
    dots = n <= 24
    for k, (name, vs) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        pts = [(left + i * step, top + ph - v / vmax * ph) for i, v in enumerate(vs) if v is not None]
        if not pts:
            continue
        parts = plot.path(vs)
        out.append(f'<path d="{" ".join(parts)}" fill="none" stroke="{colour}" stroke-width="{3 if dots else 2}"/>')
        if dots:
            for x, y in pts:
                out.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3.5" fill="{colour}"/>')
        lx, ly = pts[-1]
        for prev in label_ys:  # keep direct labels apart
            if abs(ly - prev) < 18:
                ly = prev + 18 if ly >= prev else prev - 18
        label_ys.append(ly)
        last = [v for v in vs if v is not None][-1]
        out.append(
            f'<text x="{_f(lx + 10)}" y="{_f(ly + 5)}" fill="{colour}" font-weight="bold">'
            f"{_esc(name)} ({_value(last, percent)})</text>"
        )
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{AXIS}" stroke-width="1"/>')
    out.append("</svg>")
    return Chart(chart_id, title, description, "\n".join(out) + "\n")
