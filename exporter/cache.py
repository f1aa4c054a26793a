"""Build caches that make a rebuild after a small change cheap.

Everything here is keyed by content: the bytes of a source or an image plus a
fingerprint of exporter's own code, so a changed article, a changed image or a new
exporter version simply misses. Entries live under the cache root (EXPORTER_CACHE_DIR)
beside the fetch cache and image renditions; EXPORTER_NO_CACHE=1 turns them off.

Entries are pickles written by exporter itself into the user's own cache folder (the
same trust as the installed code); one that cannot be read is ignored and rebuilt.
Every entry is keyed by content, so an edit leaves the old one behind: `prune` removes
what no build has read or written for a month.

A build of one issue reads the same few hundred entries each time: a `journal` keeps
those a build used in one file, so that the next build of that issue opens one file
instead of one per article and photo (like make's or ninja's log of the last build).
Entries are still keyed by content: a journal only answers faster, never otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import stat
import time
import warnings
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .atomic import write_bytes
from .errors import SourceWarning

T = TypeVar("T")
FORMAT = 2  # bump when the layout of entries changes
DAY = 86400.0
KEEP_DAYS = 30  # an entry nothing has read or written for this long is removed


def enabled() -> bool:
    return os.environ.get("EXPORTER_NO_CACHE", "") not in ("1", "true", "yes")


def cache_root() -> Path:
    """Where fetched pages, originals, renditions and parsed sources are kept between builds."""
    if os.environ.get("EXPORTER_CACHE_DIR"):
        return Path(os.environ["EXPORTER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "exporter"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of exporter's own code: any edit or other version misses."""
    return package_digest(Path(__file__).resolve().parent, memo=enabled())


def package_digest(package: Path, *, memo: bool = False) -> str:
    """The bytes of every module, not their dates: a reproducible wheel gives every file
    the same date, and reading 0.6 MB costs less than importing importlib.metadata.
    `memo`: kept in the cache folder (see `_digest`)."""
    modules = _files(os.fspath(package), ".py")

    def compute() -> str:
        digest = hashlib.sha256(f"{FORMAT}".encode())
        _add_files(digest, modules)
        return digest.hexdigest()[:16]

    return _digest(f"package\0{package}", modules, compute) if memo else compute()


File = tuple[str, str, os.stat_result]  # a file's name (relative, with '/'), path and stat


def _digest(what: str, files: list[File], compute: Callable[[], str]) -> str:
    """compute()'s digest of the files, kept in the cache folder under their identities
    (as `file_key`: inode, size and change times, which no install or editor can set
    back), so that a build whose files were not rewritten reads them no more than make
    would."""
    identity = hashlib.sha256(f"{FORMAT}\0{what}".encode())
    for name, _, info in files:
        identity.update(repr((name, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                              info.st_ctime_ns)).encode())
    remembered_at = cache_root() / "digests" / f"{identity.hexdigest()}.txt"
    try:
        return remembered_at.read_bytes().decode()
    except (OSError, ValueError):  # not there yet, or unreadable: read again
        pass
    found = compute()
    try:
        write_bytes(remembered_at, found.encode())
    except OSError:  # a read-only or full cache folder must not fail a build
        pass
    return found


def _files(folder: str, suffix: str = "") -> list[File]:
    """Every file under the folder whose name ends in `suffix`, in the order of the names."""
    found = []
    for parent, _, names in os.walk(folder):
        relative = os.path.relpath(parent, folder).replace(os.sep, "/")
        for name in names:
            path = os.path.join(parent, name)
            try:
                info = os.stat(path)
            except OSError:  # a broken link: no file
                continue
            if name.endswith(suffix) and stat.S_ISREG(info.st_mode):
                found.append((name if relative == "." else f"{relative}/{name}", path, info))
    return sorted(found, key=lambda file: file[0])


def _add_files(digest: Any, files: list[File]) -> None:
    for name, path, _ in files:
        with open(path, "rb") as file:
            data = file.read()
        digest.update(f"\0{name}\0{len(data)}\0".encode())
        digest.update(data)


def key(*parts: bytes | str) -> str:
    """A cache key from content and parameters (the code fingerprint included)."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def as_json(value: object, *, leaving_out: Collection[str] = ()) -> str:
    """An object (an article, a book being made) as JSON for a cache key: every attribute
    of every object in it, with its class's name, but those named in `leaving_out`. json's
    C encoder writes it; walking an article's fields in Python (`to_dict`) cost ten times
    as much, for each article of every rebuild."""
    def state(value: object) -> object:
        try:
            attributes = vars(value)
        except TypeError:  # no attributes (a date, bytes): its repr says what it is
            return repr(value)
        return [type(value).__name__,
                {k: v for k, v in attributes.items() if k not in leaving_out} if leaving_out
                else attributes]

    return json.dumps(value, default=state, check_circular=False)  # a model holds no cycle


def folder_digest(*folders: Path | None) -> str:
    """A digest of every file under the folders (names and bytes): a cached rendering keyed
    by it misses after any edit to a template or catalogue it may have read. Kept in the
    cache folder (see `_digest`): a build reads the templates only after one changed."""
    tops: list[str] = []
    per_folder: list[list[File]] = []
    for folder in folders:
        present = folder is not None and folder.is_dir()
        tops.append(str(folder.resolve()) if present else "")  # type: ignore[union-attr]
        per_folder.append(_files(tops[-1]) if present else [])

    def compute() -> str:
        digest = hashlib.sha256()
        for top, files in zip(tops, per_folder):
            digest.update(top.encode() if top else b"\0none")
            _add_files(digest, files)
        return digest.hexdigest()

    if not enabled():
        return compute()
    what = "\0".join(f"{top}\0{len(files)}" for top, files in zip(tops, per_folder))
    return _digest(f"folders\0{what}", [f for files in per_folder for f in files], compute)


class Journal:
    """The entries one build used, kept in one file for the next build of the same issue.

    Values are kept as their pickled bytes and unpickled at each use, as an entry file
    would be: a caller may change what it was given without changing the journal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.before: dict[tuple[str, str, str], bytes] = {}
        self.used: dict[tuple[str, str, str], bytes] = {}
        try:
            with open(path, "rb") as file:
                self.before = pickle.load(file)
        except FileNotFoundError:
            pass
        except Exception:  # a truncated or outdated journal: entries are read one by one
            self.before = {}

    def get(self, name: tuple[str, str, str]) -> bytes | None:
        data = self.used.get(name) or self.before.get(name)
        if data is not None:
            self.used[name] = data
        return data

    def save(self) -> None:
        """Written only when this build used other entries than the last one."""
        if self.used.keys() == self.before.keys():
            return
        try:
            write_bytes(self.path, pickle.dumps(self.used, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:  # a read-only or full cache folder must not fail a build
            pass


_JOURNAL: Journal | None = None
# A larger entry (an email's photo, ready as a MIME part) is read from its own file: one
# opening is nothing beside its size, and a journal rewritten after each edit stays small.
JOURNAL_ENTRY_BYTES = 64 * 1024


@contextmanager
def journal(*names: str) -> Iterator[None]:
    """Within the block, entries come from and go to the journal named by `names` (say,
    the manifest's path and a format) as well as their own files."""
    global _JOURNAL
    if not enabled():
        yield
        return
    outer, _JOURNAL = _JOURNAL, Journal(cache_root() / "journals" / f"{key('journal', *names)}.pickle")
    try:
        yield
        _JOURNAL.save()  # a failed build leaves the last journal as it was
    finally:
        _JOURNAL = outer


def remembered(kind: str, entry_key: str, compute: Callable[[], T], *,
               folder: Path | None = None) -> T:
    """compute()'s result, from the cache (under `folder`, else the cache root) when an
    entry exists for this key."""
    if not enabled():
        return compute()
    value = _recalled(kind, entry_key, folder)
    if value is not _MISSING:
        return value
    value = compute()
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        write_bytes(Path(_entry_path(kind, entry_key, folder)), data)
    except OSError:  # a read-only or full cache folder must not fail a build
        pass
    _note(kind, entry_key, folder, data)
    return value


_MISSING: Any = object()


def _recalled(kind: str, entry_key: str, folder: Path | None) -> Any:
    """The entry's value, from the journal or its file; _MISSING if there is none."""
    found = _journalled(kind, entry_key, folder)
    if found is not None:
        try:
            return pickle.loads(found)
        except Exception:  # an outdated class: read from its file, or made again
            pass
    path = _entry_path(kind, entry_key, folder)
    try:
        with open(path, "rb") as file:
            data = file.read()
        value = pickle.loads(data)
    except FileNotFoundError:
        return _MISSING
    except Exception:  # a truncated or outdated entry: rebuild it
        Path(path).unlink(missing_ok=True)
        return _MISSING
    _note(kind, entry_key, folder, data)
    return value


def _journalled(kind: str, entry_key: str, folder: Path | None) -> bytes | None:
    if _JOURNAL is None:
        return None
    return _JOURNAL.get((os.fspath(folder) if folder is not None else "", kind, entry_key))


def _note(kind: str, entry_key: str, folder: Path | None, data: bytes) -> None:
    if _JOURNAL is not None and len(data) <= JOURNAL_ENTRY_BYTES:
        _JOURNAL.used[(os.fspath(folder) if folder is not None else "", kind, entry_key)] = data


def _entry_path(kind: str, entry_key: str, folder: Path | None = None) -> str:
    """The entry's file, as a string: a warm rebuild looks up hundreds of entries, and
    building Path objects for them cost more than reading them."""
    root = os.fspath(folder if folder is not None else cache_root())
    return os.path.join(root, kind, entry_key[:2], f"{entry_key}.pickle")


def stored(kind: str, entry_key: str, *, folder: Path | None = None) -> bool:
    """Whether `remembered` would find an entry (so that no worker need be started for it)."""
    return enabled() and (_journalled(kind, entry_key, folder) is not None
                          or os.path.isfile(_entry_path(kind, entry_key, folder)))


def file_key(path: Path, info: os.stat_result, *parts: str) -> str:
    """A key for one version of a file: its path, inode, size and change times. A file is
    rewritten in place only with a new ctime, which no tool can set back, so a build that
    finds the same key may take the file's content to be what it was."""
    return key(str(path), *(str(v) for v in (info.st_dev, info.st_ino, info.st_size,
                                             info.st_mtime_ns, info.st_ctime_ns)), *parts)


def parsed_entry(path: Path, info: os.stat_result, describe: Any) -> str | None:
    """The key of this file's parsed articles when `parsed_file` would find them without
    reading the file (for `parsed_articles`); None when it would read and parse it."""
    if not enabled():
        return None
    entry = _recalled("source-files", file_key(path, info, repr(describe)), None)
    return entry if entry is not _MISSING and stored("parsed", entry) else None


def _parsed_key(data: bytes, describe: Any) -> str:
    return key(data, repr(describe))


def parsed_file(path: Path, info: os.stat_result, describe: Any, parse: Callable[[bytes], T]) -> T:
    """A local source's articles, parsed once per content, given the file's `stat` taken
    before reading it: like make, a file unchanged since a build that read it is not even
    read again, its content's key being remembered by the file's identity (`file_key`).
    `describe` holds what else matters to the result (the kind, the origin's location,
    URL and base folder)."""
    content: list[bytes] = []

    def read() -> bytes:
        if not content:
            content.append(path.read_bytes())
        return content[0]

    entry = remembered("source-files", file_key(path, info, repr(describe)),
                       lambda: _parsed_key(read(), describe))
    if not content and not stored("parsed", entry):  # its articles pruned since
        entry = _parsed_key(read(), describe)
    return parsed_articles(entry, lambda: parse(read()))


def parsed_articles(entry: str, parse: Callable[[], T]) -> T:
    """A source's articles, parsed once per `entry` (its content and description). The
    source's warnings are remembered with them and given again each time."""

    def parse_noting_warnings() -> tuple[T, list[str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SourceWarning)
            value = parse()
        for other in (w for w in caught if not issubclass(w.category, SourceWarning)):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        return value, [str(w.message) for w in caught if issubclass(w.category, SourceWarning)]

    value, notes = remembered("parsed", entry, parse_noting_warnings)
    for note in notes:
        warnings.warn(note, SourceWarning, stacklevel=2)
    return value


def prune(root: Path | None = None, *, now: float | None = None) -> int:
    """Remove the cache's files that no build has read or written for KEEP_DAYS days;
    at most once a day. How many were removed.

    Reading a file updates its access time (Linux's default `relatime` does so once a
    day); on a volume mounted `noatime` an entry in use may be removed after a month
    and is then simply made again.
    """
    root = root or cache_root()
    now = time.time() if now is None else now
    marker = root / ".pruned"
    try:
        if now - marker.stat().st_mtime < DAY:
            return 0
    except FileNotFoundError:
        pass
    if not enabled() or not root.is_dir():
        return 0
    cutoff, removed = now - KEEP_DAYS * DAY, 0
    for path in root.rglob("*"):
        try:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and max(info.st_atime, info.st_mtime) < cutoff \
                    and path != marker:
                path.unlink()
                removed += 1
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    try:
        marker.touch()
        os.utime(marker, (now, now))
    except OSError:  # a read-only cache folder is still read
        pass
    return removed
