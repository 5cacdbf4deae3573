"""The mains ladder of one class at one event, drawn so a racer reads it at a glance.

One column per main, the lowest main on the left. In each column a dot on the left line is where
a driver started (grid) and a dot on the right line where they finished; the position is printed
in the dot, so both axes are numbered by the drivers on them. Every driver of every main is
drawn: those who qualified straight in are grey, those who bumped up keep one colour through the
ladder, and a coloured line carries them from their finish in the lower main (after their name)
to their grid slot in the higher one. Names sit right of the finish line, never on an axis, and
get a smaller font when a column is too narrow for them, so none is clipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#e6750a", "#0f9fb0", "#8c564b", "#d6489a",
           "#7f7f00", "#3b4cc0")
DIRECT = "#9aa0a6"
WIDTH = 1352  # a 1,400 px window less the page margins
ROW_H = 26
DOT_R = 9


@dataclass
class LadderEntry:
    driver_id: int
    name: str
    start: int | None  # grid slot (lap-0 grid, else qualifying position)
    finish: int | None
    status: str | None = None  # finished | stopped_early | did_not_start
    href: str | None = None


@dataclass
class LadderColumn:
    race_id: int
    title: str  # "B-Main", "A2-Main"
    subtitle: list[str]  # lines under the title: "12 drivers", "4 bumped up into it"
    has_results: bool
    entries: list[LadderEntry] = field(default_factory=list)
    href: str | None = None


@dataclass
class LadderLink:
    """One bump-up: the driver's finish in ``from_race`` to their grid slot in ``to_race``."""

    driver_id: int
    from_race_id: int
    to_race_id: int
    from_finish: int | None
    to_start: int | None


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """A generous estimate of a string's width in a wide sans (DejaVu Sans, the Linux fallback for
    system-ui): too wide leaves a gap, too narrow lets a name run into the next main."""
    width = sum(size * (0.76 if ch.isupper() or ch.isdigit() else 0.6 if ch != " " else 0.33) for ch in text)
    return width * (1.08 if bold else 1.0)


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def ladder_svg(class_name: str, columns: list[LadderColumn], links: list[LadderLink], width: int = WIDTH) -> Markup:
    if not columns:
        return Markup("")
    bumped = sorted({link.driver_id for link in links})
    colour_of = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(bumped)}
    deepest = max([len(c.entries) for c in columns]
                  + [max((e.start or 0, e.finish or 0)) for c in columns for e in c.entries] + [4])
    # the first row sits below the titles and their subtitle lines
    top = 44 + 15 * max(len(c.subtitle) if c.has_results else 1 for c in columns) + 36
    height = top + deepest * ROW_H + 24
    # a main without results is drawn narrow, leaving the room to the names of those with drivers
    weights = [1.0 if c.has_results and c.entries else 0.45 for c in columns]
    unit = (width - 16) / sum(weights)
    lefts = [8 + sum(weights[:i]) * unit for i in range(len(columns))]
    rights = lefts[1:] + [width - 8]
    seg = max(56.0, min(130.0, unit * 0.26))
    geo: dict[int, tuple[float, float]] = {}  # race id -> (grid x, finish x)
    for i, col in enumerate(columns):
        grid_x = lefts[i] + 22
        geo[col.race_id] = (grid_x, grid_x + min(seg, (rights[i] - lefts[i]) * 0.5))

    def y(pos: int) -> float:
        return top + (pos - 1) * ROW_H

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(class_name)}: mains ladder">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fcfcfc" stroke="#e2e2e2"/>']
    name_end: dict[tuple[int, int], float] = {}  # (race, driver) -> x after the name label
    layers_lines: list[str] = []
    layers_dots: list[str] = []
    for i, col in enumerate(columns):
        grid_x, fin_x = geo[col.race_id]
        right_edge = rights[i] - (0 if i == len(columns) - 1 else 26)
        colour = "#222" if col.has_results else "#a40000"
        title = escape(col.title)
        if col.href:
            title = Markup(f'<a href="{escape(col.href)}">{title}</a>')
        out.append(f'<text x="{_fmt(grid_x - DOT_R)}" y="26" font-size="16" font-weight="700" fill="{colour}">'
                   f'{title}</text>')
        width_here = right_edge + (0 if i == len(columns) - 1 else 18) - (grid_x - DOT_R)
        for k, line in enumerate(col.subtitle if col.has_results else ["results page not stored"]):
            size = min(12.0, max(8.0, 12.0 * width_here / max(_text_width(line, 12), 1)))
            out.append(f'<text x="{_fmt(grid_x - DOT_R)}" y="{44 + k * 15}" font-size="{_fmt(size)}" fill="{colour}">'
                       f'{escape(line)}</text>')
        dash = "" if col.has_results else ' stroke-dasharray="4 4"'
        depth = max([len(col.entries)] + [max(e.start or 0, e.finish or 0) for e in col.entries] + [1])
        for ax, caption in ((grid_x, "grid"), (fin_x, "finish")):
            out.append(f'<text x="{_fmt(ax)}" y="{top - 18}" text-anchor="middle" font-size="11" fill="#555">'
                       f'{caption}</text>')
            out.append(f'<line x1="{_fmt(ax)}" y1="{top - 12}" x2="{_fmt(ax)}" y2="{_fmt(y(depth) + 12)}" '
                       f'stroke="#c8c8c8"{dash}/>')
        name_x = fin_x + DOT_R + 6
        # a did-not-start is the open dot (see the legend): no words after the name, so names stay large
        longest = max((_text_width(e.name, 12, e.driver_id in colour_of) for e in col.entries), default=0)
        room = right_edge - name_x
        size = 12.0 if longest <= room else max(8.0, 12.0 * room / longest)
        for e in col.entries:
            c = colour_of.get(e.driver_id, DIRECT)
            hl = e.driver_id in colour_of
            dns = e.status == "did_not_start"
            if e.start is not None and e.finish is not None and not dns:
                dash = ' stroke-dasharray="5 3"' if e.status == "stopped_early" else ""
                layers_lines.append(
                    f'<line x1="{_fmt(grid_x)}" y1="{_fmt(y(e.start))}" x2="{_fmt(fin_x)}" y2="{_fmt(y(e.finish))}" '
                    f'stroke="{c}" stroke-width="{2.5 if hl else 1.5}"{dash}/>')
            if e.start is not None:
                layers_dots.append(_dot(grid_x, y(e.start), e.start, c, hollow=False))
            if e.finish is not None:
                layers_dots.append(_dot(fin_x, y(e.finish), e.finish, c, hollow=dns))
                label = e.name
                weight = ' font-weight="700"' if hl else ""
                text = escape(label)
                if e.href:
                    text = Markup(f'<a href="{escape(e.href)}">{text}</a>')
                layers_dots.append(
                    f'<text x="{_fmt(name_x)}" y="{_fmt(y(e.finish) + size * 0.36)}" font-size="{_fmt(size)}" '
                    f'fill="{c if hl else "#333"}"{weight}>{text}</text>')
                name_end[(col.race_id, e.driver_id)] = name_x + _text_width(label, size, hl) + 4
    for link in links:
        if link.from_race_id not in geo or link.to_race_id not in geo or link.from_finish is None:
            continue
        c = colour_of[link.driver_id]
        sx = name_end.get((link.from_race_id, link.driver_id), geo[link.from_race_id][1] + DOT_R)
        sy = y(link.from_finish)
        tx = geo[link.to_race_id][0] - DOT_R - 1
        ty = y(link.to_start) if link.to_start is not None else sy
        mid = (sx + tx) / 2
        layers_lines.append(
            f'<path class="bumpup" data-driver="{link.driver_id}" d="M{_fmt(sx)},{_fmt(sy)} '
            f'C{_fmt(mid)},{_fmt(sy)} {_fmt(mid)},{_fmt(ty)} {_fmt(tx)},{_fmt(ty)}" fill="none" stroke="{c}" '
            f'stroke-width="2.5" marker-end="url(#arrow-{link.driver_id})"/>')
        out.append(f'<defs><marker id="arrow-{link.driver_id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
                   f'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker></defs>')
    out += layers_lines + layers_dots
    out.append("</svg>")
    return Markup("\n".join(out))


def _dot(x: float, y: float, number: int, colour: str, hollow: bool) -> str:
    fill, ink = ("#fff", colour) if hollow else (colour, "#fff")
    return (f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="{DOT_R}" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
            f'<text x="{_fmt(x)}" y="{_fmt(y + 3.6)}" text-anchor="middle" font-size="10" font-weight="700" '
            f'fill="{ink}">{number}</text>')


def ladder_legend_html() -> Markup:
    """The chart's legend in plain words (HTML, under the chart's heading)."""
    return Markup(
        '<div class="legend">'
        "<p>Each column is one main, the lowest main on the left. In each main the left line is the "
        "starting grid and the right line the finishing order; the number in a dot is the position.</p>"
        "<ul>"
        f'<li><span class="swatch" style="background:{PALETTE[0]}"></span>'
        "<b>Coloured</b>: a driver who bumped up. The arrow takes them from where they finished in the lower "
        "main to where they started in the next one up.</li>"
        f'<li><span class="swatch" style="background:{DIRECT}"></span>'
        "<b>Grey</b>: a driver who was put straight into that main.</li>"
        f'<li><span class="swatch hollow" style="border-color:{PALETTE[1]}"></span>'
        "<b>Open dot</b>: did not start; a <b>dashed line</b>: stopped before the end.</li>"
        "</ul></div>")
