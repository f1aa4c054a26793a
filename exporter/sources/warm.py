"""Many local sources parsed at once in worker processes, into the parsed-source cache."""

from __future__ import annotations

import importlib
import os

from .. import cache
from ..parallel import max_workers, run_all
from . import forget_found, is_parsed, is_url, kind_for, read_source

WARM_MIN_SOURCES = 8  # below this, starting processes costs more than it saves


def warm_sources(locations: list[str], *, url: str | None = None, allow_private: bool = False) -> None:
    """Parse many local sources in worker processes, into the cache.

    The caller then reads them one by one as usual and finds each one parsed; errors
    are left for that pass to report, with its own handling. Files already parsed are
    left out: after an edit to one article, no process is started at all.
    """
    forget_found()
    workers = max_workers()
    if not cache.enabled() or workers < 2:
        return
    files = [loc for loc in dict.fromkeys(locations) if not is_url(loc) and os.path.isfile(loc)
             and not is_parsed(loc, url=url, allow_private=allow_private)]
    if len(files) < WARM_MIN_SOURCES:
        return

    for location in files:  # readers, and what they parse with, loaded once here, not per worker
        with open(location, "rb") as file:
            reader = importlib.import_module(kind_for(location, file.read(4096)).module)
        if hasattr(reader, "load_parsers"):
            reader.load_parsers()

    def read_all(chunk: list[str]) -> None:
        for location in chunk:
            try:
                read_source(location, url=url, allow_private=allow_private)
            except Exception:  # reported by the caller's own pass
                pass

    chunks = [files[i::workers] for i in range(workers)]
    run_all([(f"sources-{i}", lambda chunk=chunk: read_all(chunk)) for i, chunk in enumerate(chunks)])
