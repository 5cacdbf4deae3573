"""The raw page archive: every fetched body kept once, named by its SHA-256, zstd-compressed.

Layout: ``MRE_ARCHIVE_DIR/ab/cd/abcd….zst`` (two levels of 256 folders keep directories small
at 10^6 bodies). The index (URL, page type, track, fetch time, status, hash) is the PostgreSQL
table ``mre.page_archive``, written by the store in the transaction of the batch that fetched
the page (:mod:`mre_crawler.store`).

Crash consistency: a body is written to a temporary file in its folder, fsync'd, renamed into
place and the folder fsync'd, all before the transaction that commits its index row. So an index
row always has its file. A kill between the rename and the commit leaves a file nobody points
at: harmless (content-addressed: the next fetch of that body finds it there), and
``mre archive prune`` removes it (:func:`remove_orphans`).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import zstandard

SUFFIX = ".zst"
LEVEL = 3  # zstd's default: ~7x on LiveRC HTML at ~300 MB/s a core
_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    c = getattr(_local, "compressor", None)
    if c is None:  # a ZstdCompressor is not thread-safe: one per thread
        c = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d = getattr(_local, "decompressor", None)
    if d is None:
        d = _local.decompressor = zstandard.ZstdDecompressor()
    return d


class PageArchive:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX}"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, body: bytes, sha256: str | None = None) -> int:
        """Keep ``body`` (once); return the compressed size on disk. Durable when it returns."""
        sha256 = sha256 or hashlib.sha256(body).hexdigest()
        path = self.path(sha256)
        try:
            size = path.stat().st_size
            # Seen now: `mre archive prune` leaves recently touched files alone, so a body a
            # running crawl is about to index again is not removed under it.
            os.utime(path)
            return size
        except FileNotFoundError:
            pass
        data = _compressor().compress(body)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{sha256}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        return len(data)

    def get(self, sha256: str) -> bytes:
        """The body; raises FileNotFoundError when it was pruned (or never kept)."""
        with open(self.path(sha256), "rb") as fh:
            return _decompressor().decompress(fh.read())

    def remove(self, sha256: str, *, older_than: float | None = None) -> bool:
        """Delete a body's file (only when untouched since ``older_than``, a Unix time)."""
        path = self.path(sha256)
        try:
            if older_than is not None and path.stat().st_mtime >= older_than:
                return False
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    def files(self) -> Iterator[tuple[str, int, float, str]]:
        """(sha256, size, mtime, path) of every body file; leftover temporary files with sha ''."""
        if not self.root.is_dir():
            return
        for top in os.scandir(self.root):
            if not top.is_dir():
                continue
            for mid in os.scandir(top.path):
                if not mid.is_dir():
                    continue
                for entry in os.scandir(mid.path):
                    st = entry.stat()
                    if entry.name.endswith(SUFFIX):
                        yield entry.name[: -len(SUFFIX)], st.st_size, st.st_mtime, entry.path
                    elif entry.name.endswith(".tmp"):
                        yield "", st.st_size, st.st_mtime, entry.path

    def disk_usage(self) -> tuple[int, int]:
        """(files, bytes) on disk."""
        n = size = 0
        for sha, nbytes, _, _ in self.files():
            if sha:
                n += 1
                size += nbytes
        return n, size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_orphans(archive: PageArchive, indexed: set[str], grace_seconds: float = 3600) -> tuple[int, int]:
    """Delete body files no index row points at, and leftover temporary files, when older than
    ``grace_seconds`` (a running crawl may be between writing a file and committing its row).
    Returns (files, bytes) removed."""
    cutoff = time.time() - grace_seconds
    n = size = 0
    for sha, nbytes, mtime, path in list(archive.files()):
        if mtime >= cutoff:
            continue
        if not sha:
            try:
                os.unlink(path)
                n, size = n + 1, size + nbytes
            except FileNotFoundError:
                pass
        elif sha not in indexed and archive.remove(sha, older_than=cutoff):
            n, size = n + 1, size + nbytes
    return n, size


def archive_for(config) -> PageArchive | None:
    """The archive a :class:`~mre_crawler.config.CrawlConfig` names, or None when switched off."""
    if not config.archive_enabled:
        return None
    return PageArchive(config.archive_dir or config.home / "archive")
