-- 0160_fetched_pages_rendered: was a page's last fetch rendered in chromium (issue 11)?
--
-- True when the response came from scrapy-playwright (its ``playwright`` response flag): the page
-- came back without its data and was rendered, or its request asked for a browser. False for a
-- plain HTTP fetch and for an HTTP cache hit (no browser ran; from_cache says so). `mre db status`
-- prints how many pages were last fetched rendered.
ALTER TABLE mre.fetched_pages ADD COLUMN rendered boolean NOT NULL DEFAULT false;
