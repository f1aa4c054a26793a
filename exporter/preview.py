"""`exporter preview`: build into a temporary folder, then PNGs of every format on one page.

The email at 600 and 375 px wide and the EPUB pages are screenshots from headless
Chromium; the PDF pages come from pdftoppm. `index.html` shows them side by side.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .backends.email.preview import email_shots
from .backends.epub.preview import epub_shots
from .backends.pdf.preview import pdf_shots, pdftoppm
from .screenshots import PreviewError, Shot, chromium


def contact_sheet(shots: list[Shot], out: Path, title: str) -> Path:
    """index.html: every preview side by side, each labelled with its format and page."""
    cells = "\n".join(
        f'<figure><div class="frame"><a href="{html.escape(s.path.name)}"><img '
        f'src="{html.escape(s.path.name)}" alt="{html.escape(s.format + ": " + s.label)}"></a></div>'
        f"<figcaption><strong>{html.escape(s.format)}</strong> {html.escape(s.label)}</figcaption>"
        f"</figure>" for s in shots)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Preview: {html.escape(title)}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 24px; background: #eceff1; color: #222 }}
.sheet {{ display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start }}
figure {{ flex: none; margin: 0; background: #fff; padding: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.2) }}
/* natural size (600 px is 600 px); a long email scrolls inside its frame */
.frame {{ max-height: 820px; overflow-y: auto; border: 1px solid #ddd }}
img {{ display: block }}
figcaption {{ margin-top: 6px; font-size: 13px; color: #555 }}
</style></head>
<body><h1>Preview: {html.escape(title)}</h1>
<p>Built {len(shots)} previews. Click one to see it at full size.</p>
<div class="sheet">
{cells}
</div>
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def preview_files(files: Iterable[Path], out: Path, *, title: str = "",
                  titles: Iterable[str] = ()) -> Path:
    """Previews of built outputs (.html email, .pdf, .epub) and their contact sheet in out."""
    files = list(files)
    kinds = {f.suffix.lower() for f in files}
    if kinds & {".html", ".epub"}:
        chromium()  # fail before any work, naming what to install
    if ".pdf" in kinds:
        pdftoppm()
    out.mkdir(parents=True, exist_ok=True)
    titles = list(titles)
    shots: list[Shot] = []
    with tempfile.TemporaryDirectory(prefix="exporter-preview-") as tmp:
        work = Path(tmp)
        for path in files:
            suffix = path.suffix.lower()
            if path.name.endswith(".web.html"):
                continue  # the "View in browser" page, not the message
            if suffix == ".html":
                shots += email_shots(path, out, work)
            elif suffix == ".pdf":
                shots += pdf_shots(path, out, titles)
            elif suffix == ".epub":
                shots += epub_shots(path, out, work, titles)
    if not shots:
        raise PreviewError("preview", "nothing to preview: no email (.html), PDF or EPUB was built")
    return contact_sheet(shots, out, title or "issue")


PREVIEW_FORMATS = ("email", "pdf", "epub")


def preview(project: object, out: Path, *, formats: list[str] | None = None,
            offline: bool = False, allow_private: bool = False) -> Path:
    """Build the project's email, PDF and EPUB into a temporary folder and preview them."""
    from .backends import BACKENDS
    from .build import build
    from .manifest import Project

    assert isinstance(project, Project)
    chromium()  # the tools first: a missing one is named before any build work
    formats = formats or [f for f in PREVIEW_FORMATS if f in BACKENDS]
    if "pdf" in formats or not formats:
        pdftoppm()
    if not formats:
        raise PreviewError("preview", "no email, PDF or EPUB backend is installed")
    overrides = _preview_overrides(formats)
    titles = [a.title for a in project.issue.articles()]
    with tempfile.TemporaryDirectory(prefix="exporter-build-") as tmp:
        outputs, _ = build(project, formats, Path(tmp) / "out", overrides=overrides,
                           offline=offline, allow_private=allow_private)
        files = [p for o in outputs for p in o.files if p.suffix.lower() in (".html", ".pdf", ".epub")]
        return preview_files(files, out, title=project.issue.title, titles=titles)


def _preview_overrides(formats: list[str]) -> dict[str, dict[str, object]]:
    """Photos embedded in the email (if the backend can), so the preview shows them offline."""
    import dataclasses

    from .backends import backend

    if "email" not in formats:
        return {}
    fields = {f.name for f in dataclasses.fields(backend("email").Options)}
    return {"email": {"embed_images": True}} if "embed_images" in fields else {}
