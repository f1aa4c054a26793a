"""The asset step: each image read once, bad images are warnings, reads stay in bounds."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image as PILImage

from exporter.assets import Assets
from exporter.model import Article, Figure, Image, Issue, Section, SourceRef

from conftest import bomb_png


def photo(path: Path, size=(1600, 1067), mode="RGB", fmt="JPEG", **save) -> Path:
    colour = {"RGB": (200, 120, 40), "RGBA": (200, 120, 40, 128), "CMYK": (0, 80, 160, 0),
              "I;16": 40000, "P": 3}[mode]
    PILImage.new(mode, size, colour).save(path, fmt, **save)
    return path


def bomb_file(path: Path) -> Path:
    path.write_bytes(bomb_png())
    return path


def issue_with(*srcs: str, folder: Path) -> tuple[Issue, dict[str, Path]]:
    article = Article(title="A", body=[Figure(image=Image(src=s), caption=f"c {s}") for s in srcs],
                      source=SourceRef("markdown", str(folder / "a.md")))
    return Issue(title="I", date="2024-01-01", sections=[Section(articles=[article])]), {article.id: folder}


def test_good_images_load_once_and_renditions_are_cached(tmp_path):
    photo(tmp_path / "a.jpg")
    (tmp_path / "b.jpg").write_bytes((tmp_path / "a.jpg").read_bytes())  # same photo twice
    issue, bases = issue_with("a.jpg", "b.jpg", folder=tmp_path)
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, bases)
    article = issue.articles()[0]
    first, second = (assets.get(article, f.image) for f in article.body)
    assert first is second and (first.width, first.height) == (1600, 1067)
    small = assets.rendition(first, max_width=600)
    assert (small.width, small.height) == (600, 400)
    assert assets.rendition(first, max_width=600).path == small.path
    assert assets.rendition(first, max_width=4000).width == 1600  # never enlarged


@pytest.mark.parametrize("mode, fmt", [("RGBA", "PNG"), ("CMYK", "JPEG"), ("I;16", "PNG"), ("P", "GIF")])
def test_unusual_modes_become_baseline_rgb_jpeg(tmp_path, mode, fmt):
    photo(tmp_path / "x.img", size=(300, 200), mode=mode, fmt=fmt)
    issue, bases = issue_with("x.img", folder=tmp_path)
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, bases)
    article = issue.articles()[0]
    rendition = assets.rendition(assets.get(article, article.body[0].image), max_width=200)
    with PILImage.open(rendition.path) as out:
        assert out.format == "JPEG" and out.mode == "RGB"
        assert not out.info.get("progressive")


def test_png_named_jpg_is_read_by_content(tmp_path):
    photo(tmp_path / "x.jpg", size=(50, 50), fmt="PNG")
    issue, bases = issue_with("x.jpg", folder=tmp_path)
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, bases)
    assert not assets.warnings and assets.by_src


@pytest.mark.parametrize("name, make, message", [
    ("missing.jpg", lambda p: None, "no such image file"),
    ("zero.jpg", lambda p: p.write_bytes(b""), "empty image file"),
    ("cut.jpg", lambda p: p.write_bytes(photo(p).read_bytes()[:2000]), "not a readable image"),
    ("bomb.png", bomb_file, "too many pixels"),
    ("vector.svg", lambda p: p.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>"), "not a readable image"),
])
def test_bad_images_are_warnings_and_the_figure_stays(tmp_path, name, make, message):
    make(tmp_path / name)
    issue, bases = issue_with(name, folder=tmp_path)
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, bases)
    assert len(assets.warnings) == 1 and message in assets.warnings[0] and name in assets.warnings[0]
    assert issue.articles()[0].body[0].caption == f"c {name}"


@pytest.mark.parametrize("src", ["../secret.jpg", "/etc/passwd", "file:///etc/passwd",
                                 "data:image/png;base64,AAAA", "../article-old/secret.jpg"])
def test_images_outside_the_source_folder_are_never_read(tmp_path, src):
    folder = tmp_path / "article"
    (tmp_path / "article-old").mkdir(parents=True)  # a name that begins like the folder's
    folder.mkdir()
    photo(tmp_path / "secret.jpg")
    photo(tmp_path / "article-old" / "secret.jpg")
    issue, bases = issue_with(src, folder=folder)
    assets = Assets(cache_dir=tmp_path / "cache", offline=True)
    assets.load_issue(issue, bases)
    assert not assets.by_src and len(assets.warnings) == 1


def test_cut_images_are_refused_even_after_weasyprint_loosened_pillow(tmp_path, monkeypatch):
    from PIL import ImageFile

    # Pillow's switch is process-wide: put back as it was before this test, after it.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", ImageFile.LOAD_TRUNCATED_IMAGES)
    import weasyprint  # noqa: F401  (its import turns LOAD_TRUNCATED_IMAGES on)

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    (tmp_path / "cut.jpg").write_bytes(photo(tmp_path / "whole.jpg").read_bytes()[:2000])
    issue, bases = issue_with("cut.jpg", folder=tmp_path)
    assets = Assets(cache_dir=tmp_path / "cache")
    assets.load_issue(issue, bases)
    assert "not a readable image" in assets.warnings[0]


@pytest.mark.parametrize("src", ["outside/secret.jpg", "secret-link.jpg", "inside/../outside/secret.jpg"])
def test_links_out_of_the_source_folder_are_never_followed(tmp_path, src):
    """A folder or photo linked from inside the source's folder to outside it is refused,
    however the path reaches it (folders' real paths are looked up once per build)."""
    folder = tmp_path / "article"
    (folder / "inside").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    photo(tmp_path / "elsewhere" / "secret.jpg")
    (folder / "outside").symlink_to(tmp_path / "elsewhere")
    (folder / "secret-link.jpg").symlink_to(tmp_path / "elsewhere" / "secret.jpg")
    issue, bases = issue_with(src, folder=folder)
    assets = Assets(cache_dir=tmp_path / "cache", offline=True)
    assets.load_issue(issue, bases)
    assert not assets.by_src and len(assets.warnings) == 1


def test_resolved_is_path_resolve(tmp_path):
    from exporter.locations import one_look_per_folder, resolved

    (tmp_path / "real" / "deeper").mkdir(parents=True)
    (tmp_path / "real" / "file.jpg").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real" / "deeper")
    (tmp_path / "real" / "file-link.jpg").symlink_to(tmp_path / "real" / "file.jpg")
    with one_look_per_folder():
        for path in ["real/file.jpg", "real/file-link.jpg", "link/../file.jpg", "link/missing.jpg",
                     "link", "real/./deeper/", "missing/file.jpg"]:
            for _ in range(2):  # the second time from the folders already resolved
                assert resolved(tmp_path / path) == (tmp_path / path).resolve(), path


def test_photos_through_dot_dot_share_one_look_at_their_folder(tmp_path, monkeypatch):
    """`../photos/a.jpg` from every article of an issue: the folder's real path is looked
    up once per build, not once per photo and pass (each costs a system call per part)."""
    import os

    from exporter.locations import one_look_per_folder, resolved

    (tmp_path / "photos").mkdir()
    for name in ("a", "b"):
        (tmp_path / "articles" / name).mkdir(parents=True)
        (tmp_path / "photos" / f"{name}.jpg").write_bytes(b"x")
    expected = {name: (tmp_path / "photos" / f"{name}.jpg").resolve() for name in ("a", "b")}
    looks: list[str] = []
    real = os.path.realpath
    monkeypatch.setattr(os.path, "realpath", lambda path, **kw: looks.append(path) or real(path, **kw))
    with one_look_per_folder():
        for _ in range(2):
            for name in ("a", "b"):
                path = tmp_path / "articles" / "a" / ".." / ".." / "photos" / f"{name}.jpg"
                assert resolved(path) == expected[name]
    assert looks == [str(tmp_path / "articles" / "a" / ".." / ".." / "photos")]


def one_photo(folder: Path) -> tuple[Assets, object]:
    """The assets of an issue of one 1600 x 1067 photo, and that photo's asset."""
    photo(folder / "a.jpg")
    issue, bases = issue_with("a.jpg", folder=folder)
    assets = Assets(cache_dir=folder / "cache")
    assets.load_issue(issue, bases)
    return assets, assets.get(issue.articles()[0], issue.articles()[0].body[0].image)


def test_a_box_a_little_narrower_than_a_standard_width_shares_its_rendition(tmp_path):
    """The PDF's 1,181 px (150 mm at 200 dpi) and the email's 1,200 px are one file."""
    assets, asset = one_photo(tmp_path)
    printed, emailed = (assets.rendition(asset, max_width=w) for w in (1181, 1200))
    assert printed == emailed and (printed.width, printed.height) == (1200, 800)
    assert assets.rendition(asset, max_width=1100).width == 1100  # far from one: as asked


def _made_in_a_child(assets: Assets, asset, log: Path) -> None:
    """Make a rendition in a forked child, logging each encode."""
    import exporter.assets as module

    encode = module._encode

    def logged(*args, **kwargs):
        with log.open("a") as out:
            out.write(f"{os.getpid()}\n")
        time.sleep(0.3)  # long enough for the other process to ask meanwhile
        return encode(*args, **kwargs)

    module._encode = logged
    assets.prepare_renditions([(asset, {"max_width": 800}), (asset, {"max_width": 400})])


def test_processes_asking_at_once_make_a_rendition_once(tmp_path):
    """Formats built at once in separate processes share a rendition: the one that holds
    its lock makes it, the other waits for the file instead of resizing the photo too."""
    assets, asset = one_photo(tmp_path)
    log = tmp_path / "encodes.log"
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_made_in_a_child, args=(assets, asset, log)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    assert len(log.read_text().split()) == 2  # two renditions, each made once
    assert assets.rendition(asset, max_width=800).path.stat().st_size > 0
    assert not list((tmp_path / "cache" / "renditions").glob("*.lock"))


def test_a_lock_left_by_a_killed_build_does_not_block_the_next(tmp_path):
    assets, asset = one_photo(tmp_path)
    planned = assets._plan(asset, max_width=800)
    planned.path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(planned.path) + '.lock'!r}, os.O_CREAT | os.O_WRONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.kill()
        holder.wait(10)
        assert assets.rendition(asset, max_width=800).path.stat().st_size > 0
    finally:
        holder.kill()


def test_photos_resized_together_reuse_pillows_memory(tmp_path):
    """Each photo's pixels are not mapped from the system afresh (page faults counted, in
    a new interpreter each: a long-lived one's allocator has learnt to keep memory), and
    a PILLOW_BLOCKS_MAX the user set is what Pillow keeps afterwards."""
    for i in range(16):
        PILImage.new("RGB", (1600, 1067), (i * 15, 90, 40)).save(tmp_path / f"p{i}.jpg", quality=90)
    script = f"""
import resource, sys
from pathlib import Path
from PIL import Image as PILImage
import exporter.assets as module
from exporter.assets import Assets
from exporter.model import Article, Figure, Image, Issue, Section, SourceRef
module.BLOCKS_KEPT = int(sys.argv[1])
PILImage.core.set_blocks_max(int(sys.argv[2]))
folder = Path({str(tmp_path)!r})
article = Article(title="A", body=[Figure(image=Image(src=f"p{{i}}.jpg")) for i in range(16)],
                  source=SourceRef("markdown", str(folder / "a.md")))
issue = Issue(title="I", date="2024-01-01", sections=[Section(articles=[article])])
assets = Assets(cache_dir=folder / ("cache-" + sys.argv[1]))
assets.load_issue(issue, {{article.id: folder}})
requests = [(assets.get(article, f.image), {{"max_width": 1200}}) for f in article.body]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
assets.prepare_renditions(requests)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, PILImage.core.get_blocks_max())
"""

    def faults(kept: int, users: int) -> tuple[int, int]:
        done = subprocess.run([sys.executable, "-c", script, str(kept), str(users)],
                              capture_output=True, text=True, check=True)
        count, after = done.stdout.split()
        return int(count), int(after)

    kept, _ = faults(8, 0)
    fresh, _ = faults(0, 0)
    assert kept * 3 < fresh * 2, (kept, fresh)  # measured: less than half
    assert faults(8, 3)[1] == 3


def test_a_cache_on_a_file_system_without_locks_still_gets_its_renditions(tmp_path, monkeypatch):
    """Some network file systems refuse flock (ENOLCK): the rendition is made unlocked."""
    import errno
    import fcntl

    assets, asset = one_photo(tmp_path)

    def refused(*_args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", refused)
    assert assets.rendition(asset, max_width=800).path.stat().st_size > 0
