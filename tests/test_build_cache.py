"""Warm rebuilds: a source or image is parsed or checked once per content, never stale."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from exporter import cache
from exporter.sources import read_source

ARTICLE = Path(__file__).parent / "fixtures" / "markdown" / "figures-and-quote.md"
build = importlib.import_module("exporter.build")  # the module: `exporter.build` is the function


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_remembered_computes_once_per_key(own_cache: Path) -> None:
    calls = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    assert cache.remembered("t", cache.key("a"), compute) == [1]
    assert cache.remembered("t", cache.key("a"), compute) == [1]
    assert cache.remembered("t", cache.key("b"), compute) == [2]
    assert len(calls) == 2


def test_broken_entry_is_rebuilt(own_cache: Path) -> None:
    k = cache.key("x")
    cache.remembered("t", k, lambda: "first")
    for entry in (own_cache / "t").rglob("*.pickle"):
        entry.write_bytes(b"\x80\x05truncated")
    assert cache.remembered("t", k, lambda: "again") == "again"
    assert cache.remembered("t", k, lambda: "never") == "again"


def test_no_cache_switch(own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTER_NO_CACHE", "1")
    assert cache.remembered("t", cache.key("a"), lambda: 1) == 1
    assert cache.remembered("t", cache.key("a"), lambda: 2) == 2
    assert not (own_cache / "t").exists()


def test_changed_source_is_parsed_again(own_cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "story.md"
    source.write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    first = read_source(source)
    assert [a.to_dict() for a in read_source(source)] == [a.to_dict() for a in first]
    assert len(list((own_cache / "parsed").rglob("*.pickle"))) == 1
    source.write_text(source.read_text(encoding="utf-8") + "\nA late paragraph.\n", encoding="utf-8")
    changed = read_source(source)
    assert "A late paragraph." in changed[0].body[-1].text
    assert len(list((own_cache / "parsed").rglob("*.pickle"))) == 2


def test_same_bytes_elsewhere_keep_their_own_location(own_cache: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    for path in (one, two):
        path.write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert read_source(one)[0].source.location == str(one)
    assert read_source(two)[0].source.location == str(two)


def test_a_rebuild_parses_in_workers_only_the_sources_not_yet_parsed(own_cache: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting worker processes costs more than reading parsed articles from the cache:
    after one article of many changes, the rebuild starts none."""
    from exporter.sources import warm

    sources = []
    for n in range(warm.WARM_MIN_SOURCES + 2):
        source = tmp_path / f"story-{n}.md"
        source.write_text(ARTICLE.read_text(encoding="utf-8").replace("\n\n", f"\n\nStory {n}.\n\n", 1),
                          encoding="utf-8")
        sources.append(str(source))
    monkeypatch.setattr(warm, "max_workers", lambda: 2)
    started: list[list[str]] = []
    monkeypatch.setattr(warm, "run_all", lambda jobs: started.append([name for name, _ in jobs]))
    warm.warm_sources(sources)
    assert started == [["sources-0", "sources-1"]]  # nothing parsed yet: in workers
    for source in sources:
        read_source(source)
    Path(sources[0]).write_text(Path(sources[0]).read_text(encoding="utf-8") + "\nLate.\n",
                                encoding="utf-8")
    warm.warm_sources(sources)
    assert started == [["sources-0", "sources-1"]]  # one changed file: read in the build itself


def test_the_read_after_the_check_looks_each_unchanged_source_up_once(
        own_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild checks every source (are there enough to parse in workers?) before it
    reads them: the read takes what the check found, as long as the file is the same, and
    a file changed in between is read again."""
    from exporter.sources import warm

    sources = []
    for n in range(3):
        source = tmp_path / f"story-{n}.md"
        source.write_text(ARTICLE.read_text(encoding="utf-8").replace("\n\n", f"\n\nStory {n}.\n\n", 1),
                          encoding="utf-8")
        sources.append(str(source))
    first = [read_source(source)[0].to_dict() for source in sources]
    monkeypatch.setattr(warm, "max_workers", lambda: 2)
    keys: list[Path] = []
    real = cache.file_key
    monkeypatch.setattr(cache, "file_key", lambda path, *rest: keys.append(path) or real(path, *rest))
    warm.warm_sources(sources)
    Path(sources[2]).write_text(Path(sources[2]).read_text(encoding="utf-8") + "\nLate.\n",
                                encoding="utf-8")
    again = [read_source(source)[0].to_dict() for source in sources]
    assert again[:2] == first[:2] and again[2] != first[2]
    assert "Late." in again[2]["body"][-1]["text"]
    assert sorted(map(str, keys)) == sorted(sources + [sources[2]])  # the changed one twice


def _photo_issue(folder: Path) -> tuple[Any, list[str]]:
    """An issue of enough one-photo articles to check their photos in workers, and its sources."""
    from PIL import Image as PILImage

    from exporter.manifest import project_from_sources

    sources = []
    for n in range(build.WARM_MIN_IMAGES + 2):
        PILImage.new("RGB", (40, 30), (n * 20, 90, 160)).save(folder / f"photo-{n}.jpg")
        source = folder / f"story-{n}.md"
        source.write_text(f"---\ntitle: Story {n}\n---\n\nText {n}.\n\n![Photo {n}](photo-{n}.jpg)\n",
                          encoding="utf-8")
        sources.append(str(source))
    return project_from_sources(sources), sources


def test_a_rebuild_checks_in_workers_only_the_images_not_checked_yet(own_cache: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding photos in workers pays only when they are not remembered: after one photo
    of many changes, the rebuild checks it itself and starts no process."""
    from PIL import Image as PILImage

    project, sources = _photo_issue(tmp_path)
    monkeypatch.setattr(build, "max_workers", lambda: 2)
    started: list[list[str]] = []
    monkeypatch.setattr(build, "run_all", lambda jobs: started.append([name for name, _ in jobs]))
    build.prepare_assets(project)
    assert started == [["images-0", "images-1"]]  # nothing checked yet: in workers
    PILImage.new("RGB", (40, 30), (255, 0, 0)).save(tmp_path / "photo-0.jpg")
    assets = build.prepare_assets(project)
    assert started == [["images-0", "images-1"]]  # one new photo: checked in the build itself
    assert len(assets.by_src) == len(sources) and not assets.warnings


def test_a_rebuild_looks_at_each_photo_once(own_cache: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild first asks whether every photo is checked (to start no process when all
    are), then loads them: each photo's file is found, looked at and named once for both."""
    import os

    project, sources = _photo_issue(tmp_path)
    photos = {str(tmp_path / f"photo-{n}.jpg") for n in range(len(sources))}
    monkeypatch.setattr(build, "max_workers", lambda: 2)
    build.prepare_assets(project)
    looked: list[str] = []
    real_stat = os.stat

    def spy(path, *args, **kwargs):
        looked.append(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", spy)
    assets = build.prepare_assets(project)
    monkeypatch.undo()
    assert len(assets.by_src) == len(sources) and not assets.warnings
    assert sorted(p for p in looked if p in photos) == sorted(photos)


def test_the_code_fingerprint_follows_the_bytes_not_the_dates(tmp_path: Path) -> None:
    """Wheels built reproducibly give every file one date: two versions whose modules
    have the same sizes and dates must still key their caches apart."""
    import os

    module = tmp_path / "exporter" / "render.py"
    module.parent.mkdir()
    module.write_text("WIDTH = 600\n")
    os.utime(module, ns=(315532800 * 10**9,) * 2)
    before = cache.package_digest(module.parent)
    module.write_text("WIDTH = 640\n")
    os.utime(module, ns=(315532800 * 10**9,) * 2)
    assert cache.package_digest(module.parent) != before


def test_the_remembered_code_fingerprint_misses_when_a_module_is_rewritten(
        own_cache: Path, tmp_path: Path) -> None:
    """The fingerprint is kept under the modules' identities so that a build reads no
    module: a version installed over another, its modules of the same sizes and dates
    (a reproducible wheel), is still told apart, and no entry is made without a cache."""
    import os

    module = tmp_path / "exporter" / "render.py"
    module.parent.mkdir()
    module.write_text("WIDTH = 600\n")
    os.utime(module, ns=(315532800 * 10**9,) * 2)
    before = cache.package_digest(module.parent, memo=True)
    assert cache.package_digest(module.parent, memo=True) == before
    assert len(list((own_cache / "digests").iterdir())) == 1
    module.write_text("WIDTH = 640\n")
    os.utime(module, ns=(315532800 * 10**9,) * 2)
    after = cache.package_digest(module.parent, memo=True)
    assert after != before and after == cache.package_digest(module.parent)


def test_the_remembered_digest_of_templates_misses_after_any_edit(own_cache: Path,
                                                                 tmp_path: Path) -> None:
    """A template folder's digest (the key of every cached page) is kept under its files'
    identities: rewritten with the same size and date, added or removed, it is read again."""
    import os

    folder = tmp_path / "templates"
    (folder / "email").mkdir(parents=True)
    page = folder / "email" / "page.html"
    page.write_text("<p>{{ a }}</p>")
    os.utime(page, ns=(315532800 * 10**9,) * 2)
    first = cache.folder_digest(folder, None)
    assert cache.folder_digest(folder, None) == first
    page.write_text("<b>{{ a }}</b>")
    os.utime(page, ns=(315532800 * 10**9,) * 2)
    second = cache.folder_digest(folder, None)
    (folder / "extra.css").write_text("p {}")
    third = cache.folder_digest(folder, None)
    (folder / "extra.css").unlink()
    assert len({first, second, third}) == 3
    assert cache.folder_digest(folder, None) == second


def test_entries_unused_for_a_month_are_pruned_once_a_day(own_cache: Path, tmp_path: Path) -> None:
    """Every entry is keyed by content, so each edit leaves an old one behind: a build
    removes those no build has read or written for KEEP_DAYS days."""
    import os
    import time

    from exporter.build import build
    from exporter.manifest import project_from_sources

    now = time.time()
    old, recent = own_cache / "parsed" / "ab" / "old.pickle", own_cache / "parsed" / "cd" / "read.pickle"
    for path, age in ((old, cache.KEEP_DAYS + 1), (recent, cache.KEEP_DAYS + 1)):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"entry")
        os.utime(path, (now - age * cache.DAY,) * 2)
    os.utime(recent, (now - cache.DAY, now - (cache.KEEP_DAYS + 1) * cache.DAY))  # read yesterday
    source = tmp_path / "story.md"
    source.write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    build(project_from_sources([str(source)]), ["epub"], tmp_path / "out")
    assert not old.exists() and recent.exists()
    assert any((own_cache / "epub-articles").rglob("*.pickle"))  # this build's own entries stay
    os.utime(recent, (now - 40 * cache.DAY,) * 2)
    assert cache.prune() == 0 and recent.exists()  # pruned today already
    assert cache.prune(now=now + 2 * cache.DAY) == 1 and not recent.exists()  # the next day


def test_a_journal_answers_for_the_entries_its_last_build_used(own_cache: Path) -> None:
    """A rebuild finds what the last build of the same issue used in one file, not one
    file per entry; each use gets its own copy, as from an entry's file."""
    with cache.journal("issue.toml"):
        first = cache.remembered("t", cache.key("a"), lambda: ["made"])
        first.append("changed by its user")
    for entry in (own_cache / "t").rglob("*.pickle"):
        entry.unlink()
    with cache.journal("issue.toml"):
        assert cache.remembered("t", cache.key("a"), lambda: ["made again"]) == ["made"]
        assert cache.stored("t", cache.key("a"))
    with cache.journal("other.toml"):  # another issue's journal knows nothing of it
        assert not cache.stored("t", cache.key("a"))


def test_a_large_entry_is_read_from_its_own_file(own_cache: Path) -> None:
    """An email's photo (a MIME part) is worth its own file's opening: the journal, written
    again after every edit, holds only the small entries."""
    photo = bytes(range(256)) * (cache.JOURNAL_ENTRY_BYTES // 128)
    with cache.journal("issue.toml"):
        cache.remembered("t", cache.key("photo"), lambda: photo)
        cache.remembered("t", cache.key("small"), lambda: "small")
    (journal,) = (own_cache / "journals").iterdir()
    assert journal.stat().st_size < cache.JOURNAL_ENTRY_BYTES
    with cache.journal("issue.toml"):
        assert cache.remembered("t", cache.key("photo"), lambda: b"made again") == photo


def test_a_journal_keeps_only_what_its_last_build_used(own_cache: Path) -> None:
    """Entries of older versions drop out: a journal does not grow with every edit. A
    build that fails leaves the journal as it was."""
    with cache.journal("issue.toml"):
        cache.remembered("t", cache.key("old"), lambda: "old")
    with cache.journal("issue.toml"):
        cache.remembered("t", cache.key("new"), lambda: "new")
    with pytest.raises(RuntimeError), cache.journal("issue.toml"):
        cache.remembered("t", cache.key("newer"), lambda: "newer")
        raise RuntimeError("the build failed")
    for entry in (own_cache / "t").rglob("*.pickle"):
        entry.unlink()
    with cache.journal("issue.toml"):
        assert cache.remembered("t", cache.key("new"), lambda: "again") == "new"
        assert cache.remembered("t", cache.key("old"), lambda: "again") == "again"
        assert cache.remembered("t", cache.key("newer"), lambda: "again") == "again"


def test_an_unchanged_source_is_not_read_again_but_every_rewrite_is(own_cache: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Like make, a rebuild knows an unchanged file by its path, inode, size and change
    times without reading it; a rewrite of the same size with its old modification time
    put back is still read (its ctime moved, which no tool can set back)."""
    import os

    source = tmp_path / "story.md"
    source.write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    first = read_source(source)
    read: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or real(self))
    assert [a.to_dict() for a in read_source(source)] == [a.to_dict() for a in first]
    assert read == []
    info = source.stat()
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace(first[0].title, first[0].title[::-1]), encoding="utf-8")
    os.utime(source, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert source.stat().st_size == info.st_size
    assert read_source(source)[0].title == first[0].title[::-1]
    assert read == [source]


def test_a_model_as_json_tells_apart_what_any_output_could_show() -> None:
    """The text cached renderings are keyed by: two articles whose `to_dict` differs in
    any field, or blocks differing in kind alone, give different texts; equal ones, read
    again, the same."""
    import dataclasses
    import pickle

    from exporter.model import Heading, Paragraph

    article = read_source(ARTICLE)[0]
    assert cache.as_json(pickle.loads(pickle.dumps(article))) == cache.as_json(article)
    for field in dataclasses.fields(article):
        value = getattr(article, field.name)
        if isinstance(value, str) or value is None:
            for new in ((value or "") + "x", "https://example.org/changed"):
                changed = dataclasses.replace(article, **{field.name: new})
                assert (cache.as_json(changed) != cache.as_json(article)) == \
                    (changed.to_dict() != article.to_dict()), field.name
    assert cache.as_json(Paragraph(text="Same words")) != cache.as_json(Heading(text="Same words", level=2))


def test_the_pdf_and_the_email_share_a_photos_rendition(own_cache: Path, tmp_path: Path) -> None:
    """A lead photo printed at the text's width (1,181 px at 200 dpi) and the email's
    1,200 px one are the same file: resized once for both formats."""
    from PIL import Image as PILImage

    from exporter.build import build
    from exporter.manifest import project_from_sources

    PILImage.new("RGB", (1600, 1067), (40, 90, 160)).save(tmp_path / "photo.jpg", quality=90)
    source = tmp_path / "story.md"
    source.write_text("---\ntitle: Story\nlead:\n  image: photo.jpg\n  caption: A photo.\n---\n\n"
                      "Text of the story.\n", encoding="utf-8")
    build(project_from_sources([str(source)]), ["pdf", "email"], tmp_path / "out")
    made = sorted(p.name.split("-", 1)[1] for p in (own_cache / "renditions").iterdir())
    assert [name for name in made if name.startswith(("1181x", "1200x"))] == ["1200x800-q80.jpg"]
