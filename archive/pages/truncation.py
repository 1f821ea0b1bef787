"""HTML that stops mid-document: an answer cut short, whatever its headers said (issue 27).

A server that declares a Content-Length shorter than its page (a proxy, a broken gzip stream, a process killed
mid-write) gives an HTTP answer that looks complete and is half a page. The bytes tell: a document that opened
`<html>` or `<body>` and closes neither, and whose end is inside something. Real pages are allowed to leave out
`</body>` and `</html>` (HTML says both are optional), so their absence alone proves nothing; it takes one more sign
that the document was cut:

- it ends inside a tag (`<p cla`), a comment, or a `<script>`, `<style>`, `<textarea>` or `<title>` opened and never
  closed;
- it ends in the middle of its text (its last character is not a tag's `>`);
- at least OPEN_DIVS_MIN more `<div>`s are opened than closed (the cut fell right after a `>`, deep in the page).

Conservative by design: on the real pages corpus (bench/real_pages.py, 181 news and blog pages) no whole page is called
truncated, and most pages cut at a random byte are (tests/pages/test_truncation.py).
"""

from __future__ import annotations

import re

OPENED = re.compile(rb"<(?:html|body)[\s>/]", re.I)
CLOSED = re.compile(rb"</(?:html|body)\s*>", re.I)
RAW_TEXT = re.compile(rb"<(/?)(script|style|textarea|title)[\s>/]", re.I)
TAG_START = re.compile(rb"<[A-Za-z/!?]")
DIV_OPEN = re.compile(rb"<div[\s>]", re.I)
DIV_CLOSE = re.compile(rb"</div\s*>", re.I)
OPEN_DIVS_MIN = 3       # <div>s left open that make a document cut after a tag (a page's sloppiness leaves one or two)
TAIL = 256 * 1024       # how far back from the end a cut is looked for
SPACE = b" \t\r\n\f\x00"


def cut_short(body: bytes) -> str | None:
    """Why this HTML stops mid-document (the detail of a refusal as truncated), or None when nothing says so."""
    if not OPENED.search(body) or CLOSED.search(body):
        return None
    end = body.rstrip(SPACE)
    tail = end[-TAIL:]
    raw = None
    for raw in RAW_TEXT.finditer(tail):  # noqa: B007 (the last one is wanted)
        pass
    if raw is not None and not raw[1]:
        return f"the document ends inside a <{raw[2].decode().lower()}> never closed"
    if tail.rfind(b"<!--") > tail.rfind(b"-->"):
        return "the document ends inside a comment"
    lt = tail.rfind(b"<")
    if lt > tail.rfind(b">") and TAG_START.match(tail, lt):
        return f"the document ends inside a tag ({_shown(tail[lt:lt + 40])})"
    if not end.endswith(b">"):
        return f"the document ends in the middle of its text (…{_shown(tail[-40:])})"
    left_open = len(DIV_OPEN.findall(body)) - len(DIV_CLOSE.findall(body))
    if left_open >= OPEN_DIVS_MIN:
        return f"the document ends with {left_open} <div> elements left open"
    return None


def _shown(data: bytes) -> str:
    """A few bytes of the page, as text fit for a log line."""
    return " ".join(data.decode("utf-8", "replace").split())
