"""What `arshif stats` reports: the archive's counts, its freshness, and the last crawls' outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from archive.store.database import Store


def staleness(store) -> dict:
    """How fresh the archive's knowledge of its articles is: when the least recently looked-at article online was
    last looked at (a check, else its last capture), the share looked at within the revisit period, the period the
    last crawl used, and how many due revisits its budget left out."""
    from archive.core.clock import instant, scheduling_now
    from archive.pages.revisits import RevisitPolicy

    last = store.db.execute("SELECT stats FROM crawls WHERE stats IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    crawl_stats = json.loads(last[0]) if last and last[0] else {}
    period = float(crawl_stats.get("arshif/revisits/period") or RevisitPolicy().period)
    looks = [instant(row[0]) for row in store.db.execute(
        "SELECT coalesce((SELECT max(c.checked) FROM checks c WHERE c.canonical = a.canonical), a.last_captured) "
        "FROM articles a WHERE a.removed IS NULL")]
    looks = [when for when in looks if when is not None]
    now = scheduling_now()  # the system clock: ARSHIF_CLOCK is a crawl's setting
    oldest = min(looks, default=None)
    return {"oldest_check": oldest.isoformat(timespec="seconds") if oldest else None,
            "checked_within_period": round(sum((now - when).total_seconds() <= period for when in looks)
                                           / len(looks), 4) if looks else None,
            "period_days": round(period / 86400, 2),
            "left_out_last_run": int(crawl_stats.get("arshif/revisits/left_out", 0))}


def removal_checks(store) -> dict:
    """Since when the last crawls have had a sitemap or feed fail: the articles those sources listed are not
    re-checked for removal while they fail (each source withholds only its own evidence)."""
    streak = []
    for started, crawl_stats in store.db.execute("SELECT started, stats FROM crawls WHERE stats IS NOT NULL "
                                                 "ORDER BY id DESC LIMIT 1000"):
        if not int(json.loads(crawl_stats).get("arshif/discovery/sources_broken", 0) or 0):
            break
        streak.append(started)
    return {"limited_since": streak[-1] if streak else None, "limited_runs": len(streak)}


def stats(data: Path) -> dict:
    store = Store(Path(data) / "archive.db")
    db = store.db
    one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    result = {
        "articles": one("SELECT count(*) FROM articles"),
        "versions": one("SELECT count(*) FROM article_versions"),
        "captures": one("SELECT count(*) FROM captures WHERE record_type != 'request'"),
        "warc_files": one("SELECT count(*) FROM warc_files"),
        "warc_bytes": one("SELECT coalesce(sum(size), 0) FROM warc_files"),
        "languages": dict(db.execute("SELECT coalesce(lang, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC")
                          .fetchall()),
        "sections": dict(db.execute("SELECT coalesce(section, '?'), count(*) FROM articles GROUP BY 1 "
                                    "ORDER BY 2 DESC").fetchall()),
        "first_published": one("SELECT min(substr(published, 1, 10)) FROM articles"),
        "last_published": one("SELECT max(substr(published, 1, 10)) FROM articles"),
        "crawls": [],
    }
    from archive.ops.crawl import missed_reasons

    reasons = missed_reasons(store)
    result["missed_posts"] = sum(reasons.values())
    result["missed_reasons"] = reasons
    result["revisits"] = staleness(store)
    result["removal_checks"] = removal_checks(store)
    for row in db.execute("SELECT id, started, finished, status, exit_code, stats FROM crawls ORDER BY id DESC "
                          "LIMIT 10"):
        crawl_stats = json.loads(row[5]) if row[5] else {}
        result["crawls"].append({
            "id": row[0], "started": row[1], "finished": row[2], "status": row[3], "exit_code": row[4],
            "pages": crawl_stats.get("response_received_count", 0),
            "articles": crawl_stats.get("arshif/articles", 0),
            "new_articles": crawl_stats.get("arshif/articles/new", 0),
            "new_versions": crawl_stats.get("arshif/articles/version", 0),
            "extraction_failures": crawl_stats.get("arshif/extract/failed", 0),
            "errors": sum(v for k, v in crawl_stats.items() if k.startswith("arshif/fetch_error/")),
        })
    # what a monitor watches: how long ago the last crawl finished well (status finished, exit status 0)
    last = db.execute("SELECT id, finished FROM crawls WHERE status = 'finished' AND coalesce(exit_code, 0) = 0 "
                      "AND finished IS NOT NULL ORDER BY finished DESC LIMIT 1").fetchone()
    result["last_success"] = None
    if last:
        age = datetime.now(UTC) - datetime.fromisoformat(last[1])
        result["last_success"] = {"id": last[0], "finished": last[1], "age_seconds": round(age.total_seconds())}
    store.close()
    return result
