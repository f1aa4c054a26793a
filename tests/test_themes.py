"""Themes: user templates first, "!default/" to extend a built-in, [theme] values checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from exporter.article_html import ImageRef, render_article
from exporter.errors import BuildError, ManifestError
from exporter.manifest import load_manifest
from exporter.model import Article, Figure, Image as ModelImage, Paragraph
from exporter.templating import DEFAULT_THEME, check_templates, environment, render

from conftest import ROOT

ARTICLE = Article(id="floods", title="Manila's floodgates", language="en", kicker="Environment",
                  body=[Paragraph(text="The gates held.")],
                  lead=Figure(image=ModelImage(src="gate.jpg", alt="The floodgate"),
                              caption="The gate at dusk.", credit="AP"))


def resolve(article: Article, figure: Figure) -> ImageRef | None:
    return ImageRef(src=figure.image.src) if figure.image else None


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)


def write_issue(folder: Path, extra: str = "") -> Path:
    (folder / "a.md").write_text("---\ntitle: A story\n---\nText.\n")
    manifest = folder / "issue.toml"
    manifest.write_text(f'title = "Brand test"\ndate = 2024-06-24\n{extra}\n'
                        '[[sections]]\narticles = ["a.md"]\n')
    return manifest


def test_a_user_template_overrides_one_block_and_keeps_the_rest(tmp_path):
    (tmp_path / "article.html").write_text(
        '{% extends "!default/article.html" %}\n'
        '{% block footer %}<p class="house-note">Read more at {{ theme.masthead }}</p>{% endblock %}\n')
    env = environment(tmp_path, {"masthead": "Asia Briefing"})
    html = render_article(env, ARTICLE, resolve)
    assert '<p class="house-note">Read more at Asia Briefing</p>' in html
    # everything else is the built-in's
    assert '<p class="kicker">Environment</p>' in html and "The gates held." in html
    assert '<span class="credit">AP</span>' in html and 'alt="The floodgate"' in html


def test_super_keeps_the_built_in_block_content(tmp_path):
    (tmp_path / "article.html").write_text(
        '{% extends "!default/article.html" %}'
        '{% block header %}<div class="band">{{ super() }}</div>{% endblock %}')
    html = render_article(environment(tmp_path), ARTICLE, resolve)
    assert '<div class="band">' in html and 'class="headline">Manila' in html


def test_without_a_user_folder_the_built_in_renders():
    html = render_article(environment(), ARTICLE, resolve)
    assert "house-note" not in html and 'class="headline"' in html


def test_theme_is_a_global_with_defaults_for_missing_keys(tmp_path):
    (tmp_path / "t.html").write_text("{{ theme.accent }} {{ theme.text }} {{ theme.logo }}")
    assert render(environment(tmp_path, {"accent": "#15b"}), "t.html") == \
        f"#15b {DEFAULT_THEME['text']} None"


def test_a_broken_user_template_names_its_file_and_line(tmp_path):
    (tmp_path / "article.html").write_text('{% extends "!default/article.html" %}\n\n'
                                           "{% block footer %}{% if %}{% endblock %}\n")
    with pytest.raises(BuildError) as caught:
        check_templates(tmp_path)
    assert f"{tmp_path / 'article.html'}:3" in str(caught.value)


def test_an_undefined_name_fails_with_file_and_line(tmp_path):
    (tmp_path / "article.html").write_text('{% extends "!default/article.html" %}\n'
                                           "{% block footer %}\n{{ nonsense.field }}\n{% endblock %}\n")
    with pytest.raises(BuildError) as caught:
        render_article(environment(tmp_path), ARTICLE, resolve)
    assert str(caught.value).startswith(f"{tmp_path / 'article.html'}:3")


def test_build_with_a_broken_user_template_is_one_line_and_exit_1(tmp_path):
    manifest = write_issue(tmp_path)
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "article.html").write_text("{% block header %}\n{{ article.title }\n{% endblock %}\n")
    result = run_cli("build", str(manifest), "-f", "json", "-o", str(tmp_path / "out"),
                     "--templates", str(theme))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{theme / 'article.html'}:2" in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_the_manifest_templates_folder_is_checked_too(tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "blocks.html").write_text("{% macro figure(fig) %}\n{% endfor %}\n")
    manifest = write_issue(tmp_path, 'templates = "theme"')
    result = run_cli("build", str(manifest), "-f", "json", "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and f"{theme / 'blocks.html'}:2" in result.stderr


@pytest.mark.parametrize("theme, message", [
    ('accent = "red"', "'theme.accent' must be a colour"),
    ('text = "#12345"', "'theme.text' must be a colour"),
    ('background = "#ffffffff"', "'theme.background' must be a colour"),
    ('heading_font = "Georgia; } body { display: none"', "'theme.heading_font' must be font family"),
    ('logo = "missing.png"', "'theme.logo' names a missing file"),
    ('logo = "."', "'theme.logo' must be an image file"),
    ('logo = "a.md"', "'theme.logo' must be an image file"),
    ('accent_colour = "#fff"', "unknown key 'theme.accent_colour'"),
    ("accent = 3", "'theme.accent' must be text"),
])
def test_bad_theme_values_are_errors_naming_the_key(tmp_path, theme, message):
    manifest = write_issue(tmp_path, f"[theme]\n{theme}\n")
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_manifest(manifest)


def test_good_theme_values_pass_and_the_logo_is_resolved(tmp_path):
    (tmp_path / "brand").mkdir()
    Image.new("RGB", (300, 80), "#0b5fa5").save(tmp_path / "brand" / "logo.png")
    manifest = write_issue(tmp_path, "")
    manifest.write_text(manifest.read_text() + '[theme]\naccent = "#0B5FA5"\ntext = "#222"\n'
                        'heading_font = "\'Source Serif 4\', Georgia, serif"\n'
                        'logo = "brand/logo.png"\nmasthead = "The Brand"\n')
    project = load_manifest(manifest)
    assert project.theme["accent"] == "#0B5FA5" and project.theme["text"] == "#222"
    assert Path(project.theme["logo"]) == (tmp_path / "brand" / "logo.png").resolve()
    assert project.theme["masthead"] == "The Brand"


def test_templates_in_the_manifest_must_be_a_folder(tmp_path):
    (tmp_path / "file.html").write_text("x")
    with pytest.raises(ManifestError, match="'templates' must be a folder"):
        load_manifest(write_issue(tmp_path, 'templates = "file.html"'))


def test_templates_flag_must_name_a_folder(tmp_path):
    manifest = write_issue(tmp_path)
    result = run_cli("build", str(manifest), "-f", "json", "-o", str(tmp_path / "out"),
                     "--templates", str(tmp_path / "nope"))
    assert result.returncode == 1 and "not a folder" in result.stderr


def test_an_article_block_override_shows_in_the_pdf_and_the_epub(tmp_path):
    import zipfile

    from pypdf import PdfReader

    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "article.html").write_text(
        '{% extends "!default/article.html" %}\n'
        '{% block footer %}<p class="house-note">Harbour Desk house note</p>{% endblock %}\n')
    manifest = write_issue(tmp_path)
    result = run_cli("build", str(manifest), "-f", "pdf,epub", "-o", str(tmp_path / "out"),
                     "--templates", str(theme))
    assert result.returncode == 0, result.stderr
    pdf_text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "out" / "issue.pdf").pages)
    assert "Harbour Desk house note" in pdf_text
    with zipfile.ZipFile(tmp_path / "out" / "issue.epub") as book:
        pages = [book.read(n).decode() for n in book.namelist() if n.endswith(".xhtml")]
    assert any('<p class="house-note">Harbour Desk house note</p>' in page for page in pages)


def test_an_email_block_override_shows_in_the_email(tmp_path):
    theme = tmp_path / "theme" / "email"
    theme.mkdir(parents=True)
    (theme / "message.mjml").write_text(
        '{% extends "!default/email/message.mjml" %}\n'
        "{% block footer %}{{ super() }}<mj-section><mj-column><mj-text>"
        "Harbour Desk house note</mj-text></mj-column></mj-section>{% endblock %}\n")
    manifest = write_issue(tmp_path)
    result = run_cli("build", str(manifest), "-f", "email", "-o", str(tmp_path / "out"),
                     "--templates", str(tmp_path / "theme"))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "issue.html").read_text()
    assert "Harbour Desk house note" in html and "Brand test" in html


def test_a_pdf_document_block_override_shows_in_the_pdf(tmp_path):
    from pypdf import PdfReader

    theme = tmp_path / "theme" / "pdf"
    theme.mkdir(parents=True)
    (theme / "document.html").write_text(
        '{% extends "!default/pdf/document.html" %}\n'
        '{% block cover %}<p class="house-cover">Harbour Desk cover</p>{{ super() }}{% endblock %}\n')
    manifest = write_issue(tmp_path)
    result = run_cli("build", str(manifest), "-f", "pdf", "-o", str(tmp_path / "out"),
                     "--templates", str(tmp_path / "theme"))
    assert result.returncode == 0, result.stderr
    first = PdfReader(tmp_path / "out" / "issue.pdf").pages[0].extract_text()
    assert "Harbour Desk cover" in first


def test_the_logo_rendition_is_ready_for_backends(tmp_path):
    from exporter.assets import Assets
    from exporter.templating import logo_rendition

    Image.new("RGBA", (900, 240), (11, 95, 165, 200)).save(tmp_path / "logo.png")
    assets = Assets(cache_dir=tmp_path / "cache")
    assert logo_rendition(assets, {}, max_width=300) is None
    png = logo_rendition(assets, {"logo": str(tmp_path / "logo.png")}, max_width=300)
    assert (png.width, png.height, png.media_type) == (300, 80, "image/png")
    jpeg = logo_rendition(assets, {"logo": str(tmp_path / "logo.png")}, max_width=300, fmt="JPEG")
    with Image.open(jpeg.path) as flat:
        assert flat.mode == "RGB"  # no alpha for e-readers


def test_masthead_and_logo_from_the_manifest_change_every_format(tmp_path):
    import zipfile

    from pypdf import PdfReader

    Image.new("RGB", (600, 160), "#0b5fa5").save(tmp_path / "logo.png")
    manifest = write_issue(tmp_path, '[links]\nunsubscribe = "https://example.com/unsubscribe"')

    def build(theme: str, out: str) -> Path:
        manifest.write_text(manifest.read_text().split("[theme]")[0] + theme)
        result = run_cli("build", str(manifest), "-o", str(tmp_path / out), "-q")
        assert result.returncode == 0, result.stderr
        return tmp_path / out

    plain = build("", "plain")
    branded = build('[theme]\naccent = "#0b5fa5"\nmasthead = "The Harbour Letter"\nlogo = "logo.png"\n',
                    "branded")
    assert "The Harbour Letter" in (branded / "issue.html").read_text()
    assert "The Harbour Letter" in (branded / "issue.web.html").read_text()
    assert "#0b5fa5" in (branded / "issue.html").read_text().lower()
    cover = PdfReader(branded / "issue.pdf").pages[0]
    assert "The Harbour Letter" in cover.extract_text()
    assert len(cover.images) == len(PdfReader(plain / "issue.pdf").pages[0].images) + 1  # the logo
    html = (branded / "issue.html").read_text()
    (logo,) = re.findall(r'<img[^>]+src="issue-images/logo-[^>]+>', html)
    assert 'alt="The Harbour Letter"' in logo
    assert "Content-ID: <logo-" in (branded / "issue.eml").read_text()  # `check` below: it resolves
    with zipfile.ZipFile(branded / "issue.epub") as book:
        (contents,) = [book.read(n).decode() for n in book.namelist() if n.endswith("contents.xhtml")]
    assert "The Harbour Letter" in contents and 'class="masthead-logo"' in contents
    result = run_cli("check", str(branded))
    assert result.returncode == 0, result.stdout


def test_a_misspelt_block_warns_with_the_known_block_names(tmp_path):
    (tmp_path / "article.html").write_text(
        '{% extends "!default/article.html" %}\n{% block footr %}<p>Note</p>{% endblock %}\n'
        '{% block header %}{{ super() }}{% endblock %}\n')
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "print.css").write_text(  # a known block: no warning
        '{% extends "!default/pdf/print.css" %}{% block extra %}p { color: red }{% endblock %}')
    warnings = check_templates(tmp_path)
    assert len(warnings) == 1
    assert "article.html: block 'footr' is not a block of !default/article.html" in warnings[0]
    assert "(its blocks: body, footer, header, lead)" in warnings[0]


def test_a_build_reports_the_misspelt_block(tmp_path):
    folder = tmp_path / "theme"
    folder.mkdir()
    (folder / "article.html").write_text(
        '{% extends "!default/article.html" %}{% block footr %}x{% endblock %}')
    from exporter.build import build

    project = load_manifest(write_issue(tmp_path, 'templates = "theme"'))
    _, warnings = build(project, ["json"], tmp_path / "out", offline=True)
    assert any("block 'footr'" in w for w in warnings)
