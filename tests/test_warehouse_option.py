"""One ``--warehouse PATH`` option everywhere a warehouse is read or written (the old ``--path``
a hidden alias), and a command that reads a warehouse that was never built says so in one line,
exits 1 and builds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from mre_crawler.cli import main

# (argv before the option) of every command that reads or writes the warehouse
READERS = [
    ["bumpups", "486677"],
    ["export", "parquet", "OUT"],
    ["session-type", "list"],
]


@pytest.mark.parametrize("argv", READERS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("spelling", ["--warehouse", "--path"])
def test_a_missing_warehouse_is_one_line_exit_1_and_nothing_is_built(argv, spelling, tmp_path: Path, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("MRE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    missing = tmp_path / "never-built.duckdb"
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, spelling, str(missing)])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(f"no warehouse at {missing}: run `mre warehouse build`")
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_the_default_warehouse_is_not_built_either(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("MRE_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    with pytest.raises(SystemExit) as exit_:
        main(["bumpups", "486677"])
    assert exit_.value.code == 1
    assert f"no warehouse at {tmp_path / 'w.duckdb'}" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize("argv", [["warehouse", "build"], ["sync"], *READERS], ids=lambda a: " ".join(a[:2]))
def test_help_names_warehouse_and_hides_path(argv, capsys):
    argv = [a for a in argv if a not in ("486677", "OUT")]
    if argv == ["export", "parquet"]:
        argv = ["export", "parquet"]
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    out = capsys.readouterr().out
    assert "--warehouse PATH" in out and "--path" not in out


@pytest.mark.db
def test_db_url_names_the_demo_database(pg_url, monkeypatch, capsys):
    monkeypatch.setenv("MRE_DATABASE_URL", pg_url)
    assert main(["db", "url", "--demo"]) == 0
    assert "dbname=mre_demo" in capsys.readouterr().out
    assert main(["db", "url", "--database", "other"]) == 0
    assert "dbname=other" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [*READERS, ["report", "OUT"]], ids=lambda a: " ".join(a[:2]))
def test_demo_reads_the_demos_warehouse_under_mre_home(argv, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setenv("MRE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    code = None
    try:
        code = main([*argv, "--demo"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 1
    assert f"no warehouse at {tmp_path / 'demo' / 'warehouse.duckdb'}: run `mre warehouse build`" in capsys.readouterr().err
    assert main([*argv, "--demo", "--warehouse", str(tmp_path / "w.duckdb")]) == 2  # one or the other
