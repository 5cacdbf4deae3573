"""Time zone from a dashboard address, and the local -> UTC rule around DST."""

from __future__ import annotations

import datetime as dt

import pytest

from mre_crawler.timezones import check_zone, local_to_utc, zone_from_address


@pytest.mark.parametrize(
    ("country_code", "country", "region", "postcode", "zone", "source"),
    [
        # track-dashboard-canberraoffroad.html: "Narrabundah 02604" / "Australia", map q=...,AU
        ("AU", "Australia", None, "02604", "Australia/Sydney", "address"),
        ("AU", "Australia", None, "2604", "Australia/Sydney", "address"),
        ("AU", None, "ACT", None, "Australia/Sydney", "address"),
        ("AU", None, None, "2536", "Australia/Sydney", "address"),  # Batemans Bay, NSW
        ("AU", None, None, "A2536", "Australia/Sydney", "address"),  # printed "Batemans Bay A2536"
        ("AU", None, "NSW", None, "Australia/Sydney", "address"),
        ("AU", None, None, "3000", "Australia/Melbourne", "address"),
        ("AU", None, "VIC", None, "Australia/Melbourne", "address"),
        ("AU", None, None, "4000", "Australia/Brisbane", "address"),
        ("AU", None, "Queensland", None, "Australia/Brisbane", "address"),
        ("AU", None, None, "5000", "Australia/Adelaide", "address"),
        ("AU", None, None, "2880", "Australia/Adelaide", "address"),  # Broken Hill keeps SA time
        ("AU", None, None, "6000", "Australia/Perth", "address"),
        ("AU", None, None, "7000", "Australia/Hobart", "address"),
        ("AU", None, None, "0800", "Australia/Darwin", "address"),
        ("AU", None, None, "0200", "Australia/Sydney", "address"),  # ACT PO boxes
        (None, "Australia", "TAS", None, "Australia/Hobart", "address"),
        # US: "Lucama, NC 27851" (a dashboard in the field guide)
        ("US", "United States", "NC", "27851", "America/New_York", "address"),
        ("US", None, "CA", None, "America/Los_Angeles", "address"),
        ("US", None, "AZ", None, "America/Phoenix", "address-approx"),
        ("US", None, "TX", None, "America/Chicago", "address-approx"),
        ("US", None, "FL", None, "America/New_York", "address-approx"),
        ("CA", "Canada", "AB", None, "America/Edmonton", "address"),
        ("CA", "Canada", "ON", None, "America/Toronto", "address-approx"),
        ("GB", "United Kingdom", None, "SW1A 1AA", "Europe/London", "address"),
        ("NZ", None, None, None, "Pacific/Auckland", "address"),
        (None, "Ireland", None, None, "Europe/Dublin", "address"),
        # Data first (issue 15 item 8): the ZIP alone places Lucama; a country with several zones and
        # nothing to place the town gets the zone most of its people live in, approximate.
        ("US", None, None, "27851", "America/New_York", "address"),
        ("CA", None, "XX", None, "America/Toronto", "address-approx"),
        ("BR", "Brazil", None, None, "America/Sao_Paulo", "address-approx"),
    ],
)
def test_zone_from_address(country_code, country, region, postcode, zone, source):
    guess = zone_from_address(country_code, country, region, postcode)
    assert (guess.zone, guess.source) == (zone, source), guess.reason


@pytest.mark.parametrize(
    ("country_code", "country", "region", "postcode", "reason_part"),
    [
        ("AU", "Australia", None, None, "Australia spans several zones"),
        ("AU", "Australia", None, "ABCD", "Australia spans several zones"),
        ("AU", "Australia", None, "123456", "Australia spans several zones"),
        (None, None, None, None, "unknown country"),
        (None, "Atlantis", None, None, "unknown country Atlantis"),
    ],
)
def test_unknown_zone_is_none_with_a_reason(country_code, country, region, postcode, reason_part):
    guess = zone_from_address(country_code, country, region, postcode)
    assert guess.zone is None and guess.source is None
    assert reason_part in guess.reason


@pytest.mark.parametrize(
    ("local", "zone", "utc", "flag"),
    [
        # Race 6304829 completed Nov 16, 2025 at 5:30pm in Canberra (AEDT, UTC+11).
        (dt.datetime(2025, 11, 16, 17, 30), "Australia/Sydney", dt.datetime(2025, 11, 16, 6, 30), None),
        (dt.datetime(2025, 7, 1, 12, 0), "Australia/Sydney", dt.datetime(2025, 7, 1, 2, 0), None),
        # Sydney's clocks go back 3:00 -> 2:00 on 2025-04-06: 2:30 happens twice; earlier (AEDT) wins.
        (dt.datetime(2025, 4, 6, 2, 30), "Australia/Sydney", dt.datetime(2025, 4, 5, 15, 30), "ambiguous"),
        # ... and forward 2:00 -> 3:00 on 2025-10-05: 2:30 never happens; shifted forward to 3:30 AEDT.
        (dt.datetime(2025, 10, 5, 2, 30), "Australia/Sydney", dt.datetime(2025, 10, 4, 16, 30), "nonexistent"),
        (dt.datetime(2025, 3, 9, 2, 30), "America/New_York", dt.datetime(2025, 3, 9, 7, 30), "nonexistent"),
        (dt.datetime(2025, 11, 2, 1, 30), "America/New_York", dt.datetime(2025, 11, 2, 5, 30), "ambiguous"),
        (dt.datetime(2025, 11, 16, 17, 30), None, None, "no_zone"),
        (None, "Australia/Sydney", None, None),
    ],
)
def test_local_to_utc_rule(local, zone, utc, flag):
    got, got_flag = local_to_utc(local, zone)
    expected = utc.replace(tzinfo=dt.timezone.utc) if utc else None
    assert (got, got_flag) == (expected, flag)


@pytest.mark.parametrize("name", ["Australia/Sydney", "America/New_York", "UTC", "Europe/London"])
def test_check_zone_accepts_iana_names(name):
    assert check_zone(name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "Sydney", "../etc/passwd", "AEST"])
def test_check_zone_refuses_unknown_names(name):
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        check_zone(name)
