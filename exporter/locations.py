"""Where a source or image lives: an http(s) URL to fetch, or else a local path."""

from __future__ import annotations

import re


def is_url(location: str) -> bool:
    return bool(re.match(r"https?://", location, re.I))
