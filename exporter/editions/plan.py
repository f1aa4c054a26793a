"""From subscribers to editions: readers who chose the same sections, tags and language share one."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExporterError
from ..links import detach_missing
from ..manifest import Project
from ..model import Issue, Section, slugify
from .subscribers import Subscriber

# What a subscriber's formats need built: the Kindle gets the EPUB by email.
BACKEND_OF = {"email": "email", "pdf": "pdf", "epub": "epub", "kindle": "epub"}
OUTPUT_SUFFIX = {"email": ".eml", "pdf": ".pdf", "epub": ".epub", "kindle": ".epub"}


@dataclass(frozen=True)
class Edition:
    """One rendered edition: a selection of the issue, built once for all its readers."""

    name: str  # its folder under the output folder
    sections: tuple[str, ...]  # section titles, in the issue's order; empty: all
    exclude_tags: tuple[str, ...]  # casefolded
    language: str
    formats: tuple[str, ...]  # backends to build (email, pdf, epub)


def selection(subscriber: Subscriber, issue: Issue, where: str) -> tuple:
    """The key readers share an edition by: sections (issue order), excluded tags, language."""
    wanted = {s.casefold() for s in subscriber.sections}
    titles = [s.title or "" for s in issue.sections]
    unknown = sorted(wanted - {t.casefold() for t in titles})
    if unknown:
        raise ExporterError(where, f"unknown section {unknown[0]!r} "
                            f"(the issue has: {', '.join(t for t in titles if t)})")
    sections = tuple(t for t in titles if t.casefold() in wanted)
    tags = tuple(sorted({t.casefold() for t in subscriber.exclude_tags}))
    return sections, tags, subscriber.language or issue.language


def plan_editions(project: Project, subscribers: list[Subscriber], *,
                  on_error: Callable[[ExporterError], None] | None = None
                  ) -> tuple[list[Edition], dict[str, Edition]]:
    """The distinct editions and each subscriber's (by id); a bad row raises or goes to on_error."""
    groups: dict[tuple, list[Subscriber]] = {}
    empty: dict[tuple, bool] = {}  # per selection, not per reader: 10,000 readers share 50
    for subscriber in subscribers:
        where = f"subscriber {subscriber.id}"
        try:
            key = selection(subscriber, project.issue, where)
            if key not in empty:
                empty[key] = not _select(project.issue, key[0], key[1]).articles()
            if empty[key]:
                raise ExporterError(where, "no article of the issue is left for this selection")
        except ExporterError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        groups.setdefault(key, []).append(subscriber)
    editions: list[Edition] = []
    chosen: dict[str, Edition] = {}
    for (sections, tags, language), members in groups.items():
        # The email is always built: it is also where a delivery of files takes its
        # sender, subject and Message-ID from.
        formats = sorted({"email"} | {BACKEND_OF[f] for m in members for f in m.formats})
        edition = Edition(_name(sections, tags, language), sections, tags, language, tuple(formats))
        editions.append(edition)
        chosen.update((m.id, edition) for m in members)
    return editions, chosen


def _name(sections: tuple[str, ...], tags: tuple[str, ...], language: str) -> str:
    """A readable folder name that is the same for the same selection in every run."""
    digest = hashlib.sha256(repr((sections, tags, language)).encode()).hexdigest()[:8]
    label = slugify(" ".join(sections) or "all", limit=40)
    return f"{label}-{language.lower()}-{digest}"


def edition_project(project: Project, edition: Edition) -> Project:
    """The project with only this edition's articles, in its language.

    A link to an article left out goes back to that article's web address.
    """
    issue = _select(project.issue, edition.sections, edition.exclude_tags)
    issue = copy.deepcopy(dataclasses.replace(issue, language=edition.language))
    detach_missing(issue, project.issue.articles())
    return dataclasses.replace(project, issue=issue)


def _select(issue: Issue, sections: tuple[str, ...], exclude_tags: tuple[str, ...]) -> Issue:
    excluded = set(exclude_tags)
    kept = [Section(s.title, [a for a in s.articles
                              if not excluded & {t.casefold() for t in a.tags}])
            for s in issue.sections if not sections or (s.title or "") in sections]
    return dataclasses.replace(issue, sections=[s for s in kept if s.articles])


def subscriber_files(subscriber: Subscriber, edition: Edition, stem: str) -> list[str]:
    """The files this reader receives, relative to the output folder."""
    files = dict.fromkeys(f"{edition.name}/{stem}{OUTPUT_SUFFIX[f]}" for f in subscriber.formats)
    return list(files)

