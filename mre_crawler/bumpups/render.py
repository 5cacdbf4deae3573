"""Render an :class:`EventReport`: a rich table for the terminal and a self-contained HTML page
with one ladder/progression chart per class (inline SVG: no scripts, fonts or images to fetch)."""

from __future__ import annotations

import html
from typing import Any

from rich.console import Console
from rich.table import Table

from mre_crawler.bumpups.report import STATUS_TEXT, ClassLadder, EventReport, ordinal


# ---------------------------------------------------------------------------------------------
# Terminal
# ---------------------------------------------------------------------------------------------
def print_report(report: EventReport, console: Console) -> None:
    title = f"Bump-ups: {report.event_name or 'event'} ({report.event_id})"
    table = Table(title=title, title_justify="left")
    for name, justify in (("Class", "left"), ("Driver", "left"), ("From", "left"), ("Into", "left"),
                          ("Grid", "right"), ("Finish", "right"), ("Status", "left"), ("Confidence", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for b in report.bumpups:
        grid = b["target_start_position"]
        field = b["target_field_size"]
        table.add_row(
            b["class_name"],
            b["driver_name"] or str(b["driver_id"]),
            f"↑ from {b['source_tier_label'] or '?'} ({ordinal(b['source_finish_position'])})",
            b["target_tier_label"] or "?",
            f"{grid}/{field}" if grid is not None and field else str(grid or "?"),
            ordinal(b["target_finish_position"]) if b["target_status"] != "did_not_start" else "—",
            STATUS_TEXT.get(b["target_status"] or "", b["target_status"] or "?"),
            b["confidence"] + (f" ({'; '.join(b['check_notes'])})" if b["check_notes"] else ""),
        )
    console.print(table)
    if not report.bumpups:
        console.print("no bump-ups found")
    for ladder in report.classes:
        for line in ladder.summary:
            console.print(f"{ladder.class_name}: {line}")
    for rung in report.missing_pages:
        console.print(f"missing results page: {rung.race_name} (race {rung.race_id}) {rung.url or ''}"
                      f"{' - ' + rung.note if rung.note else ''}", highlight=False)
    for rung in report.unplaced:
        console.print(f"no tier: {rung.race_name} (race {rung.race_id}): {rung.note}", highlight=False)


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
            "#bcbd22", "#7f7f7f")
_COL_W = 230  # one ladder rung: a grid axis and a finish axis
_AXIS_GAP = 110
_ROW_H = 22
_TOP = 70
_LEFT = 40

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 6px} .sub{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0 12px;font-size:13px} th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3} td.num{text-align:right} .missing{color:#a40000} .note{color:#555;font-size:13px}
ul.notes{font-size:12px;margin:4px 0 8px;padding-left:18px}
svg text{font-family:system-ui,Arial,sans-serif}
"""


def _rungs_for_chart(ladder: ClassLadder) -> list[Any]:
    """One column per tier, lowest tier left: a double/triple main shows its first leg (where the
    bump-ups enter); a tier whose every race lacks results still gets a column, marked missing."""
    by_rank: dict[int, Any] = {}
    for rung in ladder.rungs:
        if rung.tier_rank is None:
            continue
        current = by_rank.get(rung.tier_rank)
        if current is None or (rung.bumpups_in > current.bumpups_in) or (
            rung.bumpups_in == current.bumpups_in and (rung.leg or 0) < (current.leg or 0)
        ):
            by_rank[rung.tier_rank] = rung
    return [by_rank[k] for k in sorted(by_rank, reverse=True)]


def ladder_svg(ladder: ClassLadder) -> str:
    """The progression chart: for each rung a grid axis and a finish axis (position 1 at the top);
    each bump-up is a line from the driver's finish in the lower main to their grid slot in the
    higher main, then on to their finish there (an ✕ marks a did-not-start)."""
    columns = _rungs_for_chart(ladder)
    if not columns:
        return ""
    x_of = {rung.race_id: _LEFT + i * _COL_W for i, rung in enumerate(columns)}
    rank_x = {rung.tier_rank: x_of[rung.race_id] for rung in columns}
    deepest = max([r.result_rows for r in columns] + [b["target_field_size"] or 0 for b in ladder.bumpups] + [4])
    height = _TOP + deepest * _ROW_H + 40
    width = _LEFT + len(columns) * _COL_W + 40

    def y(pos: int | None) -> float:
        return _TOP + ((pos or deepest) - 1) * _ROW_H + _ROW_H / 2

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(ladder.class_name)} bump-up ladder">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa" stroke="#ddd"/>']
    for rung in columns:
        x = x_of[rung.race_id]
        label = html.escape(rung.tier_label or rung.race_name)
        colour = "#222" if rung.has_results else "#a40000"
        out.append(f'<text x="{x + _AXIS_GAP / 2}" y="24" text-anchor="middle" font-size="15" '
                   f'font-weight="bold" fill="{colour}">{label}</text>')
        sub = f"race {rung.race_id}" if rung.has_results else "results page missing"
        out.append(f'<text x="{x + _AXIS_GAP / 2}" y="42" text-anchor="middle" font-size="11" fill="{colour}">'
                   f'{html.escape(sub)}</text>')
        for ax, name in ((x, "grid"), (x + _AXIS_GAP, "finish")):
            dash = "" if rung.has_results else ' stroke-dasharray="4 4"'
            out.append(f'<line x1="{ax}" y1="{_TOP}" x2="{ax}" y2="{y(deepest) + 8}" stroke="#999"{dash}/>')
            out.append(f'<text x="{ax}" y="{_TOP - 8}" text-anchor="middle" font-size="10" fill="#666">{name}</text>')
        for pos in range(1, (rung.result_rows or 0) + 1):
            out.append(f'<text x="{x - 8}" y="{y(pos) + 4}" text-anchor="end" font-size="9" fill="#aaa">{pos}</text>')
    drivers = sorted({b["driver_id"] for b in ladder.bumpups})
    colour_of = {d: _PALETTE[i % len(_PALETTE)] for i, d in enumerate(drivers)}
    for b in ladder.bumpups:
        sx = rank_x.get(b["source_tier_rank"])
        tx = rank_x.get(b["target_tier_rank"])
        if sx is None or tx is None:
            continue
        c = colour_of[b["driver_id"]]
        name = html.escape(b["driver_name"] or str(b["driver_id"]))
        sy, gy = y(b["source_finish_position"]), y(b["target_start_position"])
        out.append(f'<g class="bumpup" data-driver="{b["driver_id"]}">')
        out.append(f'<line x1="{sx + _AXIS_GAP}" y1="{sy}" x2="{tx}" y2="{gy}" stroke="{c}" stroke-width="2.5"/>')
        out.append(f'<circle cx="{sx + _AXIS_GAP}" cy="{sy}" r="4" fill="{c}"/>')
        out.append(f'<circle cx="{tx}" cy="{gy}" r="4" fill="{c}"/>')
        out.append(f'<text x="{sx + _AXIS_GAP + 6}" y="{sy - 5}" font-size="11" fill="{c}">{name}</text>')
        if b["target_status"] == "did_not_start":
            out.append(f'<text x="{tx + 8}" y="{gy + 4}" font-size="13" fill="{c}">✕ DNS</text>')
        elif b["target_finish_position"] is not None:
            fy = y(b["target_finish_position"])
            dash = ' stroke-dasharray="5 3"' if b["target_status"] == "stopped_early" else ""
            out.append(f'<line x1="{tx}" y1="{gy}" x2="{tx + _AXIS_GAP}" y2="{fy}" stroke="{c}" '
                       f'stroke-width="1.5"{dash}/>')
            out.append(f'<circle cx="{tx + _AXIS_GAP}" cy="{fy}" r="3" fill="{c}"/>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _cell(value: Any, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{html.escape('' if value is None else str(value))}</td>"


def render_html(report: EventReport) -> str:
    """A self-contained page: summary, ladder chart per class, the bump-up table, missing pages."""
    title = f"Bump-ups: {report.event_name or 'event'} ({report.event_id})"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="sub">{html.escape(report.track_slug or "")} · {report.event_date or ""} · '
        f"{len(report.bumpups)} bump-ups</p>",
    ]
    # classes with bump-ups first, so the charts people look for are at the top of the page
    for ladder in sorted(report.classes, key=lambda c: (not c.bumpups, c.class_name)):
        parts.append(f"<h2>{html.escape(ladder.class_name)}</h2>")
        for line in ladder.summary or ["no bump-ups found"]:
            parts.append(f'<p class="note">{html.escape(line)}</p>')
        parts.append(ladder_svg(ladder))
        if ladder.bumpups:
            parts.append("<table><tr><th>Driver</th><th>From</th><th>Into</th><th>Grid</th><th>Finish</th>"
                         "<th>Status</th><th>Confidence</th><th>Notes</th></tr>")
            for b in ladder.bumpups:
                parts.append(
                    "<tr>" + _cell(b["driver_name"])
                    + _cell(f"↑ from {b['source_tier_label']} ({ordinal(b['source_finish_position'])})")
                    + _cell(b["target_tier_label"]) + _cell(b["target_start_position"], "num")
                    + _cell(b["target_finish_position"] if b["target_status"] != "did_not_start" else "—", "num")
                    + _cell(STATUS_TEXT.get(b["target_status"] or "", b["target_status"]))
                    + _cell(b["confidence"]) + _cell("; ".join(b["check_notes"] or [])) + "</tr>"
                )
            parts.append("</table>")
        notes = [r for r in ladder.rungs if r.note]
        if notes:
            parts.append('<ul class="notes">')
            for rung in notes:
                cls = "missing" if rung.tier_rank is not None and not rung.has_results else "note"
                parts.append(f'<li class="{cls}">{html.escape(rung.race_name)} (race {rung.race_id}): '
                             f"{html.escape(rung.note)}</li>")
            parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
