"""Name pools, track addresses and racing classes the sample site draws from.

Addresses cover the countries and states whose time zones the crawler must tell apart: LiveRC
prints no zone anywhere, only the dashboard address (FIELD-GUIDE §2). Australian addresses print
"City Postcode" with no state (track-dashboard-canberraoffroad.html: ``Narrabundah 02604``), so
the state must come from the postcode; US and Canadian ones print ``City, ST ZIP``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    street: str
    city: str
    region: str | None  # printed state/province code (US, CA); None where LiveRC prints none
    postcode: str
    country: str  # as printed on the dashboard
    country_code: str  # as in the map iframe's q=...,CC
    zone: str  # the IANA zone a correct mapping gives (the truth for timezone tests)
    state: str  # the state/territory the zone mapping needs (AU: derived from the postcode)

    @property
    def city_line(self) -> str:
        if self.region:
            return f"{self.city}, {self.region} {self.postcode}"
        return f"{self.city} {self.postcode}"


PLACES: tuple[Place, ...] = (
    Place("Holt Oval Road", "Holt", None, "02615", "Australia", "AU", "Australia/Sydney", "ACT"),
    Place("Jamison Road", "Penrith", None, "2750", "Australia", "AU", "Australia/Sydney", "NSW"),
    Place("5320 US 301", "Lucama", "NC", "27851", "United States", "US", "America/New_York", "NC"),
    Place("Perry Road", "Keysborough", None, "3173", "Australia", "AU", "Australia/Melbourne", "VIC"),
    Place("1200 Airport Drive", "Bakersfield", "CA", "93308", "United States", "US", "America/Los_Angeles", "CA"),
    Place("Quinzeh Creek Road", "Logan Village", None, "4207", "Australia", "AU", "Australia/Brisbane", "QLD"),
    Place("Motivation Drive", "Wangara", None, "6065", "Australia", "AU", "Australia/Perth", "WA"),
    Place("8200 Fallbrook Dr", "Houston", "TX", "77064", "United States", "US", "America/Chicago", "TX"),
    Place("4500 Brighton Blvd", "Denver", "CO", "80216", "United States", "US", "America/Denver", "CO"),
    Place("2250 E Main St", "Mesa", "AZ", "85213", "United States", "US", "America/Phoenix", "AZ"),
    Place("4220 32 Ave NE", "Calgary", "AB", "T2E 7H7", "Canada", "CA", "America/Edmonton", "AB"),
    Place("Stacey Bushes", "Milton Keynes", None, "MK12 6HP", "United Kingdom", "GB", "Europe/London", "ENG"),
    Place("Wigram Road", "Christchurch", None, "8042", "New Zealand", "NZ", "Pacific/Auckland", "CAN"),
    Place("6135 Shawson Drive", "Mississauga", "ON", "L5T 1E6", "Canada", "CA", "America/Toronto", "ON"),
    Place("3999 W Hacienda Ave", "Las Vegas", "NV", "89118", "United States", "US", "America/Los_Angeles", "NV"),
    Place("Hanging Rock Complex", "Batemans Bay", None, "A2536", "Australia", "AU", "Australia/Sydney", "NSW"),
)

# (display name, slug). Slugs are not derived from names (bayrc is "BBRCC Off-Road"), and one
# is mixed case like FastandFunToyandHobby in track-catalogue.html.
TRACK_NAMES: tuple[tuple[str, str], ...] = (
    ("Capital Off Road Model Car Club", "capitaloffroad"),
    ("Penrith Dirt Kings", "pdk"),
    ("Fast Lap Toy and Hobby", "FastLapToyandHobby"),
    ("Southern Cross Off-Road", "scor"),
    ("Finishline RC Valley", "tracktimevalley"),
    ("Logan Village RC Club", "lvrc"),
    ("Perth Radio Car Club", "prcc"),
    ("Cypress Creek Hobbies", "cypresscreek"),
    ("Mile High RC Park", "milehighrc"),
    ("Desert Dust Raceway", "desertdust"),
    ("Cowtown Indoor RC", "cowtownrc"),
    ("MK Model Car Club", "mkmcc"),
    ("Wigram Wheels RC", "wigramrc"),
    ("Peel Region RC Raceway", "peelrc"),
    ("Silver Sands RC", "silversands"),
    ("BBay RC Club's Off-Road", "bbayrc"),
)

FIRST_NAMES = (
    "FELIX", "ARI", "JIMMY", "MATTHEW", "RILEY", "RYAN", "LINDSAY", "DALLAS", "SHANE", "CONOR",
    "GREG", "JAKE", "BERNIE", "HAMISH", "DANIEL", "RICHARD", "MATT", "CHRIS", "ADAM", "JEFF",
    "PAUL", "DONALD", "TOM", "JOSH", "OWEN", "PETE", "BIG MIKE", "AARON", "JASON", "ROB",
    "KAI", "LEVI", "SOPHIE", "EMMA", "NOAH", "MIA", "LUCAS", "ZOE", "OLIVER", "ISLA",
    "PHILO 5", "JAMES", "HENRY", "ELLA", "LIAM", "CHLOE", "MASON", "RUBY", "ETHAN", "GRACE",
)
LAST_NAMES = (
    "KOEGLER", "BAKLA", "HORNE", "COUPER", "LANDER", "REYNOLDS", "FROST", "GARDINER", "O'CONNOR",
    "MERRIGAN", "ROSANDER", "MCMAHON", "MCCALLUM", "QUINTON", "BRATTON", "D'ANGELO", "CURRY",
    "DABNEY", "O'LOUGHLIN", "ELLIOTT", "BISHOP", "FINE", "SIMMONS", "FREEMAN", "GRAVES", "HATCH",
    "WALKER 3RD", "BURAN", "SCHREFFLER", "GLEASON", "NGUYEN", "SMITH", "TAYLOR", "BROWN", "WILSON",
    "MARTIN", "THOMPSON", "WHITE", "HARRIS", "CLARKE", "ROBINSON", "WRIGHT", "KING", "YOUNG",
    "SCOTT", "GREEN", "BAKER", "HILL", "CAMPBELL", "MITCHELL",
)

EVENT_NAMES = (
    "{year} Club Championship Round {n}",
    "{year} Winter Series Round-{n}",
    "Club Day {n}",
    "{year} Rudi's Memorial, Clay Cup",
    "{year} State Titles",
    "Wombat's Cup {year}",
    "Friday Night Clubbin' #{n}",
    "{year} Summer Shootout & Trophy Race",
    "{year} Nitro Challenge {n}",
    "Round {n} Points Series",
)


@dataclass(frozen=True)
class RacingClass:
    name: str
    lap_ms: int  # typical lap of a mid-field driver
    heat_seconds: int
    main_seconds: tuple[int, ...]  # A, B, C, D
    colour: str  # the race_num badge background on race pages


RACING_CLASSES: tuple[RacingClass, ...] = (
    RacingClass("1/8 Nitro Buggy", 38_000, 300, (1800, 1200, 900, 600), "#0000FF"),
    RacingClass("1/8 Electric Buggy", 36_000, 300, (600, 600, 600, 600), "#00FA00"),
    RacingClass("1/10 2WD Buggy", 24_000, 240, (420, 360, 300, 300), "#FF8000"),
    RacingClass("1/10 4WD Buggy", 23_000, 240, (420, 360, 300, 300), "#800080"),
    RacingClass("17.5 Blinky 2WD Buggy", 26_500, 240, (360, 300, 300, 300), "#008080"),
    RacingClass("Stock Short Course", 27_000, 240, (360, 300, 300, 300), "#A52A2A"),
    RacingClass("40+ Electric Buggy", 36_500, 300, (600, 480, 420, 420), "#FF00FF"),
    RacingClass("1/8 Nitro Truggy", 40_000, 300, (1200, 900, 600, 600), "#000080"),
)
JUNIOR = RacingClass("Junior", 31_000, 240, (480,), "#FFA500")

PRACTICE_CLASSES = ("1/10 Open", "1/8 Electric Buggy", "1/8 Nitro Buggy", "1/10 2WD Buggy")
PRACTICE_LAP_MS = {"1/10 Open": 36_000, "1/8 Electric Buggy": 38_000, "1/8 Nitro Buggy": 37_000,
                   "1/10 2WD Buggy": 30_000, "Unknown Class": 52_000}
