"""Numbers people read: no float in any mart of the demo's warehouse carries more than 3 decimals
(lap times are milliseconds; ``-0.21099999999999852`` is float noise, not a figure)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest


def _decimals(value) -> int:
    text = format(Decimal(str(value)).normalize(), "f")
    return len(text.partition(".")[2])


@pytest.mark.db
def test_no_mart_number_is_printed_with_more_than_3_decimals(demo_run):
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_name like 'mart_%' and (data_type in ('DOUBLE', 'FLOAT', 'REAL') or data_type like 'DECIMAL%') "
            "order by 1, 2").fetchall()
        assert len(columns) >= 25
        checked, too_long = 0, {}
        for table, column in columns:
            values = [v for (v,) in con.execute(f'select distinct "{column}" from {table} where "{column}" is not null').fetchall()]
            checked += len(values)
            long = [v for v in values if _decimals(v) > 3]
            if long:
                too_long[f"{table}.{column}"] = long[:3]
    assert checked > 300  # the demo's marts have figures to check
    assert not too_long, too_long


def test_the_check_counts_the_decimals_a_terminal_prints():
    assert _decimals(-0.21099999999999852) > 3
    assert _decimals(116.266) == 3 and _decimals(4685.0) == 0 and _decimals(Decimal("0.080")) == 2
