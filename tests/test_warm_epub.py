"""A warm EPUB rebuild does little more than write the book: after one article changes it
loads none of the other formats' libraries nor Pillow, and reads no unchanged photo again.
(That it is byte-identical to a cold build is tested in test_render_cache.py.)"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from outputs import photo

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = """---
title: Story {n}
lead:
  image: photo{n}.jpg
  caption: "Photo {n}. Photo: Desk"
---

{body}
"""
MANIFEST = """title = "Warm Weekly"
date = 2026-11-30

[[sections]]
title = "News"
articles = ["one.md", "two.md", "three.md"]
"""
# What a cached EPUB rebuild has no use for: the other formats, Pillow (every photo is
# checked and resized already, the cover drawn), ebooklib's writer (the package files are
# kept while the book's list of files and contents stay the same), the preview server and
# the `preview` command (with subprocess, for the tools it runs), process pools, and
# Babel's locale data (its dates module looks up the time zone; the dates, numbers and
# text direction the book writes are kept), the YAML parser (the edited article's front
# matter is as it was: its values are kept by its text), the TOML one (the same for the
# manifest), zipfile (the zip is written by hand) and uuid (its import asks the system its
# name).
NOT_LOADED = ["PIL", "yaml", "frontmatter", "tomllib", "zipfile", "uuid", "weasyprint", "pikepdf",
              "mjml", "css_inline", "trafilatura", "httpx",
              "http.server", "multiprocessing", "babel.dates", "babel.numbers", "ebooklib.epub",
              "exporter.backends.pdf", "exporter.backends.email", "exporter.serve",
              "exporter.preview", "subprocess"]


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issue"
    folder.mkdir()
    for n, name in enumerate(["one", "two", "three"], 1):
        body = "\n\n".join(f"Paragraph {k} of story {n}, with some news in it." for k in range(3))
        (folder / f"{name}.md").write_text(ARTICLE.format(n=n, body=body), encoding="utf-8")
        photo(folder / f"photo{n}.jpg", (320 + 40 * n, 200))
    (folder / "issue.toml").write_text(MANIFEST, encoding="utf-8")
    return folder


def build_epub(issue: Path, out: Path, script: str = "") -> str:
    """`exporter build issue.toml -f epub` in a fresh interpreter; what `script` prints
    after the build (it runs in the same process)."""
    code = ("import sys\nfrom exporter.cli import main\n"
            f"code = main(['build', {str(issue / 'issue.toml')!r}, '-f', 'epub', '-o', {str(out)!r}])\n"
            "assert code == 0, code\n" + script)
    done = subprocess.run([sys.executable, "-c", code],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1] if script else ""


def edit(issue: Path) -> None:
    path = issue / "two.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA late update.\n", encoding="utf-8")


def test_a_cached_rebuild_loads_no_other_format_nor_pillow(issue: Path, tmp_path: Path) -> None:
    build_epub(issue, tmp_path / "cold")
    edit(issue)
    loaded = json.loads(build_epub(issue, tmp_path / "warm",
                                   "import json\nprint(json.dumps(sorted(sys.modules)))\n"))
    assert "exporter.backends.epub" in loaded
    assert [name for name in NOT_LOADED if name in loaded] == []


def test_a_cached_rebuild_reads_no_system_mime_table_nor_babel_likely_scripts(
        issue: Path, tmp_path: Path) -> None:
    """Each page's media type is given (ebooklib would guess it from the system's MIME
    tables), and an English book needs no likely-script table to find its catalogue:
    reading either costs a rebuild more than its own work on an article."""
    build_epub(issue, tmp_path / "cold")
    edit(issue)
    read = build_epub(issue, tmp_path / "warm", "import mimetypes, babel.core\n"
                      "print([mimetypes.inited, babel.core._global_data is not None])\n")
    assert read == "[False, False]"


def test_an_unchanged_photo_is_not_read_again(issue: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the photo nor its checked copy in the cache is read: the rebuild knows the
    file by its identity and change time, and the book's image entry is kept; the
    rendition's bytes are only copied into the zip, once per photo."""
    import builtins

    from exporter.build import build
    from exporter.manifest import load_manifest

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EXPORTER_JOBS", "1")
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "cold")
    edit(issue)
    opened: list[str] = []
    real_open, real_path_open = builtins.open, Path.open

    def spy_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_path_open(self, *args, **kwargs):
        opened.append(str(self))
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(Path, "open", spy_path_open)
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "warm")
    monkeypatch.undo()
    assert any(name.endswith("two.md") for name in opened)  # the spy saw the edited source
    assert [name for name in opened if name.startswith(str(issue)) and name.endswith(".jpg")
            or "/originals/" in name] == []
    copied = [name for name in opened if "/renditions/" in name]
    assert len(copied) == len(set(copied)) == 3


def test_unchanged_pages_are_not_compressed_again(issue: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each article's page is kept compressed, as the zip holds it: a rebuild after one
    article changes compresses that page and the book's own small files, no other page,
    and not the contents page while it lists the same."""
    from exporter.backends.epub import package
    from exporter.build import build
    from exporter.manifest import load_manifest

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "cold")
    edit(issue)
    compressed: list[bytes] = []
    real = package.packed

    def spy(content: bytes, *, stored: bool = False) -> package.Entry:
        compressed.append(content)
        return real(content, stored=stored)

    monkeypatch.setattr(package, "packed", spy)
    monkeypatch.setattr("exporter.backends.epub.packed", spy)
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "warm")
    with zipfile.ZipFile(io.BytesIO((tmp_path / "warm" / "issue.epub").read_bytes())) as book:
        assert book.testzip() is None
        pages = {name: book.read(name) for name in book.namelist() if "/text/00" in name}
        contents = book.read("EPUB/text/contents.xhtml")
    assert sorted(pages) == ["EPUB/text/001-story-1.xhtml", "EPUB/text/002-story-2.xhtml",
                             "EPUB/text/003-story-3.xhtml"]
    assert pages["EPUB/text/002-story-2.xhtml"] in compressed  # the edited one
    assert contents not in compressed  # the same list of articles as before: compressed once
    assert [name for name, page in pages.items() if page in compressed] == ["EPUB/text/002-story-2.xhtml"]


def test_a_rebuild_reads_nothing_of_an_unchanged_article(issue: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """After one article changes, the others' sources are not read (known by identity,
    like make) and their parsed text, photos' checks and pages come from one journal per
    step of the build: the cache entries opened are those of the edited article and the
    cover picture (a large entry, read from its own file)."""
    import builtins

    from exporter.build import build
    from exporter.manifest import load_manifest

    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("EXPORTER_JOBS", "1")
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "cold")
    edit(issue)
    opened: list[str] = []
    real_open, real_path_open = builtins.open, Path.open

    def spy_open(file, mode="r", *args, **kwargs):
        if "r" in mode:
            opened.append(str(file))
        return real_open(file, mode, *args, **kwargs)

    def spy_path_open(self, mode="r", *args, **kwargs):
        if "r" in mode:
            opened.append(str(self))
        return real_path_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(Path, "open", spy_path_open)
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "warm")
    monkeypatch.undo()
    assert [name for name in opened if name.startswith(str(issue))] == [str(issue / "issue.toml"),
                                                                    str(issue / "two.md")]
    entries = [Path(name).relative_to(cache_dir).parts[0] for name in opened
               if name.startswith(str(cache_dir)) and name.endswith(".pickle")]
    assert sorted(entries) == ["epub-articles", "epub-cover", "journals", "journals", "journals",
                               "parsed", "source-files"]
    assert (tmp_path / "warm" / "issue.epub").read_bytes() != (tmp_path / "cold" / "issue.epub").read_bytes()


def test_the_package_files_are_written_again_only_when_what_they_list_changes(
        issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The OPF, nav and NCX list the book's files, titles and metadata, not the text: an
    edit to an article's body takes them from the cache (ebooklib does not run), an edit
    to its byline (a contributor in the OPF) makes them again, equal to a cold build's."""
    from ebooklib import epub

    from exporter.build import build
    from exporter.manifest import load_manifest

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "cold")
    written: list[object] = []
    real = epub.write_epub
    monkeypatch.setattr(epub, "write_epub",
                        lambda *args, **kwargs: written.append(1) or real(*args, **kwargs))
    edit(issue)
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "body")
    assert written == []
    path = issue / "two.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: Story 2", "title: Story 2\nauthors: [A. Writer]"), encoding="utf-8")
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "byline")
    assert written == [1]
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cold-cache"))
    build(load_manifest(issue / "issue.toml"), ["epub"], tmp_path / "cold-byline")
    book = (tmp_path / "byline" / "issue.epub").read_bytes()
    assert book == (tmp_path / "cold-byline" / "issue.epub").read_bytes()
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        assert b"A. Writer" in archive.read("EPUB/content.opf")
