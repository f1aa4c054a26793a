"""Players on a page (iframes, `<video>`) kept as `embed` links: print and e-readers
cannot play them, but the reader should know they were there and where to find them."""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml.etree import _Element

from .common import pixels
from .html_dom import resolve_url, text_of

_MIN_SIDE = 100  # pixels: smaller frames are trackers and widgets, not players


def find_player(container: _Element, base_url: str | None) -> tuple[str, str] | None:
    """(url, title) of the first playable frame or video in the container, if any."""
    for el in container.iter("iframe", "video"):
        if _too_small(el):
            continue
        src = el.get("src") or el.get("data-src") or next(
            (s.get("src") for s in el.iter("source") if s.get("src")), "")
        if not src or src.startswith("#"):
            continue  # filled in by the page's scripts: nothing to link to
        url = resolve_url(src, base_url)
        if url.startswith(("http://", "https://")):
            title = el.get("title") or el.get("aria-label") or text_of(el) \
                or urlsplit(url).hostname or url
            return url, " ".join(title.split())
    return None


def _too_small(el: _Element) -> bool:
    for name in ("width", "height"):
        value = pixels(el.get(name))
        if value is not None and value < _MIN_SIDE:
            return True
    return False
