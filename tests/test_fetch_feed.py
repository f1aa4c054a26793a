"""Fetching, URLs and feeds against a real HTTP server on 127.0.0.1 started by the tests."""

from __future__ import annotations

import datetime as dt
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from exporter import fetch as fetch_module
from exporter.errors import ExporterError, FetchError, SourceError
from exporter.fetch import address_allowed, fetch
from exporter.sources import Origin, read_source
from exporter.sources.feed import read, read_feed
from exporter.sources.url import read_url

FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = FIXTURES / "feeds"
PAGES = {"/article-1": FIXTURES / "html" / "lazy-images.html",
         "/article-2": FIXTURES / "html" / "picture-srcset.html"}


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes for the cases under test; every request is counted by path."""

    counts: Counter[str] = Counter()

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Handler.counts[self.path] += 1
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path in PAGES:
            self.send_body(PAGES[self.path].read_bytes(), "text/html; charset=utf-8")
        elif self.path == "/feed.rss":
            body = (FEEDS / "summaries.rss").read_text("utf-8").replace("{base}", base)
            self.send_body(body.encode(), "application/rss+xml")
        elif self.path == "/full.atom":
            self.send_body((FEEDS / "full.atom").read_bytes(), "application/atom+xml")
        elif self.path == "/redirect":
            self.redirect("/article-1")
        elif self.path == "/redirect-private":
            self.redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/loop":
            self.redirect("/loop")
        elif self.path == "/slow":
            time.sleep(1.5)
            try:
                self.send_body(b"too late", "text/plain")
            except BrokenPipeError:
                pass  # the client gave up, as the test wants
        elif self.path == "/big":
            self.send_body(b"x" * 300_000, "text/plain")
        elif self.path == "/big-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()  # no Content-Length: the client must count
            self.wfile.write(b"x" * 300_000)
        elif self.path == "/unlabelled":
            self.send_body(PAGES["/article-1"].read_bytes(), "application/octet-stream")
        elif self.path == "/image.png":
            self.send_body(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
        else:
            self.send_error(404)

    def send_body(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty cache (never the user's)."""
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    Handler.counts.clear()
    return tmp_path / "cache"


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the test server's 127.0.0.1 as public, so a later private hop can be refused."""
    monkeypatch.setattr(fetch_module, "address_allowed",
                        lambda a: a == "127.0.0.1" or address_allowed(a))


# --- the address check -------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://10.1.2.3/",
    "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/", "http://224.0.0.1/"])
def test_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="refused") as err:
        fetch(url)
    assert url.split("/")[2].strip("[]").split("]")[0] in str(err.value) or url in str(err.value)


@pytest.mark.parametrize("url", ["ftp://example.org/file", "file:///etc/passwd", "not a url"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchError):
        fetch(url)


def test_loopback_refused_by_default_allowed_on_request(server: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        fetch(f"{server}/article-1")
    assert Handler.counts["/article-1"] == 0  # refused before connecting
    page = fetch(f"{server}/article-1", allow_private=True)
    assert page.content.startswith(b"<!DOCTYPE html>")
    assert page.content_type.startswith("text/html")


# --- redirects, limits, errors -------------------------------------------------------

def test_redirect_is_followed(server: str) -> None:
    page = fetch(f"{server}/redirect", allow_private=True)
    assert page.url == f"{server}/article-1"


def test_redirect_to_private_address_is_refused(server: str, loopback_is_public: None) -> None:
    with pytest.raises(FetchError, match="169.254.169.254"):
        fetch(f"{server}/redirect-private")
    assert fetch(f"{server}/article-1").url.endswith("/article-1")  # first hop alone is fine


def test_redirect_loop_stops(server: str) -> None:
    with pytest.raises(FetchError, match="redirects"):
        fetch(f"{server}/loop", allow_private=True)
    assert Handler.counts["/loop"] == 6


def test_slow_server_times_out(server: str) -> None:
    with pytest.raises(FetchError, match="timed out"):  # the page would come after 1.5 s
        fetch(f"{server}/slow", allow_private=True, timeout=0.3)


@pytest.mark.parametrize("path", ["/big", "/big-unannounced"])
def test_oversized_body_is_refused(server: str, path: str) -> None:
    with pytest.raises(FetchError, match="larger than"):
        fetch(f"{server}{path}", allow_private=True, max_bytes=100_000)


def test_http_error_names_the_url(server: str) -> None:
    with pytest.raises(FetchError, match="404") as err:
        fetch(f"{server}/missing", allow_private=True)
    assert err.value.source == f"{server}/missing"


# --- the cache ----------------------------------------------------------------------

def test_second_fetch_comes_from_the_cache(server: str, cache_dir: Path) -> None:
    first = fetch(f"{server}/redirect", allow_private=True)
    second = fetch(f"{server}/redirect", allow_private=True)
    assert first == second and first.url.endswith("/article-1")
    assert Handler.counts["/redirect"] == 1 and Handler.counts["/article-1"] == 1
    assert not list(cache_dir.rglob(".tmp-*"))  # atomic writes leave no temporaries


def test_cached_private_response_is_not_served_without_permission(server: str) -> None:
    fetch(f"{server}/article-1", allow_private=True)
    with pytest.raises(FetchError, match="refused"):
        fetch(f"{server}/article-1")


# --- the URL source -----------------------------------------------------------------

def test_read_url_reads_the_page(server: str) -> None:
    [article] = read_source(f"{server}/article-1", allow_private=True)
    assert article.source.kind == "url"
    assert article.source.location == f"{server}/article-1"
    assert article.title == "Harbour cranes return to the old port"
    assert article.url == "https://gazette.example/news/harbour-cranes"  # the canonical
    assert all(f.image and f.image.src.startswith(f"{server}/media/")
               for f in article.figures())  # resolved against where the page was fetched


def test_read_url_refuses_private_by_default(server: str) -> None:
    with pytest.raises(FetchError, match="refused"):
        read_url(f"{server}/article-1")


def test_read_url_reads_a_page_served_without_its_type(server: str) -> None:
    [article] = read_url(f"{server}/unlabelled", allow_private=True)
    assert article.title == "Harbour cranes return to the old port"


def test_read_url_refuses_non_pages(server: str) -> None:
    with pytest.raises(SourceError, match="image/png"):
        read_url(f"{server}/image.png", allow_private=True)


def test_read_url_of_a_feed_reads_its_entries(server: str) -> None:
    articles = read_url(f"{server}/full.atom", allow_private=True)
    assert [a.title for a in articles] == [
        "Lantern festival draws record crowds", "Footbridge to get a temporary twin"]


# --- feeds --------------------------------------------------------------------------

def test_feed_entries_newest_first_without_duplicates(server: str) -> None:
    errors: list[ExporterError] = []
    articles = read_feed(f"{server}/feed.rss", allow_private=True, on_error=errors.append)
    assert [a.title for a in articles] == [
        "Night trains find new riders", "Harbour cranes return to the old port"]
    assert len(errors) == 1 and "/missing" in str(errors[0])
    cranes = articles[1]
    assert cranes.lead is not None and cranes.lead.image is not None
    assert cranes.lead.image.src.endswith("/media/cranes-feed.jpg")
    assert (cranes.lead.caption, cranes.lead.credit) == ("The cranes from the harbour wall.",
                                                         "Ines Marlow")
    assert cranes.source.kind == "feed" and cranes.language == "en-GB"
    assert cranes.url == f"{server}/article-1"


def test_feed_entry_error_raises_without_on_error(server: str) -> None:
    with pytest.raises(FetchError, match="404"):
        read_feed(f"{server}/feed.rss", allow_private=True)


def test_feed_max_and_since(server: str) -> None:
    assert [a.title for a in read_feed(f"{server}/feed.rss", allow_private=True,
                                       max_entries=1)] == ["Night trains find new riders"]
    since = dt.datetime.now(dt.timezone.utc) - dt.datetime(2026, 1, 7, tzinfo=dt.timezone.utc)
    assert [a.title for a in read_feed(f"{server}/feed.rss", allow_private=True,
                                       since=since)] == ["Night trains find new riders"]


def test_feed_entries_respect_the_private_refusal(server: str) -> None:
    data = (FEEDS / "summaries.rss").read_text("utf-8").replace("{base}", server).encode()
    with pytest.raises(FetchError, match="refused"):
        read(data, Origin("summaries.rss", FEEDS))


def test_atom_with_full_content_needs_no_fetch() -> None:
    articles = read_feed(str(FEEDS / "full.atom"))
    assert [a.title for a in articles] == ["Lantern festival draws record crowds",
                                           "Footbridge to get a temporary twin"]
    lantern = articles[0]
    assert lantern.authors == ["Sana Idris"] and lantern.tags == ["Culture"]
    assert lantern.published == "2026-02-01T18:00:00+00:00"
    assert lantern.url == "https://riverside.example/lanterns"
    [figure] = lantern.figures()
    assert figure.image is not None and figure.image.src == "https://riverside.example/img/boats.jpg"
    assert (figure.caption, figure.credit) == ("Lantern boats drift past the old mill.",
                                               "Sana Idris")
    assert "alert" not in str(lantern.to_dict())
    assert len([b for b in lantern.body if b.type == "paragraph"]) == 3


def test_json_feed() -> None:
    [article] = read_source(FEEDS / "items.json")
    assert article.title == "Glacier survey finds faster retreat"
    assert article.authors == ["Anika Solberg"] and article.source.kind == "feed"
    assert article.lead is not None and article.lead.image is not None
    assert article.lead.image.src == "https://northsci.example/images/glacier-front.jpg"
    assert len(article.body) == 2


def test_entity_bomb_and_external_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("xxe-canary-6f1d2c9a")  # long and unique: found if it leaks at all
    feed = tmp_path / "bomb.rss"
    feed.write_text((FEEDS / "entity-bomb.rss").read_text().replace(
        "file:///etc/hostname", secret.as_uri()))
    assert secret.as_uri() in feed.read_text()
    try:
        articles = read_feed(str(feed), on_error=lambda err: None)
    except SourceError:
        articles = []  # refusing the document is as good as not expanding it
    text = str([a.to_dict() for a in articles])
    assert "aaaaaaaaaa" * 10 not in text
    assert "xxe-canary" not in text


def test_not_a_feed() -> None:
    with pytest.raises(SourceError):
        read(b"<html><body>nope</body></html>", Origin("x.rss", None))


# --- TLS: connecting to the checked address keeps the name for SNI and the certificate ---

@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """An HTTPS server on 127.0.0.1 with a certificate for the name `web.test` only."""
    assert shutil.which("openssl"), "openssl makes the test certificate (make test installs it)"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=web.test",
                    "-addext", "subjectAltName=DNS:web.test"], check=True, capture_output=True)
    names: list[str] = []

    class Echo(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = f"host={self.headers['Host']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment]
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], cert, names
    httpd.shutdown()
    httpd.server_close()


def test_https_keeps_the_name_for_sni_and_certificate(
        tls_server: tuple[int, Path, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    port, cert, names = tls_server
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real_getaddrinfo(
        "127.0.0.1" if host.endswith(".test") else host, *a, **k))
    trusting = ssl.create_default_context(cafile=str(cert))
    real_transport = httpx.HTTPTransport
    monkeypatch.setattr(httpx, "HTTPTransport", lambda **kw: real_transport(**kw, verify=trusting))
    page = fetch(f"https://web.test:{port}/x", allow_private=True, cache=False)
    assert page.content == f"host=web.test:{port}".encode() and names == ["web.test"]
    with pytest.raises(FetchError, match="other.test"):  # the certificate is still checked
        fetch(f"https://other.test:{port}/x", allow_private=True, cache=False)


def test_a_feed_is_fetched_afresh_each_time(server: str) -> None:
    read_feed(f"{server}/full.atom", allow_private=True)
    read_feed(f"{server}/full.atom", allow_private=True)
    assert Handler.counts["/full.atom"] == 2  # its pages may be cached, the feed never
