"""Run MRE crawls in-process, any number of times, and summarise them.

Twisted's reactor cannot be restarted, so ``CrawlerProcess`` allows one crawl per process. MRE
runs the asyncio reactor once, in a background thread, and hands each crawl to it with
:class:`~scrapy.crawler.AsyncCrawlerRunner`; the calling thread waits for the result (and can
draw a progress bar meanwhile). ``mre crawl``, ``mre demo``, the benchmarks and the tests all go
through :func:`run_crawl`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrapy.settings import Settings

from mre_crawler.config import CrawlConfig, env_settings
from mre_crawler.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_UNHEALTHY

_ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
_reactor_lock = threading.Lock()
_reactor_thread: threading.Thread | None = None


def crawl_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """MRE's Scrapy settings: the settings module, then ``MRE_`` variables, then ``overrides``."""
    settings = Settings()
    settings.setmodule("mre_crawler.settings", priority="project")
    settings.update(env_settings(), priority="project")
    settings.update(dict(overrides or {}), priority="cmdline")
    return settings


def _ensure_reactor() -> Any:
    """Install the asyncio reactor (once) and run it in a daemon thread; return it."""
    global _reactor_thread
    with _reactor_lock:
        from scrapy.utils.reactor import install_reactor, is_asyncio_reactor_installed, is_reactor_installed

        if not is_reactor_installed():
            install_reactor(_ASYNCIO_REACTOR)
        elif not is_asyncio_reactor_installed():
            raise RuntimeError("a non-asyncio Twisted reactor is already installed; MRE crawls need the asyncio one")
        from twisted.internet import reactor

        if _reactor_thread is None or not _reactor_thread.is_alive():
            _reactor_thread = threading.Thread(
                target=lambda: reactor.run(installSignalHandlers=False), name="mre-reactor", daemon=True
            )
            _reactor_thread.start()
        return reactor


@dataclass
class CrawlResult:
    spider: str
    args: dict[str, Any]
    stats: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)  # (LiveRC URL, reason)
    bad_input: str | None = None

    def stat(self, key: str) -> int:
        value = self.stats.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    @property
    def requests(self) -> int:
        """Every page request, cache hits included (robots.txt too)."""
        return self.stat("downloader/request_count")

    @property
    def fetched(self) -> int:
        """Requests that went to LiveRC (or the replay server / cassette)."""
        return self.requests - self.cache_hits

    @property
    def cache_hits(self) -> int:
        return self.stat("httpcache/hit")

    @property
    def retries(self) -> int:
        return self.stat("retry/count")

    @property
    def budget_used(self) -> int:
        return self.stat("mre/budget/used")

    @property
    def pages_parsed(self) -> int:
        return self.stat("mre/pages/parsed")

    @property
    def items(self) -> int:
        return self.stat("item_scraped_count")

    @property
    def rows_written(self) -> int:
        return self.stat("mre/store/rows_inserted") + self.stat("mre/store/rows_updated") + self.stat("mre/store/rows_removed")

    @property
    def quarantined(self) -> int:
        # The store counts every quarantine row it wrote: whole pages sent by the spider and the
        # items the validate pipeline rejected; without a store, the spider's own count.
        return max(self.stat("mre/store/quarantined"), self.stat("mre/pages/quarantined"))

    @property
    def budget_spent(self) -> dict[str, str]:
        """Tracks whose daily budget ran out: slug -> reset time (UTC, ISO)."""
        prefix = "mre/budget/spent/"
        return {k[len(prefix):]: v for k, v in self.stats.items() if k.startswith(prefix)}

    @property
    def unreachable(self) -> dict[str, str]:
        """Hosts the crawl could not reach at all (no DNS, refused, no route): host -> reason."""
        prefix = "mre/unreachable/"
        return {k[len(prefix):]: str(v) for k, v in self.stats.items() if k.startswith(prefix)}

    @property
    def paused(self) -> dict[str, tuple[float, str]]:
        """Tracks paused during the crawl (LiveRC's Retry-After): slug -> (seconds, why)."""
        prefix = "mre/pause/track/"
        return {k[len(prefix):]: (float(v), str(self.stats.get(f"mre/pause/reason/{k[len(prefix):]}", "")))
                for k, v in self.stats.items() if k.startswith(prefix)}

    @property
    def health_failed(self) -> list[str]:
        return list(self.stats.get("mre/health/failed") or [])

    @property
    def database_lost(self) -> str | None:
        """Why the crawl lost its database mid-way (it then stopped), or None."""
        return self.stats.get("mre/database_lost")

    @property
    def rendered(self) -> int:
        """Pages rendered in chromium because they came back without their data (mre_crawler.render)."""
        return self.stat("mre/render/pages")

    @property
    def pages_stored(self) -> int:
        return self.stat("mre/store/pages")

    @property
    def nothing_stored(self) -> bool:
        # An unchanged re-crawl stores nothing new, but every page it read is in the database.
        return self.stat("mre/store/pages") == 0 and self.items == 0 and self.stat("mre/pages/unchanged") == 0


def run_crawl(
    spider: str,
    args: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    on_crawler: Callable[[Any], None] | None = None,
) -> CrawlResult:
    """Run spider ``spider`` with ``args`` (as ``-a`` would) and setting ``overrides``; block until done.

    ``on_crawler`` is called (in the reactor thread) with the Crawler before it starts, so a
    caller can watch ``crawler.stats`` for a progress bar.
    """
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import threads

    full = crawl_settings(settings)
    CrawlConfig.from_settings(full)  # fail here, in the caller's thread, with the setting's name
    reactor = _ensure_reactor()
    args = dict(args or {})
    box: dict[str, Any] = {}

    def start():
        async def go():
            runner = AsyncCrawlerRunner(full)
            crawler = runner.create_crawler(spider)
            box["crawler"] = crawler
            if on_crawler is not None:
                on_crawler(crawler)
            await runner.crawl(crawler, **args)

        return deferred_from_coro(go())

    threads.blockingCallFromThread(reactor, start)
    crawler = box["crawler"]
    spider_obj = crawler.spider
    return CrawlResult(
        spider=spider,
        args=args,
        stats=dict(crawler.stats.get_stats()),
        failures=list(getattr(spider_obj, "failures", [])),
        bad_input=getattr(spider_obj, "bad_input", None),
    )


def unreachable_text(unreachable: dict[str, str]) -> str:
    """``cannot reach HOST: REASON`` (hosts joined when several were unreachable)."""
    return "cannot reach " + "; ".join(f"{host}: {reason}" for host, reason in sorted(unreachable.items()))


def crawl_outcome(result: CrawlResult) -> tuple[int, str | None]:
    """The exit code of a finished crawl and, when it is not 0, the one line that says why."""
    if result.database_lost:
        return EXIT_FAILED, (f"database connection lost after {result.pages_stored} pages "
                             f"({result.database_lost}); re-run to resume")
    if result.unreachable:
        return EXIT_FAILED, unreachable_text(result.unreachable)
    if result.nothing_stored:
        return EXIT_FAILED, "nothing could be stored (see the failed pages above)"
    if result.health_failed:
        checks = ", ".join(line.split(":", 1)[0].removeprefix("FAILED ") for line in result.health_failed)
        return EXIT_UNHEALTHY, f"the crawl ran, but crawl-health checks failed: {checks}"
    return EXIT_OK, None


def format_summary(result: CrawlResult) -> str:
    """The end-of-crawl summary the ``mre crawl`` commands print."""
    s = result.stats
    lines = [
        f"crawl {result.spider}: {s.get('finish_reason', '?')}",
        f"  requests      {result.requests} (from cache {result.cache_hits}, fetched {result.fetched}, "
        f"retries {result.retries}, budget used {result.budget_used})",
        f"  pages parsed  {result.pages_parsed}; items stored {result.items}",
        f"  rows written  {result.rows_written} (inserted {result.stat('mre/store/rows_inserted')}, "
        f"updated {result.stat('mre/store/rows_updated')}, removed {result.stat('mre/store/rows_removed')})",
        f"  quarantined   {result.quarantined}",
    ]
    if result.rendered or result.stat("mre/render/no_browser"):
        reasons = {k[len("mre/render/reason/"):]: v for k, v in s.items() if k.startswith("mre/render/reason/")}
        lines.append(f"  rendered      {result.rendered} in chromium"
                     + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")" if reasons else "")
                     + (f"; {result.stat('mre/render/no_browser')} needed a browser and found none"
                        if result.stat("mre/render/no_browser") else ""))
    by_table = s.get("mre/store/by_table") or {}
    changed = {t: v for t, v in by_table.items() if any(v)}
    if changed:
        lines.append("  by table      " + ", ".join(f"{t} +{i}/~{u}/-{r}" for t, (i, u, r) in sorted(changed.items())))
    skipped = {k[len("mre/skipped/"):]: v for k, v in s.items() if k.startswith("mre/skipped/")}
    if skipped:
        lines.append("  skipped       " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())))
    for track, (seconds, why) in sorted(result.paused.items()):
        lines.append(f"  paused        {track} {seconds:.0f} s" + (f" ({why})" if why else ""))
    for host, reason in sorted(result.unreachable.items()):
        lines.append(f"  unreachable   {host}: {reason}")
    for track, resets in sorted(result.budget_spent.items()):
        lines.append(f"  budget spent  {track}: its requests stopped; resets at {resets}")
    if result.failures:
        lines.append(f"  failed pages  {len(result.failures)}:")
        for url, reason in result.failures[:50]:
            lines.append(f"    {url}  {reason}")
        if len(result.failures) > 50:
            lines.append(f"    ... and {len(result.failures) - 50} more")
    for finding in result.health_failed:
        lines.append(f"  health        {finding}")
    return "\n".join(lines)


def configure_logging(level: str = "WARNING") -> None:
    from scrapy.utils.log import configure_logging as scrapy_logging

    scrapy_logging({"LOG_LEVEL": level, "LOG_FORMAT": "%(levelname)s %(name)s: %(message)s",
                    "LOG_INSTALL_ROOT_HANDLER": True})
    logging.getLogger().setLevel(level)


def live_stats(crawler: Any):
    """A running crawler's stats collector, or None before the crawl has set it up: Scrapy 2.19
    raises on ``crawler.stats`` until then, and progress bars poll from another thread."""
    if crawler is None:
        return None
    try:
        return crawler.stats
    except RuntimeError:
        return None
