"""Every ``MRE_`` crawl setting, read once into a frozen, validated :class:`CrawlConfig`.

Settings come from the environment (``MRE_CONTACT=... mre crawl ...``), from the Scrapy settings
module (``mre_crawler.settings`` copies the environment in) and from ``-s MRE_X=...`` on
``scrapy crawl``. Components never read ``MRE_`` settings themselves: they call
:func:`config_for(crawler) <config_for>`, which builds the config once per crawler, so a bad value
fails the crawl at start with one line naming the setting, not halfway through.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mre_crawler import __version__

DAY = 24 * 3600


class ConfigError(ValueError):
    """A setting has a value MRE cannot use; the message names the setting."""


def default_home() -> Path:
    """MRE's data directory: ``MRE_HOME`` or the user's data directory (``~/.local/share/mre``)."""
    env = os.environ.get("MRE_HOME")
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_data_dir("mre", appauthor=False))
    except ImportError:  # platformdirs is a dependency; this only guards odd installs
        return Path.home() / ".local" / "share" / "mre"


# name: (default, meaning). Defaults are strings, as the environment would give them; the table
# in the README is generated from this dict so the two cannot drift apart.
SETTINGS: dict[str, tuple[str, str]] = {
    "MRE_HOME": ("", "data directory (database, HTTP cache, sample sites); default: the user's data directory"),
    "MRE_SITE": ("", "fetch LiveRC URLs from this replay server (http://127.0.0.1:PORT) instead of LiveRC"),
    "MRE_CASSETTE": ("", "replay these betamax cassette files (comma-separated) instead of fetching"),
    "MRE_POLITE": ("0", "apply rate ceiling, daily budget and AutoThrottle even with a loopback --site"),
    "MRE_CONTACT": ("", "contact (email or URL) put in the user agent: MRE/<version> (+contact)"),
    "MRE_CONCURRENCY_PER_TRACK": ("2", "simultaneous requests per track (the track slug is the host)"),
    "MRE_RATE_ENABLED": ("1", "per-track request-rate ceiling on/off"),
    "MRE_RATE_PER_MINUTE": ("10", "per-track request-rate ceiling, requests per minute (shared by all processes)"),
    "MRE_BUDGET_ENABLED": ("1", "per-track daily request budget on/off"),
    "MRE_DAILY_BUDGET": ("1000", "per-track requests per UTC day (shared by all processes; resets 00:00 UTC)"),
    "MRE_BUDGET_WARN_AT": ("0.9", "warn once when this share of a track's daily budget is used"),
    "MRE_AUTOTHROTTLE_ENABLED": ("1", "Scrapy AutoThrottle (adapts delay to LiveRC's latency) on/off"),
    "MRE_ROBOTSTXT_ENABLED": ("1", "obey robots.txt"),
    "MRE_RETRY_ENABLED": ("1", "retries with exponential backoff on/off"),
    "MRE_RETRY_TIMES": ("3", "retries per page after the first attempt"),
    "MRE_RETRY_BACKOFF_BASE": ("2", "first retry waits this many seconds, then 2x, 4x ..."),
    "MRE_RETRY_BACKOFF_MAX": ("120", "longest backoff wait, seconds"),
    "MRE_RETRY_AFTER_MAX": ("900", "longest Retry-After (429/503) MRE will honour, seconds; longer gives up the page"),
    "MRE_CUT_BODY_RETRY_ENABLED": ("1", "retry a page whose body is cut short (no </html>, Content-Length mismatch) like a 5xx; off: quarantine it at once"),
    "MRE_UNREACHABLE_ENABLED": ("1", "give up a host that cannot be reached (DNS lookup failed, connection refused, no route): its other requests fail at once"),
    "MRE_UNREACHABLE_AFTER": ("2", "connection failures in a row (the first attempt and one quick retry) after which a host counts as unreachable"),
    "MRE_CACHE_ENABLED": ("1", "HTTP cache with per-page-type expiry on/off"),
    "MRE_CACHE_DIR": ("", "HTTP cache directory; default MRE_HOME/httpcache"),
    "MRE_CACHE_TTL_CATALOGUE": (str(DAY), "cache expiry, track catalogue (s)"),
    "MRE_CACHE_TTL_DASHBOARD": ("3600", "cache expiry, track dashboard (s)"),
    "MRE_CACHE_TTL_EVENTS": ("3600", "cache expiry, a track's events list (s)"),
    "MRE_CACHE_TTL_EVENT": ("3600", "cache expiry, event page (s)"),
    "MRE_CACHE_TTL_RESULTS_LIVE": ("600", "cache expiry, race/entry list/points pages of an event not yet finished (s)"),
    "MRE_CACHE_TTL_RESULTS_FINISHED": (str(30 * DAY), "cache expiry, race/entry list/points pages of a finished event (s)"),
    "MRE_CACHE_TTL_PRACTICE_MONTH": (str(DAY), "cache expiry, practice month view (s)"),
    "MRE_CACHE_TTL_PRACTICE_DAY": ("3600", "cache expiry, practice day overview (s)"),
    "MRE_CACHE_TTL_PRACTICE_SESSION": ("900", "cache expiry, practice session page (s)"),
    "MRE_SKIP_UNCHANGED": ("1", "skip re-parsing race, entry list and points pages whose body is the one already stored"),
    "MRE_EVENT_FINISHED_AFTER_DAYS": ("2", "an event whose last day is this many days past counts as finished"),
    "MRE_NORMALIZE_ENABLED": ("1", "item pipeline: normalize values on/off"),
    "MRE_VALIDATE_ENABLED": ("1", "item pipeline: validate rows (bad ones to quarantine) on/off"),
    "MRE_STORE_ENABLED": ("1", "item pipeline: store into PostgreSQL on/off"),
    "MRE_STORE_BATCH_PAGES": ("50", "pages per database transaction"),
    "MRE_STORE_THREADED": ("1", "write to PostgreSQL on a worker thread, overlapping parsing"),
    "MRE_BOOKKEEPING_ENABLED": ("1", "crawl run, fetch and quarantine records on/off"),
    "MRE_HEALTH_ENABLED": ("1", "end-of-crawl health checks on/off"),
    "MRE_HEALTH_MAX_HTTP_ERROR_SHARE": ("0.25", "health: most 4xx/5xx responses as a share of responses"),
    "MRE_HEALTH_MAX_QUARANTINED_SHARE": ("0.1", "health: most quarantined pages as a share of parsed pages"),
    "MRE_HEALTH_MAX_UNPARSEABLE": ("50", "health: most unreadable values (parse problems) in one crawl"),
    "MRE_HEALTH_MAX_ERRORS": ("0", "health: most ERROR log lines"),
    "MRE_HEALTH_MIN_ITEMS_PER_PAGE": ("0.5", "health: fewest items per parsed page"),
    "MRE_ALERT_DISCOVERY_FAILURE_SHARE": ("0.1", "mre health: most failed practice discovery requests, as a share of them"),
    "MRE_ALERT_INGEST_FAILURE_SHARE": ("0.05", "mre health: most failed practice day ingestions, as a share of them"),
    "MRE_ALERT_RATE_LIMITED_SHARE": ("0.02", "mre health: most 429/503 responses, as a share of requests"),
    "MRE_ALERT_DRIFT_HOURS": ("24", "mre health: practice sessions found this many hours after their day was ingested fire the drift alert"),
    "MRE_ALERT_LOW_CONFIDENCE_SHARE": ("0.2", "mre health: most low-confidence session types, as a share of sessions (last warehouse build)"),
    "MRE_ALERT_SYNC_STALE_HOURS": ("36", "mre health: a followed track with no successful sync for this many hours fires"),
    "MRE_ALERT_QUARANTINE_GROWTH": ("10", "mre health: most new open quarantine rows within the window"),
    "MRE_ALERT_WEBHOOK": ("", "mre health / sync: POST firing alerts as JSON to this URL, once per change of state"),
    "MRE_ALERT_WEBHOOK_TIMEOUT": ("10", "webhook timeout, seconds (one attempt per run, no retries)"),
    "MRE_ALERT_SYNC_WINDOW": ("24", "mre sync: hours of stored runs its end-of-sync alert rules look at"),
    "MRE_PROGRESS_INTERVAL": ("30", "seconds between plain progress lines when output is not a terminal"),
    "MRE_ARCHIVE_ENABLED": ("1", "keep every fetched body once, content-addressed and zstd-compressed (mre reprocess reads it)"),
    "MRE_ARCHIVE_DIR": ("", "raw page archive directory; default MRE_HOME/archive"),
    "MRE_RENDER_ENABLED": ("1", "render a page that came back without its data (no lap data, empty practice list, bot check) in chromium"),
    "MRE_CHROMIUM": ("", "chromium to render pages with; default /usr/bin/chromium or chromium on PATH"),
    "MRE_RENDER_WAIT": ("15", "seconds a render waits for the page's data to appear (a bot check that never lets the page through ends it)"),
    "MRE_REDIS_URL": ("", "Redis shared by `mre worker` processes (redis://HOST:6379/0): the crawl queue, duplicate filter and per-track concurrency leases"),
    "MRE_REDIS_PREFIX": ("mre", "prefix of MRE's Redis keys (two deployments can share one Redis)"),
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class CacheTTL:
    """Cache expiry in seconds per kind of page (issue 4 sets the practice ones)."""

    catalogue: int
    dashboard: int
    events: int
    event: int
    results_live: int
    results_finished: int
    practice_month: int
    practice_day: int
    practice_session: int


@dataclass(frozen=True)
class HealthThresholds:
    max_http_error_share: float
    max_quarantined_share: float
    max_unparseable: int
    max_errors: int
    min_items_per_page: float


@dataclass(frozen=True)
class CrawlConfig:
    home: Path
    site: str | None
    cassettes: tuple[Path, ...]
    polite: bool
    contact: str
    concurrency_per_track: int
    rate_enabled: bool
    rate_per_minute: float
    budget_enabled: bool
    daily_budget: int
    budget_warn_at: float
    autothrottle_enabled: bool
    robotstxt_enabled: bool
    retry_enabled: bool
    retry_times: int
    retry_backoff_base: float
    retry_backoff_max: float
    retry_after_max: float
    unreachable_enabled: bool
    unreachable_after: int
    cache_enabled: bool
    cache_dir: Path
    cache_ttl: CacheTTL
    skip_unchanged: bool
    event_finished_after_days: int
    health_enabled: bool
    health: HealthThresholds
    normalize_enabled: bool = True
    validate_enabled: bool = True
    store_enabled: bool = True
    store_batch_pages: int = 50
    store_threaded: bool = True
    bookkeeping_enabled: bool = True
    cut_body_retry_enabled: bool = True
    archive_enabled: bool = True
    archive_dir: Path | None = None  # None: MRE_HOME/archive
    render_enabled: bool = True
    chromium: str = ""
    render_wait: float = 15.0
    redis_url: str | None = None
    redis_prefix: str = "mre"

    # -- derived -------------------------------------------------------------------------------
    @property
    def offline(self) -> bool:
        """Pages come from a loopback replay server or cassettes, never from LiveRC."""
        if self.cassettes:
            return True
        return bool(self.site) and _is_loopback(urlsplit(self.site).hostname or "")

    @property
    def throttled(self) -> bool:
        """Whether the rate ceiling, daily budget and AutoThrottle apply.

        They protect LiveRC; against a loopback replay they only slow tests, the demo and the
        benchmarks down, so they are off there unless ``MRE_POLITE`` asks for them.
        """
        return self.polite or not self.offline

    @property
    def user_agent(self) -> str:
        contact = self.contact or "contact not configured: set MRE_CONTACT"
        return f"MRE/{__version__} (+{contact})"

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Any) -> CrawlConfig:
        """Build from a Scrapy ``Settings`` or any mapping of names to values (strings allowed)."""
        r = _Reader(settings)
        home = Path(r.text("MRE_HOME") or default_home()).expanduser()
        site = r.text("MRE_SITE") or None
        if site:
            site = site.rstrip("/")
            parts = urlsplit(site)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(f"MRE_SITE must be an http://HOST:PORT address, not {site!r}")
        cassettes = tuple(Path(p.strip()) for p in r.text("MRE_CASSETTE").split(",") if p.strip())
        for c in cassettes:
            if not c.is_file():
                raise ConfigError(f"MRE_CASSETTE: no cassette file at {c}")
        contact = r.text("MRE_CONTACT")
        if any(ch in contact for ch in "()\r\n"):
            raise ConfigError("MRE_CONTACT must not contain parentheses or line breaks")
        return cls(
            home=home,
            site=site,
            cassettes=cassettes,
            polite=r.flag("MRE_POLITE"),
            contact=contact,
            concurrency_per_track=r.integer("MRE_CONCURRENCY_PER_TRACK", 1, 8),
            rate_enabled=r.flag("MRE_RATE_ENABLED"),
            rate_per_minute=r.number("MRE_RATE_PER_MINUTE", 0.1, 6000),
            budget_enabled=r.flag("MRE_BUDGET_ENABLED"),
            daily_budget=r.integer("MRE_DAILY_BUDGET", 1, 10_000_000),
            budget_warn_at=r.number("MRE_BUDGET_WARN_AT", 0.0, 1.0),
            autothrottle_enabled=r.flag("MRE_AUTOTHROTTLE_ENABLED"),
            robotstxt_enabled=r.flag("MRE_ROBOTSTXT_ENABLED"),
            retry_enabled=r.flag("MRE_RETRY_ENABLED"),
            retry_times=r.integer("MRE_RETRY_TIMES", 0, 10),
            retry_backoff_base=r.number("MRE_RETRY_BACKOFF_BASE", 0.0, 3600),
            retry_backoff_max=r.number("MRE_RETRY_BACKOFF_MAX", 0.0, 24 * 3600),
            retry_after_max=r.number("MRE_RETRY_AFTER_MAX", 0.0, DAY),
            unreachable_enabled=r.flag("MRE_UNREACHABLE_ENABLED"),
            unreachable_after=r.integer("MRE_UNREACHABLE_AFTER", 1, 100),
            cache_enabled=r.flag("MRE_CACHE_ENABLED"),
            cache_dir=Path(r.text("MRE_CACHE_DIR") or home / "httpcache").expanduser(),
            cache_ttl=CacheTTL(
                catalogue=r.integer("MRE_CACHE_TTL_CATALOGUE", 0, 365 * DAY),
                dashboard=r.integer("MRE_CACHE_TTL_DASHBOARD", 0, 365 * DAY),
                events=r.integer("MRE_CACHE_TTL_EVENTS", 0, 365 * DAY),
                event=r.integer("MRE_CACHE_TTL_EVENT", 0, 365 * DAY),
                results_live=r.integer("MRE_CACHE_TTL_RESULTS_LIVE", 0, 365 * DAY),
                results_finished=r.integer("MRE_CACHE_TTL_RESULTS_FINISHED", 0, 10 * 365 * DAY),
                practice_month=r.integer("MRE_CACHE_TTL_PRACTICE_MONTH", 0, 365 * DAY),
                practice_day=r.integer("MRE_CACHE_TTL_PRACTICE_DAY", 0, 365 * DAY),
                practice_session=r.integer("MRE_CACHE_TTL_PRACTICE_SESSION", 0, 365 * DAY),
            ),
            skip_unchanged=r.flag("MRE_SKIP_UNCHANGED"),
            event_finished_after_days=r.integer("MRE_EVENT_FINISHED_AFTER_DAYS", 0, 3650),
            health_enabled=r.flag("MRE_HEALTH_ENABLED"),
            health=HealthThresholds(
                max_http_error_share=r.number("MRE_HEALTH_MAX_HTTP_ERROR_SHARE", 0.0, 1.0),
                max_quarantined_share=r.number("MRE_HEALTH_MAX_QUARANTINED_SHARE", 0.0, 1.0),
                max_unparseable=r.integer("MRE_HEALTH_MAX_UNPARSEABLE", 0, 10_000_000),
                max_errors=r.integer("MRE_HEALTH_MAX_ERRORS", 0, 10_000_000),
                min_items_per_page=r.number("MRE_HEALTH_MIN_ITEMS_PER_PAGE", 0.0, 1000),
            ),
            normalize_enabled=r.flag("MRE_NORMALIZE_ENABLED"),
            validate_enabled=r.flag("MRE_VALIDATE_ENABLED"),
            store_enabled=r.flag("MRE_STORE_ENABLED"),
            store_batch_pages=r.integer("MRE_STORE_BATCH_PAGES", 1, 100_000),
            store_threaded=r.flag("MRE_STORE_THREADED"),
            bookkeeping_enabled=r.flag("MRE_BOOKKEEPING_ENABLED"),
            cut_body_retry_enabled=r.flag("MRE_CUT_BODY_RETRY_ENABLED"),
            archive_enabled=r.flag("MRE_ARCHIVE_ENABLED"),
            archive_dir=Path(r.text("MRE_ARCHIVE_DIR") or home / "archive").expanduser(),
            render_enabled=r.flag("MRE_RENDER_ENABLED"),
            chromium=r.text("MRE_CHROMIUM"),
            render_wait=r.number("MRE_RENDER_WAIT", 0.5, 600),
            redis_url=_redis_url(r.text("MRE_REDIS_URL")),
            redis_prefix=_redis_prefix(r.text("MRE_REDIS_PREFIX")),
        )


def _redis_url(text: str) -> str | None:
    if not text:
        return None
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"MRE_REDIS_URL must be a redis://HOST:PORT/DB address, not {text!r}")
    return text


def _redis_prefix(text: str) -> str:
    if not text or any(ch in text for ch in " :*?[]"):
        raise ConfigError(f"MRE_REDIS_PREFIX must be a word without spaces, ':' or wildcards, not {text!r}")
    return text


class _Reader:
    """Typed getters over settings; unset values fall back to :data:`SETTINGS` defaults."""

    def __init__(self, settings: Any):
        self.settings = settings

    def raw(self, name: str) -> Any:
        value = self.settings.get(name) if hasattr(self.settings, "get") else None
        if value is None or value == "":
            value = SETTINGS[name][0]
        return value

    def text(self, name: str) -> str:
        value = self.raw(name)
        return "" if value is None else str(value).strip()

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be a switch (1/0, true/false, yes/no, on/off), not {value!r}")

    def number(self, name: str, low: float, high: float) -> float:
        value = self.raw(name)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {number:g}")
        return number

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.raw(name)
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {number}")
        return number


def config_for(crawler: Any) -> CrawlConfig:
    """The crawler's config, built from its settings on first use and then reused."""
    config = getattr(crawler, "_mre_config", None)
    if config is None:
        config = CrawlConfig.from_settings(crawler.settings)
        crawler._mre_config = config
    return config


def polite_config(crawler: Any, enabled: str, setting: str, what: str, log: Any) -> CrawlConfig:
    """The config for a politeness component, or NotConfigured: off by its switch (``setting``), or
    off because the crawl reads a loopback replay without --polite (expected, so logged at info,
    not as a warning). ``enabled`` names the config field of the switch."""
    from scrapy.exceptions import NotConfigured

    config = config_for(crawler)
    if not getattr(config, enabled):
        raise NotConfigured(f"{setting} is off")
    if not config.throttled:
        log.info("%s is off for a loopback replay (use --polite to keep it)", what)
        raise NotConfigured
    return config


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``MRE_`` settings present in the environment (what ``mre_crawler.settings`` copies in)."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in SETTINGS if environ.get(name, "") != ""}


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds of the ``mre health`` rules (``MRE_ALERT_*``) and where alerts go."""

    discovery_failure_share: float
    ingest_failure_share: float
    rate_limited_share: float
    drift_hours: float
    low_confidence_share: float
    sync_stale_hours: float
    quarantine_growth: int
    webhook: str
    webhook_timeout: float

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None = None) -> AlertSettings:
        r = _Reader(os.environ if settings is None else settings)
        webhook = r.text("MRE_ALERT_WEBHOOK")
        if webhook and urlsplit(webhook).scheme not in ("http", "https"):
            raise ConfigError(f"MRE_ALERT_WEBHOOK must be an http(s):// URL, not {webhook!r}")
        return cls(
            discovery_failure_share=r.number("MRE_ALERT_DISCOVERY_FAILURE_SHARE", 0.0, 1.0),
            ingest_failure_share=r.number("MRE_ALERT_INGEST_FAILURE_SHARE", 0.0, 1.0),
            rate_limited_share=r.number("MRE_ALERT_RATE_LIMITED_SHARE", 0.0, 1.0),
            drift_hours=r.number("MRE_ALERT_DRIFT_HOURS", 0.0, 365 * 24),
            low_confidence_share=r.number("MRE_ALERT_LOW_CONFIDENCE_SHARE", 0.0, 1.0),
            sync_stale_hours=r.number("MRE_ALERT_SYNC_STALE_HOURS", 0.0, 365 * 24),
            quarantine_growth=r.integer("MRE_ALERT_QUARANTINE_GROWTH", 0, 10_000_000),
            webhook=webhook,
            webhook_timeout=r.number("MRE_ALERT_WEBHOOK_TIMEOUT", 0.1, 600),
        )
