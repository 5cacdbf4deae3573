"""A numbered x/y chart (lap times against time of day or date), as inline SVG.

Both axes carry numbers; the caller gives the x tick labels (hours, dates) because it knows what
x means, the y ticks are chosen here (1, 2 or 5 times a power of ten). Series with ``lines``
join their points in x order; a one-point series is still drawn as a dot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from mre_crawler.charts.ladder import PALETTE, WIDTH

LEFT, RIGHT, TOP, BOTTOM = 64, 20, 40, 46


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]] = field(default_factory=list)
    lines: bool = True


def nice_ticks(lo: float, hi: float, want: int = 6) -> list[float]:
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / want
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10)), key=lambda s: abs(s - raw))
    first = math.floor(lo / step) * step
    ticks = [round(first, 10)]
    while ticks[-1] < hi:  # the last tick at or past the slowest lap, so no point falls off the chart
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_label(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _tick_labels(values: list[float]) -> list[str]:
    """One axis's labels with the same number of decimals (37.6, 37.8, 38.0, not 37.8, 38)."""
    places = max((len(label.partition(".")[2]) for label in map(_tick_label, values)), default=0)
    return [f"{v:.{places}f}" for v in values]


def xy_chart_svg(series: list[Series], x_ticks: list[tuple[float, str]], *, x_label: str, y_label: str,
                 title: str, width: int = WIDTH, height: int = 380, min_y_span: float = 1.0) -> Markup:
    """``min_y_span``: the least y range drawn, so a few hundredths between two laps do not fill
    the chart's height as if they were seconds."""
    pts = [p for s in series for p in s.points]
    if not pts:
        return Markup("")
    xs = [p[0] for p in pts] + [t[0] for t in x_ticks]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pad = (x1 - x0) * 0.04  # room for the first and last tick labels
    x0, x1 = x0 - pad, x1 + pad
    lo, hi = min(p[1] for p in pts), max(p[1] for p in pts)
    if hi - lo < min_y_span:
        mid = (hi + lo) / 2
        lo, hi = mid - min_y_span / 2, mid + min_y_span / 2
    y_ticks = nice_ticks(lo, hi)
    y0, y1 = y_ticks[0], y_ticks[-1]
    pw, ph = width - LEFT - RIGHT, height - TOP - BOTTOM

    def sx(v: float) -> float:
        return LEFT + (v - x0) / (x1 - x0) * pw

    def sy(v: float) -> float:
        return TOP + (v - y0) / (y1 - y0) * ph  # faster laps (smaller) at the top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="xy" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-label="{escape(title)}">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fcfcfc" stroke="#e2e2e2"/>',
           f'<text x="{LEFT}" y="22" font-size="14" font-weight="700">{escape(title)}</text>']
    for v, tick in zip(y_ticks, _tick_labels(y_ticks)):
        out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#e6e6e6"/>')
        out.append(f'<text x="{LEFT - 8}" y="{sy(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#444">'
                   f'{tick}</text>')
    for v, label in x_ticks:
        out.append(f'<line x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{TOP + ph}" y2="{TOP + ph + 5}" stroke="#888"/>')
        out.append(f'<text x="{sx(v):.1f}" y="{TOP + ph + 18}" text-anchor="middle" font-size="11" fill="#444">'
                   f'{escape(label)}</text>')
    out.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{TOP + ph}" y2="{TOP + ph}" stroke="#888"/>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + ph}" stroke="#888"/>')
    out.append(f'<text x="{LEFT + pw / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12" fill="#333">'
               f'{escape(x_label)}</text>')
    out.append(f'<text transform="translate(16 {TOP + ph / 2:.1f}) rotate(-90)" text-anchor="middle" font-size="12" '
               f'fill="#333">{escape(y_label)}</text>')
    lx = LEFT + 8 + _text_len(title) + 24
    for i, s in enumerate(series):
        c = PALETTE[i % len(PALETTE)]
        ordered = sorted(s.points)
        if s.lines and len(ordered) > 1:
            d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(v):.1f}" for j, (x, v) in enumerate(ordered))
            out.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, v in ordered:
            out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(v):.1f}" r="{3.5 if s.lines else 2.5}" fill="{c}"/>')
        if lx < width - 160:
            out.append(f'<rect x="{lx:.0f}" y="12" width="12" height="12" fill="{c}"/>'
                       f'<text x="{lx + 16:.0f}" y="22" font-size="12">{escape(s.label)}</text>')
            lx += 16 + _text_len(s.label) + 22
    out.append("</svg>")
    return Markup("\n".join(out))


def _text_len(text: str) -> float:
    return len(text) * 7.2
