"""`exporter new` and `exporter templates list/copy`: starting an issue and a theme."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from exporter.article_html import render_article
from exporter.scaffold import builtin_names, copy_templates
from exporter.templating import check_templates, environment

from conftest import ROOT
from test_themes import ARTICLE, resolve


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)


def test_new_then_build_from_an_empty_folder(tmp_path):
    made = run_cli("new", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "demo/harbour-lights.md", "demo/issue.toml", "demo/photos/harbour.jpg"]
    with Image.open(tmp_path / "demo" / "photos" / "harbour.jpg") as photo:
        assert photo.size == (1600, 1067) and photo.mode == "RGB"
    built = run_cli("build", "demo/issue.toml", "-f", "json", "-o", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stderr == ""  # no warnings: the photo is found and read
    issue = json.loads((tmp_path / "out" / "issue.json").read_text())
    (article,) = issue["sections"][0]["articles"]
    assert article["lead"]["credit"] == "Ana Ribeiro" and article["lead"]["image"]["alt"]
    figures = [b for b in article["body"] if b["type"] == "figure"]
    assert figures and figures[0]["caption"] and figures[0]["credit"] == "Ana Ribeiro"


def test_new_then_build_every_format_and_check_passes(tmp_path):
    assert run_cli("new", "demo", cwd=tmp_path).returncode == 0
    built = run_cli("build", "demo/issue.toml", "-o", "out", "--check", cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    suffixes = {p.suffix for p in (tmp_path / "out").iterdir()}
    assert {".pdf", ".epub", ".html"} <= suffixes


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine")
    result = run_cli("new", "demo", cwd=tmp_path)
    assert result.returncode == 1 and "not empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_templates_list_shows_names_blocks_and_overrides(tmp_path):
    (tmp_path / "article.html").write_text('{% extends "!default/article.html" %}')
    result = run_cli("templates", "list", "--templates", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(builtin_names())
    (article,) = [line for line in lines if line.startswith("article.html")]
    assert "[blocks: header, lead, body, footer]" in article and "overridden by" in article


def test_templates_copy_makes_a_theme_that_builds_unchanged(tmp_path):
    result = run_cli("templates", "copy", "article.html", "theme", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    copied = tmp_path / "theme" / "article.html"
    assert copied.read_text() == (ROOT / "templates" / "article.html").read_text()
    again = run_cli("templates", "copy", "article.html", "theme", cwd=tmp_path)
    assert again.returncode == 1 and "--force" in again.stderr


def test_templates_copy_extend_writes_a_stub_listing_the_blocks(tmp_path):
    (stub,) = copy_templates("article.html", tmp_path, extend=True)
    text = stub.read_text()
    assert text.startswith('{% extends "!default/article.html" %}')
    for block in ("header", "lead", "body", "footer"):
        assert f"{{% block {block} %}}" in text
    check_templates(tmp_path)
    # the stub alone changes nothing
    assert render_article(environment(tmp_path), ARTICLE, resolve) == \
        render_article(environment(), ARTICLE, resolve)


def test_templates_copy_of_an_unknown_name_lists_the_choices(tmp_path):
    result = run_cli("templates", "copy", "nope.html", "theme", cwd=tmp_path)
    assert result.returncode == 1 and "article.html" in result.stderr


def test_extend_skips_templates_without_blocks_and_says_so_for_one(tmp_path):
    result = run_cli("templates", "copy", "blocks.html", "theme", "--extend", cwd=tmp_path)
    assert result.returncode == 1 and "no named blocks" in result.stderr


def test_check_and_listing_ignore_notes_in_a_theme_folder(tmp_path):
    (tmp_path / "README.md").write_text("Use {% block footer %} like this: {{ broken")
    check_templates(tmp_path)  # not a template: not compiled
    assert not [n for n in builtin_names() if n.endswith(".md")]
