"""What a newcomer reads in ``--help``: the exit codes, no reST markup at any depth, and no named path
that does not exist. Each help is the real ``--help`` output of its command, walked from the top."""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path

import pytest

from mre_crawler.cli import build_parser, plain

ROOT = Path(__file__).resolve().parents[1]


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path (``()``, ``("crawl",)``, ``("crawl", "track")`` …), aliases left out."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                if child.prog.split()[-1] == name:
                    found += _commands(child, path + (name,))
    return found


COMMANDS = _commands(build_parser())


def _help(path: tuple[str, ...], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*path, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_every_command_is_walked():
    names = {" ".join(p) for p in COMMANDS}
    assert len(COMMANDS) >= 50
    assert {"", "crawl", "crawl track", "practice ingest", "warehouse build", "report", "demo"} <= names


def test_the_top_help_lists_every_exit_code(capsys):
    out = _help((), capsys)
    for code in ("0  ran and healthy", "1  nothing could be stored", "2  bad input", "3  ran, but crawl-health"):
        assert code in out


@pytest.mark.parametrize(("text", "want"), [
    ("``mre crawl``", "mre crawl"),
    ("see :mod:`mre_crawler.render` and :data:`~a.b`", "see mre_crawler.render and a.b"),
    ("- **first**: an empty store", "- first: an empty store"),
    ("run `mre sync`", "run mre sync"),
    ("ids from 1 to 2**63 - 1", "ids from 1 to 2**63 - 1"),
])
def test_markup_is_stripped_and_nothing_else(text, want):
    assert plain(text) == want


MARKUP = re.compile(r"``|`[^`\n]+`|\*\*[^*\s][^*]*\*\*|:[a-z]+:`")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("mre", *p)))
def test_help_has_no_rest_markup(path, capsys):
    out = _help(path, capsys)
    assert not MARKUP.findall(out), f"mre {' '.join(path)} --help shows markup: {MARKUP.findall(out)}"


# A path in the project (sql/models, mre_crawler/faultserver.py, ../shared/liverc, …) or a module
# (mre_crawler.samplesite.scripted) named by a help text.
_TOP = "|".join(sorted({p.name for p in ROOT.iterdir() if not p.name.startswith(".")} | {"../shared"}))
PROJECT_PATH = re.compile(rf"(?<![\w/$.])((?:{_TOP})(?:/[\w.*-]+)+)")
MODULE = re.compile(r"\b((?:mre_crawler|warehouse)(?:\.[a-z_]\w*)+)")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("mre", *p)))
def test_paths_and_modules_named_in_help_exist(path, capsys):
    out = _help(path, capsys)
    for named in PROJECT_PATH.findall(out):
        pattern = named.rstrip(".,)").replace("NNNN", "*")
        if pattern.startswith("../shared") and not (ROOT.parent / "shared").exists():
            continue
        assert list(ROOT.glob(pattern)), f"mre {' '.join(path)} --help names {named}, which does not exist"
    for module in MODULE.findall(out):
        name = module.rstrip(".")
        # a table such as warehouse.duckdb is a file name, not a module
        if name.endswith((".duckdb", ".py", ".sql")):
            continue
        assert importlib.util.find_spec(name) is not None, f"mre {' '.join(path)} --help names module {name}"


DEMO_PATH = re.compile(r"MRE_HOME/(demo[\w./-]*)")


@pytest.mark.db
def test_demo_paths_named_in_help_are_what_the_demo_writes(demo_run, capsys):
    """Every ``MRE_HOME/demo…`` path a help text names is there after ``mre demo``."""
    named = set()
    for path in COMMANDS:
        named |= {m.rstrip(".,)/") for m in DEMO_PATH.findall(_help(path, capsys))}
    assert "demo/warehouse.duckdb" in named
    missing = sorted(n for n in named if not (demo_run.home / n).exists())
    assert not missing, f"help names {missing} under MRE_HOME; the demo wrote {sorted(p.name for p in (demo_run.home / 'demo').iterdir())}"
