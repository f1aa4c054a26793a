"""A page's article text, found by trafilatura and mapped from its XML onto model blocks.

trafilatura finds the main text well but drops captions, so it is asked for text only;
figures are read from the page by html_figures and placed among these blocks.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

import trafilatura
from lxml import etree

from ..inline import clean_inline, to_text
from ..model import Block, Heading, ListBlock, Paragraph, Quote, Table
from .html_dom import tokens_of
from .html_restore import (layout_tables_as_divs, repeated_paragraphs, with_introduced_lists,
                           with_repeats)


_INLINE = {"#b": "strong", "#i": "em", "#t": "code", "#sup": "sup", "#sub": "sub"}
_GLUED = re.compile(r"[A-Za-z0-9\u00c0-\u024f][A-Za-z\u00c0-\u024f]")  # Latin only: CJK has no spaces
_BLOCKS = frozenset({"p", "head", "item", "list", "quote", "cell", "row", "div"})
_CONTAINERS = frozenset({"div", "figure", "main", "ref"})


def extract_body(root: etree._Element, base_url: str | None) -> list[Block]:
    """Blocks of the main text of a page's tree (prepared by `loose_text_as_paragraphs`),
    in reading order ([] if none found)."""
    # favor_precision: F1 .975 against .965 by default on the benchmark's pages.
    # include_images would cost a point (it changes what is taken as the article):
    # figures come from our own reading of the page instead.
    keep_text_after_empty_inlines(root)
    drop_layout_marks(root)
    section_headers_as_divs(root)
    layout_tables_as_divs(root)
    repeated = repeated_paragraphs(root)
    page = etree.tostring(root, encoding="unicode", method="html")
    options = dict(output_format="xml", include_images=False, include_tables=True,
                   include_formatting=True, include_links=True, include_comments=False,
                   with_metadata=False, deduplicate=False)
    # A page whose whole text is a line or two (no paragraph markup) has nothing the
    # precise setting accepts; the recall setting then reads it.
    xml = trafilatura.extract(page, favor_precision=True, **options) or \
        trafilatura.extract(page, favor_recall=True, **options)
    if not xml:
        return []
    main = etree.fromstring(xml.encode("utf-8")).find("main")
    if main is None:
        return []
    loose = clean_inline(html.escape(main.text or "", quote=False))  # text in no element
    blocks = ([Paragraph(text=loose)] if to_text(loose).strip() else []) + \
        _Mapper(base_url).children(main)
    return with_introduced_lists(with_repeats(blocks, repeated), root)


# Elements that start a block of their own; text between them is a paragraph's.
_BLOCK_TAGS = frozenset({"p", "div", "section", "article", "ul", "ol", "li", "dl", "table",
                         "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure",
                         "figcaption", "dd", "dt", "hgroup", "dialog", "canvas", "object", "embed",
                         "form", "header", "footer", "nav", "aside", "main", "hr", "iframe",
                         "video", "audio", "picture", "img", "address", "details", "fieldset",
                         "script", "style", "noscript", "template", "svg", "button", "select",
                         "center", "menu", "legend", "textarea"})
_HOLDERS = ("div", "section", "article", "main", "body", "td")
_MIN_LOOSE_WORDS = 8
_CAPTION_CLASS = re.compile(r"caption|credit|copyright", re.I)


def loose_text_as_paragraphs(root: etree._Element) -> None:
    """Text a designer wrote outside paragraph tags made a `<p>`, in place: a `<div>`
    used as a paragraph (text of its own, no block inside), and a run of text between
    blocks ("</p> , there are two solutions to <span>…</span> …"), as Readability
    does. trafilatura's precise setting reads paragraph markup only, and figures are
    placed by the paragraph before them."""
    for holder in list(root.iter(*_HOLDERS)):
        if not any(_is_block(d) for d in holder.iterdescendants()):
            if holder.tag == "div" and _words(holder.text) >= _MIN_LOOSE_WORDS:
                holder.tag = "p"
        else:
            _wrap_runs(holder)


_INLINES = ("b", "i", "em", "strong", "span", "q")


def keep_text_after_empty_inlines(root: etree._Element) -> None:
    """The rest of a sentence after an empty inline element ("Work starts in May<span
    id="p2"></span> and ends in June", an icon's `<i>`) moved in front of it, in place.
    trafilatura's precise setting deletes such elements with the text that follows
    them, cutting the paragraph short; moved, the text reads the same."""
    for el in list(root.iter(*_INLINES)):
        if el.tail and not "".join(el.itertext()).strip():
            before = el.getprevious()
            if before is not None:
                before.tail = (before.tail or "") + el.tail
            else:
                parent = el.getparent()
                parent.text = (parent.text or "") + el.tail
            el.tail = None


# Layout that says nothing about whether a block is the article's: a border, clipped
# overflow ("overflow: hidden" clears floats), and print-only hiding (shown on screen).
_LAYOUT_STYLE = re.compile(r"(?:^|;)\s*(?:border|overflow)[\w-]*\s*:[^;]*", re.I)
_PRINT_ONLY = re.compile(r"^(?:hidden-print|hide-print|hide-for-print|no-?print|d-print-none|"
                         r"print-hidden|not-?print(?:able)?)$", re.I)


def drop_layout_marks(root: etree._Element) -> None:
    """Inline `border` and `overflow` declarations and print-only class names taken off,
    in place. trafilatura's cleaning drops every block whose style mentions a border or
    "hidden" (as in "overflow: hidden") and every block hidden when printed, so a
    paragraph pasted with "border: 0px" or an article part in a float-clearing wrapper
    was lost."""
    for el in root.xpath("//*[contains(@style, 'border') or contains(@style, 'overflow')]"):
        el.set("style", _LAYOUT_STYLE.sub("", el.get("style", "")).lstrip(" ;"))
    for el in root.xpath("//*[contains(@class, 'print')]"):
        el.set("class", " ".join(t for t in el.get("class", "").split() if not _PRINT_ONLY.match(t)))


def section_headers_as_divs(root: etree._Element) -> None:
    """The `<header>` of a section inside the article (its subheading, say) made a
    `<div>`, in place: trafilatura's precise setting deletes every `<header>`, the
    site's and the article's own parts alike. The article's header, with the headline,
    is left: its summary is read as the standfirst, its byline as the authors."""
    for header in list(root.iter("header")):
        if header.find(".//h1") is None and any(
                a.tag in ("article", "main", "section") for a in header.iterancestors()):
            header.tag = "div"


def _is_block(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and el.tag in _BLOCK_TAGS


def _is_caption(el: etree._Element) -> bool:
    """A caption or credit printed beside a photo's wrapper: found there by html_figures."""
    return el.get("role") == "caption" or bool(_CAPTION_CLASS.search(tokens_of(el)))


def _words(text: str | None) -> int:
    return len((text or "").split())


def _wrap_runs(holder: etree._Element) -> None:
    """Each run of text and inline elements between the holder's blocks that says
    enough to be a paragraph, wrapped in a `<p>`."""
    runs: list[tuple[etree._Element | None, list[etree._Element]]] = [(None, [])]
    for child in holder:
        if _is_block(child) or any(_is_block(d) for d in child.iterdescendants()):
            runs.append((child, []))  # a block, or an inline element holding one (<a><div>)
        else:
            runs[-1][1].append(child)
    for before, inline in runs:
        lead = holder.text if before is None else before.tail
        text = " ".join([lead or "", *("".join(e.itertext()) + (e.tail or "") for e in inline
                                       if isinstance(e.tag, str))])
        if _words(text) < _MIN_LOOSE_WORDS or any(_is_caption(e) for e in inline):
            continue
        paragraph = etree.Element("p")
        paragraph.text = lead
        if before is None:
            holder.text = None
            holder.insert(0, paragraph)
        else:
            before.tail = None
            before.addnext(paragraph)
        paragraph.extend(inline)


_MATH_OPEN = re.compile(r"<math\b[^<>]*>", re.I)
_MATH_CLOSE = re.compile(r"</math\s*>", re.I)
_ANNOTATION = re.compile(r"<annotation(?:-xml)?\b[^<>]*>.*?</annotation(?:-xml)?\s*>", re.I | re.S)
_TAG = re.compile(r"<[^<>]*>")
def math_as_text(page: str) -> str:
    """The page with each MathML formula as a span of its symbols ("x = − b ± …"):
    trafilatura drops `<math>` with its text, and a formula inside a paragraph cuts
    the sentence short. Its TeX annotation, a second copy, is left out."""
    if "<math" not in page and "<MATH" not in page:
        return page
    out: list[str] = []
    at = 0
    while (opening := _MATH_OPEN.search(page, at)) is not None:
        closing = _MATH_CLOSE.search(page, opening.end())
        if closing is None:
            break
        formula = _TAG.sub(" ", _ANNOTATION.sub(" ", page[opening.end():closing.start()]))
        out += [page[at:opening.start()], f"<span>{' '.join(formula.split())}</span>"]
        at = closing.end()
    return "".join(out) + page[at:]


def _glued(child: etree._Element) -> bool:
    """Whether a link's or styled run's last word would run into the next word:
    trafilatura drops the space after a link's text, and the space alone between two
    styled runs ("<em>is currently</em> <em>streaming</em>"); a styled run followed by
    text ("<b>W</b>ord", a drop cap) is asked about only for links."""
    after = child.tail or ""
    if not after:
        following = child.getnext()
        after = "".join(following.itertext())[:1] if following is not None else ""
    return bool(_GLUED.match("".join(child.itertext())[-1:] + after[:1]))


class _Mapper:
    """Walks trafilatura's XML; links are resolved against the page's address."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.text_started = False  # an <h1> before any paragraph is the page's headline

    def children(self, parent: etree._Element) -> list[Block]:
        pieces: list[Block] = []
        for child in parent:
            pieces.extend(self.element(child))
        return pieces

    def element(self, el: etree._Element) -> list[Block]:
        tag = el.tag
        if tag == "head":
            if el.get("rend") == "h1" and not self.text_started:
                return []
            text = self.inline(el)
            rend = (el.get("rend") or "h2").lstrip("h")
            level = int(rend) if rend.isdigit() else 2  # clamped to 2-4 by the model
            return [Heading(level=level, text=text)] if to_text(text).strip() else []
        if tag == "list":
            items = [t for t in (self.inline(i) for i in el.iterchildren("item"))
                     if to_text(t).strip()]
            return [ListBlock(ordered=el.get("rend") == "ol", items=items)] if items else []
        if tag == "quote":
            text = "<br>".join(p for p in self.quote_lines(el) if to_text(p).strip())
            return [Quote(text=text)] if to_text(text).strip() else []
        if tag == "table":
            return self.table(el)
        if tag in _CONTAINERS:
            return self.children(el)
        text = self.inline(el)
        self.text_started = self.text_started or bool(to_text(text).strip())
        return [Paragraph(text=text)] if to_text(text).strip() else []

    def quote_lines(self, el: etree._Element) -> list[str]:
        """A quotation's lines: each paragraph, and each item of a list it holds ("The
        foundation pledges to: <ul>…</ul>") as a bulleted line."""
        if (el.text or "").strip() and el.find("list") is not None:
            return [self.inline(el)]  # its own text runs into the list: one line
        lines: list[str] = []
        for child in el.iterchildren("p", "head", "list"):
            if child.tag == "list":
                lines.extend(f"• {self.inline(i)}" for i in child.iterchildren("item"))
            else:
                lines.append(self.inline(child))
        return lines or [self.inline(el)]

    def table(self, el: etree._Element) -> list[Block]:
        header: list[str] = []
        rows: list[list[str]] = []
        for row in el.iter("row"):
            cells = [self.inline(c) for c in row.iterchildren("cell")]
            if not header and not rows and all(c.get("role") == "head"
                                               for c in row.iterchildren("cell")):
                header = cells
            elif any(to_text(c).strip() for c in cells):
                rows.append(cells)
        return [Table(header=header, rows=rows)] if rows or header else []

    def inline(self, el: etree._Element) -> str:
        """Inline markup of an element's content; nested blocks become plain text."""
        return clean_inline(self._markup(el))

    def _markup(self, el: etree._Element) -> str:
        # Not cleaned per element: stripping each link's text would glue words together
        # ("<ref>Bloomberg reported </ref>WeWork").
        out = [html.escape(el.text or "", quote=False)]
        for child in el:
            if child.tag == "lb":
                out.append("<br>")
            elif child.tag == "hi" and el.get("rend") != child.get("rend") \
                    and child.get("rend") in _INLINE:
                tag = _INLINE[child.get("rend")]
                out.append(f"<{tag}>{self._markup(child)}</{tag}>")
                out.append(" " if not child.tail and _glued(child) else "")
            elif child.tag == "ref" and child.get("target"):
                href = urljoin(self.base_url or "", child.get("target", ""))
                out.append(f'<a href="{html.escape(href)}">{self._markup(child)}</a>')
                out.append(" " if _glued(child) else "")
            else:
                out.append(f" {self._markup(child)} " if child.tag in _BLOCKS else
                           self._markup(child))
            out.append(html.escape(child.tail or "", quote=False))
        return "".join(out)
