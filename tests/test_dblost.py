"""Which database errors end a crawl as "database connection lost" (exit 1) and which do not."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from mre_crawler.db import DatabaseUnavailable
from mre_crawler.extensions.dblost import is_connection_lost, one_line


@pytest.mark.parametrize("exc, lost", [
    (psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"), True),
    (errors.AdminShutdown("terminating connection due to administrator command"), True),
    (errors.CrashShutdown("terminating connection because of crash of another server process"), True),
    (errors.ConnectionFailure("connection failure"), True),
    (psycopg.InterfaceError("the connection is closed"), True),
    (DatabaseUnavailable("postgresql://u:secret@h/db", "connection refused"), True),
    # A deadlock or serialization failure rolls back one transaction: the store tries it again.
    (errors.DeadlockDetected("deadlock detected"), False),
    (errors.SerializationFailure("could not serialize access"), False),
    (errors.NumericValueOutOfRange("integer out of range"), False),  # a bad row: quarantined
    (ValueError("not a database error"), False),
])
def test_only_a_dead_connection_counts_as_lost(exc, lost):
    assert is_connection_lost(exc) is lost


def test_the_reason_is_libpqs_first_line():
    exc = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly\n"
                                   "\tThis probably means the server terminated abnormally\n")
    assert one_line(exc) == "consuming input failed: server closed the connection unexpectedly"
