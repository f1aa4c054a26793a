"""The PDF briefing, read back with pypdf and pdftotext: structure, text, images, safety."""

from __future__ import annotations

import functools
import io
import math
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from exporter.backends import Job, make_options
from exporter.backends import pdf as pdf_backend
from exporter.backends.pdf.fetch import SafeFetcher
from exporter.build import build
from exporter.errors import BuildError
from exporter.inline import to_text
from exporter.manifest import Project, load_manifest
from exporter.model import Article, Figure, Image, Issue, Paragraph, Section

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pdf"
@pytest.fixture
def poppler() -> None:
    """make test installs poppler-utils: missing is a failure, not a skip."""
    assert shutil.which("pdftotext"), "needs pdftotext (poppler-utils)"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory):
    """Module-wide builds share one private rendition cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EXPORTER_CACHE_DIR", str(tmp_path_factory.mktemp("pdf-cache")))
        yield


def build_pdf(manifest: Path | Project, out: Path, **options: object) -> tuple[Path, list[str]]:
    """Build one PDF offline; returns its path and every warning (asset step and backend)."""
    project = load_manifest(manifest) if isinstance(manifest, Path) else manifest
    outputs, warnings = build(project, ["pdf"], out, offline=True,
                              overrides={"pdf": {k: str(v) for k, v in options.items()}})
    return outputs[0].files[0], warnings + outputs[0].warnings


def page_texts(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    return " ".join(text.split())


def outline_titles(items: list) -> list:
    return [outline_titles(i) if isinstance(i, list) else i.title for i in items]


def image_xobjects(reader: pypdf.PdfReader) -> dict[int, tuple[int, int]]:
    """Distinct embedded images (by object number) and their pixel sizes."""
    found: dict[int, tuple[int, int]] = {}
    for page in reader.pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for ref in getattr(xobjects, "values", lambda: [])():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found[ref.idnum] = (int(obj["/Width"]), int(obj["/Height"]))
    return found


@pytest.fixture(scope="module")
def sample(cache, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return build_pdf(FIXTURES / "briefing.toml", tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def edge(cache, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return build_pdf(FIXTURES / "edge.toml", tmp_path_factory.mktemp("edge"))


@pytest.fixture(scope="module")
def issue() -> Issue:
    return load_manifest(FIXTURES / "briefing.toml").issue


def test_outline_is_sections_then_articles_in_issue_order(sample, issue):
    reader = pypdf.PdfReader(sample[0])
    expected: list = []
    for section in issue.sections:
        expected += [section.title, [a.title for a in section.articles]]
    assert outline_titles(reader.outline) == expected


def test_outline_of_untitled_section_lists_articles_at_top_level(edge):
    titles = outline_titles(pypdf.PdfReader(edge[0]).outline)
    assert titles[:2] == ["Asia", ["长江流域今夏降雨偏少，航运与发电受到影响", "東京の夏祭り、外国人観光客でにぎわう"]]
    assert titles[2:] == ["An article whose photos point at the machine itself", "From a CMS"]


@pytest.mark.usefixtures("poppler")
def test_contents_page_numbers_point_at_each_article(sample, issue):
    pages = page_texts(sample[0])
    reader = pypdf.PdfReader(sample[0])
    assert len(pages) == len(reader.pages)
    contents = pages[1]
    assert "Contents" in contents or "CONTENTS" in contents
    starts = []
    for article in issue.articles():
        match = re.search(re.escape(article.title) + r"[\s.]*?(\d+)\s*$", contents, re.M)
        assert match, f"no contents entry with a page number for {article.title!r}"
        number = int(match.group(1))
        # The article starts on that page: its headline is there, and on no page before it.
        assert article.title in flat(pages[number - 1])
        assert not any(article.title in flat(text) for text in pages[2:number - 1])
        starts.append(number)
    assert starts == sorted(set(starts)), "each article starts a page of its own"
    assert len(pages) >= starts[-1]
    links = [a.get_object() for a in reader.pages[1].get("/Annots", [])]
    internal = [a for a in links if "/Dest" in a or a.get("/A", {}).get("/S") == "/GoTo"]
    assert len(internal) >= len(starts), "contents entries are clickable"


@pytest.mark.usefixtures("poppler")
def test_every_caption_and_credit_is_printed(sample, edge, issue):
    text = flat(" ".join(page_texts(sample[0])))
    figures = [f for a in issue.articles() for f in a.figures()]
    assert len(figures) == 5
    for figure in figures:
        assert flat(to_text(figure.caption)) in text
        assert figure.credit in text
    # Figures whose photo was refused or not fetched keep caption and credit.
    edge_text = flat(" ".join(page_texts(edge[0])))
    for words in ("A lead photo that is really a local file.", "Nobody",
                  "A photo on the loopback address.", "Loopback", "Caption", "AP",
                  "武汉江滩附近露出的沙洲，摄于六月中旬。", "王芳"):
        assert words in edge_text


def test_photos_are_embedded_once_each_at_print_resolution(sample):
    images = image_xobjects(pypdf.PdfReader(sample[0]))
    # Five figures with photos, plus the cover (the first lead photo, cropped to its box).
    assert len(images) == 6
    # Prepared for the printed width at 200 dpi, not embedded at the original 1600 px;
    # only the cover, cropped to fill its box, may be a little wider than the text.
    text_width = math.ceil((210 - 44) / 25.4 * 200)
    widths = sorted(width for width, _ in images.values())
    assert widths[-2] <= text_width < widths[-1] < 1600


def test_tagged_by_default_with_language_and_metadata(sample):
    reader = pypdf.PdfReader(sample[0])
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
    assert 'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data().decode()
    assert root["/Lang"] == "en"
    meta = reader.metadata
    assert meta.title == "Asia Briefing No. 42"
    assert meta.author == "Asia Briefing Desk"
    assert meta.subject == "The week's essential stories from the region"
    assert meta["/Keywords"].startswith("Philippines, climate, infrastructure, Vietnam")
    assert meta["/CreationDate"].startswith("D:20240624")
    assert meta["/ModDate"].startswith("D:20240624")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_manifest_cover_photo_is_used(cache, tmp_path):
    project = load_manifest(FIXTURES / "edge.toml")  # its articles have no photos
    project.cover = FIXTURES.parent.parent.parent / "samples" / "photos" / "pyongyang-square.jpg"
    path, _ = build_pdf(project, tmp_path)
    [(width, height)] = image_xobjects(pypdf.PdfReader(path)).values()
    assert width < 1600 and abs(width / height - 1600 / 1067) < 0.01


def test_two_builds_of_one_issue_are_byte_identical(sample, cache, tmp_path):
    again, _ = build_pdf(FIXTURES / "briefing.toml", tmp_path)
    assert again.read_bytes() == sample[0].read_bytes()


@pytest.mark.parametrize("variant", ["none", "pdf/a-3b"])
def test_variants(variant, cache, tmp_path):
    path, _ = build_pdf(FIXTURES / "briefing.toml", tmp_path, variant=variant)
    root = pypdf.PdfReader(path).trailer["/Root"]
    if variant == "none":
        assert "/StructTreeRoot" not in root
    else:
        xmp = root["/Metadata"].get_object().get_data().decode()
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
        assert "/OutputIntents" in root and "/StructTreeRoot" in root


@pytest.mark.usefixtures("poppler")
def test_letter_two_columns_run_on_with_printed_urls(edge, cache, tmp_path):
    path, _ = build_pdf(FIXTURES / "edge.toml", tmp_path, page_size="Letter", columns=2,
                        continuous="true", print_urls="true")
    reader = pypdf.PdfReader(path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert len(reader.pages) < len(pypdf.PdfReader(edge[0]).pages)
    text = flat(" ".join(page_texts(path)))
    assert "(https://example.com)" in text  # print_urls: the address after the link text
    assert "(file:" not in text  # only web addresses are printed
    default_text = flat(" ".join(page_texts(edge[0])))
    assert "(https://example.com)" not in default_text
    assert "https://video.example.com/watch/42" in default_text  # embeds always show theirs


@pytest.mark.usefixtures("poppler")
def test_cjk_text_is_extracted_intact_and_set_in_cjk_fonts(edge):
    text = "".join(" ".join(page_texts(edge[0])).split())
    for words in ("长江流域今夏降雨偏少，航运与发电受到影响",
                  "今年入夏以来，长江中游的水位持续走低，部分港口的货船不得不减少载货量，以免在浅水区搁浅。",
                  "東京の夏祭り、外国人観光客でにぎわう",
                  "浅草寺の周辺では、週末の夜になると屋台の明かりが通りを埋め尽くし、浴衣姿の人々が行き交う。"):
        assert words in text
    assert "\ufffd" not in text
    fonts = subprocess.run(["pdffonts", str(edge[0])], capture_output=True, text=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts and "Noto-Serif-CJK-JP" in fonts


def test_refused_photos_are_reported_and_nothing_is_embedded(edge):
    path, warnings = edge
    assert any("file:///etc/passwd" in w for w in warnings)
    assert any("http://127.0.0.1:9/secret.jpg" in w for w in warnings)
    reader = pypdf.PdfReader(path)
    assert image_xobjects(reader) == {}
    # A link to a local file keeps its text but is no link in the PDF; web links stay.
    uris = [a.get_object()["/A"].get("/URI") for page in reader.pages
            for a in page.get("/Annots", []) if "/A" in a.get_object()]
    assert "https://video.example.com/watch/42" in uris
    assert not [u for u in uris if u and not u.startswith(("http:", "https:"))]


HOSTILE = """<!DOCTYPE html><html lang="en"><head>
<link rel="stylesheet" href="file:///etc/hostname"/>
<style>@import url("http://127.0.0.1:9/x.css"); body { background: url(file:///etc/hostname) }</style>
</head><body><article>
<p>Text</p>
<img src="file:///etc/passwd" alt="a"/>
<img src="http://127.0.0.1:9/secret.jpg" alt="b"/>
<img src="../../../../etc/passwd" alt="c"/>
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==" alt="d"/>
<img src="{allowed}" alt="ours"/>
<a rel="attachment" href="file:///etc/passwd">attachment</a>
</article></body></html>"""


def test_url_fetcher_serves_only_prepared_files(tmp_path):
    photo = tmp_path / "photo.jpg"
    _photo(1, size=(40, 30)).save(photo, "JPEG")
    fetcher = SafeFetcher()
    allowed = fetcher.add(photo, "image/jpeg")
    assert fetcher.add(photo, "image/jpeg") == allowed  # one URL per file
    assert fetcher.fetch(allowed).read() == photo.read_bytes()
    with pytest.raises(ValueError):
        fetcher.fetch("exporter-asset:99.jpg")
    warnings: list[str] = []
    data = pdf_backend.write_pdf(HOSTILE.replace("{allowed}", allowed), "", fetcher,
                                 pdf_backend.Options(), warnings)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert list(image_xobjects(reader).values()) == [(40, 30)]  # only ours
    refused = " ".join(warnings)
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/secret.jpg", "file:///etc/hostname",
                "http://127.0.0.1:9/x.css", "data:image/png", "etc/passwd"):
        assert url in refused
    assert b"root:" not in data


def test_options_are_checked(cache, tmp_path):
    with pytest.raises(BuildError, match="columns"):
        build_pdf(FIXTURES / "briefing.toml", tmp_path, columns=3)
    with pytest.raises(BuildError, match="unknown option"):
        make_options(pdf_backend.Options, {"colour": "red"}, "[pdf]")
    with pytest.raises(BuildError, match="page_size"):
        make_options(pdf_backend.Options, {"page_size": "A5"}, "[pdf]")


def test_theme_values_cannot_inject_css(tmp_path):
    theme = pdf_backend._theme({"accent": "#123456", "body_font": "Georgia, 'Bad;}{x'"})
    assert theme["accent"] == "#123456"
    assert str(theme["serif"]).startswith('"Georgia", ')
    assert "Bad" not in theme["serif"]
    hostile = pdf_backend._theme({"accent": "red; } body { background: url(file:///etc/passwd)"})
    assert hostile["accent"] == pdf_backend.DEFAULT_ACCENT


# -- A big issue: 50 articles of ~800 words, one 1600 px photo each -------------------

WORDS = ("the river port city officials said water levels rain season engineers pumps "
         "floodgate market night visitors weekend district residents government plan report "
         "year month week record region coast delta farmers fishers boats bridge").split()


@functools.lru_cache(maxsize=2)
def _grain(size: tuple[int, int]):
    from PIL import Image as PILImage

    return PILImage.effect_noise(size, 28).convert("RGB")


def _photo(seed: int, size: tuple[int, int] = (1600, 1067)):
    """A photo-like picture (soft shapes and grain) that compresses like a real one."""
    from PIL import Image as PILImage
    from PIL import ImageChops, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (size[0] // 4, size[1] // 4)  # shapes drawn small and blurred by the upscale
    base = PILImage.linear_gradient("L").resize(small).convert("RGB")
    image = PILImage.blend(base, PILImage.new("RGB", small, tuple(rng.randint(40, 220) for _ in "rgb")), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y, r = rng.randint(0, small[0]), rng.randint(0, small[1]), rng.randint(3, small[0] // 8 + 3)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randint(0, 255) for _ in "rgb"))
    image = image.filter(ImageFilter.GaussianBlur(1)).resize(size, PILImage.Resampling.BILINEAR)
    grain = ImageChops.offset(_grain(size), rng.randint(0, size[0]), rng.randint(0, size[1]))
    return PILImage.blend(image, grain, 0.11)


def big_issue(folder: Path, count: int = 50) -> Project:
    """An issue of `count` articles (~800 words, one 1600 px JPEG each) written to folder."""
    rng = random.Random(42)
    sections = [Section(title=f"Section {n + 1}") for n in range(5)]
    for i in range(count):
        name = f"photo-{i:02d}.jpg"
        _photo(i).save(folder / name, "JPEG", quality=90)
        paragraphs = [Paragraph(" ".join(rng.choice(WORDS) for _ in range(80)).capitalize() + ".")
                      for _ in range(10)]
        article = Article(title=f"Story number {i + 1} about the region", kicker="Region",
                          standfirst=["A summary of the story in one sentence."],
                          authors=["A Reporter"], published="2024-06-24",
                          lead=Figure(image=Image(src=name, alt=f"Photo {i + 1}"),
                                      caption=f"Caption of photo {i + 1}.", credit="Photographer"),
                          body=paragraphs)
        sections[i % len(sections)].articles.append(article)
    issue = Issue(title="Big Briefing", date="2024-06-24", sections=sections)
    return Project(issue=issue, stem="big", root=folder,
                   base_dirs={a.id: folder for a in issue.articles()})


def test_photos_of_a_big_issue_are_downscaled_well_under_raw_size(cache, tmp_path):
    """20 articles here to keep the suite quick; EXPORTER_PDF_BENCH=1 measures 50 (-s prints it)."""
    import time

    count = 50 if os.environ.get("EXPORTER_PDF_BENCH") else 20
    project = big_issue(tmp_path, count)
    raw = sum(p.stat().st_size for p in tmp_path.glob("photo-*.jpg"))
    started, cpu = time.perf_counter(), time.process_time()
    path, warnings = build_pdf(project, tmp_path / "out")
    size = path.stat().st_size
    reader = pypdf.PdfReader(path)
    print(f"\n{count} articles: {len(reader.pages)} pages, {size / 2**20:.2f} MB "
          f"(photos {raw / 2**20:.1f} MB raw), {time.perf_counter() - started:.1f} s, "
          f"{time.process_time() - cpu:.1f} s CPU")
    assert len(image_xobjects(reader)) == count + 1  # every lead photo, and the cover
    assert len(outline_titles(reader.outline)) == 10  # 5 sections, each with its articles
    assert size < raw * 0.4, f"{size} bytes for {raw} bytes of photos"
    assert not [w for w in warnings if "WeasyPrint" in w]
