"""Running heads and page numbers stamped onto article parts typeset without them.

An article part typeset with its page numbers depends on its place in the document (its
first page, the total, the running heads carried into it), so every part had to wait for
every other part's count, and an edit that moved the page numbers typeset every later
article again. Here a part is typeset with its margin boxes left empty, and what they
would show is recorded per page (`PageRecord`): the named strings set on it (CSS
`string-set`) and its page counter. Once every count is known, a margins-only document
per run of parts (`margins_document`) is typeset by WeasyPrint with the same stylesheet:
one empty page per article page whose margin boxes see the recorded strings, the strings
in effect before (carried from earlier parts) and the page's number in the whole
document. The merge draws each of its pages over its article page (`overlay`), marked as
an artifact: the tag tree stays the article's.

Page geometry does not depend on margin boxes (CSS paged media lays them out in the page
margins after the page's content), so a part typeset without them has the same pages.
"""

from __future__ import annotations

import contextlib
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

Strings = dict[str, str]  # named strings (CSS string-set) in effect: name -> value
# The margins document's own page background and canvas are not drawn: its pages are
# laid over the article pages, whose background is already there.
NO_BACKGROUND = ("<style>@page { background: none !important }"
                 " html, body { background: none !important }</style>")


@dataclass(frozen=True)
class PageRecord:
    """What one page's margin boxes need from its part: its page counter (before the
    part's offset), its page name (CSS `page`), the strings set on it, in order."""

    number: int
    name: str
    strings: dict[str, list[str]]

    def json(self) -> list[Any]:
        return [self.number, self.name, self.strings]

    @classmethod
    def of(cls, data: list[Any]) -> PageRecord:
        return cls(data[0], data[1], data[2])


def recording_margin_boxes(record: list[PageRecord]) -> Callable[..., Any]:
    """WeasyPrint's margin-box step that lays out no box and records the page instead.

    It runs once per page after the whole part is paginated, when the strings of every
    page are collected (`context.string_set`: name -> page number -> values)."""

    def margin_boxes(context: Any, page: Any, state: Any) -> list[Any]:
        number = context.current_page
        strings = {name: list(pages[number]) for name, pages in context.string_set.items()
                   if pages.get(number)}
        record.append(PageRecord(state[1].get("page", [number])[0], page.page_type.name or "",
                                 strings))
        return []

    return margin_boxes


def left_set(record: list[PageRecord], carried: Strings) -> Strings:
    """The strings in effect after a part's last page: those carried in, updated by its own."""
    strings = dict(carried)
    for page in record:
        strings.update({name: values[-1] for name, values in page.strings.items()})
    return strings


@dataclass(frozen=True)
class MarginPage:
    """A page of a margins document: its number and the document's page count, the
    strings in effect before it and those set on it."""

    number: int
    total: int
    before: Strings
    strings: dict[str, list[str]]


def margin_pages(record: list[PageRecord], offset: int, total: int,
                 carried: Strings) -> list[MarginPage]:
    """A part's pages as its margins document shows them, the part starting after `offset`
    pages with the strings `carried` in effect."""
    pages, before = [], dict(carried)
    for page in record:
        pages.append(MarginPage(offset + page.number, total, dict(before), page.strings))
        before.update({name: values[-1] for name, values in page.strings.items()})
    return pages


def lead_pages(offset: int) -> int:
    """Blank pages before a margins document's first page (not stamped): its pages are
    then never `:first` and take the left or right side of the pages they stamp (page
    `offset + 1` of the whole document), as in the document typeset whole."""
    return 2 if offset % 2 == 0 else 1


def margins_document(part_html: str, names: list[str], lead: int) -> str:
    """An empty page per article page (`names`: each one's page name) after `lead`
    blank ones, in a document with the part's <html>, <head> and <body> attributes (its
    language and direction: a running head is set as in the part)."""
    tree = lxml_html.document_fromstring(part_html)
    body = tree.find("body")
    for child in list(body):
        body.remove(child)
    body.text = None
    head = tree.find("head")
    if head is None:
        head = etree.Element("head")
        tree.insert(0, head)
    head.append(lxml_html.fragment_fromstring(NO_BACKGROUND))
    for i in range(lead):
        etree.SubElement(body, "div", style="break-before: page" if i else "")
    for name in names:
        etree.SubElement(body, "div", style=f"break-before: page; page: {name or 'auto'}")
    return etree.tostring(tree, method="html", encoding="unicode", doctype="<!DOCTYPE html>")


def stamping_margin_boxes(pages: list[MarginPage | None],
                          original: Callable[..., Any]) -> Callable[..., Any]:
    """WeasyPrint's margin-box step for a margins document: page `i` (1-based) shows the
    margins of `pages[i - 1]` (None: a lead page, left blank)."""

    def margin_boxes(context: Any, page: Any, state: Any) -> list[Any]:
        target = pages[context.current_page - 1]
        if target is None:
            return []
        counters = {k: list(v) for k, v in state[1].items()}
        counters["page"], counters["pages"] = [target.number], [target.total]
        # `string()` reads the strings of the current page, else the last one set on an
        # earlier page: page 2 here, whose page 1 set what was in effect before
        strings: Any = defaultdict(lambda: defaultdict(list))
        for name, value in target.before.items():
            strings[name][1] = [value]
        for name, values in target.strings.items():
            strings[name][2] = list(values)
        saved = context.string_set, context.current_page
        context.string_set, context.current_page = strings, 2
        try:
            return list(original(context, page, (state[0], counters, *state[2:])))
        finally:
            context.string_set, context.current_page = saved

    return margin_boxes


def stamp_parts(pdf: Any, stack: contextlib.ExitStack, offset: int, counts: list[int],
                margins: list[tuple[Path, int]]) -> None:
    """Each part's pages (`counts` of them, after `offset` pages) with their margins drawn
    over them: per part, its margins document and the page stamped on its first page."""
    import pikepdf

    opened: dict[Path, Any] = {}
    pages = pdf.pages
    for count, (path, first) in zip(counts, margins):
        if path not in opened:
            opened[path] = stack.enter_context(pikepdf.open(path))
        for i in range(count):
            overlay(pdf, pages[offset + i], opened[path], opened[path].pages[first + i])
        offset += count


def overlay(pdf: Any, page: Any, source: Any, margins: Any) -> None:
    """Draw the margins page `margins` (of `source`, another pikepdf.Pdf) over `page` of
    `pdf`.

    Its operations are appended to the page's content stream, after the page's own
    graphics state is restored, and marked `/Artifact`; its own marked content (the
    margins document's tags, which no tag tree here points at) is dropped. Its resources
    join the page's under the same names (WeasyPrint names a font by its face, a
    transparency by its value), renamed where a name means another thing on the page.
    Appended, not drawn as a form: a form and its resources cost a page 300 bytes.
    """
    import pikepdf

    renamed = _join_resources(pdf, page, source, margins)
    operations = []
    for operands, operator in pikepdf.parse_content_stream(margins):
        if str(operator) in _MARKS:
            continue
        operations.append(([renamed.get(o, o) if isinstance(o, pikepdf.Name) else o
                            for o in operands], operator))
    page.contents_coalesce()
    content = page.obj.Contents
    data = (b"q\n" + content.read_bytes() + b"\nQ\n/Artifact BMC\nq\n"
            + pikepdf.unparse_content_stream(operations) + b"\nQ\nEMC\n")
    content.write(zlib.compress(data), filter=pikepdf.Name.FlateDecode)


_MARKS = {"BDC", "BMC", "EMC", "MP", "DP"}  # marked-content operators
_KINDS = ("/Font", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/XObject")


def _join_resources(pdf: Any, page: Any, source: Any, margins: Any) -> dict[Any, Any]:
    """The margins page's resources added to the page's; names renamed, old to new."""
    import pikepdf

    renamed: dict[Any, Any] = {}
    theirs = margins.obj.get("/Resources") or pikepdf.Dictionary()
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    ours = page.obj.Resources
    for kind in _KINDS:
        for name, value in (theirs.get(kind) or pikepdf.Dictionary()).items():
            if kind not in ours:
                ours[kind] = pikepdf.Dictionary()
            copied = pdf.copy_foreign(value if value.is_indirect else source.make_indirect(value))
            key = name
            while key in ours[kind] and not _same(ours[kind][key], copied):
                key = key + "m"
            if key not in ours[kind]:
                ours[kind][key] = copied
            if key != name:
                renamed[pikepdf.Name(name)] = pikepdf.Name(key)
    return renamed


def _same(ours: Any, copied: Any) -> bool:
    """Whether a page's resource is the margins' one (copied here): the same object, or
    an equal value that is no stream nor font (a face shown by the margins is joined
    with the page's by fonts.merge_fonts, which gathers the glyphs of both)."""
    import pikepdf

    if ours.is_indirect:
        return bool(ours.objgen == copied.objgen)
    if isinstance(copied, pikepdf.Stream) or (isinstance(copied, pikepdf.Dictionary)
                                              and "/BaseFont" in copied):
        return False
    return bool(ours.unparse(resolved=True) == copied.unparse(resolved=True))
