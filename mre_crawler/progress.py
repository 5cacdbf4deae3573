"""Progress of a running crawl, for ``mre crawl`` and ``mre sync`` (issue 10 item 8).

On a terminal a live ``rich`` bar; otherwise (cron, a timer, a pipe) one plain line every
``MRE_PROGRESS_INTERVAL`` seconds on stderr, which a log file keeps readable::

    progress: 120 pages done, 34 queued, 2.1 pages/s, budget left 880, ETA 16 s

:class:`CrawlProgress` polls the crawler's stats from its own thread (``watch(crawler)`` as
``run_crawl``'s ``on_crawler``), so any command that runs crawls can show it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO

from mre_crawler.crawl import live_stats


@dataclass(frozen=True)
class Snapshot:
    done: int
    queued: int
    rate: float  # pages a second since the start
    budget_left: int | None  # the tracks' daily budgets still unused; None when budgets are off

    @property
    def eta_s(self) -> float | None:
        return None if self.rate <= 0 else self.queued / self.rate

    def line(self) -> str:
        parts = [f"{self.done} pages done", f"{self.queued} queued", f"{self.rate:.1f} pages/s"]
        if self.budget_left is not None:
            parts.append(f"budget left {self.budget_left}")
        eta = self.eta_s
        parts.append("ETA -" if eta is None else f"ETA {eta:.0f} s")
        return "progress: " + ", ".join(parts)


def snapshot(stats: Any, elapsed: float) -> Snapshot:
    get = stats.get_value
    done = int(get("downloader/response_count", 0) or 0)
    queued = max(0, int(get("scheduler/enqueued", 0) or 0) - int(get("scheduler/dequeued", 0) or 0))
    left = None
    for key, value in stats.get_stats().items():
        if key.startswith("mre/budget/track/") and isinstance(value, str) and "/" in value:
            used, budget = value.rsplit("/", 1)
            left = (left or 0) + max(0, int(budget) - int(used))
    return Snapshot(done, queued, done / elapsed if elapsed > 0 else 0.0, left)


class CrawlProgress:
    def __init__(self, stream: TextIO | None = None, interval: float | None = None, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.interval = interval if interval is not None else float(os.environ.get("MRE_PROGRESS_INTERVAL") or 30)
        self.tty = self.stream.isatty() if tty is None else tty
        self.crawler: Any = None
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, crawler: Any) -> None:
        """``on_crawler`` for :func:`mre_crawler.crawl.run_crawl`: starts the ticker."""
        self.crawler = crawler
        self.started = time.monotonic()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mre-progress", daemon=True)
            self._thread.start()

    def current(self) -> Snapshot | None:
        stats = live_stats(self.crawler)
        return None if stats is None else snapshot(stats, time.monotonic() - self.started)

    def _run(self) -> None:
        if self.tty:
            from rich.console import Console
            from rich.live import Live

            with Live(console=Console(file=self.stream), transient=True, refresh_per_second=4) as live:
                while not self._stop.wait(0.25):
                    snap = self.current()
                    if snap is not None:
                        live.update(snap.line())
            return
        while not self._stop.wait(self.interval):
            snap = self.current()
            if snap is not None:
                print(snap.line(), file=self.stream, flush=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
