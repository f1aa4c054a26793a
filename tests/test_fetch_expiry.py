"""Fetched pages expire as their caching headers say; --refresh fetches again (a loopback server)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from exporter.fetch import fetch
from exporter.fetch_cache import DEFAULT_SECONDS, lifetime

NOW = 1_790_000_000.0

PAGES: dict[str, dict[str, str]] = {
    "/max-age": {"Cache-Control": "max-age=3600"},
    "/no-store": {"Cache-Control": "no-store"},
    "/no-cache-etag": {"Cache-Control": "no-cache", "ETag": '"v1"'},
    "/expired": {"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"},
    "/expired-last-modified": {"Cache-Control": "max-age=0",
                               "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
}


class Handler(http.server.BaseHTTPRequestHandler):
    requests: list[tuple[str, str | None, str | None]] = []  # path, If-None-Match, If-Modified-Since

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Handler.requests.append((self.path, self.headers.get("If-None-Match"),
                                 self.headers.get("If-Modified-Since")))
        headers = PAGES[self.path]
        unchanged = (self.headers.get("If-None-Match") == headers.get("ETag") is not None
                     or self.headers.get("If-Modified-Since") == headers.get("Last-Modified") is not None)
        self.send_response(304 if unchanged else 200)
        for name, value in headers.items():
            self.send_header(name, value)
        body = b"" if unchanged else f"<p>page {self.path}</p>".encode()
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _twice(server: str, path: str) -> list[tuple[str, str | None, str | None]]:
    Handler.requests.clear()
    first = fetch(server + path, allow_private=True)
    second = fetch(server + path, allow_private=True)
    assert first.content == second.content == f"<p>page {path}</p>".encode()
    return list(Handler.requests)


def test_a_fresh_response_is_not_fetched_again(server):
    assert _twice(server, "/max-age") == [("/max-age", None, None)]


def test_no_store_is_never_cached(server):
    assert len(_twice(server, "/no-store")) == 2


def test_a_stale_response_with_an_etag_is_revalidated(server):
    assert _twice(server, "/no-cache-etag") == [("/no-cache-etag", None, None),
                                                ("/no-cache-etag", '"v1"', None)]


def test_an_expired_response_is_fetched_again(server):
    assert len(_twice(server, "/expired")) == 2
    requests = _twice(server, "/expired-last-modified")
    assert requests[1] == ("/expired-last-modified", None, "Mon, 01 Jan 2024 00:00:00 GMT")


def test_refresh_fetches_even_a_fresh_response(server, monkeypatch):
    _twice(server, "/max-age")
    monkeypatch.setenv("EXPORTER_REFRESH", "1")
    Handler.requests.clear()
    fetch(server + "/max-age", allow_private=True)
    assert Handler.requests == [("/max-age", None, None)]  # unconditional: the whole page again


@pytest.mark.parametrize("headers, seconds", [
    ({"cache-control": "public, max-age=600"}, 600),
    ({"cache-control": "max-age=600", "age": "100"}, 500),
    ({"cache-control": "no-store, max-age=600"}, None),
    ({"cache-control": "no-cache"}, 0),
    ({"date": formatdate(NOW, usegmt=True), "expires": formatdate(NOW + 7200, usegmt=True)}, 7200),
    ({"expires": "0"}, 0),  # unreadable: already expired
    ({"date": formatdate(NOW, usegmt=True), "last-modified": formatdate(NOW - 36000, usegmt=True)},
     3600),  # a tenth of its age
    ({"date": formatdate(NOW, usegmt=True), "last-modified": formatdate(NOW - 10**8, usegmt=True)},
     86400),  # at most a day
    ({}, DEFAULT_SECONDS),
])
def test_lifetime_follows_the_caching_headers(headers, seconds):
    assert lifetime(headers) == seconds
