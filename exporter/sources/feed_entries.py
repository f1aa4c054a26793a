"""RSS, Atom and JSON Feed documents read into one plain entry shape.

feedparser reads RSS and Atom (safely: external entities off, entity declarations
stripped) but not JSON Feed in the version we use, so JSON Feed is read here directly.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import feedparser

from ..errors import SourceError

MAX_FEED_BYTES = 20 * 2**20


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
        parsed = feedparser.parse(data, response_headers=headers)  # bytes: never fetches
    except Exception as err:  # feedparser's internals may raise anything on hostile input
        raise SourceError(location, f"not a readable feed ({err})") from None
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS, Atom or JSON Feed found"
        raise SourceError(location, f"not a readable feed ({reason})")
    return FeedDoc(parsed.feed.get("title"), parsed.feed.get("language"),
                   [_entry(e) for e in parsed.entries])


def _entry(e: Any) -> FeedEntry:
    contents = [c for c in e.get("content", []) if c.get("value")]
    content = max(contents, key=lambda c: len(c["value"]))["value"] if contents else None
    summary = e.get("summary")
    return FeedEntry(
        title=e.get("title") or "",
        link=e.get("link") or None,
        published=_when(e.get("published_parsed")),
        updated=_when(e.get("updated_parsed")),
        authors=[a["name"] for a in e.get("authors", []) if a.get("name")],
        tags=[t["term"] for t in e.get("tags", []) if t.get("term")],
        content_html=content,
        summary_html=summary,
        images=_media(e, summary),
    )


def _media(e: Any, summary: str | None) -> list[MediaImage]:
    """media:content, media:thumbnail and image enclosures, best first."""
    # feedparser stores media:description in summary_detail (overwriting the
    # description's detail): a value there that differs from the summary is it.
    detail = (e.get("summary_detail") or {}).get("value")
    caption = detail if detail and detail != summary else None
    credit = next((c.get("content") for c in e.get("media_credit", []) if c.get("content")), None)
    found: list[MediaImage] = []
    for item in e.get("media_content", []):
        kind = item.get("medium") or (item.get("type") or "").split("/")[0]
        if item.get("url") and kind in ("image", ""):
            found.append(MediaImage(item["url"], caption, credit, _int(item.get("width")),
                                    _int(item.get("height"))))
    found += [MediaImage(link["href"], caption, credit) for link in e.get("links", [])
              if link.get("rel") == "enclosure" and link.get("href")
              and (link.get("type") or "").startswith("image/")]
    found += [MediaImage(t["url"], caption, credit, _int(t.get("width")), _int(t.get("height")))
              for t in e.get("media_thumbnail", []) if t.get("url")]
    return found


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
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        entries.append(FeedEntry(
            title=_str(item.get("title")),
            link=urljoin(base_url or "", link) if isinstance(link, str) else None,
            published=_iso(item.get("date_published")),
            updated=_iso(item.get("date_modified")),
            authors=[_str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")],
            tags=[_str(t) for t in item.get("tags") or [] if isinstance(t, str)],
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


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None
