"""Rendering one long PDF in parallel: the document split by article, merged with pypdf.

WeasyPrint lays a document out in one thread, so a 200-article briefing keeps one core
busy. Here the HTML is cut into a front part (cover, contents: everything before the
first article) and one part per worker, each a run of whole articles with the original
<head>. Parts are laid out at the same time in worker processes; what ties them back
into one document:

- Page numbers. WeasyPrint paginates a part completely before it lays out any margin
  box, so each worker reports its page count at that moment, waits for the counts of
  the parts before it, and shifts the `page` counter (and sets `pages` to the total)
  of every margin box it then lays out. Running heads are per article and stay right.
- Contents. Links in the front part to articles elsewhere resolve to invisible stubs
  that carry the target's final page number in an element counter named `page`, which
  `target-counter(attr(href), page)` prefers over the page's own. The front is laid out
  once with placeholders to learn its length, then again with the numbers.
- Links and outline. Named destinations come from the parts (the stubs' are dropped);
  the outline is rebuilt from every part's bookmarks by level, as WeasyPrint would.

What does not survive: the tag tree (PDF/UA structure) of each part, which pypdf does
not merge. The parallel path is therefore an option, off by default.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from .errors import BuildError
from .parallel import max_workers, run_all

PLACEHOLDER_PAGE = 888  # the contents' numbers while the front part's length is measured
WAIT_SECONDS = 600


@dataclass
class PartResult:
    pdf: Path
    pages: int
    bookmarks: list[tuple[int, int, str, float]]  # (page index, level, label, y)
    anchors: dict[str, int]  # id -> page index within the part


# -- splitting ---------------------------------------------------------------------------

def split_document(html: str, parts: int, article_xpath: str = "//article") -> tuple[str, list[str]]:
    """The front part and up to `parts` article parts, each a whole HTML document."""
    tree = lxml_html.document_fromstring(html)
    articles = tree.xpath(article_xpath)
    articles = [a for a in articles if not any(p in articles for p in a.iterancestors())]
    if not articles:
        return html, []
    weights = [len(a.text_content()) + 2000 * len(a.xpath(".//img")) for a in articles]
    starts = _balanced_starts(weights, max(1, min(parts, len(articles))))
    cut_nodes = [_cut_node(articles[i]) for i in starts]
    documents = []
    for k, start in enumerate([None, *cut_nodes]):
        end = cut_nodes[k] if k < len(cut_nodes) else None
        documents.append(_serialise(_extract(tree, start, end)))
    return documents[0], documents[1:]


def _balanced_starts(weights: list[int], parts: int) -> list[int]:
    total, starts, running = sum(weights), [0], 0
    for i, w in enumerate(weights):
        if len(starts) < parts and running >= total * len(starts) / parts and i > starts[-1]:
            starts.append(i)
        running += w
    return starts


def _cut_node(article: Any) -> Any:
    """Where a part starts: the article, or its section when it opens that section."""
    node = article
    while node.getparent() is not None and node.getparent().tag != "body":
        earlier = [s for s in node.itersiblings(preceding=True)
                   if isinstance(s.tag, str) and (s.tag == "article" or s.xpath(".//article"))]
        if earlier:
            break
        node = node.getparent()
    return node


def _path_to(node: Any) -> list[int]:
    path = []
    while node.getparent() is not None:
        path.append(node.getparent().index(node))
        node = node.getparent()
    return path[::-1]


def _extract(tree: Any, start: Any | None, end: Any | None) -> Any:
    """A copy of the document keeping only the nodes from `start` up to (not incl.) `end`."""
    doc = copy.deepcopy(tree)
    start_copy = _follow(doc, _path_to(start)) if start is not None else None
    end_copy = _follow(doc, _path_to(end)) if end is not None else None
    if end_copy is not None:
        node = end_copy
        while node.getparent() is not None and node.tag != "body":
            parent = node.getparent()
            for sibling in list(node.itersiblings()):
                parent.remove(sibling)
            if node is end_copy:
                parent.remove(node)
            node = parent
    if start_copy is not None:
        node = start_copy
        while node.getparent() is not None and node.tag != "body":
            parent = node.getparent()
            for sibling in list(node.itersiblings(preceding=True)):
                parent.remove(sibling)
            parent.text = None
            node = parent
    return doc


def _follow(doc: Any, path: list[int]) -> Any:
    node = doc
    for index in path:
        node = node[index]
    return node


def _serialise(doc: Any) -> str:
    return etree.tostring(doc, method="html", encoding="unicode", doctype="<!DOCTYPE html>")


def add_stubs(front_html: str, numbers: dict[str, int]) -> str:
    """Invisible targets in the front part carrying other parts' final page numbers."""
    tree = lxml_html.document_fromstring(front_html)
    body = tree.find("body")
    holder = etree.SubElement(body, "div", style="height: 0; margin: 0; padding: 0; overflow: hidden")
    for anchor, number in numbers.items():
        etree.SubElement(holder, "span", id=anchor, style=f"counter-reset: page {number}")
    return _serialise(tree)


def link_targets(front_html: str) -> list[str]:
    tree = lxml_html.document_fromstring(front_html)
    ids = set(tree.xpath("//@id"))
    return list(dict.fromkeys(h[1:] for h in tree.xpath("//a/@href")
                              if h.startswith("#") and len(h) > 1 and h[1:] not in ids))


# -- rendering ---------------------------------------------------------------------------

class _Board:
    """Counts and anchors the workers post for each other: one small file each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def post(self, name: str, value: Any) -> None:
        tmp = self.folder / f".{name}.tmp"
        tmp.write_text(json.dumps(value))
        os.replace(tmp, self.folder / name)

    def wait(self, name: str) -> Any:
        deadline = time.monotonic() + WAIT_SECONDS
        path = self.folder / name
        while not path.exists():
            if (self.folder / "failed").exists() or time.monotonic() > deadline:
                raise BuildError("pdf", "a parallel PDF part failed")
            time.sleep(0.005)
        return json.loads(path.read_text())


Strings = dict[str, str]  # named strings (CSS string-set) in effect: name -> value
Shift = Callable[[int, Strings], tuple[int, int, Strings]]


def _shifting_margin_boxes(shift: Shift) -> Callable[..., Any]:
    """WeasyPrint's margin-box layout with the page counter moved by the part's offset.

    `shift(pages, strings)` is called once, when the part is paginated: its own page
    count and the named strings in effect at its end are then known. It returns the
    part's page offset, the whole document's page count, and the named strings in
    effect where the part starts (set on its first page unless the part sets them
    there itself), so a running head set on the cover still shows in the last part.
    """
    import weasyprint.layout

    original = weasyprint.layout.make_margin_boxes
    known: list[Any] = []

    def margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if not known:
            own = {name: pages[max(pages)][-1] for name, pages in context.string_set.items()
                   if pages}
            known.extend(shift(state[1].get("pages", [0])[0], own))
            for name, value in known[2].items():
                if 1 not in context.string_set[name]:
                    context.string_set[name][1] = [value]
        offset, total, _ = known
        counters = {k: list(v) for k, v in state[1].items()}
        counters["page"] = [v + offset for v in counters.get("page", [0])]
        counters["pages"] = [total]
        return original(context, page, (state[0], counters, *state[2:]))

    return margin_boxes


def _render_with(html: str, render: Callable[[str], Any], shift: Shift) -> Any:
    import weasyprint.layout

    original = weasyprint.layout.make_margin_boxes
    weasyprint.layout.make_margin_boxes = _shifting_margin_boxes(shift)
    try:
        return render(html)
    finally:
        weasyprint.layout.make_margin_boxes = original


def _bookmarks(document: Any) -> list[tuple[int, int, str, float]]:
    return [(i, level, label, position[1]) for i, page in enumerate(document.pages)
            for level, label, position, _state in page.bookmarks]


def _render_part(index: int, count: int, html: str, render: Callable[[str], Any],
                 write: Callable[[Any, Path], None], board: _Board, out: Path) -> PartResult:
    """Lay out one article part; page numbers shifted once the earlier parts are counted."""
    offset = 0

    def shift(pages: int, own: Strings) -> tuple[int, int, Strings]:
        nonlocal offset
        board.post(f"pages-{index}", pages)
        counts = [board.wait("pages-front")] + [board.wait(f"pages-{i}") for i in range(count)]
        carried: Strings = {}
        for name in ["strings-front"] + [f"strings-{i}" for i in range(index)]:
            carried.update(board.wait(name))
        board.post(f"strings-{index}", {**carried, **own})
        offset = sum(counts[:index + 1])
        return offset, sum(counts), carried

    document = _render_with(html, render, shift)
    anchors: dict[str, int] = {}
    for i, page in enumerate(document.pages):  # a box split over pages is on each of them
        for name in page.anchors:
            anchors.setdefault(name, i)
    board.post(f"anchors-{index}", {"offset": offset, "anchors": anchors})
    path = out / f"part-{index}.pdf"
    write(document, path)
    return PartResult(path, len(document.pages), _bookmarks(document), anchors)


def _render_front(count: int, html: str, render: Callable[[str], Any],
                  write: Callable[[Any, Path], None], board: _Board, out: Path) -> PartResult:
    """Cover and contents: laid out with placeholder numbers to count its pages, then
    again with the articles' final page numbers."""
    targets = link_targets(html)

    def measure(pages: int, own: Strings) -> tuple[int, int, Strings]:
        board.post("strings-front", own)
        board.post("pages-front", pages)
        return 0, pages, {}

    first = _render_with(add_stubs(html, dict.fromkeys(targets, PLACEHOLDER_PAGE)), render, measure)
    numbers: dict[str, int] = {}
    for i in range(count):
        posted = board.wait(f"anchors-{i}")
        numbers.update({name: posted["offset"] + page + 1 for name, page in posted["anchors"].items()})
    total = len(first.pages) + sum(board.wait(f"pages-{i}") for i in range(count))
    stubbed = add_stubs(html, {t: numbers.get(t, 0) for t in targets})
    document = _render_with(stubbed, render, lambda pages, own: (0, total, {}))
    if len(document.pages) != len(first.pages):
        raise BuildError("pdf", "the contents changed length once numbered; use one process")
    path = out / "front.pdf"
    write(document, path)
    return PartResult(path, len(document.pages), _bookmarks(document), {})


def render_parallel(html: str, *, render: Callable[[str], Any], write: Callable[[Any, Path], None],
                    workers: int = 0, article_xpath: str = "//article") -> bytes:
    """The PDF of `html` rendered by `workers` processes (0: one per CPU).

    `render(html_string)` lays a document out (weasyprint.HTML(...).render(...) with the
    backend's base URL, fetcher, stylesheets and options); `write(document, path)`
    writes a rendered Document. Both run in worker processes. With fewer than two
    articles to share out, the document is rendered whole, here.
    """
    workers = workers or max_workers()
    front, parts = split_document(html, workers, article_xpath)
    with tempfile.TemporaryDirectory(prefix="exporter-pdf-") as folder:
        out = Path(folder)
        if len(parts) < 2:
            write(render(html), out / "whole.pdf")
            return (out / "whole.pdf").read_bytes()
        board = _Board(out)
        tasks = [("pdf-front", lambda: _render_front(len(parts), front, render, write, board, out))]
        tasks += [(f"pdf-part-{i}", lambda i=i, part=part: _render_part(i, len(parts), part, render,
                                                                         write, board, out))
                  for i, part in enumerate(parts)]
        try:
            results = run_all(tasks)
        except BaseException:
            (out / "failed").touch()
            raise
        return merge(results[0], results[1:])


def merge(front: PartResult, parts: list[PartResult]) -> bytes:
    """One PDF of the parts, front first: pages, named destinations, document info,
    language, and an outline rebuilt from all parts' bookmarks."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(part.pdf), import_outline=False)
    front_reader = PdfReader(front.pdf)
    writer.merge(0, front_reader, import_outline=False)  # last: the stubs' names lose
    root = front_reader.trailer["/Root"]
    for key in ("/Lang", "/ViewerPreferences"):
        if key in root:
            writer._root_object[NameObject(key)] = copy.copy(root[key])
    if front_reader.metadata:
        writer.add_metadata(dict(front_reader.metadata.items()))
    _outline(writer, front, parts)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _outline(writer: Any, front: PartResult, parts: list[PartResult]) -> None:
    """Bookmarks nested by level across parts, as WeasyPrint nests them in one document."""
    offset = front.pages
    stack: list[tuple[int, Any]] = []
    for part in [front, *parts]:
        start = 0 if part is front else offset
        for page, level, label, y in part.bookmarks:
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack else None
            item = writer.add_outline_item(title=label, page_number=start + page, parent=parent)
            stack.append((level, item))
        if part is not front:
            offset += part.pages
