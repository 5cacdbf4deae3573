"""Per-track request-rate ceiling and daily request budget, shared through PostgreSQL.

Both live in the database (migration ``0010_politeness.sql``) so they hold across runs and across
several crawler processes on several machines:

- **rate**: ``politeness_rate`` keeps, per track, the earliest moment the next request may go.
  Each request takes the next slot with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (the
  database clock decides, so machines with skewed clocks still space requests correctly), then
  sleeps until its slot.
- **budget**: ``politeness_budget`` counts requests per track per UTC day. A request takes one
  unit with ``UPDATE … WHERE used < budget RETURNING`` (atomic: two processes can never both take
  the last unit). A spent budget stops the track's requests cleanly (``BudgetSpent``, counted,
  reported with the reset time); other tracks go on.

Per-track limits can be set in ``politeness_track_limits`` (``mre crawl limits``); otherwise
``MRE_RATE_PER_MINUTE`` and ``MRE_DAILY_BUDGET`` apply. A practice page (``meta["mre_practice"]``)
is paced and counted as in an in-process ``mre practice`` run, whichever crawl fetches it (a
shared-crawl worker's included): the track's stored rate limit, else its job's practice rate
(``meta["mre_rate_default"]``), else this process's ``MRE_PRACTICE_RATE_PER_MINUTE``; the
``<slug>/practice`` budget key, with its job's budget or ``MRE_PRACTICE_DAILY_BUDGET`` where none
is stored. Both middlewares sit after the HTTP cache,
so a cached page costs neither budget nor time. They are off for loopback replays unless ``--polite``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from dataclasses import dataclass

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from mre_crawler.config import polite_config
from mre_crawler.middlewares.retry import track_of
from mre_crawler.urls import host_slug

logger = logging.getLogger(__name__)


class BudgetSpent(IgnoreRequest):
    """The track's daily request budget is used up; its requests stop until the reset."""

    def __init__(self, track: str, used: int, budget: int, resets_at: dt.datetime):
        self.track, self.used, self.budget, self.resets_at = track, used, budget, resets_at
        super().__init__(
            f"daily request budget for {track} spent ({used} of {budget}); resets at {resets_at:%Y-%m-%d %H:%M} UTC"
        )


def slug_of(url: str) -> str:
    """The track a request counts against: its LiveRC slug, else its host."""
    return host_slug(url) or track_of(url)


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def next_reset(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class BudgetStatus:
    track: str
    day: dt.date
    used: int
    budget: int

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    @property
    def resets_at(self) -> dt.datetime:
        return next_reset(self.day)


class PolitenessLedger:
    """The SQL behind the rate ceiling and the budget (one autocommit connection)."""

    def __init__(self, conn):
        self.conn = conn

    @classmethod
    def connect(cls, url: str) -> PolitenessLedger:
        import psycopg

        return cls(psycopg.connect(url, autocommit=True))

    def close(self) -> None:
        self.conn.close()

    def limits(self, track: str) -> tuple[float | None, int | None]:
        row = self.conn.execute(
            "SELECT rate_per_minute, daily_budget FROM mre.politeness_track_limits WHERE track_slug = %s", (track,)
        ).fetchone()
        return (None, None) if row is None else (row[0], row[1])

    def set_limits(self, track: str, rate_per_minute: float | None, daily_budget: int | None) -> None:
        self.conn.execute(
            """INSERT INTO mre.politeness_track_limits (track_slug, rate_per_minute, daily_budget)
               VALUES (%s, %s, %s)
               ON CONFLICT (track_slug) DO UPDATE
               SET rate_per_minute = EXCLUDED.rate_per_minute, daily_budget = EXCLUDED.daily_budget,
                   updated_at = now()""",
            (track, rate_per_minute, daily_budget),
        )

    def take_budget(self, track: str, budget: int, day: dt.date) -> int | None:
        """Take one request from the track's budget for ``day``: the count used, or None when spent."""
        row = self.conn.execute(
            """INSERT INTO mre.politeness_budget AS b (track_slug, day, used, budget, first_request_at, last_request_at)
               VALUES (%(t)s, %(d)s, 1, %(b)s, now(), now())
               ON CONFLICT (track_slug, day) DO UPDATE
               SET used = b.used + 1, budget = EXCLUDED.budget, last_request_at = now()
               WHERE b.used < EXCLUDED.budget
               RETURNING used""",
            {"t": track, "d": day, "b": budget},
        ).fetchone()
        return None if row is None else int(row[0])

    def budget_status(self, track: str, day: dt.date, budget: int) -> BudgetStatus:
        row = self.conn.execute(
            "SELECT used, budget FROM mre.politeness_budget WHERE track_slug = %s AND day = %s", (track, day)
        ).fetchone()
        return BudgetStatus(track, day, int(row[0]) if row else 0, budget)

    def refund_budget(self, track: str, day: dt.date) -> None:
        """Give back one unit taken for a request that never reached the host (DNS, refused)."""
        self.conn.execute(
            "UPDATE mre.politeness_budget SET used = used - 1 WHERE track_slug = %s AND day = %s AND used > 0",
            (track, day),
        )

    def take_rate_slot(self, track: str, interval_seconds: float) -> float:
        """Reserve the track's next request slot; seconds to wait until it (0 when free now).

        A slot never falls inside a pause (``paused_until``, 0051_track_pause.sql): the first
        request after a pause goes when it ends, the next one interval later, whichever process
        asks (``greatest`` skips a NULL pause)."""
        row = self.conn.execute(
            """INSERT INTO mre.politeness_rate AS r (track_slug, next_request_at)
               VALUES (%(t)s, clock_timestamp() + make_interval(secs => %(i)s))
               ON CONFLICT (track_slug) DO UPDATE
               SET next_request_at = greatest(r.next_request_at, clock_timestamp(), r.paused_until)
                                     + make_interval(secs => %(i)s)
               RETURNING extract(epoch FROM (next_request_at - make_interval(secs => %(i)s) - clock_timestamp()))""",
            {"t": track, "i": interval_seconds},
        ).fetchone()
        return max(0.0, float(row[0]))

    def pause_track(self, track: str, seconds: float, reason: str) -> float:
        """Pause the track for ``seconds`` from now (database clock), never shortening a longer
        pause already set; the seconds the track's pause now lasts."""
        row = self.conn.execute(
            """INSERT INTO mre.politeness_rate AS r (track_slug, next_request_at, paused_until, pause_reason)
               VALUES (%(t)s, clock_timestamp(), clock_timestamp() + make_interval(secs => %(s)s), %(why)s)
               ON CONFLICT (track_slug) DO UPDATE
               SET paused_until = greatest(r.paused_until, EXCLUDED.paused_until),
                   pause_reason = CASE WHEN r.paused_until >= EXCLUDED.paused_until THEN r.pause_reason
                                       ELSE EXCLUDED.pause_reason END
               RETURNING extract(epoch FROM (paused_until - clock_timestamp()))""",
            {"t": track, "s": seconds, "why": reason},
        ).fetchone()
        return max(0.0, float(row[0]))

    def pause_remaining(self, track: str) -> tuple[float, str] | None:
        """Seconds left of the track's pause and why, or None when it is not paused."""
        row = self.conn.execute(
            """SELECT extract(epoch FROM (paused_until - clock_timestamp())), pause_reason
               FROM mre.politeness_rate WHERE track_slug = %s AND paused_until > clock_timestamp()""",
            (track,),
        ).fetchone()
        return None if row is None else (max(0.0, float(row[0])), row[1] or "paused")


def ledger_for(crawler) -> PolitenessLedger:
    """One ledger (one connection) per crawler, closed when the spider closes."""
    from mre_crawler.extensions.bookkeeping import crawler_resource, database_url_for

    return crawler_resource(crawler, "_mre_ledger", lambda: PolitenessLedger.connect(database_url_for(crawler)))


def is_practice(request: Request) -> bool:
    from mre_crawler.practice.job import META_KEY

    return META_KEY in request.meta


def practice_defaults_of(crawler) -> tuple[float, int]:
    """This process's practice rate and budget (MRE_PRACTICE_RATE_PER_MINUTE, _DAILY_BUDGET)."""
    from mre_crawler.practice.runner import practice_defaults

    return practice_defaults(crawler.settings)


class DailyBudgetMiddleware:
    def __init__(self, crawler):
        config = polite_config(crawler, "budget_enabled", "MRE_BUDGET_ENABLED", "the daily budget", logger)
        self.practice_budget = practice_defaults_of(crawler)[1]
        self.crawler = crawler
        self.stats = crawler.stats
        self.default_budget = config.daily_budget
        self.warn_at = config.budget_warn_at
        self.budgets: dict[str, int] = {}
        self.spent: dict[str, BudgetSpent] = {}
        self.warned: set[str] = set()
        # The unit each request in flight took (budget key, UTC day): given back when the request
        # never reached the host. Keyed by the request object itself: a retry is a copy with the
        # same meta, and takes (and may give back) a unit of its own.
        self.taken: weakref.WeakKeyDictionary[Request, tuple[str, dt.date]] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def budget_for(self, ledger: PolitenessLedger, track: str, default: int | None = None) -> int:
        if track not in self.budgets:
            self.budgets[track] = ledger.limits(track)[1] or default or self.default_budget
        return self.budgets[track]

    def process_request(self, request: Request) -> None:
        # ``mre_budget_key`` lets a request count against a budget of its own (practice pages use
        # "<slug>/practice", issue 4); by default the track's slug.
        track = request.meta.get("mre_budget_key") or slug_of(request.url)
        if track in self.spent:
            self.stats.inc_value("mre/budget/refused")
            raise self.spent[track]
        ledger = ledger_for(self.crawler)
        # ``mre_budget_default``: the budget of a key with no stored limit, when it is not the
        # crawl's (practice requests in a shared-crawl worker carry MRE_PRACTICE_DAILY_BUDGET of
        # the process that enqueued them; without it, a practice page gets this process's).
        default = request.meta.get("mre_budget_default") or (self.practice_budget if is_practice(request) else None)
        budget = self.budget_for(ledger, track, default)
        day = utc_today()
        used = ledger.take_budget(track, budget, day)
        if used is None:
            spent = BudgetSpent(track, budget, budget, next_reset(day))
            self.spent[track] = spent
            self.stats.set_value(f"mre/budget/spent/{track}", spent.resets_at.isoformat())
            self.stats.inc_value("mre/budget/refused")
            logger.warning("%s; the crawl stops requesting %s until then", spent, track)
            raise spent
        self.taken[request] = (track, day)
        self.stats.inc_value("mre/budget/used")
        self.stats.set_value(f"mre/budget/track/{track}", f"{used}/{budget}")
        if used >= self.warn_at * budget and track not in self.warned:
            self.warned.add(track)
            self.stats.set_value(f"mre/budget/warned/{track}", f"{used}/{budget}")
            logger.warning("daily request budget for %s nearly spent: %d of %d used (resets %s UTC)",
                           track, used, budget, f"{next_reset(day):%Y-%m-%d %H:%M}")
        return None


    def process_exception(self, request: Request, exception: Exception) -> None:
        # A request that never reached LiveRC (DNS lookup failed, connection refused, the host
        # already known unreachable) cost LiveRC nothing: its unit goes back to the budget, so a
        # night without network does not eat the next day's crawl.
        from mre_crawler.middlewares.reachability import never_connected

        taken = self.taken.pop(request, None)
        if taken is None or never_connected(exception) is None:
            return None
        track, day = taken
        ledger = ledger_for(self.crawler)
        ledger.refund_budget(track, day)
        self.stats.inc_value("mre/budget/used", -1)
        self.stats.inc_value("mre/budget/refunded")
        status = ledger.budget_status(track, day, self.budgets[track])
        self.stats.set_value(f"mre/budget/track/{track}", f"{status.used}/{status.budget}")
        return None


class TrackRateMiddleware:
    def __init__(self, crawler):
        config = polite_config(crawler, "rate_enabled", "MRE_RATE_ENABLED", "the rate ceiling", logger)
        self.crawler = crawler
        self.stats = crawler.stats
        self.default_rate = config.rate_per_minute
        self.practice_rate = practice_defaults_of(crawler)[0]
        self.rates: dict[tuple[str, float | None], float] = {}
        # A request that waited out a track pause takes a fresh slot (mre_crawler.middlewares.pause).
        from mre_crawler.middlewares.pause import pauses_for

        pauses_for(crawler).rate_slot = self.take_slot

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def rate_default(self, request: Request | None) -> float | None:
        """The rate of ``request``'s track where none is stored, when it is not the crawl's: a
        practice page's is the practice rate (its job's, else this process's), as in an
        in-process ``mre practice`` run."""
        if request is None or not is_practice(request):
            return None
        return request.meta.get("mre_rate_default") or self.practice_rate

    def take_slot(self, track: str, request: Request | None = None) -> float:
        """Reserve the track's next slot (one slot sequence per track, whatever the page: a
        request waits for the slot the track's last request left and moves it on by its own
        interval); the seconds to wait for it."""
        ledger = ledger_for(self.crawler)
        key = (track, self.rate_default(request))
        if key not in self.rates:
            self.rates[key] = ledger.limits(track)[0] or key[1] or self.default_rate
        return ledger.take_rate_slot(track, 60.0 / self.rates[key])

    async def process_request(self, request: Request) -> None:
        wait = self.take_slot(slug_of(request.url), request)
        if wait > 0:
            self.stats.inc_value("mre/rate/waits")
            self.stats.inc_value("mre/rate/wait_seconds", round(wait, 3))
            await asyncio.sleep(wait)
        return None
