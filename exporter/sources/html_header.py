"""What the article's header shows a reader: byline, date, dek, kicker and reading time.

Pages that fill in no metadata still print these around the headline, marked by the
class names designers give them (`byline`, `author`, `dek`, `standfirst`, `eyebrow`,
`breadcrumb`), by microdata (`itemprop="author"`) or by their wording ("By Jane Doe",
"Par Jean Dupont", "9 min read"). Bylines are looked for only in the article's own
region, never in its furniture, so a related-story teaser's author is not taken for the
article's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree
from lxml.etree import _Element

from .bylines import CO_WRITERS, FOR_OUTLET, people
from .html_dom import is_furniture, text_of, tokens_of
from .meta import parse_byline, parse_reading_time

# "By" in the languages whose bylines say it: Par, Von, Por, Di, Door, Av.
_FOREIGN_BY = re.compile(r"^\s*(?:par|von|por|di|door|av)\s+(?=\S)", re.I)
_BYLINE_CLASS = re.compile(r"byline|by-line|\bby-?author|author|writer|written-?by|contributor")
# Parts of an author box that are not the name: bio, photo, job title, follow links.
_NOT_NAME_CLASS = re.compile(r"bio|img|image|photo|pic|avatar|desc|about|info|title|role|job|"
                             r"social|follow|twitter|email|date|time|more|list|page|wrap")
_DEK_CLASS = re.compile(r"(?:^|[-_])(?:standfirst|dek|deck|sub-?title|sub-?head(?:line)?|"
                        r"summary|lede|lead|intro|excerpt|strap(?:line)?|teaser-text)(?:$|[-_])")
_KICKER_CLASS = re.compile(r"(?:^|[-_])(?:kicker|eyebrow|overline|rubric|section-label|"
                           r"category-label)(?:$|[-_])")
_CREDIT_CLASS = re.compile(r"credit|caption|copyright", re.I)
_ARTICLE_ITEM = re.compile(r"(?:Article|BlogPosting|Report)$")
_NOT_DEK_TAGS = frozenset({"figure", "figcaption", "img", "picture", "a", "time", "ul", "ol"})
# Where sites list a writer's articles: /author/jane-doe, /autor/…, /people/…, /staff/….
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor(?:en)?|auteurs?|autore|people|staff|"
                          r"journalists?|reporters?|writers?|contributors?)/[\w.-]+/?(?:$|[?#])",
                          re.I)
_LINE_TAGS = frozenset({"p", "div", "span", "address", "li", "strong", "b", "em", "i", "small",
                        "td", "font", "cite", "header", "h2", "h3",
                        "h4", "h5", "h6"})
_BY_WORD = re.compile(r"(?:(?:written|words|reported|reporting|story|text|posted)\s+)?(?:by|par|von|por|di|door|av)"
                      r"(?:\s*:|\s|$)", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# What follows the names on a byline that is also the dateline: "By Jane Roe on 3 March
# 2021", "By Jane Roe | Updated 12:40", "By Jane Roe 22 Dec 2016".
_DATELINE = re.compile(r"(?:\s*[|·•—–]\s*|\s+)(?:(?:on|updated|published|posted)\b[\s:]*)?"
                       rf"(?=\S*\d|{_MONTH}\s+\d)"
                       r".*$", re.I)
# A label before the names: "Words: Jane Roe", "Author: Jane Roe", "Texte : Jean Dupont".
_LABEL = re.compile(r"^(?:words|text|texte|author|authors|autor|auteur|writer|written by|"
                    r"reporting|story)\s*:\s*", re.I)
# A job title printed after the name, on the next line or in a span: "Jane Roe Chief
# Economics Correspondent", "Jane Roe<br>Health reporter".
_JOB_TITLE = re.compile(r"(?<=\w)\s+(?:chief|senior|deputy|associate|executive|managing|"
                        r"contributing|staff|special|political|economics?|science|health|"
                        r"technology|business|foreign|sports?|culture|editor|reporter|"
                        r"correspondent|writer|columnist|contributor|analyst|producer|"
                        r"journalist|photographer)\b.*$", re.I)
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+"
# A dateline before the "By": "3 June 2020 · By Jane Roe", "Tuesday 15 October 2019 by
# Jane Roe", "Posted on March 3, 2021 by Jane Roe".
_DATE_FIRST = re.compile(rf"^(?:(?:posted|published|updated)\s+(?:on\s+)?)?(?:{_WEEKDAY})?"
                         rf"(?:\d|{_MONTH}\s+\d)[^|·•]{{0,30}}?(?:\s*[|·•,-]\s*|\s+)"
                         r"(?=(?:written\s+|posted\s+)?(?:by|par|von|por)(?:\s*:|\s|$))", re.I)
# A writer's address after the name: "Jane Roe (https://janeroe.example/)", "Jane Roe
# <jane@roe.example>".
_CONTACT = re.compile(r"\s*[(<\[][^()<>\[\]]*(?:https?://|www\.|@)[^()<>\[\]]*[)>\]]")
_OTHER_ROLES = re.compile(r";[^;]*\bby\b.*$", re.I)  # "Reporting by X; Editing by Y"
# A credit line naming other roles after the writer's: "Written by X | Edited by Y",
# "Text by X · Illustrations by Y", "Par X, photos par Y". Only the writer is an author.
_LATER_ROLE = re.compile(
    r"(?<=\w)(?:\s*[.,;|·•/–—-]\s*|\s+)(?:edit(?:ed|ing)|photo(?:graph)?s?|photography|"
    r"pictures|images|illustrations?|illustrated|graphics|video|design(?:ed)?|produced|"
    r"production|fact-?check(?:ed|ing)|translat(?:ed|ion)|édité|édition|traduit|fotos?|"
    r"bilder|redaktion|edición)\s+(?:by|par|von|por|di|door|av)\b.*$", re.I)
# An author box's sentence about the writer: "Jane Roe is a reporter for the Gazette".
_BIO = re.compile(r"(?<=\w)\s+(?:is|was|writes|covers|est|ist|es|è)\s.*$", re.I)
_SEPARATOR = re.compile(r"\s+[|·•]\s+")
_HANDLE = re.compile(r"\s+@\w+")  # "By Jane Roe @janeroe"
_SHORT_TEXT_CHARS = 200
_BY_LINE_CHILDREN = 12  # "By <a>A</a>, <a>B</a> and <a>C</a> <time>…</time>": a link, span each
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


def _own(region: _Element, wanted: Callable[[_Element], bool],
         among: Callable[[_Element], list[_Element]] | list[_Element]) -> Iterator[_Element]:
    """Wanted elements of the region that are not furniture (teasers, share bars,
    asides), among a preselection (a list, or an XPath run on the region); `wanted` is
    asked first as it is the cheaper question."""
    for el in among if isinstance(among, list) else among(region):
        if isinstance(el.tag, str) and wanted(el) and _within(el, region) \
                and not is_furniture(el) and not _is_photo_credit(el):
            yield el


def _is_photo_credit(el: _Element) -> bool:
    """Whether a "By …" line is a photo's credit: in a figure or its caption, or marked
    as a credit or caption ("By Sam Okafor" under the photo is not the article's byline)."""
    for node in (el, *el.iterancestors()):
        if node.tag in ("figure", "figcaption") or _CREDIT_CLASS.search(tokens_of(node)):
            return True
        if node.tag in ("article", "main", "body"):
            return False
    return False


def _within(el: _Element, region: _Element) -> bool:
    return el is region or any(a is region for a in el.iterancestors())


# Class/id words of the header's parts, matched in one pass over the page.
_MARKS = re.compile(r"(?P<byline>[Bb]y-?[Ll]ine|[Aa]uthor|AUTHOR|BYLINE|[Ww]riter|[Ww]ritten-?[Bb]y|"
                    r"[Cc]ontributor)|"
                    r"(?P<kicker>[Kk]icker|[Ee]yebrow|[Oo]verline|[Rr]ubric|[Ss]ection-label|"
                    r"[Cc]ategory-label)|(?P<breadcrumb>[Bb]readcrumb)")


@dataclass
class Marks:
    """Elements whose class, id, `rel` or link says what header part they are."""

    byline: list[_Element] = field(default_factory=list)
    kicker: list[_Element] = field(default_factory=list)
    breadcrumb: list[_Element] = field(default_factory=list)
    by_line: list[_Element] = field(default_factory=list)  # short lines starting "By"


def marks_of(root: _Element) -> Marks:
    """One walk over the page sorting out its byline, kicker and breadcrumb candidates:
    an XPath per part would walk the page once each, and is slower per element."""
    found = Marks()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        match = None
        for name in ("class", "id", "aria-label"):
            value = el.get(name)
            match = _MARKS.search(value) if value else None
            if match:
                break
        if match:
            getattr(found, match.lastgroup or "byline").append(el)
        elif "author" in (el.get("rel") or "") or (
                el.tag == "a" and _AUTHOR_PAGE.search(el.get("href") or "")):
            found.byline.append(el)
        if el.tag in _LINE_TAGS and len(el) <= _BY_LINE_CHILDREN and _starts_by(el):
            found.by_line.append(el)
    return found


_AUTHOR_PROPS = etree.XPath("descendant-or-self::*[contains(@itemprop, 'author')]")
_ARTICLE_ITEMS = etree.XPath("//*[@itemscope][contains(@itemtype, 'Article')"
                             " or contains(@itemtype, 'BlogPosting') or contains(@itemtype, 'Report')]")
# Parents of text that may state minutes ("9 min read", "Lesezeit 5 Min.", "閱讀時間 3 分鐘").
_MINUTE_LINES = etree.XPath("descendant-or-self::text()[contains(., 'min') or contains(., 'Min')"
                            " or contains(., 'MIN') or contains(., '分')]/..")

def microdata_authors(root: _Element, region: _Element) -> list[str]:
    """`itemprop="author"` people: the item's `name` property, or its text.

    With an Article item on the page, only its own authors count (wherever its author
    box is printed, an `<aside>` included), not those of teaser items nested in it;
    without one, those of the article region outside its furniture.
    """
    item = next((el for el in _ARTICLE_ITEMS(root)
                 if _ARTICLE_ITEM.search(el.get("itemtype") or "")), None)
    is_author = lambda e: "author" in (e.get("itemprop") or "").split()  # noqa: E731
    if item is not None:
        found = (el for el in _AUTHOR_PROPS(item) if is_author(el) and _item_of(el) is item)
    else:
        found = _own(region, is_author, _AUTHOR_PROPS)
    names: list[str] = []
    for el in found:
        if _is_organisation(el):
            continue
        parts = [text_of(n) or n.get("content", "") for n in el.iter()
                 if n is not el and "name" in (n.get("itemprop") or "").split()]
        names.extend(parts or [el.get("content") or text_of(el)])
    return people(n for n in names if n and len(n.split()) <= _MAX_BYLINE_WORDS)


def _item_of(el: _Element) -> _Element | None:
    """The item a property belongs to, as microdata defines it: its nearest ancestor
    with `itemscope` (a comment's or review's author belongs to that comment)."""
    return next((a for a in el.iterancestors() if a.get("itemscope") is not None), None)


def _is_organisation(el: _Element) -> bool:
    kind = el.get("itemtype") or ""
    return "Organization" in kind or "Corporation" in kind


def visible_byline(region: _Element, marks: Marks) -> list[str]:
    """Authors a visible byline names: the first byline-classed element or `rel=author`
    link with a person in it, else the first short "By …" line. A short byline read
    whole and naming nobody ("PTI, Washington, 20 Nov") is not read again piece by
    piece: its parts would name a place or an agency."""
    judged: list[_Element] = []
    for el in _own(region, _marked_byline, marks.byline):
        if any(a in judged for a in el.iterancestors()):
            continue
        text = _byline_text(el)
        names = byline_names(text, marked=True)
        if names:
            return names
        if text and len(_names_part(text).split()) <= _MAX_BYLINE_WORDS:
            judged.append(el)
    for el in _own(region, lambda e: True, marks.by_line):
        names = byline_names(_byline_text(el), marked=False)
        if names:
            return names
    return _address_names(region)


def _address_names(region: _Element) -> list[str]:
    """The people of an `<address>`, the contact of its nearest `<article>` or, outside
    any, of the page (HTML's meaning of the element): the article's writer. One in
    another article (a teaser's) is not."""
    article = region if region.tag == "article" else None
    for el in _own(region, lambda e: True, list(region.iter("address"))):
        if next(el.iterancestors("article"), None) is not article:
            continue
        names = byline_names(_byline_text(el).split(" | ")[0], marked=True)
        if names:
            return names
    return []


def _starts_by(el: _Element) -> bool:
    """Whether the element's first words are "By" (or Par, Von, Por, Di, Door, Av)."""
    head = (el.text or "").strip()
    if not head and len(el) and isinstance(el[0].tag, str):
        first = el[0]  # "<span>By</span> …", or "<time>3 June</time> By …"
        head = ((first.tail if first.tag == "time" else first.text) or "").strip(" \n\t·|•,")
    return bool(_BY_WORD.match(head) or _LABEL.match(head) or _DATE_FIRST.match(head))


def _short_text(el: _Element, limit: int = _SHORT_TEXT_CHARS) -> str:
    """The element's visible text if it is a short line, else "": a byline or a label
    is never long, and reading a whole page's text for each candidate would be slow."""
    length = 0
    for piece in el.itertext():
        length += len(piece.strip())
        if length > limit:
            return ""
    return text_of(el)


def _byline_text(el: _Element) -> str:
    """A byline's short text with its line breaks kept as " | ": "Jane Roe<br>Riverside
    Gazette" is a name and then an outlet or a job title, not one long name."""
    text = _short_text(el)
    if not text or el.find(".//br") is None:
        return text
    lines = copy.deepcopy(el)  # a short line: cheap to copy
    for br in lines.iter("br"):
        br.tail = " | " + (br.tail or "")
    return _short_text(lines)


def _marked_byline(el: _Element) -> bool:
    """A `rel=author` link, a link to an author's page (`/author/jane-doe`), or an
    element whose class says byline/author (not the bio, photo or job title of an
    author box)."""
    if "author" in (el.get("rel") or "").split():
        return True
    if el.tag == "a" and _AUTHOR_PAGE.search(el.get("href") or ""):
        return not _in_running_text(el)
    classes = [t for t in tokens_of(el).split() if _BYLINE_CLASS.search(t)]
    return bool(classes) and not any(_NOT_NAME_CLASS.search(t) for t in classes)


def _in_running_text(link: _Element) -> bool:
    """Whether a link is a mention inside a sentence ("Residents asked the mayor, <a>Jane
    Roe</a>, …"), not a byline: its paragraph is longer than a byline and not a "By" line
    (which may carry a date: "By Jane Roe, Sam Okafor on Monday, 18 November")."""
    block = next(link.iterancestors("p", "li", "blockquote", "td"), None)
    if block is None:
        return False
    text = _short_text(block)
    return not text or (len(text.split()) > _MAX_BYLINE_WORDS and not _BY_WORD.match(text))


def _names_part(text: str) -> str:
    """A byline's text without its label and dateline, "By" in English: "Texte : Jean
    Dupont , Ann Lee | 3 mai" -> "Jean Dupont, Ann Lee"."""
    text = re.sub(r"\s+(?=[,;])", "", " ".join(_CONTACT.sub("", text).split()))  # "Jane Roe , Sam"
    text = _LATER_ROLE.sub("", _OTHER_ROLES.sub("", text))
    text = CO_WRITERS.sub(r" and \1", text)
    dated = _DATE_FIRST.match(text)  # "3 June 2020 · By Jane Roe"
    text = text[dated.end():] if dated else text
    text = _FOREIGN_BY.sub("By ", _LABEL.sub("", text, count=1), count=1)
    text = FOR_OUTLET.sub("", _HANDLE.sub("", _DATELINE.sub("", _BIO.sub("", text), count=1)))
    text = _SEPARATOR.sub(", ", text)  # "Jane Roe | Riverside Gazette": a name, then an outlet
    return _JOB_TITLE.sub("", text, count=1)


def byline_names(text: str, marked: bool) -> list[str]:
    """People named by a byline's text. Text from an element marked as a byline may be a
    bare name ("Jane Doe"); unmarked text must read "By …" (in any of its languages)."""
    if len(text) > 2 * _SHORT_TEXT_CHARS:  # a meta tag's content may be anything
        return []
    text = _names_part(text)
    if not text or len(text.split()) > _MAX_BYLINE_WORDS:
        return []
    names = parse_byline(text if _BY_WORD.match(text) else f"By {text}")
    if names:
        return people(names)  # "BY JANE ROE" as "Jane Roe"
    if marked and len(text.split()) <= 5:  # a name in a script without capitals, say
        first = re.sub(r"^by\b\s*", "", text, flags=re.I).split(",")[0]
        return people([first])  # what follows a comma is a place or desk ("AP, Lisbon")
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
                return _header_summary(headline)
            if not isinstance(node.tag, str) or node.tag in _NOT_DEK_TAGS or is_furniture(node) \
                    or next(node.iterancestors("figure"), None) is not None:
                continue
            if any(_DEK_CLASS.search(t) for t in tokens_of(node).split()) \
                    or node.get("itemprop") in ("description", "alternativeHeadline"):
                text = text_of(node)
                if _MIN_DEK_WORDS <= len(text.split()) <= _MAX_DEK_WORDS:
                    return text
    return _header_summary(headline)


_NOT_SUMMARY_CLASS = re.compile(r"byline|author|date|time|meta|credit|caption")


def _header_summary(headline: _Element) -> str | None:
    """A paragraph under the headline in the article's `<header>` (HTML's header of an
    article: its headline and summary), when no class marks it: not a byline, dateline
    or photo credit."""
    header = next(headline.iterancestors("header"), None)
    if header is None or not any(a.tag in ("article", "main") or a.get("role") == "main"
                                 for a in header.iterancestors()):
        return None  # the site's header, its logo in an <h1>
    after = False
    for node in header.iter():
        after = after or node is headline
        if not after or node.tag != "p" or _starts_by(node) or is_furniture(node) \
                or any(_NOT_SUMMARY_CLASS.search(t) for t in tokens_of(node).split()):
            continue
        text = text_of(node)
        if _MIN_DEK_WORDS <= len(text.split()) <= _MAX_DEK_WORDS and not text.endswith(":"):
            return text
    return None


def headline_element(region: _Element) -> _Element | None:
    return next(region.iter("h1"), None)


def kicker(region: _Element, marks: Marks) -> str | None:
    """An eyebrow label over the headline, else the breadcrumb trail's last item."""
    for el in _own(region, lambda e: any(_KICKER_CLASS.search(t) for t in tokens_of(e).split()),
                   marks.kicker):
        text = _short_text(el)
        if text and len(text.split()) <= 4:
            return text
    for el in marks.breadcrumb:
        if not any(a in marks.breadcrumb for a in el.iterancestors()):
            items = [text_of(a) for a in el.iter("a", "li")]
            items = [t for t in items if t and len(t.split()) <= 4]
            if items:
                return items[-1]
    return None


def _stated_minutes(el: _Element) -> int | None:
    text = _short_text(el, 40)
    return parse_reading_time(text) if text and any(c.isdigit() for c in text) else None


def stated_reading_time(region: _Element) -> int | None:
    """Minutes a short line such as "9 min read" or "Lesezeit 5 Min." states."""
    for el in _own(region, lambda e: len(e) <= 2 and bool(_stated_minutes(e)), _MINUTE_LINES):
        minutes = _stated_minutes(el)
        if minutes:
            return minutes
    return None
