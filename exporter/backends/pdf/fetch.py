"""The only door WeasyPrint has to the outside: prepared renditions by private URL, nothing else.

An article's HTML comes from the web. Left to WeasyPrint's default fetcher, an `<img>` or a
CSS `url()` in it could read local files (`file:///etc/passwd`), reach the network or a
service on this machine (`http://127.0.0.1/...`), or smuggle bytes in as `data:`. Here every
resource is named by a private URL (`exporter-asset:N.jpg`) that maps to exactly one file
the backend prepared; any other URL is refused and remembered, so the build can report it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "exporter-asset"
_URL = re.compile(SCHEME + r":[0-9]+[.\w]*")


class RefusedURL(ValueError):
    """A URL that is not one of the prepared files."""


class SafeFetcher(URLFetcher):
    """Serves an allow-list of exact private URLs; refuses and records every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False)
        self._files: dict[str, tuple[Path, str]] = {}
        self.refused: list[str] = []
        self._digests: dict[Path, str] = {}

    def add(self, path: Path, media_type: str) -> str:
        """Allow one prepared file and return the private URL that names it."""
        for url, (known, _) in self._files.items():
            if known == path:
                return url
        suffix = path.suffix or ""
        url = f"{SCHEME}:{len(self._files) + 1}{suffix}"
        self._files[url] = (path, media_type)
        return url

    def digests(self, text: str) -> list[str]:
        """The content hash of each prepared file `text` names, in order: what a cached
        rendering of `text` depends on beyond the text itself."""
        found = []
        for url in dict.fromkeys(_URL.findall(text)):
            entry = self._files.get(url)
            if entry is not None:
                path = entry[0]
                if path not in self._digests:
                    self._digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
                found.append(f"{url}={self._digests[path]}")
        return found

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        entry = self._files.get(url)
        if entry is None:
            shown = url if len(url) <= 120 else url[:117] + "..."
            if shown not in self.refused:
                self.refused.append(shown)
            raise RefusedURL(f"refused: {shown}")
        path, media_type = entry
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})
