"""Downloader components: replay (``--site`` and cassettes), user agent, politeness (rate ceiling,
daily budget), retries with backoff and ``Retry-After``, and the per-page-type HTTP cache."""
