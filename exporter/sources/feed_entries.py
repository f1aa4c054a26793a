"""RSS, Atom and JSON Feed documents read into one plain entry shape.

feedparser reads RSS and Atom (safely: external entities off, entity declarations
stripped) but not JSON Feed in the version we use, so JSON Feed is read here directly.
"""

from __future__ import annotations

import io

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from ..errors import SourceError
from .bylines import people
from .common import pixels

MAX_FEED_BYTES = 20 * 2**20
_MEDIA = "{http://search.yahoo.com/mrss/}"
_ATOM = "{http://www.w3.org/2005/Atom}"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# No DTDs, no entities, no network: a feed is untrusted XML.
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                            huge_tree=False, recover=True)


@dataclass(frozen=True)
class MediaImage:
    url: str
    caption: str | None = None
    credit: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class FeedEntry:
    title: str
    link: str | None
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    content_html: str | None = None  # the full article, when the feed carries it
    summary_html: str | None = None
    images: list[MediaImage] = field(default_factory=list)


@dataclass
class FeedDoc:
    title: str | None
    language: str | None
    entries: list[FeedEntry]


def parse_feed(data: bytes, location: str, base_url: str | None) -> FeedDoc:
    """The feed's entries; raises SourceError for something that is not a feed."""
    if len(data) > MAX_FEED_BYTES:
        raise SourceError(location, f"feed larger than {MAX_FEED_BYTES // 2**20} MB")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return _json_feed(data, location, base_url)
    headers = {"content-location": base_url} if base_url else {}
    try:
        # A file object: given bytes, feedparser first tries them as a file name or URL.
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    except Exception as err:  # feedparser's internals may raise anything on hostile input
        raise SourceError(location, f"not a readable feed ({err})") from None
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise SourceError(location, f"not a readable feed ({reason})")
    media = _media_captions(data)
    return FeedDoc(parsed.feed.get("title"), parsed.feed.get("language"),
                   [_entry(e, media) for e in parsed.entries])


def _entry(e: Any, media: dict[str, tuple[str | None, str | None]]) -> FeedEntry:
    # feedparser also files media:description under "content" (as text/plain): only
    # HTML content is the article.
    contents = [c for c in e.get("content", [])
                if c.get("value") and c.get("type") in _HTML_TYPES]
    content = max(contents, key=lambda c: len(c["value"]))["value"] if contents else None
    summary = e.get("summary")
    return FeedEntry(
        title=e.get("title") or "",
        link=e.get("link") or None,
        published=_when(e.get("published_parsed")),
        # dict.get: feedparser's own get() falls back to the published date, with a warning.
        updated=_when(dict.get(e, "updated_parsed")),
        authors=people(a["name"] for a in e.get("authors", []) if a.get("name")),
        tags=[t["term"] for t in e.get("tags", []) if t.get("term")],
        content_html=content,
        summary_html=summary,
        images=_media(e, media),
    )


def _media(e: Any, captions: dict[str, tuple[str | None, str | None]]) -> list[MediaImage]:
    """media:content, image enclosures and media:thumbnail, best first."""
    found: list[MediaImage] = []
    for item in e.get("media_content", []):
        kind = item.get("medium") or (item.get("type") or "").split("/")[0]
        if item.get("url") and kind in ("image", ""):
            found.append(MediaImage(item["url"], *captions.get(item["url"], (None, None)),
                                    pixels(item.get("width")), pixels(item.get("height"))))
    found += [MediaImage(link["href"], *captions.get(link["href"], (None, None)))
              for link in e.get("links", []) if link.get("rel") == "enclosure"
              and link.get("href") and (link.get("type") or "").startswith("image/")]
    found += [MediaImage(t["url"], *captions.get(t["url"], (None, None)),
                         pixels(t.get("width")), pixels(t.get("height")))
              for t in e.get("media_thumbnail", []) if t.get("url")]
    return found


def _media_captions(data: bytes) -> dict[str, tuple[str | None, str | None]]:
    """{media URL: (media:description, media:credit)}, read from the XML directly.

    feedparser mixes media:description into the entry's summary or content, so the
    pairs are taken from the document with a parser that expands nothing.
    """
    try:
        root = etree.fromstring(data, _SAFE_XML)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    if root is None:
        return {}
    out: dict[str, tuple[str | None, str | None]] = {}
    for item in root.iter("item", f"{_ATOM}entry"):
        shared = (_child_text(item, "description"), _child_text(item, "credit"))
        for media in item.iter(f"{_MEDIA}content", f"{_MEDIA}thumbnail"):
            url = (media.get("url") or "").strip()
            if url:
                own = (_child_text(media, "description"), _child_text(media, "credit"))
                out.setdefault(url, (own[0] or shared[0], own[1] or shared[1]))
    return out


def _child_text(el: etree._Element, name: str) -> str | None:
    """Text of a direct (or media:group) media:NAME child."""
    for child in (*el.iterchildren(f"{_MEDIA}{name}"),
                  *(c for g in el.iterchildren(f"{_MEDIA}group")
                    for c in g.iterchildren(f"{_MEDIA}{name}"))):
        text = " ".join("".join(child.itertext()).split())
        if text:
            return text
    return None


def _json_feed(data: bytes, location: str, base_url: str | None) -> FeedDoc:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as err:
        raise SourceError(location, f"not a readable JSON Feed ({err})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise SourceError(location, "not a JSON Feed (no items list)")
    entries = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        image = item.get("image") or item.get("banner_image")
        authors = _list(item.get("authors")) or ([item["author"]] if item.get("author") else [])
        entries.append(FeedEntry(
            title=_str(item.get("title")),
            link=urljoin(base_url or "", link) if isinstance(link, str) else None,
            published=_iso(item.get("date_published")),
            updated=_iso(item.get("date_modified")),
            authors=people(_str(a.get("name")) for a in authors
                           if isinstance(a, dict) and a.get("name")),
            tags=[_str(t) for t in _list(item.get("tags")) if isinstance(t, str)],
            content_html=_str(item.get("content_html")) or None,
            summary_html=_str(item.get("summary") or item.get("content_text")) or None,
            images=[MediaImage(urljoin(base_url or "", image))] if isinstance(image, str) else [],
        ))
    return FeedDoc(_str(doc.get("title")) or None, _str(doc.get("language")) or None, entries)


def _when(parsed: Any) -> dt.datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.timezone.utc)


def _iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a number where tags belong) as none."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


