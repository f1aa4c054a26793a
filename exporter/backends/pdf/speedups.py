"""A fix for a slow spot in pydyf that WeasyPrint's tagged PDFs hit, applied once.

`pydyf.PDF.page_references` rebuilds the tuple of every page's reference each time it is
read, and WeasyPrint reads it once per structure element and per anchor: quadratic in
the issue's length (a 50-article PDF/UA briefing spent ~0.8 s there, a 200-article one
~10 s). Here it is cached until a page is added. The output is byte-for-byte the same.
"""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    import pydyf

    original = pydyf.PDF.page_references
    if not isinstance(original, property):  # a pydyf that changed: leave it alone
        return

    def page_references(self: Any) -> tuple[bytes, ...]:
        kids = self.pages["Kids"]
        cached = self.__dict__.get("_exporter_page_references")
        if cached is None or cached[0] != len(kids):
            cached = (len(kids), original.fget(self))
            self.__dict__["_exporter_page_references"] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    _applied = True
