"""Where a source or image lives: an http(s) URL to fetch, or else a local path."""

from __future__ import annotations

import os
import re
from pathlib import Path


def is_url(location: str) -> bool:
    return bool(re.match(r"https?://", location, re.I))


def resolved(path: Path, folders: dict[str, str]) -> Path:
    """`path.resolve()`, with its folder's real path taken from (or added to) `folders`:
    an issue's files share a few folders, and resolving a path costs a system call for
    each of its parts. A path through '..' is resolved whole (a link before it decides
    which folder that is)."""
    if ".." in path.parts:
        return path.resolve()
    folder, name = os.path.split(os.path.abspath(path))
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    joined = os.path.join(real, name)
    return Path(os.path.realpath(joined) if os.path.islink(joined) else joined)
