"""The on-disk HTTP cache behind `exporter.fetch`, so a rebuild does not fetch again.

One file per URL: a JSON header line (final URL, content type, whether a private
address was reached) then the body. Files are written to a temporary name and renamed,
so a crash or a parallel build never leaves a half-written entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CachedResponse:
    url: str  # final URL after redirects
    content: bytes
    content_type: str
    private: bool  # a hop reached a private address: only served when allowed


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
                                  bool(header["private"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is a miss, not an error: it is fetched again


def store(url: str, accept: str | None, response: CachedResponse) -> None:
    """Write an entry atomically; a cache that cannot be written is silently skipped."""
    path = _path(url, accept)
    header = json.dumps({"url": response.url, "content_type": response.content_type,
                         "private": response.private}).encode() + b"\n"
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
