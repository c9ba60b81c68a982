"""robots.txt: Scrapy's RobotsTxtMiddleware, safe for concurrent requests and strict on failures.

RFC 9309 §2.3.1 sorts a robots.txt that cannot be read in two: one that
answers 4xx is *unavailable*, and the crawler may fetch anything on the host;
one that answers 5xx, or no answer at all (DNS failure, connection refused or
reset, timeout), is *unreachable*, and the crawler must assume it disallows
everything.  Scrapy 2.19 parses whatever body a 4xx or 5xx robots.txt comes
with (an error page: no rules, so allow all) and treats a failed fetch as no
robots.txt (allow all).  ``ConcurrentRobotsTxtMiddleware`` follows the RFC:
a 4xx allows all, a 5xx or 429 or a failed fetch disallows all, and each
request to that host then raises ``RobotsTxtUnreachable`` (the spiders
record ``robots_txt_unreachable``).  Scrapy fetches robots.txt once per host
(scheme, name and port) and run, so an unreachable host is skipped for this
run only; the next run asks again.  Each unreachable host is logged as a
warning and counted in the stats key ``robotstxt/unreachable``.  A fetch
that a middleware refused (``IgnoreRequest``: too many redirects, a private
address) keeps Scrapy's answer, allow all, as RFC 9309 §2.3.1.2 allows for
redirect chains; the page request meets the same refusal on its own.  A
robots.txt larger than DOWNLOAD_MAXSIZE once decompressed (a bomb) is not
read and counts as unreachable: disallowing is the safe reading of a file
we refused to parse.  Imports Scrapy, Twisted, crawler.limits and the stdlib.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.limits import ResponseTooLarge

logger = logging.getLogger(__name__)

# 429 is a 4xx, but a host asking us to slow down is no permission to crawl
# it: Google's robots.txt spec reads 429 like a 5xx, and so do we.
UNREACHABLE_STATUSES = range(500, 600)
UNREACHABLE_EXTRA_STATUSES = (429,)


class RobotsTxtUnreachable(IgnoreRequest):
    """A request to a host whose robots.txt answered 5xx or could not be fetched.

    ``status`` is the robots.txt response's status, ``error`` the exception
    its fetch failed with; one of them is set.
    """

    def __init__(self, message: str, status: int | None = None,
                 error: BaseException | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class UnreachableRobotsTxt(RobotParser):
    """The stand-in parser of a host whose robots.txt is unreachable: nothing is allowed."""

    def __init__(self, netloc: str, status: int | None = None,
                 error: BaseException | None = None) -> None:
        self.netloc = netloc
        self.status = status
        # Without its traceback: it is kept for the whole run.
        self.error = None if error is None else error.with_traceback(None)

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> "UnreachableRobotsTxt":
        raise TypeError("UnreachableRobotsTxt stands in for a robots.txt that was not read")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def sitemaps(self) -> list[str]:
        return []

    @property
    def cause(self) -> str:
        """Why robots.txt was not read: ``HTTP 503`` or the fetch error."""
        return f"HTTP {self.status}" if self.status is not None else repr(self.error)


class ConcurrentRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware: every waiting request checked; unreachable means disallow all.

    In Scrapy 2.19 the requests that arrive while a site's robots.txt is being
    fetched all await one Deferred through ``asFuture``; only the first gets
    the parser, the others get None, which reads as "no robots.txt", and go
    out unchecked (tests/crawler: a third URL under a Disallow rule was
    fetched).  Once the wait is over the parser is stored in ``_parsers``, so
    we take it from there.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(stored, Deferred):
                parser = stored
        return parser

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        if isinstance(rp, UnreachableRobotsTxt):
            raise RobotsTxtUnreachable(
                f"robots.txt of {rp.netloc} is unreachable ({rp.cause}): fetching nothing there",
                status=rp.status, error=rp.error)
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status in UNREACHABLE_STATUSES or status in UNREACHABLE_EXTRA_STATUSES:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._mark_unreachable(UnreachableRobotsTxt(netloc, status=status))
            return
        if 400 <= status < 500:
            response = response.replace(body=b"")  # unavailable: allow all, whatever the error page says
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest) and not isinstance(exc, ResponseTooLarge):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._mark_unreachable(UnreachableRobotsTxt(netloc, error=exc))

    def _mark_unreachable(self, parser: UnreachableRobotsTxt) -> None:
        """Store ``parser`` for its host and wake the requests waiting for robots.txt."""
        self._stats.inc_value("robotstxt/unreachable")
        logger.warning("robots.txt of %s is unreachable (%s): fetching nothing from that host "
                       "in this run (RFC 9309 2.3.1.4)", parser.netloc, parser.cause)
        waiting = self._parsers[parser.netloc]
        self._parsers[parser.netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

