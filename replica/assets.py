"""Images and stylesheets: real PNG and JPEG bytes (drawn from the seed) and the themes' CSS."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

from .content import mix

PALETTE = [(0x1d, 0x4e, 0x89), (0xb2, 0x22, 0x22), (0x2e, 0x8b, 0x57), (0xda, 0xa5, 0x20), (0x55, 0x3c, 0x9a),
           (0x00, 0x80, 0x80), (0x8b, 0x45, 0x13), (0x46, 0x46, 0x46)]

WORDPRESS_CSS = """/* Theme Name: Alitaliya News (replica) */
body{font-family:"Noto Naskh Arabic",Tahoma,sans-serif;direction:rtl;margin:0;background:#f7f7f7;color:#222}
.site-header{background:#0b3d6e;color:#fff;padding:12px 24px}.site-title a{color:#fff;font-size:28px}
.main-navigation ul{list-style:none;display:flex;gap:16px;padding:0}.main-navigation a{color:#fff}
.site-content{display:flex;gap:24px;max-width:1180px;margin:0 auto;padding:16px}
.site-main{flex:3;background:#fff;padding:20px}.widget-area{flex:1}
.entry-title{font-size:30px;line-height:1.5}.entry-content p{font-size:19px;line-height:1.9}
.share-buttons button{margin:0 4px}.related-posts li,.comment-list li{margin-bottom:8px}
.site-footer{background:#222;color:#ccc;padding:16px;text-align:center}.breaking-news{background:#c00;color:#fff}
"""

BLOGGER_CSS = """/* Blogger theme (replica) */
body{font:normal normal 16px Tahoma,Arial,sans-serif;direction:rtl;background:#fff;color:#333}
.header-outer{background:#243447}.header h1.title a{color:#fff;text-decoration:none}
.tabs-outer ul{display:flex;gap:12px;list-style:none}.post-title{font-size:26px}
.post-body{font-size:18px;line-height:1.8}.date-header{font-size:14px;color:#777}
.sidebar{width:300px}.comments dt{font-weight:bold}.blog-pager{margin:16px 0}
"""

WIDGETS_CSS = """/* widgets.css (image host) */
.widget{margin:0 0 24px}.widget h2{font-size:18px;border-bottom:2px solid #ddd}
.PopularPosts ol{padding-right:18px}.BlogArchive ul{list-style:none;padding:0}
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
