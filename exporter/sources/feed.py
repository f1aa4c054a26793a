"""Feeds (RSS, Atom, JSON Feed) as articles: full content when given, else the linked page.

An entry that carries the whole article (`content:encoded`, Atom `content`, JSON Feed
`content_html`) is read as HTML from that content; otherwise its page is fetched through
the URL source. Feed media (media:content, media:thumbnail, image enclosures) supply
the lead photo with its media:description and media:credit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ..errors import ExporterError, SourceError
from ..fetch import fetch
from ..inline import to_text
from ..model import Article, Figure, Image, Paragraph, SourceRef
from . import MAX_SOURCE_BYTES, Origin, is_url
from .credits import split_credit
from .feed_entries import FeedDoc, FeedEntry, MediaImage, parse_feed
from .html import read_page
from .html_meta import language_tag

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")


def read(data: bytes, origin: Origin) -> list[Article]:
    """Every entry of a feed, newest first, duplicates dropped."""
    doc = parse_feed(data, origin.location, origin.url)
    return [_article(e, doc, origin) for e in newest_first(doc.entries)]


def read_feed(location: str, *, max_entries: int | None = None,
              since: dt.timedelta | None = None, allow_private: bool = False,
              on_error: Callable[[ExporterError], None] | None = None) -> list[Article]:
    """The feed's recent entries, for `exporter build --feed`.

    Keeps entries dated within `since` (undated entries are dropped when it is given),
    newest first, at most `max_entries`. An entry that cannot be read is reported to
    `on_error` and skipped, or raises when no `on_error` is given.
    """
    if is_url(location):
        # Never from the cache: a feed's point is what is new since the last build.
        fetched = fetch(location, allow_private=allow_private, accept=FEED_ACCEPT, cache=False)
        data, origin = fetched.content, Origin(location, None, fetched.url, allow_private)
    else:
        data, origin = _read_file(location, allow_private)
    doc = parse_feed(data, location, origin.url)
    entries = newest_first(doc.entries)
    if since is not None:
        cutoff = dt.datetime.now(dt.timezone.utc) - since
        entries = [e for e in entries if (e.published or e.updated or cutoff) > cutoff]
    if max_entries is not None:
        entries = entries[:max(0, max_entries)]
    articles = []
    for entry in entries:
        try:
            articles.append(_article(entry, doc, origin))
        except ExporterError as err:
            if on_error is None:
                raise
            on_error(err)
    return articles


def newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Entries sorted by date (undated last, in feed order), repeats of a URL or title dropped."""
    seen: set[str] = set()
    unique = []
    for entry in entries:
        keys = {k for k in (entry.link, _title_key(entry.title)) if k}
        if keys & seen:
            continue
        seen |= keys
        unique.append(entry)
    oldest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(unique, key=lambda e: e.published or e.updated or oldest, reverse=True)


def _read_file(location: str, allow_private: bool) -> tuple[bytes, Origin]:
    path = Path(location)
    if not path.is_file():
        raise SourceError(location, "no such file" if not path.exists() else "not a file")
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise SourceError(location, f"larger than {MAX_SOURCE_BYTES // 2**20} MB")
    return path.read_bytes(), Origin(location, path.resolve().parent, None, allow_private)


def _article(entry: FeedEntry, doc: FeedDoc, origin: Origin) -> Article:
    """One entry as an article, its gaps filled from the feed."""
    where = entry.link or origin.location
    if entry.content_html and to_text(entry.content_html).strip():
        article = read_page(_page(entry), Origin(where, origin.base_dir, entry.link,
                                                 origin.allow_private), kind="feed")
    elif entry.link:
        from .url import read_url  # the network only for entries without their text

        article = read_url(entry.link, allow_private=origin.allow_private)[0]
    elif entry.summary_html:
        article = Article(title=entry.title, body=[Paragraph(text=entry.summary_html)])
    else:
        raise SourceError(origin.location, f"entry {entry.title!r} has no text and no link")
    return dataclasses.replace(
        article,
        title=entry.title or article.title,
        authors=article.authors or entry.authors,
        publisher=article.publisher or doc.title,
        published=article.published or _iso(entry.published),
        updated=article.updated or (_iso(entry.updated) if entry.updated != entry.published
                                    else None),
        url=entry.link or article.url,
        language=(language_tag(doc.language) if article.language == "en" else None)
        or article.language,  # "en" is also the default: the feed may know better
        tags=article.tags or entry.tags,
        lead=_lead(article, entry.images),
        source=SourceRef(kind="feed", location=origin.location),
    )


def _page(entry: FeedEntry) -> str:
    """A minimal page around the entry's content, so the HTML source can read it."""
    title = html.escape(entry.title)
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><article>"
            f"<h1>{title}</h1>{entry.content_html}</article></body></html>")


def _lead(article: Article, images: list[MediaImage]) -> Figure | None:
    """The feed's photo as lead, unless the article already has a captioned one or
    shows the same photo in its body."""
    current = article.lead
    if not images or (current is not None and current.caption):
        return current
    media = images[0]
    shown = {_file_name(f.image.src) for f in article.body
             if isinstance(f, Figure) and f.image is not None}
    if _file_name(media.url) in shown:
        return current
    caption, credit = (split_credit(media.caption) if media.caption else (None, None))
    return Figure(image=Image(src=media.url, width=media.width, height=media.height),
                  caption=caption or None, credit=media.credit or credit)


def _file_name(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).name or url


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.lower()))


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None
