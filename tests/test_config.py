"""The MRE_ settings are read once into a frozen, validated CrawlConfig (no crawl needed)."""

from __future__ import annotations

import dataclasses

import pytest

from mre_crawler.config import SETTINGS, ConfigError, CrawlConfig


def config(**settings: str) -> CrawlConfig:
    return CrawlConfig.from_settings({"MRE_HOME": "/tmp/mre-test-home", **settings})


def test_defaults_are_polite_towards_liverc():
    c = config()
    assert c.site is None and not c.offline and c.throttled
    assert c.robotstxt_enabled and c.autothrottle_enabled and c.rate_enabled and c.budget_enabled
    assert c.retry_times == 3
    assert c.cache_ttl.practice_month == 24 * 3600
    assert c.cache_ttl.practice_day == 3600
    assert c.cache_ttl.practice_session == 15 * 60
    assert c.cache_ttl.results_finished >= 30 * 24 * 3600 > c.cache_ttl.event
    assert str(c.cache_dir) == "/tmp/mre-test-home/httpcache"


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        config().rate_per_minute = 1000  # type: ignore[misc]


@pytest.mark.parametrize(
    ("site", "polite", "throttled"),
    [
        ("http://127.0.0.1:8765", "0", False),
        ("http://localhost:8765/", "0", False),
        ("http://[::1]:8765", "0", False),
        ("http://127.0.0.1:8765", "1", True),  # --polite keeps the limits on a loopback site
        ("http://192.168.1.20:8765", "0", True),  # someone else's machine: be polite
        ("https://mirror.example.org", "0", True),
    ],
)
def test_limits_stand_down_only_for_loopback_replays(site, polite, throttled):
    c = config(MRE_SITE=site, MRE_POLITE=polite)
    assert c.throttled is throttled
    assert not c.site.endswith("/")


def test_user_agent_names_version_and_contact():
    from mre_crawler import __version__

    assert config(MRE_CONTACT="racing@club.example").user_agent == f"MRE/{__version__} (+racing@club.example)"
    assert "MRE_CONTACT" in config().user_agent  # says how to fix a missing contact


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MRE_RATE_PER_MINUTE", "fast", "MRE_RATE_PER_MINUTE must be a number"),
        ("MRE_RATE_PER_MINUTE", "0", "MRE_RATE_PER_MINUTE must be between"),
        ("MRE_DAILY_BUDGET", "1.5", "MRE_DAILY_BUDGET must be a whole number"),
        ("MRE_DAILY_BUDGET", "-3", "MRE_DAILY_BUDGET must be between"),
        ("MRE_BUDGET_WARN_AT", "1.5", "MRE_BUDGET_WARN_AT must be between"),
        ("MRE_RETRY_TIMES", "11", "MRE_RETRY_TIMES must be between"),
        ("MRE_CONCURRENCY_PER_TRACK", "0", "MRE_CONCURRENCY_PER_TRACK must be between"),
        ("MRE_CACHE_ENABLED", "maybe", "MRE_CACHE_ENABLED must be a switch"),
        ("MRE_SITE", "127.0.0.1:8765", "MRE_SITE must be an http://HOST:PORT address"),
        ("MRE_CASSETTE", "/nonexistent/cassette.json", "MRE_CASSETTE: no cassette file"),
        ("MRE_CONTACT", "me (at) example", "MRE_CONTACT must not contain parentheses"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(name, value, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        config(**{name: value})


@pytest.mark.parametrize(("text", "expected"), [("1", True), ("yes", True), ("on", True), ("0", False),
                                                ("false", False), ("OFF", False)])
def test_switches_read_the_usual_spellings(text, expected):
    assert config(MRE_POLITE=text).polite is expected


def test_scrapy_settings_objects_are_read_too():
    from mre_crawler.crawl import crawl_settings

    c = CrawlConfig.from_settings(crawl_settings({"MRE_RATE_PER_MINUTE": "30", "MRE_HOME": "/tmp/x"}))
    assert c.rate_per_minute == 30.0


def test_every_setting_has_a_default_and_a_meaning():
    for name, (default, meaning) in SETTINGS.items():
        assert name.startswith("MRE_") and meaning
    config()  # all defaults validate
