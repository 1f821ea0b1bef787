"""`arshif search` as a library: a query and filters in, ranked hits with snippets (or counts) out.

Ranking is FTS5's bm25 over the four index columns, weighted so that an exact form in the title counts most
(archive.search_index.WEIGHTS), newer first on ties. Filters are resolved against the values the archive
actually holds, the way a researcher types them: `--section السياسة` finds the section سياسة, `--author` matches
any part of a name, `--since ٢٠٢١-٠٩` is a month. A filter value the archive has never seen is a SearchError
(one line, with the values it does have), as is a query with nothing to look for.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date

from archive.arabic import fold, normal, tokens
from archive.query import Query, QueryError, parse, to_match
from archive.search_index import TABLE, WEIGHTS
from archive.snippets import Matcher, Segment, bracketed, mark, snippet

SORTS = ("relevance", "newest", "oldest")
COUNT_BY = ("month", "section")


class SearchError(QueryError):
    """The search cannot run as asked; the message is one line for the user."""


@dataclass
class Filters:
    lang: str | None = None
    section: str | None = None
    tag: str | None = None
    author: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass
class Hit:
    url: str
    title: str
    published: str | None
    lang: str | None
    section: str | None
    author: str | None
    score: float
    snippet: list[Segment] = field(default_factory=list)
    title_marked: list[Segment] = field(default_factory=list)
    removed: str | None = None
    version: int = 1
    versions: int = 1

    def as_json(self) -> dict:
        """Exactly the keys and value forms of DESIGN.md §8."""
        return {"url": self.url, "title": self.title, "published": self.published, "lang": self.lang,
                "section": self.section, "author": self.author, "snippet": bracketed(self.snippet),
                "score": self.score}


DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")


def parse_date(value: str, option: str) -> str:
    """YYYY, YYYY-MM or YYYY-MM-DD (any digit script, - / or . between) → the zero-padded prefix it stands for."""
    m = DATE.match(fold(value.strip()))
    if not m:
        raise SearchError(f"{option}: {value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise SearchError(f"{option}: {value!r} is not a real date") from None
    return "-".join([year] + [f"{int(p):02d}" for p in (month, day) if p])


def _key(text: str) -> str:
    """A label as the filters compare it: normal forms of its words."""
    return " ".join(normal(t) for _, _, t in tokens(text))


def _choose(values: list[str], wanted: str, what: str, partial: bool = False) -> list[str]:
    key = _key(wanted)
    if not key:
        raise SearchError(f"--{what}: {wanted!r} has no letters or digits to match")
    chosen = [v for v in values if (key in _key(v) if partial else _key(v) == key)]
    if not chosen:
        known = sorted(values)
        listing = "، ".join(known[:12]) + (" …" if len(known) > 12 else "")
        raise SearchError(f"no article has the {what} {wanted!r}" + (f" (known: {listing})" if known else ""))
    return chosen


class Searcher:
    """One archive's search, on an open connection (a crawl may be writing at the same time: WAL)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def _where(self, query: Query | None, filters: Filters, all_versions: bool) -> tuple[str, list]:
        where: list[str] = []
        params: list = []
        if query is not None:
            where.append(f"{TABLE} MATCH ?")
            params.append(to_match(query))
        if not all_versions:
            where.append("a.latest_version = v.id")
        if filters.lang:
            where.append("v.lang = ?")
            params.append(filters.lang)
        for name, partial in (("section", False), ("author", True)):
            if getattr(filters, name):
                values = [r[0] for r in self.conn.execute(
                    f"SELECT DISTINCT {name} FROM article_versions WHERE {name} IS NOT NULL")]
                chosen = _choose(values, getattr(filters, name), name, partial=partial)
                where.append(f"v.{name} IN ({', '.join('?' * len(chosen))})")
                params += chosen
        if filters.tag:
            tags = [r[0] for r in self.conn.execute(
                "SELECT DISTINCT j.value FROM article_versions, json_each(article_versions.tags) AS j")]
            chosen = _choose(tags, filters.tag, "tag")
            where.append(f"EXISTS (SELECT 1 FROM json_each(v.tags) AS t WHERE t.value IN "
                         f"({', '.join('?' * len(chosen))}))")
            params += chosen
        if filters.since:
            since = parse_date(filters.since, "--since")
            where.append(f"substr(v.published, 1, {len(since)}) >= ?")
            params.append(since)
        if filters.until:
            until = parse_date(filters.until, "--until")
            where.append(f"substr(v.published, 1, {len(until)}) <= ?")
            params.append(until)
        return " AND ".join(where) or "1", params

    def _from(self, query: Query | None) -> str:
        if query is None:
            return "FROM article_versions v JOIN articles a ON a.id = v.article_id"
        return f"FROM {TABLE} JOIN article_versions v ON v.id = {TABLE}.rowid JOIN articles a ON a.id = v.article_id"

    def matching(self, text: str | None, filters: Filters | None = None, sort: str = "relevance",
                 all_versions: bool = False, limit: int | None = 20) -> tuple[Query | None, list[tuple]]:
        """(article id, version id, score, published) of the best matches; no text means every article that
        passes the filters (score 0). With all_versions, an article's best-matching version stands for it."""
        if sort not in SORTS:
            raise SearchError(f"--sort: one of {', '.join(SORTS)}")
        query = parse(text) if text is not None else None
        where, params = self._where(query, filters or Filters(), all_versions)
        score = f"-bm25({TABLE}, {', '.join(map(str, WEIGHTS))})" if query else "0.0"
        order = {"relevance": "score DESC, published DESC, article DESC",
                 "newest": "published DESC, article DESC", "oldest": "published ASC, article ASC"}[sort]
        inner = (f"SELECT a.id AS article, v.id AS version_id, {score} AS score, v.published AS published "
                 f"{self._from(query)} WHERE {where}")
        if all_versions:
            # bm25() must run in the FTS query itself (materialized), and SQLite takes the bare columns of a
            # max() group from the row that holds the maximum
            sql = (f"WITH scored AS MATERIALIZED ({inner}) SELECT * FROM (SELECT article, version_id, "
                   f"max(score) AS score, published FROM scored GROUP BY article) ORDER BY {order} LIMIT ?")
        else:
            sql = f"SELECT * FROM ({inner}) ORDER BY {order} LIMIT ?"
        rows = self._run(sql, params + [limit or -1])
        return query, rows

    def search(self, text: str, filters: Filters | None = None, sort: str = "relevance",
               all_versions: bool = False, limit: int = 20) -> list[Hit]:
        """Best hits first, each with a snippet of its original text."""
        query, rows = self.matching(text, filters, sort, all_versions, limit)
        return self._hits(query, rows)

    def count(self, text: str, filters: Filters | None = None, all_versions: bool = False) -> int:
        query = parse(text)
        where, params = self._where(query, filters or Filters(), all_versions)
        return self._run(f"SELECT count(DISTINCT a.id) {self._from(query)} WHERE {where}", params)[0][0]

    def count_by(self, text: str, by: str, filters: Filters | None = None,
                 all_versions: bool = False) -> list[tuple[str, int]]:
        """Matching articles per month (oldest first) or per section (largest first)."""
        if by not in COUNT_BY:
            raise SearchError(f"--count-by: one of {', '.join(COUNT_BY)}")
        query = parse(text)
        where, params = self._where(query, filters or Filters(), all_versions)
        key = "substr(v.published, 1, 7)" if by == "month" else "v.section"
        order = "1" if by == "month" else "2 DESC, 1"
        sql = (f"SELECT coalesce({key}, '?'), count(DISTINCT a.id) {self._from(query)} WHERE {where} "
               f"GROUP BY 1 ORDER BY {order}")
        return [(label, count) for label, count in self._run(sql, params)]

    def _run(self, sql: str, params: list) -> list:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # the parser quotes everything: this is a bug, said plainly
            raise SearchError(f"the search index could not run this query ({exc})") from exc

    def _hits(self, query: Query, rows: list) -> list[Hit]:
        if not rows:
            return []
        matcher = Matcher(query)
        ids = [r[1] for r in rows]
        details = {r[0]: r for r in self.conn.execute(
            "SELECT v.id, a.canonical, v.title, v.published, v.lang, v.section, v.author, v.body, a.removed, "
            f"v.version, a.versions FROM article_versions v JOIN articles a ON a.id = v.article_id "
            f"WHERE v.id IN ({', '.join('?' * len(ids))})", ids)}
        hits = []
        for _, version_id, score, _ in rows:
            (_, url, title, published, lang, section, author, body, removed, version,
             versions) = details[version_id]
            hits.append(Hit(url=url, title=title, published=published, lang=lang, section=section, author=author,
                            score=_positive(score), snippet=snippet(body, matcher),
                            title_marked=_marked_title(title, matcher), removed=removed, version=version,
                            versions=versions))
        return hits


def _positive(score: float) -> float:
    """bm25 (negated) rounded to four significant digits; never zero, since the design promises positive."""
    return max(float(f"{score:.4g}"), 1e-9)


def _marked_title(title: str, matcher: Matcher) -> list[Segment]:
    return mark(title, matcher.spans(title))


def hits_json(hits: list[Hit]) -> str:
    return json.dumps([h.as_json() for h in hits], ensure_ascii=False, indent=2)
