"""A rebuild that reuses cached per-article renderings is byte-identical to a cold build,
whatever changed: an article's text, a photo, a template, the theme, an option, the order.
Each format keeps its articles apart (PDF parts, EPUB pages, the email's article MJML and
photos as MIME parts), so an edit to one article renders that article again and takes the
rest from the cache."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from exporter.build import build
from exporter.manifest import load_manifest
from exporter.templating import builtin_templates

FORMATS = ["pdf", "epub", "email"]
OUTPUTS = {"pdf": "issue.pdf", "epub": "issue.epub", "email": "issue.eml"}

MANIFEST = """title = "Cache Weekly"
date = 2026-11-30
templates = "tpl"
{sections}
[theme]
accent = "{accent}"

[pdf]
workers = 2
page_size = "{page_size}"
{options}"""
SECTIONS = {"World": ["one.md", "two.md"], "Science": ["three.md", "four.md"]}
ARTICLE = """---
title: Story {n}
authors: [Reporter {n}]
lead:
  image: photo{n}.jpg
  caption: "Photo {n} of the day. Photo: Desk"
---

{body}
"""


def photo(path: Path, colour: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (240, 160), colour)
    for x in range(0, 240, 20):
        image.paste((255 - colour[0], 90, 40), (x, 40, x + 8, 120))
    image.save(path, quality=85)


# An option of each other format: the e-ink profile's grey photos, the campaign's links.
OTHER_OPTIONS = '\n[epub]\nprofile = "kobo"\n\n[email]\nutm_source = "cache-test"\n'


def write_issue(folder: Path, *, accent: str = "#224466", page_size: str = "A4",
                order: tuple[str, ...] = ("World", "Science"), options: str = "") -> None:
    sections = "".join(f'\n[[sections]]\ntitle = "{name}"\narticles = {SECTIONS[name]!r}\n'
                       .replace("'", '"') for name in order)
    (folder / "issue.toml").write_text(MANIFEST.format(sections=sections, accent=accent,
                                                       page_size=page_size, options=options),
                                       encoding="utf-8")


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issue"
    (folder / "tpl").mkdir(parents=True)
    for n, name in enumerate(["one", "two", "three", "four"], 1):
        body = "\n\n".join(f"Paragraph {k} of story {n}, with a few words of news in it." for k in range(3))
        (folder / f"{name}.md").write_text(ARTICLE.format(n=n, body=body), encoding="utf-8")
        photo(folder / f"photo{n}.jpg", (40 * n, 120, 200 - 30 * n))
    write_issue(folder)
    return folder


def built(folder: Path, cache: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(cache))
    build(load_manifest(folder / "issue.toml"), FORMATS, out)
    return {name: (out / OUTPUTS[name]).read_bytes() for name in FORMATS}


def edit_text(folder: Path) -> None:
    """A paragraph and the headline (listed on the EPUB's cover) of the third story."""
    path = folder / "three.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Paragraph 1", "Paragraph one")
                    .replace("title: Story 3", "title: Story three"), encoding="utf-8")


def lengthen(folder: Path) -> None:
    """The first article grows by pages: every later page number and the total move."""
    path = folder / "one.md"
    more = "\n\n".join(f"Another paragraph, number {k}, about the same news." * 4 for k in range(40))
    path.write_text(path.read_text(encoding="utf-8") + "\n" + more + "\n", encoding="utf-8")


def edit_photo(folder: Path) -> None:
    photo(folder / "photo2.jpg", (200, 30, 60))


def edit_template(folder: Path) -> None:
    """The shared article template (PDF, EPUB) and the email's article macros."""
    (folder / "tpl" / "article.html").write_text(
        '{% extends "!default/article.html" %}{% block footer %}<p class="note">Corrected.</p>'
        "{% endblock %}", encoding="utf-8")
    blocks = (builtin_templates() / "email" / "blocks.mjml").read_text(encoding="utf-8")
    assert '<p class="byline muted">' in blocks
    (folder / "tpl" / "email").mkdir()
    (folder / "tpl" / "email" / "blocks.mjml").write_text(
        blocks.replace('<p class="byline muted">', '<p class="byline muted small">'),
        encoding="utf-8")


CHANGES: list[tuple[str, Callable[[Path], None]]] = [
    ("article text", edit_text),
    ("article length", lengthen),
    ("image", edit_photo),
    ("template", edit_template),
    ("theme", lambda folder: write_issue(folder, accent="#993300")),
    ("option", lambda folder: write_issue(folder, accent="#993300", page_size="Letter",
                                          options=OTHER_OPTIONS)),
    ("section order", lambda folder: write_issue(folder, accent="#993300", page_size="Letter",
                                                 options=OTHER_OPTIONS, order=("Science", "World"))),
]


def parts(cache: Path) -> set[Path]:
    return set((cache / "pdf-parts").rglob("*.pdf"))


def kept(cache: Path) -> dict[str, set[Path]]:
    """Each format's per-article entries in the cache."""
    return {"pdf": parts(cache), **{name: set((cache / kind).rglob("*.pickle")) for name, kind in (
        ("epub", "epub-articles"), ("email", "email-articles"), ("photos", "email-photos"))}}


def test_warm_rebuilds_equal_cold_builds(issue: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    warm = tmp_path / "warm-cache"
    first = built(issue, warm, tmp_path / "first", monkeypatch)
    assert len(parts(warm)) == 5  # the front and four articles
    assert len(set((warm / "pdf-margins").rglob("*.pdf"))) == 1  # their margins, one document
    # the email's articles four times: the message's (cid: photos), the preview's, the
    # plain text's and the web version's
    assert {name: len(entries) for name, entries in kept(warm).items()} == {
        "pdf": 5, "epub": 4, "email": 16, "photos": 4}  # one photo per article
    for step, (kind, change) in enumerate(CHANGES):
        before = kept(warm)
        change(issue)
        again = built(issue, warm, tmp_path / f"warm-{step}", monkeypatch)
        cold = built(issue, tmp_path / f"cold-cache-{step}", tmp_path / f"cold-{step}", monkeypatch)
        for name in FORMATS:
            assert again[name] == cold[name], f"{name} after a change of {kind}"
        new = {name: len(entries - before[name]) for name, entries in kept(warm).items()}
        if kind == "article text":  # only the edited article was rendered again
            assert new == {"pdf": 2, "epub": 1, "email": 4, "photos": 0}  # the PDF's contents too
            assert all(again[name] != first[name] for name in FORMATS)
        elif kind == "image":
            assert new["epub"] == 1 and new["email"] == 4 and new["photos"] == 1
        elif kind in ("template", "theme", "option"):  # every article made again
            assert new["epub"] == 4 and new["email"] == 16, kind


def small_briefing(order: list[int]) -> str:
    css = ("@page { size: A6; margin: 1.5cm 1cm; @bottom-right { content: 'Page ' counter(page) "
           "' of ' counter(pages); font-size: 6pt } } article { break-before: page } "
           "nav a::after { content: leader('.') target-counter(attr(href), page) }")
    stories = {i: f"<article id='s{i}'><h2>Story {i}</h2>" + "<p>Words of news.</p>" * (8 + 40 * (i == 0))
               + "</article>" for i in range(3)}
    links = "".join(f"<li><a href='#s{i}'>Story {i}</a></li>" for i in order)
    return (f"<!DOCTYPE html><html><head><style>{css}</style></head><body><h1>Briefing</h1>"
            f"<nav><ul>{links}</ul></nav>" + "".join(stories[i] for i in order) + "</body></html>")


def test_a_part_moved_to_another_page_keeps_its_typesetting(tmp_path: Path) -> None:
    """Same article, same page count in total, but it now starts on another page: the
    part is reused, its page numbers are the margins' and follow it."""
    weasyprint = pytest.importorskip("weasyprint")
    from exporter import cache
    from exporter.backends.pdf.parts import Store, render_cached

    def pdf(order: list[int], store: Path) -> bytes:
        return render_cached(small_briefing(order), render=lambda s: weasyprint.HTML(string=s).render(),
                             write=lambda document, path: document.write_pdf(path),
                             fingerprint=lambda d: cache.key(d), store=Store(store))

    pdf([0, 1, 2], tmp_path / "warm")
    assert pdf([1, 0, 2], tmp_path / "warm") == pdf([1, 0, 2], tmp_path / "cold")


def test_eml_writer_matches_the_standard_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The message writer's shortcuts (photo parts from the cache, text parts written
    whole) change no byte against the standard library's add_related and as_bytes."""
    import io
    from email import policy
    from email.message import EmailMessage

    from exporter.backends.email.message import Attachment, _Generator, _related_part

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    photos = []
    for n in range(2):
        path = tmp_path / f"p{n}.jpg"
        photo(path, (60 * n, 100, 150))
        photos.append(Attachment(path.read_bytes(), "image/jpeg", f"p{n}@exporter", f"p{n}.jpg"))

    def message(cached: bool) -> EmailMessage:
        message = EmailMessage(policy=policy.SMTP)
        message["Subject"] = "Caf\u00e9 news"
        message.set_content("Plain\r\nCRLF,\rCR and LF\nline ends, \u00e9, a trailing one\n",
                            subtype="plain", charset="utf-8", cte="quoted-printable")
        message.add_alternative("<p>Caf\u00e9 \u2014 " + "x" * 300 + "</p>\n", subtype="html",
                                charset="utf-8", cte="quoted-printable")
        html = message.get_payload()[1]
        if cached:
            html.make_related()
        for item in photos:
            if cached:
                html.attach(_related_part(item))
            else:
                html.add_related(item.data, maintype="image", subtype="jpeg", cid=f"<{item.cid}>",
                                 filename=item.filename, disposition="inline")
        for n, part in enumerate(p for p in message.walk() if p.is_multipart()):
            part.set_boundary(f"=_b_{n}")
        return message

    def written(message: EmailMessage) -> bytes:
        out = io.BytesIO()
        _Generator(out, mangle_from_=False, policy=policy.SMTP).flatten(message)
        return out.getvalue()

    standard = message(cached=False).as_bytes(policy=policy.SMTP)
    assert written(message(cached=False)) == standard
    assert written(message(cached=True)) == standard  # parts made and kept
    assert len(list((tmp_path / "cache" / "email-photos").rglob("*.pickle"))) == 2
    assert written(message(cached=True)) == standard  # parts from the cache



def test_epub_page_follows_a_moved_article_it_links_to(issue: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A link to another article of the issue names that article's file, numbered by its
    place: when the target moves and the linking article does not, the linking page is
    made again, not reused."""
    for name, n in (("one", 1), ("three", 3)):
        path = issue / f"{name}.md"
        text = path.read_text(encoding="utf-8").replace("lead:", f"url: https://example.com/s{n}\nlead:")
        if n == 1:
            text += "\nMore in [the third story](https://example.com/s3).\n"
        path.write_text(text, encoding="utf-8")

    def epub(cache: str, out: str) -> bytes:
        monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / cache))
        build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / out)
        return (tmp_path / out / "issue.epub").read_bytes()

    epub("warm", "first")
    manifest = issue / "issue.toml"
    order = '["three.md", "four.md"]'
    assert order in manifest.read_text(encoding="utf-8")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(order, '["four.md", "three.md"]'),
                        encoding="utf-8")
    again = epub("warm", "again")
    assert again == epub("cold", "cold")
    with zipfile.ZipFile(io.BytesIO(again)) as book:
        assert b"004-story-3.xhtml#story-3" in book.read("EPUB/text/001-story-1.xhtml")


def counted_render(log: Path) -> Callable[[str], object]:
    """WeasyPrint's render, each document it lays out named in `log` (appended to by
    every worker process): the front, an article part, or a margins document."""
    weasyprint = pytest.importorskip("weasyprint")

    def render(source: str) -> object:
        kind = "front" if "<nav>" in source else "part" if "<article" in source else "margins"
        with log.open("a") as out:
            out.write(kind + "\n")
        return weasyprint.HTML(string=source).render()

    return render


@pytest.mark.parametrize("workers", [1, 2])
def test_a_new_part_is_laid_out_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     workers: int) -> None:
    """A cold build lays each article out once, whatever the number of workers: its
    page numbers and running heads come from a margins document typeset once every
    page is counted; the front (cover, contents) twice, as it must be numbered."""
    from exporter import cache
    from exporter.backends.pdf import parts

    monkeypatch.setenv("EXPORTER_JOBS", str(workers))
    log = tmp_path / "rendered.log"
    parts.render_cached(small_briefing([0, 1, 2]), render=counted_render(log),
                        write=lambda document, path: document.write_pdf(path), workers=workers,
                        fingerprint=lambda d: cache.key(d), store=parts.Store(tmp_path / "s"))
    assert sorted(log.read_text().split()) == ["front"] * 2 + ["margins"] + ["part"] * 3


def test_a_longer_article_typesets_only_itself_again(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit that adds pages to the first article moves every later page number and
    the total on every page: only that article and the contents are typeset again, the
    others' parts are taken from the cache and only their margins are made again; the
    PDF is a cold build's, byte for byte."""
    from exporter import cache
    from exporter.backends.pdf import parts

    monkeypatch.setenv("EXPORTER_JOBS", "1")
    log = tmp_path / "rendered.log"

    def pdf(html: str, store: str) -> bytes:
        return parts.render_cached(html, render=counted_render(log),
                                   write=lambda document, path: document.write_pdf(path),
                                   fingerprint=lambda d: cache.key(d), store=parts.Store(tmp_path / store))

    html = small_briefing([1, 0, 2])
    pdf(html, "warm")
    longer = html.replace("<h2>Story 1</h2>", "<h2>Story 1</h2>" + "<p>More news.</p>" * 60)
    log.unlink()
    warm = pdf(longer, "warm")
    # the front's length is known (its placeholders did not change): numbered only
    assert sorted(log.read_text().split()) == ["front", "margins", "part"]
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(warm))
    assert len(reader.pages) > 6 and f"Page 6 of {len(reader.pages)}" in reader.pages[5].extract_text()
    assert warm == pdf(longer, "cold")


def test_the_machine_is_asked_if_busy_only_for_several_parts(tmp_path: Path) -> None:
    """Whether the machine is busy (a tenth of a second's sample) is asked once when
    several parts need typesetting, and not at all for a rebuild after one edit."""
    weasyprint = pytest.importorskip("weasyprint")
    from exporter import cache
    from exporter.backends.pdf import parts

    asked: list[bool] = []

    def busy() -> bool:
        asked.append(True)
        return True  # one process: the answer is obeyed

    def pdf(html: str) -> bytes:
        return parts.render_cached(html, render=lambda s: weasyprint.HTML(string=s).render(),
                                   write=lambda document, path: document.write_pdf(path),
                                   fingerprint=lambda d: cache.key(d), workers=2, busy=busy,
                                   store=parts.Store(tmp_path))

    html = small_briefing([0, 1, 2])
    pdf(html)
    assert asked == [True]
    pdf(html.replace("<h2>Story 2</h2>", "<h2>Story 2, updated</h2>"))
    assert asked == [True]



def test_a_contents_entry_inside_an_article_gets_its_own_page(tmp_path: Path) -> None:
    """A contents entry pointing into an article (its third page, not its first) is
    numbered from where the parts put it: the front typeset early with the article's
    first page is not used; the numbers are the whole document's."""
    import pypdf

    weasyprint = pytest.importorskip("weasyprint")
    from exporter import cache
    from exporter.backends.pdf import parts

    html = small_briefing([0, 1, 2]).replace(
        "<li><a href='#s1'>", "<li><a href='#deep'>Deep</a></li><li><a href='#s1'>").replace(
        "</article>", "<p id='deep'>The deep end.</p></article>", 1)
    merged = parts.render_cached(html, render=lambda s: weasyprint.HTML(string=s).render(),
                                 write=lambda document, path: document.write_pdf(path),
                                 fingerprint=lambda d: cache.key(d), store=parts.Store(tmp_path))
    (tmp_path / "parts.pdf").write_bytes(merged)
    weasyprint.HTML(string=html).write_pdf(tmp_path / "whole.pdf")
    fronts = [pypdf.PdfReader(tmp_path / name).pages[0].extract_text()
              for name in ("parts.pdf", "whole.pdf")]
    assert "Deep" in fronts[0] and fronts[0] == fronts[1]


@pytest.mark.parametrize("failing", [0, 2])
def test_a_part_that_fails_fails_the_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         failing: int) -> None:
    """A part that cannot be laid out fails the PDF with its own error, and leaves no
    thread behind."""
    import threading

    weasyprint = pytest.importorskip("weasyprint")
    from exporter import cache
    from exporter.backends.pdf import parts

    monkeypatch.setenv("EXPORTER_JOBS", "1")
    threads = threading.active_count()

    def render(source: str) -> object:
        if f"<h2>Story {failing}</h2>" in source:
            raise ValueError("a box WeasyPrint cannot lay out")
        return weasyprint.HTML(string=source).render()

    with pytest.raises(ValueError, match="cannot lay out"):
        parts.render_cached(small_briefing([0, 1, 2]), render=render,
                            write=lambda document, path: document.write_pdf(path),
                            fingerprint=lambda d: cache.key(d), store=parts.Store(tmp_path))
    assert threading.active_count() == threads


def test_every_glyph_a_part_shows_is_in_the_merged_font(issue: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts typeset apart each embed their own subset of a face ("Story 1" has a bold 1,
    "Story 2" a bold 2); the merged file keeps one copy of the face, which must hold the
    outline of every glyph any part shows, or headlines print with letters missing."""
    import pikepdf
    from fontTools.ttLib import TTFont

    from exporter.backends.pdf.fonts import _text_map, _widths

    pdf_bytes = built(issue, tmp_path / "cache", tmp_path / "out", monkeypatch)["pdf"]
    missing = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        fonts = {font.objgen: font for page in pdf.pages
                 for font in page.Resources.get("/Font", {}).values()}
        for font in fonts.values():
            descendant = font.DescendantFonts[0]
            program = TTFont(io.BytesIO(descendant.FontDescriptor.FontFile2.read_bytes()))
            order, glyphs = program.getGlyphOrder(), program["glyf"]
            text = _text_map(font.ToUnicode.read_bytes())
            for gid in _widths(descendant.get("/W", [])):
                char = bytes.fromhex(text.get(f"{gid:04x}", "0020")).decode("utf-16-be")
                if char.isspace():
                    continue
                if gid >= len(order) or glyphs[order[gid]].numberOfContours == 0:
                    missing.append(f"{font.BaseFont} {char!r}")
    assert not missing, missing


def test_a_rebuild_takes_the_joined_fonts_from_the_cache(issue: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts' copies of a face are joined once: a rebuild whose parts show the same
    glyphs takes the joined program from the build cache instead of decoding every copy
    again, and writes the same bytes."""
    from exporter.backends.pdf import fonts

    joins: list[int] = []

    class Counted(fonts._Gathered):
        def __init__(self, program: bytes) -> None:
            joins.append(1)
            super().__init__(program)

    monkeypatch.setattr(fonts, "_Gathered", Counted)
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))

    def pdf(out: str) -> bytes:
        build(load_manifest(issue / "issue.toml"), ["pdf"], tmp_path / out)
        return (tmp_path / out / OUTPUTS["pdf"]).read_bytes()

    first = pdf("first")
    assert joins, "the parts' subsets differ: their glyphs are gathered"
    joins.clear()
    assert pdf("again") == first
    assert not joins
