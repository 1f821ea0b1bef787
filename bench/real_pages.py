"""Article detection and body extraction on real web pages with gold bodies, against bare `trafilatura.extract`.

Run: .venv/bin/python -m bench.real_pages [--pages DIR] [--limit N] [--json]

The pages are a public set read where the `fetch` tool put it (a bare git directory under /work/.mirror/) or
from any checkout or unpacked copy of it; they are read into memory and never copied into the project. Sets read:

- scrapinghub/article-extraction-benchmark: `html/<id>.html.gz` and `ground-truth.json` (`articleBody`, `url`);
  181 news and blog articles. Pages are UTF-8 (44 declare no charset).
- seomoz/dragnet_data (and dragnet-org/dragnet's test data): `HTML/<n>.html` and `Corrected/<n>.html.corrected.txt`,
  either unpacked or inside `dragnet_HTML.tar.gz` / `dragnet_Corrected.tar.gz`; the gold text ends at the line
  `!@#$%^&*()  COMMENTS`; gold files are cp1252 where not UTF-8, with CRLF line ends. Its HTML archive is over the
  size `fetch` brings (4 MiB), so the fetched snapshot has only the gold half.
- dragnet-org/dragnet_data: `data/html/<uuid>.html` and `data/meta/<uuid>.toml` (`text`, `url`), unpacked from its
  `data/*.tar.gz`, which are Git LFS objects that `fetch` does not bring.

Every page is scored for arshif with a neutral URL, http://example.org/<page id>, since a URL's shape is a signal
of arshif's article detection and a benchmark's URLs are not the archived site's; arshif with each page's real
URL is reported beside it. A page arshif does not take for an article (or whose article it cannot read) scores F1 0.
"arshif, detection bypassed" is arshif's extraction told the page is an article: the gap between the two is what
detection loses, the gap to bare trafilatura what extraction loses. Non-article pages (the replica's listings and
static pages, both themes) count false articles.

Scores are token-level: text lower-cased, every character that is not a letter, digit or whitespace made a space,
split on whitespace; precision, recall and F1 of the bag of tokens against the gold body, per page, then averaged
over pages.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from archive.pages.detection import analyse_page, parse_html
from archive.pages.extraction import ExtractionFailed, extract

try:  # the encoding arshif reads a page with; analyse_page guesses when it is not given
    from archive.pages.detection import page_encoding
except ImportError:  # pragma: no cover - renamed by a change to crawler/
    def page_encoding(body: bytes, header_encoding: str | None) -> str | None:
        return None

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("ARSHIF_MIRROR", "/work/.mirror"))
KNOWN_SETS = ("scrapinghub/article-extraction-benchmark", "seomoz/dragnet_data", "dragnet-org/dragnet_data")
NEUTRAL = "http://example.org/"
ARSHIF_OPTIONS = {"include_comments": False, "include_tables": False, "favor_precision": True}
LOSS = 0.1          # a page where arshif's extraction is this much below bare trafilatura's gets a diff hint
DRAGNET_COMMENTS = "!@#$%^&*()  COMMENTS"
METHODS = ("arshif", "arshif_real_url", "arshif_bypassed", "trafilatura_default", "trafilatura_arshif_options")
LABELS = {
    "arshif": "arshif, neutral URL (not taken = F1 0)",
    "arshif_real_url": "arshif, the page's real URL (not taken = F1 0)",
    "arshif_bypassed": "arshif, detection bypassed (extraction only)",
    "trafilatura_default": "bare `trafilatura.extract(html)`, defaults",
    "trafilatura_arshif_options": "bare `trafilatura.extract`, arshif's options",
}


class NoPages(Exception):
    """No usable set of real pages at that place; the message says what to do."""


@dataclass
class RealPage:
    name: str
    html: bytes
    gold: str
    url: str | None = None       # the page's real URL, when the set gives it


# -- scoring ---------------------------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w\s]|_")


def tokens(text: str | None) -> list[str]:
    """Lower-cased, punctuation and symbols made spaces, split on whitespace."""
    return _NOT_WORD.sub(" ", (text or "").lower()).split()


def prf(predicted: str | None, gold: str) -> tuple[float, float, float]:
    """Token-level (precision, recall, F1) of a body against the gold body: bags of tokens, so a token counts as
    often as it occurs in both. Nothing predicted scores 0 (1 only when the gold is empty too)."""
    p, g = Counter(tokens(predicted)), Counter(tokens(gold))
    if not p and not g:
        return 1.0, 1.0, 1.0
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def mean_scores(scores: Iterable[tuple[float, float, float]]) -> dict:
    scores = list(scores)
    n = len(scores) or 1
    return {k: round(sum(s[i] for s in scores) / n, 4) for i, k in enumerate(("precision", "recall", "f1"))}


# -- reading the sets ------------------------------------------------------------------------------------------------

class _Files:
    """Paths → bytes of a directory, a git directory (its HEAD) and the tar archives found in either, read into
    memory. `missing`: paths listed whose content is not there (a Git LFS pointer, a blob a snapshot left out)."""

    def __init__(self, root: Path):
        self.root, self.missing, self.commit = root, [], None
        self._read: dict[str, Callable[[], bytes | None]] = {}
        self._git = None
        if (root / "HEAD").is_file() and (root / "objects").is_dir():
            self._open_git()
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and ".git" not in path.relative_to(root).parts:
                    self._read[path.relative_to(root).as_posix()] = path.read_bytes
        for name in [n for n in self._read if n.endswith((".tar.gz", ".tgz", ".tar"))]:
            self._open_tar(name)

    def _open_git(self) -> None:
        git = ["git", "--git-dir", str(self.root)]
        try:
            self.commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                                         check=True).stdout.strip()
            listing = subprocess.run([*git, "ls-tree", "-r", "-z", "--name-only", "HEAD"], capture_output=True,
                                     check=True).stdout.decode("utf-8", "replace")
        except (OSError, subprocess.CalledProcessError) as e:
            raise NoPages(f"{self.root} looks like a git directory but git cannot read it ({e})") from None
        self._git = subprocess.Popen([*git, "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for name in filter(None, listing.split("\0")):
            self._read[name] = lambda name=name: self._blob(name)

    def _blob(self, name: str) -> bytes | None:
        self._git.stdin.write(f"HEAD:{name}\n".encode())
        self._git.stdin.flush()
        header = self._git.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None
        data = self._git.stdout.read(int(header[2]))
        self._git.stdout.read(1)
        return data

    def _open_tar(self, name: str) -> None:
        data = self.read(name)
        if data is None:
            return
        try:
            archive = tarfile.open(fileobj=io.BytesIO(data))
        except tarfile.TarError:
            return
        for member in archive.getmembers():
            if member.isfile():
                self._read.setdefault(member.name.removeprefix("./"),
                                      lambda m=member: archive.extractfile(m).read())

    def names(self) -> list[str]:
        return list(self._read)

    def __contains__(self, name: str) -> bool:
        return name in self._read

    def read(self, name: str) -> bytes | None:
        data = self._read[name]()
        if data is None or data.startswith(b"version https://git-lfs.github.com/spec/"):
            if name not in self.missing:
                self.missing.append(name)
            return None
        return data

    def close(self) -> None:
        if self._git:
            self._git.stdin.close()
            self._git.wait()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _scrapinghub(files: _Files) -> Iterator[RealPage] | None:
    names = files.names()
    truth = next((n for n in names if n.rsplit("/", 1)[-1] == "ground-truth.json"), None)
    if truth is None:
        return None
    prefix = truth[: -len("ground-truth.json")]
    gold = json.loads(files.read(truth) or b"{}")

    def pages():
        for key, item in sorted(gold.items()):
            name = f"{prefix}html/{key}.html.gz"
            data = files.read(name) if name in files else None
            if data is not None:
                yield RealPage(key, gzip.decompress(data), item.get("articleBody") or "", item.get("url"))
    return pages()


def _dragnet(files: _Files) -> Iterator[RealPage] | None:
    corrected = {m.group(2): n for n in files.names() if (m := re.search(r"(^|/)Corrected/(.+)\.corrected\.txt$", n))}
    if not corrected:
        return None
    htmls = {m.group(2): n for n in files.names() if (m := re.search(r"(^|/)HTML/(.+\.html?)$", n))}

    def pages():
        for key in sorted(corrected, key=lambda k: (len(k), k)):
            if key in htmls and (html := files.read(htmls[key])) is not None:
                gold = _decode(files.read(corrected[key]) or b"").replace("\r\n", "\n")
                yield RealPage(key.rsplit(".", 1)[0], html, gold.split(DRAGNET_COMMENTS, 1)[0])
    return pages()


def _dragnet_v2(files: _Files) -> Iterator[RealPage] | None:
    metas = {m.group(2): n for n in files.names() if (m := re.search(r"(^|/)meta/([^/]+)\.toml$", n))}
    htmls = {m.group(2): n for n in files.names() if (m := re.search(r"(^|/)html/([^/]+)\.html$", n))}
    if not metas or not htmls:
        return None

    def pages():
        for key in sorted(metas.keys() & htmls.keys()):
            html, meta = files.read(htmls[key]), files.read(metas[key])
            if html is not None and meta is not None:
                record = tomllib.loads(_decode(meta))
                yield RealPage(key, html, record.get("text") or "", record.get("url"))
    return pages()


LAYOUTS = (("scrapinghub/article-extraction-benchmark", _scrapinghub), ("dragnet", _dragnet),
           ("dragnet_data v2", _dragnet_v2))


def how_to_get() -> str:
    return ("fetch one with the `fetch` tool (github:scrapinghub/article-extraction-benchmark lands in "
            f"{MIRROR}/scrapinghub+article-extraction-benchmark/repo) or pass --pages DIR: a checkout, git directory "
            "or unpacked copy of scrapinghub/article-extraction-benchmark or dragnet_data (HTML/ and Corrected/)")


def load(where: Path, limit: int | None = None) -> tuple[str, list[RealPage], dict]:
    """(layout, pages, provenance) at `where`; NoPages when there are none to measure."""
    where = where.expanduser().resolve()
    if not where.exists():
        raise NoPages(f"no real pages at {where}: {how_to_get()}")
    if where == ROOT or ROOT in where.parents:
        raise NoPages(f"{where} is inside the project; the pages are read where they are, outside it")
    files = _Files(where)
    try:
        for layout, reader in LAYOUTS:
            found = reader(files)
            if found is None:
                continue
            pages = []
            for page in found:
                pages.append(page)
                if limit and len(pages) >= limit:
                    break
            if pages:
                return layout, pages, {"where": str(where), "commit": files.commit}
        lacking = ", ".join(files.missing) or "no HTML with gold text in a known layout"
        raise NoPages(f"no real pages at {where} (absent: {lacking}; `fetch` snapshots lack files of 4 MiB and "
                      f"more and Git LFS content): {how_to_get()}")
    finally:
        files.close()


def default_places() -> list[Path]:
    places = [Path(os.environ["ARSHIF_REAL_PAGES"])] if os.environ.get("ARSHIF_REAL_PAGES") else []
    return places + [MIRROR / name.replace("/", "+") / "repo" for name in KNOWN_SETS]


def load_default(limit: int | None = None) -> tuple[str, list[RealPage], dict]:
    reasons = []
    for place in default_places():
        if place.exists():
            try:
                return load(place, limit)
            except NoPages as e:
                reasons.append(str(e).split(":")[0])
    raise NoPages(f"no real pages found ({'; '.join(reasons) or 'nothing under ' + str(MIRROR)}): {how_to_get()}")


# -- what a page has -------------------------------------------------------------------------------------------------

ARTICLE_WORDS = re.compile(r"article|posting|blogpost|report", re.I)
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|"
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
DATE_TEXT = re.compile(rf"\b(?:{MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{MONTH},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
                       r"\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4})\b", re.I)
DATE_META = re.compile(r"(^|[:._-])(date|pubdate|publish|published|created|issued)", re.I)
URL_DATE = re.compile(r"/(19|20)\d{2}[/-]\d{1,2}([/-]\d{1,2})?/|[-_/](19|20)\d{6}[-_/.]|/(19|20)\d{2}/")


def _types_deep(value, nested: bool, out: list[tuple[str, bool]]) -> None:
    if isinstance(value, list):
        for item in value:
            _types_deep(item, nested, out)
    elif isinstance(value, dict):
        kinds = value.get("@type")
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            if isinstance(kind, str):
                out.append((kind, nested))
        for key, item in value.items():
            if key == "@graph":
                _types_deep(item, nested, out)
            elif isinstance(item, dict | list):
                _types_deep(item, True, out)


def describe(body: bytes, real_url: str | None = None) -> dict:
    """What a page offers an article detector: its JSON-LD types (top level, nested under another object, or in
    JSON that does not parse), og:type, microdata itemtypes, hentry/h-entry, <article>, <time>, date metas, date
    text, linked headlines, text length, and whether its real URL carries a date."""
    doc = parse_html(body, NEUTRAL, page_encoding(body, None))
    if doc is None:
        return {"unparsable": True}
    top, nested, broken, errors = [], [], [], []
    for script in doc.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script)
        except ValueError as e:
            broken += re.findall(r'"@type"\s*:\s*"([^"]+)"', script)
            try:
                json.loads(script, strict=False)
                errors.append(f"{e.msg} (control characters in a string: json.loads(strict=False) reads it)")
            except ValueError:
                errors.append(f"{e.msg}: {script[max(0, e.pos - 30):e.pos + 10].strip()!r}")
            continue
        found: list[tuple[str, bool]] = []
        _types_deep(data, False, found)
        top += [k for k, deep in found if not deep]
        nested += [k for k, deep in found if deep]
    itemtypes = [t.rstrip("/").rsplit("/", 1)[-1] for t in doc.xpath("//@itemtype")]
    itemtype_tags = sorted({el.tag for el in doc.xpath("//*[@itemtype]")
                            if ARTICLE_WORDS.search(el.get("itemtype", ""))})
    classes = " ".join(doc.xpath("//@class")).split()
    body_text = " ".join(" ".join(doc.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")).split())
    metas = sorted({n for n in doc.xpath("//meta/@property | //meta/@name | //meta/@itemprop")
                    if DATE_META.search(n)})
    robots = [v for v in doc.xpath('//meta[translate(@name, "ROBTSGE", "robtsge") = "robots" or '
                                   'translate(@name, "ROBTSGE", "robtsge") = "googlebot"]/@content')]
    canonical = doc.xpath('string(//link[@rel="canonical"]/@href)').strip() or None
    date_text = DATE_TEXT.search(body_text)
    headlines = doc.xpath("//h1[.//a] | //h2[.//a] | //h3[.//a]")
    return {
        "jsonld": sorted(set(top)), "jsonld_nested": sorted(set(nested) - set(top)),
        "jsonld_unparsable": sorted(set(broken)),
        "og_type": doc.xpath('string(//meta[@property="og:type"]/@content)').strip() or None,
        "itemtypes": sorted(set(itemtypes)), "itemtype_on": itemtype_tags,
        "hentry": "hentry" in classes, "h_entry": "h-entry" in classes,
        "article_elements": len(doc.xpath("//article")),
        "time_elements": len(doc.xpath("//time")), "time_datetime": len(doc.xpath("//time[@datetime]")),
        "date_metas": metas,
        "date_text": date_text.group(0) if date_text else None,
        "jsonld_errors": errors,
        "linked_headlines": len(headlines),
        "headlines_in": sorted({" > ".join(_label(e) for e in reversed([h, *h.iterancestors()][1:4]))
                                for h in headlines})[:3],
        "text_chars": len(body_text),
        "real_url_dated": bool(real_url and URL_DATE.search(urlsplit(real_url).path)),
        "robots": robots, "canonical": canonical,
        "canonical_is_real_url": bool(canonical and real_url and canonical.rstrip("/") == real_url.rstrip("/")),
        "body_class": " ".join(doc.xpath("//body/@class")).split()[:6],
    }


def _article_kinds(kinds: Iterable[str]) -> list[str]:
    return [k for k in kinds if ARTICLE_WORDS.search(k)]


def failure_class(reason: str, d: dict) -> str:
    """The strongest article signal a page has that arshif's detection did not act on, with arshif's reason."""
    if d.get("unparsable"):
        return f"{reason} · unparsable"
    if _article_kinds(d["jsonld"]):
        signal = "JSON-LD article type arshif does not list"
    elif _article_kinds(d["jsonld_nested"]):
        signal = "JSON-LD article type nested inside another object"
    elif _article_kinds(d["jsonld_unparsable"]):
        signal = "JSON-LD article type in JSON that does not parse"
    elif _article_kinds(d["itemtypes"]):
        signal = "microdata article itemtype"
    elif (d["og_type"] or "").lower() == "article":
        signal = "og:type=article"
    elif d["hentry"] or d["h_entry"]:
        signal = "hentry/h-entry"
    elif d["article_elements"]:
        signal = "<article> element"
    elif d["og_type"]:
        signal = "og:type other than article, then a date at most"
    elif d["date_metas"] or d["time_datetime"]:
        signal = "a date meta or <time datetime>, nothing more"
    elif d["date_text"]:
        signal = "a date in the text, nothing more"
    else:
        signal = "no article signal at all"
    return f"{reason} · {signal}"


def summary(d: dict) -> str:
    """One line of what a page has, for the report."""
    if d.get("unparsable"):
        return "unparsable"
    parts = []
    if d["jsonld"] or d["jsonld_nested"] or d["jsonld_unparsable"]:
        parts.append("JSON-LD " + ",".join(d["jsonld"] or ["-"])
                     + (f" (nested: {','.join(d['jsonld_nested'])})" if d["jsonld_nested"] else "")
                     + (f" (unparsable JSON: {','.join(d['jsonld_unparsable'])})" if d["jsonld_unparsable"] else ""))
    else:
        parts.append("no JSON-LD")
    parts.append(f"og:type={d['og_type']}" if d["og_type"] else "no og:type")
    if d["itemtypes"]:
        parts.append("itemtype " + ",".join(d["itemtypes"][:4])
                     + (f" on <{','.join(d['itemtype_on'])}>" if d["itemtype_on"] else ""))
    if d["hentry"] or d["h_entry"]:
        parts.append("hentry" if d["hentry"] else "h-entry")
    parts.append(f"<article>×{d['article_elements']}, <time>×{d['time_elements']}"
                 f" ({d['time_datetime']} with datetime)")
    if d["date_metas"]:
        parts.append("date metas " + ",".join(d["date_metas"][:3]))
    parts.append(f"date text {d['date_text']!r}" if d["date_text"] else "no date text")
    if d["jsonld_errors"]:
        parts.append("JSON-LD error " + " / ".join(d["jsonld_errors"]))
    parts.append(f"{d['linked_headlines']} linked headlines"
                 + (f" (in {' | '.join(d['headlines_in'])})" if d["headlines_in"] else "")
                 + f", {d['text_chars']:,} chars of text")
    parts.append("real URL dated" if d["real_url_dated"] else "real URL undated")
    if d["robots"]:
        parts.append(f"robots {'/'.join(d['robots'])!r}")
    if d["canonical"] and not d["canonical_is_real_url"]:
        parts.append(f"canonical {d['canonical']}")
    if d["body_class"]:
        parts.append(f"body class {' '.join(d['body_class'])!r}")
    return "; ".join(parts)


# -- what arshif's extraction lost -----------------------------------------------------------------------------------

def _label(el) -> str:
    label = el.tag if isinstance(el.tag, str) else "comment"
    if el.get("id"):
        label += "#" + el.get("id")[:20]
    if el.get("class"):
        label += "." + ".".join(el.get("class").split()[:2])[:30]
    return label


def _where(doc, snippet: str) -> dict | None:
    """The deepest element whose text holds the snippet, its ancestors and the markup traits around it."""
    best, depth = None, -1
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "head", "title", "meta"):
            continue
        if snippet in " ".join(el.text_content().split()):
            d = sum(1 for _ in el.iterancestors())
            if d > depth:
                best, depth = el, d
    if best is None:
        return None
    chain = [best, *best.iterancestors()]
    tags = {e.tag for e in chain if isinstance(e.tag, str)}
    traits = [t for t in ("table", "li", "blockquote", "figure", "aside", "header", "footer", "form", "noscript",
                          "section", "pre") if t in tags]
    block = next((e for e in chain if e.tag in ("p", "div", "td", "li", "blockquote", "section", "article")), best)
    if any(isinstance(c, etree._Comment) for c in block.iter()):
        traits.append("HTML comment inside its block")
    if block.tag in ("div", "td", "section", "article") and len(block.findall("br")) >= 2 and (
            (block.text or "").strip() or any((c.tail or "").strip() for c in block.findall("br"))):
        traits.append("div/br run (text directly in the block, lines split by <br>)")
    hidden = [e for e in chain if re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", e.get("style") or "")
              or e.get("hidden") is not None]
    if hidden:
        traits.append("inside a hidden element")
    path = " > ".join(_label(e) for e in reversed(chain[:6]))
    return {"path": path, "traits": traits}


def diff_hint(page: RealPage, arshif_body: str, trafilatura_body: str) -> dict:
    """Why arshif's extraction (detection bypassed) scored well below bare trafilatura's on a page: F1 of
    trafilatura with arshif's options, then with each option back at its default, then on a tree parsed as
    trafilatura parses it (comments removed); and where the paragraphs arshif lost sit in the page."""
    def f1(text):
        return round(prf(text, page.gold)[2], 3)

    checks = {
        "arshif_options": ARSHIF_OPTIONS,
        "favor_precision_off": {**ARSHIF_OPTIONS, "favor_precision": False},
        "tables_on": {**ARSHIF_OPTIONS, "include_tables": True},
    }
    hint = {"f1": {name: f1(trafilatura.extract(page.html, **options)) for name, options in checks.items()}}
    tree = lxml_html.document_fromstring(page.html, parser=lxml_html.HTMLParser(
        encoding=page_encoding(page.html, None), remove_comments=True))
    hint["f1"]["arshif_options_tree_without_comments"] = f1(trafilatura.extract(tree, url=NEUTRAL + page.name,
                                                                               deduplicate=False, **ARSHIF_OPTIONS))
    tree = lxml_html.document_fromstring(page.html, parser=lxml_html.HTMLParser(
        encoding=page_encoding(page.html, None), remove_comments=True))
    for header in tree.iter("header"):
        header.tag = "div"
    hint["f1"]["arshif_options_headers_as_divs"] = f1(trafilatura.extract(tree, **ARSHIF_OPTIONS))
    kept, gold = set(tokens(arshif_body)), set(tokens(page.gold))
    lost = []
    for paragraph in (trafilatura_body or "").split("\n"):
        words = tokens(paragraph)
        if len(words) >= 5 and sum(w in gold for w in words) >= 0.7 * len(words) \
                and sum(w not in kept for w in words) >= 0.5 * len(words):
            lost.append(paragraph)
    hint["lost_paragraphs"] = len(lost)
    hint["lost_tokens"] = sum(len(tokens(p)) for p in lost)
    doc = parse_html(page.html, NEUTRAL + page.name, page_encoding(page.html, None))
    places = []
    for paragraph in sorted(lost, key=len, reverse=True)[:3]:
        text = " ".join(max(paragraph.split("|"), key=len).split())  # a table row: its longest cell
        where = None
        for snippet in (text[:60], text[:25], text[-25:]):
            where = _where(doc, snippet) if doc is not None and snippet else None
            if where:
                break
        places.append({"text": text[:50], **(where or {"path": "not found verbatim in the page", "traits": []})})
    hint["where"] = places
    f = hint["f1"]
    causes = []
    if f["favor_precision_off"] - f["arshif_options"] >= LOSS / 2:
        causes.append("favor_precision=True drops it")
        if f["arshif_options_headers_as_divs"] - f["arshif_options"] >= LOSS / 2:
            causes.append("its pruning of <header> elements does (with every <header> made a <div> the body "
                          "comes back)")
    if f["tables_on"] - f["arshif_options"] >= LOSS / 2:
        causes.append("include_tables=False drops it (body in <table>)")
    if f["arshif_options_tree_without_comments"] - f1(arshif_body) >= LOSS / 2:
        causes.append("arshif's tree keeps HTML comments (trafilatura's own parser drops them)")
    comments = "HTML comment inside its block"
    if f["arshif_options_tree_without_comments"] - f1(arshif_body) < LOSS / 2:  # not what lost it: not a hint
        for place in places:
            place["traits"] = [t for t in place.get("traits", []) if t != comments]
    traits = sorted({t for p in places for t in p.get("traits", [])})
    hint["cause"] = "; ".join(causes) or (
        "not the options nor the comments: " + (", ".join(traits) if traits else "see where"))
    return hint


# -- measuring -------------------------------------------------------------------------------------------------------

def _arshif(body: bytes, url: str, facts=None) -> tuple[str, str | None]:
    """("article" | "not an article" | "extraction failed: …", body)."""
    try:
        article = extract(body, url, None, facts=facts)
    except ExtractionFailed as e:
        return f"extraction failed: {e}", None
    if article is None:
        return "not an article", None
    return "article", article.body


def measure_page(page: RealPage, seconds: Counter) -> dict:
    url = NEUTRAL + page.name
    row: dict = {"name": page.name, "real_url": page.url}
    started = time.perf_counter()
    facts = analyse_page(page.html, url, page_encoding(page.html, None))
    row["reason"] = facts.reason
    outcome, text = _arshif(page.html, url)
    seconds["arshif"] += time.perf_counter() - started
    row["outcome"], bodies = outcome, {"arshif": text}
    if page.url:
        real_outcome, bodies["arshif_real_url"] = _arshif(page.html, page.url)
        row["outcome_real_url"] = real_outcome
        if real_outcome != outcome:
            row["reason_real_url"] = analyse_page(page.html, page.url, page_encoding(page.html, None)).reason
    started = time.perf_counter()
    row["outcome_bypassed"], bodies["arshif_bypassed"] = _arshif(page.html, url, replace(facts, is_article=True))
    seconds["arshif_bypassed"] += time.perf_counter() - started
    started = time.perf_counter()
    bodies["trafilatura_default"] = trafilatura.extract(page.html)
    seconds["trafilatura_default"] += time.perf_counter() - started
    started = time.perf_counter()
    bodies["trafilatura_arshif_options"] = trafilatura.extract(page.html, **ARSHIF_OPTIONS)
    seconds["trafilatura_arshif_options"] += time.perf_counter() - started
    row["scores"] = {m: [round(x, 4) for x in prf(b, page.gold)] for m, b in bodies.items()}
    row["_bodies"] = bodies
    return row


def replica_non_articles(articles: int = 400) -> Iterator[tuple[str, str, bytes, dict]]:
    """(name, URL, body, headers) of every kind of page of the replica that is not an article, both themes: home
    and its second page, a section and its second page, a tag and its second page, a monthly archive and its
    second page, the month with the fewest posts, the static pages, Blogger's search paging and the not-found
    page. The replica has no author pages (WordPress's /author/… are the real WordPress's)."""
    from replica.server import ReplicaApp, ReplicaConfig
    base = "http://127.0.0.1:9"
    for theme in ("wordpress", "blogger"):
        app = ReplicaApp(ReplicaConfig(articles=articles, theme=theme), base, "http://127.0.0.1:10")
        urls, site = app.urls, app.site
        section = app.site_sections()[0].key
        tag = max(site.by_tag, key=lambda t: len(site.by_tag[t]))
        months = site.months()
        year, month, _ = max(months, key=lambda m: m[2])
        sparse_year, sparse_month, sparse = min(months, key=lambda m: m[2])
        targets = {"home": urls.home(1), "home page 2": urls.home(2), "section": urls.section(section),
                   "section page 2": urls.section(section, 2), "tag": urls.tag(tag), "tag page 2": urls.tag(tag, 2),
                   "month": urls.month(year, month), "month page 2": urls.month(year, month, 2),
                   f"month of {sparse} post(s)": urls.month(sparse_year, sparse_month), "not found": "/no-such-page/"}
        targets |= {f"static {name}": path for path, name in urls.static_pages().items()}
        if theme == "blogger":
            middle = site.published(site.live[len(site.live) // 2]).isoformat(timespec="seconds")
            targets["search paging"] = f"/search?updated-max={quote(middle)}"
        seen = set()
        for name, path in targets.items():
            reply = app.site_reply(path, {})
            if (reply.status == 200 or name == "not found") and path not in seen:  # Blogger has no page 2 URLs
                seen.add(path)
                yield f"replica {theme}: {name}", base + path, reply.body, {"Content-Type": reply.content_type}


def real_wordpress_non_articles() -> Iterator[tuple[str, str, bytes, dict]]:
    """The real WordPress's non-article pages, (name, URL, body, headers): home and its second page, a category,
    a tag, an author, the static pages, a monthly archive, of both themes (Debian's WordPress started on loopback
    by tests/wordpress/, as the tests do). Nothing when its packages are absent (tools/system-needs.txt)."""
    import tempfile

    from tests.http_client import fetch
    from tests.wordpress.site import WordPressWorld, _which

    try:
        php = _which("php")
    except FileNotFoundError:
        print("bench.real_pages: no PHP here: the real WordPress's pages are left out", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="bench-wordpress-") as folder:
        world = WordPressWorld(Path(folder), php).start()
        try:
            for theme, site in world.sites.items():
                m = site.manifest
                urls = {"home": m["home"], "home page 2": m["home"].rstrip("/") + "/page/2/",
                        "category": m["categories"][0]["url"], "tag": m["tags"][0]["url"],
                        "author": next(a["url"] for a in m["authors"] if a["posts"]),
                        "month": m["months"][0]["url"]}
                urls.update({f"page {p['slug']}": p["url"] for p in m["pages"]})
                for name, url in urls.items():
                    answer = fetch(url)
                    if answer.status == 200:
                        yield f"wordpress-{theme} {name}", url, answer.content, answer.headers
        finally:
            world.stop()


NON_ARTICLE_SOURCES: list[Callable[[], Iterable[tuple[str, str, bytes, dict]]]] = [
    replica_non_articles, real_wordpress_non_articles]


def _taken(body: bytes, url: str, headers: dict) -> tuple[bool, str]:
    try:
        taken = extract(body, url, headers) is not None
    except ExtractionFailed:
        taken = True  # taken for an article whose title or body could not be read
    return taken, analyse_page(body, url, page_encoding(body, None)).reason


def measure_non_articles() -> dict:
    """Each page with its own URL (what a crawl sees), and with a neutral one: what its markup alone decides."""
    rows = []
    for source in NON_ARTICLE_SOURCES:
        for n, (name, url, body, headers) in enumerate(source()):
            taken, reason = _taken(body, url, headers)
            neutral_taken, neutral_reason = _taken(body, f"{NEUTRAL}non-article-{n}", headers)
            rows.append({"name": name, "url": url, "taken": taken, "reason": reason,
                         "taken_neutral_url": neutral_taken, "reason_neutral_url": neutral_reason})
    return {"pages": len(rows), "false_articles": sum(r["taken"] for r in rows),
            "false_articles_neutral_url": sum(r["taken_neutral_url"] for r in rows),
            "sources": [s.__name__ for s in NON_ARTICLE_SOURCES], "list": rows}


def run(limit: int | None = None, pages_dir: Path | None = None, per_page: bool = False) -> dict:
    """The measurement; {"absent": message} when there are no real pages here."""
    try:
        layout, pages, provenance = load(pages_dir, limit) if pages_dir else load_default(limit)
    except NoPages as e:
        return {"absent": str(e)}
    seconds: Counter = Counter()
    rows = [measure_page(page, seconds) for page in pages]
    by_name = {p.name: p for p in pages}
    n = len(rows)
    result: dict = {
        "set": layout, **provenance, "pages": n, "url": NEUTRAL + "<page id>",
        "tokens": "lower-cased, punctuation and symbols made spaces, split on whitespace; bag-of-tokens "
                  "precision/recall/F1 per page, averaged over pages",
        "taken": sum(r["outcome"] == "article" for r in rows),
        "extraction_failed": sum(r["outcome"].startswith("extraction failed") for r in rows),
        "taken_real_url": sum(r.get("outcome_real_url") == "article" for r in rows),
        "with_real_url": sum("outcome_real_url" in r for r in rows),
        "scores": {m: mean_scores(r["scores"][m] for r in rows if m in r["scores"]) for m in METHODS},
        "ms_per_page": {m: round(1000 * s / n, 1) for m, s in seconds.items()},
    }
    result["taken_share"] = round(result["taken"] / n, 4)
    f1 = {m: [r["scores"][m][2] for r in rows] for m in ("arshif", "arshif_bypassed", "trafilatura_default")}
    result["arshif_vs_trafilatura"] = {
        "better": sum(a > t + 0.01 for a, t in zip(f1["arshif"], f1["trafilatura_default"], strict=True)),
        "worse": sum(a < t - 0.01 for a, t in zip(f1["arshif"], f1["trafilatura_default"], strict=True)),
        "f1_lost_to_detection": round(sum(b - a for a, b in zip(f1["arshif"], f1["arshif_bypassed"],
                                                                strict=True)) / n, 4)}

    classes: dict[str, list] = {}
    for r in rows:
        if r["outcome"] != "article":
            page = by_name[r["name"]]
            d = describe(page.html, page.url)
            reason = r["reason"] if r["outcome"] == "not an article" else r["outcome"]
            r["class"] = failure_class(reason, d)
            classes.setdefault(r["class"], []).append({
                "name": r["name"], "real_url": r["real_url"], "has": summary(d),
                "f1_bypassed": r["scores"]["arshif_bypassed"][2],
                "f1_trafilatura": r["scores"]["trafilatura_default"][2]})
    result["failure_classes"] = [
        {"class": k, "pages": len(v), "f1_lost": round(sum(p["f1_bypassed"] for p in v) / n, 4), "examples": v}
        for k, v in sorted(classes.items(), key=lambda kv: -len(kv[1]))]

    losses = []
    for r in rows:
        if r["scores"]["arshif_bypassed"][2] < r["scores"]["trafilatura_default"][2] - LOSS:
            page = by_name[r["name"]]
            hint = diff_hint(page, r["_bodies"]["arshif_bypassed"] or "", r["_bodies"]["trafilatura_default"] or "")
            losses.append({"name": r["name"], "real_url": r["real_url"],
                           "f1_bypassed": r["scores"]["arshif_bypassed"][2],
                           "f1_trafilatura": r["scores"]["trafilatura_default"][2], **hint})
    result["extraction_losses"] = sorted(losses, key=lambda x: x["f1_bypassed"] - x["f1_trafilatura"])
    result["real_url_differs"] = [
        {"name": r["name"], "real_url": r["real_url"], "neutral": f"{r['outcome']} ({r['reason']})",
         "real": f"{r['outcome_real_url']} ({r.get('reason_real_url', r['reason'])})"}
        for r in rows if r.get("outcome_real_url", r["outcome"]) != r["outcome"]]
    result["non_articles"] = measure_non_articles()
    result["acceptance"] = {
        "taken_share >= 0.97": result["taken_share"] >= 0.97,
        "false articles == 0": result["non_articles"]["false_articles"] == 0,
        "arshif F1 >= bare trafilatura F1": result["scores"]["arshif"]["f1"]
        >= result["scores"]["trafilatura_default"]["f1"]}
    if per_page:
        result["per_page"] = [{k: v for k, v in r.items() if k != "_bodies"} for r in rows]
    return result


# -- the report ------------------------------------------------------------------------------------------------------

def markdown(result: dict) -> str:
    if result.get("absent"):
        return f"### Real pages: article detection and body extraction\n\nNot measured: {result['absent']}\n"
    n, s = result["pages"], result["scores"]
    na, versus = result["non_articles"], result["arshif_vs_trafilatura"]
    where = result["set"] + (f" at commit {result['commit'][:12]}" if result.get("commit") else "")
    text = [
        f"### Real pages: article detection and body extraction ({n} pages of {where})", "",
        f"Each page is given to arshif with a neutral URL, `{result['url']}`, since URL shape is one of its article "
        "signals and these are not the archived site's URLs; a page arshif does not take for an article scores F1 "
        f"0. Tokens: {result['tokens']}. Non-article pages: "
        + ", ".join(f"`{x}`" for x in na["sources"]) + ".", "",
        "| what | result |", "|---|---:|",
        f"| taken for articles (neutral URL) | {result['taken']} of {n} ({100 * result['taken_share']:.1f} %) |",
        f"| taken for articles (real URL) | {result['taken_real_url']} of {result['with_real_url']} |",
        f"| taken, but title or body unreadable | {result['extraction_failed']} |",
        f"| false articles among non-article pages | {na['false_articles']} of {na['pages']} |",
        f"| the same pages with a neutral URL (markup alone) | {na.get('false_articles_neutral_url', '-')} "
        f"of {na['pages']} |", "",
        "| body | F1 | precision | recall |", "|---|---:|---:|---:|",
        *(f"| {LABELS[m]} | {s[m]['f1']:.3f} | {s[m]['precision']:.3f} | {s[m]['recall']:.3f} |"
          for m in METHODS if s.get(m)), "",
        f"Per page, arshif (neutral URL) is better than bare trafilatura on {versus['better']} pages and worse on "
        f"{versus['worse']} (by more than 0.01 F1); detection costs {versus['f1_lost_to_detection']:.3f} of mean F1. "
        "Time per page: " + ", ".join(f"{k} {v:.0f} ms" for k, v in result["ms_per_page"].items()) + ".", "",
        "Acceptance: " + "; ".join(f"{k}: {'yes' if v else '**no**'}" for k, v in result["acceptance"].items())
        + ".", "",
    ]
    if result["real_url_differs"]:
        text += ["With their real URLs instead: " + "; ".join(
            f"`{d['name'][:12]}` {d['neutral']} → {d['real']}" for d in result["real_url_differs"]) + ".", ""]
    if result["failure_classes"]:
        text += ["Pages not taken for articles, by arshif's reason | the strongest signal the page has:", "",
                 "| class | pages | mean F1 lost | examples |", "|---|---:|---:|---|"]
        for c in result["failure_classes"]:
            examples = ", ".join(f"`{e['name'][:12]}`" for e in c["examples"][:3])
            text.append(f"| {c['class']} | {c['pages']} | {c['f1_lost']:.3f} | {examples} |")
        text.append("")
    if result["extraction_losses"]:
        text += [f"Pages where arshif's extraction (detection bypassed) is more than {LOSS} F1 below bare "
                 "trafilatura's:", "", "| page | arshif | trafilatura | cause | where the lost text is |",
                 "|---|---:|---:|---|---|"]
        for x in result["extraction_losses"]:
            place = x["where"][0] if x["where"] else {"path": "-", "traits": []}
            text.append(f"| `{x['name'][:12]}` | {x['f1_bypassed']:.2f} | {x['f1_trafilatura']:.2f} | {x['cause']} "
                        f"| `{place['path']}` {', '.join(place['traits'])} |")
        text.append("")
    taken = [r for r in na["list"] if r["taken"]]
    if taken:
        text += ["False articles: " + ", ".join(f"{r['name']} ({r['reason']})" for r in taken) + ".", ""]
    taken = [r for r in na["list"] if r.get("taken_neutral_url")]
    if taken:
        text += ["False articles with a neutral URL: "
                 + ", ".join(f"{r['name']} ({r['reason_neutral_url']})" for r in taken) + ".", ""]
    return "\n".join(text)


def report(result: dict) -> str:
    """The terminal report: the Markdown section, then each failure's page description."""
    text = [markdown(result)]
    for c in result.get("failure_classes", []):
        text.append(f"## {c['class']} — {c['pages']} pages")
        for e in c["examples"]:
            text.append(f"- {e['name']} {e['real_url'] or ''}\n    {e['has']}\n    F1 bypassed "
                        f"{e['f1_bypassed']:.2f}, trafilatura {e['f1_trafilatura']:.2f}")
        text.append("")
    for x in result.get("extraction_losses", []):
        text.append(f"## extraction loss {x['name']} {x['real_url'] or ''}: {x['f1_bypassed']:.2f} vs "
                    f"{x['f1_trafilatura']:.2f}; {x['cause']}; F1 {x['f1']}; {x['lost_paragraphs']} paragraphs lost")
        for place in x["where"]:
            text.append(f"    «{place['text']}» in {place['path']} {', '.join(place['traits'])}")
    return "\n".join(text) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.real_pages", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, help="where the pages are (default: the fetched mirrors under "
                                                    f"{MIRROR}, or $ARSHIF_REAL_PAGES)")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--json", action="store_true", help="the results as JSON, with a row per page")
    args = parser.parse_args(argv)
    started = time.monotonic()
    result = run(args.limit, args.pages, per_page=args.json)
    if result.get("absent"):
        print(f"bench.real_pages: {result['absent']}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else report(result))
    print(f"bench.real_pages: {result['pages']} pages in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
