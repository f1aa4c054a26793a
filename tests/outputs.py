"""Small output files made on the spot with the real libraries, for `check` and preview tests.

They stand in for the backends' outputs, so these tests pass with or without the backends.
"""

from __future__ import annotations

import shutil
import zipfile
from email.message import EmailMessage
from pathlib import Path

from PIL import Image

ARTICLE = ("<h1>Manila's floodgates face their first typhoon</h1>"
           "<p>The city's new gates were tested for the first time this week.</p>")


def photo(path: Path, size: tuple[int, int] = (400, 300)) -> Path:
    Image.new("RGB", size, "#2a6f97").save(path, "JPEG")
    return path


# What DAISY Ace requires of a book's package (PITFALLS.md), as ebooklib writes metadata.
ACCESSIBILITY = [("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
                 ("schema:accessModeSufficient", "textual"),
                 ("schema:accessibilityFeature", "alternativeText"),
                 ("schema:accessibilityFeature", "structuralNavigation"),
                 ("schema:accessibilityHazard", "none"),
                 ("schema:accessibilitySummary", "Headings, alternative text and a table of contents.")]


def make_epub(path: Path, *, cover: bool = False, accessible: bool = True) -> Path:
    """A tiny EPUB 3 that passes EPUBCheck 5.3: one chapter with a photo, nav and NCX.

    `cover` adds ebooklib's cover page (which EPUBCheck 5.3 flags: OPF-096), for previews;
    `accessible=False` leaves out the accessibility metadata and package language that
    DAISY Ace requires (a valid book Ace fails).
    """
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    book.set_title("Asia Briefing")
    book.set_language("en")
    book.add_author("Asia Briefing Desk")
    for name, value in ACCESSIBILITY if accessible else []:
        book.add_metadata(None, "meta", value, {"property": name})
    css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                        content=b"body { font-family: serif } img { max-width: 100% }")
    book.add_item(css)
    jpeg = path.with_suffix(".jpg")
    photo(jpeg)
    if cover:
        book.set_cover("images/cover.jpg", photo(path.with_suffix(".cover.jpg"), (800, 1280)).read_bytes())
    book.add_item(epub.EpubImage(uid="photo", file_name="images/photo.jpg",
                                 media_type="image/jpeg", content=jpeg.read_bytes()))
    chapter = epub.EpubHtml(title="Floodgates", file_name="article.xhtml", lang="en")
    chapter.content = (ARTICLE + '<figure><img src="images/photo.jpg" alt="The floodgates"/>'
                       "<figcaption>The gates. <span>AP</span></figcaption></figure>")
    chapter.add_link(href="style.css", rel="stylesheet", type="text/css")
    book.add_item(chapter)
    book.toc = [epub.Link("article.xhtml", "Floodgates", "article")]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", chapter]
    epub.write_epub(str(path), book)
    if accessible:
        _set_package_language(path)
    jpeg.unlink()
    path.with_suffix(".cover.jpg").unlink(missing_ok=True)
    return path


def _set_package_language(path: Path) -> None:
    """`xml:lang` on the OPF's <package>, which ebooklib never writes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            if info.filename.endswith(".opf"):
                data = data.replace(b"<package ", b'<package xml:lang="en" ', 1)
            target.writestr(info, data, compress_type=(zipfile.ZIP_STORED if info.filename ==
                                                       "mimetype" else zipfile.ZIP_DEFLATED))


def break_epub(good: Path, bad: Path) -> Path:
    """A copy whose chapter is not well-formed XML and whose photo is missing."""
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("article.xhtml"):
                data = data.replace(b"</p>", b"", 1)
            if info.filename.endswith("photo.jpg"):
                continue
            target.writestr(info, data, compress_type=(zipfile.ZIP_STORED if info.filename ==
                                                       "mimetype" else zipfile.ZIP_DEFLATED))
    return bad


def email_html(*, padding: int = 0, broken: bool = False) -> str:
    """An email body; `broken` adds a missing alt, a relative link, a script and a handler."""
    image = ('<img src="https://example.com/photo.jpg" width="600">' if broken else
             '<img src="https://example.com/photo.jpg" alt="The floodgates" width="600">')
    link = '<a href="/story">Read on</a>' if broken else '<a href="https://example.com/story">Read on</a>'
    extra = '<script>track()</script><p onclick="x()">Hi</p>' if broken else ""
    filler = "<p>" + "Lorem ipsum dolor sit amet. " * (padding // 28 + 1) + "</p>" if padding else ""
    return (f'<!doctype html><html lang="en"><body><h1>Asia Briefing</h1>{image}{link}{extra}'
            f'{filler}<a href="https://example.com/unsubscribe">Unsubscribe</a></body></html>')


def make_eml(path: Path, *, broken: bool = False) -> Path:
    message = EmailMessage()
    message["From"] = "Asia Briefing <briefing@example.com>"
    message["To"] = "reader@example.com"
    message["Subject"] = "Asia Briefing No. 42"
    if not broken:
        message["List-Unsubscribe"] = "<https://example.com/unsubscribe?u=1>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content("Asia Briefing\n\nManila's floodgates face their first typhoon.\n")
        message.add_alternative(email_html().replace("https://example.com/photo.jpg",
                                                     "cid:photo1@example.com"), subtype="html")
    else:
        message.set_content(email_html().replace("https://example.com/photo.jpg",
                                                 "cid:missing@example.com"), subtype="html")
    jpeg = photo(path.with_suffix(".jpg"))
    html_part = message.get_body(("html",))
    html_part.add_related(jpeg.read_bytes(), "image", "jpeg", cid="<photo1@example.com>")
    jpeg.unlink()
    path.write_bytes(bytes(message))
    return path


def make_pdf(path: Path, *, tagged: bool = True) -> Path:
    """A two-page briefing from WeasyPrint: a cover and one article, with an outline."""
    import weasyprint

    html = ('<html lang="en"><head><style>h1 { bookmark-level: 1 } .cover h1 { font-size: 40pt }'
            '</style></head><body><section class="cover"><h1>Asia Briefing</h1></section>'
            f'<section style="break-before: page">{ARTICLE.replace("h1", "h2")}</section></body></html>')
    weasyprint.HTML(string=html).write_pdf(path, pdf_variant="pdf/ua-1" if tagged else None)
    return path


def make_untagged_pdf(path: Path) -> Path:
    """A PDF without tags, language, outline or embedded fonts (a standard-14 font)."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def copy(path: Path, target: Path) -> Path:
    shutil.copy(path, target)
    return target
