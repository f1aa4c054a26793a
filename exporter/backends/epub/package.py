"""Turning ebooklib's zip into a reproducible, reader-friendly EPUB container.

ebooklib stamps zip entries with the clock and cannot write `xml:lang` on the OPF
`<package>`; this module rewrites the archive once it is written: `mimetype` first and
stored, a fixed entry order and time, and small fixes to the package, nav and NCX files.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

from lxml import etree

from ...errors import BuildError

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF_NS = "http://www.idpf.org/2007/opf"
XHTML_NS = "http://www.w3.org/1999/xhtml"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
STORED_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")  # already compressed
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--, the same on every machine

Fix = Callable[[bytes], bytes]


def zip_time(date: str) -> tuple[int, int, int, int, int, int]:
    """Midnight of the issue date (ISO), clamped to the zip format's 1980 epoch."""
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        day = dt.date(1980, 1, 1)
    day = max(day, dt.date(1980, 1, 1))
    return (day.year, day.month, day.day, 0, 0, 0)


def repackage(data: bytes, date_time: tuple[int, int, int, int, int, int],
              fixes: dict[str, Fix] | None = None) -> bytes:
    """The same EPUB with fixed entry times and order; `fixes` rewrite named entries."""
    fixes = fixes or {}
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = source.namelist()
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise BuildError("epub", f"two files at one path in the book: {duplicates[0]}")
        contents = {name: source.read(name) for name in names}
    first = [n for n in ("mimetype", "META-INF/container.xml") if n in contents]
    order = first + [n for n in names if n not in first]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in order:
            content = contents[name]
            if name in fixes:
                content = fixes[name](content)
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = FILE_MODE
            stored = name == "mimetype" or name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            target.writestr(info, content, compresslevel=None if stored else 9)
    return out.getvalue()


def _serialise(root: etree._Element) -> bytes:
    """The whole document again, its DOCTYPE included."""
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8",
                          pretty_print=True)


def _parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=True, resolve_entities=False,
                                                  no_network=True))


def fix_opf(language: str) -> Fix:
    """`xml:lang` on `<package>`: readers and DAISY Ace want the book's language there."""

    def fix(data: bytes) -> bytes:
        root = _parse(data)
        root.set(XML_LANG, language)
        return _serialise(root)

    return fix


def fix_nav(data: bytes) -> bytes:
    """Declare UTF-8 in the nav's head too, as every other page of the book does."""
    root = _parse(data)
    head = root.find(f"{{{XHTML_NS}}}head")
    if head is not None and head.find(f"{{{XHTML_NS}}}meta[@charset]") is None:
        meta = etree.Element(f"{{{XHTML_NS}}}meta", charset="utf-8")
        head.insert(0, meta)
    return _serialise(root)


def fix_ncx(language: str) -> Fix:
    """The NCX's real depth (ebooklib writes 0) and language."""

    def fix(data: bytes) -> bytes:
        root = _parse(data)
        root.set(XML_LANG, language)
        nav_map = root.find(f"{{{NCX_NS}}}navMap")
        depth = _depth(nav_map) if nav_map is not None else 1
        for meta in root.iter(f"{{{NCX_NS}}}meta"):
            if meta.get("name") == "dtb:depth":
                meta.set("content", str(max(1, depth)))
        return _serialise(root)

    return fix


def _depth(element: etree._Element) -> int:
    points = element.findall(f"{{{NCX_NS}}}navPoint")
    return max((1 + _depth(p) for p in points), default=0)
