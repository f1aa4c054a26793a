"""Markdown and JSON sources against their expected models (one fixture per case)."""

from __future__ import annotations

import pytest

from exporter.errors import SourceError
from exporter.sources import kind_for, read_source

from conftest import FIXTURES, normalised

CASES = sorted((FIXTURES / "markdown").glob("*.md")) + sorted((FIXTURES / "json").glob("*.json"))
CASES = [c for c in CASES if not c.name.endswith(".expected.json")]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_source_matches_expected_model(path, golden):
    articles = [normalised(a.to_dict()) for a in read_source(path)]
    golden(path.with_suffix(".expected.json"), articles)


def test_markdown_raw_html_is_sanitised():
    (article,) = read_source(FIXTURES / "markdown" / "raw-html.md")
    dump = str(article.to_dict())
    assert "raw HTML" in dump
    for danger in ("<script", "alert(1)</", "onclick", 'href="javascript', "<b "):
        assert danger not in dump


@pytest.mark.parametrize("data, kind", [
    (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
    (b"<?xml version='1.0'?><rss version='2.0'></rss>", "feed"),
    (b'{"title": "x"}', "json"),
    (b"---\ntitle: x\n---\nbody", "markdown"),
    (b"Just pasted text", "text"),
])
def test_content_overrides_a_lying_suffix(data, kind):
    assert kind_for("article.txt", data).name == kind


@pytest.mark.parametrize("text, message", [
    ("---\ntitle: [unclosed\n---\nbody", "broken front matter"),
    ("---\ntitel: typo\n---\nbody", "unknown front matter key 'titel'"),
    ("---\ntitle: x\ndate: yesterday\n---\nbody", "not an ISO date"),
    ("no title here, only text", "no title"),
])
def test_bad_markdown_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.md"
    path.write_text(text)
    with pytest.raises(SourceError, match=message):
        read_source(path)


@pytest.mark.parametrize("text, message", [
    ('{"title": 3}', "title: expected a string"),
    ('{"headline": "x"}', "unknown field 'headline'"),
    ('{"title": "x", "body": [{"type": "video"}]}', "unknown block type 'video'"),
    ('[1, 2', "not valid JSON"),
])
def test_json_that_is_not_the_model_is_refused(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SourceError, match=message):
        read_source(path)


def test_markdown_footnotes_become_superscripts_and_a_notes_list():
    (article,) = read_source(FIXTURES / "markdown" / "notes-and-links.md")
    blocks = article.body
    assert "record low<sup>1</sup>" in blocks[0].text and "[^" not in str(article.to_dict())
    assert "cost<sup>2</sup> and the gauge<sup>1</sup>" in blocks[2].text
    assert (blocks[-2].type, blocks[-2].text) == ("heading", "Notes")
    assert blocks[-1].ordered and blocks[-1].items == [
        "The Mekong River Commission's gauge at Tan Chau.",
        "Figures from the <em>provincial</em> agriculture office."]


def test_markdown_quote_dash_line_is_the_attribution():
    (article,) = read_source(FIXTURES / "markdown" / "notes-and-links.md")
    quote = article.body[1]
    assert (quote.text, quote.attribution) == ("We have never seen it this low.", "Nguyen Van An, a rice farmer")


def test_markdown_relative_links_resolve_against_url_or_become_text(tmp_path):
    text = (FIXTURES / "markdown" / "notes-and-links.md").read_text()
    (article,) = read_source(FIXTURES / "markdown" / "notes-and-links.md")
    assert '<a href="https://example.com/mekong">its home page</a>' in article.body[0].text
    assert "commission's archive" in article.body[0].text and "archive/2023.md" not in article.body[0].text
    assert article.body[0].text.count("<a ") == 1  # the others are plain text, no bare <a>
    with_url = tmp_path / "with-url.md"
    with_url.write_text(text.replace("title:", "url: https://example.com/news/mekong\ntitle:", 1))
    (article,) = read_source(with_url)
    assert '<a href="https://example.com/news/archive/2023.md">' in article.body[0].text


def test_credit_patterns_are_compiled_only_when_a_caption_needs_splitting(tmp_path):
    """A rebuild parses the edited article only: one whose captions come with their credit
    does not pay for compiling the credit patterns; the first caption to split does."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    story = tmp_path / "story.md"
    story.write_text("---\ntitle: T\nlead:\n  image: p.jpg\n  caption: A harbour.\n"
                     "  credit: Desk\n---\n\nText.\n", encoding="utf-8")
    code = ("from exporter.sources import read_source, credits\n"
            f"read_source({str(story)!r})\n"
            "patterns = [v for v in vars(credits).values() if isinstance(v, credits._Lazy)]\n"
            "before = sum('compiled' in vars(p) for p in patterns)\n"
            "split = credits.split_credit('Kim attends. Photo: AP')\n"
            "print(len(patterns), before, split)\n")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(root), "EXPORTER_NO_CACHE": "1"})
    assert done.stdout.split() == ["6", "0", "('Kim", "attends.',", "'AP')"]


@pytest.mark.parametrize("text", [
    "---\ntitle: One\ndate: 2026-11-30\ntags: [a, b]\n---\n\nBody.\n",
    "\n\n---\ntitle: Blank lines first\n---\nBody with a rule\n\n---\n\nand more.\n",
    "-----   \ntitle: A longer boundary, spaces after\n----\n  Body.  \n",
    "---\n---\nEmpty front matter.\n",
    "---\n- a list\n---\nNot a mapping.\n",
    "---\ntitle: Never closed\n\nBody.\n",
    '{\n"title": "JSON front matter"\n}\nBody.\n',
    "# No front matter\n\nBody.\n",
])
def test_markdown_front_matter_is_split_as_python_frontmatter_splits_it(tmp_path, monkeypatch, text):
    """YAML front matter's values are kept in the build cache by its text (a rebuild
    after a body edit loads no YAML parser): cached or not, the values and the text
    after them are python-frontmatter's own."""
    import frontmatter

    from exporter.sources.markdown import Origin, _front_matter

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    post = frontmatter.loads(text)
    origin = Origin("a.md", tmp_path)
    assert _front_matter(text, origin) == (post.metadata, post.content)  # parsed
    assert _front_matter(text, origin) == (post.metadata, post.content)  # from the cache
