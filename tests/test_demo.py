"""`mre demo` on a fresh MRE_HOME: every stage really happens, a second run changes nothing, and
``--quick`` stops after the results crawl. The demo writes into a database of its own on the test
session's server (``pg_url``), never into the session's database itself; MRE_HOME is a temporary
folder."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from mre_crawler.demo import practice_days_by_track, practice_ranges

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("days", "ranges"),
    [
        (["2025-04-06"], [("2025-04-06", "2025-04-06")]),
        # April and October of the sample site: more than 3 months apart, so two calls
        (["2025-04-06", "2025-10-05"], [("2025-04-06", "2025-04-06"), ("2025-10-05", "2025-10-05")]),
        (["2025-10-05", "2025-11-24", "2025-12-31"], [("2025-10-05", "2025-12-31")]),
        # 3 months from Jan 31 ends Apr 29 (Jan 31 + 3 months is clamped to Apr 30, which is refused)
        (["2025-01-31", "2025-04-29", "2025-04-30"], [("2025-01-31", "2025-04-29"), ("2025-04-30", "2025-04-30")]),
        (["2025-11-24", "2025-04-06"], [("2025-04-06", "2025-04-06"), ("2025-11-24", "2025-11-24")]),
    ],
)
def test_practice_days_are_ingested_in_the_fewest_ranges_the_practice_command_accepts(days, ranges):
    from mre_crawler.practice.ranges import day_range

    got = practice_ranges([D(d) for d in days])
    assert got == [(D(a), D(b)) for a, b in ranges]
    for first, last in got:
        day_range(first, last)  # the command's own check accepts every range


DEMO_DB = f"mre_demo_test_{os.getpid()}"


def _demo(*args: str) -> int:
    from mre_crawler.cli import main

    return main(["demo", "--tracks", "1", "--events", "2", "--no-progress", "--database", DEMO_DB, *args])


@pytest.fixture
def demo_home(pg_url, pg_conn, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    for name in ("MRE_WAREHOUSE_PATH", "MRE_SITE", "MRE_CASSETTE", "MRE_SESSION_TYPE_INFERENCE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def demo_conn(pg_url, demo_home):
    """The demo's own database (the demo creates it on the same server; dropped afterwards)."""
    from mre_crawler.db import connect, database_on_same_server

    conn = connect(database_on_same_server(pg_url, DEMO_DB), autocommit=True)
    yield conn
    conn.close()
    with connect(pg_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DEMO_DB}" WITH (FORCE)')


def _record_counts(conn) -> dict[str, int]:
    """Rows of every table of the record; run logs (one row per run) left out."""
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'mre' AND tablename NOT LIKE 'schema_%' "
        "AND tablename NOT IN ('crawl_runs', 'practice_runs', 'practice_run_failures', 'run_metrics', 'sync_runs', "
        "'sync_track_runs')").fetchall()]
    from psycopg import sql

    return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("mre", t))).fetchone()[0]
            for t in tables}


def _newest_change(conn) -> dt.datetime:
    return conn.execute(
        "SELECT greatest((SELECT max(updated_at) FROM mre.races), (SELECT max(updated_at) FROM mre.race_results),"
        " (SELECT max(updated_at) FROM mre.practice_sessions))").fetchone()[0]


@pytest.mark.db
def test_demo_runs_every_stage_offline_and_a_second_run_changes_nothing(demo_home, demo_conn, pg_conn, capsys):
    from mre_crawler.samplesite import load_truth

    def session_marts() -> list[tuple]:  # other tests may have published marts here before
        if pg_conn.execute("SELECT to_regclass('marts.mart_races')").fetchone()[0] is None:
            return []
        return pg_conn.execute("SELECT race_key, track_slug FROM marts.mart_races ORDER BY race_key").fetchall()

    marts_before = session_marts()
    assert _demo() == 0
    out = capsys.readouterr().out
    # the demo's made-up tracks stay in its own database: the user's (here the session's) is untouched
    assert pg_conn.execute("SELECT count(*) FROM mre.tracks").fetchone()[0] == 0
    assert session_marts() == marts_before
    site = demo_home / "demo-site"
    truth = load_truth(site)

    # 3. results crawl: every race of the site is stored
    assert demo_conn.execute("SELECT count(*) FROM mre.races").fetchone()[0] == len(truth["races"])
    assert "0 failed, 0 quarantined" in out

    # 4. practice days: every day of the manifest, every session page, their laps
    days = practice_days_by_track(site)
    n_days = sum(len(d) for d in days.values())
    assert n_days == truth["pages"]["practice_day_overview"]
    assert demo_conn.execute("SELECT count(*) FROM mre.practice_days").fetchone()[0] == n_days
    assert demo_conn.execute(
        "SELECT count(*) FROM mre.practice_sessions WHERE lap_count IS NOT NULL").fetchone()[0] == truth["pages"]["practice_session"]
    stored_laps = demo_conn.execute("SELECT count(*) FROM mre.practice_laps").fetchone()[0]
    assert stored_laps == truth["totals"]["practice_laps"]
    assert f"{n_days}/{n_days} days" in out
    # one `mre practice ingest` call per range of at most 3 months
    ranges = sum(len(practice_ranges(d)) for d in days.values())
    assert demo_conn.execute("SELECT count(*) FROM mre.practice_runs WHERE command = 'ingest'").fetchone()[0] == ranges

    # 5. warehouse: the DuckDB file with its marts, and the marts published to PostgreSQL
    warehouse = demo_home / "demo" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from mart_practice_days").fetchone()[0] == n_days
        assert con.execute("select count(*) from mart_races where race_source = 'race'").fetchone()[0] == len(truth["races"])
        # practice-day sessions are races too: one per practice session page
        assert con.execute("select count(*) from mart_races where race_source = 'practice'"
                           ).fetchone()[0] == truth["pages"]["practice_session"]
        assert con.execute("select count(*) from mart_bumpups").fetchone()[0] == len(truth["bumpups"])
        session_types = dict(con.execute(
            "select session_type, count(*) from mart_race_session_types where race_source = 'race' group by 1").fetchall())
    assert demo_conn.execute("SELECT count(*) FROM marts.mart_practice_days").fetchone()[0] == n_days
    assert "Practice days (DuckDB warehouse)" in out and "Session types (DuckDB)" in out
    assert sum(session_types.values()) == len(truth["races"])

    # 6. bump-up report: the event with the most bump-ups (lowest id on a tie), table and HTML page
    per_event = Counter(b["event_id"] for b in truth["bumpups"])
    assert per_event, "the demo's sample site must have bump-ups"
    event_id = min(per_event, key=lambda e: (-per_event[e], e))
    event_name = truth["events"][str(event_id)]["name"]
    page = demo_home / "demo" / f"bumpups-{event_id}.html"
    text = page.read_text(encoding="utf-8")
    assert html.escape(event_name) in text and "<svg" in text
    assert str(page) in out and f"Bump-ups: {event_name} ({event_id})" in out

    # ... and the HTML report, as `mre report` writes it
    report = demo_home / "demo" / "report"
    assert (report / "index.html").exists() and (report / f"event-{event_id}.html").exists()
    assert str(report / "index.html") in out and "mre report ./site --warehouse" in out

    # 7. Parquet: the manifest's files exist, with the warehouse's rows
    parquet = demo_home / "demo" / "parquet"
    manifest = json.loads((parquet / "_manifest.json").read_text(encoding="utf-8"))
    exported = {f["name"]: f for f in manifest["files"]}
    assert all((parquet / f["entry"]).exists() for f in manifest["files"])
    assert exported["mart_practice_days"]["rows"] == n_days
    assert exported["races"]["rows"] == len(truth["races"])
    assert duckdb.sql(f"select count(*) from '{parquet / 'mart_bumpups.parquet'}'").fetchall()[0][0] == len(truth["bumpups"])

    # what next
    assert f'"$(mre db url --database {DEMO_DB})"' in out and "import duckdb" in out and str(warehouse) in out and "MRE_CONTACT" in out
    _what_next_runs_as_printed(out, demo_home)

    # the demo's warehouse build is a run `mre health` sees (as `mre warehouse build` records it)
    from mre_crawler import alerts

    build = demo_conn.execute("SELECT ok, metrics FROM mre.run_metrics WHERE kind = 'warehouse-build'").fetchall()
    assert len(build) == 1 and build[0][0] is True and build[0][1]["session_types"] == len(truth["races"]) + truth["pages"]["practice_session"]
    low = next(r for r in alerts.evaluate(demo_conn, dt.timedelta(hours=24)) if r.rule == "low_confidence_session_types")
    assert low.value is not None and "no warehouse build" not in low.detail

    # numbers are right-aligned in the printed tables: the fastest laps (PostgreSQL numeric) end in one column
    block = out[out.index("Fastest laps in the A-Mains"):]
    block = block[:block.index("└")]  # that table only
    laps = [line for line in block.splitlines() if "│" in line][1:]  # after the header row
    assert len(laps) >= 2
    ends = {line.split("│")[3].rstrip(" ").__len__() for line in laps}
    assert len(ends) == 1, laps

    # A second run reuses the site and the cached pages and writes nothing.
    before, changed = _record_counts(demo_conn), _newest_change(demo_conn)
    site_written = (site / "truth.json").stat().st_mtime_ns
    assert _demo() == 0
    again = capsys.readouterr().out
    assert "reused (same seed and size)" in again and (site / "truth.json").stat().st_mtime_ns == site_written
    assert "nothing changed" in again and "0 rows written" in again
    assert _record_counts(demo_conn) == before and _newest_change(demo_conn) == changed
    assert page.exists() and (parquet / "_manifest.json").exists()


def _what_next_runs_as_printed(out: str, home: Path) -> None:
    """Every program the "What next" lines name is installed, or it is `mre` and an install line
    (./mre install) comes first; the demo's psql line really opens the demo's database."""
    import shlex
    import shutil
    import subprocess

    section = out[out.index("What next"):].splitlines()[1:]
    commands = [line.strip().split("  #")[0].strip() for line in section
                if line.startswith("  ") and not line.strip().startswith("#") and "made up" not in line]
    assert commands
    mre_on_path = shutil.which("mre") is not None
    installed = False
    for cmd in commands:
        words = shlex.split(cmd)
        while "=" in words[0]:  # VAR=value mre ...
            words = words[1:]
        program = words[0]
        if program == "export":
            continue
        if program.endswith("mre") and words[1:2] == ["install"]:
            installed = True
            continue
        if program == "mre":
            assert mre_on_path or installed, f"{cmd!r} before ./mre install"
            continue
        assert shutil.which(program) or Path(program).is_file(), f"{cmd!r}: {program} is not installed"
    psql = next(c for c in commands if "db url --database" in c and "health" not in c)
    env = dict(os.environ)
    env["PATH"] = f"{Path(shutil.which('mre') or Path(__file__).parents[1] / '.venv/bin/mre').parent}:{env['PATH']}"
    done = subprocess.run(["bash", "-c", psql + " -At -c 'SELECT count(*) FROM mre.races'"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and int(done.stdout.strip()) > 0, done.stderr


def test_what_next_puts_mre_on_the_path_first_and_uses_the_psql_it_finds():
    from mre_crawler.demo import DemoOptions, DemoResult, what_next_lines

    result = DemoResult(site_dir=Path("/nowhere"), warehouse_path=Path("/w.duckdb"), report_dir=Path("/r"))
    lines = what_next_lines(DemoOptions(), result, mre_on_path=False, psql="/opt/pg/bin/psql")
    first_mre = next(i for i, (cmd, _) in enumerate(lines) if cmd.startswith("mre ") or " mre " in cmd
                     or "$(mre " in cmd)
    assert lines[0][0].endswith("mre install") and first_mre > 0
    assert lines[1][0] == '/opt/pg/bin/psql "$(mre db url --demo)"'
    lines = what_next_lines(DemoOptions(), result, mre_on_path=True, psql="psql")
    assert not any(cmd.endswith("install") for cmd, _ in lines) and lines[0][0] == 'psql "$(mre db url --demo)"'


@pytest.mark.db
def test_demo_quick_stops_after_the_results_crawl(demo_home, demo_conn, capsys):
    from mre_crawler.samplesite import load_truth

    assert _demo("--quick") == 0
    out = capsys.readouterr().out
    truth = load_truth(demo_home / "demo-site")
    assert demo_conn.execute("SELECT count(*) FROM mre.races").fetchone()[0] == len(truth["races"])
    assert demo_conn.execute("SELECT count(*) FROM mre.practice_days").fetchone()[0] == 0
    assert not (demo_home / "demo" / "warehouse.duckdb").exists() and not (demo_home / "demo" / "parquet").exists()
    assert "3/3 results crawl" in out and "Events per track" in out and "mre demo" in out


def test_a_demo_site_without_the_empty_month_views_is_generated_again(tmp_path):
    """A site left by an older generator (no month view for a month without practice, so
    discovery reads 404s there) is not reused."""
    from mre_crawler.demo import DemoOptions, ensure_site
    from mre_crawler.samplesite import load_truth

    site, options = tmp_path / "site", DemoOptions(tracks=1, events=1)
    assert ensure_site(site, options) is False and ensure_site(site, options) is True
    days = {d.strftime("%Y-%m") for d in sum(practice_days_by_track(site).values(), [])}
    manifest = site / "manifest.tsv"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    empty = [ln for ln in lines if "\tpractice_month" in ln and ln.split("d=")[1][:7] not in days]
    assert empty, "the demo's site must have a month without practice"
    manifest.write_text("".join(ln for ln in lines if ln != empty[0]), encoding="utf-8")
    assert ensure_site(site, options) is False
    assert empty[0] in manifest.read_text(encoding="utf-8") and load_truth(site)["params"]["tracks"] == 1
