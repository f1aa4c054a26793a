"""Alt text beside a caption, https-only links, and `check` agreeing with WeasyPrint."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import SAMPLES
from exporter.backends.email.check import html_findings
from exporter.backends.pdf.check import check_pdf
from exporter.manifest import load_manifest
from exporter.sources import read_source
from outputs import photo

CAPTION = "The new Tullahan floodgate stands open at dusk before the first storms of the season."


def test_a_captioned_lead_photo_has_empty_alt_by_default(tmp_path):
    (lead,) = [a.lead for a in read_source(str(SAMPLES / "manila-floods.md"))]
    assert lead.caption.startswith("The new Tullahan") and lead.image.alt == ""
    photo(tmp_path / "p.jpg")
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    (tmp_path / "m.toml").write_text(
        'title = "T"\n[[sections]]\narticles = [{ source = "a.md", lead_image = "p.jpg", '
        'lead_caption = "A long caption that a screen reader reads beside the photo." }, '
        '{ source = "a.md", lead_image = "p.jpg", lead_alt = "Gates at dusk" }]\n')
    first, second = load_manifest(tmp_path / "m.toml").issue.articles()
    assert first.lead.image.alt == "" and second.lead.image.alt == "Gates at dusk"


@pytest.mark.parametrize("img, problem", [
    ('<img src="https://example.com/a.jpg" alt="">', None),  # decorative: alt present
    ('<img src="https://example.com/a.jpg">', "image without alt text"),
    ('<img src="http://example.com/a.jpg" alt="x">', "is plain http:"),
    ('<a href="http://example.com/story">story</a>', "is plain http:"),
    ('<a href="https://example.com/story">story</a>', None),
])
def test_check_counts_empty_alt_as_present_and_refuses_plain_http(img, problem):
    findings, _ = html_findings("m.html", f"<html><body>{img}</body></html>".encode())
    messages = [f.message for f in findings if f.severity == "error"]
    assert (messages == []) if problem is None else any(problem in m for m in messages), messages


def _pdf(tmp_path: Path, alt: str) -> Path:
    from weasyprint import HTML

    photo(tmp_path / "p.jpg")
    html = (f'<html lang="en"><body><h1>T</h1><figure><img src="p.jpg" alt="{alt}"/>'
            f"<figcaption>{CAPTION}</figcaption></figure></body></html>")
    path = tmp_path / f"alt-{bool(alt)}.pdf"
    HTML(string=html, base_url=str(tmp_path)).write_pdf(path, pdf_variant="pdf/ua-1")
    return path


def test_check_pdf_agrees_with_weasyprint_about_missing_alt(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        bare = _pdf(tmp_path, "")
    assert "no required alt description" in caplog.text
    errors = [f.message for f in check_pdf(bare) if f.severity == "error"]
    assert errors == ["1 of 1 figure(s) without alt text (PDF/UA needs /Alt on every Figure)"]
    described = [f.message for f in check_pdf(_pdf(tmp_path, "Gates at dusk"))]
    assert "1 figure with alt" in described[0]


def test_our_pdf_describes_a_photo_left_without_alt_by_its_caption(tmp_path):
    from exporter.build import build
    from pypdf import PdfReader

    project = load_manifest(_one_article_manifest(tmp_path))
    outputs, _ = build(project, ["pdf"], tmp_path / "out")
    assert not [w for o in outputs for w in o.warnings if "alt" in w], outputs[0].warnings
    pdf = tmp_path / "out" / "m.pdf"
    assert not [f for f in check_pdf(pdf) if f.severity == "error"]
    alts = _alts(PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"])
    assert CAPTION in alts and "Pumps inside the Navotas station" in alts


def test_the_email_has_no_height_auto_attribute_and_an_empty_lead_alt(tmp_path):
    from exporter.build import build

    build(load_manifest(_one_article_manifest(tmp_path)), ["email"], tmp_path / "out")
    html = (tmp_path / "out" / "m.html").read_text()
    assert 'height="auto"' not in html
    assert CAPTION not in html.split("<img", 2)[1].split(">")[0]  # the lead's tag
    assert CAPTION in html  # the caption itself is beside it


def _one_article_manifest(tmp_path: Path) -> Path:
    manifest = tmp_path / "m.toml"
    manifest.write_text(f'title = "T"\ndate = 2024-06-24\n[links]\nunsubscribe = '
                        f'"https://example.com/u"\n[[sections]]\n'
                        f'articles = ["{SAMPLES / "manila-floods.md"}"]\n')
    return manifest


def _alts(tree) -> list[str]:
    out, pending = [], [tree]
    while pending:
        node = pending.pop().get_object()
        if isinstance(node, list):
            pending.extend(node)
        elif hasattr(node, "get"):
            if node.get("/S") == "/Figure":
                out.append(str(node.get("/Alt", "")))
            if "/K" in node:
                pending.append(node["/K"])
    return out
