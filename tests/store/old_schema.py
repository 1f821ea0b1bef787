"""The schema as arshif created it before sqlite-utils wrote its migrations (up to commit 56a107a): the SQL each
migration ran, recorded from that code. Databases made this way exist on operators' disks; the upgrade tests
start from them, not from what this arshif would make."""

MIGRATIONS_AS_SHIPPED: dict[int, list[str]] = {
    1: [
        """CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            site TEXT NOT NULL,
            worker TEXT,
            options TEXT,            -- JSON: the command's options
            stats TEXT,              -- JSON: Scrapy's stats at the end
            status TEXT NOT NULL,    -- running, finished, failed, interrupted
            exit_code INTEGER
        )""",
        """CREATE TABLE warc_files (
            name TEXT PRIMARY KEY,   -- file name under warc/, without .open
            crawl_id INTEGER REFERENCES crawls(id),
            created TEXT NOT NULL,
            closed TEXT,
            size INTEGER,
            sha256 TEXT,             -- fixity, recorded when the file is closed
            records INTEGER
        )""",
        """CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL UNIQUE,
            record_type TEXT NOT NULL,   -- response, revisit, request
            url TEXT NOT NULL,           -- as fetched (WARC-Target-URI)
            canonical TEXT NOT NULL,
            timestamp TEXT NOT NULL,     -- 14 digits, UTC
            date TEXT NOT NULL,          -- WARC-Date
            status INTEGER,
            mime TEXT,
            digest TEXT,                 -- WARC-Payload-Digest, sha1:BASE32
            payload_length INTEGER,
            warc_file TEXT NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            revisit_profile TEXT,        -- identical-payload-digest or server-not-modified
            refers_to_uri TEXT,
            refers_to_date TEXT,
            concurrent_to TEXT,
            ip TEXT,
            crawl_id INTEGER REFERENCES crawls(id)
        )""",
        "CREATE INDEX captures_canonical ON captures(canonical, timestamp)",
        "CREATE INDEX captures_url ON captures(url, timestamp)",
        "CREATE INDEX captures_file ON captures(warc_file, offset)",
    ],
    2: [
        """CREATE TABLE urls (
            canonical TEXT PRIMARY KEY,
            kind TEXT NOT NULL,          -- article, listing, feed, sitemap, asset, page, robots
            is_article INTEGER,          -- 1/0 once fetched and detected; NULL while only discovered
            source TEXT,                 -- how it was first found: sitemap, feed, link, asset, start
            sitemap_lastmod TEXT,        -- as the sitemap last said
            feed_updated TEXT,           -- as a feed last said
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_fetched TEXT,
            last_status INTEGER,
            crawl_id INTEGER REFERENCES crawls(id)
        )""",
        "CREATE INDEX urls_kind ON urls(kind, is_article)",
    ],
    3: [
        "ALTER TABLE urls ADD COLUMN captured_lastmod TEXT",
        "ALTER TABLE urls ADD COLUMN captured_feed_updated TEXT",
    ],
    4: [
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            canonical TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            author TEXT,
            published TEXT,             -- ISO 8601, with offset when the time is known, else YYYY-MM-DD
            modified TEXT,
            section TEXT,
            tags TEXT,                  -- JSON array
            image TEXT,
            lang TEXT,
            body TEXT NOT NULL,
            word_count INTEGER,
            versions INTEGER NOT NULL DEFAULT 1,
            latest_version INTEGER,     -- article_versions.id
            first_captured TEXT,        -- 14-digit timestamps
            last_captured TEXT,
            capture_record_id TEXT,     -- the capture the current fields come from
            removed TEXT,               -- when a 404/410 was first seen after captures; NULL while online
            extractor TEXT
        )""",
        """CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            digest TEXT NOT NULL,        -- sha1 of title + body
            author TEXT, published TEXT, modified TEXT, section TEXT, tags TEXT, image TEXT, lang TEXT,
            word_count INTEGER,
            capture_record_id TEXT NOT NULL,
            capture_timestamp TEXT NOT NULL,
            first_seen TEXT NOT NULL,    -- 14-digit timestamps of the first and last capture with this text
            last_seen TEXT NOT NULL,
            extractor TEXT NOT NULL,
            UNIQUE (article_id, version)
        )""",
        "CREATE INDEX articles_published ON articles(published)",
        "CREATE INDEX articles_section ON articles(section)",
    ],
    5: [
        "ALTER TABLE articles ADD COLUMN month TEXT GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL",
    ],
    6: [
        "DROP TABLE IF EXISTS search_index",
        "CREATE VIRTUAL TABLE search_index USING fts5(title, title_s, body, body_s, top, top_s, content='', "
        "tokenize='unicode61 remove_diacritics 2')",
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    7: [
        "ALTER TABLE urls ADD COLUMN listed_as_post INTEGER",
        "ALTER TABLE urls ADD COLUMN detection TEXT",
        "ALTER TABLE urls ADD COLUMN feed_author TEXT",
    ],
    8: [
        """CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            canonical TEXT NOT NULL,
            checked TEXT NOT NULL,      -- ISO 8601, the scheduling clock
            why TEXT,                   -- revisit, recheck, listed (a source listed it as new or changed), refresh
            status INTEGER,             -- the HTTP status answered
            found TEXT,                 -- not modified, same payload, fetched (the text decides), gone, error
            timestamp TEXT,             -- the capture's 14-digit timestamp (real time): joins captures, versions
            crawl_id INTEGER
        )""",
        "CREATE INDEX checks_canonical ON checks(canonical, checked)",
        "ALTER TABLE urls ADD COLUMN listed_by TEXT",
    ],
    9: [],  # data only: stored URLs that carried session ids re-canonicalised (archive/store/recanonical.py)
    10: [
        "ALTER TABLE urls ADD COLUMN listed_in_sitemap TEXT",
        "ALTER TABLE urls ADD COLUMN feed_categories TEXT",
    ],
    11: [
        """CREATE TABLE site_facts (
            site TEXT,
            name TEXT,
            value TEXT NOT NULL,
            updated TEXT NOT NULL,
            PRIMARY KEY (site, name)
        )""",
    ],
    12: [
        """CREATE TABLE site_profiles (
            site TEXT PRIMARY KEY,
            version TEXT NOT NULL,
            profile TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
    ],
    13: [
        "ALTER TABLE articles ADD COLUMN profile TEXT",
        "ALTER TABLE article_versions ADD COLUMN profile TEXT",
    ],
    14: [  # the search index without its tier columns, filled again
        "DROP TABLE IF EXISTS search_index",
        "CREATE VIRTUAL TABLE search_index USING fts5(title, title_s, body, body_s, content='', "
        "tokenize='unicode61 remove_diacritics 2')",
    ],
}
