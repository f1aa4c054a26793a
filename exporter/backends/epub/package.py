"""Turning ebooklib's zip into a reproducible, reader-friendly EPUB container.

ebooklib stamps zip entries with the clock and cannot write `xml:lang` on the OPF
`<package>`; this module rewrites the archive once it is written: `mimetype` first and
stored, a fixed entry order and time, and small fixes to the package, nav and NCX files.
The book's pages and images come ready as `Entry`s, compressed once and kept in the
build cache (ebooklib writes empty placeholders for them), so a rebuild neither
compresses an unchanged page again nor converts an unchanged photo; the zip is written
here, straight to the output file: a few fixed-size records around those bytes, a
photo's copied from the file that holds it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import struct
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from ...errors import BuildError

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF_NS = "http://www.idpf.org/2007/opf"
XHTML_NS = "http://www.w3.org/1999/xhtml"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
STORED_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")  # already compressed
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--, the same on every machine

Fix = Callable[[bytes], bytes]
DateTime = tuple[int, int, int, int, int, int]
ZIP_VERSION = 20  # 2.0: deflate
DEFLATED, STORED = 8, 0  # an entry's compression method (zipfile, loaded only to read a zip)
UTF8_NAMES = 0x800  # general purpose flag: the entry's name is UTF-8
ZIP_LIMIT = 0xFFFFFFFF  # beyond this size or offset a zip needs ZIP64, which readers lack


@dataclass(frozen=True)
class Entry:
    """One file of the book as the zip holds it: raw deflate (or the bytes themselves when
    stored), with the checksum and size of the file. A stored entry may instead name the
    `file` that holds its bytes (a photo's rendition in the cache), copied when written."""

    data: bytes
    crc: int
    size: int
    deflated: bool
    file: str | None = None

    @property
    def stored_size(self) -> int:
        return self.size if self.file is not None else len(self.data)


def kept_in(file: Path, content: bytes) -> Entry:
    """A stored entry whose bytes (`content`) stay in `file`: the zip copies them."""
    return Entry(b"", zlib.crc32(content), len(content), deflated=False, file=str(file))


def packed(content: bytes, *, stored: bool = False) -> Entry:
    """The file compressed as the zip holds it (deflate, level 9), or kept as it is."""
    if stored:
        return Entry(content, zlib.crc32(content), len(content), deflated=False)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Entry(packer.compress(content) + packer.flush(), zlib.crc32(content), len(content),
                 deflated=True)


def is_stored(name: str) -> bool:
    """`mimetype` (the OCF requires it) and images, which are compressed already."""
    return name == "mimetype" or name.lower().endswith(STORED_SUFFIXES)


def zip_time(date: str) -> tuple[int, int, int, int, int, int]:
    """Midnight of the issue date (ISO), clamped to the zip format's 1980 epoch."""
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        day = dt.date(1980, 1, 1)
    day = max(day, dt.date(1980, 1, 1))
    return (day.year, day.month, day.day, 0, 0, 0)


def package_files(data: bytes, fixes: dict[str, Fix],
                  ready: Collection[str]) -> list[tuple[str, Entry | None]]:
    """The files of ebooklib's zip (`data`) in the book's order, `mimetype` first, each
    as its entry (fixed by `fixes`, compressed) or None for those named in `ready`, whose
    entries are made apart and take their placeholder's place."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        names = source.namelist()
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise BuildError("epub", f"two files at one path in the book: {duplicates[0]}")
        contents = {name: source.read(name) for name in names if name not in ready}
    first = [n for n in ("mimetype", "META-INF/container.xml") if n in names]
    files: list[tuple[str, Entry | None]] = []
    for name in first + [n for n in names if n not in first]:
        if name in ready:
            files.append((name, None))
            continue
        content = fixes[name](contents[name]) if name in fixes else contents[name]
        files.append((name, packed(content, stored=is_stored(name))))
    return files


def write_zip(entries: list[tuple[str, Entry]], date_time: DateTime, out: BinaryIO) -> None:
    """A zip of these entries in this order, each dated `date_time`, a regular file
    (rw-r--r--), made on Unix: the same bytes on every machine."""
    year, month, day, hour, minute, second = date_time
    date = (year - 1980) << 9 | month << 5 | day
    clock = hour << 11 | minute << 5 | second // 2
    directory: list[bytes] = []
    offset = 0
    for name, entry in entries:
        encoded = name.encode("utf-8")
        flags = 0 if encoded.isascii() else UTF8_NAMES
        method = DEFLATED if entry.deflated else STORED
        fields = (ZIP_VERSION, flags, method, clock, date, entry.crc, entry.stored_size,
                  entry.size, len(encoded))
        if max(offset, entry.stored_size, entry.size) > ZIP_LIMIT:
            raise BuildError("epub", "the book is larger than 4 GB, more than a zip holds")
        out.write(struct.pack("<4s5H3L2H", b"PK\3\4", *fields, 0) + encoded)
        if entry.file is None:
            out.write(entry.data)
        else:
            _copy(entry.file, entry.size, out)
        directory += [struct.pack("<4s6H3L5H2L", b"PK\1\2", 3 << 8 | ZIP_VERSION, *fields,
                                  0, 0, 0, 0, FILE_MODE, offset), encoded]
        offset += 30 + len(encoded) + entry.stored_size
    central = b"".join(directory)
    if offset > ZIP_LIMIT or len(entries) > 0xFFFF:
        raise BuildError("epub", "the book has more files or bytes than a zip holds")
    end = struct.pack("<4s4H2LH", b"PK\5\6", 0, 0, len(entries), len(entries), len(central),
                      offset, 0)
    out.write(central + end)


def _copy(file: str, size: int, out: BinaryIO) -> None:
    """The file's `size` bytes appended to `out`: by the kernel when `out` is a file (a
    book's photos are most of its bytes, and a rebuild copies every one of them)."""
    with open(file, "rb") as source:
        try:
            out.flush()
            target = out.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):  # a buffer, not a file
            shutil.copyfileobj(source, out)
            return
        copied = 0
        while copied < size:
            sent = os.sendfile(target, source.fileno(), copied, size - copied)
            if sent == 0:
                raise BuildError(file, "became shorter while the book was written")
            copied += sent


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
