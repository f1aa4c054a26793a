"""One test per hardening fix found by the hostile corpus (model, sources, assets, atomic)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exporter.assets import Assets
from exporter.atomic import MARK, publish, staging
from exporter.errors import SourceError
from exporter.inline import safe_url
from exporter.model import Article, Embed, Figure, Image, Issue, Links, Section, SourceRef
from exporter.sources import Origin, read_bytes


def origin(name: str = "x") -> Origin:
    return Origin(name, None)


@pytest.mark.parametrize("url, safe", [
    ("https://example.com/a", "https://example.com/a"),
    ("  http://example.com ", "http://example.com"),
    ("javascript:alert(1)", None),
    (" JaVa\tScRipt:alert(1)", None),
    ("java\nscript:alert(1)", None),
    ("\x01javascript:alert(1)", None),
    ("data:text/html,<script>x</script>", None),
    ("file:///etc/passwd", None),
    ("vbscript:msgbox", None),
    ("/relative/path", None),
    ("", None),
])
def test_safe_url_reads_the_scheme_as_browsers_do(url, safe):
    assert safe_url(url) == safe


def test_model_drops_unsafe_link_addresses_and_round_trips():
    article = Article(title="t", url="javascript:alert(1)",
                      body=[Embed(url=" data:text/html,x", title="clip"), Embed(url="https://v.example/1")])
    assert article.url is None and article.body[0].url == "" and article.body[1].url == "https://v.example/1"
    links = Links(web_version="file:///etc/passwd", unsubscribe="mailto:off@example.com", archive="https://a.example")
    assert links.to_dict() == {"web_version": None, "unsubscribe": "mailto:off@example.com",
                               "archive": "https://a.example"}
    again = Article.from_dict(json.loads(json.dumps(article.to_dict())))
    assert again.to_dict() == article.to_dict()


@pytest.mark.parametrize("data, message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"title": "x", "reading_time": 1' + b"0" * 5000 + b"}", "not valid JSON"),
])
def test_json_that_python_cannot_load_is_a_source_error(data, message):
    with pytest.raises(SourceError, match=message):
        read_bytes(data, origin("a.json"), name="a.json")


def test_a_source_kind_whose_module_is_missing_is_a_source_error(monkeypatch):
    from exporter import sources

    kind = sources.REGISTRY["markdown"]
    monkeypatch.setitem(sources.REGISTRY, "markdown",
                        sources.SourceKind(kind.name, kind.suffixes, "exporter.sources.no_such_module", kind.sniff))
    with pytest.raises(SourceError, match="cannot read markdown sources"):
        read_bytes(b"---\ntitle: T\n---\nx", origin("a.md"), name="a.md")


def test_short_western_text_in_latin1_is_not_read_as_a_baltic_code_page():
    data = "---\ntitle: Café crème\n---\nUn café à Zürich, déjà vu. Ça coûte très cher à Genève.".encode("latin-1")
    article = read_bytes(data, origin("a.md"), name="a.md")[0]
    assert article.title == "Café crème" and "Genève" in article.body[0].text


def test_remote_image_without_a_fetcher_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "exporter.fetch", None)  # import fails
    article = Article(title="A", body=[Figure(image=Image(src="https://img.example/a.jpg"))],
                      source=SourceRef("markdown", "a.md"))
    issue = Issue(title="I", date="2024-01-01", sections=[Section(articles=[article])])
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, {article.id: tmp_path})
    assert len(assets.warnings) == 1 and "cannot be fetched" in assets.warnings[0]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_staging_removes_leftovers_of_killed_builds_but_not_of_running_ones(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    for name in (f".exporter-{dead}-abc", f".exporter-{alive}-live"):
        (tmp_path / name).mkdir()
        (tmp_path / name / MARK).touch()
        (tmp_path / name / "part.pdf").write_bytes(b"%PDF-half")
    old = tmp_path / ".exporter-1-ancient"  # pid possibly reused, but a day old
    old.mkdir()
    (old / MARK).touch()
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    with staging(tmp_path) as stage:
        (stage / "a.json").write_text("{}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f".exporter-{alive}-live", "a.json"]


def test_publishing_a_folder_over_a_folder_replaces_it_whole(tmp_path):
    final = tmp_path / "site"
    for version in ("1", "2"):
        item = tmp_path / f"stage{version}"
        item.mkdir()
        (item / "index.html").write_text(version)
        publish(item, final)
        assert (final / "index.html").read_text() == version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize("body, block", [
    ("> outer\n>\n> > inner\n>\n> — Someone", {"type": "quote", "text": "outer<br>inner", "attribution": "Someone"}),
    ("> - one\n> - two\n", {"type": "quote", "text": "one<br>two", "attribution": None}),
    ("- a\n\n  > quoted\n- b\n  - nested\n", {"type": "list", "ordered": False, "items": ["a quoted", "b", "nested"]}),
])
def test_markdown_keeps_text_of_blocks_nested_in_quotes_and_lists(body, block):
    article = read_bytes(f"---\ntitle: T\n---\n{body}".encode(), origin("a.md"), name="a.md")[0]
    assert [b.to_dict() for b in article.body] == [block]


def test_markdown_nested_deeper_than_the_parser_goes_is_an_error_not_lost_text():
    assert read_bytes(b"---\ntitle: T\n---\n" + b"> " * 19 + b"deep", origin("a.md"), name="a.md")
    with pytest.raises(SourceError, match="nested too deeply"):
        read_bytes(b"---\ntitle: T\n---\n" + b"> " * 10_000 + b"deep", origin("a.md"), name="a.md")


def test_an_article_too_long_to_lay_out_is_refused_or_skipped(tmp_path):
    from exporter.errors import ExporterError
    from exporter.manifest import MAX_ARTICLE_CHARS, project_from_sources

    huge = tmp_path / "huge.md"
    huge.write_text("---\ntitle: Huge\n---\n" + "word " * (MAX_ARTICLE_CHARS // 5 + 10))
    fine = tmp_path / "fine.md"
    fine.write_text("---\ntitle: Fine\n---\n" + "word " * 1000)
    with pytest.raises(ExporterError, match="characters long"):
        project_from_sources([str(huge)])
    project = project_from_sources([str(huge), str(fine)], keep_going=True)
    assert [a.title for a in project.issue.articles()] == ["Fine"] and len(project.skipped) == 1


@pytest.mark.parametrize("markup, clean", [("&amp;<br><br>", "&amp;"), ("<br> <br>x<br><br>y<br>", "x<br><br>y")])
def test_clean_inline_is_idempotent_at_line_breaks(markup, clean):
    from exporter.inline import clean_inline

    assert clean_inline(markup) == clean and clean_inline(clean) == clean
