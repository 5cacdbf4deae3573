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
- Anything else: ``None`` with a reason; never guessed.

Local -> UTC rule (DST): an ambiguous wall-clock time (the repeated hour) takes the earlier
instant (``fold=0``) and is flagged ``ambiguous``; a nonexistent one (the skipped hour) is
shifted forward by the gap and flagged ``nonexistent``; no zone gives no instant, flagged
``no_zone``.
"""

from __future__ import annotations

import datetime as dt
import re
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


def zone_from_address(
    country_code: str | None,
    country: str | None = None,
    region: str | None = None,
    postcode: str | None = None,
) -> ZoneGuess:
    """The IANA zone for a dashboard address, or ``zone=None`` with the reason."""
    cc = _country_code(country_code, country)
    if cc is None:
        return ZoneGuess(None, None, f"unknown country {country_code or country or '(none)'}")
    reg = " ".join((region or "").upper().replace(".", "").split()) or None
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
