"""An article's versions as the commands and pages show them: the one in effect at a capture, the one before
another (the default left side of a diff), two of them compared, and the report of the latest changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

from archive.core.times import now, stamp, stamp_iso
from archive.history import changes as ch
from archive.history.changes import Piece, Version
from archive.history.lookup import BadTimestamp, Say, capture_at, reader
from archive.history.snapshots import Capture, NotArchived

CHANGES_SINCE = timedelta(days=7)  # `arshif changes` without --since: the weekly report


def previous(found: list[Version], version: Version) -> Version:
    """The version before `version`, or `version` itself when it is the first: what a diff compares it with when
    no other version is asked for."""
    earlier = [v for v in found if v.number < version.number]
    return earlier[-1] if earlier else version


def _version_at(found: list[Version], at: str | None) -> Version:
    try:
        return ch.version_at(found, at)
    except ValueError as exc:
        raise BadTimestamp(str(exc)) from None


@dataclass
class ArticleAt:
    """An article as it was at one capture: the version then in effect, with the article's metadata."""

    canonical: str
    capture: Capture
    version: Version
    published: str | None
    section: str | None
    author: str | None
    lang: str | None
    removed: str | None

    def text(self) -> str:
        """What `arshif show` prints: title, URL, metadata, the capture and version, then the text."""
        note = f"version {self.version.number} of {self.version.versions}" + (
            f"; removed from the site {stamp_iso(self.removed)[:10]}" if self.removed else "")
        ts = self.capture.timestamp
        meta = " · ".join(str(x) for x in (self.published, self.section, self.author, self.lang) if x)
        return (f"{self.version.title}\n{unquote(self.canonical)}\n{meta}\n"
                f"capture {ts} ({note}) · replay /web/{ts}/{self.canonical}\n\n{self.version.body}")


def article_at(data: Path, url: str, at: str | None = None, say: Say | None = None) -> ArticleAt:
    """The article at URL as the capture nearest `at` shows it (the latest by default). NotArchived when URL has no
    capture or is not an article; BadTimestamp when `at` is not a moment."""
    with reader(data, say) as store:
        picked = capture_at(store, url, at)
        try:
            article, canon = ch.article_id(store, url)
        except NotArchived:
            raise NotArchived(f"{url} is not an article (captured as {picked.mime}); --format html shows the "
                              "page") from None
        version = ch.version_at(ch.versions(store, article), picked.timestamp)
        facts = store.version_facts(article, version.number) or {}
    return ArticleAt(canon, picked, version, facts.get("published"), facts.get("section"), facts.get("author"),
                     facts.get("lang"), facts.get("removed"))


def article_versions(data: Path, url: str, say: Say | None = None) -> tuple[str, list[Version]]:
    """(canonical URL, versions oldest first) of the article URL names; NotArchived when it names none."""
    with reader(data, say) as store:
        article, canon = ch.article_id(store, url)
        return canon, ch.versions(store, article)


@dataclass
class VersionDiff:
    """Two versions of one article compared word by word: pieces of the new title and body."""

    canonical: str
    old: Version
    new: Version
    title: list[Piece]
    body: list[Piece]

    @property
    def same(self) -> bool:
        return self.old.number == self.new.number

    def summary(self) -> str:
        return ch.summary(self.title + self.body)

    def heading(self) -> str:
        """The URL, and which versions are compared: the first lines of `arshif diff`."""
        return (f"{unquote(self.canonical)}\nversion {self.old.number} ({self.old.capture_timestamp}) → version "
                f"{self.new.number} ({self.new.capture_timestamp}) of {self.new.versions}: {self.summary()}")

    def shortened_body(self) -> list[Piece]:
        return ch.context(self.body)

    def as_dict(self) -> dict:
        """The keys of docs/reference.md (arshif diff)."""
        return {"url": self.canonical, "from": self.old.capture_timestamp, "to": self.new.capture_timestamp,
                "from_version": self.old.number, "to_version": self.new.number, "summary": self.summary(),
                "title": [{"op": op, "text": t} for op, t in self.title],
                "body": [{"op": op, "text": t} for op, t in self.body]}


def compare(canonical: str, old: Version, new: Version) -> VersionDiff:
    return VersionDiff(canonical, old, new, ch.diff_words(old.title, new.title), ch.diff_words(old.body, new.body))


def diff(data: Path, url: str, from_: str | None = None, to: str | None = None, say: Say | None = None
         ) -> VersionDiff:
    """The article at URL: the version in effect at `to` (the latest by default) against the one in effect at
    `from_` (by default the one before it). NotArchived when URL is not an archived article; BadTimestamp when a
    moment is not one."""
    canon, found = article_versions(data, url, say)
    new = _version_at(found, to)
    old = _version_at(found, from_) if from_ else previous(found, new)
    return compare(canon, old, new)


@dataclass
class ChangesReport:
    """The articles edited or removed since a moment, newest first (docs/reference.md, arshif changes)."""

    since: str  # as given, or the 14-digit default
    changes: list[dict]

    def as_list(self) -> list[dict]:
        return self.changes

    def lines(self) -> list[str]:
        return [f"{c['seen'][:16]}  {c['change']:<7}  {c['title']}\n    {unquote(c['url'])}\n"
                f"    {c['from']} → {c['to']}: {c['summary']}" for c in self.changes]

    def summary(self) -> str:
        return f"no article edited or removed since {self.since}" if not self.changes else \
            f"{len(self.changes)} article(s) edited or removed since {self.since}"


def changes_since(data: Path, since: str | None = None, say: Say | None = None) -> ChangesReport:
    """The changes report since `since` (a timestamp or date; default: seven days ago). BadTimestamp when `since`
    is not a moment."""
    since = since or stamp(now() - CHANGES_SINCE)
    with reader(data, say) as store:
        try:
            found = ch.changes(store, since)
        except ValueError as exc:
            raise BadTimestamp(str(exc)) from None
    return ChangesReport(since, found)
