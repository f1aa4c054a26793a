"""EPUB 3 (with an EPUB 2 NCX) built with ebooklib: one XHTML file per article.

The article markup is the shared fragment (`exporter/article_html.py`) inside our own
page shell (`templates/epub/page.xhtml`); ebooklib writes the package, nav and NCX, and
`package` makes the zip reproducible. Images are resized for a device profile and
stored once per content hash. Each article's finished pages and each photo are kept in
the build cache (`exporter.cache`) as the zip entries they become, so a rebuild after one
article changes renders and compresses that article only, and reads no unchanged photo.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import ebooklib  # its version only: ebooklib.epub is loaded when the package is written
import jinja2
from lxml import etree
from markupsafe import Markup

from ... import cache
from ...article_html import ImageRef, render_article
from ...assets import Asset, Assets, pillow
from ...atomic import writing
from ...errors import BuildError
from ...labels import IssueLabels, Labels
from ...links import linked_ids
from ...model import Article, Block, Figure, Issue
from ...templating import environment, long_date, render, templates_key
from .. import Job, Result
from .cover import COVER_SIZE, accent_colour, cover_alt, cover_jpeg, draw_cover
from .package import (Entry, fix_nav, fix_ncx, fix_opf, kept_in, package_files, packed, write_zip,
                      zip_time)
from .plan import BookPlan, TocEntry

XHTML_NS = "http://www.w3.org/1999/xhtml"
TEXT_DIR, IMAGE_DIR, CSS_FILE = "text", "images", "styles/book.css"
COVER_IMAGE = f"{IMAGE_DIR}/cover.jpg"  # its own name: never a photo's path
COVER_ID = "cover-img"  # the cover image's id in the package (ebooklib's own)
PNG_LIMIT = 400_000  # a "graphic" PNG this large is a photo: send it as JPEG instead
ROOT = "EPUB"  # ebooklib's folder inside the zip
CACHE_KIND = "epub-articles"  # each article's pages, under the cache root


@dataclass(frozen=True)
class Profile:
    """How images and files are prepared for one kind of reader."""

    width: int  # the box photos are fitted in
    height: int
    grayscale: bool
    quality: int
    cover: tuple[int, int]  # the box the cover is fitted in: the reader's screen
    document_kb: int  # an article's file beyond this is split; 0: never
    eink_budget: bool = False  # JPEG quality lowered until bytes <= width * height / 16


# Kindle keeps colour: the Kindle apps, Fire and Colorsoft show it, and e-ink Kindles
# convert on the device. Kobo and KOReader mostly run on e-ink, where greyscale files are
# a third smaller and the device would drop the colour anyway; with 16 grey levels,
# calibre's budget of width * height / 16 bytes costs nothing visible. Sizes: Kindle
# Paperwhite 5 and Kobo Libra 2 screens (calibre's profiles); the generic cover keeps
# COVER_SIZE for tablets and apps. Kobo and KOReader share the e-ink images and differ in
# files: a Kobo opens an .epub with the Adobe engine, which fails on a file over ~260 KB,
# so long articles are split; KOReader (crengine) has no such limit and starts a new
# page at every file, so an article stays one file.
PROFILES: dict[str, Profile] = {
    "generic": Profile(1600, 1600, grayscale=False, quality=82, cover=COVER_SIZE, document_kb=250),
    "kindle": Profile(1236, 1648, grayscale=False, quality=80, cover=(1236, 1648), document_kb=250),
    "kobo": Profile(1264, 1680, grayscale=True, quality=78, cover=(1264, 1680), document_kb=250,
                    eink_budget=True),
    "koreader": Profile(1264, 1680, grayscale=True, quality=78, cover=(1264, 1680), document_kb=0,
                        eink_budget=True),
}


@dataclass(frozen=True)
class Options:
    profile: Literal["generic", "kindle", "kobo", "koreader"] = "generic"
    quality: int = 0  # JPEG quality 1-95 (every photo re-encoded); 0 takes the profile's
    max_document_kb: int = -1  # an article's file beyond this is split; 0 never; -1 the profile's


def build(job: Job, options: Options) -> Result:
    issue = job.issue
    if not issue.articles():
        raise BuildError("epub", "the issue has no articles")
    if not 0 <= options.quality <= 95:
        raise BuildError("[epub].quality", "must be between 1 and 95 (0: the profile's)")
    if options.max_document_kb < -1:
        raise BuildError("[epub].max_document_kb", "must be a size in KB (0: never split)")
    profile = PROFILES[options.profile]
    book_labels = IssueLabels(issue.language, job.labels)
    labels = book_labels.issue
    env = environment(job.templates, job.theme, labels=book_labels)
    language = _language(issue.language)
    warnings: list[str] = []

    book = BookPlan()
    book.call("set_identifier", book_identifier(issue))
    _metadata(book, issue, language)
    if labels.direction == "rtl":  # the spine's page-progression-direction and the package's dir
        book.call("set_direction", "rtl")
    # The book's files, ready for the zip; ebooklib gets empty placeholders (see _write).
    entries: dict[str, Entry] = {}
    css = render(env, "epub/style.css", **_theme_css(job.theme))
    book.add_item("EpubItem", uid="style", file_name=CSS_FILE, media_type="text/css")
    entries[CSS_FILE] = _packed_once(css.encode("utf-8"))
    cover = _cover(job, profile, options.quality or profile.quality, labels)
    _add_cover_image(book)  # and our own cover page, below
    entries[COVER_IMAGE] = packed(cover, stored=True)

    names = _file_names(issue.articles())
    shell = _Shell(env, language, {id: f"{stem}.xhtml" for id, stem in names.items()})
    images = _Images(book, entries, job.assets, profile, options.quality)
    split_kb = profile.document_kb if options.max_document_kb == -1 else options.max_document_kb
    rendering = cache.key(CACHE_KIND, templates_key(job.templates), language,
                          json.dumps([job.theme, job.labels], sort_keys=True, default=str),
                          repr(profile), str(options.quality), str(split_kb))
    chapters = _chapters(shell, issue, names, images, split_kb * 1000 or sys.maxsize, warnings,
                         rendering)
    contents = labels.pgettext("contents", "Contents")
    cover_page = shell.page("cover", f"{TEXT_DIR}/cover.xhtml", labels.pgettext("cover", "Cover"),
                            "cover.xhtml", html_class="cover-html", body_class="cover-body",
                            src=f"../{COVER_IMAGE}", alt=cover_alt(issue, labels))
    contents_page = shell.page("contents", f"{TEXT_DIR}/contents.xhtml",
                               f"{contents} · {issue.title}", "contents.xhtml",
                               body_class="contents-page", issue=issue, entries=chapters.entries,
                               internal=chapters.hrefs(), image=lambda figure: None,
                               logo=images.logo(job.theme))
    for page in [cover_page, contents_page, *chapters.pages]:
        # The media type given: ebooklib would guess it, loading the system's MIME tables.
        book.add_item("EpubHtml", uid=page.id, file_name=page.file_name, title=page.title,
                      lang=page.lang, media_type="application/xhtml+xml")
        entries[page.file_name] = page.entry
    book.set("toc", [["link", contents_page.file_name, contents, "nav-contents"], *chapters.toc])
    book.set("guide", [  # EPUB 2 guide; ebooklib also writes it as the nav's landmarks
        {"type": "cover", "href": cover_page.file_name, "title": cover_page.title},
        {"type": "toc", "href": contents_page.file_name, "title": contents},
        {"type": "text", "href": chapters.pages[0].file_name,
         "title": labels.pgettext("start_reading", "Start reading")},
    ])
    # The cover is non-linear (readers show it from the metadata) and reachable from the
    # nav's landmarks, which EPUBCheck 5.3 requires (OPF-096).
    book.set("spine", [[cover_page.id, "no"], [contents_page.id, None],
                       *([page.id, None] for page in chapters.pages)])
    book.add_item("EpubNcx")
    book.add_item("EpubNav", title=contents, direction="rtl" if labels.direction == "rtl" else None,
                  links=[{"href": CSS_FILE, "rel": "stylesheet", "type": "text/css"}])

    path = job.out_dir / f"{job.stem}.epub"
    _write(book, entries, issue, language, labels, path)
    return Result([path], warnings)


def _cover(job: Job, profile: Profile, quality: int, labels: Labels) -> bytes:
    """The cover as the reader gets it, kept in the build cache: drawing its text is most
    of a warm rebuild's own time. Keyed by all it shows: the issue's masthead lines, each
    article's headline, kicker and lead photo, the cover photo, logo, theme and labels."""
    issue, assets = job.issue, job.assets

    def image_key(article: Article, figure: Figure | None) -> str | None:
        asset = assets.get(article, figure.image) if figure is not None else None
        return asset.key if asset is not None else None

    logo = assets.add_file(Path(job.theme["logo"])).key if job.theme.get("logo") else None
    shown = [[a.title, a.kicker, image_key(a, a.lead)] for a in issue.articles()]
    entry = cache.key("epub-cover", json.dumps(
        [issue.title, issue.subtitle, issue.publisher, issue.edition, issue.date, issue.language,
         shown, job.cover.key if job.cover else None, logo, job.theme, job.labels,
         profile.cover, profile.grayscale, quality], sort_keys=True, default=str))
    return cache.remembered("epub-cover", entry, lambda: cover_jpeg(
        draw_cover(issue, assets, job.theme, job.cover, labels=labels), profile.cover,
        profile.grayscale, quality))


def _add_cover_image(book: BookPlan) -> None:
    """What `set_cover(create_page=False)` adds, its media type given: ebooklib would
    guess it, and loading the system's MIME tables costs a rebuild 10 ms."""
    book.add_item("EpubCover", uid=COVER_ID, file_name=COVER_IMAGE, media_type="image/jpeg")
    book.call("add_metadata", None, "meta", "", {"name": "cover", "content": COVER_ID})


@dataclass
class _Chapters:
    """The article pages in reading order, the nav's tree and the contents page's list."""

    pages: list[_Page] = dataclasses.field(default_factory=list)
    toc: list[TocEntry] = dataclasses.field(default_factory=list)
    entries: list[dict] = dataclasses.field(default_factory=list)  # per section

    def hrefs(self) -> frozenset[str]:
        return frozenset(e["href"] for section in self.entries for e in section["articles"])


def _chapters(shell: _Shell, issue: Issue, names: dict[str, str], images: _Images, limit: int,
              warnings: list[str], rendering: str) -> _Chapters:
    """One XHTML file per article (more if it passes `limit` bytes), grouped by section.

    `rendering` keys everything an article's pages depend on besides the article itself
    (templates, theme, labels, options), so its pages are taken from the cache when none
    of it changed."""
    chapters = _Chapters()
    number = 0
    for section in issue.sections:
        entries, links = [], []
        for article in section.articles:
            number += 1
            stem = names[article.id]
            # Photos go into the book in this order whether the pages are cached or not,
            # and their stored names and sizes are part of the pages' key.
            refs = [images.resolve(article, figure) for figure in article.figures()]
            data = cache.as_json(article)
            entry = cache.key(rendering, str(number), stem, str(limit), repr(refs), data,
                              json.dumps(_linked_files(data, shell.article_files)))
            pages, said = cache.remembered(CACHE_KIND, entry, lambda: _article_pages(
                shell, article, number, stem, images, limit))
            warnings.extend(said)
            chapters.pages.extend(_Page(*page) for page in pages)
            entries.append({"article": article, "href": f"{stem}.xhtml"})
            links.append(["link", f"{TEXT_DIR}/{stem}.xhtml", article.title, f"nav-a{number:03d}"])
        if not entries:
            continue
        chapters.entries.append({"title": section.title, "articles": entries})
        if section.title:  # nav and NCX: section -> articles, never deeper
            chapters.toc.append(["section", section.title, links[0][1], links])
        else:
            chapters.toc.extend(links)
    return chapters


def _linked_files(data: str, article_files: dict[str, str]) -> list[tuple[str, str]]:
    """The files of the articles this one may link to: a page changes when one of those
    moves, not when any other article is renamed."""
    return sorted((id, article_files[id]) for id in linked_ids(data) if id in article_files)


PageFields = tuple[str, str, str, str, Entry]  # a _Page's uid, file name, title, lang, zip entry


def _article_pages(shell: _Shell, article: Article, number: int, stem: str, images: _Images,
                   limit: int) -> tuple[list[PageFields], list[str]]:
    """The article's pages (one, or more past `limit` bytes) and the warnings on the way."""
    said: list[str] = []
    pages = []
    for i, fragment in enumerate(_article_parts(shell.env, article, images.resolve, limit, said), 1):
        suffix = "" if i == 1 else f"-{i}"
        title = article.title if i == 1 else f"{article.title} ({i})"
        page = shell.wrap(f"a{number:03d}{suffix}", f"{TEXT_DIR}/{stem}{suffix}.xhtml", title,
                          fragment, lang=article.language, body_class="article-page",
                          base_url=article.url)
        pages.append((page.id, page.file_name, page.title, page.lang, page.entry))
    return pages, said


SERIF = 'Georgia, "Iowan Old Style", "Palatino Linotype", Palatino, "DejaVu Serif", serif'
HEADING_SERIF = 'Georgia, "DejaVu Serif", serif'
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy"}


def _theme_css(theme: dict[str, str]) -> dict[str, str]:
    """The [theme] as values for the stylesheet: the theme's fonts before the book's own
    stack (a reader without them falls back), its colours (checked by the manifest)."""
    theme = theme or {}

    def fonts(key: str, stack: str) -> Markup:
        names = [n.strip().strip("'\"") for n in theme.get(key, "").split(",")]
        quoted = [n if n in GENERIC_FAMILIES else f'"{n}"' for n in names if n]
        return Markup(", ".join([*quoted, stack]))

    return {"accent": "#%02x%02x%02x" % accent_colour(theme),
            "text_colour": theme.get("text") or "#1c1c1c",
            "background": theme.get("background") or "",
            "body_font": fonts("body_font", SERIF),
            "heading_font": fonts("heading_font", HEADING_SERIF)}


def book_identifier(issue: Issue) -> str:
    """A stable id: the same issue always gets the same `urn:uuid:` (also the NCX uid)."""
    key = "\n".join([issue.title, issue.date, issue.edition or ""])
    return f"urn:uuid:{_uuid5(URL_NAMESPACE, 'exporter:issue:' + key)}"


URL_NAMESPACE = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")  # RFC 4122's, for URLs


def _uuid5(namespace: bytes, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))` (RFC 4122, 4.3), made here: importing `uuid` asks
    the system its name (`platform`), 2 ms of every rebuild."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def book_title(issue: Issue) -> str:
    """The title readers list: masthead, edition and date tell one issue from the next."""
    date = long_date(issue.date, issue.language)
    return ", ".join(p for p in (issue.title, issue.edition, date) if p)


def _language(tag: str) -> str:
    """A plain BCP 47 tag (Send to Kindle rejects odd ones): 'en_US' -> 'en-US'."""
    tag = (tag or "en").strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag) else "en"


def _metadata(book: BookPlan, issue: Issue, language: str) -> None:
    book.call("set_title", book_title(issue))
    book.call("set_language", language)
    book.call("add_author", issue.publisher or issue.title)
    if issue.publisher:
        book.call("add_metadata", "DC", "publisher", issue.publisher)
    book.call("add_metadata", "DC", "date", issue.date)
    if issue.subtitle:
        book.call("add_metadata", "DC", "description", issue.subtitle)
    authors = dict.fromkeys(name for a in issue.articles() for name in a.authors)
    for i, name in enumerate(authors, start=1):
        book.call("add_metadata", "DC", "contributor", name, {"id": f"contributor-{i}"})
    # Accessibility (EPUB Accessibility 1.1; DAISY Ace requires the first three kinds).
    a11y = [
        ("schema:accessMode", "textual"),
        ("schema:accessMode", "visual"),
        ("schema:accessModeSufficient", "textual,visual"),
        ("schema:accessModeSufficient", "textual"),
        *[("schema:accessibilityFeature", f) for f in
          ("structuralNavigation", "tableOfContents", "alternativeText", "readingOrder")],
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary",
         "Articles in reading order with a table of contents and structural headings. "
         "Photos have text alternatives where the source gave them, and every caption "
         "and credit is in the text."),
        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
    ]
    for prop, value in a11y:
        book.call("add_metadata", None, "meta", value, {"property": prop})


def _write(book: BookPlan, entries: dict[str, Entry], issue: Issue, language: str,
           labels: Labels, path: Path) -> None:
    """ebooklib writes the package files (OPF, nav, NCX) and a placeholder for each of
    the book's own files, whose `entries` then take their places. What it writes depends
    on the book's list of files, metadata and contents (the `book`'s calls), not on the
    files themselves: a rebuild in which none of that changed takes the package files
    from the build cache, and loads no ebooklib."""
    stamp = zip_time(issue.date)  # the issue date, never the clock
    options = {"mtime": dt.datetime(*stamp), "raise_exceptions": True, "epub3_pages": False,
               "compresslevel": 0,  # package_files() compresses once
               "package_direction": True,
               "landmark_title": labels.pgettext("landmarks", "Landmarks")}
    ready = {f"{ROOT}/{name}": entry for name, entry in entries.items()}

    def package() -> list[tuple[str, Entry | None]]:
        from ebooklib import epub

        buffer = io.BytesIO()
        epub.write_epub(buffer, book.book(), options)
        return package_files(buffer.getvalue(), {
            f"{ROOT}/content.opf": fix_opf(language),
            f"{ROOT}/nav.xhtml": fix_nav,
            f"{ROOT}/toc.ncx": fix_ncx(language),
        }, ready)

    made = cache.key("epub-package", book.key(), language, repr(sorted(options.items())),
                     repr(ebooklib.VERSION), repr(etree.LXML_VERSION))
    files = cache.remembered("epub-package", made, package)
    with writing(path) as out:
        write_zip([(name, entry or ready[name]) for name, entry in files], stamp, out)


def _file_names(articles: list[Article]) -> dict[str, str]:
    """'001-typhoon-season' for each article id: ASCII, ordered, never 'cover'/'contents'."""
    names = {}
    for n, article in enumerate(articles, start=1):
        slug = article.id if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", article.id) else "article"
        names[article.id] = f"{n:03d}-{slug[:48].rstrip('-_')}"
    return names


class _Images:
    """Each photo resized for the profile and stored once per content hash."""

    def __init__(self, book: BookPlan, entries: dict[str, Entry], assets: Assets,
                 profile: Profile, quality: int):
        self.book, self.entries, self.assets, self.profile = book, entries, assets, profile
        self.quality = quality or profile.quality
        self.reencode = bool(quality)  # a quality asked for applies to every photo
        self.stored: dict[str, ImageRef] = {}

    def resolve(self, article: Article, figure: Figure) -> ImageRef | None:
        asset = self.assets.get(article, figure.image)
        if asset is None:
            return None
        if asset.key not in self.stored:
            self.stored[asset.key] = self._store(asset)
        return self.stored[asset.key]

    def logo(self, theme: dict[str, str]) -> ImageRef | None:
        """The [theme] logo, stored like a photo (no alpha: readers want none)."""
        if not theme.get("logo"):
            return None
        asset = self.assets.add_file(Path(theme["logo"]))
        if asset.key not in self.stored:
            self.stored[asset.key] = self._store(asset)
        return self.stored[asset.key]

    def _store(self, asset: Asset) -> ImageRef:
        """The photo's file in the book, made once per image and profile and kept in the
        build cache as its zip entry: a rebuild neither reads nor converts it again."""
        made = (asset.key, repr(self.profile), str(self.quality), str(self.reencode))
        name, media_type, ref, entry = cache.remembered(
            "epub-images", cache.key(*made), lambda: self._prepare(asset))
        if entry.file is not None and _size(entry.file) != entry.size:  # removed meanwhile
            name, media_type, ref, entry = self._prepare(asset)
        self.book.add_item("EpubImage", uid=f"img-{asset.key[:16]}", file_name=name,
                           media_type=media_type)
        self.entries[name] = entry
        return ref

    def _prepare(self, asset: Asset) -> tuple[str, str, ImageRef, Entry]:
        """The photo fitted to the profile: its name, media type, reference and entry."""
        size = {"max_width": self.profile.width, "max_height": self.profile.height,
                "quality": self.quality, "grayscale": self.profile.grayscale,
                "keep_jpeg": not self.reencode}
        rendition = None
        if asset.format in ("PNG", "GIF"):  # graphics stay lossless unless photo-sized
            rendition = self.assets.rendition(asset, fmt="PNG", **size)
            made = rendition.path.read_bytes()
            data = _flatten_png(made)
            if len(data) > PNG_LIMIT:
                rendition = None
        if rendition is None:
            rendition = self.assets.rendition(asset, fmt="JPEG", **size)
            made = data = rendition.path.read_bytes()
            while (self.profile.eink_budget and size["quality"] > 40
                   and len(data) > rendition.width * rendition.height // 16):
                size["quality"] -= 10
                rendition = self.assets.rendition(asset, fmt="JPEG", **size)
                made = data = rendition.path.read_bytes()
        ext = "png" if rendition.media_type == "image/png" else "jpg"
        name = f"{IMAGE_DIR}/{asset.key[:24]}.{ext}"
        # The rendition's own bytes stay in its file (kept by content in the cache).
        entry = kept_in(rendition.path, data) if data is made else packed(data, stored=True)
        return name, rendition.media_type, ImageRef(f"../{name}", rendition.width, rendition.height), entry


def _size(file: str) -> int | None:
    try:
        return os.stat(file).st_size
    except OSError:
        return None


def _flatten_png(data: bytes) -> bytes:
    """A PNG without alpha (e-readers draw transparency black): composited on white."""
    PILImage = pillow()
    with PILImage.open(io.BytesIO(data)) as image:
        if "A" not in image.getbands():
            return data
        rgba = image.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        if image.mode == "LA":
            flat = flat.convert("L")
    buffer = io.BytesIO()
    flat.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class _Page:
    """A finished XHTML page, compressed as its zip entry: ebooklib lists it in the package
    and writes an empty placeholder, which `_write` replaces by the entry."""

    id: str
    file_name: str
    title: str
    lang: str
    entry: Entry


@dataclass
class _Shell:
    """Renders pages into the shared shell and checks each is well-formed XHTML."""

    env: jinja2.Environment
    language: str
    article_files: dict[str, str]  # article id -> the XHTML file its first part is in

    def page(self, uid: str, file_name: str, title: str, template: str, *,
             html_class: str = "", body_class: str = "", internal: frozenset[str] = frozenset(),
             **context: object) -> _Page:
        fragment = render(self.env, f"epub/{template}", **context)
        return self.wrap(uid, file_name, title, fragment, lang=self.language,
                         html_class=html_class, body_class=body_class, internal=internal,
                         pack=_packed_once)

    def wrap(self, uid: str, file_name: str, title: str, fragment: str, *, lang: str,
             html_class: str = "", body_class: str = "", base_url: str | None = None,
             internal: frozenset[str] = frozenset(),
             pack: Callable[[bytes], Entry] | None = None) -> _Page:
        text = render(self.env, "epub/page.xhtml", lang=_language(lang), title=title,
                      css="../" + CSS_FILE, html_class=html_class, body_class=body_class,
                      content=Markup(fragment))
        try:
            root = etree.fromstring(text.lstrip().encode("utf-8"),
                                    etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise BuildError(file_name, f"page is not well-formed XHTML: {exc}")
        _fix_links(root, base_url, internal, self.article_files)
        data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")
        return _Page(uid, file_name, title, _language(lang), (pack or packed)(data))


def _packed_once(data: bytes) -> Entry:
    """A file of the book's own (its stylesheet, cover and contents pages), compressed once
    per content: an edit to an article's text seldom changes the contents page, which
    lists every article and took a 200-article rebuild 4 ms to compress again."""
    return cache.remembered("epub-pages", cache.key("epub-page", data), lambda: packed(data))


def _fix_links(root: etree._Element, base_url: str | None, internal: frozenset[str],
               article_files: dict[str, str]) -> None:
    """Links an e-reader can follow: relative ones resolved against the article's URL.

    A relative link in a book points at a file that is not there (EPUBCheck RSC-007), and
    an in-page anchor may no longer exist; without a base URL such links lose their href.
    `internal` names the book's own pages, which the contents page links to; a `#id` link
    to another article of the issue (see exporter.links) goes to that article's file.
    """
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    base = base_url if base_url and urlsplit(base_url).scheme in ("http", "https") else None
    for link in root.iter(f"{{{XHTML_NS}}}a"):
        href = (link.get("href") or "").strip()
        if not href or urlsplit(href).scheme in ("http", "https", "mailto") or href in internal:
            continue
        if href.startswith("#") and href[1:] in ids:
            continue
        if href.startswith("#") and unquote(href[1:]) in article_files:
            link.set("href", article_files[unquote(href[1:])] + href)
            continue
        if base:
            link.set("href", urljoin(base, href))
        else:
            del link.attrib["href"]


def _article_parts(env: jinja2.Environment, article: Article, resolve, limit: int,
                   warnings: list[str]) -> list[str]:
    """The article's fragment, split between body blocks when it is larger than `limit`."""
    whole = render_article(env, article, resolve)
    if len(whole.encode("utf-8")) <= limit or len(article.body) < 2:
        if len(whole.encode("utf-8")) > limit:
            warnings.append(f"{article.id}: one block is larger than {limit // 1000} KB")
        return [whole]
    used = len(render_article(env, dataclasses.replace(article, body=[]), resolve).encode("utf-8"))
    overhead = len(_continued(env, article, [], 2, resolve).encode("utf-8"))
    groups: list[list[Block]] = [[]]
    for block in article.body:
        size = len(_continued(env, article, [block], 2, resolve).encode("utf-8")) - overhead
        if groups[-1] and used + size > limit:
            groups.append([])
            used = overhead
        groups[-1].append(block)
        used += size
    first = render_article(env, dataclasses.replace(article, body=groups[0]), resolve)
    parts = [first] + [_continued(env, article, g, i, resolve) for i, g in enumerate(groups[1:], 2)]
    if any(len(part.encode("utf-8")) > limit for part in parts):
        warnings.append(f"{article.id}: one block is larger than {limit // 1000} KB")
    return parts


def _continued(env: jinja2.Environment, article: Article, body: list[Block], part: int,
               resolve) -> str:
    return render(env, "epub/continued.xhtml", article=article, body=body, part=part, h=1,
                  image=lambda figure: resolve(article, figure))
