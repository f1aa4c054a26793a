"""Heading levels never skip: sources give ranks, every output nests them under its titles.

A page whose subheadings are <h3> and <h5> becomes levels 2 and 3 in the model; the EPUB,
the PDF's tags and the email then put the article title at its level and the subheadings
right below it, inside the issue's own headings (masthead, section, editor's note).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import lxml.html
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from exporter.model import Article, Heading, Issue, Paragraph, rank_headings
from exporter.sources import Origin, read_bytes

PAGE = """<!doctype html><html lang="en"><head><title>River levels fall | Example News</title></head>
<body><article><h1>River levels fall across the delta</h1>
<p>The river fell to its lowest level in a decade this week, leaving boats stranded along the
banks and farmers waiting for rain before the planting season.</p>
<h3>What the farmers say</h3>
<p>Farmers along the lower reaches said the dry season had come early and stayed long, and
that the rice harvest would be smaller than it was last year.</p>
<h5>In the north</h5>
<p>In the northern provinces the fall was smaller, but officials still asked households to
save water until the monsoon arrives in the coming weeks.</p>
<h3>What comes next</h3>
<p>Forecasters expect the first heavy rain within a fortnight, which should lift the river
again before the planting season begins in earnest.</p>
</article></body></html>
"""

MARKDOWN = """---
title: Markets reopen after the storm
---
Stalls reopened on Monday after the storm passed.

#### Prices

Vegetable prices rose by a third in a week.

###### At the fish market

The fish market stayed shut for another day.
"""

MANIFEST = """title = "Delta Weekly"
date = 2024-06-24
intro = \"\"\"A short note.

### This week

Two stories from the delta.\"\"\"

[[sections]]
title = "Region"
articles = ["page.html", "markets.md"]
"""


def levels(blocks: list) -> list[int]:
    return [b.level for b in blocks if isinstance(b, Heading)]


def skips(sequence: list[int], start: int = 0) -> list[tuple[int, int]]:
    """Each (previous, next) pair where a heading goes down more than one level."""
    found, previous = [], start
    for level in sequence:
        if level > previous + 1:
            found.append((previous, level))
        previous = level
    return found


@pytest.mark.parametrize("given, ranked", [
    ([3, 5, 3], [2, 3, 2]),  # <h3>/<h5>: the gap closed
    ([4, 3, 2], [2, 2, 2]),  # opening on the smallest heading still starts under the title
    ([2, 4, 3, 4], [2, 3, 3, 4]),
    ([1, 2, 3, 4, 5, 6], [2, 3, 4, 4, 4, 4]),  # deeper than the model keeps: 4
    ([6, 6], [2, 2]),
])
def test_rank_headings_makes_levels_relative_without_gaps(given, ranked):
    blocks = [Heading(level=level, text=f"h{level}") for level in given]
    rank_headings(blocks)
    assert levels(blocks) == ranked


def test_articles_and_issues_rank_their_headings_whatever_made_them():
    body = [Paragraph(text="p"), Heading(level=5, text="a"), Heading(level=6, text="b")]
    assert levels(Article(title="t", body=body).body) == [2, 3]
    data = {"title": "t", "body": [{"type": "heading", "level": 4, "text": "x"}]}
    assert Article.from_dict(data).body[0].level == 2
    issue = Issue(title="i", date="2024-06-24", intro=[Heading(level=3, text="note")])
    assert levels(issue.intro) == [2]


@pytest.mark.parametrize("name, data", [("page.html", PAGE.encode()),
                                        ("markets.md", MARKDOWN.encode())])
def test_sources_give_subheadings_their_rank(name, data):
    (article,) = read_bytes(data, Origin(name, None), name=name)
    assert levels(article.body) == ([2, 3, 2] if name == "page.html" else [2, 3])


# -- every backend, in one build --------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from test_hostile import run_cli

    folder = tmp_path_factory.mktemp("headings")
    (folder / "page.html").write_text(PAGE)
    (folder / "markets.md").write_text(MARKDOWN)
    (folder / "issue.toml").write_text(MANIFEST)
    result = run_cli("build", "issue.toml", "-f", "epub,pdf,email", "-o", "out", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "out"


def html_headings(markup: str | bytes) -> list[int]:
    root = lxml.html.fromstring(markup)
    return [int(el.tag[1]) for el in root.iter() if isinstance(el.tag, str)
            and re.fullmatch(r"h[1-6]", el.tag.rsplit("}", 1)[-1])]


def test_epub_pages_never_skip_a_level(built):
    with zipfile.ZipFile(built / "issue.epub") as book:
        pages = {n: html_headings(book.read(n)) for n in book.namelist() if n.endswith(".xhtml")}
    articles = {n: h for n, h in pages.items() if "/text/0" in n}
    assert sorted(articles.values()) == [[1, 2, 3], [1, 2, 3, 2]], pages
    # ebooklib's nav opens on <h2>: a page's first heading may be any level (as in axe)
    assert {n: skips(h, h[0] - 1) for n, h in pages.items() if h and skips(h, h[0] - 1)} == {}


def pdf_headings(path: Path) -> list[int]:
    """The /H1.../H6 structure elements of a tagged PDF, in reading order."""
    found: list[int] = []

    def walk(node: object) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if re.fullmatch(r"/H[1-6]", str(node.get("/S", ""))):
                found.append(int(str(node["/S"])[2]))
            if "/K" in node:
                walk(node["/K"])

    walk(PdfReader(path).trailer["/Root"]["/StructTreeRoot"])
    return found


def test_pdf_tags_nest_section_article_and_subheadings(built):
    tags = pdf_headings(built / "issue.pdf")
    assert skips(tags) == [], tags
    # section (1), article (2), its subheadings (3 and 4); the note's heading under its own
    assert tags[tags.index(1, 1):] == [1, 2, 3, 4, 3, 2, 3, 4], tags


@pytest.mark.parametrize("name", ["issue.html", "issue.web.html"])
def test_email_headings_never_skip_a_level(built, name):
    found = html_headings((built / name).read_text())
    assert skips(found) == [], found
    assert found.count(5) == 2  # the subheadings of rank 3, under h4 ones under h3 headlines


def test_json_keeps_the_ranks(tmp_path):
    from test_hostile import run_cli

    (tmp_path / "page.html").write_text(PAGE)
    result = run_cli("inspect", str(tmp_path / "page.html"))
    body = json.loads(result.stdout)["body"]
    assert [b["level"] for b in body if b["type"] == "heading"] == [2, 3, 2]
