"""The size cap after decompression: Scrapy's HttpCompressionMiddleware, made safe to fail.

Scrapy 2.19 already stops decompressing (gzip, deflate, br, zstd) once the
body passes ``DOWNLOAD_MAXSIZE`` and raises ``IgnoreRequest`` from the
internal ``_DecompressionMaxSizeExceeded``.  That exception's traceback keeps
the decompressor's frames, and with them the up to ``DOWNLOAD_MAXSIZE`` bytes
decompressed so far, alive as long as the failure travels through Scrapy: a
run with four bombs peaked at four times the cap (tests/crawler/
test_fetch_faults.py).  ``CappedCompressionMiddleware`` raises
``ResponseTooLarge`` instead, without that chain, so the buffer is freed at
once and the spider can name the reason (``too_large``).  Imports Scrapy and
the stdlib.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded


class ResponseTooLarge(IgnoreRequest):
    """A response body that is larger than DOWNLOAD_MAXSIZE once decompressed."""


class CappedCompressionMiddleware(HttpCompressionMiddleware):
    """Decompress responses; raise ResponseTooLarge past DOWNLOAD_MAXSIZE, freeing the buffer."""

    def process_response(  # type: ignore[override]  # Scrapy 2.13+ passes no spider
        self, request: Request, response: Response,
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if not isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):
                raise
            message = str(exc)
        # Raised outside the except block, so it carries no __context__ that
        # would keep the decompressed bytes alive.
        raise ResponseTooLarge(message)
