"""exporter turns news articles into email newsletters, PDF briefings and EPUB collections.

This is the public API, for a CMS or a script; the `exporter` command uses only it.
Read sources into `Article`s (or make them), make an issue, build chosen formats to a
folder or to bytes, and check what was built::

    import exporter

    articles = exporter.read("story.md")
    issue = exporter.make_issue("Asia Briefing", articles, date="2026-11-30")
    outputs, warnings = exporter.build(issue, ["pdf", "epub"], Path("out"))
    files = exporter.build_bytes(issue, ["email"])  # {"issue.eml": b"...", ...}
    findings = exporter.check(p for o in outputs for p in o.files)

Every failure the user can fix is an `ExporterError` whose `str()` is one line naming
the source and the problem.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backends import DEFAULT_FORMATS as FORMATS
from .backends import parse_formats
from .build import Backends, Output, build
from .check import check_paths as check
from .check import has_errors
from .errors import ExporterError, SourceWarning, UsageError
from .findings import Finding
from .inline import to_text
from .manifest import Project, is_manifest, load_manifest, make_issue
from .manifest import project_from_sources as issue_from_sources
from .model import (Article, Block, Embed, Figure, Heading, Image, Issue, Links, ListBlock, Paragraph,
                    Quote, Section, SourceRef, Table)
from .sources import read_source as read

if TYPE_CHECKING:
    from .backends.email.send import Sent, parse_recipients, parse_server
    from .backends.email.send import send_eml as send_email
    from .editions import make_editions, read_subscribers
    from .editions.deliver import Policy as DeliveryPolicy
    from .editions.deliver import Smtp, deliver
    from .preview import preview
    from .scaffold import copy_templates, list_templates, new_issue
    from .serve import serve

# Imported when first used, so that a build does not load mail sending, editions,
# scaffolding, the preview (subprocess) and the server (a warm rebuild is mostly
# interpreter start-up and imports).
LAZY = {
    "Sent": ("backends.email.send", "Sent"), "parse_recipients": ("backends.email.send", "parse_recipients"),
    "parse_server": ("backends.email.send", "parse_server"), "send_email": ("backends.email.send", "send_eml"),
    "make_editions": ("editions", "make_editions"), "read_subscribers": ("editions", "read_subscribers"),
    "DeliveryPolicy": ("editions.deliver", "Policy"), "Smtp": ("editions.deliver", "Smtp"),
    "deliver": ("editions.deliver", "deliver"), "copy_templates": ("scaffold", "copy_templates"),
    "list_templates": ("scaffold", "list_templates"), "new_issue": ("scaffold", "new_issue"),
    "preview": ("preview", "preview"), "serve": ("serve", "serve"),
}


def __getattr__(name: str) -> Any:
    if name not in LAZY:
        raise AttributeError(f"module 'exporter' has no attribute '{name}'")
    module, attribute = LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


__all__ = [
    "FORMATS", "Article", "Block", "DeliveryPolicy", "Embed", "ExporterError", "Figure", "Finding",
    "Heading", "Image", "Issue", "Links", "ListBlock", "Output", "Paragraph", "Project", "Quote",
    "Backends", "Section", "Sent", "Smtp", "SourceRef", "SourceWarning", "Table", "UsageError", "build",
    "build_bytes", "check",
    "copy_templates", "deliver", "has_errors", "is_manifest", "issue_from_sources",
    "list_templates", "load_manifest", "make_editions", "make_issue", "new_issue",
    "parse_formats", "parse_recipients", "parse_server", "preview", "read", "read_feed",
    "read_subscribers", "send_email", "serve", "to_text",
]


def build_bytes(project: Project, formats: Iterable[str] = FORMATS, *,
                overrides: dict[str, dict[str, Any]] | None = None, offline: bool = False,
                allow_private: bool = False) -> dict[str, bytes]:
    """Build formats in memory: each output file's name (e.g. "issue.pdf") and its bytes.

    The files are built in a temporary folder, read back and the folder removed.
    """
    import tempfile
    with tempfile.TemporaryDirectory(prefix="exporter-bytes-") as folder:
        out = Path(folder)
        outputs, _ = build(project, list(formats), out, overrides=overrides, offline=offline,
                           allow_private=allow_private)
        return {p.relative_to(out).as_posix(): p.read_bytes() for o in outputs for p in o.files}


def read_feed(location: str, *, max_entries: int | None = None, since: dt.timedelta | None = None,
              allow_private: bool = False,
              on_error: Callable[[ExporterError], None] | None = None) -> list[Article]:
    """A feed's recent entries as articles (`since`: a timedelta; `on_error` skips bad ones)."""
    from .sources.feed import read_feed as read_entries  # feedparser only when a feed is read

    return read_entries(location, max_entries=max_entries, since=since, allow_private=allow_private,
                        on_error=on_error)
