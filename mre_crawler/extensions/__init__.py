"""Crawler extensions: the settings add-on, AutoThrottle gate, crawl bookkeeping and crawl health."""
