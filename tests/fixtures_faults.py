"""Fault-scenario fixtures: the database as data, compared with a clean crawl's ("nothing lost, nothing wrong").

- ``db_snapshot(conn)``: every data table of schema ``mre`` as ``{table: {natural key: row}}``, without
  bookkeeping columns (created_at, updated_at, run ids, fetch/ingest times); ``removed_at`` becomes
  the boolean ``present``. Bookkeeping tables (runs, fetched pages, quarantine, politeness, practice
  retries and runs, backfill audit) and people's curation tables are not data of a crawl.
- ``diff_snapshots(baseline, got)``: every :class:`Difference` (a row ``lost``, ``wrong`` or ``extra``),
  each naming the LiveRC pages that own the row and the pages the crawl reaches them through (a
  race page through its event page and the events list), so a test can excuse exactly what the
  crawl listed as failed (:func:`unexcused`).
- ``fault_server``: ``fault_server(site, rules, seed=...)`` starts a :class:`~mre_crawler.faultserver.FaultServer`.
- ``baseline``: ``baseline(site, spider, args)``: a clean crawl of ``site`` into a database of its own,
  once per session and arguments; returns its :class:`Baseline` (snapshot and crawl result).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from mre_crawler import urls
from mre_crawler.faultserver import FaultRule, FaultServer, page_key

Snapshot = dict[str, dict[tuple, dict[str, Any]]]

BOOKKEEPING_TABLES = frozenset({
    "schema_migrations", "crawl_runs", "fetched_pages", "stored_pages", "quarantine",
    "politeness_track_limits", "politeness_rate", "politeness_budget",
    "practice_retry", "practice_runs", "practice_run_failures",
    "session_type_backfill_runs", "session_type_backfill_plan", "session_type_audit", "rollout_writers",
    "page_archive",  # the raw page archive's index (issue 13): a log of fetched bodies, like fetched_pages
    "sync_runs", "sync_track_runs", "run_metrics", "alert_states",
})
CURATION_TABLES = frozenset({"session_type_overrides", "bumpup_corrections", "followed_tracks",
                             "multi_main_scoring_rules"})  # people's, never a crawl's
VOLATILE_COLUMNS = frozenset({"created_at", "updated_at", "run_id", "crawl_run_id", "fetched_at",
                              "last_ingested_at", "discovered_at", "first_discovered_at"})


def data_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'mre' ORDER BY tablename").fetchall()
    return [t for (t,) in rows if t not in BOOKKEEPING_TABLES and t not in CURATION_TABLES]


def _primary_key(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
           WHERE i.indrelid = %s::regclass AND i.indisprimary
           ORDER BY array_position(i.indkey, a.attnum)""", (f"mre.{table}",)).fetchall()
    return [r[0] for r in rows]


def db_snapshot(conn: psycopg.Connection) -> Snapshot:
    """The data of every ``mre`` data table, keyed by its natural (primary) key."""
    snapshot: Snapshot = {}
    for table in data_tables(conn):
        if table not in OWNERS:
            raise AssertionError(f"mre.{table}: a new table? say which pages own its rows in OWNERS "
                                 "(tests/fixtures_faults.py), or list it as bookkeeping")
        key = _primary_key(conn, table)
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'mre' AND table_name = %s "
            "ORDER BY ordinal_position", (table,)).fetchall()]
        kept = [c for c in columns if c not in VOLATILE_COLUMNS and c != "removed_at"]
        select = [sql.Identifier(c) for c in kept]
        if "removed_at" in columns:
            select.append(sql.SQL("removed_at IS NULL AS present"))
        cur = conn.cursor()
        cur.execute(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(select), sql.Identifier("mre", table)))
        names = [d.name for d in cur.description]
        rows: dict[tuple, dict[str, Any]] = {}
        for values in cur.fetchall():
            row = dict(zip(names, values))
            rows[tuple(row[k] for k in key)] = row
        snapshot[table] = rows
    return snapshot


# -- which LiveRC pages own a row ------------------------------------------------------------------
@dataclass
class _Index:
    """Lookups from either snapshot: a race's track, an event's track, a driver's races ..."""

    race_slug: dict[int, str] = field(default_factory=dict)
    race_event: dict[int, int] = field(default_factory=dict)
    event_slug: dict[int, str] = field(default_factory=dict)
    points_slug: dict[int, str] = field(default_factory=dict)
    points_event: dict[int, int] = field(default_factory=dict)
    driver_races: dict[int, set[int]] = field(default_factory=dict)
    session_day: dict[int, tuple[str, Any]] = field(default_factory=dict)
    practice_driver_sessions: dict[str, set[int]] = field(default_factory=dict)
    multi_main_slug: dict[int, str] = field(default_factory=dict)
    multi_main_event: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, *snapshots: Snapshot) -> _Index:
        ix = cls()
        for snap in snapshots:
            for row in snap.get("races", {}).values():
                ix.race_slug[row["race_id"]] = row["track_slug"]
                if row.get("event_id") is not None:
                    ix.race_event[row["race_id"]] = row["event_id"]
            for row in snap.get("events", {}).values():
                if row.get("event_id") is not None:
                    ix.event_slug[row["event_id"]] = row["track_slug"]
            for row in snap.get("points_tables", {}).values():
                ix.points_slug[row["points_id"]] = row["track_slug"]
                if row.get("event_id") is not None:
                    ix.points_event[row["points_id"]] = row["event_id"]
            for row in snap.get("multi_main_results", {}).values():
                ix.multi_main_slug[row["multi_main_id"]] = row["track_slug"]
                if row.get("event_id") is not None:
                    ix.multi_main_event[row["multi_main_id"]] = row["event_id"]
            for row in snap.get("race_results", {}).values():
                ix.driver_races.setdefault(row["driver_id"], set()).add(row["race_id"])
            for row in snap.get("practice_sessions", {}).values():
                ix.session_day[row["session_id"]] = (row["track_slug"], row["practice_date"])
                if row.get("driver_key"):
                    ix.practice_driver_sessions.setdefault(row["driver_key"], set()).add(row["session_id"])
        return ix

    def race_page(self, race_id: int) -> set[str]:
        slug = self.race_slug.get(race_id)
        return {urls.race_url(slug, race_id)} if slug else set()

    def event_page(self, event_id: int | None) -> set[str]:
        slug = self.event_slug.get(event_id) if event_id is not None else None
        return {urls.event_url(slug, event_id)} if slug else set()

    def linked_from(self, url: str) -> str | None:
        """The page a crawl finds ``url`` on (a race page on its event page ...); None for a start page."""
        page = urls.read_url(url)
        event_id = {"race_result": self.race_event.get(page.id), "entry_list": page.id,
                    "qual_points": self.points_event.get(page.id),
                    "multi_main": self.multi_main_event.get(page.id)}.get(page.page_type)
        if event_id is not None:
            return urls.event_url(page.slug, event_id)
        if page.page_type == "event":
            return urls.events_url(page.slug)
        if page.page_type == "practice_session" and page.id in self.session_day:
            return urls.practice_day_url(*self.session_day[page.id])
        if page.page_type == "practice_day_overview":
            return urls.practice_month_url(page.slug, page.day[:7])
        return None

    def discovery_path(self, pages: Iterable[str]) -> set[str]:
        """The pages a crawl must read to reach ``pages`` (their event page, the events list ...)."""
        out: set[str] = set()
        todo = list(pages)
        while todo:
            parent = self.linked_from(todo.pop())
            if parent is not None and parent not in out:
                out.add(parent)
                todo.append(parent)
        return out

    def session_pages(self, session_id: int) -> set[str]:
        if session_id not in self.session_day:
            return set()
        slug, day = self.session_day[session_id]
        return {urls.practice_session_url(slug, session_id), urls.practice_day_url(slug, day)}


def _event_row_pages(row: Mapping[str, Any], ix: _Index) -> set[str]:
    slug = row["track_slug"]
    if row.get("source") == "practice":
        day = row["source_event_id"].rsplit("-practice-", 1)[1]
        return {urls.practice_day_url(slug, day), urls.practice_month_url(slug, day[:7])}
    return {urls.event_url(slug, row["event_id"]), urls.events_url(slug)}


def _practice_day(key: tuple) -> tuple[str, str]:
    slug, day = key[0].rsplit("-practice-", 1)
    return slug, day


# table -> (key, row, index) -> the LiveRC pages whose content the row is
OWNERS: dict[str, Callable[[tuple, Mapping[str, Any], _Index], set[str]]] = {
    "tracks": lambda k, r, ix: {urls.dashboard_url(k[0]), urls.CATALOGUE_URL},
    "events": lambda k, r, ix: _event_row_pages(r, ix),
    "drivers": lambda k, r, ix: set().union(*(ix.race_page(race) for race in ix.driver_races.get(k[0], ()))),
    "races": lambda k, r, ix: {urls.race_url(r["track_slug"], k[0])} | ix.event_page(r.get("event_id")),
    "race_results": lambda k, r, ix: ix.race_page(k[0]),
    "laps": lambda k, r, ix: ix.race_page(k[0]),
    "entry_lists": lambda k, r, ix: {urls.entry_list_url(ix.event_slug[k[0]], k[0])} if k[0] in ix.event_slug else set(),
    "entry_list_classes": lambda k, r, ix: OWNERS["entry_lists"]((k[0],), r, ix),
    "entries": lambda k, r, ix: OWNERS["entry_lists"]((k[0],), r, ix),
    "points_tables": lambda k, r, ix: {urls.points_url(r["track_slug"], k[0])} | ix.event_page(r.get("event_id")),
    "points_rows": lambda k, r, ix: ({urls.points_url(ix.points_slug[k[0]], k[0])} if k[0] in ix.points_slug else set()),
    "points_rounds": lambda k, r, ix: OWNERS["points_rows"](k, r, ix),
    "multi_main_results": lambda k, r, ix: {urls.multi_main_url(r["track_slug"], k[0])} | ix.event_page(r.get("event_id")),
    "multi_main_rows": lambda k, r, ix: ({urls.multi_main_url(ix.multi_main_slug[k[0]], k[0])}
                                         if k[0] in ix.multi_main_slug else set()),
    "multi_main_legs": lambda k, r, ix: OWNERS["multi_main_rows"](k, r, ix),
    "practice_drivers": lambda k, r, ix: set().union(*(ix.session_pages(s) for s in ix.practice_driver_sessions.get(k[0], ()))),
    "practice_days": lambda k, r, ix: {urls.practice_day_url(*_practice_day(k))},
    "practice_day_classes": lambda k, r, ix: {urls.practice_day_url(*_practice_day(k))},
    "practice_sessions": lambda k, r, ix: ix.session_pages(k[0]) | {urls.practice_day_url(r["track_slug"], r["practice_date"])},
    "practice_laps": lambda k, r, ix: ix.session_pages(k[0]),
    "practice_discoveries": lambda k, r, ix: {urls.practice_day_url(k[0], k[1]),
                                              urls.practice_month_url(k[0], k[1].isoformat()[:7])},
}


@dataclass(frozen=True)
class Difference:
    kind: str  # lost: a baseline row missing or marked removed; wrong: other values; extra: not in the baseline
    table: str
    key: tuple
    pages: frozenset[str]  # the LiveRC pages whose content the row is
    columns: tuple[str, ...] = ()  # wrong: the columns that differ
    expected: Mapping[str, Any] | None = None
    got: Mapping[str, Any] | None = None
    via: frozenset[str] = frozenset()  # the pages a crawl reads to reach those (event page, events list)

    def __str__(self) -> str:
        where = f"{self.kind} {self.table}{list(self.key)}"
        if self.kind == "wrong":
            where += " " + ", ".join(f"{c}: {self.expected[c]!r} -> {self.got[c]!r}" for c in self.columns)  # type: ignore[index]
        return f"{where}  (pages: {', '.join(sorted(self.pages)) or '?'}; via: {', '.join(sorted(self.via)) or '-'})"


def diff_snapshots(baseline: Snapshot, got: Snapshot) -> list[Difference]:
    """Every row that differs between two snapshots, with the pages that own it."""
    ix = _Index.of(baseline, got)
    out: list[Difference] = []
    for table in sorted(set(baseline) | set(got)):
        want, have = baseline.get(table, {}), got.get(table, {})
        owner = OWNERS[table]
        for key in sorted(set(want) | set(have), key=repr):
            expected, row = want.get(key), have.get(key)
            pages = frozenset(owner(key, expected or row, ix))
            via = frozenset(ix.discovery_path(pages) - pages)
            if row is None:
                out.append(Difference("lost", table, key, pages, expected=expected, via=via))
            elif expected is None:
                out.append(Difference("extra", table, key, pages, got=row, via=via))
            elif expected != row:
                if expected.get("present") and not row.get("present"):
                    out.append(Difference("lost", table, key, pages, ("present",), expected, row, via))
                else:
                    columns = tuple(c for c in expected if expected[c] != row.get(c))
                    out.append(Difference("wrong", table, key, pages, columns, expected, row, via))
    return out


def unexcused(differences: Iterable[Difference], failed_pages: Iterable[str]) -> list[Difference]:
    """Differences the crawl's own report does not explain: a lost or wrong row is excused only when
    a page that owns it, or a page the crawl reaches it through, is listed as failed; an extra row never is."""
    failed = {page_key(u) for u in failed_pages}
    return [d for d in differences
            if d.kind == "extra" or not any(page_key(p) in failed for p in d.pages | d.via)]


def explain(differences: Iterable[Difference], limit: int = 20) -> str:
    items = list(differences)
    lines = [str(d) for d in items[:limit]]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more")
    return "\n".join(lines)


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    servers: list[FaultServer] = []

    def start(directory: Path, rules: Iterable[FaultRule | Mapping[str, Any]] = (), seed: int = 0) -> FaultServer:
        server = FaultServer(directory, seed=seed)
        for rule in rules:
            server.add_rule(rule)
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


@dataclass(frozen=True)
class Baseline:
    snapshot: Snapshot
    result: Any  # the clean crawl's CrawlResult
    database_url: str


@pytest.fixture(scope="session")
def baseline(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Baseline]:
    """``baseline(site, spider="track", args=None)``: a clean crawl's database, made once per arguments."""
    from mre_crawler.crawl import run_crawl
    from mre_crawler.serve import SiteServer
    from warehouse.migrate import migrate

    made: dict[tuple, Baseline] = {}

    def build(site: Path, spider: str = "track", args: Mapping[str, Any] | None = None) -> Baseline:
        cache_key = (str(site), spider, tuple(sorted((args or {}).items())))
        if cache_key not in made:
            url = make_database()
            with psycopg.connect(url, autocommit=True) as conn:
                migrate(conn)
            with SiteServer(site) as server:
                result = run_crawl(spider, dict(args or {}), {
                    "MRE_DATABASE_URL": url, "MRE_HOME": str(tmp_path_factory.mktemp("baseline-home")),
                    "LOG_LEVEL": "WARNING", "MRE_CONTACT": "tests@example.invalid", "MRE_SITE": server.site})
            assert result.failures == [] and result.quarantined == 0, f"the baseline crawl is not clean: {result.failures}"
            with psycopg.connect(url, autocommit=True) as conn:
                made[cache_key] = Baseline(db_snapshot(conn), result, url)
        return made[cache_key]

    return build
