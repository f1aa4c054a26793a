"""Rendering one long PDF in parallel: the document split by article, merged by qpdf.

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

- Tags. Appending pages does not bring the structure tree: `merge_structure` joins the
  parts' trees under one Document element and renumbers the parent tree, so the
  merged PDF has the same tag tree as the one rendered whole (tests compare them).

- Size. The parts subset each font to the glyphs all of them use (fonts.py), so the
  merged file embeds each face once, with one font dictionary; qpdf writes only what is
  still referenced and packs the small objects into object streams.

- Margins. Parts typeset for the build cache (parts.py) leave their margin boxes empty;
  the merge draws their running heads and page numbers over them from margins-only
  documents (stamp.py), as artifacts.

- Memory. The merge (pikepdf, qpdf) keeps the parts' objects in C++ and reads their
  streams from the part files only while writing the result, once: a 200-article
  briefing merges in little more than its object table.

Not kept: PDF/A output intents (a PDF/A variant is typeset by one process). WeasyPrint's
warnings in worker processes are not collected. The parallel path is an option.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from ...errors import BuildError
from ...parallel import max_workers, run_all
from .fonts import merge_fonts, shared_subsets
from .stamp import Strings, stamp_parts

PLACEHOLDER_PAGE = 888  # the contents' numbers while the front part's length is measured
WAIT_SECONDS = 600


@dataclass
class PartResult:
    pdf: Path
    pages: int
    bookmarks: list[tuple[int, int, str, float]]  # (page index, level, label, y)
    anchors: dict[str, int]  # id -> page index within the part
    messages: list[str] = field(default_factory=list)  # collect()'s, from the worker
    record: list[Any] = field(default_factory=list)  # stamp.PageRecord per page: margins left empty


# -- splitting ---------------------------------------------------------------------------

def split_document(html: str, parts: int, article_xpath: str = "//article") -> tuple[str, list[str]]:
    """The front part and up to `parts` article parts (0: one per article), each a whole
    HTML document."""
    tree = lxml_html.document_fromstring(html)
    articles = tree.xpath(article_xpath)
    articles = [a for a in articles if not any(p in articles for p in a.iterancestors())]
    if not articles:
        return html, []
    if parts <= 0:  # one part per article
        starts = list(range(len(articles)))
    else:
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


def _path_to(node: Any, top: Any) -> list[int]:
    path = []
    while node is not top:
        path.append(node.getparent().index(node))
        node = node.getparent()
    return path[::-1]


def _extract(tree: Any, start: Any | None, end: Any | None) -> Any:
    """A copy of the document keeping, in its body, the nodes from `start` up to (not
    incl.) `end`; only what is kept is copied, so cutting many parts stays linear."""
    body = tree.find("body")
    doc = _shell(tree)
    for child in tree:
        doc.append(_copy_range(child, _path_to(start, body) if start is not None else None,
                               _path_to(end, body) if end is not None else None)
                   if child is body else copy.deepcopy(child))
    return doc


def _shell(node: Any) -> Any:
    shell = node.makeelement(node.tag, dict(node.attrib))
    shell.text, shell.tail = node.text, node.tail
    return shell


def _copy_range(node: Any, start: list[int] | None, end: list[int] | None) -> Any:
    """`node` with its content from the child path `start` (None: its beginning) up to
    the path `end` (None: its end, else that node and what follows are left out)."""
    if not start and not end:
        return copy.deepcopy(node)
    shell = _shell(node)
    if start:
        shell.text = None
    first = start[0] if start else 0
    for i in range(first, len(node)):
        inner_start = start[1:] if start and i == start[0] else None
        if end and i == end[0]:
            if len(end) > 1:
                shell.append(_copy_range(node[i], inner_start, end[1:]))
            break
        shell.append(_copy_range(node[i], inner_start, None))
    return shell


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


Shift = Callable[[int, Strings], tuple[int, int, Strings]]


def _shifting_margin_boxes(shift: Shift) -> Callable[..., Any]:
    """WeasyPrint's margin-box layout with the page counter moved by the part's offset.

    `shift(pages, strings)` is called once, when the part is paginated: its own page
    count and the named strings in effect at its end are then known. It returns the
    part's page offset, the whole document's page count, and the named strings in
    effect where the part starts (set on its first page unless the part sets them
    there itself), so a running head set on the cover still shows in the last part.
    """
    original = _margin_box_dispatch().original
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


_this_thread = threading.local()  # .margin_boxes: the margin-box step of the render in this thread


def _margin_box_dispatch() -> Any:
    """WeasyPrint's `make_margin_boxes`, replaced once by one that asks the calling thread.

    Each render sets its own margin-box step for the thread it runs in (shifted, recorded
    or stamped): a module global swapped per render would leak into a render of another
    thread.
    """
    import weasyprint.layout

    current = weasyprint.layout.make_margin_boxes
    if hasattr(current, "original"):
        return current

    def dispatch(context: Any, page: Any, state: Any) -> Any:
        boxes = getattr(_this_thread, "margin_boxes", None) or current
        return boxes(context, page, state)

    dispatch.original = current  # type: ignore[attr-defined]
    weasyprint.layout.make_margin_boxes = dispatch
    return dispatch


def _render_with(html: str, render: Callable[[str], Any], shift: Shift) -> Any:
    return _render_hooked(html, render, _shifting_margin_boxes(shift))


def _render_hooked(html: str, render: Callable[[str], Any], margin_boxes: Callable[..., Any]) -> Any:
    """`render(html)` with `margin_boxes` in place of WeasyPrint's margin-box step."""
    _margin_box_dispatch()
    _this_thread.margin_boxes = margin_boxes
    try:
        return render(html)
    finally:
        _this_thread.margin_boxes = None


def _bookmarks(document: Any) -> list[tuple[int, int, str, float]]:
    return [(i, level, label, position[1]) for i, page in enumerate(document.pages)
            for level, label, position, _state in page.bookmarks]


Collect = Callable[[], list[str]] | None


def _render_part(index: int, count: int, html: str, render: Callable[[str], Any],
                 write: Callable[[Any, Path], None], board: _Board, out: Path,
                 collect: Collect = None) -> PartResult:
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
    with shared_subsets(str(index), _part_names(count), board.post, board.wait):
        write(document, path)
    return PartResult(path, len(document.pages), _bookmarks(document), anchors,
                      collect() if collect else [])


def _part_names(count: int) -> list[str]:
    return ["front", *map(str, range(count))]


def _render_front(count: int, html: str, render: Callable[[str], Any],
                  write: Callable[[Any, Path], None], board: _Board, out: Path,
                  collect: Collect = None) -> PartResult:
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
    with shared_subsets("front", _part_names(count), board.post, board.wait):
        write(document, path)
    return PartResult(path, len(document.pages), _bookmarks(document), {},
                      collect() if collect else [])


def render_parallel(html: str, *, render: Callable[[str], Any], write: Callable[[Any, Path], None],
                    workers: int = 0, article_xpath: str = "//article", tagged: bool = False,
                    collect: Collect = None, messages: list[str] | None = None) -> bytes:
    """The PDF of `html` rendered by `workers` processes (0: one per CPU).

    `render(html_string)` lays a document out (weasyprint.HTML(...).render(...) with the
    backend's base URL, fetcher, stylesheets and options); `write(document, path)`
    writes a rendered Document. Both run in worker processes; so does `collect()`,
    whose messages (warnings gathered there) are added to `messages`, once each.
    With fewer than two articles to share out, the document is rendered whole, here.
    `tagged`: the parts are written tagged and their tag trees are merged into one.
    """
    # Parts wait on each other's page counts: they must all run at once, never one
    # after another (EXPORTER_JOBS=1 runs tasks in turn), so never more than may run.
    workers = min(workers or max_workers(), max_workers())
    front, parts = split_document(html, workers, article_xpath)
    with tempfile.TemporaryDirectory(prefix="exporter-pdf-") as folder:
        out = Path(folder)
        if len(parts) < 2:
            write(render(html), out / "whole.pdf")
            if collect and messages is not None:
                messages.extend(m for m in collect() if m not in messages)
            return (out / "whole.pdf").read_bytes()
        board = _Board(out)
        tasks = [("pdf-front", lambda: _render_front(len(parts), front, render, write, board, out,
                                                     collect))]
        tasks += [(f"pdf-part-{i}", lambda i=i, part=part: _render_part(i, len(parts), part, render,
                                                                         write, board, out, collect))
                  for i, part in enumerate(parts)]
        try:
            results = run_all(tasks)
        except BaseException:
            (out / "failed").touch()
            raise
        if messages is not None:
            for result in results:
                messages.extend(m for m in result.messages if m not in messages)
        return merge(results[0], results[1:], tagged=tagged)


def merge(front: PartResult, parts: list[PartResult], *, tagged: bool = False,
          margins: list[tuple[Path, int]] | None = None) -> bytes:
    """One PDF of the parts, front first, written once by qpdf: pages, named destinations,
    the front's catalogue (language, viewer preferences, marked, XMP metadata), document
    info and /ID, an outline rebuilt from all parts' bookmarks, the parts' tag trees
    joined and each font face once. `margins`: per part, the margins document and its
    page that is stamped on the part's first page (stamp.py), the next on the next.

    qpdf keeps the parts' objects in C++ and reads their streams (photos, fonts) from the
    part files only while writing, so the merge holds little more than the object table
    however long the issue: pypdf held every part parsed in Python objects (~1.4 MB a part).
    """
    import pikepdf

    with contextlib.ExitStack() as stack:
        pdf = stack.enter_context(pikepdf.open(front.pdf))  # its catalogue, info and /ID stay
        sources = [pdf] + [stack.enter_context(pikepdf.open(part.pdf)) for part in parts]
        destinations = _destinations(pdf, pdf)
        for source in sources[1:]:
            pdf.pages.extend(source.pages)
            destinations.update(_destinations(pdf, source))  # the parts' win over the stubs'
        for key in ("/Names", "/Outlines"):  # the front's own, rebuilt here (and its tags below)
            if key in pdf.Root:
                del pdf.Root[key]
        if destinations:
            tree = pikepdf.NameTree.new(pdf)
            for name in sorted(destinations):
                tree[name] = destinations[name]
            pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
        if tagged:
            merge_structure(pdf, sources, [front.pages, *(part.pages for part in parts)])
        if margins:
            stamp_parts(pdf, stack, front.pages, [part.pages for part in parts], margins)
        _outline(pdf, front, parts)
        merge_fonts(pdf)
        return _save(pdf)


def _destinations(pdf: Any, source: Any) -> dict[str, Any]:
    """The named destinations of `source` (a part), as objects of `pdf`."""
    import pikepdf

    names = source.Root.get("/Names")
    dests = names.get("/Dests") if names is not None else None
    if dests is None:
        return {}
    if source is not pdf:  # copied whole, with the pages' copier: each points at its page's copy
        dests = pdf.copy_foreign(dests if dests.is_indirect else source.make_indirect(dests))
    return dict(pikepdf.NameTree(dests).items())


def _save(pdf: Any) -> bytes:
    """The merged PDF as qpdf writes it: only referenced objects (the parts' copies of
    each font drop out), small objects (the tag tree) packed into compressed object
    streams as WeasyPrint writes them; the /ID reproducible."""
    import pikepdf
    from pikepdf import settings

    settings.set_flate_compression_level(9)  # the object streams: as small as one's
    try:
        buffer = io.BytesIO()
        pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 compress_streams=True, deterministic_id=True)
    finally:
        settings.set_flate_compression_level(-1)  # zlib's default again
    return buffer.getvalue()


def merge_structure(pdf: Any, sources: list[Any], counts: list[int]) -> None:
    """One tag tree (PDF/UA structure) from the parts' trees, in page order.

    `sources[0]` is `pdf` itself (the front), the others are the parts whose pages were
    appended to it; `counts` their page counts. Each part's top-level structure elements move under one Document
    element; the parent tree is renumbered: a page's key becomes its index in the whole
    document (its /StructParents too), annotation keys follow after all pages.
    """
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    tree = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array()))
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=tree,
                                            K=Array()))
    tree.K.append(document)
    nums = Array()
    pages = list(pdf.pages)
    offset, next_key = 0, len(pages)
    for source, count in zip(sources, counts):
        own = source.Root.StructTreeRoot
        if source is not pdf:  # copied with the pages' copier: /Pg and /Obj meet the copies
            own = pdf.copy_foreign(own)
        top = _kids(own)[0]
        for kid in _kids(top):
            if source is pdf and _empty(kid):
                continue  # the contents' page-number stubs: no content, nothing to read
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                kid.P = document
            document.K.append(kid)
        renumbered: dict[int, int] = {}
        old, climbed = own.ParentTree.Nums, set()
        for i in range(0, len(old), 2):
            _adopt(old[i + 1], top, document, climbed)
            key = int(old[i])
            if key < count:
                nums.extend([offset + key, old[i + 1]])
            else:
                renumbered[key] = next_key
                nums.extend([next_key, old[i + 1]])
                next_key += 1
        for page in pages[offset:offset + count]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = offset + int(page.obj.StructParents)
            for annotation in page.obj.get("/Annots") or []:
                if int(annotation.get("/StructParent", -1)) in renumbered:
                    annotation.StructParent = renumbered[int(annotation.StructParent)]
        offset += count
    tree.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
    tree.ParentTreeNextKey = next_key
    pdf.Root.StructTreeRoot = tree


def _adopt(value: Any, top: Any, document: Any, seen: set[tuple[int, int]]) -> None:
    """The ancestors of a parent-tree entry's elements that hang from the part's Document
    though not among its kids (WeasyPrint's page margins) moved under the merged
    Document: the part's own tree is then unreferenced and not written. `seen`: elements
    already climbed from, so each part's tree is climbed once."""
    import pikepdf

    for element in value if isinstance(value, pikepdf.Array) else [value]:
        while isinstance(element, pikepdf.Dictionary) and element.is_indirect and element.objgen not in seen:
            seen.add(element.objgen)
            parent = element.get("/P")
            if parent is None or not parent.is_indirect:
                break
            if parent.objgen == top.objgen:
                element.P = document
                break
            element = parent


def _empty(element: Any) -> bool:
    """A structure element with no marked content or annotation anywhere below it."""
    import pikepdf

    for kid in _kids(element):
        if not isinstance(kid, pikepdf.Dictionary) or "/S" not in kid or not _empty(kid):
            return False
    return True


def _kids(element: Any) -> list[Any]:
    """An element's /K as a list (a single kid may stand alone)."""
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _outline(pdf: Any, front: PartResult, parts: list[PartResult]) -> None:
    """Bookmarks nested by level across parts, as WeasyPrint nests them in one document."""
    from pikepdf import OutlineItem

    offset = front.pages
    stack: list[tuple[int, Any]] = []
    with pdf.open_outline() as outline:
        for part in [front, *parts]:
            start = 0 if part is front else offset
            for page, level, label, _y in part.bookmarks:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                item = OutlineItem(label, start + page)
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((level, item))
            if part is not front:
                offset += part.pages
