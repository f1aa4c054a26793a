"""Personal editions: each subscriber's sections, tags and language, rendered once per selection.

`make_editions` groups subscribers by what they chose, builds one edition per distinct
choice (locally or on a Dask cluster) and writes `editions.jsonl`, one line per subscriber;
`deliver` (exporter.editions.deliver) then sends each their edition exactly once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text
from ..errors import ExporterError
from ..manifest import Project
from ..labels import IssueLabels
from .deliver import INDEX_NAME, greeting
from .engines import run
from .plan import Edition, plan_editions, subscriber_files
from .subscribers import Subscriber, read_subscribers

__all__ = ["EditionsSummary", "Edition", "Subscriber", "make_editions", "read_subscribers"]


@dataclass
class EditionsSummary:
    editions: int
    subscribers: int
    seconds: float
    skipped: list[ExporterError] = field(default_factory=list)  # rows left out (--keep-going)
    warnings: list[str] = field(default_factory=list)


def make_editions(project: Project, subscribers: list[Subscriber], out_dir: Path, *,
                  engine: str = "local", scheduler: str | None = None,
                  keep_going: bool = False, network: dict[str, bool] | None = None,
                  on_edition: Callable[[int, int], None] | None = None) -> EditionsSummary:
    """Build every distinct edition into out_dir and index who gets which."""
    started = time.perf_counter()
    skipped: list[ExporterError] = []
    editions, chosen = plan_editions(project, subscribers,
                                     on_error=skipped.append if keep_going else None)
    if not editions:
        raise ExporterError("subscribers", "no subscriber has an edition to build")
    warned: dict[str, list[str]] = {}  # one line per warning, naming the editions it concerns
    for done, (edition, edition_warnings) in enumerate(
            run(engine, project, editions, out_dir, scheduler=scheduler, network=network), 1):
        for warning in edition_warnings:
            warned.setdefault(warning, []).append(edition.name)
        if on_edition:
            on_edition(done, len(editions))
    words = IssueLabels(project.issue.language, project.labels)
    lines = [json.dumps(_index_line(s, chosen[s.id], project.stem, words), ensure_ascii=False)
             for s in subscribers if s.id in chosen]
    write_text(out_dir / INDEX_NAME, "\n".join(lines) + "\n")
    warnings = [f"{names[0]}: {w}" if len(names) == 1 else f"{w} ({len(names)} editions)"
                for w, names in warned.items()]
    return EditionsSummary(len(editions), len(lines), time.perf_counter() - started,
                           skipped, warnings)


def _index_line(subscriber: Subscriber, edition: Edition, stem: str, words: IssueLabels) -> dict:
    return {"subscriber": subscriber.id, "edition": edition.name,
            "greeting": greeting(words.of(edition.language), subscriber.name),
            "files": subscriber_files(subscriber, edition, stem),
            "message": f"{stem}.eml",  # the edition's email: sender, subject, identity
            "email": subscriber.email, "name": subscriber.name, "kindle": subscriber.kindle,
            "formats": list(subscriber.formats), "language": edition.language}
