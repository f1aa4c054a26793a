"""`exporter preview`: PNGs of every format and a contact sheet; missing tools named in one line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from exporter import screenshots
from exporter.backends.email import preview as email_preview
from exporter.backends.pdf.preview import first_article_page
from exporter.preview import preview_files
from exporter.screenshots import PreviewError

import outputs
from conftest import ROOT

TITLE = "Manila's floodgates face their first typhoon"
@pytest.fixture
def tools() -> None:
    """make test installs both: one missing is a failure, not a skip."""
    assert shutil.which("chromium") and shutil.which("pdftoppm"), "needs chromium and pdftoppm"


def run_cli(*args: str, path: str = "/usr/bin:/bin", cwd: Path | None = None
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "PATH": path}, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("built")
    (folder / "issue.html").write_text(outputs.email_html(padding=6000))
    return {"html": folder / "issue.html", "pdf": outputs.make_pdf(folder / "issue.pdf"),
            "epub": outputs.make_epub(folder / "issue.epub", cover=True)}


@pytest.mark.usefixtures("tools")
def test_previews_of_every_format_and_a_contact_sheet(built, tmp_path):
    index = preview_files([built["html"], built["pdf"], built["epub"]], tmp_path, title="Asia Briefing",
                          titles=[TITLE])
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["email-375.png", "email-600.png", "epub-article.png", "epub-cover.png",
                     "pdf-article.png", "pdf-cover.png"]
    with Image.open(tmp_path / "email-600.png") as shot:
        assert shot.width == 600 and 200 < shot.height < 3200  # the blank end trimmed
    with Image.open(tmp_path / "email-375.png") as shot:
        assert shot.width == 375
    with Image.open(tmp_path / "pdf-cover.png") as page:
        assert 500 < page.width < 650  # A4 at 70 dpi is 579 px wide
    sheet = index.read_text()
    shown = re.findall(r'<img src="([^"]+)"', sheet)
    assert sorted(shown) == names
    assert sheet.index("email-600.png") < sheet.index("pdf-cover.png") < sheet.index("epub-cover.png")
    for label in ("600 px wide", "375 px wide", "cover (page 1)", "first article (page 2)",
                  "first article (article.xhtml)"):
        assert label in sheet


@pytest.mark.usefixtures("tools")
def test_the_first_article_page_comes_from_the_outline(built, tmp_path):
    assert first_article_page(built["pdf"], [TITLE]) == 2
    assert first_article_page(built["pdf"], []) == 2  # the first leaf after the cover


def test_missing_chromium_is_one_line_naming_what_to_install(built, tmp_path, monkeypatch):
    monkeypatch.setattr(screenshots.shutil, "which", lambda name: None)
    with pytest.raises(PreviewError, match=r"install it \(apt-get install chromium\)"):
        preview_files([built["html"]], tmp_path)


def test_missing_pdftoppm_is_one_line_naming_poppler(built, tmp_path, monkeypatch):
    real = shutil.which
    monkeypatch.setattr(screenshots.shutil, "which",
                        lambda name: None if name == "pdftoppm" else real(name))
    with pytest.raises(PreviewError, match="install poppler-utils"):
        preview_files([built["pdf"]], tmp_path)


def test_cli_without_chromium_fails_in_one_line(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    (tmp_path / "issue.toml").write_text('title = "T"\n[[sections]]\narticles = ["a.md"]\n')
    result = run_cli("preview", str(tmp_path / "issue.toml"), "-o", str(tmp_path / "p"),
                     path=str(tmp_path))  # nothing on PATH
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "Chromium" in line and "apt-get install chromium" in line
    assert not (tmp_path / "p").exists()


@pytest.mark.usefixtures("tools")
def test_preview_of_a_new_issue_writes_the_contact_sheet(tmp_path):
    assert run_cli("new", "demo", cwd=tmp_path).returncode == 0
    result = run_cli("preview", "demo/issue.toml", "-o", "preview", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sheet = (tmp_path / "preview" / "index.html").read_text()
    for name in ("email-600.png", "email-375.png", "pdf-cover.png", "pdf-article.png",
                 "epub-cover.png", "epub-article.png"):
        assert (tmp_path / "preview" / name).is_file() and name in sheet
    epub_label = re.search(r"EPUB</strong> first article \(([^)]+)\)", sheet).group(1)
    assert "harbour" in epub_label  # the article's own page, not the contents that link it


def test_email_cid_images_are_taken_from_the_eml_beside_the_html(tmp_path):
    import email
    import email.policy

    eml = outputs.make_eml(tmp_path / "issue.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = message.get_body(("html",)).get_content()
    assert "cid:photo1@example.com" in body
    (tmp_path / "issue.html").write_text(body)
    work = tmp_path / "work"
    page = email_preview._with_cid_images(tmp_path / "issue.html", work)
    text = page.read_text()
    assert "cid:" not in text and "file://" in text
    (image,) = (work / "email-images").iterdir()
    with Image.open(image) as photo:
        assert photo.size == (400, 300)
