"""Practice driver identity: who drove a session.

LiveRC's practice pages print a name, a class and a transponder per session and no driver id
(FIELD-GUIDE §9-10). A transponder is a device, not a person: one person runs several
(practice-day-overview-canberraoffroad-2025-10-25.html: Greg Rosander on 3 transponders in 2
classes) and clubs lend one transponder to several people. So the person is the printed name,
normalized (:func:`mre_crawler.normalize.driver_name_key`); the transponder is kept on each
session, and the view ``mre.practice_transponder_drivers`` shows both directions of the link.
``Unknown Driver`` is LiveRC's label for an unregistered transponder: it is nobody, never one
person (it is not counted as a driver).
"""

from __future__ import annotations

from mre_crawler.normalize import class_key, driver_display_name, driver_name_key

UNKNOWN_DRIVER_KEY = "unknown driver"
UNKNOWN_CLASS_KEY = "unknown class"


def practice_driver_key(name: str | None) -> str | None:
    """The person's key, or None for ``Unknown Driver`` / no name."""
    key = driver_name_key(name)
    if key is None or key == UNKNOWN_DRIVER_KEY:
        return None
    return key


def practice_display_name(name: str | None) -> str | None:
    return driver_display_name(name)


def practice_class_key(name: str | None) -> str | None:
    return class_key(name)


def is_unknown_class(key: str | None) -> bool:
    return key is None or key == UNKNOWN_CLASS_KEY
