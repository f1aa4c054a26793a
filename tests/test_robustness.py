"""The robustness sweep (issue 20): each defect found by reading and trying, pinned down."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
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
from exporter.errors import FetchError, ManifestError
from exporter.fetch import fetch
from exporter.inline import clean_inline
from exporter.manifest import load_manifest
from exporter.model import Article, Figure, Image, Issue, Paragraph, Section, SourceRef
from exporter.sources import read_source

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


def test_a_large_output_replacing_another_is_swapped_in_whole(tmp_path):
    """A large file published over another trades places with it in one step (a rename
    over it would first make ext4 write the new file out): the new bytes are at the
    path, a reader of the old file still reads it whole, and nothing is left over."""
    from exporter import atomic

    old, new = os.urandom(atomic.SWAP_BYTES), os.urandom(atomic.SWAP_BYTES + 1)
    (tmp_path / "book.epub").write_bytes(old)
    swapped: list[bool] = []
    real = atomic._exchange

    def exchange(first: Path, second: Path) -> bool:
        swapped.append(real(first, second))
        return swapped[-1]

    with open(tmp_path / "book.epub", "rb") as reader:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(atomic, "_exchange", exchange)
            with staging(tmp_path) as stage:
                (stage / "book.epub").write_bytes(new)
        assert reader.read() == old
    assert swapped == [True]  # Linux: RENAME_EXCHANGE
    assert (tmp_path / "book.epub").read_bytes() == new
    assert [p.name for p in tmp_path.iterdir()] == ["book.epub"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _exporter(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)


def test_spaces_after_embed_do_not_make_the_page_rule_quadratic(tmp_path):
    """300,000 spaces after `<embed` took the old rule many minutes; a linear one, moments
    (the generous limit only catches the hang)."""
    page = tmp_path / "p.html"
    body = "<p>" + "A sentence of the story that goes on. " * 20 + "</p>"
    page.write_text(f"<html><body><article><h1>T</h1>{body}<embed{' ' * 300_000}"
                    f"{'<embed ' * 5_000}{body}</article></body></html>")
    result = _exporter("inspect", str(page), "--format", "text", timeout=60)
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
    # The peak is the child's own from the fetch on: ru_maxrss would also count what a
    # large parent (a test worker) had when it forked, so Linux's high-water mark is reset
    # first (clear_refs 5) and read back from /proc.
    code = (f"from exporter.fetch import fetch\nfrom exporter.errors import FetchError\n"
            f"open('/proc/self/clear_refs', 'w').write('5')\n"
            f"try:\n    fetch({hostile_server + '/bomb.' + urllib.parse.quote(encoding)!r}, allow_private=True, "
            f"max_bytes=2**20, cache=False)\n    print('fetched')\nexcept FetchError as err:\n"
            f"    print('refused', err)\n"
            f"print(next(int(line.split()[1]) for line in open('/proc/self/status') "
            f"if line.startswith('VmHWM')) // 1024)")
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


_STORY = "<p>" + "Words of the story, told at some length here. " * 12 + "</p>"


def _page(head: str = "", body: str = "") -> str:
    return f"<html><head><title>T</title>{head}</head><body><article><h1>T</h1>{_STORY}{body}{_STORY}</article></body></html>"


def _json_feed(**item: object) -> str:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "F",
                       "items": [{"id": "1", "title": "A", "content_html": _STORY, **item}]})


_MANIFEST = 'title = "T"\ndate = 2024-06-24\n'
UNTRUSTED = {  # name: (files to write, arguments)
    "canonical link that is not a URL": (
        {"p.html": _page('<link rel="canonical" href="https://[news.example/x">')},
        ["build", "p.html", "-f", "email,epub"]),
    "raw-HTML link that is not a URL": (
        {"a.md": '---\ntitle: T\n---\nSome text <a href="//[oops/y">link</a> here.\n'},
        ["build", "a.md", "-f", "email,epub"]),
    "image width not a number": (
        {"p.html": _page(body='<figure><img src="a.jpg" width="²" height="3"><figcaption>c</figcaption></figure>')},
        ["inspect", "p.html"]),
    "srcset width not a number": (
        {"p.html": _page(body='<figure><img srcset="x ...w, y 2w"><figcaption>c</figcaption></figure>')},
        ["inspect", "p.html"]),
    "undefined charset in non-UTF-8 bytes": (
        {"p.html": _page('<meta charset="undefined">').replace("story", "stor\xe9").encode("latin-1")},
        ["inspect", "p.html"]),
    "JSON Feed tags a number": ({"f.json": _json_feed(tags=5)}, ["build", "--feed", "f.json", "-f", "json"]),
    "JSON Feed authors a number": ({"f.json": _json_feed(authors=5)}, ["inspect", "f.json"]),
    "RSS media width not a number": (
        {"f.rss": '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
                  '<channel><title>F</title><item><title>A</title><link>https://x.example/a</link>'
                  f'<description>{"Text of it. " * 20}</description><media:content '
                  'url="https://x.example/a.jpg" medium="image" width="²" height="2"/></item></channel></rss>'},
        ["inspect", "f.rss"]),
    "manifest lead_caption a number": (
        {"a.md": "---\ntitle: A\n---\nBody.\n",
         "m.toml": _MANIFEST + '[[sections]]\narticles = [{source = "a.md", lead_caption = 5}]\n'},
        ["build", "m.toml", "-f", "json"]),
    "PDF dpi infinite": (
        {"a.md": "---\ntitle: A\n---\nBody.\n", "m.toml": _MANIFEST + '[pdf]\ndpi = inf\n[[sections]]\narticles = ["a.md"]\n'},
        ["build", "m.toml", "-f", "pdf"]),
    "feed age beyond the calendar": (
        {"f.json": _json_feed()}, ["build", "--feed", "f.json", "--since", "9999999999w", "-f", "json"]),
    "inspect of a folder named like a manifest": ({"d.toml/a.md": "x"}, ["inspect", "d.toml"]),
}


@pytest.mark.parametrize("case", list(UNTRUSTED))
def test_untrusted_input_gives_one_line_or_a_safe_result_never_an_internal_error(tmp_path, case):
    files, args = UNTRUSTED[case]
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    outputs = ["-o", str(tmp_path / "out")] if args[0] == "build" else []
    result = _exporter(*args, *outputs, cwd=tmp_path)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    if result.returncode == 2:  # a usage error: argparse's usage line, then the one error
        assert result.stderr.strip().splitlines()[-1].startswith("exporter"), result.stderr
    elif result.returncode:
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_lead_alt_alone_describes_the_articles_own_lead_photo(tmp_path):
    _photo(tmp_path / "p.jpg")
    (tmp_path / "a.md").write_text("---\ntitle: A\nlead:\n  image: p.jpg\n  alt: old words\n"
                                   "  caption: The harbour\n---\nBody.\n")
    (tmp_path / "m.toml").write_text(_MANIFEST + '[[sections]]\narticles = [{source = "a.md", '
                                     'lead_alt = "Boats moored in the harbour at dawn"}]\n')
    lead = load_manifest(tmp_path / "m.toml").issue.articles()[0].lead
    assert lead.image.src == "p.jpg" and lead.image.alt == "Boats moored in the harbour at dawn"
    assert lead.caption == "The harbour"


def test_lead_alt_for_an_article_without_a_lead_photo_is_an_error_naming_it(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nBody.\n")
    (tmp_path / "m.toml").write_text(_MANIFEST + '[[sections]]\narticles = [{source = "a.md", lead_alt = "x"}]\n')
    with pytest.raises(ManifestError, match="lead_alt"):
        load_manifest(tmp_path / "m.toml")


@pytest.mark.parametrize("href", ["//evil.example/x", "//[oops/y", "https://[news.example/x",
                                  "javascript:alert(1)", "http://a.example:99999/"])
def test_inline_links_keep_only_web_mail_and_relative_addresses_that_parse(href):
    assert clean_inline(f'<a href="{href}">text</a>') == "<a>text</a>"


def test_inline_links_that_are_web_mail_or_relative_addresses_stay():
    markup = ('<a href="https://ok.example/a?b=1&amp;c=2">x</a> <a href="mailto:a@b.example">y</a> '
              '<a href="/news/other">z</a> <a href="#notes">w</a>')
    assert clean_inline(markup) == markup


_FORBIDDEN_IN_XML = "\x01\x08\x0b\x1f\ud800\ufffe\uffff"


def test_plain_text_fields_lose_control_characters_like_inline_ones():
    dirty = f"Harbour{_FORBIDDEN_IN_XML} reopens"
    article = Article(title=dirty, kicker=dirty, authors=[dirty], tags=[dirty],
                      body=[Paragraph(text=dirty), Figure(image=Image(src="p.jpg", alt=dirty), credit=dirty)],
                      source=SourceRef("text", "a.txt"))
    assert {article.title, article.kicker, *article.authors, *article.tags, article.body[0].text,
            article.body[1].image.alt, article.body[1].credit} == {"Harbour reopens"}


def test_a_control_character_in_pasted_text_still_builds_the_epub_and_the_email(tmp_path):
    (tmp_path / "a.txt").write_text(
        "Harbour\x01 reopens after the storm\n\n"
        + "The harbour reopened on Monday\uffff after a week of repairs to the sea wall. " * 4 + "\n\n"
        + "Fishing boats returned to their moorings by the afternoon, the harbour master said. " * 3 + "\n",
        encoding="utf-8", errors="surrogatepass")
    result = _exporter("build", "a.txt", "-f", "email,epub", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {".eml", ".epub"} <= {p.suffix for p in (tmp_path / "out").iterdir()}


def _local_feed(image_src: str) -> str:
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            '<channel><title>F</title><item><title>Harbour reopens</title>'
            f'<content:encoded><![CDATA[{_STORY}<figure><img src="{image_src}" alt="a"><figcaption>Cap'
            f'</figcaption></figure>{_STORY}]]></content:encoded></item></channel></rss>')


@pytest.mark.parametrize("image_src", ["secret.jpg", "../secret.jpg"])
def test_a_local_feed_built_with_feed_never_reads_images_from_the_working_folder(tmp_path, image_src):
    here, feeds = tmp_path / "here", tmp_path / "feeds"
    here.mkdir(), feeds.mkdir()
    _photo(here / "secret.jpg", (80, 60))
    (feeds / "local.xml").write_text(_local_feed(image_src))
    result = _exporter("build", "--feed", str(feeds / "local.xml"), "-f", "json", "-o", "out", cwd=here)
    assert result.returncode == 0, result.stderr
    assert "secret.jpg" in result.stderr  # named in a warning: not read
    assert not (here / "out" / "local-images").exists() and not list((here / "out").glob("**/*.jpg"))


def test_a_local_feeds_own_images_beside_it_are_read(tmp_path):
    _photo(tmp_path / "photo.jpg", (80, 60))
    (tmp_path / "local.xml").write_text(_local_feed("photo.jpg"))
    result = _exporter("build", "--feed", "local.xml", "-f", "email", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0 and "photo.jpg" not in result.stderr, result.stderr


_PASTED_HEAD = "Shipyard cuts a third of its jobs\n\nBy Jane Doe\n\n"
_PROSE = ("The yard said the orders it had counted on for next year went to a rival in the south. ",
          "Workers were told at a meeting on Tuesday morning, and the union called it a betrayal. ",
          "The town council asked the government to step in before the first notices go out. ")


@pytest.mark.parametrize("risky", [
    "The licence, which the family sold in 1990, held all rights reserved.",
    "More: the cuts follow a year of losses at the yard and two failed bids for navy work.",
])
def test_pasted_sentences_shaped_like_furniture_keep_their_paragraphs(tmp_path, risky):
    source = tmp_path / "a.txt"
    source.write_text(_PASTED_HEAD + f"{_PROSE[0]}\n\n{risky}\n\n{_PROSE[1]}\n\n{_PROSE[2]}\n")
    paragraphs = [b.text for b in read_source(source)[0].body]
    assert paragraphs == [_PROSE[0].strip(), risky, _PROSE[1].strip(), _PROSE[2].strip()]


@pytest.mark.parametrize("furniture", ["© 2024 Harbour News. All rights reserved.",
                                       "Copyright 2024 Harbour News. All rights reserved.",
                                       "All rights reserved.",
                                       "More: Why the yard lost the navy contract"])
def test_pasted_footers_and_promos_are_still_dropped(tmp_path, furniture):
    source = tmp_path / "a.txt"
    source.write_text(_PASTED_HEAD + f"{_PROSE[0]}\n\n{furniture}\n\n{_PROSE[1]}\n")
    texts = [b.text for b in read_source(source)[0].body]
    assert furniture not in texts and _PROSE[0].strip() in texts


@pytest.mark.parametrize("footer", ["All rights reserved.", "Reporting by Jane Doe; Editing by John Roe"])
def test_paragraphs_after_a_footer_line_are_kept_or_their_loss_is_a_warning(tmp_path, footer):
    (tmp_path / "a.txt").write_text(_PASTED_HEAD + f"{_PROSE[0]}\n\n{footer}\n\n"
                                    f"{_PROSE[1]}\n\n{_PROSE[2]}\n")
    result = _exporter("inspect", "a.txt", "--format", "text", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if _PROSE[1].strip() in result.stdout and _PROSE[2].strip() in result.stdout:
        return  # kept: nothing lost
    warning, = result.stderr.strip().splitlines()
    assert warning.startswith("exporter: warning: ") and "a.txt" in warning and "2 paragraphs" in warning


def test_a_footer_with_only_links_under_it_is_dropped_without_a_warning(tmp_path):
    (tmp_path / "a.txt").write_text(_PASTED_HEAD + f"{_PROSE[0]}\n\n{_PROSE[1]}\n\nRelated\n\n"
                                    "Ferry fares to rise in spring\n\nNew bridge opens to traffic\n")
    result = _exporter("inspect", "a.txt", "--format", "text", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "Ferry fares" not in result.stdout


def test_articles_of_one_issue_never_share_an_id_whatever_the_json_says():
    article = {"id": "a", "title": "A", "source": {"kind": "json", "location": "a.json"}}
    issue = Issue.from_dict({"title": "I", "date": "2024-06-24",
                             "sections": [{"articles": [article, article]}, {"articles": [article]}]})
    assert [a.id for a in issue.articles()] == ["a", "a-2", "a-3"]


def test_a_huge_json_indent_is_refused_not_allocated(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nBody.\n")
    result = _exporter("build", "a.md", "-f", "json", "-O", "json.indent=2000000000", "-o", "out",
                       cwd=tmp_path, timeout=60)
    assert result.returncode == 1 and "[json].indent" in result.stderr, result.stderr
