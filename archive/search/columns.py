"""The full-text index's table, columns and bm25 parameters: what every reader and writer of the index agrees on
(archive.search.index says why the columns are these)."""

TABLE = "search_index"
COLUMNS = ("title", "title_s", "body", "body_s")
NORMAL_COLUMNS = "{title body}"
STEM_COLUMNS = "{title_s body_s}"
# bm25 weights in column order: an exact form in the title counts most, a stem in the body least
WEIGHTS = (6.0, 3.0, 2.0, 1.0)
K1, B = 1.2, 0.75   # FTS5's bm25 constants
SCORE = f"-bm25({TABLE}, {', '.join(map(str, WEIGHTS))})"   # higher is better, as the search shows it
