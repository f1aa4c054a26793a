"""DAISY Ace on the books made from pages we never wrote: no violation of any impact.

Two books, one Ace run each (Ace opens every page of a book in Chromium): every case of
the hostile corpus that builds an EPUB (one size test left out, see LEFT_OUT), and every
fixture page with every page of the corpus beside the repository
(`../shared/corpus/pages-dev`, read where it lies, never copied). A page the source
refuses is left out, its reason in the test's output. The sample issue's book is checked
in test_epub.py. Ace is installed by `make test` (`make ace`), with a patch that lets it
reuse Chromium tabs from one document to the next (patches/ace-reuse-tabs.patch); without
Ace these tests fail, they never skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from outputs import ACCESSIBILITY
from exporter.build import build
from exporter.backends.epub.ace import ace_command, ace_report, violations
from exporter.manifest import project_from_sources
from test_hostile import EXPECTED, case_source

CORPUS = Path(os.environ.get("CORPUS", ROOT.parent / "shared" / "corpus"))


def book_of(sources: list[Path], out: Path) -> Path:
    """One EPUB with every source as an article; sources that cannot be read are left out."""
    project = project_from_sources([str(s) for s in sources], keep_going=True, title="Every page")
    for refused in project.skipped:
        print(f"left out: {refused}")
    assert len(project.issue.articles()) >= len(sources) - len(project.skipped)
    outputs, _ = build(project, ["epub"], out, offline=True)
    return outputs[0].files[0]


def assert_no_violations(book: Path) -> None:
    assert ace_command(), "DAISY Ace is not installed: run `make ace` (make test does)"
    report = ace_report(book)
    assert [v.line() for v in violations(report)] == []
    assert report["earl:result"]["earl:outcome"] == "pass"


# A size test, not a markup one: 5,000 plain paragraphs cost Ace a minute of CPU (axe
# checks each), and hold nothing the other cases lack. Its book had no violation either.
LEFT_OUT = {"gen:paragraphs-5000.md"}


def builds_an_epub(case: str) -> bool:
    spec = EXPECTED[case]
    return spec["expect"] != "error" and "epub" in spec.get("formats", ["epub"]) \
        and not case.endswith(".toml") and case not in LEFT_OUT  # a manifest is an issue


def test_hostile_corpus_book_has_no_accessibility_violations(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    sources = [case_source(case, folder) for case in sorted(EXPECTED) if builds_an_epub(case)]
    assert_no_violations(book_of(sources, tmp_path / "out"))


def test_every_fixture_and_corpus_page_in_one_book_has_no_accessibility_violations(tmp_path):
    pages = sorted((CORPUS / "pages-dev").glob("*/source.html"))
    assert pages, f"no corpus pages in {CORPUS / 'pages-dev'} (set CORPUS to the corpus folder)"
    fixtures = sorted((FIXTURES / "html").glob("*.html"))
    assert_no_violations(book_of(fixtures + pages, tmp_path / "out"))


# Each chapter's own markup, and the axe rule it breaks (None: a clean chapter).
CHAPTERS = [("<p>Clean.</p>", None),
            ('<p><img src="missing.png"/></p>', "image-alt"),
            ("<p>Clean.</p>", None),
            ("<h4>Skips two levels</h4><p>Text.</p>", "heading-order"),
            ('<p><a href="#nowhere"></a></p>', "link-name"),
            ("<p>Clean.</p>", None),
            ('<div role="banana">Text.</div>', "aria-roles"),
            ("<p>Clean.</p>", None)]


def book_with_chapter_violations(path: Path) -> Path:
    """More chapters than Ace has tabs, some breaking one rule each, beside clean ones."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("urn:uuid:0b7e6a52-5b0e-4c1e-9f0a-3c2d1e0f4a5b")
    book.set_title("Chapters")
    book.set_language("en")
    for name, value in ACCESSIBILITY:
        book.add_metadata(None, "meta", value, {"property": name})
    chapters = []
    for number, (markup, _) in enumerate(CHAPTERS, 1):
        chapter = epub.EpubHtml(title=f"Chapter {number}", file_name=f"ch{number}.xhtml", lang="en")
        chapter.content = f"<h1>Chapter {number}</h1>{markup}"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = [epub.Link(c.file_name, c.title, c.file_name) for c in chapters]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)
    return path


def test_each_chapter_gets_its_own_violations_when_ace_reuses_its_tabs(tmp_path):
    """A tab that checked one chapter checks the next: nothing may carry over."""
    report = ace_report(book_with_chapter_violations(tmp_path / "chapters.epub"))
    found = {(v.page.rsplit("/", 1)[-1], v.rule) for v in violations(report)
             if v.page.endswith(".xhtml")}
    assert found == {(f"ch{number}.xhtml", rule)
                     for number, (_, rule) in enumerate(CHAPTERS, 1) if rule}


def test_the_installed_ace_reuses_its_tabs():
    """`make ace` patches Ace's runner; an Ace without the patch checks as well, slower."""
    command = ace_command()
    assert command, "DAISY Ace is not installed: run `make ace` (make test does)"
    runner = (Path(command).resolve().parents[2] / "ace-axe-runner-puppeteer" / "lib" / "index.js")
    assert "_idlePages.push(page)" in runner.read_text(encoding="utf-8")
