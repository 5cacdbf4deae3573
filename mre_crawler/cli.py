"""The ``mre`` command line. Each subcommand lives in its own module ``mre_crawler.commands.<name>``
(found automatically) exposing ``register(subparsers)``, which adds its parser and sets ``func``
(called with the parsed args; it returns the exit code).

Exit codes (:data:`mre_crawler.exitcodes.EXIT_CODES_HELP`): 0 ran and healthy, 1 nothing stored / database
lost / build failed, 2 bad input (one-line reason), 3 ran but health checks failed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from collections.abc import Sequence

from mre_crawler import __version__

def command_modules() -> list[str]:
    """Every module in ``mre_crawler.commands`` that defines ``register``, by name."""
    import mre_crawler.commands as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    from mre_crawler.exitcodes import EXIT_CODES_HELP

    parser = argparse.ArgumentParser(
        prog="mre",
        description="Crawl LiveRC racing results into PostgreSQL and a DuckDB warehouse.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mre {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in command_modules():
        module = importlib.import_module(f"mre_crawler.commands.{name}")
        if hasattr(module, "register"):
            module.register(sub)
    _plain_help(parser)
    return parser


_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]*)``")
_BOLD = re.compile(r"\*\*([^*\s][^*]*?)\*\*")
_TICK = re.compile(r"`([^`]+)`")


def plain(text: str | None) -> str | None:
    """reST markup as a terminal should not show it: ``:mod:`x```, double and single backticks,
    and ``**bold**`` become their bare text."""
    if not text:
        return text
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    return _TICK.sub(r"\1", text)


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """Descriptions come from module docstrings and help strings are written like them: strip their
    reST markup (roles, backticks, bold) from every parser and argument at every depth."""
    parser.description = plain(parser.description)
    parser.epilog = plain(parser.epilog)
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = plain(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for listed in action._choices_actions:
                listed.help = plain(listed.help)
            for child in set(action.choices.values()):
                _plain_help(child)


def main(argv: Sequence[str] | None = None) -> int:
    from mre_crawler.config import ConfigError
    from mre_crawler.db import DatabaseUnavailable

    parser = build_parser()
    args = parser.parse_args(argv)
    json_log = None
    if getattr(args, "log_json", None) is not None:
        from mre_crawler import eventlog

        action = next((getattr(args, d) for d in ("target", "practice_command", "warehouse_command",
                                                  "export_format") if getattr(args, d, None)), None)
        json_log = eventlog.install(args.log_json, " ".join(["mre", args.command] + ([action] if action else [])))
    try:
        return int(args.func(args) or 0)
    except (UsageError, ConfigError) as exc:
        # ConfigError: a bad MRE_* value from the environment, wherever a command reads it.
        print(f"mre {args.command}: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"mre {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if json_log is not None:
            from mre_crawler import eventlog

            eventlog.uninstall(json_log)


if __name__ == "__main__":
    sys.exit(main())
