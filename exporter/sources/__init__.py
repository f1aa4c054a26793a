"""Source registry: picks the reader for a file or URL and turns it into Articles.

Each source kind is one module with `read(data: bytes, origin: Origin) -> list[Article]`.
Modules are imported only when their kind is used, so reading Markdown never pays for
the HTML extractor. The suffix chooses a kind unless the content clearly says otherwise
(an `.txt` that is really HTML, a `.json` that is really a feed).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceError
from ..locations import is_url, resolved
from ..model import Article

MAX_SOURCE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Origin:
    """Where a source came from: for messages, relative images and the canonical URL."""

    location: str  # the path or URL as the user gave it (recorded in source.location)
    base_dir: Path | None  # folder relative image paths resolve against; None if remote
    url: str | None = None  # canonical address, from --url or the fetch
    allow_private: bool = False  # may fetches reach loopback/private addresses?


@dataclass(frozen=True)
class SourceKind:
    name: str
    suffixes: tuple[str, ...]
    module: str  # imported on first use; must define read(data, origin)
    sniff: Callable[[bytes], bool] | None = None  # True when content is surely this kind

    def read(self, data: bytes, origin: Origin) -> list[Article]:
        try:
            reader = importlib.import_module(self.module).read
        except ImportError as exc:  # a missing optional dependency switches one kind off
            raise SourceError(origin.location, f"cannot read {self.name} sources here ({exc})")
        return reader(data, origin)


_HEAD = 2048


def _head(data: bytes) -> str:
    return data[:_HEAD].decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()


def _looks_feed(data: bytes) -> bool:
    head = _head(data)
    return bool(re.match(r"(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(rss|feed|rdf:rdf)\b", head, re.S)) \
        or ('"version"' in head and "jsonfeed.org" in head)


def _looks_html(data: bytes) -> bool:
    return bool(re.match(r"(<!--.*?-->\s*)*<(!doctype html|html\b|head\b|body\b)", _head(data), re.S))


def _looks_json(data: bytes) -> bool:
    return _head(data)[:1] in ("{", "[") and not _looks_feed(data)


def _looks_markdown(data: bytes) -> bool:
    return _head(data).startswith("---\n") or _head(data).startswith("---\r\n")


REGISTRY: dict[str, SourceKind] = {}


def register(kind: SourceKind) -> None:
    if kind.name in REGISTRY:
        raise ValueError(f"source kind {kind.name!r} is registered twice")
    REGISTRY[kind.name] = kind


for _kind in (
    SourceKind("feed", (".rss", ".atom", ".xml"), "exporter.sources.feed", _looks_feed),
    SourceKind("html", (".html", ".htm", ".xhtml"), "exporter.sources.html", _looks_html),
    SourceKind("json", (".json",), "exporter.sources.jsonsource", _looks_json),
    SourceKind("markdown", (".md", ".markdown"), "exporter.sources.markdown", _looks_markdown),
    SourceKind("text", (".txt", ".text"), "exporter.sources.text"),
):
    register(_kind)


def kind_for(name: str, data: bytes) -> SourceKind:
    """The suffix's kind, unless the content is surely another kind."""
    suffix = Path(name).suffix.lower()
    by_suffix = next((k for k in REGISTRY.values() if suffix in k.suffixes), None)
    if by_suffix and by_suffix.sniff and by_suffix.sniff(data):
        return by_suffix
    sniffed = next((k for k in REGISTRY.values() if k.sniff and k.sniff(data)), None)
    return sniffed or by_suffix or REGISTRY["text"]


def read_source(location: str | Path, *, url: str | None = None,
                allow_private: bool = False) -> list[Article]:
    """Read one source (a file path or an http(s) URL) into its articles."""
    location = str(location)
    if is_url(location):
        try:  # by name, like every kind's reader: the network only when a URL is asked for
            url_source = importlib.import_module("exporter.sources.url")
        except ImportError as exc:
            raise SourceError(location, f"cannot read URLs here ({exc})")
        return url_source.read_url(location, allow_private=allow_private)
    from ..cache import parsed_articles, parsed_file  # a rebuild parses only changed files

    looked = _looked_up(location, url, allow_private)
    if looked is not None:  # parsed, as `is_parsed` found just before
        path, origin, entry = looked
        return parsed_articles(entry, lambda: read_bytes(path.read_bytes(), origin, name=path.name))
    path = Path(location)
    if not path.is_file():
        raise SourceError(location, "no such file" if not path.exists() else "not a file")
    info = path.stat()
    if info.st_size > MAX_SOURCE_BYTES:
        raise SourceError(location, f"larger than {MAX_SOURCE_BYTES // 2**20} MB")
    origin = Origin(location, resolved(path).parent, url, allow_private)
    return parsed_file(path, info, _describe(path, origin),
                       lambda data: read_bytes(data, origin, name=path.name))


# What `is_parsed` found, for the `read_source` of the same file that follows it (a build
# checks every source before it reads them): the file by its identity, where it came
# from and the key of its parsed articles. Taken once, and only while the file is the same.
_FOUND: dict[tuple[str, str | None, bool], tuple[tuple[int, ...], Path, Origin, str]] = {}


def forget_found() -> None:
    """Drop what an earlier build found: each build checks its sources afresh."""
    _FOUND.clear()


def _identity(info: os.stat_result) -> tuple[int, ...]:
    """What tells one version of a file from the next (see `cache.file_key`)."""
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _looked_up(location: str, url: str | None, allow_private: bool) -> tuple[Path, Origin, str] | None:
    found = _FOUND.pop((location, url, allow_private), None)
    if found is None:
        return None
    identity, path, origin, entry = found
    try:
        same = _identity(os.stat(location)) == identity
    except OSError:
        return None
    return (path, origin, entry) if same else None


def is_parsed(location: str, *, url: str | None = None, allow_private: bool = False) -> bool:
    """Whether `read_source` would find this local file parsed, without reading it."""
    from ..cache import parsed_entry

    path = Path(location)
    try:
        info = path.stat()
    except OSError:
        return False
    origin = Origin(location, resolved(path).parent, url, allow_private)
    entry = parsed_entry(path, info, _describe(path, origin))
    if entry is not None:
        _FOUND[(location, url, allow_private)] = (_identity(info), path, origin, entry)
    return entry is not None


def _describe(path: Path, origin: Origin) -> tuple:
    """What besides its bytes decides how a file reads: its name and where it came from."""
    return path.name, origin


def read_bytes(data: bytes, origin: Origin, name: str = "") -> list[Article]:
    """Read already-loaded bytes with the kind their name and content call for."""
    if not data.strip():
        raise SourceError(origin.location, "empty file")
    articles = kind_for(name or origin.location, data).read(data, origin)
    if not articles:
        raise SourceError(origin.location, "no article found")
    return articles
