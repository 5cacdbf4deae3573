"""What a newcomer reads in ``--help``: the exit codes, and no reST markup."""

from __future__ import annotations

import pytest

from mre_crawler.cli import build_parser, command_modules


def test_the_top_help_lists_every_exit_code(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for code in ("0  ran and healthy", "1  nothing could be stored", "2  bad input", "3  ran, but crawl-health"):
        assert code in out


@pytest.mark.parametrize("command", command_modules())
def test_command_help_has_no_rest_literal_quotes(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command.replace("_", "-"), "--help"])
    assert "``" not in capsys.readouterr().out
