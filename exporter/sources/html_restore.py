"""What trafilatura loses of a page's text, put back as the page shows it.

trafilatura reads every table as data, reads only paragraphs on a page without an
article container, and keeps one copy of consecutive equal paragraphs (it takes them
for its own duplicates). A layout table is made `<div>`s before it reads the page; a
list that a kept sentence introduces, and the second copy of a paragraph the page
prints twice, are put back among its blocks after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ..inline import to_text
from ..model import Block, ListBlock, Paragraph
from .html_dom import inline_markup, is_furniture, is_hidden

_DATA_TABLE_PARTS = ("th", "caption", "thead", "tfoot", "colgroup")
_PROSE = ("p", "ul", "ol", "dl", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre")
_LAYOUT_PROSE_WORDS = 30  # a photo's frame with its caption says less


def layout_tables_as_divs(root: etree._Element) -> None:
    """Each layout table (one that frames a page's text: `role="presentation"`, or one
    cell, row or column holding paragraphs and lists) made `<div>`s, in place, as a
    reader sees it. trafilatura reads every table as data: a list in a cell is lost and
    the cell's paragraphs come out as a one-cell table. A data table (header cells, a
    caption, a grid of several rows and columns) is left."""
    tables = {t: _TableParts() for t in root.iter("table")}
    if not tables:
        return
    for el in root.iter("tbody", "tr", "td", "table", *_DATA_TABLE_PARTS, *_PROSE):
        owner = _table_of(el)  # one walk up per element: pages nest hundreds of tables
        if owner is None:
            continue
        parts = tables[owner]
        if el.tag in ("tbody", "tr", "td"):
            parts.cells.append(el)
        elif el.tag == "table":
            parts.nested = True
        elif el.tag in _DATA_TABLE_PARTS:
            parts.data = True
        elif not _inside_prose(el, owner):
            parts.prose_words += len("".join(el.itertext()).split())
    for table, parts in tables.items():
        if _is_layout_table(table, parts):
            for el in [table, *parts.cells]:
                el.tag = "div"


@dataclass
class _TableParts:
    """A table's own rows and cells (not a nested table's), and what says data or prose."""

    cells: list[etree._Element] = field(default_factory=list)
    nested: bool = False
    data: bool = False
    prose_words: int = 0


def _table_of(el: etree._Element) -> etree._Element | None:
    return next(el.iterancestors("table"), None)


def _inside_prose(el: etree._Element, owner: etree._Element) -> bool:
    """Whether a paragraph or list is part of a larger one (a list in a quote) within
    its table: its words are counted with that one."""
    for ancestor in el.iterancestors():
        if ancestor is owner:
            return False
        if ancestor.tag in _PROSE:
            return True
    return False


def _is_layout_table(table: etree._Element, parts: _TableParts) -> bool:
    if table.get("role") in ("presentation", "none"):
        return True
    if table.get("summary") or parts.data:
        return False
    rows = [el for el in parts.cells if el.tag == "tr"]
    columns = max((sum(1 for c in row if c.tag == "td") for row in rows), default=0)
    return (len(rows) == 1 or columns == 1 or parts.nested) \
        and parts.prose_words >= _LAYOUT_PROSE_WORDS


def _paragraph_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


# trafilatura drops a paragraph that repeats the one before it when longer than this
# (its own duplicates of overlapping candidates); shorter repeats it keeps.
_REPEAT_CHARS = 50
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def repeated_paragraphs(root: etree._Element) -> dict[str, int]:
    """How many times each paragraph that a container prints more than once, the same
    way, is printed there: {words of the paragraph: count}. Hidden copies are left out,
    and so are copies of another class (a phone's and a desktop's version of one
    summary, one of them hidden by the stylesheet)."""
    counts: dict[str, int] = {}
    for parent in root.iter():
        seen: dict[tuple[str, str], int] = {}
        for child in parent.iterchildren("p"):
            key = _paragraph_key("".join(child.itertext()))
            if len(key) > _REPEAT_CHARS and not is_hidden(child) \
                    and not _HIDDEN_STYLE.search(child.get("style") or ""):
                printed = (key, child.get("class") or "")
                seen[printed] = seen.get(printed, 0) + 1
        for (key, _), n in seen.items():
            if n > 1 and n > counts.get(key, 0):
                counts[key] = n
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
