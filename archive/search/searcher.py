"""`arshif search` as a library: a query and filters in, ranked hits with snippets (or counts) out.

Ranking: articles that hold the query as typed (its own forms, with their clitics) come before those that match
only through a stem (a plural, a feminine, a suffixed pronoun); within each, FTS5's bm25 over the four index
columns, weighted so that an exact form in the title counts most (archive.search.index.WEIGHTS); newer first on
ties. Filters are resolved against the values the archive
actually holds, the way a researcher types them: `--section السياسة` finds the section سياسة, `--author` matches
any part of a name, `--since ٢٠٢١-٠٩` is a month. A filter value the archive has never seen is a SearchError
(one line, with the values it does have), as is a query with nothing to look for.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date

from archive.core.arabic import fold, normal, tokens
from archive.search import impact
from archive.search.columns import SCORE
from archive.search.index import TABLE
from archive.search.query import Query, QueryError, parse, quote, to_match
from archive.search.snippets import Matcher, Segment, bracketed, mark, snippet

SORTS = ("relevance", "newest", "oldest")
# seeks (articles × phrases of the own forms) past which flagging a few top articles one by one costs more than
# reading every article that holds the own forms (measured on real text: docs/searching.md, Speed)
OWN_SEEKS = 360
OWN_READ = 20_000   # articles holding the own forms past which ranking them alone gains nothing
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
        """Exactly the keys and value forms of docs/reference.md (arshif search)."""
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
    """One archive's search, on an open connection (a crawl may be writing at the same time: WAL).

    A default search is one FTS5 query over the latest versions (`rowid > 0`, no join), ranked and cut to the
    limit inside FTS5; filters become `rowid IN (articles that pass)`. Only the hits shown are then read from
    the tables. `--all-versions`, counts and date sorting join every match to its version."""

    def __init__(self, conn: sqlite3.Connection, exact: bool = False):
        self.conn = conn
        self.exact = exact
        self._known: dict[str, bool] = {}
        self._counts: dict[str, tuple[int, int]] = {}

    def known(self, token: str) -> bool:
        """Whether the index holds the token anywhere (a seek to the first entry of its doclist)."""
        if token not in self._known:
            row = self.conn.execute(f"SELECT 1 FROM {TABLE} WHERE {TABLE} MATCH ? LIMIT 1",
                                    [quote(token)]).fetchone()
            self._known[token] = row is not None
        return self._known[token]

    def _filters(self, filters: Filters, alias: str, all_versions: bool) -> tuple[list[str], list]:
        """SQL conditions on the columns of `alias` (articles or article_versions: the same names)."""
        where: list[str] = []
        params: list = []
        source = "article_versions" if all_versions else "articles"
        if filters.lang:
            where.append(f"{alias}.lang = ?")
            params.append(filters.lang)
        for name, partial in (("section", False), ("author", True)):
            if getattr(filters, name):
                values = [r[0] for r in self.conn.execute(
                    f"SELECT DISTINCT {name} FROM {source} WHERE {name} IS NOT NULL")]
                chosen = _choose(values, getattr(filters, name), name, partial=partial)
                where.append(f"{alias}.{name} IN ({', '.join('?' * len(chosen))})")
                params += chosen
        if filters.tag:
            tags = [r[0] for r in self.conn.execute(
                f"SELECT DISTINCT j.value FROM {source}, json_each({source}.tags) AS j")]
            chosen = _choose(tags, filters.tag, "tag")
            where.append(f"EXISTS (SELECT 1 FROM json_each({alias}.tags) AS t WHERE t.value IN "
                         f"({', '.join('?' * len(chosen))}))")
            params += chosen
        # compared whole, so that the index on published serves: a later time of the same day sorts after the
        # date alone, and every time of the --until date before the date followed by U+FFFF
        if filters.since:
            where.append(f"{alias}.published >= ?")
            params.append(parse_date(filters.since, "--since"))
        if filters.until:
            where.append(f"{alias}.published <= ?")
            params.append(parse_date(filters.until, "--until") + "\uffff")
        return where, params

    def _match(self, text: str) -> tuple[Query, str | None, str | None]:
        """The query, its MATCH expression, and the MATCH of its own forms when that differs (None: every match
        ranks alike, all holding the own forms or none)."""
        query = parse(text)
        match = to_match(query, self.known)
        own = to_match(query, self.known, stems=False) if match else None
        return query, match, (own if own not in (None, match) else None)

    def _located(self, match: str, filters: Filters, all_versions: bool,
                 own: str | None = None) -> tuple[str, list]:
        """SQL for every match as (article, version_id, score, published, section, own), filters applied; `own`
        is 1 for a version that matches the MATCH `own` (every match when it is None)."""
        owned = (f"{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)" if own else "1")
        if not all_versions:
            where, params = self._filters(filters, "a", False)
            return (f"SELECT a.id AS article, a.latest_version AS version_id, {SCORE} AS score, "
                    f"a.published AS published, a.section AS section, {owned} AS own FROM {TABLE} "
                    f"JOIN articles a ON a.id = {TABLE}.rowid WHERE {TABLE} MATCH ? AND {TABLE}.rowid > 0"
                    + "".join(f" AND {w}" for w in where), [own] * bool(own) + [match] + params)
        where, params = self._filters(filters, "v", True)
        conditions = "".join(f" AND {w}" for w in where)
        sql = (f"WITH hits AS MATERIALIZED (SELECT rowid AS r, {SCORE} AS score, {owned} AS own "
               f"FROM {TABLE} WHERE {TABLE} MATCH ?) "
               "SELECT a.id AS article, v.id AS version_id, hits.score AS score, v.published AS published, "
               "v.section AS section, hits.own AS own FROM hits JOIN articles a ON a.id = hits.r "
               f"JOIN article_versions v ON v.id = a.latest_version WHERE hits.r > 0{conditions} "
               "UNION ALL SELECT v.article_id, v.id, hits.score, v.published, v.section, hits.own FROM hits "
               f"JOIN article_versions v ON v.id = -hits.r WHERE hits.r < 0{conditions}")
        return sql, [own] * bool(own) + [match] + params + params

    def matching(self, text: str | None, filters: Filters | None = None, sort: str = "relevance",
                 all_versions: bool = False, limit: int | None = 20) -> tuple[Query | None, list[tuple]]:
        """(article id, version id, score, published) of the best matches; no text means every article that
        passes the filters (score 0). With all_versions, an article's best-matching version stands for it."""
        if sort not in SORTS:
            raise SearchError(f"--sort: one of {', '.join(SORTS)}")
        filters = filters or Filters()
        if text is None:
            where, params = self._filters(filters, "a", False)
            order = "published ASC, id ASC" if sort == "oldest" else "published DESC, id DESC"
            rows = self._run(f"SELECT id, latest_version, 0.0, published FROM articles a "
                             f"WHERE {' AND '.join(where) or '1'} ORDER BY {order} LIMIT ?", params + [limit or -1])
            return None, rows
        query, match, own = self._match(text)
        if match is None:
            return query, []
        if sort == "relevance" and not all_versions:
            return query, self._best(match, own, query, filters, limit)
        if sort == "relevance" and filters == Filters() and not self.exact and limit is not None:
            found = self._best_versions(match, own, query, limit)
            if found is not None:
                return query, found
        sql, params = self._located(match, filters, all_versions, own if sort == "relevance" else None)
        if all_versions:  # an article's best version by the ranking's own order stands for it
            sql = (f"SELECT article, version_id, score, published, own FROM (SELECT *, row_number() OVER "
                   f"(PARTITION BY article ORDER BY own DESC, score DESC, version_id DESC) AS n FROM ({sql})) "
                   "WHERE n = 1")
        order = {"relevance": "own DESC, score DESC, published DESC, article DESC",
                 "newest": "published DESC, article DESC", "oldest": "published ASC, article ASC"}[sort]
        return query, self._run(f"SELECT article, version_id, score, published FROM ({sql}) ORDER BY {order} "
                                "LIMIT ?", params + [limit or -1])

    def _best(self, match: str, own: str | None, query: Query, filters: Filters,
              limit: int | None) -> list[tuple]:
        """The best matches in the documented order, then a few more than asked for read, so that equal scores go
        newest first. A word or two-word phrase with an impact list is ranked from it when the list proves its
        answer (archive.search.impact); anything else is ranked inside FTS5 over every match. `exact=True` always
        ranks every match."""
        where, params = self._filters(filters, "a", False)
        # `+rowid`: a post-filter, not a constraint handed to FTS5 (which would re-run the MATCH per article)
        restrict = (f" AND +{TABLE}.rowid IN (SELECT id FROM articles a WHERE {' AND '.join(where)})"
                    if where else "")
        wanted = -1 if limit is None else limit + 10
        top = None
        if not self.exact and limit is not None:
            top = self._from_list(match, query, where, params, limit)
        while top is None:
            top = self._in_fts5(match, own, query, restrict, params, wanted, limit)
            if limit is not None and len(top) == wanted and top[-1][1] == top[limit - 1][1]:
                top, wanted = None, wanted * 4  # equal scores past the rows read: read on, so that newer go first
        if not top:
            return []
        ranked = {rowid: (score, owned) for rowid, score, owned in top}
        details = {article: (article, version_id, ranked[article][0], published)
                   for article, version_id, published in self._rows_of(
                       "SELECT id, latest_version, published FROM articles WHERE id IN ({})", list(ranked))}
        rows = sorted(details.values(), key=lambda r: (-ranked[r[0]][1], -r[2], _desc(r[3]), -r[0]))
        return rows if limit is None else rows[:limit]

    def _from_list(self, match: str, query: Query, where: list[str], params: list,
                   limit: int) -> list[tuple] | None:
        """A one-word query ranked among its impact list's articles (archive.search.impact), each scored as FTS5's
        bm25 would score it now; None unless the last hit shown provably beats every article left out."""
        if len(query.clauses) != 1 or len(query.clauses[0]) != 1 or query.excluded:
            return None
        term = query.clauses[0][0]
        if term.prefix or len(term.words) > 2:
            return None
        with impact.snapshot(self.conn):
            found = impact.ranked(self.conn, match, where, params)
        if found is None:
            return None
        ranked, (floor_own, bound) = found
        if len(ranked) < limit:
            return None
        _, last, last_own = ranked[limit - 1]
        if not (last_own > floor_own or (last_own == floor_own and last > bound)):
            return None
        return [row for row in ranked if _place(row) >= _place(ranked[limit - 1])]  # and every equal of the last

    def _in_fts5(self, match: str, own: str | None, query: Query, restrict: str, params: list, wanted: int,
                 limit: int | None) -> list[tuple]:
        """The best `wanted` matches ranked inside FTS5, as (rowid, bm25, holds the own forms), by the cheapest way
        that is exact for this query: the own forms' articles alone, every own form read once beside bm25, or bm25
        first and the own forms of its best few flagged one by one."""
        if own is not None and limit is not None and _one_word(query):
            top = self._own_only(match, own, restrict, params, wanted, limit)
            if top is not None:
                return top
        if own is not None and (limit is None or wanted * (own.count(" OR ") + 1) > OWN_SEEKS):
            return self._every_own_first(match, own, restrict, params, wanted)
        top = self._run(f"SELECT rowid, {SCORE} AS score, 1 FROM {TABLE} WHERE {TABLE} MATCH ? AND "
                        f"{TABLE}.rowid > 0{restrict} ORDER BY score DESC LIMIT ?", [match] + params + [wanted])
        if own is not None and top:
            top = self._own_first(match, own, top, restrict, params, wanted, limit)
        return top

    def _best_versions(self, match: str, own: str | None, query: Query, limit: int) -> list[tuple] | None:
        """`--all-versions` from a word's list: the latest versions it proves best, beside every earlier version
        that matches (few: FTS5 ranks them alone, `rowid < 0`); each article's best version stands for it. None
        when the list cannot prove its answer."""
        with impact.snapshot(self.conn):
            latest = self._from_list(match, query, [], [], limit)
            if latest is None:
                return None
            owned = (f"{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid < 0)"
                     if own else "1")
            earlier = self._run(f"SELECT rowid, {SCORE} AS score, {owned} AS own FROM {TABLE} WHERE {TABLE} MATCH ? "
                                f"AND {TABLE}.rowid < 0", [own] * bool(own) + [match])
            details = {(article, True): (version, published) for article, version, published in self._rows_of(
                "SELECT a.id, v.id, v.published FROM articles a JOIN article_versions v ON v.id = a.latest_version "
                "WHERE a.id IN ({})", [rowid for rowid, *_ in latest])}
            details.update(((version, False), (article, published)) for version, article, published in self._rows_of(
                "SELECT id, article_id, published FROM article_versions WHERE id IN ({})",
                [-rowid for rowid, *_ in earlier]))
        best: dict[int, tuple] = {}
        for rowid, score, owned in latest:
            version, published = details[(rowid, True)]
            best[rowid] = (rowid, version, score, published, owned)
        for rowid, score, owned in earlier:
            article, published = details[(-rowid, False)]
            row = (article, -rowid, score, published, owned)
            if article not in best or (owned, score, -rowid) > (best[article][4], best[article][2], best[article][1]):
                best[article] = row
        rows = sorted(best.values(), key=lambda r: (-r[4], -r[2], _desc(r[3]), -r[0]))
        return [row[:4] for row in rows[:limit]]

    def _own_only(self, match: str, own: str, restrict: str, params: list, wanted: int,
                  limit: int) -> list[tuple] | None:
        """The best `wanted` of the articles that hold the query's own forms, when at least `limit` of them pass the
        filters: they all rank before any other, so bm25 is computed for them alone (a word whose stem is far
        commoner than itself: عامين among every عام). None when they are too few, or too many to gain."""
        held = self._run(f"SELECT count(*) FROM (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid > 0 "
                         "LIMIT ?)", [own, OWN_READ])[0][0]
        if not limit <= held < OWN_READ:
            return None
        top = self._run(f"SELECT rowid, {SCORE} AS score, 1 FROM {TABLE} WHERE {TABLE} MATCH ? AND "
                        f"{TABLE}.rowid > 0 AND +{TABLE}.rowid IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? "
                        f"AND rowid > 0){restrict} ORDER BY score DESC LIMIT ?", [match, own] + params + [wanted])
        return top if len(top) >= limit else None

    def _own_first(self, match: str, own: str, top: list[tuple], restrict: str, params: list, wanted: int,
                   limit: int) -> list[tuple]:
        """`top` (best bm25 first) flagged with whether each holds the query's own forms, and ranked so that those
        come first. When the best `limit` by bm25 all hold them, they are also the best by this order: the flags
        of those few are read (a seek per article and phrase). Otherwise every match is ranked own forms first."""
        ids = [rowid for rowid, *_ in top]
        owned = {r for (r,) in self._run(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid IN "
                                         f"({', '.join('?' * len(ids))})", [own] + ids)}
        if all(rowid in owned for rowid, *_ in top[:limit]):
            return [(rowid, score, int(rowid in owned)) for rowid, score, _ in top]
        return self._every_own_first(match, own, restrict, params, wanted)

    def _every_own_first(self, match: str, own: str, restrict: str, params: list, wanted: int) -> list[tuple]:
        """Every match ranked own forms first: the articles holding them read once, beside bm25."""
        return self._run(f"SELECT rowid, {SCORE} AS score, {TABLE}.rowid IN (SELECT rowid FROM {TABLE} "
                         f"WHERE {TABLE} MATCH ? AND rowid > 0) AS own FROM {TABLE} WHERE {TABLE} MATCH ? AND "
                         f"{TABLE}.rowid > 0{restrict} ORDER BY own DESC, score DESC LIMIT ?",
                         [own, match] + params + [wanted])

    def search(self, text: str, filters: Filters | None = None, sort: str = "relevance",
               all_versions: bool = False, limit: int = 20) -> list[Hit]:
        """Best hits first, each with a snippet of its original text."""
        query, rows = self.matching(text, filters, sort, all_versions, limit)
        return self._hits(query, rows)

    def count(self, text: str, filters: Filters | None = None, all_versions: bool = False) -> int:
        _, match, _ = self._match(text)
        if match is None:
            return 0
        if not all_versions and filters in (None, Filters()):  # every positive row id is an article: no join
            return self._run(f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH ? AND rowid > 0", [match])[0][0]
        sql, params = self._located(match, filters or Filters(), all_versions)
        return self._run(f"SELECT count(DISTINCT article) FROM ({sql})", params)[0][0]

    def count_by(self, text: str, by: str, filters: Filters | None = None,
                 all_versions: bool = False) -> list[tuple[str, int]]:
        """Matching articles per month (oldest first) or per section (largest first)."""
        if by not in COUNT_BY:
            raise SearchError(f"--count-by: one of {', '.join(COUNT_BY)}")
        _, match, _ = self._match(text)
        if match is None:
            return []
        sql, params = self._located(match, filters or Filters(), all_versions)
        key = "substr(published, 1, 7)" if by == "month" else "section"
        order = "1" if by == "month" else "2 DESC, 1"
        return [(label, n) for label, n in self._run(
            f"SELECT coalesce({key}, '?'), count(DISTINCT article) FROM ({sql}) GROUP BY 1 ORDER BY {order}",
            params)]

    def _rows_of(self, sql: str, ids: list[int]) -> list:
        """`sql` (its `IN ({})` filled with placeholders) for every id, in chunks SQLite's variable limit allows."""
        rows: list = []
        for at in range(0, len(ids), 900):
            chunk = ids[at:at + 900]
            rows += self._run(sql.format(", ".join("?" * len(chunk))), chunk)
        return rows

    def _run(self, sql: str, params: list) -> list:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # the parser quotes everything: this is a bug, said plainly
            raise SearchError(f"the search index could not run this query ({exc})") from exc

    def _hits(self, query: Query | None, rows: list) -> list[Hit]:
        if not rows or query is None:
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
                            title_marked=mark(title, matcher.spans(title)), removed=removed, version=version,
                            versions=versions))
        return hits


def _one_word(query: Query) -> bool:
    return (len(query.clauses) == 1 and len(query.clauses[0]) == 1 and not query.excluded
            and len(query.clauses[0][0].words) == 1 and not query.clauses[0][0].prefix)


def _place(row: tuple) -> tuple:
    """A ranked row's place before dates break ties: (holds the query as typed, bm25)."""
    _, score, own = row
    return own, score


def _desc(published: str | None) -> tuple:
    """A sort key that puts later dates first (and undated last)."""
    return (published is None, [-ord(ch) for ch in published or ""])


def _positive(score: float) -> float:
    """bm25 (negated) rounded to four significant digits; never zero, since the design promises positive."""
    return max(float(f"{score:.4g}"), 1e-9)
