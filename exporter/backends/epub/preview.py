"""EPUB previews: the cover and first article pages, rendered from the book's own XHTML and CSS."""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ...screenshots import PreviewError, Shot, chromium, normal_title, screenshot

EREADER_SIZE = (560, 760)  # a Kobo Clara's page at half its pixels
HEADING = re.compile(r"<h[1-3]\b[^>]*>(.*?)</h[1-3]>", re.S | re.I)
BUILD_OPTIONS: dict[str, object] = {}


def wants(path: Path) -> bool:
    return path.suffix.lower() == ".epub"


def require_tools() -> None:
    chromium()


def shots(book: Path, out: Path, work: Path, titles: Iterable[str] = ()) -> list[Shot]:
    """The book's cover page and first article, rendered from its own XHTML and CSS."""
    folder = work / "epub"
    spine, cover = _unpack(book, folder)
    if not spine:
        raise PreviewError(str(book), "has no pages in its spine")
    wanted = {normal_title(t) for t in titles if t}
    # The first page with an article's headline as a heading (a contents page only links it).
    article = next((p for p in spine if p != cover and wanted & {
        normal_title(h) for h in HEADING.findall(p.read_text(encoding="utf-8", errors="replace"))}), None)
    if article is None:
        article = next((p for p in spine if p != cover and not re.search(
            r"nav|toc|contents", p.stem, re.I)), spine[-1])
    taken = []
    if cover is not None:
        taken.append(Shot("EPUB", "cover", screenshot(cover, out / "epub-cover.png", EREADER_SIZE)))
    taken.append(Shot("EPUB", f"first article ({article.name})",
                      screenshot(article, out / "epub-article.png", EREADER_SIZE)))
    return taken


def _unpack(book: Path, folder: Path) -> tuple[list[Path], Path | None]:
    """Extract the book (names checked: nothing lands outside folder); spine pages and cover page."""
    try:
        archive = zipfile.ZipFile(book)
    except zipfile.BadZipFile:
        raise PreviewError(str(book), "is not a ZIP archive (not an EPUB)")
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or info.is_dir():
                continue
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
    container = (folder / "META-INF" / "container.xml")
    match = re.search(r'full-path="([^"]+)"', container.read_text("utf-8")) if container.exists() else None
    if not match:
        raise PreviewError(str(book), "has no META-INF/container.xml naming its package")
    opf = folder / match.group(1)
    text = opf.read_text("utf-8", errors="replace")
    items = {}
    for tag in re.findall(r"<(?:\w+:)?item\b[^>]*>", text):
        attrs = dict(re.findall(r'([\w:-]+)="([^"]*)"', tag))
        items[attrs.get("id")] = attrs
    spine = [opf.parent / html.unescape(items[idref]["href"])
             for idref in re.findall(r'<(?:\w+:)?itemref\b[^>]*idref="([^"]+)"', text) if idref in items]
    cover_image = next((a["href"] for a in items.values() if "cover-image" in a.get("properties", "")), None)
    pages = spine + [opf.parent / html.unescape(a["href"]) for a in items.values()
                     if a.get("media-type") == "application/xhtml+xml"]  # a cover may be off-spine
    cover = None
    for page in pages:
        content = page.read_text("utf-8", errors="replace") if page.exists() else ""
        if "cover" in page.stem.lower() or (cover_image and Path(cover_image).name in content
                                             and "<p" not in content):
            cover = page
            break
    if cover is None and cover_image:  # no cover page: show the image as a reader would
        cover = folder / "exporter-cover.html"
        image = (opf.parent / html.unescape(cover_image)).as_uri()
        cover.write_text(f'<!doctype html><body style="margin:0"><img src="{image}" alt="cover" '
                         'style="width:100%;height:100vh;object-fit:contain"></body>', "utf-8")
    return [p for p in spine if p.exists()], cover
