"""PDF checks with pypdf: tagged structure, language, outline, embedded fonts, page count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...findings import Checker, Finding, summarise


def check_pdf(path: Path) -> list[Finding]:
    name = str(path)
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        return [Finding("warning", name, "not checked: pypdf is not installed (pip install pypdf)")]
    try:
        reader = PdfReader(path)
        root = reader.trailer["/Root"].get_object()
        pages = len(reader.pages)
        outline = reader.outline
    except (PyPdfError, OSError, KeyError, ValueError) as exc:
        return [Finding("error", name, f"not a readable PDF: {exc}")]
    findings: list[Finding] = []
    passed = [f"{pages} page{'s' if pages != 1 else ''}"]
    if pages == 0:
        findings.append(Finding("error", name, "has no pages"))
    marked = root.get("/MarkInfo", {})
    if "/StructTreeRoot" not in root or not marked.get("/Marked"):
        missing = "/StructTreeRoot" if "/StructTreeRoot" not in root else "/MarkInfo /Marked true"
        findings.append(Finding("error", name, f"not tagged (no {missing}): screen readers "
                                               "cannot follow it; build with --pdf-variant pdf/ua-1"))
    else:
        passed.append("tagged")
        figures, missing = _figure_alts(root["/StructTreeRoot"])
        if missing:  # what WeasyPrint reports as "no required alt description"
            findings.append(Finding("error", name, f"{missing} of {figures} figure(s) without alt "
                                                   "text (PDF/UA needs /Alt on every Figure)"))
        elif figures:
            passed.append(f"{figures} figure{'s' if figures != 1 else ''} with alt")
    if not root.get("/Lang"):
        findings.append(Finding("error", name, "no document language (/Lang)"))
    else:
        passed.append(f"language {root['/Lang']}")
    entries = _count(outline)
    if entries:
        passed.append(f"outline of {entries}")
    else:
        findings.append(Finding("warning", name, "no outline (bookmarks): readers cannot jump "
                                                 "to articles"))
    unembedded = sorted({font for page in reader.pages for font in _unembedded_fonts(page)})
    if unembedded:
        findings.append(Finding("error", name, f"{len(unembedded)} font(s) not embedded: "
                                               f"{', '.join(unembedded[:3])}"))
    else:
        passed.append("fonts embedded")
    return summarise(path, findings, passed)


def _figure_alts(tree: Any) -> tuple[int, int]:
    """(Figure elements, those with no /Alt or /ActualText) in the structure tree."""
    figures = missing = 0
    seen: set[int] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if hasattr(node, "idnum"):  # an indirect reference: visit each object once
            if node.idnum in seen:
                continue
            seen.add(node.idnum)
        node = node.get_object()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not hasattr(node, "get"):
            continue  # a marked-content id
        if node.get("/S") == "/Figure":
            figures += 1
            missing += not (str(node.get("/Alt", "")).strip() or node.get("/ActualText"))
        if "/K" in node:
            pending.append(node["/K"])
    return figures, missing


def _count(outline: list[Any]) -> int:
    return sum(_count(item) if isinstance(item, list) else 1 for item in outline)


def _unembedded_fonts(page: Any) -> list[str]:
    """Base names of fonts used on the page (and its form XObjects) with no font file."""
    names: list[str] = []
    seen: set[int] = set()

    def visit(resources: Any) -> None:
        if resources is None or id(resources) in seen:
            return
        seen.add(id(resources))
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if not _embedded(font):
                names.append(str(font.get("/BaseFont", "?")).lstrip("/"))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    visit(page.get("/Resources"))
    return names


def _embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the font's own procedures
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return False
        font = descendants.get_object()[0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


CHECKS: dict[str, Checker] = {".pdf": check_pdf}
