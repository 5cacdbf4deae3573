"""Re-parse archived bodies with today's parsers and store the differences, with no network.

The work is one body per URL: the latest archived body (status 2xx) of each page that matches the
filters, or, for ``mre quarantine retry``, the body each open quarantine entry kept. For each:

1. **skip** when the stored rows were built from this very body by this parser version
   (``stored_pages.body_sha256`` and ``parser_version``) and the page has no open quarantine
   entry: nothing can change, nothing is read;
2. otherwise **parse** it in one of N worker processes (each reads the body from the archive
   itself, so only small work items and parsed pages cross the process boundary), run normalize
   and validate, and hash what came out (``items_digest``);
3. **unchanged**: the digest equals the stored one for the same body: only the parser version is
   recorded (one batched UPDATE), no data row is touched;
4. **write** the rest through the :class:`~mre_crawler.store.Store` in batches, which writes only
   rows that differ and resolves the page's quarantine entries.

So a second run writes 0 rows, and a run after a parser version bump re-parses only the page
types whose parser changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mre_crawler.store.counts import WriteCounts

CHUNK = 32  # pages per task sent to a worker process


@dataclass
class Work:
    url: str
    page_type: str
    body_sha256: str
    meta: dict
    stored_sha256: str | None = None
    stored_version: int | None = None
    stored_digest: str | None = None
    open_quarantine: bool = False
    body: bytes | None = None  # inline (a quarantined body); else read from the archive
    quarantine_id: int | None = None
    stored_parts: dict | None = None  # stored_pages.part_digests


@dataclass
class Outcome:
    work: Work
    kind: str  # skipped | unchanged | write | unreadable | empty | unsupported | missing
    reason: str = ""
    page: Any = None  # the PageItem to write
    digest: str | None = None
    rejected: int = 0  # rows validation rejected (quarantined again with the write)
    parts: dict[str, str] | None = None  # part_digests of the page
    unchanged_parts: frozenset[str] = frozenset()  # parts whose stored rows the write would leave as they are


@dataclass
class ReprocessResult:
    pages: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    counts: WriteCounts = field(default_factory=WriteCounts)
    quarantine_resolved: int = 0
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return self.kinds.get(kind, 0)


# ---------------------------------------------------------------------------------------------
# What to re-parse
# ---------------------------------------------------------------------------------------------
def select_work(conn, *, track: str | None = None, event_id: int | None = None, page_type: str | None = None,
                since: dt.date | dt.datetime | None = None) -> list[Work]:
    """One work item per archived URL matching the filters: its latest 2xx body."""
    where, params = ["(a.status IS NULL OR a.status BETWEEN 200 AND 299)", "a.page_type IS NOT NULL"], []
    if track:
        where.append("a.track_slug = %s")
        params.append(track.strip().lower())
    if event_id is not None:
        where.append("a.event_id = %s")
        params.append(int(event_id))
    if page_type:
        where.append("a.page_type = %s")
        params.append(page_type)
    if since is not None:
        where.append("a.fetched_at >= %s")
        params.append(since)
    rows = conn.execute(
        f"""WITH latest AS (
                SELECT DISTINCT ON (a.url) a.url, a.page_type, a.body_sha256, a.meta
                FROM mre.page_archive a WHERE {' AND '.join(where)}
                ORDER BY a.url, a.fetched_at DESC, a.body_sha256)
            SELECT l.url, l.page_type, l.body_sha256, l.meta, s.body_sha256, s.parser_version, s.items_digest,
                   EXISTS (SELECT 1 FROM mre.quarantine q WHERE q.url = l.url AND q.resolved_at IS NULL),
                   s.part_digests
            FROM latest l LEFT JOIN mre.stored_pages s ON s.url = l.url
            ORDER BY l.url""",  # noqa: S608 - the WHERE parts are static text; values are parameters
        params,
    ).fetchall()
    return [Work(*r[:8], stored_parts=r[8]) for r in rows]


def select_quarantined(conn, quarantine_id: int | None = None) -> list[Work]:
    """One work item per URL with open quarantine entries (``mre quarantine retry``).

    The body is the one the entry kept (the page as it failed); an entry that kept none is
    re-parsed from the raw page archive (the archived body with the entry's hash, else the URL's
    latest 2xx body), so nothing is fetched again. With neither, the item has no body and no
    hash: :func:`reprocess` reports it ``missing``."""
    where, params = "q.resolved_at IS NULL", []
    if quarantine_id is not None:
        where += " AND q.quarantine_id = %s"
        params.append(quarantine_id)
    rows = conn.execute(
        f"""SELECT DISTINCT ON (q.url) q.quarantine_id, q.url, q.page_type, q.body, q.body_sha256, q.raw,
                   a.body_sha256, a.page_type, a.meta
            FROM mre.quarantine q
            LEFT JOIN LATERAL (
                SELECT a.body_sha256, a.page_type, a.meta FROM mre.page_archive a
                WHERE a.url = q.url AND (a.status IS NULL OR a.status BETWEEN 200 AND 299)
                ORDER BY a.body_sha256 = q.body_sha256 DESC NULLS LAST, a.fetched_at DESC LIMIT 1) a ON true
            WHERE {where} ORDER BY q.url, q.body IS NULL, q.quarantine_id""",  # noqa: S608 - static text
        params,
    ).fetchall()
    work = []
    for qid, url, page_type, body, sha, raw, a_sha, a_type, a_meta in sorted(rows, key=lambda r: r[0]):
        meta = dict((raw or {}).get("meta") or {}) or dict(a_meta or {})
        if body is not None:
            body = bytes(body)
            work.append(Work(url, page_type, sha or hashlib.sha256(body).hexdigest(), meta,
                             open_quarantine=True, body=body, quarantine_id=qid))
        else:  # from the archive (a_sha None: nothing to re-parse, reported missing)
            work.append(Work(url, page_type or a_type, a_sha, meta, open_quarantine=True, quarantine_id=qid))
    return work


# ---------------------------------------------------------------------------------------------
# Parsing (in worker processes)
# ---------------------------------------------------------------------------------------------
_pipelines: tuple | None = None


def _normalize_validate():
    global _pipelines
    if _pipelines is None:
        from pipelines.normalize import NormalizePipeline
        from pipelines.validate import ValidatePipeline

        _pipelines = (NormalizePipeline(), ValidatePipeline())
    return _pipelines


def items_digest(page: Any) -> str:
    """What a page parsed to, hashed: the items (dataclasses: a deterministic repr) and the rows
    validation rejected."""
    return hashlib.blake2b(repr((page.item, page.rejected)).encode(), digest_size=16).hexdigest()


def part_digests(page: Any) -> dict[str, str]:
    """Digests of the parts of a page whose rows the store can leave alone when unchanged: a race
    page's laps (with the drivers they belong to and the rows validation held back)."""
    from mre_crawler.items import Race

    if not isinstance(page.item, Race):
        return {}
    race = page.item
    laps = (race.race_id, [(r.driver_id, r.lap_list) for r in race.results], sorted(r.item_key for r in page.rejected))
    return {"laps": hashlib.blake2b(repr(laps).encode(), digest_size=16).hexdigest()}


def parse_one(archive_root: str | None, work: Work) -> Outcome:
    from mre_crawler.archive import PageArchive
    from mre_crawler.errors import PageError
    from mre_crawler.items import PageItem
    from mre_crawler.parsers import parse_page, parser_version
    from mre_crawler.store import supports

    body = work.body
    if body is None:
        if work.body_sha256 is None:
            return Outcome(work, "missing", "no body kept in quarantine or in the archive: crawl it again")
        try:
            body = PageArchive(archive_root).get(work.body_sha256)
        except (FileNotFoundError, TypeError):
            return Outcome(work, "missing", "body not in the archive (pruned?)")
    try:
        result = parse_page(body, work.url, work.page_type, work.meta)
    except PageError as exc:
        return Outcome(work, "unreadable", f"still unreadable: {exc.reason}")
    if not result.items:
        return Outcome(work, "empty", "parses, but holds no items")
    item = result.items[0] if len(result.items) == 1 else list(result.items)
    if not supports(item):
        return Outcome(work, "unsupported", f"no table for {result.page_type} pages yet")
    page = PageItem(url=work.url, page_type=result.page_type, fetched_at=dt.datetime.now(dt.timezone.utc),
                    item=item, body_sha256=work.body_sha256, parser_version=parser_version(result.page_type))
    normalize, validate = _normalize_validate()
    page = validate.process_item(normalize.process_item(page))
    digest = items_digest(page)
    if digest == work.stored_digest and work.stored_sha256 == work.body_sha256 and not work.open_quarantine:
        return Outcome(work, "unchanged", digest=digest)
    page.items_digest = digest
    parts = part_digests(page)
    same_body = work.stored_sha256 == work.body_sha256 and not work.open_quarantine
    stored_parts = work.stored_parts or {}
    unchanged = frozenset(k for k, v in parts.items() if same_body and stored_parts.get(k) == v)
    # The body goes along only where the store keeps it (rejected rows go to quarantine with it).
    page.body = body if page.rejected else None
    return Outcome(work, "write", page=page, digest=digest, rejected=len(page.rejected), parts=parts,
                   unchanged_parts=unchanged)


def _parse_chunk(archive_root: str | None, chunk: list[Work]) -> list[Outcome]:
    return [parse_one(archive_root, w) for w in chunk]


def _outcomes(archive_root: str | None, work: list[Work], jobs: int) -> Iterator[Outcome]:
    """Parse in ``jobs`` processes, in order, with a bounded number of chunks in flight (parsed
    pages wait in memory only while the store is behind by a few chunks)."""
    chunks = [work[i:i + CHUNK] for i in range(0, len(work), CHUNK)]
    if jobs <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield from _parse_chunk(archive_root, chunk)
        return
    import multiprocessing

    # forkserver: workers fork from a clean server process, not from this one (its database
    # connection and threads stay here).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["mre_crawler.reprocess", "mre_crawler.parsers.race_result",
                                    "pipelines.normalize", "pipelines.validate"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque = deque()
        it_chunks = iter(chunks)
        for chunk in it_chunks:
            pending.append(pool.submit(_parse_chunk, archive_root, chunk))
            if len(pending) >= 3 * jobs:
                break
        while pending:
            done = pending.popleft().result()
            nxt = next(it_chunks, None)
            if nxt is not None:
                pending.append(pool.submit(_parse_chunk, archive_root, nxt))
            yield from done


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def reprocess(conn, archive_root: str | os.PathLike | None, work: Iterable[Work], *, jobs: int = 1, force: bool = False,
              batch_pages: int = 100, keep_outcomes: bool = False,
              progress: Callable[[int], None] | None = None) -> ReprocessResult:
    """Re-parse ``work`` and store what changed; see the module docstring."""
    from mre_crawler.parsers import parser_version
    from mre_crawler.store import Store

    t0 = time.perf_counter()
    result = ReprocessResult()
    started = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    to_parse: list[Work] = []
    for w in work:
        result.pages += 1
        if (not force and not w.open_quarantine and w.stored_sha256 == w.body_sha256
                and w.stored_version is not None and w.stored_version == parser_version(w.page_type)):
            result.kinds["skipped"] = result.kinds.get("skipped", 0) + 1
            if keep_outcomes:
                result.outcomes.append(Outcome(w, "skipped"))
        else:
            to_parse.append(w)
    if progress and result.pages - len(to_parse):
        progress(result.pages - len(to_parse))
    store = Store(conn, batch_size=batch_pages)
    versions: list[tuple[str, str, int, str, str | None]] = []
    root = str(archive_root) if archive_root is not None else None
    for outcome in _outcomes(root, to_parse, jobs):
        result.kinds[outcome.kind] = result.kinds.get(outcome.kind, 0) + 1
        if outcome.kind == "write":
            store.write_page(outcome.page, part_digests=outcome.parts, unchanged_parts=outcome.unchanged_parts)
            outcome.page = None  # written: let it go
        elif outcome.kind == "unchanged":
            w = outcome.work
            versions.append((w.url, w.body_sha256, parser_version(w.page_type), outcome.digest,
                             json.dumps(outcome.parts) if outcome.parts else None))
            if len(versions) >= 1000:
                _record_versions(conn, versions)
                versions = []
        if keep_outcomes:
            result.outcomes.append(outcome)
        if progress:
            progress(1)
    store.flush()
    if versions:
        _record_versions(conn, versions)
    result.counts = store.totals
    result.quarantine_resolved = conn.execute(
        "SELECT count(*) FROM mre.quarantine WHERE resolved_at >= %s", (started,)).fetchone()[0]
    result.seconds = time.perf_counter() - t0
    return result


def _record_versions(conn, rows: list[tuple[str, str, int, str, str | None]]) -> None:
    """Pages whose re-parse gave the stored items: record the parser version (no data row moves)."""
    import psycopg

    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.commit()
    with conn.transaction():
        conn.execute(
            """UPDATE mre.stored_pages s SET parser_version = v.version, items_digest = v.digest,
                   part_digests = COALESCE(v.parts::jsonb, s.part_digests)
               FROM unnest(%s::text[], %s::text[], %s::int[], %s::text[], %s::text[]) AS v(url, sha, version, digest, parts)
               WHERE s.url = v.url AND s.body_sha256 = v.sha""",
            ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
             [r[4] for r in rows]),
        )
