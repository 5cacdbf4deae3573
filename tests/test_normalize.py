"""Driver and class name normalization (shared by the pipelines, the store and practice)."""

from __future__ import annotations

import pytest

from mre_crawler.normalize import class_key, clean_text, driver_display_name, driver_name_key


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("FELIX KOEGLER", "Felix Koegler", "felix koegler"),  # race-6304829.html, UPPER CASE
        ("Conor Merrigan", "Conor Merrigan", "conor merrigan"),  # practice day overview, mixed case
        ("  FELIX   KOEGLER ", "Felix Koegler", "felix koegler"),
        ("SHANE O'CONNOR", "Shane O'Connor", "shane o'connor"),  # entry list apostrophe
        ("SHANE O\u2019CONNOR", "Shane O'Connor", "shane o'connor"),  # typographic apostrophe
        ("BOB WALKER 3RD", "Bob Walker 3rd", "bob walker 3rd"),  # qual points: digits in names
        ("PHILO 5 HATCH", "Philo 5 Hatch", "philo 5 hatch"),
        ("ANNE-MARIE SMITH", "Anne-Marie Smith", "anne-marie smith"),
        ("McDONALD", "McDONALD", "mcdonald"),  # mixed case is kept as printed
        ("JOSÉ PÉREZ", "José Pérez", "josé pérez"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_driver_names(raw, display, key):
    assert driver_display_name(raw) == display
    assert driver_name_key(raw) == key


def test_printed_forms_of_one_driver_share_a_key():
    forms = ["FELIX KOEGLER", "Felix Koegler", "felix  koegler", " Felix Koegler "]
    assert {driver_name_key(f) for f in forms} == {"felix koegler"}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("1/10 Buggy", "1/10 buggy"),
        ("1/10 buggy", "1/10 buggy"),
        ("1-10 Buggy", "1/10 buggy"),
        ("1:10  BUGGY", "1/10 buggy"),
        ("1 / 10 Buggy", "1/10 buggy"),
        ("1/8 Nitro Buggy", "1/8 nitro buggy"),  # event-486677.html
        ("40+ Electric Buggy", "40+ electric buggy"),  # entry-list-silverstate: not a scale
        ("Junior", "junior"),
        ("2WD Mod 1-10", "2wd mod 1/10"),
        ("Stock 17.5", "stock 17.5"),  # a motor turn count is not a scale
        ("", None),
    ],
)
def test_class_key(raw, key):
    assert class_key(raw) == key


def test_clean_text_collapses_the_heat_double_space():
    # event-486677.html prints "(1/8 Nitro Buggy  (Heat 3/3))" with a double space
    assert clean_text("1/8 Nitro Buggy  (Heat 3/3)") == "1/8 Nitro Buggy (Heat 3/3)"
