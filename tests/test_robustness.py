"""The robustness sweep (issue 20): each defect found by reading and trying, pinned down."""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import pytest

from PIL import Image as PILImage

from exporter.assets import Assets
from exporter.atomic import staging, write_bytes
from exporter.errors import FetchError
from exporter.fetch import fetch
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


class _Hostile(http.server.BaseHTTPRequestHandler):
    """Compression bombs, headers a byte at a time, and slow redirect chains."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/bomb."):
            encoding = urllib.parse.unquote(self.path.removeprefix("/bomb."))
            self._send(200, {"Content-Encoding": encoding, "Content-Type": "text/plain"},
                       _BOMBS[encoding]())
        elif self.path == "/trickle":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Pad: " + b"x" * 100 + b"\r\n"
            try:
                for byte in head:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
                self.wfile.write(b"Content-Length: 0\r\n\r\n")  # no body to check a clock in
            except OSError:
                pass  # the client gave up, as it should
        elif self.path.startswith("/hop/"):
            left = int(self.path.removeprefix("/hop/"))
            time.sleep(0.3)  # each hop well within the read timeout; all of them not
            if left:
                self._send(302, {"Location": f"/hop/{left - 1}"}, b"")
            else:
                self._send(200, {"Content-Type": "text/plain", "X-Arrived": "yes"}, b"")

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


def _bomb(compress: Callable[[bytes], bytes], size: int = 150 * 2**20) -> bytes:
    """`size` zero bytes, compressed (a few hundred KB at most)."""
    return compress(bytes(size))


_BOMBS: dict[str, Callable[[], bytes]] = {
    "gzip": functools.cache(lambda: _bomb(lambda data: gzip.compress(data, 1))),
    # A bomb in a bomb: one small chunk of the outer layer is the whole inner one.
    "gzip, gzip": functools.cache(lambda: _bomb(lambda data: gzip.compress(gzip.compress(data, 1), 9))),
    "br": functools.cache(lambda: _bomb(lambda data: brotli.compress(data, quality=1))),
}


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("encoding", list(_BOMBS))
def test_a_compression_bomb_is_refused_before_it_is_inflated(hostile_server, encoding):
    """150 MB of zeros sent compressed: refused at 1 MB, and the fetching process never
    holds more than a fraction of the bomb (its peak memory is measured)."""
    _BOMBS[encoding]()  # made before the child starts
    code = (f"import resource\nfrom exporter.fetch import fetch\nfrom exporter.errors import FetchError\n"
            f"try:\n    fetch({hostile_server + '/bomb.' + urllib.parse.quote(encoding)!r}, allow_private=True, "
            f"max_bytes=2**20, cache=False)\n    print('fetched')\nexcept FetchError as err:\n"
            f"    print('refused', err)\n"
            f"print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    verdict, peak_mb = result.stdout.strip().splitlines()
    assert verdict.startswith("refused"), result.stderr
    assert int(peak_mb) < 100  # the bomb is 150 MB inflated


def test_headers_sent_a_byte_at_a_time_do_not_outlast_the_deadline(hostile_server):
    """The headers take 12 s to arrive, each byte well within the read timeout."""
    with pytest.raises(FetchError, match="timed out|too long"):
        fetch(f"{hostile_server}/trickle", allow_private=True, timeout=0.5, cache=False)


def test_the_deadline_covers_every_redirect_hop(hostile_server):
    """Five hops of 0.3 s each: every one within the 0.5 s timeout, together past the
    fetch's deadline (three times the timeout)."""
    assert fetch(f"{hostile_server}/hop/1", allow_private=True, timeout=0.5, cache=False).content == b""
    with pytest.raises(FetchError, match="timed out|too long"):
        fetch(f"{hostile_server}/hop/5", allow_private=True, timeout=0.5, cache=False)
