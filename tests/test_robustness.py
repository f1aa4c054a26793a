"""The robustness sweep (issue 20): each defect found by reading and trying, pinned down."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image as PILImage

from exporter.assets import Assets
from exporter.atomic import staging, write_bytes
from exporter.model import Article, Figure, Image, Issue, Section, SourceRef

from conftest import ROOT


def _photo(path: Path, size: tuple[int, int] = (60, 40)) -> Path:
    PILImage.new("RGB", size, (200, 120, 40)).save(path, "JPEG")
    return path


def test_one_photo_rendered_by_many_articles_at_once_never_loses_its_file(tmp_path):
    """Requests that differ but make the same file (a 60 px photo asked for at 60, 61, ...
    px) run in threads together; 50 rounds with a fresh cache each time."""
    _photo(tmp_path / "p.jpg")
    articles = [Article(title=f"A{i}", body=[Figure(image=Image(src="p.jpg"))],
                        source=SourceRef("markdown", str(tmp_path / f"a{i}.md"))) for i in range(12)]
    issue = Issue(title="I", date="2024-01-01", sections=[Section(articles=articles)])
    for round_ in range(50):
        assets = Assets(cache_dir=tmp_path / f"cache-{round_}")
        assets.load_issue(issue, {a.id: tmp_path for a in articles})
        requests = [(assets.get(a, a.body[0].image), {"max_width": 60 + i, "quality": 80})
                    for i, a in enumerate(articles)]
        assets.prepare_renditions(requests)
        made = {assets.rendition(asset, **options).path for asset, options in requests}
        assert len(made) == 1 and next(iter(made)).stat().st_size > 0


def test_threads_writing_one_file_at_once_each_publish_it_whole(tmp_path):
    """The atomic writer's temporary file is its own per call, not per process."""
    target = tmp_path / "same.bin"
    payloads = [bytes([i]) * 50_000 for i in range(16)]
    for _ in range(20):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda data: write_bytes(target, data), payloads))
        assert target.read_bytes() in payloads
    assert [p.name for p in tmp_path.iterdir()] == ["same.bin"]


def test_the_output_sweep_leaves_folders_the_build_did_not_mark_as_its_own(tmp_path):
    dead = _dead_pid()
    for name in (f".site.old-{dead}", f".site.old-{dead}-0", f".exporter-{dead}-mine"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text("the user's")
    with staging(tmp_path) as stage:
        (stage / "a.json").write_text("{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".exporter-{dead}-mine", f".site.old-{dead}", f".site.old-{dead}-0", "a.json"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _inspect(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "exporter", "inspect", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_spaces_after_embed_do_not_make_the_page_rule_quadratic(tmp_path):
    """300,000 spaces after `<embed` took the old rule many minutes; a linear one, moments
    (the generous limit only catches the hang)."""
    page = tmp_path / "p.html"
    body = "<p>" + "A sentence of the story that goes on. " * 20 + "</p>"
    page.write_text(f"<html><body><article><h1>T</h1>{body}<embed{' ' * 300_000}"
                    f"{'<embed ' * 5_000}{body}</article></body></html>")
    result = _inspect(str(page), "--format", "text", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "A sentence of the story" in result.stdout
