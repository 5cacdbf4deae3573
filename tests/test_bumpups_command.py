"""``mre bumpups EVENT`` (table, --json, --html), ``mre bumpups correct`` and the HTML page in
headless Chromium, over the real event 486677 built into a warehouse file."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest

from mre_crawler.cli import main
from tests.test_bumpups_real_event import EVENT_ID, parsed_pages, store_real_event
from warehouse.item_sources import item_sources
from warehouse.runner import build_warehouse
from warehouse.sources import ArrowSources

pytestmark = pytest.mark.liverc
EVENT_URL = "https://canberraoffroad.liverc.com/results/?p=view_event&id=486677"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def warehouse_file(liverc, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    build_warehouse(path, ArrowSources(item_sources(parsed_pages(liverc))))
    return path


def test_table_shows_each_bump_up_with_its_source_main(warehouse_file, capsys):
    assert main(["bumpups", str(EVENT_ID), "--warehouse", str(warehouse_file)]) == 0
    out = capsys.readouterr().out
    for name in ("LINDSAY FROST", "DALLAS GARDINER", "RILEY LANDER", "MITCHELL SCOTT"):
        assert name in out
    assert out.count("↑ from B-Main") == 4
    assert "did not start" in out
    assert "1/8 Nitro Buggy: 4 drivers bumped up to the A-Main" in out
    assert "missing results page: 1/8 Nitro Buggy C-Main (race 6304831)" in out


def test_json_lists_the_bump_ups_and_the_missing_pages(warehouse_file, capsys):
    assert main(["bumpups", EVENT_URL, "--warehouse", str(warehouse_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["event_id"] == EVENT_ID
    assert [(b["driver_name"], b["source_finish_position"], b["target_start_position"]) for b in data["bumpups"]] == [
        ("LINDSAY FROST", 1, 9), ("DALLAS GARDINER", 2, 10), ("RILEY LANDER", 3, 11), ("MITCHELL SCOTT", 4, 12)]
    assert 6304831 in {m["race_id"] for m in data["missing_pages"]}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bumpups", "https://canberraoffroad.liverc.com/results/?p=view_race_result&id=6304829"], "not an event URL"),
        (["bumpups", "not-an-event"], "not an event id or LiveRC event URL"),
        (["bumpups", "correct", "486677", "--suppress", "--driver", "1", "--to", "2"], "--reason TEXT is required"),
        (["bumpups", "correct", "486677", "--add", "--driver", "1", "--to", "2", "--reason", "x"], "--add needs --from"),
    ],
)
def test_bad_input_is_a_usage_error(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_event_exits_1_and_says_so(warehouse_file, capsys):
    assert main(["bumpups", "123", "--warehouse", str(warehouse_file)]) == 1
    assert "event 123 is not in the warehouse" in capsys.readouterr().err


def _png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct pixel values (8-bit RGB/RGBA, non-interlaced)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    seen: set[bytes] = set()
    prev = bytearray(stride)
    for row in range(height):  # undo the PNG row filters
        f, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if row % 4 == 0:
            seen.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 4))
        prev = line
    return width, height, len(seen)


@pytest.mark.browser
def test_html_page_opens_offline_in_headless_chromium_and_shows_the_chart(warehouse_file, tmp_path: Path):
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; CI's .ci/run installs it)")
    page = tmp_path / "bumpups-486677.html"
    assert main(["bumpups", str(EVENT_ID), "--warehouse", str(warehouse_file), "--html", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "<svg" in text and 'class="bumpup"' in text
    assert "src=" not in text and "<link" not in text and "<script" not in text  # nothing to fetch
    shot = tmp_path / "shot.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1200,900", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    width, height, colours = _png_size_and_colours(shot.read_bytes())
    assert (width, height) == (1200, 900)
    assert colours > 20  # text, axes and the coloured driver lines, not a blank page


@pytest.mark.db
def test_correct_suppress_applies_on_rebuild_and_the_report_builds_a_missing_warehouse(
    liverc, pg_conn, pg_url, tmp_path: Path, monkeypatch, capsys
):
    store_real_event(liverc, pg_conn)
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("MRE_WAREHOUSE_PATH", str(path))

    assert main(["bumpups", "correct", str(EVENT_ID), "--suppress", "--driver", "731648", "--to", "6304829",
                 "--reason", "withdrew before the A-Main", "--by", "tester"]) == 0
    assert main(["bumpups", "correct", str(EVENT_ID), "--add", "--driver", "1", "--from", "6304830",
                 "--to", "999", "--reason", "x"]) == 2
    assert "race 999 is not in the database" in capsys.readouterr().err

    assert not path.exists()
    with pytest.raises(SystemExit) as exit_:  # nothing builds a warehouse as a side effect
        main(["bumpups", str(EVENT_ID), "--json"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.strip() == f"mre bumpups: no warehouse at {path}: run `mre warehouse build`"
    assert not path.exists()
    assert main(["warehouse", "build"]) == 0
    capsys.readouterr()
    assert main(["bumpups", str(EVENT_ID), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out[captured.out.index("{"):])
    assert {b["driver_name"] for b in data["bumpups"]} == {"LINDSAY FROST", "DALLAS GARDINER", "MITCHELL SCOTT"}
    # published to PostgreSQL too
    assert pg_conn.execute("select count(*) from marts.mart_bumpups").fetchone()[0] == 3
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from mart_bumpups").fetchone()[0] == 3
