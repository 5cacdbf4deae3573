"""The shared request queue: scrapy-redis's LIFO queue, where taking a request is a claim.

Keys (``P`` is ``MRE_REDIS_PREFIX``, default ``mre``):

- ``P:queue``: the list of serialised requests (scrapy-redis ``LifoQueue``: newest first, so an
  event's race pages are done before the next event is opened);
- ``P:inflight:WORKER``: hash claim id -> serialised request, the requests WORKER has taken and
  not yet acked;
- ``P:alive:WORKER``: exists while WORKER lives (refreshed every second, expires after
  :data:`ALIVE_SECONDS`);
- ``P:claims``: the counter claim ids come from;
- ``P:failed``: hash URL -> "reason\tworker", the shared crawl's failed pages, written when a page
  fails and deleted when a later store of it commits.

Every step that moves a request is one Lua script, so two workers can never both take (or both
give back) the same request.
"""

from __future__ import annotations

import logging

from scrapy_redis.queue import LifoQueue

logger = logging.getLogger(__name__)

ALIVE_SECONDS = 15  # a worker silent this long is dead; its claims go back on the queue
# (Scrapy setting WORKER_ALIVE_SECONDS; the tests shorten it)

# KEYS: queue, inflight hash, counter. Takes the newest request, files it under a new claim id.
_CLAIM = """
local data = redis.call('LPOP', KEYS[1])
if not data then return false end
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, data)
return {id, data}
"""

# KEYS: queue, inflight hash. ARGV: claim ids. Puts those claims back on the queue (next to go).
_GIVE_BACK = """
local n = 0
for _, id in ipairs(ARGV) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('LPUSH', KEYS[1], data)
    redis.call('HDEL', KEYS[2], id)
    n = n + 1
  end
end
return n
"""

# KEYS: queue, inflight hash, alive key. When the worker's alive key is gone, every claim of its
# goes back on the queue; the number given back.
_RECOVER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local values = redis.call('HVALS', KEYS[2])
for _, data in ipairs(values) do redis.call('LPUSH', KEYS[1], data) end
redis.call('DEL', KEYS[2])
return #values
"""


class ClaimQueue(LifoQueue):
    """scrapy-redis's LIFO queue plus claims, acks, give-backs and dead-worker recovery."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        prefix = self.key.rsplit(":", 1)[0]
        self.prefix = prefix
        crawler = getattr(spider, "crawler", None)
        self.worker = (crawler.settings.get("WORKER_ID") if crawler is not None else None) or "enqueue"
        self.alive_seconds = crawler.settings.getint("WORKER_ALIVE_SECONDS", ALIVE_SECONDS) if crawler is not None else ALIVE_SECONDS
        self.inflight_key = f"{prefix}:inflight:{self.worker}"
        self.alive_key = f"{prefix}:alive:{self.worker}"
        self.counter_key = f"{prefix}:claims"
        self._claim = server.register_script(_CLAIM)
        self._give_back = server.register_script(_GIVE_BACK)
        self._recover = server.register_script(_RECOVER)

    def claim(self):
        """The newest request, claimed by this worker (``meta["mre_claim"]`` set), or None."""
        found = self._claim(keys=[self.key, self.inflight_key, self.counter_key])
        if not found:
            return None
        claim_id, data = int(found[0]), found[1]
        request = self._decode_request(data)
        request.meta["mre_claim"] = claim_id
        return request

    def ack(self, *claim_ids: int) -> None:
        if claim_ids:
            self.server.hdel(self.inflight_key, *claim_ids)

    def give_back(self, claim_ids) -> int:
        """Put these claims back on the queue, exactly as they were taken."""
        ids = [str(i) for i in claim_ids]
        return int(self._give_back(keys=[self.key, self.inflight_key], args=ids)) if ids else 0

    def keep_alive(self) -> None:
        self.server.set(self.alive_key, b"1", ex=self.alive_seconds)

    def start_heartbeat(self) -> None:
        """Refresh the alive key every second from a thread of its own, so a worker whose reactor is
        busy for a while (a long store, the time-zone index built on the first dashboard) is not
        taken for dead and has its claims fetched again by the others. A killed process stops the
        thread with it: its key still expires after ``alive_seconds``."""
        import threading

        if getattr(self, "_heartbeat", None) is not None:
            return
        self._heartbeat_stop = threading.Event()

        def beat() -> None:
            while not self._heartbeat_stop.wait(1.0):
                try:
                    self.keep_alive()
                except Exception as exc:  # Redis unreachable for a moment: the reactor's tick tries too
                    logger.debug("heartbeat of %s: %s", self.worker, exc)

        self._heartbeat = threading.Thread(target=beat, name=f"mre-heartbeat-{self.worker}", daemon=True)
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        thread = getattr(self, "_heartbeat", None)
        if thread is not None:
            self._heartbeat_stop.set()
            thread.join(timeout=5)
            self._heartbeat = None

    def leave(self) -> None:
        self.stop_heartbeat()
        self.server.delete(self.alive_key)

    def recover_dead(self) -> int:
        """Give back the claims of every worker whose alive key has expired; how many."""
        given = 0
        for key in self.server.scan_iter(match=f"{self.prefix}:inflight:*", count=100):
            key = key.decode() if isinstance(key, bytes) else key
            worker = key.split(":inflight:", 1)[1]
            n = int(self._recover(keys=[self.key, key, f"{self.prefix}:alive:{worker}"]))
            if n < 0:
                continue
            self._drop_leases(worker)
            if n:
                logger.warning("worker %s stopped answering: its %d claimed requests are back on the queue", worker, n)
                given += n
        return given

    def _drop_leases(self, worker: str) -> None:
        """A dead worker's per-track leases (mre_crawler.middlewares.track_lease) free at once."""
        mine = f"{worker}:".encode()
        for key in self.server.scan_iter(match=f"{self.prefix}:lease:*", count=100):
            members = [m for m in self.server.zrange(key, 0, -1) if m.startswith(mine)]
            if members:
                self.server.zrem(key, *members)

    def in_flight_anywhere(self) -> int:
        """Requests claimed and not yet acked, by every worker."""
        return sum(int(self.server.hlen(key)) for key in self.server.scan_iter(match=f"{self.prefix}:inflight:*", count=100))

    # -- the shared failure list --------------------------------------------------------------
    @property
    def failed_key(self) -> str:
        return f"{self.prefix}:failed"

    def note_failure(self, url: str, reason: str, worker: str) -> None:
        self.server.hset(self.failed_key, url, f"{reason}\t{worker}")

    def clear_failures(self, urls: list[str]) -> None:
        self.server.hdel(self.failed_key, *urls)

    def push_data(self, data: bytes) -> None:
        self.server.lpush(self.key, data)
