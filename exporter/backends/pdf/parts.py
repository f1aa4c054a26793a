"""The PDF typeset one article at a time, each article's part kept in the build cache.

An editor rebuilds a briefing dozens of times after changing one article; typesetting
the other 49 again is the whole cost. Here the document is cut into a front part (cover,
contents) and one part per article (parallel.py's splitting), each typeset on its own
and merged (parallel.py's merge: page numbers, contents, outline and tag tree joined).

An article part is typeset once, wherever it sits: its margin boxes (running head,
date, "Page N of M") are left empty and what they would show is recorded per page
(stamp.py), so its bytes depend on its content alone, which is its key: the part's
HTML, the stylesheet and WeasyPrint options, the bytes of every image it names
(`fingerprint`, from the backend). Workers typeset the new or edited parts at the same
time, each on its own (no part waits for another), while one of them also lays out the
front with placeholder numbers to count its pages. With every count known, a second
pass typesets the front with its contents numbered (each entry its target's page, from
the parts' anchors) and, beside it, the articles' margins: one margins-only document per
MARGINS_RUN parts, keyed by what its pages show (strings, page numbers, total). The
merge stamps each margins page on its article page. An edit that changes an article's
page count moves every later page number and the total on every page: only margins
documents are made again, never another article.

Parts never depend on how many processes typeset them, so a build is byte-identical to
a cold one whatever the worker count or the machine's load. They are typeset in child
processes even by one worker (the machine busy): WeasyPrint's heap (~250 MB at 200
articles) then ends with the child instead of staying in this process through the merge.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import cache
from ...atomic import write_bytes
from ...errors import BuildError
from ...parallel import run_all
from .parallel import (PLACEHOLDER_PAGE, PartResult, Strings, _bookmarks, _margin_box_dispatch,
                       _render_hooked, _render_with, add_stubs, link_targets, merge,
                       split_document)
from .stamp import (MarginPage, PageRecord, lead_pages, left_set, margin_pages, margins_document,
                    recording_margin_boxes, stamping_margin_boxes)

KIND = "pdf-parts"
MARGINS_KIND = "pdf-margins"  # the margins documents (stamp.py), beside the parts
# What a character of the front costs its worker against one of an article's: the front
# is paginated first (cover and contents take twice an article's time per character:
# 75 against 34 µs, measured), then typeset with its numbers beside the margins documents.
FRONT_WEIGHT = 2.0
# Parts whose margins are typeset in one margins document: a WeasyPrint document costs
# some 30 ms before its first page, and a run is re-made whole after an edit that moves
# its page numbers.
MARGINS_RUN = 16
# What a margins page costs, in article characters (measured at 50 articles: 11 ms laid
# out and 3 ms written, against 25 µs a character; WeasyPrint lays out all 16 margin
# boxes of a page), and a margins document before its first page.
MARGINS_PAGE_CHARS = 550
MARGINS_DOCUMENT_CHARS = 1200
Fingerprint = Callable[[str], str]  # a document's key: its HTML, stylesheet, options, images
Collect = Callable[[], list[str]]


class _Paginated(Exception):
    """Raised from the margin-box hook: the part's page count and strings are all we wanted."""

    def __init__(self, pages: int, own: Strings) -> None:
        super().__init__(pages)
        self.pages, self.own = pages, own


@dataclass
class Meta:
    """What the front's content alone decides: its page count, the strings it leaves set
    and WeasyPrint's complaints while paginating it (reported again when it is reused)."""

    pages: int
    own: Strings
    messages: list[str]


class Store:
    """Parts and metas under the cache root: `<key>.pdf` beside `<key>.json`."""

    def __init__(self, root: Path | None = None, kind: str = KIND) -> None:
        self.root = (root or cache.cache_root()) / kind

    def beside(self, kind: str) -> Store:
        """Another kind of entry kept in a folder beside this store's."""
        return Store(self.root.parent, kind)

    def writable(self) -> bool:
        """Whether parts can be kept here (a read-only cache folder must not fail a build)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(self.root, os.W_OK)

    def _path(self, entry: str, suffix: str) -> Path:
        return self.root / entry[:2] / f"{entry}{suffix}"

    def meta(self, content: str) -> Meta | None:
        data = self._json(self._path(content, ".meta.json"))
        return Meta(data["pages"], data["own"], data["messages"]) if data else None

    def save_meta(self, content: str, meta: Meta) -> None:
        write_bytes(self._path(content, ".meta.json"),
                    json.dumps({"pages": meta.pages, "own": meta.own,
                                "messages": meta.messages}).encode())

    def part(self, entry: str) -> tuple[PartResult, list[str]] | None:
        data, pdf = self._json(self._path(entry, ".json")), self._path(entry, ".pdf")
        if not data or "record" not in data or not pdf.exists():  # none, or kept by an older build
            return None
        return (PartResult(pdf, data["pages"], [tuple(b) for b in data["bookmarks"]],
                           data["anchors"], record=[PageRecord.of(r) for r in data["record"]]),
                data["messages"])

    def save_part(self, entry: str, pdf: bytes, result: PartResult, messages: list[str]) -> PartResult:
        path = self._path(entry, ".pdf")
        write_bytes(path, pdf)
        write_bytes(self._path(entry, ".json"), json.dumps(
            {"pages": result.pages, "bookmarks": result.bookmarks, "anchors": result.anchors,
             "record": [r.json() for r in result.record], "messages": messages}).encode())
        return PartResult(path, result.pages, result.bookmarks, result.anchors, record=result.record)

    @staticmethod
    def _json(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None


@dataclass
class _Typesetter:
    """The backend's render/write/collect, run in this process or a worker."""

    render: Callable[[str], Any]
    write: Callable[[Any, Path], None]
    collect: Collect | None

    def paginate(self, html: str) -> Meta:
        def stop(pages: int, own: Strings) -> tuple[int, int, Strings]:
            raise _Paginated(pages, own)

        before = self.said()
        try:
            meta = Meta(len(_render_with(html, self.render, stop).pages), {}, [])
        except _Paginated as done:
            meta = Meta(done.pages, done.own, [])
        meta.messages = self.since(before)
        return meta

    def said(self) -> set[str]:
        return set(self.collect()) if self.collect else set()

    def since(self, before: set[str]) -> list[str]:
        return [m for m in (self.collect() if self.collect else []) if m not in before]

    def typeset(self, html: str, shift: Callable[[int, Strings], tuple[int, int, Strings]],
                store: Store, entry: str) -> tuple[PartResult, list[str]]:
        """The front: its margin boxes numbered, once its place is known."""
        before = self.said()
        return self.save(_render_with(html, self.render, shift), store, entry, before)

    def typeset_blank(self, html: str, store: Store, entry: str) -> tuple[PartResult, list[str]]:
        """An article part with its margin boxes left empty, recorded for stamp.py."""
        before, record = self.said(), []
        document = _render_hooked(html, self.render, recording_margin_boxes(record))
        return self.save(document, store, entry, before, record)

    def margins(self, html: str, pages: list[MarginPage | None], store: Store,
                entry: str) -> tuple[PartResult, list[str]]:
        """A margins document (stamp.py) showing `pages`."""
        before = self.said()
        original = _margin_box_dispatch().original
        document = _render_hooked(html, self.render, stamping_margin_boxes(pages, original))
        if len(document.pages) != len(pages):  # a page added by the stylesheet (a blank one)
            raise BuildError("pdf", "the running heads could not be set apart; use pdf.workers = 1")
        return self.save(document, store, entry, before)

    def save(self, document: Any, store: Store, entry: str, before: set[str],
             record: list[PageRecord] | None = None) -> tuple[PartResult, list[str]]:
        """Write a laid-out part and keep it in the store under `entry`."""
        anchors: dict[str, int] = {}
        for i, page in enumerate(document.pages):  # a box split over pages is on each of them
            for name in page.anchors:
                anchors.setdefault(name, i)
        result = PartResult(Path(), len(document.pages), _bookmarks(document), anchors,
                            record=record or [])
        scratch = store.root / f"tmp-{entry}.pdf"
        scratch.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.write(document, scratch)
            pdf = scratch.read_bytes()
        finally:
            scratch.unlink(missing_ok=True)
        del document
        messages = self.since(before)
        return store.save_part(entry, pdf, result, messages), messages


def render_cached(html: str, *, render: Callable[[str], Any], write: Callable[[Any, Path], None],
                  fingerprint: Fingerprint, workers: int = 1, busy: Callable[[], bool] | None = None,
                  article_xpath: str = "//article",
                  tagged: bool = False, collect: Collect | None = None,
                  messages: list[str] | None = None, store: Store | None = None) -> bytes:
    """The PDF of `html`, one part per article, parts reused from `store` where unchanged."""
    store = store or Store()
    front, parts = split_document(html, 0, article_xpath)
    setter = _Typesetter(render, write, collect)
    targets = link_targets(front)
    measured = add_stubs(front, dict.fromkeys(targets, PLACEHOLDER_PAGE))
    processes = _processes(workers, busy)
    said: list[str] = []
    counted, results = _articles(measured, fingerprint(measured), parts, [fingerprint(p) for p in parts],
                                 setter, store, processes, said)
    places = _places(counted, results)
    numbers = {name: place.offset + page + 1
               for place, result in zip(places, results) for name, page in result.anchors.items()}
    stubbed = add_stubs(front, {t: numbers.get(t, 0) for t in targets})
    total = counted.pages + sum(result.pages for result in results)
    front_result, margins = _finish(stubbed, fingerprint, total, parts, results, places, setter,
                                    store, processes, said)
    if messages is not None:
        messages.extend(m for m in said if m not in messages)
    if front_result.pages != counted.pages:
        raise BuildError("pdf", "the contents changed length once numbered; use pdf.workers = 1")
    return merge(front_result, results, tagged=tagged, margins=margins)


def _processes(workers: int, busy: Callable[[], bool] | None) -> Callable[[int], int]:
    """How many processes typeset `n` parts: `workers`, or one when the machine is `busy`,
    asked once and only when there are several parts (a rebuild after one edit has one)."""
    loaded = functools.cache(busy) if busy else (lambda: False)

    def processes(n: int) -> int:
        return 1 if n > 1 and loaded() else workers

    return processes


def _share(indices: list[int], weights: dict[int, float], workers: int) -> list[list[int]]:
    """Indices in at most `workers` chunks of about equal weight, each in order."""
    chunks: list[list[int]] = [[] for _ in range(max(1, workers))]
    for i in sorted(indices, key=lambda i: -weights[i]):  # longest first, to the lightest
        min(chunks, key=lambda c: sum(weights[j] for j in c)).append(i)
    return [sorted(c) for c in chunks if c]


def _run_shared(jobs: dict[int, tuple[float, Callable[[], Any]]], processes: Callable[[int], int],
                name: str) -> dict[int, Any]:
    """Each job's result: the jobs (index -> weight, work) shared out between processes."""
    if not jobs:
        return {}
    chunks = _share(list(jobs), {i: weight for i, (weight, _) in jobs.items()}, processes(len(jobs)))

    def work(chunk: list[int]) -> list[Any]:
        return [jobs[i][1]() for i in chunk]

    done = run_all([(f"{name}-{k}", lambda c=c: work(c)) for k, c in enumerate(chunks)], isolate=True)
    return {i: value for chunk, values in zip(chunks, done) for i, value in zip(chunk, values)}


FRONT = -1  # the front's index among the jobs, before the articles'


def _articles(measured: str, front_content: str, parts: list[str], contents: list[str],
              setter: _Typesetter, store: Store, processes: Callable[[int], int],
              said: list[str]) -> tuple[Meta, list[PartResult]]:
    """The front's page count (laid out with placeholder numbers) and every article part
    typeset with its margins left empty: from the cache by their content, else made by
    workers at the same time."""
    counted = store.meta(front_content)
    found = [store.part(content) for content in contents]
    jobs = {i: (len(parts[i]), lambda i=i: setter.typeset_blank(parts[i], store, contents[i]))
            for i, hit in enumerate(found) if hit is None}
    if counted is None:
        jobs[FRONT] = (len(measured) * FRONT_WEIGHT, lambda: setter.paginate(measured))
    for i, value in _run_shared(jobs, processes, "pdf-parts").items():
        if i == FRONT:
            counted = value
            store.save_meta(front_content, value)
        else:
            found[i] = value
    assert counted is not None
    said.extend(counted.messages)
    results = []
    for hit in found:
        assert hit is not None
        said.extend(hit[1])
        results.append(hit[0])
    return counted, results


@dataclass
class Place:
    """Where a part sits: its first page's offset, the document's pages, strings carried in."""

    offset: int
    total: int
    carried: Strings


def _places(front: Meta, results: list[PartResult]) -> list[Place]:
    total = front.pages + sum(result.pages for result in results)
    places, offset, carried = [], front.pages, dict(front.own)
    for result in results:
        places.append(Place(offset, total, carried))
        offset += result.pages
        carried = left_set(result.record, carried)
    return places


@dataclass
class _Run:
    """A margins document: the margins of a run of consecutive parts (stamp.py)."""

    parts: list[int]
    lead: int  # blank pages before the first stamped one
    pages: list[MarginPage]
    html: str
    entry: str

    def job(self, setter: _Typesetter, store: Store) -> tuple[float, Callable[[], Any]]:
        return (MARGINS_DOCUMENT_CHARS + MARGINS_PAGE_CHARS * len(self.pages),
                lambda: setter.margins(self.html, [None] * self.lead + self.pages, store, self.entry))


def _runs(parts: list[str], results: list[PartResult], places: list[Place],
          fingerprint: Fingerprint) -> list[_Run]:
    """The parts' margins documents, MARGINS_RUN parts each: a run's key is what its
    pages show (strings, numbers, total), so an edit that moves no page number finds
    every run in the cache, and one that does re-makes the runs after it, never a part."""
    runs = []
    for first in range(0, len(parts), MARGINS_RUN):
        members = list(range(first, min(first + MARGINS_RUN, len(parts))))
        pages = [page for i in members for page in margin_pages(
            results[i].record, places[i].offset, places[i].total, places[i].carried)]
        lead = lead_pages(places[first].offset)
        html = margins_document(parts[first], [p.name for i in members for p in results[i].record],
                                lead)
        entry = cache.key("pdf-margins", fingerprint(html), json.dumps(
            [[p.number, p.total, p.before, p.strings] for p in pages], sort_keys=True))
        runs.append(_Run(members, lead, pages, html, entry))
    return runs


def _finish(stubbed: str, fingerprint: Fingerprint, total: int, parts: list[str],
            results: list[PartResult], places: list[Place], setter: _Typesetter, store: Store,
            processes: Callable[[int], int],
            said: list[str]) -> tuple[PartResult, list[tuple[Path, int]]]:
    """The front typeset with its page numbers, and the parts' margins documents: from
    the cache, else made by workers at the same time. Per part, its margins document and
    the page of it stamped on its first page."""
    front_entry = cache.key(fingerprint(stubbed), "0", str(total))
    runs = _runs(parts, results, places, fingerprint)
    found: dict[int, tuple[PartResult, list[str]] | None] = {FRONT: store.part(front_entry)}
    kept = store.beside(MARGINS_KIND)
    found.update((k, kept.part(run.entry)) for k, run in enumerate(runs))
    jobs = {k: run.job(setter, kept) for k, run in enumerate(runs) if found[k] is None}
    if found[FRONT] is None:
        jobs[FRONT] = (len(stubbed) * FRONT_WEIGHT, lambda: setter.typeset(
            stubbed, lambda _p, _o: (0, total, {}), store, front_entry))
    found.update(_run_shared(jobs, processes, "pdf-margins"))
    margins = []
    for k in sorted(found):
        hit = found[k]
        assert hit is not None
        said.extend(hit[1])
        if k != FRONT:
            first = runs[k].lead
            for i in runs[k].parts:
                margins.append((hit[0].pdf, first))
                first += results[i].pages
    front = found[FRONT]
    assert front is not None
    return front[0], margins
