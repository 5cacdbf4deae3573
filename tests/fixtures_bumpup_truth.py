"""mart_bumpups checked against a generated site's truth (one copy for every test that does it)."""

from __future__ import annotations

import duckdb

from mre_crawler.samplesite.site import Truth


def check_no_false_high_and_recall(truth: Truth, con: duckdb.DuckDBPyConnection, minimum: float = 0.99) -> None:
    """No bump-up the truth lacks is published at high confidence, and at least ``minimum`` of
    the true ones are found."""
    expected = {(b["target_race_id"], b["driver_id"]): b for b in truth.bumpups}
    found = {(r[0], r[1]): r
             for r in con.execute("select target_race_id, driver_id, confidence from mart_bumpups").fetchall()}
    false_high = [k for k, r in found.items() if k not in expected and r[2] == "high"]
    assert false_high == []
    recall = sum(1 for k in expected if k in found) / len(expected)
    assert recall >= minimum, f"found {recall:.2%} of {len(expected)} true bump-ups"


def check_found_carry_the_truth(truth: Truth, con: duckdb.DuckDBPyConnection) -> None:
    """Every bump-up found carries its true source race and position, grid slot, status and kind."""
    found = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "select target_race_id, driver_id, source_race_id, source_finish_position, target_start_position, "
            "target_status, bumpup_kind from mart_bumpups"
        ).fetchall()
    }
    wrong = []
    for b in truth.bumpups:
        got = found.get((b["target_race_id"], b["driver_id"]))
        want = (b["source_race_id"], b["source_position"], b["target_grid_position"], b["target_status"],
                "lcq" if b["source_kind"] == "lcq" else "advance")
        if got is not None and got != want:
            wrong.append((b, got))
    assert wrong == []
