"""The on-disk HTTP cache behind `exporter.fetch`, so a rebuild does not fetch again.

One file per URL: a JSON header line (final URL, content type, whether a private
address was reached, when it expires and its validators) then the body. Entries expire
as the response's caching headers say (RFC 9111: Cache-Control no-store, no-cache,
max-age; Expires; a tenth of the age since Last-Modified), and a stale one with an
ETag or Last-Modified is revalidated rather than fetched whole. Files are written to a
temporary name and renamed, so a crash or a parallel build never leaves a half-written
entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

DEFAULT_SECONDS = 3600  # no caching headers at all: reuse for an hour (a session's rebuilds)
HEURISTIC_MAX_SECONDS = 86400  # the Last-Modified heuristic never promises more than a day


@dataclass(frozen=True)
class CachedResponse:
    url: str  # final URL after redirects
    content: bytes
    content_type: str
    private: bool  # a hop reached a private address: only served when allowed
    expires: float = 0.0  # epoch seconds; after it the entry is revalidated or fetched again
    etag: str | None = None
    last_modified: str | None = None

    def fresh(self) -> bool:
        return time.time() < self.expires and not refreshing()

    def validators(self) -> dict[str, str]:
        """Headers for a conditional GET: the server answers 304 when nothing changed."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


def refreshing() -> bool:
    """`--refresh` (EXPORTER_REFRESH=1): every cached response counts as stale."""
    return os.environ.get("EXPORTER_REFRESH", "") in ("1", "true", "yes")


def lifetime(headers: Mapping[str, str]) -> float | None:
    """Seconds a response may be reused without asking the server; None: never store it."""
    directives = dict(_directive(d) for d in headers.get("cache-control", "").lower().split(",") if d.strip())
    if "no-store" in directives:
        return None
    if "no-cache" in directives:
        return 0.0
    if (max_age := directives.get("max-age", "")).isdigit():
        age = headers.get("age", "")
        return max(0.0, int(max_age) - (int(age) if age.isdigit() else 0))
    date = _http_date(headers.get("date")) or time.time()
    if "expires" in headers:  # an unreadable Expires means "already expired" (RFC 9111 5.3)
        expires = _http_date(headers.get("expires"))
        return max(0.0, expires - date) if expires else 0.0
    if modified := _http_date(headers.get("last-modified")):
        return min(HEURISTIC_MAX_SECONDS, max(0.0, (date - modified) / 10))
    return float(DEFAULT_SECONDS)


def _directive(text: str) -> tuple[str, str]:
    name, _, value = text.strip().partition("=")
    return name.strip(), value.strip().strip('"')


def _http_date(text: str | None) -> float | None:
    try:
        return parsedate_to_datetime(text).timestamp() if text else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def entry(url: str, content: bytes, content_type: str, private: bool,
          headers: Mapping[str, str]) -> CachedResponse | None:
    """The cache entry for a response, or None when its headers forbid storing it."""
    seconds = lifetime(headers)
    if seconds is None:
        return None
    return CachedResponse(url, content, content_type, private, time.time() + seconds,
                          headers.get("etag"), headers.get("last-modified"))


def cache_dir() -> Path:
    """`$EXPORTER_CACHE_DIR/http`, else `$XDG_CACHE_HOME/exporter/http`, else ~/.cache."""
    root = os.environ.get("EXPORTER_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "exporter")
    return Path(root) / "http"


def _path(url: str, accept: str | None) -> Path:
    key = hashlib.sha256(f"{accept or ''}\n{url}".encode()).hexdigest()
    return cache_dir() / key[:2] / key


def load(url: str, accept: str | None) -> CachedResponse | None:
    """The cached response for `url`, or None when absent or unreadable."""
    try:
        with _path(url, accept).open("rb") as f:
            header = json.loads(f.readline())
            return CachedResponse(header["url"], f.read(), header["content_type"],
                                  bool(header["private"]), float(header.get("expires", 0)),
                                  header.get("etag"), header.get("last_modified"))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is a miss, not an error: it is fetched again


def store(url: str, accept: str | None, response: CachedResponse) -> None:
    """Write an entry atomically; a cache that cannot be written is silently skipped."""
    path = _path(url, accept)
    header = json.dumps({"url": response.url, "content_type": response.content_type,
                         "private": response.private, "expires": response.expires,
                         "etag": response.etag, "last_modified": response.last_modified,
                         }).encode() + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(response.content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # caching is an optimisation; a read-only disk must not fail the build
