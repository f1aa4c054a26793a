"""Where a source or image lives: an http(s) URL to fetch, or else a local path."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def is_url(location: str) -> bool:
    return bool(re.match(r"https?://", location, re.I))


_REAL: dict[str, str] | None = None  # a path's real path, while one build reads its files


@contextmanager
def one_look_per_folder() -> Iterator[None]:
    """Within the block (one build's reading of its sources or photos), `resolved` looks
    up each folder's and file's real path once: an issue's files share a few folders,
    each is looked at more than once, and resolving a path costs a system call for each
    of its parts. The next build looks again."""
    global _REAL
    outer = _REAL
    _REAL = {} if outer is None else outer
    try:
        yield
    finally:
        _REAL = outer


def resolved(path: Path) -> Path:
    """`path.resolve()`, looked up once per build (see above). A path through '..' is
    resolved whole: a link before it decides which folder that is."""
    known = _REAL
    if known is None or ".." in path.parts:
        return path.resolve()
    text = os.path.abspath(path)
    real = known.get(text)
    if real is None:
        folder, name = os.path.split(text)
        parent = known.get(folder)
        if parent is None:
            parent = known[folder] = os.path.realpath(folder)
        joined = os.path.join(parent, name)
        real = known[text] = os.path.realpath(joined) if os.path.islink(joined) else joined
    return Path(real)
