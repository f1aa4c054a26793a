"""`exporter preview`: build into a temporary folder, then PNGs of every format on one page.

The email at 600 and 375 px wide and the EPUB pages are screenshots from headless
Chromium; the PDF pages come from pdftoppm. `index.html` shows them side by side.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ExporterError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars",
                  # Offline and quick: nothing resolves, so a remote image cannot stall a shot.
                  "--host-resolver-rules=MAP * ~NOTFOUND")
EMAIL_SIZES = ((600, 3200), (375, 4000))  # tall windows; the blank end is trimmed
EREADER_SIZE = (560, 760)  # a Kobo Clara's page at half its pixels
HEADING = re.compile(r"<h[1-3]\b[^>]*>(.*?)</h[1-3]>", re.S | re.I)
TIMEOUT = 90  # seconds per screenshot or page


class PreviewError(ExporterError):
    """A preview that cannot be made: a missing tool or an output it cannot read."""


@dataclass(frozen=True)
class Shot:
    """One preview image and the label shown under it on the contact sheet."""

    format: str
    label: str
    path: Path


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PreviewError("preview", "needs Chromium for screenshots: install it "
                                  "(apt-get install chromium)")


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if not found:
        raise PreviewError("preview", "needs pdftoppm for PDF pages: install poppler-utils "
                                      "(apt-get install poppler-utils)")
    return found


def screenshot(page: Path, target: Path, size: tuple[int, int]) -> Path:
    """A PNG of a local page at the given window size."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="exporter-chromium-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={size[0]},{size[1]}", f"--screenshot={target}",
                   page.resolve().as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PreviewError(str(page), f"Chromium took over {TIMEOUT} s to render it")
    if not target.is_file():
        raise PreviewError(str(page), "Chromium wrote no screenshot")
    return target


def trim_bottom(png: Path, margin: int = 24) -> Path:
    """Cut the empty end of a screenshot: rows the colour of its bottom-left pixel."""
    from PIL import Image, ImageChops

    with Image.open(png) as shot:
        image = shot.convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((0, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box and box[3] + margin < image.height:
        image.crop((0, 0, image.width, box[3] + margin)).save(png)
    return png


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


def _normal(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(text)).split()).casefold()


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
    wanted = {_normal(t) for t in titles if t}
    for title, page, _ in entries:
        if _normal(title) in wanted:
            return page + 1
    for title, page, leaf in entries:
        if leaf and page > 0:
            return page + 1
    return min(2, len(reader.pages))


def pdf_shots(pdf: Path, out: Path, titles: Iterable[str] = ()) -> list[Shot]:
    article = first_article_page(pdf, titles)
    return [Shot("PDF", "cover (page 1)", pdf_page(pdf, 1, out / "pdf-cover.png")),
            Shot("PDF", f"first article (page {article})",
                 pdf_page(pdf, article, out / "pdf-article.png"))]


def email_shots(page: Path, out: Path, work: Path) -> list[Shot]:
    """The email HTML at desktop and phone widths; cid: images come from the .eml beside it."""
    page = _with_cid_images(page, work)
    return [Shot("Email", f"{width} px wide",
                 trim_bottom(screenshot(page, out / f"email-{width}.png", (width, height))))
            for width, height in EMAIL_SIZES]


def _with_cid_images(page: Path, work: Path) -> Path:
    text = page.read_text(encoding="utf-8", errors="replace")
    eml = next(iter(sorted(page.parent.glob("*.eml"))), None)
    if "cid:" not in text or eml is None:
        return page
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    folder = work / "email-images"
    folder.mkdir(parents=True, exist_ok=True)
    for number, part in enumerate(message.walk()):
        cid = str(part.get("Content-ID", "")).strip().strip("<>")
        payload = part.get_payload(decode=True) if cid else None
        if cid and isinstance(payload, bytes):
            name = f"{number}{Path(part.get_filename() or '').suffix or '.img'}"
            (folder / name).write_bytes(payload)
            text = text.replace(f"cid:{cid}", (folder / name).as_uri())
    rewritten = work / "email-preview.html"
    rewritten.write_text(text, encoding="utf-8")
    return rewritten


def epub_shots(book: Path, out: Path, work: Path, titles: Iterable[str] = ()) -> list[Shot]:
    """The book's cover page and first article, rendered from its own XHTML and CSS."""
    folder = work / "epub"
    spine, cover = _unpack(book, folder)
    if not spine:
        raise PreviewError(str(book), "has no pages in its spine")
    wanted = {_normal(t) for t in titles if t}
    # The first page with an article's headline as a heading (a contents page only links it).
    article = next((p for p in spine if p != cover and wanted & {
        _normal(h) for h in HEADING.findall(p.read_text(encoding="utf-8", errors="replace"))}), None)
    if article is None:
        article = next((p for p in spine if p != cover and not re.search(
            r"nav|toc|contents", p.stem, re.I)), spine[-1])
    shots = []
    if cover is not None:
        shots.append(Shot("EPUB", "cover", screenshot(cover, out / "epub-cover.png", EREADER_SIZE)))
    shots.append(Shot("EPUB", f"first article ({article.name})",
                      screenshot(article, out / "epub-article.png", EREADER_SIZE)))
    return shots


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
