"""What ebooklib is told about a book, kept as plain data until it has to be told.

ebooklib writes the package files (OPF, nav, NCX) from its book object, and that object
is made by a few calls: metadata, the list of files, the contents, the guide and the
reading order. Recorded here in their order, those calls are the key of the package
files in the build cache; ebooklib (with its imports) is loaded and the book made from
them only when the package files must be written again, not on a rebuild in which only
an article's text changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TocEntry = list  # ["link", href, title, uid] or ["section", title, href, [links]]


@dataclass
class BookPlan:
    """The calls that make the book, in order: each is a list of plain values."""

    steps: list[list[Any]] = field(default_factory=list)

    def call(self, method: str, *args: Any) -> None:
        """A call of the book's own (`set_title`, `add_metadata`...)."""
        self.steps.append(["book", method, list(args)])

    def add_item(self, kind: str, *, links: list[dict[str, str]] | None = None,
                 media_type: str | None = None, **init: Any) -> None:
        """A file of the book: ebooklib's class `kind` made with `init`, its media type
        set when its class takes none, and the nav's `links` added."""
        self.steps.append(["item", kind, init, media_type, links or []])

    def set(self, name: str, value: list[Any]) -> None:
        """The book's `toc` (TocEntry lists), `guide` (dicts) or `spine` ([uid, linear])."""
        self.steps.append([name, value])

    def key(self) -> str:
        return json.dumps(self.steps)

    def book(self) -> Any:
        """ebooklib's book, made by the calls (ebooklib is imported here)."""
        from ebooklib import epub

        class Placeholder(epub.EpubHtml):
            """A page that ebooklib lists but whose bytes are written apart: given no
            content (ebooklib would re-parse it as HTML and drop its head), it writes an
            empty one in its place."""

            def get_content(self, default: bytes | None = None) -> bytes:
                return b""

        classes = {"EpubHtml": Placeholder, "EpubItem": epub.EpubItem, "EpubCover": epub.EpubCover,
                   "EpubImage": epub.EpubImage, "EpubNcx": epub.EpubNcx, "EpubNav": epub.EpubNav}
        book = epub.EpubBook()
        items: dict[str, Any] = {}

        def toc(entry: TocEntry) -> Any:
            if entry[0] == "link":
                return epub.Link(*entry[1:])
            return (epub.Section(entry[1], href=entry[2]), [toc(link) for link in entry[3]])

        for step in self.steps:
            if step[0] == "book":
                getattr(book, step[1])(*step[2])
            elif step[0] == "item":
                _, kind, init, media_type, links = step
                item = classes[kind](**init)
                if media_type is not None:
                    item.media_type = media_type
                for link in links:
                    item.add_link(**link)
                items[item.id] = book.add_item(item)
            elif step[0] == "toc":
                book.toc = [toc(entry) for entry in step[1]]
            elif step[0] == "guide":
                book.guide = step[1]
            elif step[0] == "spine":
                book.spine = [items[uid] if linear is None else (items[uid], linear)
                              for uid, linear in step[1]]
        return book
