"""A real Redis for the shared-crawl tests: ``/usr/bin/redis-server`` on a free port in a temp dir.

Skipped with the reason when the binary is absent (``.ci/run`` installs Debian's ``redis-server``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mre_crawler.workers.redisserver import REDIS_SERVER, RedisServer


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).is_file():
        pytest.skip(f"no redis-server at {REDIS_SERVER}: install Debian's redis-server (.ci/run does) to run the shared-crawl tests")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory).start()
    yield server
    server.stop()
