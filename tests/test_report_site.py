"""``mre report OUT_DIR``: the static site built from a generated site's warehouse, checked
against the generator's truth, and loaded page by page in headless Debian chromium (console
errors, internal links, the class/bump-up filter, screenshots at 1,400 px)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import lxml.html
import pytest

from mre_crawler.bumpups.report import ordinal
from mre_crawler.cli import main
from mre_crawler.samplesite.site import SiteParams, Truth, iter_site
from warehouse.item_sources import item_sources
from warehouse.runner import build_warehouse
from warehouse.settings import BuildSettings
from warehouse.sources import ArrowSources

CHROMIUM = Path("/usr/bin/chromium")
PARAMS = SiteParams(tracks=2, events=4, seed=7, practice_days=2)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    truth = Truth()
    pages = ((p.url, p.page_type, p.meta, p.items) for p in iter_site(PARAMS, truth))
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    build_warehouse(path, ArrowSources(item_sources(pages)), settings=BuildSettings(session_type_inference=True))
    return path, truth


@pytest.fixture(scope="module")
def site(generated, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "site"
    assert main(["report", str(out), "--warehouse", str(generated[0])]) == 0
    return out


def _tier_label(b: dict) -> str:
    return "LCQ" if b["source_kind"] == "lcq" else f"{b['source_tier']}-Main"


def test_every_event_track_and_practice_day_has_a_page(site: Path, generated):
    path, truth = generated
    with duckdb.connect(str(path), read_only=True) as con:
        days = con.execute("select count(*) from mart_practice_days").fetchone()[0]
    assert {f"event-{e}.html" for e in truth.events} <= {p.name for p in site.glob("event-*.html")}
    assert len(list(site.glob("track-*.html"))) == PARAMS.tracks
    assert len(list(site.glob("practice-*.html"))) == days > 0
    assert (site / "index.html").exists() and (site / "drivers.html").exists()


def test_rows_of_bumped_drivers_say_where_they_came_from(site: Path, generated):
    _, truth = generated
    assert truth.bumpups
    for b in truth.bumpups:
        doc = lxml.html.parse(str(site / f"event-{b['event_id']}.html")).getroot()
        rows = doc.xpath(f"//h3[@id='race-{b['target_race_id']}']/following-sibling::table[1]//tr[@class='bumped']")
        shown = {(r.xpath("string(td[2])").strip(), r.xpath("string(td[3])").strip()) for r in rows}
        assert (b["driver_name"], f"↑ from {_tier_label(b)}, {ordinal(b['source_position'])}") in shown


def test_ladder_chart_draws_every_driver_and_an_arrow_per_bump_up(site: Path, generated):
    path, truth = generated
    with duckdb.connect(str(path), read_only=True) as con:
        mains = con.execute("""select l.race_id, count(r.driver_id) from mart_bumpup_ladders l
                               join stg_race_results r using (race_id) where l.event_id = ? and l.class_name = ?
                               and l.tier_rank is not null group by l.race_id""",
                            [truth.bumpups[0]["event_id"], truth.bumpups[0]["class_name"]]).fetchall()
    b0 = truth.bumpups[0]
    page = next(site.glob(f"ladder-{b0['event_id']}-*.html"))
    same = [b for b in truth.bumpups if b["event_id"] == b0["event_id"] and b["class_name"] == b0["class_name"]]
    for candidate in site.glob(f"ladder-{b0['event_id']}-*.html"):
        if f"{b0['class_name']}: mains ladder" in candidate.read_text(encoding="utf-8"):
            page = candidate
    svg = lxml.html.parse(str(page)).getroot().xpath("//svg[@class='ladder']")[0]
    assert len(svg.xpath(".//path[@class='bumpup']")) == len(same)
    names = {t.text_content().replace(" (did not start)", "") for t in svg.xpath(".//text[@font-size!='10']")}
    assert {b["driver_name"] for b in same} <= names
    # a numbered dot on the finish line for every driver of every main
    numbers = [t.text_content() for t in svg.xpath(".//text[@font-size='10']")]
    assert len(numbers) >= sum(n for _, n in mains)


def test_ladder_notes_are_in_plain_words(site: Path, generated):
    with duckdb.connect(str(generated[0]), read_only=True) as con:
        listed_elsewhere = con.execute("select count(*) from mart_bumpup_ladders where note like 'LiveRC lists%'").fetchone()[0]
    pages = " ".join(p.read_text(encoding="utf-8") for p in site.glob("ladder-*.html"))
    assert "attached to" not in pages and "published under class" not in pages
    assert pages.count("LiveRC lists this race under") == listed_elsewhere


def test_names_and_text_from_the_warehouse_are_escaped(generated, tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(generated[0], path)
    with duckdb.connect(str(path)) as con:
        driver_id = con.execute("select min(driver_id) from stg_race_results").fetchone()[0]
        con.execute("update stg_race_results set printed_driver_name = '<script>alert(1)</script> & \"x\"' "
                    "where driver_id = ?", [driver_id])
        con.execute("update stg_drivers set driver_name = '<img src=x onerror=alert(2)>' where driver_id = ?",
                    [driver_id])
    out = tmp_path / "site"
    assert main(["report", str(out), "--warehouse", str(path)]) == 0
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    assert not [n for n, text in pages.items() if "<script>alert" in text or "<img src=x" in text]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in text for text in pages.values())
    assert "&lt;img src=x onerror=alert(2)&gt;" in pages[f"driver-{driver_id}.html"]


def test_a_missing_warehouse_is_one_line_and_exit_1_and_nothing_is_built(tmp_path: Path, capsys):
    path = tmp_path / "none.duckdb"
    assert main(["report", str(tmp_path / "site"), "--warehouse", str(path)]) == 1
    assert capsys.readouterr().err.strip() == f"no warehouse at {path}: run `mre warehouse build`"
    assert not path.exists() and not (tmp_path / "site").exists()


def test_the_site_fetches_nothing_from_outside(site: Path):
    for page in site.glob("*.html"):
        doc = lxml.html.parse(str(page)).getroot()
        refs = doc.xpath("//@src | //link/@href")
        assert all(not urlparse(r).scheme and not r.startswith("//") for r in refs), (page.name, refs)
        assert "@import" not in page.read_text(encoding="utf-8")


@pytest.mark.browser
def test_every_page_loads_in_chromium_without_errors_and_every_link_resolves(site: Path, generated,
                                                                              tmp_path_factory, request):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; CI's .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    _, truth = generated
    shots = tmp_path_factory.mktemp("screenshots")
    errors: list[str] = []
    broken: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"{page.url}: failed to load {r.url}"))
        for html in sorted(site.glob("*.html")):
            page.goto(html.as_uri())
            for href in page.eval_on_selector_all(
                    "a[href]", "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)"):
                url = urlparse(href)
                assert url.scheme == "file", f"{html.name} links outside the site: {href}"
                target = Path(unquote(url.path))
                if not target.exists():
                    broken.append(f"{html.name} -> {href}")
                elif url.fragment and f'id="{url.fragment}"' not in target.read_text(encoding="utf-8"):
                    broken.append(f"{html.name} -> {href} (no such anchor)")
        # the filter: drivers who bumped up at least once
        page.goto((site / "drivers.html").as_uri())
        page.select_option("#filter-bump", "yes")
        visible = page.eval_on_selector_all("tr[data-classes]", "rs => rs.filter(r => !r.hidden).length")
        assert visible == len({b["driver_id"] for b in truth.bumpups})
        b0 = max(truth.bumpups, key=lambda b: sum(x["event_id"] == b["event_id"] and x["class_name"] == b["class_name"]
                                                  for x in truth.bumpups))
        ladder = next(p for p in site.glob(f"ladder-{b0['event_id']}-*.html")
                      if f"{b0['class_name']}: mains ladder" in p.read_text(encoding="utf-8"))
        with duckdb.connect(str(generated[0]), read_only=True) as con:
            driver = con.execute("""select d.driver_id from stg_drivers d join mart_bumpup_drivers b using (driver_id)
                                    join mart_practice_driver_days p on p.driver_key = d.driver_name_key
                                    order by b.bumpups desc, d.driver_id limit 1""").fetchone() or \
                con.execute("select driver_id from mart_bumpup_drivers order by bumpup_rank, driver_id limit 1").fetchone()
        practice = sorted(site.glob("practice-*.html"))[-1]
        for name, target in (("event", site / f"event-{b0['event_id']}.html"), ("ladder", ladder),
                             ("driver", site / f"driver-{driver[0]}.html"), ("practice", practice),
                             ("practice-driver", next(site.glob("driver-practice-*.html")))):
            page.goto(target.as_uri())
            page.screenshot(path=str(shots / f"report-{name}.png"))
        browser.close()
    print(f"\nscreenshots of the report at 1,400 px: {shots}")
    assert errors == []
    assert broken == []
    assert sorted(p.name for p in shots.glob("*.png")) == [
        "report-driver.png", "report-event.png", "report-ladder.png", "report-practice-driver.png",
        "report-practice.png"]


def test_practice_only_drivers_get_a_page_with_their_best_laps_over_time(site: Path, generated):
    from mre_crawler.report.format import lap
    from mre_crawler.report.site import practice_driver_href

    with duckdb.connect(str(generated[0]), read_only=True) as con:
        rows = con.execute("""select t.driver_key, t.driver_name, t.practice_date, t.best_lap
                              from mart_practice_driver_track_trend t
                              where t.driver_key not in (select driver_name_key from stg_drivers
                                                         where driver_name_key is not null)
                              order by 1, 3""").fetchall()
    keys = {r[0] for r in rows}
    assert keys, "the generated site must have drivers seen only at practice"
    listing = lxml.html.parse(str(site / "drivers.html")).getroot()
    listed = set(listing.xpath("//h2[@id='practice-only']/following-sibling::table[1]//a/@href"))
    assert listed == {practice_driver_href(k) for k in keys}
    practice_pages = " ".join(p.read_text(encoding="utf-8") for p in site.glob("practice-*.html"))
    for key in keys:
        page = site / practice_driver_href(key)
        doc = lxml.html.parse(str(page)).getroot()
        assert doc.xpath("//svg"), f"{page.name}: no best-lap chart"
        table = doc.xpath("//h2[starts-with(., 'Practice: best laps')]/following-sibling::table[1]")[0]
        shown = [(r.xpath("string(td[1])").strip(), r.xpath("string(td[5])").strip()) for r in table.xpath(".//tr[td]")]
        mine = [r for r in rows if r[0] == key]
        assert sorted(b for _, b in shown) == sorted(lap(r[3]) for r in mine)
        assert f'href="{page.name}"' in practice_pages  # the practice day pages link to it


def _multi_main_truth() -> list:
    """The generator's multi-main pages of PARAMS: LiveRC's published standing of each triple main."""
    return [item for p in iter_site(PARAMS, Truth()) if p.page_type == "multi_main" for item in p.items]


def _standing_rows(site: Path, x) -> list[list[str]]:  # noqa: ANN001
    """The rows of the A-main standings table of x's class on the event page."""
    doc = lxml.html.parse(str(site / f"event-{x.event_id}.html")).getroot()
    tables = doc.xpath(f"//h2[normalize-space()='{x.class_name}']/following-sibling::h3"
                       f"[starts-with(normalize-space(), 'A-Main standings over')][1]/following-sibling::table[1]")
    assert tables, f"no standings for {x.class_name} of event {x.event_id}"
    return [[td.text_content().strip() for td in tr.xpath("td")] for tr in tables[0].xpath("tr[td]")]


def test_triple_main_standings_are_liverc_s_published_standing(site: Path):
    multi = _multi_main_truth()
    assert multi, "the generated site must have triple mains with their multi-main pages"
    for x in multi:
        shown = _standing_rows(site, x)
        expected = sorted(x.rows, key=lambda r: r.position)
        assert [(r[0], r[1], r[-2]) for r in shown] == [(str(r.position), r.driver_name, str(r.points)) for r in expected]
        # MRE's own scoring of the legs agrees with the page (the mart recomputes LiveRC's rule)
        assert all(not r[-1].startswith("≠") for r in shown)


def test_without_the_multi_main_page_the_standing_is_a_reading_of_the_legs_with_ties_left(generated, tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(generated[0], path)
    with duckdb.connect(str(path)) as con:
        con.execute("delete from mart_multi_main_standings")
    out = tmp_path / "site"
    assert main(["report", str(out), "--warehouse", str(path)]) == 0
    for x in _multi_main_truth():
        shown = _standing_rows(out, x)
        # the counted legs' places summed are LiveRC's points (the page's own rule); ties are not broken
        points = {r.driver_name: r.points for r in x.rows}
        assert {r[1]: int(r[-1]) for r in shown} == points
        for r in shown:
            ahead = sum(p < int(r[-1]) for p in points.values())
            tied = sum(p == int(r[-1]) for p in points.values()) > 1
            assert r[0] == f"{ahead + 1}{'=' if tied else ''}"
        assert "not the official result" in (out / f"event-{x.event_id}.html").read_text(encoding="utf-8")
