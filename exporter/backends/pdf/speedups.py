"""Fixes for two slow spots that WeasyPrint's tagged, per-article PDFs hit, applied once.

Both leave the PDF byte-for-byte the same (tested):

- `pydyf.PDF.page_references` rebuilds the tuple of every page's reference each time it
  is read, and WeasyPrint reads it once per structure element and per anchor: quadratic
  in the issue's length (a 50-article PDF/UA briefing spent ~0.8 s there, a 200-article
  one ~10 s). Here it is cached until a page is added.
- WeasyPrint's font subsetting asks cffi for a `hb_codepoint_t[N]` array sized by each
  font's glyph count, and cffi parses every new C type string with pycparser (~15 ms).
  Fonts subset once per part (each article is its own PDF) have ever new glyph counts:
  20 articles cost 0.4 s of parsing, a twelfth of their typesetting. The same array
  is asked for as `hb_codepoint_t[]`, which cffi parses once and sizes from its items.
"""

from __future__ import annotations

import re
from typing import Any

_applied = False
_SIZED_ARRAY = re.compile(r"(\w+)\[(\d+)\]")


class _UnsizedArrays:
    """An FFI whose `new("T[N]", items)` of exactly N items asks for `T[]` instead."""

    def __init__(self, ffi: Any) -> None:
        self._ffi = ffi

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)

    def new(self, cdecl: str, init: Any = None) -> Any:
        sized = _SIZED_ARRAY.fullmatch(cdecl)
        if sized and isinstance(init, (list, tuple)) and len(init) == int(sized[2]):
            cdecl = f"{sized[1]}[]"
        return self._ffi.new(cdecl, init)


def apply() -> None:
    global _applied
    if _applied:
        return
    _cache_page_references()
    _unsized_subset_arrays()
    _applied = True


def _cache_page_references() -> None:
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


def _unsized_subset_arrays() -> None:
    from weasyprint.pdf import fonts

    if not hasattr(fonts, "ffi") or isinstance(fonts.ffi, _UnsizedArrays):
        return  # a WeasyPrint that changed, or already applied
    fonts.ffi = _UnsizedArrays(fonts.ffi)
