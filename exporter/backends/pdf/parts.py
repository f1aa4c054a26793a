"""The PDF typeset one article at a time, each article's part kept in the build cache.

An editor rebuilds a briefing dozens of times after changing one article; typesetting
the other 49 again is the whole cost. Here the document is cut into a front part (cover,
contents) and one part per article (parallel.py's splitting), each typeset on its own
and merged (parallel.py's merge: page numbers, contents, outline and tag tree joined).

What a part's bytes depend on is its key: the part's HTML, the stylesheet and WeasyPrint
options, the bytes of every image it names (`fingerprint`, from the backend), plus its
place in the document: the page it starts on, the document's page count and the
running-head strings carried into it. Its own page count and the strings it sets do not
depend on its place, so they are kept per content ("meta"); with every part's meta known
each part's place is known before it is typeset, and a part at the same place with the
same content is taken from the cache. A part whose meta is unknown (new or edited) is
laid out once and held at its margin boxes, in a thread of its own, until every part's
page count is known: its count goes to the other workers (a board of small files), and
when all are in, it numbers its pages and is written. The workers hold at most
HELD_CHARS of article HTML laid out at once (memory stays bounded whatever the issue's
length); parts past that are paginated first (the layout stops at its margin boxes) and
typeset again once placed. The front is typeset by a worker as soon as every count is
in, each contents entry numbered with its article's first page; the parts' anchors then
confirm the numbers (else it is typeset again). An edit that changes an article's page
count moves every later page number (and the total on every page): those parts are
typeset again, never reused with a wrong number.

Parts never depend on how many processes typeset them, so a build is byte-identical to
a cold one whatever the worker count or the machine's load. They are typeset in child
processes even by one worker (the machine busy): WeasyPrint's heap (~250 MB at 200
articles) then ends with the child instead of staying in this process through the merge.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import cache
from ...atomic import write_bytes
from ...parallel import max_workers, run_all
from .parallel import (PLACEHOLDER_PAGE, PartResult, Strings, _Board, _bookmarks, _render_with,
                       add_stubs, link_targets, merge, split_document)

KIND = "pdf-parts"
# Article HTML the workers together keep laid out while the page counts come in, shared
# out between them. A held layout takes about 300 bytes per character of HTML (2.4 MB for
# a 3-page article of 8,000), so about 135 MB in all: a 200-article PDF then peaks at
# 388 MB with two workers (measured; under the 400 MB it must stay under), and a
# 50-article one (400,000 characters) is held whole, each article laid out once.
HELD_CHARS = 450_000
# What a character of the front costs its worker against one of an article's: the front
# is laid out twice (counted, then numbered by `front_early`), and its contents (leaders,
# page references) and cover take twice an article's time per character once (measured:
# 75 against 34 µs). Counted as one, its worker got as many articles as the other and
# ended 1.4 s of CPU after the other at 50 articles, which idled meanwhile.
FRONT_WEIGHT = 3.5
Fingerprint = Callable[[str], str]  # a document's key: its HTML, stylesheet, options, images
Collect = Callable[[], list[str]]


class _Paginated(Exception):
    """Raised from the margin-box hook: the part's page count and strings are all we wanted."""

    def __init__(self, pages: int, own: Strings) -> None:
        super().__init__(pages)
        self.pages, self.own = pages, own


@dataclass
class Meta:
    """What a part's content alone decides: its page count, the strings it leaves set
    and WeasyPrint's complaints while paginating it (reported again when it is reused)."""

    pages: int
    own: Strings
    messages: list[str]


@dataclass
class Place:
    """Where a part sits: its first page's offset, the document's pages, strings carried in."""

    offset: int
    total: int
    carried: Strings

    def key(self, content: str) -> str:
        return cache.key(content, str(self.offset), str(self.total),
                         json.dumps(self.carried, sort_keys=True))


class Store:
    """Parts and metas under the cache root: `<key>.pdf` beside `<key>.json`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or cache.cache_root()) / KIND

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
        if not data or not pdf.exists():
            return None
        return (PartResult(pdf, data["pages"], [tuple(b) for b in data["bookmarks"]],
                           data["anchors"]), data["messages"])

    def save_part(self, entry: str, pdf: bytes, result: PartResult, messages: list[str]) -> PartResult:
        path = self._path(entry, ".pdf")
        write_bytes(path, pdf)
        write_bytes(self._path(entry, ".json"), json.dumps(
            {"pages": result.pages, "bookmarks": result.bookmarks, "anchors": result.anchors,
             "messages": messages}).encode())
        return PartResult(path, result.pages, result.bookmarks, result.anchors)

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
        before = self.said()
        return self.save(_render_with(html, self.render, shift), store, entry, before)

    def save(self, document: Any, store: Store, entry: str,
             before: set[str]) -> tuple[PartResult, list[str]]:
        """Write a laid-out part and keep it in the store under `entry`."""
        anchors: dict[str, int] = {}
        for i, page in enumerate(document.pages):  # a box split over pages is on each of them
            for name in page.anchors:
                anchors.setdefault(name, i)
        result = PartResult(Path(), len(document.pages), _bookmarks(document), anchors)
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
    documents = [measured, *parts]  # index 0: the front as laid out to count its pages
    contents = [fingerprint(d) for d in documents]
    processes = _processes(workers, busy)
    starts = _starts(parts, targets)

    def numbered(numbers: dict[str, int]) -> str:
        return add_stubs(front, {t: numbers.get(t, 0) for t in targets})

    def front_early(places: list[Place]) -> None:
        """The front numbered from the parts' places alone, typeset by a worker while
        the parts are finished: a contents entry points at its article's first page (its
        own id), which the places say before any part is done. Kept in the store, where
        the front below finds it when the parts' anchors give the same numbers."""
        stubbed = numbered({t: places[i + 1].offset + 1 for t, i in starts.items()})
        place = Place(0, places[0].total, {})
        entry = place.key(fingerprint(stubbed))
        if store.part(entry) is None:
            setter.typeset(stubbed, lambda _p, _o: (0, place.total, {}), store, entry)

    metas = _metas(documents, contents, setter, store, processes, front_early)
    if messages is not None:
        messages.extend(m for meta in metas for m in meta.messages if m not in messages)
    places = _places(metas)
    results = _parts(parts, contents[1:], places[1:], setter, store, processes, messages)
    numbers = {name: places[i + 1].offset + page + 1
               for i, result in enumerate(results) for name, page in result.anchors.items()}
    stubbed = numbered(numbers)
    total = places[0].total
    front_result = _one_part(stubbed, fingerprint(stubbed), Place(0, total, {}), setter, store,
                             messages)
    if front_result.pages != metas[0].pages:
        from ...errors import BuildError

        raise BuildError("pdf", "the contents changed length once numbered; use pdf.workers = 1")
    return merge(front_result, results, tagged=tagged)


_ID = re.compile(r'\sid="([^"]+)"')  # as lxml writes the parts (split_document)


def _starts(parts: list[str], targets: list[str]) -> dict[str, int]:
    """The part each of the front's link targets is in (by its id attribute)."""
    wanted, found = set(targets), {}
    for i, part in enumerate(parts):
        for name in _ID.findall(part):
            if name in wanted:
                found.setdefault(name, i)
    return found


def _metas(documents: list[str], contents: list[str], setter: _Typesetter, store: Store,
           processes: Callable[[int], int], front_early: Callable[[list[Place]], None]) -> list[Meta]:
    """Every part's page count and strings: from the cache, else found by laying the part
    out in a worker; a new article part is then typeset in the same pass (`_Held`)."""
    known = [store.meta(c) for c in contents]
    missing = [i for i, meta in enumerate(known) if meta is None]
    if not missing:
        return [meta for meta in known if meta is not None]
    # never more chunks than may run at once: a held part waits for every other's count
    chunks = _share(missing, _costs(documents, missing), min(processes(len(missing)), max_workers()))
    with tempfile.TemporaryDirectory(prefix="exporter-pdf-counts-") as folder:
        board = _Board(Path(folder))
        for i, meta in enumerate(known):
            if meta is not None:
                _post_count(board, i, meta)
        work = _Counting(documents, contents, setter, store, board, front_early)
        rooms = _rooms(documents, chunks)
        for chunk, found in zip(chunks, run_all([(f"pdf-measure-{k}", lambda c=c, r=r: work.run(c, r))
                                                for k, (c, r) in enumerate(zip(chunks, rooms))],
                                               isolate=True)):
            for i, meta in zip(chunk, found):
                store.save_meta(contents[i], meta)
                known[i] = meta
    return [meta for meta in known if meta is not None]


def _processes(workers: int, busy: Callable[[], bool] | None) -> Callable[[int], int]:
    """How many processes typeset `n` parts: `workers`, or one when the machine is `busy`,
    asked once and only when there are several parts (a rebuild after one edit has one)."""
    loaded = functools.cache(busy) if busy else (lambda: False)

    def processes(n: int) -> int:
        return 1 if n > 1 and loaded() else workers

    return processes


def _post_count(board: _Board, index: int, meta: Meta) -> None:
    """A part's page count and strings, for the held parts of every worker to place theirs."""
    board.post(f"meta-{index}", {"pages": meta.pages, "own": meta.own})


def _costs(documents: list[str], indices: list[int]) -> dict[int, float]:
    """What each document (index 0 the front) costs its worker, in article characters."""
    return {i: len(documents[i]) * (FRONT_WEIGHT if i == 0 else 1) for i in indices}


def _rooms(documents: list[str], chunks: list[list[int]]) -> list[int]:
    """HELD_CHARS shared between the chunks in proportion to their article characters:
    shared equally, the chunk given fewer articles for the front left room unused while
    the other's last article was paginated and typeset again (one of 50, in series after
    every other part)."""
    sizes = [sum(len(documents[i]) for i in chunk if i) for chunk in chunks]
    total = sum(sizes) or 1
    return [HELD_CHARS * size // total for size in sizes]


def _share(indices: list[int], weights: dict[int, float], workers: int) -> list[list[int]]:
    """Indices in at most `workers` chunks of about equal weight, each in document order."""
    chunks: list[list[int]] = [[] for _ in range(max(1, workers))]
    for i in sorted(indices, key=lambda i: -weights[i]):  # longest first, to the lightest
        min(chunks, key=lambda c: sum(weights[j] for j in c)).append(i)
    return [sorted(c) for c in chunks if c]


@dataclass
class _Counting:
    """One worker's share of the parts whose page count is not known yet."""

    documents: list[str]
    contents: list[str]
    setter: _Typesetter
    store: Store
    board: _Board
    front_early: Callable[[list[Place]], None]  # by the worker that paginated the front

    def run(self, chunk: list[int], room: int) -> list[Meta]:
        """Hold what fits in `room` (characters of article HTML) laid out, at least one
        part; paginate the rest (and the front, whose contents are typeset again once
        numbered), then let the held go."""
        metas: dict[int, Meta] = {}
        held: list[_Held] = []
        try:
            for i in chunk:
                if i and (len(self.documents[i]) <= room or not held):
                    room -= len(self.documents[i])
                    held.append(_Held(i, self))
                    metas[i] = held[-1].start()
                else:
                    metas[i] = self.setter.paginate(self.documents[i])
                    _post_count(self.board, i, metas[i])
            if 0 in chunk:
                self.front_early(self.places())
            for part in held:
                part.finish()
        except BaseException:
            (self.board.folder / "failed").touch()  # the other workers stop waiting
            for part in held:
                part.cancel()
            raise
        return [metas[i] for i in chunk]

    def places(self) -> list[Place]:
        """Where every part sits, once every part's count is on the board."""
        counts = [self.board.wait(f"meta-{k}") for k in range(len(self.documents))]
        return _places([Meta(c["pages"], c["own"], []) for c in counts])


class _Cancelled(Exception):
    """Another part failed: a held part stops instead of waiting for counts never posted."""


class _Held:
    """A new article part laid out in a thread of its own and held at its margin boxes.

    Paginating it and typesetting it again once placed would lay it out twice (about 1.7
    times the work); held, its count goes to the board when its pages are made, and the
    same layout is numbered and written when every count is in. One thread of a worker
    runs at a time (`start` returns when the part is held, `finish` when it is written),
    so WeasyPrint's messages are told apart per part as in a plain typeset.
    """

    def __init__(self, index: int, work: _Counting) -> None:
        self.index, self.work = index, work
        self.held, self.go = threading.Event(), threading.Event()
        self.cancelled = False
        self.meta: Meta | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"pdf-part-{index}", daemon=True)

    def start(self) -> Meta:
        self.thread.start()
        self.held.wait()
        if self.meta is None:
            raise self.error or RuntimeError(f"part {self.index} was never paginated")
        return self.meta

    def finish(self) -> None:
        self.go.set()
        self.thread.join()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        self.cancelled = True
        self.go.set()
        self.thread.join()

    def _run(self) -> None:
        setter, index = self.work.setter, self.index
        before = setter.said()
        place: list[Place] = []

        def shift(pages: int, own: Strings) -> tuple[int, int, Strings]:
            self.meta = Meta(pages, own, setter.since(before))
            _post_count(self.work.board, index, self.meta)
            self.held.set()
            self.go.wait()
            if self.cancelled:
                raise _Cancelled()
            place.append(self.work.places()[index])
            return place[0].offset, place[0].total, place[0].carried

        try:
            document = _render_with(self.work.documents[index], setter.render, shift)
            setter.save(document, self.work.store, place[0].key(self.work.contents[index]), before)
        except BaseException as error:  # raised again in the worker's own thread
            self.error = error
        finally:
            self.held.set()


def _places(metas: list[Meta]) -> list[Place]:
    total = sum(m.pages for m in metas)
    places, offset, carried = [], 0, {}
    for meta in metas:
        places.append(Place(offset, total, dict(carried)))
        offset += meta.pages
        carried.update(meta.own)
    places[0] = Place(0, total, {})
    return places


def _parts(parts: list[str], contents: list[str], places: list[Place], setter: _Typesetter,
           store: Store, processes: Callable[[int], int],
           messages: list[str] | None) -> list[PartResult]:
    """Each article part at its place: from the cache, else typeset (in workers)."""
    entries = [place.key(content) for place, content in zip(places, contents)]
    found = [store.part(e) for e in entries]
    missing = [i for i, hit in enumerate(found) if hit is None]
    chunks = _share(missing, {i: len(parts[i]) for i in missing}, processes(len(missing)))

    def typeset(chunk: list[int]) -> list[tuple[PartResult, list[str]]]:
        done = []
        for i in chunk:
            place = places[i]
            done.append(setter.typeset(parts[i], lambda _p, _o, pl=place: (
                pl.offset, pl.total, pl.carried), store, entries[i]))
        return done

    for chunk, made in zip(chunks, run_all([(f"pdf-parts-{k}", lambda c=c: typeset(c))
                                           for k, c in enumerate(chunks)], isolate=True)):
        for i, hit in zip(chunk, made):
            found[i] = hit
    results = []
    for hit in found:
        assert hit is not None
        result, said = hit
        if messages is not None:
            messages.extend(m for m in said if m not in messages)
        results.append(result)
    return results


def _one_part(html: str, content: str, place: Place, setter: _Typesetter, store: Store,
              messages: list[str] | None) -> PartResult:
    entry = place.key(content)
    hit = store.part(entry)
    if hit is None:
        hit = run_all([("pdf-front", lambda: setter.typeset(
            html, lambda _p, _o: (place.offset, place.total, place.carried), store, entry))],
            isolate=True)[0]
    if messages is not None:
        messages.extend(m for m in hit[1] if m not in messages)
    return hit[0]
