"""Render an :class:`EventReport`: a rich table for the terminal and a self-contained HTML page
with one mains-ladder chart per class (inline SVG from :mod:`mre_crawler.charts`: no scripts,
fonts or images to fetch). ``mre report`` draws its ladder pages with the same chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup
from rich.console import Console
from rich.table import Table

from mre_crawler.bumpups.report import STATUS_TEXT, ClassLadder, EventReport, ordinal
from mre_crawler.charts import LadderColumn, LadderEntry, LadderLink, ladder_legend_html, ladder_svg


# ---------------------------------------------------------------------------------------------
# Terminal
# ---------------------------------------------------------------------------------------------
def print_report(report: EventReport, console: Console) -> None:
    title = f"Bump-ups: {report.event_name or 'event'} ({report.event_id})"
    table = Table(title=title, title_justify="left")
    for name, justify in (("Class", "left"), ("Driver", "left"), ("From", "left"), ("Into", "left"),
                          ("Grid", "right"), ("Finish", "right"), ("Status", "left"), ("How sure", "left")):
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
            plain_confidence(b),
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
_CONFIDENCE_TEXT = {
    "high": "sure: every check on the results agrees",
    "medium": "likely",
    "low": "unsure",
    "curated": "set by a person",
}


def plain_confidence(b: dict[str, Any]) -> str:
    """How sure the bump-up is, in words, with the reason when a check did not agree."""
    text = _CONFIDENCE_TEXT.get(b.get("confidence") or "", b.get("confidence") or "")
    if b.get("confidence") == "curated" and b.get("correction_reason"):
        return f"{text}: {b['correction_reason']}"
    notes = [n for n in (b.get("check_notes") or []) if n]
    return f"{text}: {'; '.join(notes)}" if notes and b.get("confidence") != "high" else text


def chart_columns(ladder: ClassLadder) -> list[Any]:
    """The ladder's rungs as chart columns: lowest main left, legs of a double/triple main side by side."""
    ranked = [r for r in ladder.rungs if r.tier_rank is not None]
    return sorted(ranked, key=lambda r: (-r.tier_rank, r.leg or 0, r.race_id))


def _column_title(ladder: ClassLadder, rung: Any) -> str:
    name = rung.race_name or ""
    if name.lower().startswith(ladder.class_name.lower()) and len(name) > len(ladder.class_name):
        return name[len(ladder.class_name):].strip()
    return rung.tier_label or name


def ladder_chart(ladder: ClassLadder, driver_href: Callable[[int], str | None] | None = None,
                 race_href: Callable[[int], str | None] | None = None) -> Markup:
    """The class's mains ladder (every driver of every main, bumped drivers in colour)."""
    columns = []
    for rung in chart_columns(ladder):
        parts = [f"{len(rung.results)} drivers" if rung.results else "no drivers"]
        if rung.bumpups_in:
            parts.append(f"{rung.bumpups_in} bumped up into it")
        if rung.bumpups_out:
            parts.append(f"{rung.bumpups_out} moved up from it")
        columns.append(LadderColumn(
            race_id=rung.race_id, title=_column_title(ladder, rung), subtitle=parts,
            has_results=rung.has_results, href=race_href(rung.race_id) if race_href else None,
            entries=[LadderEntry(r["driver_id"], r["driver_name"] or str(r["driver_id"]), r["start_position"],
                                 r["finish_position"], r["status"],
                                 driver_href(r["driver_id"]) if driver_href else None) for r in rung.results]))
    if not any(c.has_results and c.entries for c in columns):
        return Markup("")  # nothing to draw: the notes below list the missing pages
    links = [LadderLink(b["driver_id"], b["source_race_id"], b["target_race_id"], b["source_finish_position"],
                        b["target_start_position"]) for b in ladder.bumpups]
    return ladder_svg(ladder.class_name, columns, links)


def render_html(report: EventReport) -> str:
    """A self-contained page: summary, ladder chart per class, the bump-up table, missing pages."""
    from mre_crawler.report.site import environment

    title = f"Bump-ups: {report.event_name or 'event'} ({report.event_id})"
    # classes with bump-ups first, so the charts people look for are at the top of the page
    classes = sorted(report.classes, key=lambda c: (not c.bumpups, c.class_name))
    return environment().get_template("bumpups.html.j2").render(
        title=title, report=report, classes=[(c, ladder_chart(c)) for c in classes], legend=ladder_legend_html(),
        # the project's own stylesheet, inlined so the page stands alone (trusted: not escaped)
        css=Markup((Path(__file__).parent.parent / "report" / "static" / "report.css").read_text(encoding="utf-8")))
