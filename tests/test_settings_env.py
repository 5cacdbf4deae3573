"""Every documented MRE_ setting works from the environment as from ``-s``, and a bad value is one
line and exit 2 wherever it is read; per-track concurrency is what the README says on every site."""

from __future__ import annotations

import pytest

from mre_crawler.config import SETTINGS, CrawlConfig

# Settings the pipelines and the bookkeeping read (they used to work only with -s).
PIPELINE_SETTINGS = {
    "MRE_STORE_BATCH_PAGES": ("7", "store_batch_pages", 7),
    "MRE_STORE_THREADED": ("0", "store_threaded", False),
    "MRE_STORE_ENABLED": ("0", "store_enabled", False),
    "MRE_NORMALIZE_ENABLED": ("0", "normalize_enabled", False),
    "MRE_VALIDATE_ENABLED": ("0", "validate_enabled", False),
    "MRE_BOOKKEEPING_ENABLED": ("0", "bookkeeping_enabled", False),
    "MRE_RENDER_WAIT": ("2.5", "render_wait", 2.5),  # read by the render middleware
}


@pytest.mark.parametrize("name", sorted(PIPELINE_SETTINGS))
def test_a_pipeline_setting_from_the_environment_reaches_the_crawl(name, monkeypatch):
    from mre_crawler.crawl import crawl_settings

    value, field, expected = PIPELINE_SETTINGS[name]
    assert name in SETTINGS
    monkeypatch.setenv(name, value)
    assert getattr(CrawlConfig.from_settings(crawl_settings()), field) == expected
    monkeypatch.delenv(name)
    assert getattr(CrawlConfig.from_settings(crawl_settings({name: value})), field) == expected  # as with -s


COMMANDS = {
    "crawl limits": ["crawl", "limits", "sometrack"],
    "crawl event": ["crawl", "event", "--track", "sometrack", "--id", "1", "--site", "http://127.0.0.1:9"],
    "demo": ["demo", "--quick"],
    "practice discover": ["practice", "discover", "--track", "sometrack", "--from", "2025-01-01",
                          "--to", "2025-01-02", "--site", "http://127.0.0.1:9"],
}
BAD_VALUES = [(command, name, value)
              for name, value in (("MRE_RATE_PER_MINUTE", "abc"), ("MRE_STORE_BATCH_PAGES", "0"))
              for command in COMMANDS] + [("practice discover", "MRE_PRACTICE_DAILY_BUDGET", "lots"),
                                           ("crawl event", "MRE_RENDER_WAIT", "0")]


@pytest.mark.parametrize("command, name, value", BAD_VALUES)
def test_a_bad_value_in_the_environment_is_one_line_and_exit_2(command, name, value, monkeypatch, tmp_path, capsys):
    from mre_crawler.cli import main

    argv = COMMANDS[command]
    monkeypatch.setenv("MRE_HOME", str(tmp_path))
    monkeypatch.setenv(name, value)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0] and err[0].startswith(f"mre {argv[0]}: "), err


@pytest.mark.db
def test_per_track_concurrency_on_a_loopback_site_is_the_documented_two(small_site, fault_server, crawl, pg_conn):
    from mre_crawler.faultserver import FaultRule
    from mre_crawler.samplesite import load_truth

    slug = load_truth(small_site)["tracks"][0]["slug"]
    # Slow race pages keep requests in flight long enough for the crawl to try to overlap them.
    server = fault_server(small_site, [FaultRule("slow", seconds=0.1, page_type="race_result")])
    result = crawl("track", {"track": slug}, MRE_SITE=server.site)
    assert result.failures == []
    assert server.max_in_flight[slug] == int(SETTINGS["MRE_CONCURRENCY_PER_TRACK"][0]) == 2
    # The setting is honoured in both directions.
    server.max_in_flight.clear()
    crawl("track", {"track": slug}, MRE_SITE=server.site, MRE_CONCURRENCY_PER_TRACK=1, MRE_CACHE_ENABLED=0)
    assert server.max_in_flight[slug] == 1
