"""A web address as a source: fetched safely, then read as a page or, if it is one, a feed."""

from __future__ import annotations

from ..errors import SourceError
from ..fetch import fetch
from ..model import Article
from . import REGISTRY, Origin, _looks_feed, _looks_html

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# Servers label pages loosely (plain text, octet-stream): content decides, except for
# types that are surely not a page.
_NOT_PAGES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")


def read_url(location: str, *, allow_private: bool = False) -> list[Article]:
    """The article at `location` (or every entry, when the address is a feed)."""
    fetched = fetch(location, allow_private=allow_private)
    origin = Origin(location, base_dir=None, url=fetched.url, allow_private=allow_private)
    media_type = fetched.content_type.split(";")[0].strip().lower()
    if media_type in _FEED_TYPES or _looks_feed(fetched.content):
        return REGISTRY["feed"].read(fetched.content, origin)  # through the registry: feeds read URLs too
    if media_type.startswith(_NOT_PAGES) or not (
            _looks_html(fetched.content) or media_type in ("text/html", "application/xhtml+xml")):
        raise SourceError(location, f"not a web page (the server sent {media_type or 'no type'})")
    from .html import page_text, read_page  # loads trafilatura only when a page is read

    return [read_page(page_text(fetched.content, origin, fetched.content_type), origin,
                      kind="url")]
