"""TEMPORARY until the fault harness lands."""
TABLES = {"tracks": "slug", "events": "source_event_id", "races": "race_id", "race_results": "race_id, driver_id",
          "laps": "race_id, driver_id, lap_number", "entries": "event_id, class_name, name_key", "drivers": "driver_id",
          "entry_lists": "event_id", "points_rows": "points_id, class_name, name_key"}
SKIP = {"created_at", "updated_at", "removed_at", "run_id"}


def db_snapshot(conn):
    out = {}
    for t, key in TABLES.items():
        cur = conn.execute(f"SELECT * FROM mre.{t}")
        cols = [d.name for d in cur.description]
        rows = {}
        for r in cur.fetchall():
            d = dict(zip(cols, r))
            k = tuple(d[c.strip()] for c in key.split(","))
            rows[k] = tuple((c, d[c]) for c in cols if c not in SKIP) + (("present", d.get("removed_at") is None),)
        out[t] = rows
    return out


def diff_snapshots(a, b):
    diffs = []
    for t in a:
        for k in a[t].keys() | b[t].keys():
            if a[t].get(k) != b[t].get(k):
                diffs.append((t, k, a[t].get(k), b[t].get(k)))
    return diffs
