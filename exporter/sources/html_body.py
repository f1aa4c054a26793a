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
from .html_dom import inline_markup, is_furniture, is_hidden, tokens_of


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


# trafilatura drops a paragraph that repeats the one before it when longer than this
# (its own duplicates of overlapping candidates); shorter repeats it keeps.
_REPEAT_CHARS = 50
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _paragraph_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def introduced_lists(root: etree._Element) -> dict[str, etree._Element]:
    """Lists that a paragraph ending in a colon introduces ("The replies fell into
    these groups:" then `<ul>`), by the words of that paragraph."""
    found: dict[str, etree._Element] = {}
    for items in root.iter("ul", "ol"):
        if next(items.iterancestors("ul", "ol", "li"), None) is not None or is_furniture(items):
            continue
        before = items.getprevious()
        while before is not None and (not isinstance(before.tag, str) or (
                before.tag == "p" and not "".join(before.itertext()).strip())):
            before = before.getprevious()  # an empty paragraph spacing the two
        if before is not None and before.tag == "p" and \
                "".join(before.itertext()).strip().endswith(":"):
            found.setdefault(_paragraph_key("".join(before.itertext())), items)
    return found


def with_introduced_lists(blocks: list[Block], root: etree._Element) -> list[Block]:
    """The blocks with each list that a kept paragraph introduces with a colon, after
    it: trafilatura's reading of a page without an article container takes paragraphs
    only, and left the sentence announcing a list hanging."""
    lists = introduced_lists(root)
    if not lists:
        return blocks
    shown = {_paragraph_key(to_text(t)) for b in blocks if isinstance(b, ListBlock) for t in b.items}
    out: list[Block] = []
    for i, block in enumerate(blocks):
        out.append(block)
        items = lists.get(_paragraph_key(to_text(block.text))) \
            if isinstance(block, Paragraph) else None
        if items is None or (i + 1 < len(blocks) and isinstance(blocks[i + 1], ListBlock)):
            continue
        texts = [inline_markup(li, set()) for li in items.iter("li")
                 if next(li.iterancestors("li"), None) is None]
        texts = [t for t in texts if to_text(t).strip()]
        if texts and _paragraph_key(to_text(texts[0])) not in shown:
            out.append(ListBlock(ordered=items.tag == "ol", items=texts))
    return out


def repeated_paragraphs(root: etree._Element) -> dict[str, int]:
    """How many times each paragraph that a container prints more than once is printed
    there: {words of the paragraph: count}, hidden copies left out."""
    counts: dict[str, int] = {}
    for parent in root.iter():
        seen: dict[str, int] = {}
        for child in parent.iterchildren("p"):
            key = _paragraph_key("".join(child.itertext()))
            if len(key) > _REPEAT_CHARS and not is_hidden(child) \
                    and not _HIDDEN_STYLE.search(child.get("style") or ""):
                seen[key] = seen.get(key, 0) + 1
        counts.update({k: n for k, n in seen.items() if n > 1 and n > counts.get(k, 0)})
    return counts


def with_repeats(blocks: list[Block], repeated: dict[str, int]) -> list[Block]:
    """The blocks with a paragraph the page prints several times in one container
    (a refrain, a repeated line) printed as often: trafilatura keeps one copy of
    consecutive equal paragraphs, as it takes them for its own duplicates."""
    if not repeated:
        return blocks
    counts: dict[str, int] = {}
    for block in blocks:
        if isinstance(block, Paragraph):
            key = _paragraph_key(to_text(block.text))
            counts[key] = counts.get(key, 0) + 1
    out: list[Block] = []
    for block in blocks:
        out.append(block)
        key = _paragraph_key(to_text(block.text)) if isinstance(block, Paragraph) else ""
        missing = repeated.get(key, 0) - counts.get(key, 0)
        if missing > 0:
            out.extend(Paragraph(text=block.text) for _ in range(missing))
            counts[key] += missing
    return out


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


_DATA_TABLE_PARTS = ("th", "caption", "thead", "tfoot", "colgroup")
_PROSE = ("p", "ul", "ol", "dl", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre")
_LAYOUT_PROSE_WORDS = 30  # a photo's frame with its caption says less


def layout_tables_as_divs(root: etree._Element) -> None:
    """Each layout table (one that frames a page's text: `role="presentation"`, or one
    cell, row or column holding paragraphs and lists) made `<div>`s, in place, as a
    reader sees it. trafilatura reads every table as data: a list in a cell is lost and
    the cell's paragraphs come out as a one-cell table. A data table (header cells, a
    caption, a grid of several rows and columns) is left."""
    for table in list(root.iter("table")):
        parts = [el for el in table.iter("tbody", "tr", "td") if _table_of(el) is table]
        if _is_layout_table(table, parts):
            for el in [table, *parts]:
                el.tag = "div"


def _table_of(el: etree._Element) -> etree._Element | None:
    return next(el.iterancestors("table"), None)


def _is_layout_table(table: etree._Element, parts: list[etree._Element]) -> bool:
    if table.get("role") in ("presentation", "none"):
        return True
    if table.get("summary") or any(_table_of(el) is table for el in table.iter(*_DATA_TABLE_PARTS)):
        return False
    rows = [el for el in parts if el.tag == "tr"]
    columns = max((sum(1 for c in row if c.tag == "td") for row in rows), default=0)
    nested = any(_table_of(t) is table for t in table.iter("table") if t is not table)
    prose = sum(len("".join(el.itertext()).split()) for el in table.iter(*_PROSE)
                if not any(a.tag in _PROSE for a in el.iterancestors()) and _table_of(el) is table)
    return (len(rows) == 1 or columns == 1 or nested) and prose >= _LAYOUT_PROSE_WORDS


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
