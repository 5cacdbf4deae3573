"""Every ```sh and ```sql block of README.md works as written on the demo's data.

One ``mre demo`` (session fixture, its own MRE_HOME) makes the database and warehouse; ``mre`` is on
PATH through the venv's bin directory; blocks run from a temp directory, not the checkout.
Conventions (also in the README's comment above "Example SQL"):
- a ```sh block right after ``<!-- readme-test: needs-internet -->`` is skipped with that reason;
- ```sql postgres runs with psql against the demo's database, ```sql duckdb against its warehouse,
  and each statement must return at least one row; ```sql liverc (real crawled data) is not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- readme-test: needs-internet -->"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.S | re.M)


def blocks() -> list:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        lang, info, body = m.group(1), m.group(2).strip(), m.group(3)
        line = text.count("\n", 0, m.start()) + 1
        before = text[: m.start()].rstrip("\n").splitlines()
        marked = bool(before) and before[-1].strip() == MARK
        if lang == "sh":
            found.append(pytest.param("sh", body, marked, id=f"sh-line{line}"))
        elif lang == "sql" and info != "liverc":
            found.append(pytest.param(info or "postgres", body, marked, id=f"sql-{info or 'postgres'}-line{line}"))
    return found


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("readme-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MRE_")}
    env.update(MRE_HOME=str(home), HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run(["mre", "demo"], env=env, cwd=home, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    url = subprocess.run(["mre", "db", "url", "--demo"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    yield {"env": env, "home": str(home), "url": url, "warehouse": str(home / "demo" / "warehouse.duckdb")}
    subprocess.run(["mre", "db", "stop"], env=env, capture_output=True, timeout=120)


def statements(body: str) -> list[str]:
    lines = [ln for ln in body.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@pytest.mark.db
@pytest.mark.parametrize(("kind", "body", "marked"), blocks())
def test_readme_block(kind, body, marked, demo, tmp_path):
    if marked:
        pytest.skip("marked readme-test: needs-internet")
    if kind == "sh":
        cwd = ROOT if "./mre" in body else tmp_path  # the set-up lines run in the checkout; the rest anywhere
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", body], env=demo["env"], cwd=cwd,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{body}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
        return
    for sql in statements(body):
        if kind == "duckdb":
            import duckdb

            with duckdb.connect(demo["warehouse"], read_only=True) as con:
                rows = con.sql(sql).fetchall()
        else:
            import psycopg

            with psycopg.connect(demo["url"]) as conn:
                rows = conn.execute(sql).fetchall()
        assert rows, f"no rows from:\n{sql}"
