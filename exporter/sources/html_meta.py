"""A saved page's metadata, each field from the first of these that gives it:

1. JSON-LD (every block, in `<![CDATA[ ]]>` or `<!-- -->` wrappings too, `@graph`,
   arrays): what publishers fill in for search engines, usually the most exact;
2. microdata in the article (`itemprop="author"`, `itemprop="datePublished"`);
3. `<meta>` tags: OpenGraph/`article:*`, RDFa-style `property` (several space-separated
   values each count), Dublin Core (`DC.creator` written "Surname, Given"), `byl` and
   the other CMS names; for authors, Dublin Core's creator before `author`;
4. what the article's header shows: the visible byline, `<time>`, dek, eyebrow or
   breadcrumb, a stated reading time (html_header).

The same order holds for authors, dates, kicker and standfirst, so a page's metadata is
predictable; the one exception is the title, where a longer `<h1>` that starts with the
metadata's headline wins (JSON-LD headlines are cut at 110 characters).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable
from typing import Any

from lxml.etree import _Element

from . import html_header
from .bylines import people
from .html_dom import text_of
from .meta import parse_date, parse_reading_time

ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle",
                           "AnalysisNewsArticle", "OpinionNewsArticle", "ReviewNewsArticle",
                           "BackgroundNewsArticle", "Report", "TechArticle", "LiveBlogPosting",
                           "SocialMediaPosting", "ScholarlyArticle"})
_NOT_PEOPLE = frozenset({"Organization", "NewsMediaOrganization", "Corporation",
                         "WebSite", "WebPage", "Brand"})
_ISO = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_PLUMBING = frozenset({"news", "post", "posts", "article", "articles", "all", "home",
                       "home page", "homepage", "blog", "uncategorized", "uncategorised",
                       "general", "main", "default", "top stories", "latest"})
_NAME_LINKS = frozenset({"of", "the", "and", "for", "on", "in", "&"})
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " » ")


@dataclass
class PageMeta:
    title: str = ""
    kicker: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    publisher: str | None = None
    published: str | None = None
    updated: str | None = None
    canonical: str | None = None
    language: str | None = None
    image: str | None = None  # og:image or JSON-LD image, as written
    image_alt: str | None = None
    tags: list[str] = field(default_factory=list)
    dek: str | None = None  # the summary printed under the headline
    reading_time: int | None = None  # minutes, when the page states it


def read_meta(root: _Element) -> PageMeta:
    """Everything the page says about itself, best source first for each field."""
    meta = _meta_tags(root)
    h1 = _h1(root)
    # The titles a page states for machines (share cards, Dublin Core, Parse.ly), then
    # the browser tab's and the headline.
    shown = [t for t in (meta.get("og:title"), meta.get("twitter:title"), meta.get("dc.title"),
                         meta.get("dcterms.title"), meta.get("parsely-title"), _title_tag(root),
                         h1) if t]
    ld = _json_ld_article(root, shown)
    site = _first(_name(ld.get("publisher")), meta.get("og:site_name"), meta.get("dc.publisher"))
    title = _first(_headline(_text(ld.get("headline")), shown), *shown) or ""
    if h1 and len(h1) > len(title) and h1.lower().startswith(title.rstrip(".… ").lower()):
        title = h1  # JSON-LD headlines are often cut at 110 characters
    region = html_header.article_region(root)
    marks = html_header.marks_of(root)
    return PageMeta(
        title=strip_site_name(html.unescape(title), site),
        kicker=_section(_first(_text(ld.get("articleSection")), meta.get("article:section"),
                               meta.get("parsely-section"),
                               html_header.kicker(region, marks))),
        description=_first(_text(ld.get("description")), meta.get("og:description"),
                           meta.get("description"), meta.get("dc.description")),
        authors=_authors(
            {_norm(n) for n in (site, meta.get("og:site_name"), meta.get("dc.publisher"),
                                _title_tail(_title_tag(root), [title, *shown])) if n},
            (lambda: _people(ld.get("author")) or _people(ld.get("creator")),
             lambda: html_header.microdata_authors(root, region),
             lambda: _meta_authors(meta), lambda: html_header.visible_byline(region, marks))),
        publisher=site,
        published=_first_date(_text(ld.get("datePublished")), _text(ld.get("dateCreated")),
                              _microdata_date(region, "datePublished"),
                              *(meta.get(k) for k in _PUBLISHED_KEYS), _time_tag(region)),
        updated=_first_date(_text(ld.get("dateModified")),
                            _microdata_date(region, "dateModified"),
                            *(meta.get(k) for k in _UPDATED_KEYS)),
        canonical=_first(_canonical(root), meta.get("og:url"), _text(ld.get("url")),
                         _name_or_id(ld.get("mainEntityOfPage"))),
        language=language_tag(_first(root.get("lang"), _text(ld.get("inLanguage")),
                                     meta.get("og:locale"))),
        image=_first(meta.get("og:image"), meta.get("twitter:image"), _image_url(ld.get("image"))),
        image_alt=meta.get("og:image:alt"),
        tags=_tags(ld.get("keywords")) or meta.get("article:tag[]", []),  # type: ignore[arg-type]
        dek=html_header.dek(region, html_header.headline_element(region)),
        reading_time=_minutes(_text(ld.get("timeRequired"))) or html_header.stated_reading_time(region),
    )


# Meta names for the publication date, best first (OpenGraph, Dublin Core, CMS names).
_PUBLISHED_KEYS = ("article:published_time", "og:article:published_time", "datepublished",
                   "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date",
                   "dcterms.created", "date", "pubdate", "publishdate", "publish-date",
                   "sailthru.date", "parsely-pub-date")
_UPDATED_KEYS = ("article:modified_time", "og:updated_time", "datemodified",
                 "dcterms.modified", "last-modified")
# Dublin Core's creator first: a bibliographic field filled in for the piece, where
# `author` is often a CMS's page-wide default (the account, the site).
_AUTHOR_KEYS = ("dc.creator", "dcterms.creator", "author", "article:author",
                "article:author_name", "byl", "sailthru.author", "parsely-author",
                "citation_author", "twitter:author")
# Share cards' labelled data pairs: `twitter:label1` "Written by", `twitter:data1` the name.
_WRITER_LABEL = re.compile(r"^(?:written by|author|autor|auteur|verfasst von|escrito por)\b", re.I)
_DURATION = re.compile(r"^PT(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?", re.I)


def language_tag(value: str | None) -> str | None:
    """A BCP 47 tag as usually written: "en_gb" -> "en-GB", "zh-hant" -> "zh-Hant"."""
    parts = re.split(r"[-_]", (value or "").strip())
    if not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            out.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif part:
            out.append(part.lower())
    return "-".join(out)


def strip_site_name(title: str, site: str | None) -> str:
    """ "Headline | Site" -> "Headline": the tail goes if it is the site's name, or is
    short and shaped like a name ("The Rail Review", "example.com") after a separator."""
    title = " ".join(title.split())
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, tail = (part.strip() for part in title.rsplit(sep, 1))
        if site and site.strip().lower() in tail.lower():
            return head
        words = tail.split()
        named = all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _NAME_LINKS
                    for w in words) or "." in tail
        if named and len(words) <= 4 and len(head.split()) >= 3 and len(head) > len(tail):
            return head
    return title


def _title_tail(title_tag: str | None, headlines: list[str]) -> str | None:
    """The site's name as the `<title>` prints it after the headline ("Flood | Riverside
    Gazette" -> "Riverside Gazette"), for pages that name their site nowhere else."""
    if not title_tag:
        return None
    for sep in _TITLE_SEPARATORS:
        head, found, tail = title_tag.rpartition(sep)
        if found and tail.strip() and any(_norm(head) == _norm(h) for h in headlines):
            return tail.strip()
    return None


def _headline(headline: str | None, shown: list[str]) -> str | None:
    """The JSON-LD headline, unless the page's other titles agree with each other and
    not with it: then it is a summary some CMSs write into that field ("wave travelling
    up a river" for a page headed "Tidal bore")."""
    if not headline or not shown or any(_agree(headline, t) for t in shown):
        return headline
    return None if any(_agree(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]) \
        else headline


def _agree(one: str, other: str) -> bool:
    """Whether one title contains the other, word for word ("Tidal bore" and "Tidal bore
    - Open Encyclopedia")."""
    a, b = (f" {_norm(t)} " for t in (one, other))
    return a.strip() != "" and b.strip() != "" and (a in b or b in a)


def _json_ld_article(root: _Element, shown: list[str]) -> dict[str, Any]:
    """The article object of the page's JSON-LD, with `@id` references resolved: the
    one whose headline the page shows (`shown`: its other titles), not a related
    story's listed beside it."""
    nodes: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(_unwrapped(script.text or ""), strict=False)
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common; the other sources still apply
        _collect(data, nodes)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    articles = [n for n in nodes if _types(n) & ARTICLE_TYPES]
    if not articles:
        return {}
    best = max(articles, key=lambda n: (any(_agree(_text(n.get("headline")) or "", t) for t in shown),
                                        "headline" in n, len(n)))
    return {k: _deref(v, by_id) for k, v in best.items()}


_WRAPPER_OPEN = ("<![CDATA[", "<!--")
_WRAPPER_CLOSE = ("]]>", "-->")


def _unwrapped(text: str) -> str:
    """JSON-LD without the `<![CDATA[ … ]]>` or `<!-- … -->` a CMS wrapped it in (also
    behind `//` or inside `/* */`, as scripts write them), or a trailing semicolon."""
    text = text.strip()
    for _ in range(2):  # "/*<![CDATA[*/" is two layers
        text = text.removeprefix("//").removeprefix("/*").strip()
        for opening in _WRAPPER_OPEN:
            text = text.removeprefix(opening).strip()
        text = text.removeprefix("*/").strip()
    for _ in range(2):
        text = text.removesuffix("*/").strip()
        for closing in _WRAPPER_CLOSE:
            text = text.removesuffix(closing).strip()
        text = text.removesuffix("//").removesuffix("/*").strip()
    return text.removesuffix(";")


def _collect(data: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(data, list):
        for item in data:
            _collect(item, out)
    elif isinstance(data, dict):
        out.append(data)
        if "@graph" in data:
            _collect(data["@graph"], out)
        if "mainEntity" in data:
            _collect(data["mainEntity"], out)


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    return {kind} if isinstance(kind, str) else {k for k in kind if isinstance(k, str)} \
        if isinstance(kind, list) else set()


def _deref(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict) and set(value) == {"@id"} and value["@id"] in by_id:
        return by_id[value["@id"]]
    if isinstance(value, list):
        return [_deref(v, by_id) for v in value]
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (str, int, float)) and str(value).strip():
        return " ".join(html.unescape(str(value)).split())  # often escaped twice
    return None


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _name_or_id(value: Any) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("@id") or value.get("url"))
    return _text(value)


def _people(value: Any) -> list[str]:
    """Authors that are people, without "By" and without organisations."""
    items = value if isinstance(value, list) else [value] if value else []
    names = []
    for item in items:
        if isinstance(item, dict):
            if _types(item) & _NOT_PEOPLE:
                continue
            item = item.get("name") or " ".join(  # schema.org's parts of a Person's name
                filter(None, (_text(item.get(k)) for k in ("givenName", "familyName"))))
        name = _text(item)
        if name:
            names.append(name)
    return people(names)


def _section(value: Any) -> str | None:
    """A kicker from articleSection / article:section, unless it is a site's plumbing
    ("News - News", "post", "game,news,slider", "Home Page")."""
    text = _text(value)
    if not text:
        return None
    first = re.split(r"\s*[,;|]\s*", text)[0]
    parts = list(dict.fromkeys(p.strip() for p in re.split(r"\s+[-–—/]\s+", first)))
    section = " – ".join(p for p in parts if p)
    if section.lower() in _PLUMBING or "." in section or not section[:1].isupper():
        return None
    return section


def _image_url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("url") or value.get("contentUrl"))
    return _text(value)


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(t.strip() for t in value if isinstance(t, str) and t.strip()))


def _meta_tags(root: _Element) -> dict[str, Any]:
    """First content of each `<meta property|name>`; `article:tag` and the author tags
    collected as lists. An author tag repeated in one spelling names one author each;
    the same field in both spellings (`property="dc:creator"`, `name="DC.creator"`)
    states it twice, and the RDFa `property`, which structured-data readers take, wins."""
    out: dict[str, Any] = {"article:tag[]": []}
    named: dict[str, list[str]] = {}  # author tags written with `name`
    for meta in root.iter("meta"):
        content = " ".join(html.unescape(meta.get("content") or "").split())  # escaped twice
        if not content:
            continue
        for attribute in ("property", "name"):
            for key in (meta.get(attribute) or "").lower().split():
                key = key.replace("dcterms:", "dcterms.").replace("dc:", "dc.")
                if key == "article:tag" or key in _AUTHOR_KEYS:
                    lists = out if attribute == "property" or key == "article:tag" else named
                    lists.setdefault(f"{key}[]", []).append(content)
                out.setdefault(key, content)
    for key, values in named.items():  # a `property` tag's authors win over a `name` one's
        out.setdefault(key, values)
    _parsely_page(out)
    _labelled_writer(out)
    return out


def _labelled_writer(meta: dict[str, Any]) -> None:
    """The writer a share card names in a labelled pair (`twitter:label1` "Written by",
    `twitter:data1` "Jane Roe"), as the `twitter:author` it stands for."""
    for n in range(1, 5):
        if _WRITER_LABEL.match(meta.get(f"twitter:label{n}", "")) and meta.get(f"twitter:data{n}"):
            meta.setdefault("twitter:author", meta[f"twitter:data{n}"])
            return


def _parsely_page(meta: dict[str, Any]) -> None:
    """Parse.ly's `parsely-page` tag is one JSON object; its author, date and section
    count as the `parsely-*` tags it stands for."""
    try:
        page = json.loads(meta.get("parsely-page") or "{}")
    except ValueError:
        return
    if isinstance(page, dict):
        for name in ("author", "pub-date", "section"):
            value = page.get(name.replace("-", "_"))
            if isinstance(value, str) and value.strip():
                meta.setdefault(f"parsely-{name}", value.strip())


def _authors(sites: set[str], sources: Iterable[Callable[[], list[str]]]) -> list[str]:
    """The first source's authors but the site itself; a source naming only the site
    ("author": "Riverside Gazette") gives way to a later one naming someone else.
    (On a one-person blog the site is named after its author: nobody else is named.)"""
    only_site: list[str] = []
    for source in sources:
        names = [_without_site(n, sites) for n in source()]
        people = [n for n in names if _norm(n) not in sites]
        if people:
            return people  # "Jane Roe | Riverside Gazette": the writer, not the site
        only_site = only_site or names
    return only_site


def _without_site(name: str, sites: set[str]) -> str:
    """"Jane Roe Riverside Gazette" -> "Jane Roe": a byline that runs the writer's name
    into the publication's (a name link, then the outlet's label) names the writer; a
    leading "The" of the outlet's name may be left out."""
    words = name.split()
    names = sites | {s.removeprefix("the ") for s in sites}
    for cut in range(2, len(words)):  # the longest tail first: "The Riverside Gazette"
        if _norm(" ".join(words[cut:])) in names:
            return " ".join(words[:cut]).rstrip(" ,|-–—")
    return name


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _meta_authors(meta: dict[str, Any]) -> list[str]:
    """The people of the first author tag that names any; a tag repeated once per
    author (`<meta name="author">` twice) names them all."""
    for key in _AUTHOR_KEYS:
        names = []
        for value in meta.get(f"{key}[]") or ([meta[key]] if key in meta else []):
            if not value.startswith(("http://", "https://")):
                if key.startswith(("dc.", "dcterms.")):
                    value = _given_first(value)
                names.extend(html_header.byline_names(value, marked=True))
        if names:
            return list(dict.fromkeys(names))
    return []


_SURNAME_FIRST = re.compile(r"^(?P<surname>[^\s,]+(?:[ -][^\s,]+)?),\s*(?P<given>[^\s,]+(?: [^\s,]+)?)$")


def _given_first(name: str) -> str:
    """Dublin Core's "Surname, Given" as the name is printed: "Given Surname"."""
    match = _SURNAME_FIRST.match(name.strip())
    return f"{match.group('given')} {match.group('surname')}" if match else name


def _microdata_date(region: _Element, prop: str) -> str | None:
    for el in region.xpath("descendant-or-self::*[contains(@itemprop, $prop)]", prop=prop):
        if prop in (el.get("itemprop") or "").split():
            return el.get("content") or el.get("datetime") or text_of(el)
    return None


def _minutes(value: str | None) -> int | None:
    """Minutes of a JSON-LD `timeRequired`: "PT5M" or written out ("5 min read")."""
    if not value:
        return None
    duration = _DURATION.match(value)
    if duration and (duration.group("hours") or duration.group("minutes")):
        return int(duration.group("hours") or 0) * 60 + int(duration.group("minutes") or 0)
    return parse_reading_time(value)


def _canonical(root: _Element) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href", "").strip()
    return None


def _title_tag(root: _Element) -> str | None:
    title = next(root.iter("title"), None)
    return text_of(title) or None if title is not None else None


def _h1(root: _Element) -> str | None:
    h1 = next(root.iter("h1"), None)
    return text_of(h1) or None if h1 is not None else None


def _time_tag(region: _Element) -> str | None:
    """The article's `<time datetime>`: the one marked `pubdate`, else the first."""
    times = [t for t in region.iter("time") if t.get("datetime")]
    chosen = next((t for t in times if t.get("pubdate") is not None), times[0] if times else None)
    return chosen.get("datetime", "").strip() if chosen is not None else None


_SPACED_STAMP = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2})[ T](?P<clock>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
                           r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$")


def _first_date(*values: str | None) -> str | None:
    """The first of `values` that is a date."""
    return next((d for d in map(_date, values) if d), None)


def _date(value: str | None) -> str | None:
    """ISO 8601 as the page gives it ("2015-07-10 09:53:00 -0400" too), or a written
    date ("July 10, 2015"); a CMS's year-1 null date is not a date."""
    if not value:
        return None
    value = value.strip()
    stamp = _SPACED_STAMP.match(value)
    if stamp:
        zone = stamp.group("zone") or ""
        if len(zone) == 5:
            zone = f"{zone[:3]}:{zone[3:]}"
        value = f"{stamp.group('day')}T{stamp.group('clock')}{zone}"
    elif not _ISO.match(value):
        value = parse_date(value) or ""
    return value if _ISO.match(value) and value[:4] >= "1900" else None


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)
