"""HTTP exchanges as Scrapy sees them, turned into WARC request/response/revisit records.

Scrapy hands the middleware the body before content decoding (our middleware sits above HttpCompression) but after
de-chunking, with headers re-cased and no reason phrase. Wire-exact capture is impossible at this level, so the
record is made consistent instead: hop-by-hop headers dropped, `Content-Length` equal to the stored body, the
body still gzip-encoded when it was sent gzip-encoded (docs/archiving.md, WARC records).
"""

from __future__ import annotations

import io
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders

from archive.core.http import header_text
from archive.pages.limits import WARC_TRUNCATED

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade"})


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def response_headers(response: Response) -> StatusAndHeaders:
    headers = []
    for name, values in response.headers.items():
        key = header_text(name)
        if key.lower() in HOP_BY_HOP or key.lower() == "content-length":
            continue
        headers += [(key, header_text(v)) for v in values]
    if response.status not in (204, 304) and not (100 <= response.status < 200):
        headers.append(("Content-Length", str(len(response.body))))
    protocol = response.protocol or "HTTP/1.1"
    return StatusAndHeaders(f"{response.status} {reason(response.status)}", headers, protocol=protocol)


def request_headers(request: Request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc)]
    for name, values in request.headers.items():
        headers += [(header_text(name), header_text(v)) for v in values]
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)


def response_record(writer, request: Request, response: Response, warc_date: str, ip: str | None):
    headers = {"WARC-Date": warc_date}
    if ip:
        headers["WARC-IP-Address"] = ip
    cut = request.meta.get("arshif_truncated")
    if cut:  # the body as far as it came (crawler/middlewares/size.py): WARC 1.1's reasons, or "unspecified"
        headers["WARC-Truncated"] = cut if cut in WARC_TRUNCATED else "unspecified"
    return writer.create_record(response.url, "response", payload=io.BytesIO(response.body),
                                length=None, http_headers=response_headers(response), warc_headers_dict=headers)


def revisit_record(writer, response: Response, digest: str, refers_uri: str | None, refers_date: str | None,
                   warc_date: str, ip: str | None, profile: str, refers_id: str | None = None):
    """A revisit: identical payload to an earlier capture, or a 304 (server-not-modified). WARC-Refers-To names
    the record it stands for when we know it (not when only another fleet worker's capture is known)."""
    headers = {"WARC-Date": warc_date}
    if ip:
        headers["WARC-IP-Address"] = ip
    if refers_id:
        headers["WARC-Refers-To"] = refers_id
    record = writer.create_revisit_record(response.url, digest, refers_uri, refers_date,
                                          http_headers=response_headers(response), warc_headers_dict=headers)
    if profile == "server-not-modified":
        record.rec_headers.replace_header(
            "WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    return record


def request_record(writer, request: Request, warc_date: str, concurrent_to: str):
    body = request.body or b""
    return writer.create_record(request.url, "request", payload=io.BytesIO(body), length=None,
                                http_headers=request_headers(request),
                                warc_headers_dict={"WARC-Date": warc_date, "WARC-Concurrent-To": concurrent_to})
