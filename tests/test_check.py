"""`exporter check`: outputs made here with the real libraries, good ones pass, broken ones fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exporter.backends.epub import check as check_epub
from exporter.check import Finding, check_paths, has_errors

import outputs
from conftest import ROOT

@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("outputs")
    good_epub = outputs.make_epub(folder / "good.epub")
    made = {
        "good.epub": good_epub,
        "broken.epub": outputs.break_epub(good_epub, folder / "broken.epub"),
        "inaccessible.epub": outputs.make_epub(folder / "inaccessible.epub", accessible=False),
        "good.html": folder / "good.html",
        "oversized.html": folder / "oversized.html",
        "near.html": folder / "near.html",
        "broken.html": folder / "broken.html",
        "good.eml": outputs.make_eml(folder / "good.eml"),
        "broken.eml": outputs.make_eml(folder / "broken.eml", broken=True),
        "good.pdf": outputs.make_pdf(folder / "good.pdf"),
        "untagged.pdf": outputs.make_untagged_pdf(folder / "untagged.pdf"),
    }
    made["good.html"].write_text(outputs.email_html())
    made["oversized.html"].write_text(outputs.email_html(padding=110 * 1024))
    made["near.html"].write_text(outputs.email_html(padding=95 * 1024))
    made["broken.html"].write_text(outputs.email_html(broken=True))
    return made


def lines(findings: list[Finding]) -> list[str]:
    return [f.line() for f in findings]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)


@pytest.mark.parametrize("name", ["good.html", "good.eml", "good.pdf"])
def test_good_outputs_pass_with_one_ok_line(files, name):
    findings = check_paths([files[name]])
    assert [f.severity for f in findings] == ["ok"], lines(findings)
    assert findings[0].file == str(files[name])


@pytest.fixture(scope="module")
def epub_lines(files) -> list[str]:
    """`exporter check good.epub broken.epub inaccessible.epub` once: EPUBCheck and DAISY
    Ace take seconds a book (Ace is installed by `make test`)."""
    assert shutil.which("java"), "EPUBCheck needs Java (make test installs it)"
    result = run_cli("check", str(files["good.epub"]), str(files["broken.epub"]),
                     str(files["inaccessible.epub"]))
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_a_valid_epub_passes_epubcheck(files, epub_lines):
    good = [line for line in epub_lines if str(files["good.epub"]) in line]
    assert not [line for line in good if line.startswith("error")], good
    assert any(line.startswith("ok") and "EPUBCheck 5" in line for line in good)


def test_a_valid_epub_passes_daisy_ace(files, epub_lines):
    good = [line for line in epub_lines if str(files["good.epub"]) in line]
    assert any(line.startswith("ok") and "DAISY Ace" in line and "no violations" in line
               for line in good), good


def test_an_epub_ace_fails_gives_one_line_per_violation(files, epub_lines):
    lines = [line for line in epub_lines if f"{files['inaccessible.epub']}: " in line]
    ace = [line.split(": ", 1)[1] for line in lines if ": Ace " in line]
    assert any(line.startswith("error") and "Ace serious: EPUB/content.opf: metadata-accessmode:"
               in line for line in lines), lines
    assert len(ace) == len(set(ace)) >= 5  # each missing property its own line
    assert any(line.startswith("warning") and "Ace moderate:" in line for line in lines), lines


def test_a_broken_epub_fails_one_line_per_epubcheck_message(files, epub_lines):
    errors = [line for line in epub_lines if line.startswith("error")
              and "inaccessible.epub" not in line]
    assert errors and all(f"{files['broken.epub']}: " in line for line in errors)
    assert any("RSC-016" in line and "EPUB/article.xhtml:" in line for line in errors)  # not XML
    assert any("RSC-001" in line and "images/photo.jpg" in line for line in errors)  # photo gone


def test_without_java_epubcheck_is_skipped_with_a_warning_saying_why(files, monkeypatch):
    monkeypatch.setattr(check_epub.shutil, "which", lambda name: None)
    findings = check_paths([files["good.epub"]])
    assert findings[0].severity == "warning" and "no Java runtime" in findings[0].message
    assert not has_errors(findings)


def test_an_oversized_email_is_an_error_and_a_large_one_a_warning(files):
    (big,) = [f for f in check_paths([files["oversized.html"]]) if f.severity != "ok"]
    assert big.severity == "error" and "Gmail clips messages over 102 KB" in big.message
    near = check_paths([files["near.html"]])
    assert [f.severity for f in near] == ["warning", "ok"] and "close to Gmail" in near[0].message


def test_email_html_problems_each_get_a_line(files):
    findings = check_paths([files["broken.html"]])
    text = "\n".join(lines(findings))
    assert "image without alt text: https://example.com/photo.jpg" in text
    assert "link is relative (recipients cannot follow it): /story" in text
    assert "<script>" in text and "onclick= on <p>" in text
    assert all(f.severity == "error" for f in findings)


@pytest.mark.parametrize("href, ok", [
    ("https://example.com/a?b=c", True), ("mailto:desk@example.com", True),
    ("*|UNSUB|*", True), ("{{ unsubscribe_url }}", True),
    ("#story", True), ("#nowhere", False), ("/relative", False), ("example.com/story", False), ("https://", False),
    ("javascript:alert(1)", False), ("https://example.com/a b", False), ("", False),
])
def test_links_must_be_absolute_and_well_formed(tmp_path, href, ok):
    page = tmp_path / "e.html"
    page.write_text(f'<html><body><a href="{href}">x</a><h2 id="story">S</h2></body></html>')
    assert has_errors(check_paths([page])) is not ok


def test_an_eml_without_unsubscribe_headers_or_text_part_fails(files):
    text = "\n".join(lines(check_paths([files["broken.eml"]])))
    assert "no List-Unsubscribe header" in text
    assert "List-Unsubscribe-Post" in text
    assert "no plain-text part" in text
    assert "Content-ID the message does not contain: cid:missing@example.com" in text


def test_a_good_eml_reports_what_passed(files):
    (finding,) = check_paths([files["good.eml"]])
    assert "one-click unsubscribe headers" in finding.message
    assert "plain-text part" in finding.message and "CID references resolve (1)" in finding.message


def test_an_untagged_pdf_fails_on_tags_language_and_fonts(files):
    findings = check_paths([files["untagged.pdf"]])
    by_severity = {(f.severity, f.message.split(" (")[0].split(":")[0]) for f in findings}
    assert ("error", "not tagged") in by_severity
    assert ("error", "no document language") in by_severity
    assert ("error", "1 font(s) not embedded") in by_severity
    assert ("warning", "no outline") in by_severity


def test_a_good_pdf_lists_pages_tags_outline_fonts_and_language(files):
    (finding,) = check_paths([files["good.pdf"]])
    assert finding.message == "2 pages; tagged; language en; outline of 2; fonts embedded"


def test_not_a_pdf_is_one_error(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    (finding,) = check_paths([fake])
    assert finding.severity == "error" and "not a readable PDF" in finding.message


def test_folders_expand_and_unknown_files_are_reported(tmp_path):
    (tmp_path / "issue.json").write_text('{"sections": [{"articles": [{}, {}]}]}')
    (tmp_path / "notes.md").write_text("x")
    findings = check_paths([tmp_path, tmp_path / "notes.md", tmp_path / "gone.pdf"])
    assert lines(findings) == [
        f"ok      {tmp_path / 'issue.json'}: valid JSON; 2 articles",
        f"warning {tmp_path / 'notes.md'}: not checked: no checker for '.md' files",
        f"error   {tmp_path / 'gone.pdf'}: no such file",
    ]


def test_cli_exit_codes_and_one_line_per_finding(files):
    good = run_cli("check", str(files["good.html"]), str(files["good.pdf"]), str(files["good.eml"]))
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.split()[0] for line in good.stdout.splitlines()] == ["ok", "ok", "ok"]
    bad = run_cli("check", str(files["good.pdf"]), str(files["oversized.html"]))
    assert bad.returncode == 1
    assert any(line.startswith("error") and "oversized.html" in line and "102 KB" in line
               for line in bad.stdout.splitlines())


def test_build_check_runs_check_on_what_it_built(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A story\n---\nText.\n")
    (tmp_path / "issue.toml").write_text('title = "T"\n[[sections]]\narticles = ["a.md"]\n')
    result = run_cli("build", str(tmp_path / "issue.toml"), "-f", "json", "-o", str(tmp_path / "out"),
                     "--check")
    assert result.returncode == 0, result.stderr
    assert f"ok      {tmp_path / 'out' / 'issue.json'}: valid JSON; 1 article" in result.stdout


def test_build_check_passes_an_email_with_its_photo_folder(tmp_path):
    from PIL import Image

    Image.new("RGB", (400, 300), (20, 60, 90)).save(tmp_path / "p.jpg")
    (tmp_path / "a.md").write_text("---\ntitle: A story\nlead:\n  image: p.jpg\n  caption: A photo.\n"
                                   "---\nText.\n")
    (tmp_path / "issue.toml").write_text(
        'title = "T"\n[links]\nunsubscribe = "https://example.com/u"\n'
        '[[sections]]\narticles = ["a.md"]\n')
    result = run_cli("build", str(tmp_path / "issue.toml"), "-f", "email", "-o", str(tmp_path / "out"),
                     "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_email_files_beside_each_other_are_checked_for_what_they_are(tmp_path):
    """The backend's set: .html (embedded photos shown from the folder), .txt, .web.html, .eml."""
    outputs.make_eml(tmp_path / "issue.eml")
    (tmp_path / "issue-images").mkdir()
    outputs.photo(tmp_path / "issue-images" / "01.jpg")
    page = outputs.email_html().replace("https://example.com/photo.jpg", "issue-images/01.jpg")
    (tmp_path / "issue.html").write_text(page)
    (tmp_path / "issue.web.html").write_text(page.replace("</body>", "<p>" + "x" * 120_000 + "</p></body>"))
    (tmp_path / "issue.txt").write_text("Asia Briefing\n\nStory.\n")
    findings = check_paths([tmp_path])
    assert [f.severity for f in findings] == ["ok"] * 4, lines(findings)
    (tmp_path / "issue-images" / "01.jpg").unlink()
    text = "\n".join(lines(check_paths([tmp_path / "issue.html"])))
    assert "image file is missing: issue-images/01.jpg" in text


def test_a_relative_photo_without_an_eml_beside_it_is_an_error(tmp_path):
    (tmp_path / "issue.html").write_text(outputs.email_html().replace(
        "https://example.com/photo.jpg", "photo.jpg"))
    text = "\n".join(lines(check_paths([tmp_path / "issue.html"])))
    assert "error" in text and "relative (recipients will not see it)" in text


@pytest.mark.parametrize("name, data", [
    ("junk.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>"),
    ("junk.eml", b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/html; charset=nonsense\n\n\xff\xfe<p>\n"),
    ("junk.html", bytes(range(256)) * 10),
    ("junk.epub", b"PK\x03\x04 not really a zip"),
    ("junk.json", b"\xff\xfe{"),
])
def test_hostile_files_give_error_lines_not_tracebacks(tmp_path, name, data, monkeypatch):
    monkeypatch.setattr(check_epub.shutil, "which", lambda name: None)  # no slow EPUBCheck here
    (tmp_path / name).write_bytes(data)
    findings = check_paths([tmp_path / name])
    assert findings and all("\n" not in f.line() for f in findings)
    assert has_errors(findings), lines(findings)
