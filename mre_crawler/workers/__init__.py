"""Several crawler processes sharing one crawl through Redis (``MRE_REDIS_URL``, issue 11).

Pieces, each in its own module:

- :mod:`~mre_crawler.workers.queue`: the shared request queue. scrapy-redis's queue *pops* a
  request, so a worker killed with requests in flight would lose them. Here a pop is a **claim**:
  one Lua script moves the request into the worker's own ``inflight`` hash, and the worker
  **acks** it only after the page's rows are committed to PostgreSQL. A worker's ``alive`` key
  expires a few seconds after it stops refreshing it; any other worker then puts the dead
  worker's claims back on the queue. Nothing is lost; at worst a page is fetched once more.
- :mod:`~mre_crawler.workers.scheduler`: a scrapy-redis ``Scheduler`` whose queue is that one,
  whose duplicate filter is scrapy-redis's (in Redis), and which keeps retries and redirects of
  a claimed request in this process (they belong to the claim).
- :mod:`~mre_crawler.workers.claims`: tells the scheduler when a claim's callback has finished
  and its items have left the pipelines; the store pipeline tells it when they are committed.
- ``spiders/worker.py``: the worker spider. Its ``async def start()`` is the adapter for
  Scrapy 2.19: scrapy-redis 0.9.1 reads work in ``start_requests()`` (no longer called) and
  otherwise keeps a spider open by polling from ``spider_idle``. The worker's ``start()`` stays
  open instead, wakes the engine with a claimed request when work arrives, keeps the worker's
  ``alive`` key fresh, recovers dead workers' claims, and returns when the shared crawl has been
  idle for ``--idle-exit`` seconds.
- :mod:`~mre_crawler.middlewares.track_lease`: per-track concurrency across processes (leases in
  Redis). Rate ceiling, daily budget and Retry-After pauses already live in PostgreSQL.
- :mod:`~mre_crawler.workers.enqueue`: ``mre crawl … --enqueue`` puts a crawl's start requests
  into the queue.

Pinned: ``scrapy-redis==0.9.1`` (pyproject.toml). The adapter uses its ``Scheduler``,
``LifoQueue`` and ``RFPDupeFilter`` classes and their settings; a new scrapy-redis release that
adds an async ``start()`` of its own would not change these.
"""

from __future__ import annotations

from typing import Any


def worker_settings(redis_url: str, prefix: str, worker_id: str) -> dict[str, Any]:
    """The Scrapy settings that put a crawl's scheduler queue and duplicate filter in Redis."""
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "mre_crawler.workers.scheduler.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "mre_crawler.workers.queue.ClaimQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:queue",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # A worker that stops never clears the queue or the seen set: the others go on with them.
        "SCHEDULER_PERSIST": True,
        "MRE_REDIS_PREFIX": prefix,
        "WORKER_ID": worker_id,
    }
