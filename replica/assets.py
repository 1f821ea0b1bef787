"""Images, stylesheets, a script and a font: real PNG and JPEG bytes (drawn from the seed), the themes' CSS with the
font and background image it names, and a TrueType icon font built with fontTools — the requisites an article page
needs to look as it did, which the crawl must capture and an export must carry."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

from .content import mix

PALETTE = [(0x1d, 0x4e, 0x89), (0xb2, 0x22, 0x22), (0x2e, 0x8b, 0x57), (0xda, 0xa5, 0x20), (0x55, 0x3c, 0x9a),
           (0x00, 0x80, 0x80), (0x8b, 0x45, 0x13), (0x46, 0x46, 0x46)]

WORDPRESS_CSS = """/* Theme Name: Alitaliya News (replica) */
@font-face{font-family:"alitaliya-icons";src:url(fonts/alitaliya-icons.ttf) format("truetype");font-display:block}
body{font-family:"Noto Naskh Arabic",Tahoma,sans-serif;direction:rtl;margin:0;background:#f7f7f7;color:#222}
.site-header{background:#0b3d6e url("images/header-pattern.png") repeat-x;color:#fff;padding:12px 24px}
.site-title a{color:#fff;font-size:28px}.share-buttons span::before{font-family:"alitaliya-icons";content:"\\e001"}
.main-navigation ul{list-style:none;display:flex;gap:16px;padding:0}.main-navigation a{color:#fff}
.site-content{display:flex;gap:24px;max-width:1180px;margin:0 auto;padding:16px}
.site-main{flex:3;background:#fff;padding:20px}.widget-area{flex:1}
.entry-title{font-size:30px;line-height:1.5}.entry-content p{font-size:19px;line-height:1.9}
.share-buttons button{margin:0 4px}.related-posts li,.comment-list li{margin-bottom:8px}
.site-footer{background:#222;color:#ccc;padding:16px;text-align:center}.breaking-news{background:#c00;color:#fff}
"""

BLOGGER_CSS = """/* Blogger theme (replica) */
@font-face{font-family:'alitaliya-icons';src:url('fonts/alitaliya-icons.ttf') format('truetype')}
body{font:normal normal 16px Tahoma,Arial,sans-serif;direction:rtl;background:#fff;color:#333}
.header-outer{background:#243447 url(images/header-pattern.png) repeat-x}
.share-buttons span::before{font-family:'alitaliya-icons';content:"\\e001"}
.header h1.title a{color:#fff;text-decoration:none}
.tabs-outer ul{display:flex;gap:12px;list-style:none}.post-title{font-size:26px}
.post-body{font-size:18px;line-height:1.8}.date-header{font-size:14px;color:#777}
.sidebar{width:300px}.comments dt{font-weight:bold}.blog-pager{margin:16px 0}
"""

WIDGETS_CSS = """/* widgets.css (image host) */
.widget{margin:0 0 24px}.widget h2{font-size:18px;border-bottom:2px solid #ddd}
.PopularPosts ol{padding-right:18px}.BlogArchive ul{list-style:none;padding:0}
.BlogArchive li{background:url(bullet.png) no-repeat right center;padding-right:12px}
"""

NAVIGATION_JS = """/* navigation.js (replica theme): opens and closes the menu on narrow screens */
(function () {
  var nav = document.querySelector('.main-navigation, .tabs-outer');
  if (!nav) { return; }
  document.documentElement.classList.add('js');
  nav.addEventListener('click', function (e) {
    if (e.target === nav) { nav.classList.toggle('toggled'); }
  });
})();
"""


@lru_cache(maxsize=256)
def image(seed: int, key: int, fmt: str, width: int = 640, height: int = 360) -> bytes:
    """A lead image: a gradient with a few shapes, different for every article, identical on every run."""
    h = mix(seed, key, "image")
    top, bottom = PALETTE[h % len(PALETTE)], PALETTE[(h >> 8) % len(PALETTE)]
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for k in range(4):
        x, y = (h >> (12 + 6 * k)) % width, (h >> (15 + 5 * k)) % height
        r = 20 + (h >> (3 * k)) % 60
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=3)
    out = io.BytesIO()
    if fmt == "png":
        img.save(out, "PNG", optimize=False)
    else:
        img.save(out, "JPEG", quality=82)
    return out.getvalue()


@lru_cache(maxsize=4)
def logo() -> bytes:
    img = Image.new("RGB", (180, 60), (11, 61, 110))
    ImageDraw.Draw(img).rectangle([8, 8, 52, 52], outline=(255, 255, 255), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def header_pattern() -> bytes:
    """The header's background strip: a small tile of diagonal lines."""
    img = Image.new("RGB", (24, 24), (11, 61, 110))
    draw = ImageDraw.Draw(img)
    for k in range(-24, 24, 8):
        draw.line([(k, 24), (k + 24, 0)], fill=(30, 86, 140), width=2)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def bullet() -> bytes:
    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse([1, 1, 6, 6], fill=(36, 52, 71, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def icon_font() -> bytes:
    """A real TrueType font of three icons at U+E001–U+E003 (share, comment, clock): drawn, not copied."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def shape(points: list[tuple[int, int]]):
        pen = TTGlyphPen(None)
        pen.moveTo(points[0])
        for point in points[1:]:
            pen.lineTo(point)
        pen.closePath()
        return pen.glyph()

    glyphs = {".notdef": shape([(100, 0), (100, 700), (500, 700), (500, 0)]),
              "share": shape([(100, 350), (500, 700), (500, 0)]),
              "comment": shape([(100, 200), (100, 700), (900, 700), (900, 200), (300, 200)]),
              "clock": shape([(500, 0), (850, 350), (500, 700), (150, 350)])}
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(list(glyphs))
    fb.setupCharacterMap({0xE001: "share", 0xE002: "comment", 0xE003: "clock"})
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({name: (1000, 100) for name in glyphs})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "alitaliya-icons", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    # the same bytes on every run and every restart (fontTools stamps the time of saving otherwise): a font that
    # did not change answers a conditional request with a 304, as a real server's would
    fb.font["head"].created = fb.font["head"].modified = 3_000_000_000
    fb.font.recalcTimestamp = False
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()
