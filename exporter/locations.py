"""Where a source or image lives: an http(s) URL to fetch, or else a local path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def is_url(location: str) -> bool:
    return bool(re.match(r"https?://", location, re.I))


_REAL: dict[str, str] | None = None  # a folder's real path, while one build reads its files
_FILES: dict[str, Path] | None = None  # and a file's


@contextmanager
def one_look_per_folder() -> Iterator[None]:
    """Within the block (one build's reading of its sources or photos), `resolved` looks
    up each folder's and file's real path once: an issue's files share a few folders,
    each is looked at more than once, and resolving a path costs a system call for each
    of its parts. The next build looks again."""
    global _REAL, _FILES
    outer = _REAL, _FILES
    if _REAL is None or _FILES is None:
        _REAL, _FILES = {}, {}
    try:
        yield
    finally:
        _REAL, _FILES = outer


def resolved(path: str | Path) -> Path:
    """`path.resolve()`, looked up once per build (see above). A folder is resolved as
    the user wrote it, '..' and all (`realpath` follows a link before it decides which
    folder '..' is), so the photos of `../photos/` share one look at that folder."""
    folders, files = _REAL, _FILES
    if folders is None or files is None:
        return Path(path).resolve()
    text = os.fspath(path)
    found = files.get(text)
    if found is not None:
        return found
    folder, name = os.path.split(text if os.path.isabs(text) else os.path.join(os.getcwd(), text))
    if name in ("", ".", ".."):
        real = os.path.realpath(text)
    else:
        parent = folders.get(folder)
        if parent is None:
            parent = folders[folder] = os.path.realpath(folder)
        joined = os.path.join(parent, name)
        real = os.path.realpath(joined) if os.path.islink(joined) else joined
    found = files[text] = Path(real)
    return found
