"""A compressed answer without a charset in its Content-Type, made cheap for Scrapy's decompression.

Scrapy's HttpCompressionMiddleware builds the decompressed response with `Response.replace`, which first reads
every attribute of the compressed one — `encoding` too, and a TextResponse whose Content-Type names no charset
guesses it from its body: charset-normalizer run over gzip bytes, on every page of a server that sends `text/html`
bare (nginx's default), a share of the crawl's CPU docs/BENCHMARKS.md shows. The guess is thrown away: the decompressed
response is built with no encoding and guesses again, from the real bytes, only if something reads it (nothing in
arshif does: pages are read by archive.pages.detection.html_encoding).

This middleware sits just above the decompression (590) and hands it a copy of the compressed response that
states an encoding, so that nothing is guessed. The bytes, headers and everything recorded (the WARC recorder
sits at 950, before both) are unchanged.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from w3lib.encoding import http_content_type_encoding

from archive.core.http import header_text


class CompressedEncodingHint:
    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if not isinstance(response, TextResponse) or not response.headers.get("Content-Encoding"):
            return response
        # Scrapy's own question, asked as TextResponse asks it (w3lib's reading, which also drops charsets Python
        # has no codec for): whether the answer states an encoding it will use
        if http_content_type_encoding(header_text(response.headers.get("Content-Type"))):
            return response  # stated already: nothing is guessed
        fields = {name: getattr(response, name) for name in Response.attributes}
        return type(response)(**fields, encoding="latin-1")  # any name will do: compressed bytes are not text
