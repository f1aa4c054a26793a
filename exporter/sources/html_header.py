"""What the article's header shows a reader: byline, date, dek, kicker and reading time.

Pages that fill in no metadata still print these around the headline, marked by the
class names designers give them (`byline`, `author`, `dek`, `standfirst`, `eyebrow`,
`breadcrumb`), by microdata (`itemprop="author"`) or by their wording ("By Jane Doe",
"Par Jean Dupont", "9 min read"). Only the article's own region is searched, and never
its furniture, so a related-story teaser's author is not taken for the article's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml.etree import _Element

from .bylines import people
from .html_dom import is_furniture, text_of, tokens_of
from .meta import parse_byline, parse_reading_time

# "By" in the languages whose bylines say it: Par, Von, Por, Di, Door, Av.
_FOREIGN_BY = re.compile(r"^\s*(?:par|von|por|di|door|av|de)\s+(?=\S)", re.I)
_BYLINE_CLASS = re.compile(r"byline|by-line|\bby-?author|author|writer|contributor")
# Parts of an author box that are not the name: bio, photo, job title, follow links.
_NOT_NAME_CLASS = re.compile(r"bio|img|image|photo|pic|avatar|desc|about|info|title|role|job|"
                             r"social|follow|twitter|email|date|time|more|list|page|wrap")
_DEK_CLASS = re.compile(r"(?:^|[-_])(?:standfirst|dek|deck|sub-?title|sub-?head(?:line)?|"
                        r"summary|lede|lead|intro|excerpt|strap(?:line)?|teaser-text)(?:$|[-_])")
_KICKER_CLASS = re.compile(r"(?:^|[-_])(?:kicker|eyebrow|overline|rubric|section-label|"
                           r"category-label)(?:$|[-_])")
_ARTICLE_ITEM = re.compile(r"(?:Article|BlogPosting|Report)$")
_BREADCRUMB = re.compile(r"breadcrumb")
_NOT_DEK_TAGS = frozenset({"figure", "figcaption", "img", "picture", "a", "time", "ul", "ol"})
_LINE_TAGS = frozenset({"p", "div", "span", "address", "li", "strong", "b", "em", "small",
                        "h4", "h5", "h6"})
# Where sites list a writer's articles: /author/jane-doe, /autor/…, /people/…, /staff/….
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor(?:en)?|auteurs?|autore|people|staff|"
                          r"journalists?|reporters?|writers?|contributors?)/[\w.-]+/?(?:$|[?#])",
                          re.I)
_MAX_BYLINE_WORDS = 12
_MAX_DEK_WORDS = 80
_MIN_DEK_WORDS = 6
_HEADER_REACH = 40  # elements after the headline searched for a dek


def article_region(root: _Element) -> _Element:
    """The `<article>`/`<main>` that holds the headline, else the first `<article>`,
    else the body: where the article's own byline and dates are printed."""
    h1 = next(root.iter("h1"), None)
    if h1 is not None:
        for node in h1.iterancestors():
            if node.tag in ("article", "main") or node.get("role") == "main":
                return node
    article = next(root.iter("article"), None)
    if article is not None and h1 is None:
        return article
    return next(root.iter("body"), root)


def _own(region: _Element, wanted: Callable[[_Element], bool]) -> Iterator[_Element]:
    """Wanted elements of the region that are not furniture (teasers, share bars,
    asides); `wanted` is asked first as it is the cheaper question."""
    for el in region.iter():
        if isinstance(el.tag, str) and wanted(el) and not is_furniture(el):
            yield el


def microdata_authors(root: _Element, region: _Element) -> list[str]:
    """`itemprop="author"` people: the item's `name` property, or its text.

    With an Article item on the page, only its own authors count (wherever its author
    box is printed, an `<aside>` included), not those of teaser items nested in it;
    without one, those of the article region outside its furniture.
    """
    item = next((el for el in root.iter() if isinstance(el.tag, str)
                 and el.get("itemscope") is not None
                 and _ARTICLE_ITEM.search(el.get("itemtype") or "")), None)
    if item is not None:
        found = (el for el in item.iter() if isinstance(el.tag, str)
                 and "author" in (el.get("itemprop") or "").split() and _item_of(el) is item)
    else:
        found = _own(region, lambda e: "author" in (e.get("itemprop") or "").split())
    names: list[str] = []
    for el in found:
        if _is_organisation(el):
            continue
        parts = [text_of(n) or n.get("content", "") for n in el.iter()
                 if n is not el and "name" in (n.get("itemprop") or "").split()]
        names.extend(parts or [el.get("content") or text_of(el)])
    return people(n for n in names if n and len(n.split()) <= _MAX_BYLINE_WORDS)


def _item_of(el: _Element) -> _Element | None:
    """The Article item a property belongs to: its nearest Article-typed ancestor."""
    return next((a for a in el.iterancestors() if a.get("itemscope") is not None
                 and _ARTICLE_ITEM.search(a.get("itemtype") or "")), None)


def _is_organisation(el: _Element) -> bool:
    kind = el.get("itemtype") or ""
    return "Organization" in kind or "Corporation" in kind


def visible_byline(region: _Element) -> list[str]:
    """Authors a visible byline names: the first byline-classed element or `rel=author`
    link with a person in it, else the first short "By …" line."""
    for el in _own(region, _marked_byline):
        names = byline_names(text_of(el), marked=True)
        if names:
            return names
    for el in _own(region, lambda e: e.tag in _LINE_TAGS and len(e) <= 4):
        text = text_of(el)
        if text[:3].lower() == "by " or _FOREIGN_BY.match(text):
            names = byline_names(text, marked=False)
            if names:
                return names
    return []


def _marked_byline(el: _Element) -> bool:
    """A `rel=author` link, a link to an author's page (`/author/jane-doe`), or an
    element whose class says byline/author (not the bio, photo or job title of an
    author box)."""
    if "author" in (el.get("rel") or "").split() or (
            el.tag == "a" and _AUTHOR_PAGE.search(el.get("href") or "")):
        return True
    classes = [t for t in tokens_of(el).split() if _BYLINE_CLASS.search(t)]
    return bool(classes) and not any(_NOT_NAME_CLASS.search(t) for t in classes)


def byline_names(text: str, marked: bool) -> list[str]:
    """People named by a byline's text. Text from an element marked as a byline may be a
    bare name ("Jane Doe"); unmarked text must read "By …" (in any of its languages)."""
    text = " ".join(text.split())
    if not text or len(text.split()) > _MAX_BYLINE_WORDS:
        return []
    text = _FOREIGN_BY.sub("By ", text, count=1)
    names = parse_byline(text if text.lower().startswith("by ") else f"By {text}")
    if names:
        return names
    if marked and len(text.split()) <= 5:
        return people([re.sub(r"^by\b\s*", "", text, flags=re.I)])
    return []


def dek(region: _Element, headline: _Element | None) -> str | None:
    """The summary printed under the headline: a `standfirst`/`dek`/`subtitle`-classed
    element or `<h2>`-like subheading shortly after the `<h1>`."""
    if headline is None:
        return None
    seen = 0
    for el in headline.itersiblings():
        for node in el.iter():
            seen += 1
            if seen > _HEADER_REACH:
                return None
            if not isinstance(node.tag, str) or node.tag in _NOT_DEK_TAGS or is_furniture(node) \
                    or next(node.iterancestors("figure"), None) is not None:
                continue
            if any(_DEK_CLASS.search(t) for t in tokens_of(node).split()) \
                    or node.get("itemprop") in ("description", "alternativeHeadline"):
                text = text_of(node)
                if _MIN_DEK_WORDS <= len(text.split()) <= _MAX_DEK_WORDS:
                    return text
    return None


def headline_element(region: _Element) -> _Element | None:
    return next(region.iter("h1"), None)


def kicker(root: _Element, region: _Element) -> str | None:
    """An eyebrow label over the headline, else the breadcrumb trail's last item."""
    for el in _own(region, lambda e: any(_KICKER_CLASS.search(t) for t in tokens_of(e).split())):
        text = text_of(el)
        if text and len(text.split()) <= 4:
            return text
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if _BREADCRUMB.search(tokens_of(el)) or _BREADCRUMB.search(
                (el.get("aria-label") or "").lower()):
            items = [text_of(a) for a in el.iter("a", "li")]
            items = [t for t in items if t and len(t.split()) <= 4]
            if items:
                return items[-1]
    return None


def stated_reading_time(region: _Element) -> int | None:
    """Minutes a short line such as "9 min read" or "Lesezeit 5 Min." states."""
    for el in _own(region, lambda e: e.tag in _LINE_TAGS and len(e) <= 2):
        text = text_of(el)
        minutes = parse_reading_time(text) if len(text) <= 40 else None
        if minutes:
            return minutes
    return None
