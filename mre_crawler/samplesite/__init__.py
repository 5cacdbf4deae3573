"""The sample-site generator: LiveRC-shaped pages with known truth, for tests, the demo and benchmarks.

The site model is built from the typed items first (tracks, events, races with laps, entry lists,
qual points, practice months/days/sessions), then rendered to the markup the parsers read on real
LiveRC pages, so a parser's output can be compared with the generator's items exactly.

- :func:`generate` writes pages, ``manifest.tsv`` (file, url, page_type) and ``truth.json``.
- :func:`expected_items` gives the items of one URL of a written site (regenerated from its seed).
- :func:`site_items` streams every page's items in memory without writing HTML.
"""

from mre_crawler.samplesite.site import SiteParams, SitePage, iter_site, iter_track
from mre_crawler.samplesite.writer import (
    NotASampleSite,
    SiteSummary,
    expected_items,
    expected_page,
    generate,
    is_sample_site,
    load_truth,
    read_manifest,
    site_items,
    write_site,
)

__all__ = [
    "NotASampleSite", "SiteParams", "SitePage", "SiteSummary", "expected_items", "expected_page", "generate",
    "is_sample_site", "iter_site", "iter_track", "load_truth", "read_manifest", "site_items", "write_site",
]
