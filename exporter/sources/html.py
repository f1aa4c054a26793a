"""Saved web pages as articles: trafilatura's text, our own figures, the page's metadata.

The text extractor decides what the article's paragraphs are; figures are found on the
original DOM (html_figures) and put back among those paragraphs where the page had
them, recognised by the body paragraph printed just before (or after) them. A figure
with no body paragraph nearby is not part of the article.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from lxml import etree
from lxml.etree import ParserError, _Element

from ..errors import SourceError
from ..inline import to_text
from ..model import (Article, Block, Embed, Figure, Heading, Image, ListBlock, Paragraph, Quote,
                     Table)
from . import Origin
from .common import decode, source_ref
from .html_body import extract_body, loose_text_as_paragraphs, math_as_text
from .html_dom import resolve_url
from .html_figures import FoundFigure, find_figures
from .html_images import is_placeholder
from .html_meta import PageMeta, read_meta
from .html_quotes import attribute_quotes
from .html_teasers import drop_teasers

_HTML_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
# [^<>]* stops at the next tag: linear however many spaces or unclosed tags follow.
_HTML5_VOIDS = re.compile(r"<(embed|source|track|wbr|keygen)\b([^<>]*)>", re.I)
_TEXT_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote")
# A share image named like this is the site's stand-in, not the article's photo.
_GENERIC_IMAGE = re.compile(r"logo|default|fallback|generic|social-share|share-image", re.I)
_CREDIT_WORDS = frozenset({"photo", "photograph", "image", "picture", "credit", "by", "source",
                           "copyright"})  # labels taken off when a credit is split out
_ANCHOR_REACH = 6  # text blocks searched on each side of a figure for a body paragraph


def read(data: bytes, origin: Origin) -> list[Article]:
    """The one article of a saved page."""
    return [read_page(page_text(data, origin), origin)]


def page_text(data: bytes, origin: Origin, content_type: str = "") -> str:
    """The page as text: UTF-8 if it is, else the charset the server or the page declares
    (guessing is the last resort: it confuses similar single-byte encodings)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        declared = _CHARSET.search(content_type) or _CHARSET.search(
            data[:4096].decode("ascii", "replace"))
        if declared:
            try:
                return decode(data.decode(declared.group(1)).encode("utf-8"), origin)
            except (LookupError, UnicodeError):  # "undefined" is a codec that always fails
                pass  # a wrong or unknown declaration: detection decides
    return decode(data, origin)


def _closed_void(match: re.Match[str]) -> str:
    """`<embed src=x />` as `<embed src=x></embed>`."""
    return f"<{match[1]}{match[2].rstrip().removesuffix('/')}></{match[1]}>"


def read_page(page: str, origin: Origin, kind: str = "html") -> Article:
    """An article from page markup; `kind` is recorded as its source kind."""
    page = _XML_DECLARATION.sub("", page, count=1)  # lxml refuses it in a str
    # libxml2 does not know these are void and would nest the rest of the page inside.
    page = _HTML5_VOIDS.sub(_closed_void, page)
    root = parse(math_as_text(page), origin)
    loose_text_as_paragraphs(root)
    meta = read_meta(root)
    base = origin.url or _absolute(meta.canonical)
    try:
        text = extract_body(root, base)
    except Exception as err:  # trafilatura's internals on a hostile page: any error type
        raise SourceError(origin.location, f"cannot extract the article text ({err})") from None
    text = drop_teasers(root, text, base)
    title = meta.title or next((to_text(b.text) for b in text if isinstance(b, Heading)), "")
    figures = find_figures(root, base, origin.base_dir)
    text = attribute_quotes(root, text)
    label = kicker_above_headline(root)
    if label:  # printed above the headline, not part of the text
        text = [b for b in text[:2] if not _is_text(b, label)] + text[2:]
    blocks, lead = _assemble(root, text, figures, meta, base, title)
    if not blocks:
        raise SourceError(origin.location, "no article text found on the page")
    standfirst = _standfirst(meta.dek, meta.description, blocks)
    blocks = [b for b in blocks if not _repeats(b, standfirst)]
    return Article(
        title=title or PurePosixPath(origin.location).stem,
        kicker=(meta.kicker if _norm(meta.kicker or "") != _norm(title) else None) or label,
        standfirst=standfirst,
        reading_time=meta.reading_time or 0,
        authors=meta.authors,
        publisher=meta.publisher,
        published=meta.published,
        updated=meta.updated,
        url=_absolute(meta.canonical) or origin.url,
        language=meta.language or "en",
        lead=lead,
        body=blocks,
        tags=meta.tags,
        source=source_ref(kind, origin),
    )


def parse(page: str, origin: Origin) -> _Element:
    """The page's DOM, as plain etree elements: lxml.html's class lookup doubles the
    cost of every walk over the tree."""
    try:
        root = etree.fromstring(page, _HTML_PARSER)
    except (ParserError, ValueError, etree.XMLSyntaxError) as err:
        raise SourceError(origin.location, f"not a readable HTML page ({err})") from None
    if root is None:
        raise SourceError(origin.location, "not a readable HTML page (no elements)")
    if any("Excessive depth" in entry.message for entry in _HTML_PARSER.error_log):
        raise SourceError(origin.location, "HTML nested too deeply to read whole (over 256 levels)")
    return root


def _assemble(root: _Element, blocks: list[Block], figures: list[FoundFigure],
              meta: PageMeta, base: str | None, title: str) -> tuple[list[Block], Figure | None]:
    """Body blocks with figures in place, and the lead figure."""
    blocks = [b for b in blocks
              if not (isinstance(b, Heading) and _norm(to_text(b.text)) == _norm(title))]
    anchors = _TextAnchors(root, blocks, figures)
    placed: list[tuple[int, int, Figure | Embed]] = []
    for order, found in enumerate(figures):
        position = anchors.position(found.element, backward_only=found.bare)
        if position is not None:
            placed.append((position, order, found.block))
    captions = {_norm(_figure_text(f.block)) for f in figures}
    body = _merge([b for b in blocks if not _repeats_caption(b, captions)], blocks, placed)
    lead = None
    first = next((i for i, b in enumerate(body) if isinstance(b, (Figure, Paragraph))), None)
    if first is not None and isinstance(body[first], Figure):
        lead = body.pop(first)  # the photo shown before the text starts
    elif meta.image and not is_placeholder(meta.image) and not _GENERIC_IMAGE.search(
            PurePosixPath(urlsplit(meta.image).path).name):
        in_body = {id(f) for _, _, f in placed}
        lead = _og_lead(resolve_url(meta.image, base), meta.image_alt, figures, in_body)
    else:  # no share image: the first photo shown before the text (a bare hero <img>)
        in_body = {id(f) for _, _, f in placed}
        lead = next((f.block for f in figures if isinstance(f.block, Figure)
                     and id(f.block) not in in_body and anchors.before_text(f.element)), None)
    return body, lead


_KICKER_WORDS = 4


def kicker_above_headline(root: _Element) -> str | None:
    """A section label printed just above the article's headline ("Transport"): the
    element before the first <h1> (or before its wrapper, when the h1 opens one) when
    it holds a few words and no sentence."""
    headline = next(iter(root.iter("h1")), None)
    node = headline
    while node is not None and node.getprevious() is None and node.getparent() is not None \
            and node.getparent().tag not in ("body", "article", "main"):
        node = node.getparent()
    previous = node.getprevious() if node is not None else None
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is None or previous.tag in ("img", "figure", "picture", "nav", "ul", "ol"):
        return None
    text = " ".join(" ".join(previous.itertext()).split())
    if not text or len(text.split()) > _KICKER_WORDS or len(text) > 40 or text[-1] in ".!?:":
        return None
    return text


def _is_text(block: Block, text: str) -> bool:
    return isinstance(block, (Paragraph, Heading)) and _norm(to_text(block.text)) == _norm(text)


class _TextAnchors:
    """Finds a figure's place by the body paragraphs printed just before or after it."""

    def __init__(self, root: _Element, blocks: list[Block], figures: list[FoundFigure]) -> None:
        containers = {f.element for f in figures}
        inside = {el for f in figures for el in f.element.iter()}
        self.body_index: dict[str, int] = {}
        for i, block in enumerate(blocks):
            for text in _texts(block):
                self.body_index.setdefault(_key(text), i)
        self.order: dict[_Element, int] = {}
        self.events: list[tuple[int, str]] = []  # (page order, key) of each text block
        for i, el in enumerate(root.iter()):
            if el in containers:
                self.order[el] = i
            elif el.tag in _TEXT_TAGS and el not in inside:
                key = _key(" ".join(el.itertext()))
                if key:
                    self.events.append((i, key))
        self.positions = [o for o, _ in self.events]

    def before_text(self, element: _Element) -> bool:
        """Whether the element comes before every body text block on the page."""
        first = next((o for o, key in self.events if key in self.body_index), None)
        return first is not None and self.order[element] < first

    def position(self, element: _Element, backward_only: bool = False) -> int | None:
        """Index of the body block the figure goes before, or None if not in the body."""
        at = bisect_left(self.positions, self.order[element])
        for _, key in reversed(self.events[max(0, at - _ANCHOR_REACH):at]):
            if key in self.body_index:
                return self.body_index[key] + 1
        if backward_only:
            return None
        for _, key in self.events[at:at + _ANCHOR_REACH]:
            if key in self.body_index:
                return self.body_index[key]
        return None


def _merge(kept: list[Block], blocks: list[Block],
           placed: list[tuple[int, int, Figure | Embed]]) -> list[Block]:
    """The kept blocks with each figure before its anchor block, in page order."""
    keep = {id(b) for b in kept}
    out: list[Block] = []
    for i in range(len(blocks) + 1):
        out.extend(f for at, _, f in sorted(placed, key=lambda p: p[1]) if at == i)
        if i < len(blocks) and id(blocks[i]) in keep:
            out.append(blocks[i])
    return out


def _og_lead(src: str, alt: str | None, figures: list[FoundFigure],
             in_body: set[int]) -> Figure | None:
    """The page's share image as lead, with its caption when the page shows it."""
    match = next((f.block for f in figures
                  if isinstance(f.block, Figure) and _same_image(src, f.urls)), None)
    if match is not None and id(match) in in_body:
        return None  # the body already shows it
    return match or Figure(image=Image(src=src, alt=alt or ""))


def _same_image(src: str, urls: Iterable[str]) -> bool:
    """Same URL, or same file name (pages serve one photo under several sizes/paths)."""
    name = PurePosixPath(urlsplit(src).path).name
    return any(src == u or (name and PurePosixPath(urlsplit(u).path).name == name) for u in urls)


def _standfirst(dek: str | None, description: str | None, body: list[Block]) -> list[str]:
    """The dek printed under the headline, else the page's summary unless it is only a
    cut-off copy of the opening paragraph."""
    if dek:
        return [dek]
    if not description or description.rstrip().endswith(("...", "…")):
        return []
    first = next((to_text(b.text) for b in body if isinstance(b, Paragraph)), "")
    if _norm(description)[:60] and _norm(first).startswith(_norm(description)[:60]):
        return []
    return [description]


def _repeats(block: Block, standfirst: list[str]) -> bool:
    """A body paragraph that is the dek again (the extractor took it for the opening)."""
    return isinstance(block, Paragraph) and bool(standfirst) and \
        _norm(to_text(block.text)) == _norm(standfirst[0])


def _figure_text(block: Figure | Embed) -> str:
    credit = block.credit if isinstance(block, Figure) else None
    return " ".join(to_text(x) for x in (block.caption or "", credit or "") if x)


def _repeats_caption(block: Block, captions: set[str]) -> bool:
    """A paragraph, or a layout table's text, that only repeats a figure's caption (the
    extractor kept it as text)."""
    if isinstance(block, Table):
        words = set(_norm(" ".join(to_text(c) for row in [block.header, *block.rows]
                                   for c in row)).split()) - _CREDIT_WORDS
        return bool(words) and any(words <= set(c.split()) for c in captions if c)
    if not isinstance(block, Paragraph):
        return False
    text = _norm(to_text(block.text))
    return len(text) >= 12 and any(text == c or (len(text) >= 30 and text in c)
                                   for c in captions if c)


def _texts(block: Block) -> list[str]:
    if isinstance(block, (Paragraph, Heading, Quote)):
        return [to_text(block.text)]
    if isinstance(block, ListBlock):
        return [to_text(i) for i in block.items]
    return []


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _key(text: str) -> str:
    """First words of a text block: enough to recognise it, robust to markup changes."""
    return " ".join(re.findall(r"\w+", text.lower())[:12])


def _absolute(url: str | None) -> str | None:
    return url if url and re.match(r"https?://", url, re.I) else None
