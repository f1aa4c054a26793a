"""Where a source or image lives: an http(s) URL to fetch, or else a local path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def is_url(location: str) -> bool:
    return bool(re.match(r"https?://", location, re.I))


_FOLDERS: dict[str, str] | None = None  # a folder's real path, while one build reads its files


@contextmanager
def one_look_per_folder() -> Iterator[None]:
    """Within the block (one build's reading of its sources or photos), `resolved` looks
    up each folder's real path once: an issue's files share a few folders, and resolving
    a path costs a system call for each of its parts. The next build looks again."""
    global _FOLDERS
    outer = _FOLDERS
    _FOLDERS = {} if outer is None else outer
    try:
        yield
    finally:
        _FOLDERS = outer


def resolved(path: Path) -> Path:
    """`path.resolve()`, its folder's real path looked up once per build (see above). A
    path through '..' is resolved whole: a link before it decides which folder that is."""
    folders = _FOLDERS
    if folders is None or ".." in path.parts:
        return path.resolve()
    folder, name = os.path.split(os.path.abspath(path))
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    joined = os.path.join(real, name)
    return Path(os.path.realpath(joined) if os.path.islink(joined) else joined)
