"""An identifying user agent on every request: ``MRE/<version> (+contact)``."""

from __future__ import annotations

from scrapy.http import Request

from mre_crawler.config import config_for


class IdentifyingUserAgentMiddleware:
    """Replaces Scrapy's UserAgentMiddleware so LiveRC can see who crawls and how to reach them."""

    def __init__(self, user_agent: str):
        self.user_agent = user_agent.encode()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(config_for(crawler).user_agent)

    def process_request(self, request: Request) -> None:
        request.headers[b"User-Agent"] = self.user_agent
