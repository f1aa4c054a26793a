"""Links between articles of one issue: a link to a sibling article becomes `#article-id`.

Publishers write the same article's address many ways (http or https, with or without
`www.`, AMP forms, tracking parameters, fragments), so addresses are compared by a key
that drops what does not name a different page. The step runs once on the issue, before
any backend; each backend then decides what `#id` means for its format (a page jump in
the PDF, a chapter file in the EPUB, an anchor in the web version, the article's own
address in the email).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
import urllib.parse
from collections.abc import Iterable

from . import cache
from .model import BLOCKS, FIGURE_OPT, INLINE, INLINE_LIST, INLINE_OPT, INLINE_ROWS, Article, Issue

INTERNAL_PREFIX = "#"
_HREF = re.compile(r'<a href="([^"]*)">')
_AMP_SEGMENT = re.compile(r"(^|/)amp(?=/|$)")
_AMP_QUERY = frozenset({"outputtype", "amp"})


def url_key(url: str | None) -> str | None:
    """The part of an http(s) address that names the page, or None for other addresses.

    `http://www.Example.com/a/amp/?utm_source=x#top` and `https://example.com/a` share a key.
    """
    url = (url or "").strip()
    if url not in _KEYS:
        _KEYS[url] = _compute_key(url)
    return _KEYS[url]


_KEYS: dict[str, str | None] = {}  # this process's keys, filled in batches by _know_keys


def _know_keys(urls: Iterable[str]) -> None:
    """Key many addresses at once, remembered on disk by the whole set: a rebuild whose
    links did not change then imports no URL library (0.1 s) and keys nothing."""
    missing = sorted({u.strip() for u in urls} - _KEYS.keys())
    if missing:
        _KEYS.update(cache.remembered("url-keys", cache.key(*missing),
                                      lambda: {url: _compute_key(url) for url in missing}))


def _compute_key(url: str) -> str | None:
    if not url.lower().startswith(("http://", "https://")):
        return None
    from courlan import normalize_url  # 0.1 s of imports, only for addresses not known

    try:
        parts = urllib.parse.urlsplit(normalize_url(url, strict=True, trailing_slash=False))
    except ValueError:
        return None
    host = parts.netloc.removeprefix("www.")
    path = _AMP_SEGMENT.sub(r"\1", parts.path).replace("//", "/").rstrip("/")
    query = urllib.parse.urlencode(sorted(
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _AMP_QUERY))
    return f"{host}{path}" + (f"?{query}" if query else "")


def article_addresses(article: Article) -> list[str]:
    """Every address the article is known by: its canonical URL and the address it was read from."""
    return [url for url in _candidates(article) if url_key(url)]


def _candidates(article: Article) -> list[str | None]:
    return [article.url, article.source.location if article.source else None]


def resolve_internal_links(issue: Issue) -> None:
    """Point every link to an article of this issue at `#id`.

    The first article claiming an address keeps it, like the first of two equal ids.
    """
    hrefs: list[str] = []
    linking = []  # the articles and intro blocks with a link: only they can change
    for node in [*issue.articles(), *issue.intro]:  # a rewrite that changes nothing, to read every link
        found: list[str] = []
        _rewrite_node(node, lambda markup: found.extend(_hrefs(markup)) or markup)
        if found:
            linking.append(node)
            hrefs += found
    _know_keys([u for a in issue.articles() for u in _candidates(a) if u] + hrefs)
    targets: dict[str, str] = {}
    for article in issue.articles():
        for url in article_addresses(article):
            targets.setdefault(url_key(url), article.id)  # type: ignore[arg-type]

    def rewrite(markup: str) -> str:
        def replace(match: re.Match[str]) -> str:
            target = targets.get(url_key(html.unescape(match.group(1))) or "")
            if target is None:
                return match.group(0)
            return f'<a href="{html.escape(INTERNAL_PREFIX + target)}">'
        return _HREF.sub(replace, markup) if "<a href=" in markup else markup

    if targets:
        for node in linking:
            _rewrite_node(node, rewrite)


def _hrefs(markup: str) -> list[str]:
    return [html.unescape(h) for h in _HREF.findall(markup)] if "<a href=" in markup else []


def internal_target(href: str) -> str | None:
    """The article id an inline href points at after resolution, else None."""
    return href[len(INTERNAL_PREFIX):] or None if href.startswith(INTERNAL_PREFIX) else None


_FRAGMENT = re.compile(r'#([^"\\\s<>]+)')


def linked_ids(text: str) -> set[str]:
    """Every article id an `#id` link in `text` (markup, or a model's JSON) may name: a
    rendering cached per article depends on those articles' addresses and no others."""
    found = set()
    for raw in _FRAGMENT.findall(text):
        found.update({raw, urllib.parse.unquote(html.unescape(raw))})
    return found


def rewrite_internal(markup: str, address: dict[str, str]) -> str:
    """Replace each `#id` href by `address[id]` (links to unknown ids are left as they are)."""
    def replace(match: re.Match[str]) -> str:
        target = internal_target(html.unescape(match.group(1)))
        if target is None or target not in address:
            return match.group(0)
        return f'<a href="{html.escape(address[target])}">'
    return _HREF.sub(replace, markup or "")


def detach_missing(issue: Issue, known: list[Article]) -> None:
    """Send `#id` links to articles that `issue` no longer holds back to their web address.

    An edition of the issue may leave out an article that another one links to.
    """
    present = {a.id for a in issue.articles()}
    address = {a.id: article_addresses(a)[0] for a in known
               if a.id not in present and article_addresses(a)}
    if address:
        for article in issue.articles():
            _rewrite_node(article, lambda markup: rewrite_internal(markup, address))


def _rewrite_node(node: object, rewrite) -> None:
    """Apply `rewrite` to every inline text field of a model object, recursing into blocks."""
    for name, kind in _text_fields(type(node)):
        value = getattr(node, name)
        if value is None:
            continue
        if kind in (INLINE, INLINE_OPT):
            setattr(node, name, rewrite(value))
        elif kind == INLINE_LIST:
            setattr(node, name, [rewrite(v) for v in value])
        elif kind == INLINE_ROWS:
            setattr(node, name, [[rewrite(v) for v in row] for row in value])
        elif kind == BLOCKS:
            for block in value:
                _rewrite_node(block, rewrite)
        elif kind == FIGURE_OPT:
            _rewrite_node(value, rewrite)


@functools.cache
def _text_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """The fields of a model class that hold inline text or other nodes, with their kind:
    found once per class, not once per block of every article of each build."""
    walked = (INLINE, INLINE_OPT, INLINE_LIST, INLINE_ROWS, BLOCKS, FIGURE_OPT)
    return tuple((f.name, f.metadata["kind"]) for f in dataclasses.fields(cls)
                 if f.metadata.get("kind") in walked)
