"""PDF previews: the cover and the first article's page as PNGs from pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ...screenshots import TIMEOUT, PreviewError, Shot, normal_title

BUILD_OPTIONS: dict[str, object] = {}


def wants(path: Path) -> bool:
    return path.suffix.lower() == ".pdf"


def require_tools() -> None:
    pdftoppm()


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if not found:
        raise PreviewError("preview", "needs pdftoppm for PDF pages: install poppler-utils "
                                      "(apt-get install poppler-utils)")
    return found


def pdf_page(pdf: Path, page: int, target: Path) -> Path:
    """Page `page` (1-based) of a PDF as a PNG at 70 dpi."""
    stem = target.with_suffix("")
    try:
        subprocess.run([pdftoppm(), "-png", "-r", "70", "-f", str(page), "-l", str(page),
                        "-singlefile", str(pdf), str(stem)], capture_output=True, timeout=TIMEOUT,
                       check=True)
    except subprocess.CalledProcessError as exc:
        raise PreviewError(str(pdf), f"pdftoppm failed: {exc.stderr.decode(errors='replace').strip()}")
    except subprocess.TimeoutExpired:
        raise PreviewError(str(pdf), f"pdftoppm took over {TIMEOUT} s")
    return target


def first_article_page(pdf: Path, titles: Iterable[str] = ()) -> int:
    """The 1-based page of the first article, found through the PDF's outline.

    The outline entry matching an article title wins; else the first leaf entry after
    the cover; else page 2.
    """
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    entries: list[tuple[str, int, bool]] = []  # title, page index, is a leaf

    def walk(items: list) -> None:
        for i, item in enumerate(items):
            if isinstance(item, list):
                walk(item)
                continue
            leaf = not (i + 1 < len(items) and isinstance(items[i + 1], list))
            try:
                entries.append((str(item.title), reader.get_destination_page_number(item), leaf))
            except Exception:  # an outline entry without a page: skip it
                continue

    walk(reader.outline)
    wanted = {normal_title(t) for t in titles if t}
    for title, page, _ in entries:
        if normal_title(title) in wanted:
            return page + 1
    for title, page, leaf in entries:
        if leaf and page > 0:
            return page + 1
    return min(2, len(reader.pages))


def shots(pdf: Path, out: Path, work: Path, titles: Iterable[str] = ()) -> list[Shot]:
    """The cover and the first article's page (`work` unused: pdftoppm writes straight to out)."""
    article = first_article_page(pdf, titles)
    return [Shot("PDF", "cover (page 1)", pdf_page(pdf, 1, out / "pdf-cover.png")),
            Shot("PDF", f"first article (page {article})",
                 pdf_page(pdf, article, out / "pdf-article.png"))]
