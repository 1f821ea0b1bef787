"""What the real WordPress holds, decided in Python from the replica's own generator (replica/content.py).

The same seed gives the same plan, byte for byte: titles, bodies, sections, tags, authors, dates, comments and
which posts get a picture. WordPress only stores it (tests/wordpress/install.php); the truth tests compare with is
what WordPress then prints (the manifest), never this plan, because WordPress changes text on the way (slugs,
texturized quotes, paragraphs).

Dates are the replica's (fixed, 2022-07 to 2025-06, Europe/Rome), so each body's dateline agrees with its post
date, as on the real site.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from replica import vocab
from replica.arabic_dates import SITE_NAME
from replica.content import ROME, SECTIONS, Site, mix
from replica.pages import DESCRIPTION

SEED = 1
POSTS = 150
# Four writers; the first has a biography, which twentytwentyone shows as an author box under her posts.
AUTHORS = (
    ("leila", vocab.AUTHORS[0],
     "صحفية تتابع الشأن الإيطالي والعربي من روما، وتكتب عن السياسة والهجرة والاقتصاد في "
     f"{SITE_NAME} منذ تأسيسه."),
    ("amine", vocab.AUTHORS[1], ""),
    ("nadia", vocab.AUTHORS[2], ""),
    ("mohamed", vocab.AUTHORS[3], ""),
)
PAGES = (
    ("about", "من نحن",
     [f"{SITE_NAME} موقع إخباري يصدر باللغة العربية من إيطاليا، يتابع شؤون إيطاليا وأوروبا والعالم العربي "
      "ويقدمها لقرائه بلغة واضحة.",
      "تأسس الموقع على يد مجموعة من الصحفيين المقيمين في روما، ويعمل فيه محررون ومراسلون في عدة مدن."]),
    ("contact", "اتصل بنا", ["لمراسلة هيئة التحرير يرجى الكتابة إلينا. نرد على الرسائل خلال يومي عمل."]),
)
PAGES_DATE = datetime(2022, 6, 20, 10, 0, tzinfo=ROME)  # before the first post


def _wp_time(when: datetime) -> tuple[str, str]:
    """(post_date, post_date_gmt) as WordPress stores them: local wall time and UTC, no offset."""
    return when.strftime("%Y-%m-%d %H:%M:%S"), when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _body(paragraphs: list[str], blocks: bool, link: tuple[int, str] | None) -> str:
    """A classic-editor body (plain paragraphs, WordPress adds <p>) or a block-editor one (what Gutenberg saves);
    the link to an older post is a placeholder the installer replaces with that post's permalink."""
    parts = [html.escape(p, quote=False) for p in paragraphs]
    if link is not None:
        index, title = link
        parts.append(f'اقرأ أيضا: <a href="{{{{link:{index}}}}}">{html.escape(title, quote=False)}</a>')
    if blocks:
        return "\n\n".join(f"<!-- wp:paragraph -->\n<p>{p}</p>\n<!-- /wp:paragraph -->" for p in parts)
    return "\n\n".join(parts)


def _comments(i: int, comments: list[tuple[str, str]], published: datetime) -> list[dict]:
    """Threaded: about a third of the comments after the first answer an earlier one (replies carry ?replytocom)."""
    out = []
    for j, (name, text) in enumerate(comments[:6]):
        h = mix(SEED, i, j, "comment")
        parent = (h >> 8) % j if j and h % 3 == 0 else None
        when = published + timedelta(hours=3 * (j + 1), minutes=h % 50)
        local, gmt = _wp_time(when)
        out.append({"author": name, "content": text, "parent": parent, "date": local, "date_gmt": gmt})
    return out


def plan(posts: int = POSTS) -> dict:
    """Everything to create, JSON-able, in creation order (so that ids come out the same every time)."""
    site = Site(articles=posts, seed=SEED)
    titles = [site.original_title(i) for i in range(posts)]
    unique = [i for i in range(posts) if titles.count(titles[i]) == 1 and site.lang(i) == "ar"]
    trashed = unique[len(unique) // 2]  # a post in the middle of the archive, its slug shared with no other
    items = []
    for i in range(posts):
        a = site.article(i)
        local, gmt = _wp_time(a.published)
        link = None
        if a.link_to is not None and a.link_to != trashed:
            link = (a.link_to, titles[a.link_to])
        untagged = mix(SEED, i, "untagged") % 8 == 0  # as some posts on the real site are
        items.append({
            "index": i, "title": a.title, "lang": a.lang, "category": a.section.name,
            "tags": [] if untagged else a.tags,
            "author": AUTHORS[mix(SEED, a.author, "writer") % len(AUTHORS)][0],
            "date": local, "date_gmt": gmt, "content": _body(a.paragraphs, blocks=i % 2 == 0, link=link),
            "image": i % 3 == 0 and i != trashed,
            "comments": [] if i == trashed else _comments(i, a.comments, a.published),
        })
    page_local, page_gmt = _wp_time(PAGES_DATE)
    return {
        "blogname": SITE_NAME, "description": DESCRIPTION, "timezone": "Europe/Rome", "locale": "ar",
        "categories": [s.name for s in SECTIONS],
        "authors": [{"login": login, "name": name, "bio": bio} for login, name, bio in AUTHORS],
        "pages": [{"slug": slug, "title": title, "content": _body(text, blocks=True, link=None),
                   "date": page_local, "date_gmt": page_gmt} for slug, title, text in PAGES],
        "posts": items, "trash": trashed,
    }
