"""What the spider hands the pipelines: an article page as captured, not yet extracted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticlePage:
    url: str                     # canonical
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    record_id: str | None = None  # the WARC record this page was captured as
    timestamp: str | None = None  # its 14-digit capture time
    revisit: str | None = None    # revisit profile, when the payload was identical to the previous capture
    facts: Any = None             # archive.pages.detection.PageFacts from the spider: extraction need not analyse again
    listed_author: str | None = None  # the author a feed named for it (dc:creator)
    doc: Any = field(default=None, repr=False)  # the spider's lxml tree of the page, extraction's from then on
    listed_categories: list[str] | None = None  # the categories a feed named for it (<category>): section, tags
