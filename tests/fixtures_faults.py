"""Fault-scenario fixtures.

- ``fault_server``: ``fault_server(site, rules, seed=...)`` starts a :class:`~mre_crawler.faultserver.FaultServer`
  (stopped at teardown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from mre_crawler.faultserver import FaultRule, FaultServer


@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    servers: list[FaultServer] = []

    def start(directory: Path, rules: Iterable[FaultRule | Mapping[str, Any]] = (), seed: int = 0) -> FaultServer:
        server = FaultServer(directory, seed=seed)
        for rule in rules:
            server.add_rule(rule)
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()
