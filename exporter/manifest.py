"""The issue manifest (TOML): issue fields, sections of article sources, backend options.

Unknown keys are errors naming the key: a typo must not silently change an issue.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import cache
from .errors import Collector, ExporterError, ManifestError, SourceError
from .labels import check_overrides
from .links import resolve_internal_links
from .locations import one_look_per_folder, resolved
from .model import (Article, Block, Figure, Image, Issue, Links, Section, rank_headings, text_size,
                    unique_ids)
from .sources import is_url, read_source
from .sources.warm import warm_sources

ISSUE_KEYS = {"title", "subtitle", "edition", "date", "language", "publisher", "intro",
              "links", "sections", "cover", "templates", "theme", "labels", "email", "pdf", "epub"}
BACKEND_TABLES = ("email", "pdf", "epub")
LINK_KEYS = {"web_version", "unsubscribe", "archive"}
SECTION_KEYS = {"title", "articles"}
ARTICLE_KEYS = {"source", "lead_image", "lead_alt", "lead_caption", "lead_credit", "kicker",
                "title", "url", "publisher", "language"}
THEME_KEYS = {"accent", "text", "background", "heading_font", "body_font", "logo", "masthead"}


@dataclass
class Project:
    """An issue ready to build: the model plus what backends need beside it."""

    issue: Issue
    stem: str  # output file stem: the manifest's or first source's
    root: Path  # folder relative paths in the manifest resolve against
    # article id -> the folder its relative images resolve against (None: no local images)
    base_dirs: dict[str, Path | None] = field(default_factory=dict)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per backend table
    cover: Path | None = None
    templates: Path | None = None
    theme: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # [labels]: built-in labels replaced
    skipped: list[ExporterError] = field(default_factory=list)  # articles left out


ErrorHandler = Callable[[ExporterError], None]


def is_manifest(path: Path) -> bool:
    """A .toml file, or any other file that parses as TOML with a manifest's keys.

    Given as an article (`build m.toml a.md`, a misspelt `issue.tml`), such a file
    would otherwise be read as pasted text and built into a nonsense issue.
    """
    if path.suffix.lower() == ".toml":
        return True
    import tomllib

    try:
        if not path.is_file() or path.stat().st_size > 2**20:
            return False
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return "title" in data or "sections" in data


def load_manifest(path: Path, *, keep_going: bool = False, allow_private: bool = False) -> Project:
    """The manifest read and checked; every mistake in it is reported, in file order."""
    with cache.journal("manifest", str(path.resolve())), one_look_per_folder():
        return _load_manifest(path, keep_going=keep_going, allow_private=allow_private)


def _load_manifest(path: Path, *, keep_going: bool, allow_private: bool) -> Project:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(where, "no such file")
    except IsADirectoryError:
        raise ManifestError(where, "is a folder, not a manifest (.toml)")
    except OSError as exc:
        raise ManifestError(where, f"cannot read ({exc.strerror})")
    except UnicodeDecodeError as exc:
        raise ManifestError(where, f"not valid TOML: {exc}")
    # Its values are kept by its text: a rebuild of the same manifest loads no TOML parser.
    data = cache.remembered("manifests", cache.key("manifest", text), lambda: _toml(text, where))
    keys = list(data)
    problems = Collector()

    def step(key: str) -> Any:  # problems with `key` are reported at its place in the file
        return problems.step(keys.index(key) if key in keys else len(keys))

    for order, key in enumerate(keys):
        if key not in ISSUE_KEYS:
            problems.add(ManifestError(where, f"unknown key '{key}'"), order)
    root = path.resolve().parent
    project = Project(issue=_issue(data, where, step), stem=path.stem, root=root)
    for name in BACKEND_TABLES:
        with step(name):
            project.options[name] = _table(data, name, where)
    with step("theme"):
        project.theme = _theme(_table(data, "theme", where), root, where, step("theme"))
    with step("labels"):
        project.labels = check_overrides(_table(data, "labels", where), where)
    with step("cover"):
        project.cover = _path(data.get("cover"), root, where, "cover")
    with step("templates"):
        project.templates = _path(data.get("templates"), root, where, "templates")
        if project.templates is not None and not project.templates.is_dir():
            raise ManifestError(where, f"'templates' must be a folder: {data['templates']}")
    sections = data.get("sections", [])
    with step("sections"):
        if not isinstance(sections, list) or not sections:
            raise ManifestError(where, "needs at least one [[sections]] entry with articles")
    warm_sources(manifest_sources(sections, root), allow_private=allow_private)  # in parallel
    bases: dict[int, Path] = {}
    for i, section in enumerate(sections if isinstance(sections, list) else []):
        with step("sections"):
            project.issue.sections.append(_section(
                section, i, project, bases, where, keep_going=keep_going,
                allow_private=allow_private, report=lambda e: problems.add(e, keys.index("sections"))))
    problems.raise_all()
    finish_project(project, bases)
    return project


def _toml(text: str, where: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(where, f"not valid TOML: {exc}")


def project_from_sources(locations: list[str], *, url: str | None = None, keep_going: bool = False,
                         allow_private: bool = False, title: str | None = None) -> Project:
    """An issue of one section made straight from sources given on the command line."""
    with cache.journal("sources", *(loc if is_url(loc) else str(Path(loc).resolve())
                                     for loc in locations)), one_look_per_folder():
        return _project_from_sources(locations, url=url, keep_going=keep_going,
                                     allow_private=allow_private, title=title)


def _project_from_sources(locations: list[str], *, url: str | None, keep_going: bool,
                          allow_private: bool, title: str | None) -> Project:
    first = locations[0]
    stem = Path(first.rstrip("/")).stem if not is_url(first) else "issue"
    project = Project(issue=Issue(title=title or "", date=dt.date.today().isoformat()),
                      stem=stem or "issue", root=Path.cwd())
    section = Section(title=None)
    warm_sources(locations, url=url, allow_private=allow_private)  # parsed in parallel
    bases: dict[int, Path] = {}
    problems = Collector()
    for location in locations:
        articles = _read(location, project, url=url, keep_going=keep_going,
                         allow_private=allow_private, where=location, report=problems.add)
        bases.update((id(a), _base_dir(location, project)) for a in articles)
        section.articles += articles
    problems.raise_all()
    project.issue.sections.append(section)
    articles = project.issue.articles()
    if not project.issue.title and articles:
        project.issue.title = articles[0].title if len(articles) == 1 else "Articles"
    finish_project(project, bases)
    return project


def make_issue(title: str, content: Iterable[Article] | Iterable[Section], *, date: str | None = None,
               stem: str = "issue", options: dict[str, dict[str, Any]] | None = None,
               theme: dict[str, str] | None = None, templates: Path | None = None,
               cover: Path | None = None, **fields: Any) -> Project:
    """An issue ready to build from articles (one untitled section) or sections.

    `fields` are the other `Issue` fields (subtitle, edition, publisher, language, intro,
    links); `options` are the manifest's per-format tables (`{"pdf": {"variant": "a4"}}`),
    checked when the issue is built. Relative images resolve against each article's
    source folder.
    """
    items = list(content)
    sections = items if all(isinstance(i, Section) for i in items) else [Section(title=None, articles=items)]
    issue = Issue(title=title, date=date or dt.date.today().isoformat(), sections=sections, **fields)
    project = Project(issue=issue, stem=stem, root=Path.cwd(), options=dict(options or {}),
                      cover=cover, templates=templates, theme=_theme(dict(theme or {}), Path.cwd(), "theme"))
    # Local images only from a local source's own folder: never the working folder.
    finish_project(project, {id(a): Path(a.source.location).resolve().parent for a in issue.articles()
                             if a.source.location and not is_url(a.source.location)})
    return project


def finish_project(project: Project, bases: dict[int, Path]) -> None:
    """Unique article ids, and each article's image folder under its final id (none for an
    article not in `bases`: local images are read only from folders the user gave)."""
    articles = project.issue.articles()
    if not articles:
        raise ManifestError(project.stem, "no article could be read")
    for article in articles:  # feeds come here without passing _read
        check_size(article, article.source.location or article.title)
    unique_ids(articles)
    resolve_internal_links(project.issue)  # after the ids are final: links point at them
    project.base_dirs = {a.id: bases.get(id(a)) for a in articles}


def _check_keys(table: dict, allowed: set[str], where: str, prefix: str) -> None:
    """Every key of `table` not in `allowed`, each one a problem, in file order."""
    unknown = [key for key in table if key not in allowed]
    if unknown:
        problems = Collector()
        for key in unknown:
            problems.add(ManifestError(where, f"unknown key '{prefix}{key}'"))
        problems.raise_all()


def _table(data: dict, key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ManifestError(where, f"'{key}' must be a table ([{key}])")
    return value


def _text(data: dict, key: str, where: str, prefix: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        raise ManifestError(where, f"'{prefix}{key}' must be text")
    return value.strip() or None


def _path(value: Any, root: Path, where: str, key: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ManifestError(where, f"'{key}' must be a path")
    path = (root / value).resolve()
    if not path.exists():
        raise ManifestError(where, f"'{key}' names a missing file: {value}")
    return path


COLOUR_KEYS = ("accent", "text", "background")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_FONT = re.compile(r"[\w\s,'\"-]+")  # family names only: nothing that could end a CSS rule


def _theme(table: dict[str, Any], root: Path, where: str,
           step: AbstractContextManager[Any] = nullcontext()) -> dict[str, str]:
    """[theme] checked: colours as #rgb/#rrggbb, fonts as family lists, logo an existing file.

    `step` collects each key's problem (a manifest reports them all); by default the
    first one is raised."""
    theme: dict[str, str] = {}
    for key, value in table.items():
        with step:
            theme[key] = _theme_value(key, value, root, where)
    return theme


def _theme_value(key: str, value: Any, root: Path, where: str) -> str:
    if key not in THEME_KEYS:
        raise ManifestError(where, f"unknown key 'theme.{key}'")
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(where, f"'theme.{key}' must be text")
    value = value.strip()
    if key in COLOUR_KEYS and not _COLOUR.fullmatch(value):
        raise ManifestError(where, f"'theme.{key}' must be a colour like #1a5fb4 or #15b, not {value!r}")
    if key.endswith("_font") and not _FONT.fullmatch(value):
        raise ManifestError(where, f"'theme.{key}' must be font family names separated by commas, "
                                   f"not {value!r}")
    if key == "logo":
        logo = _path(value, root, where, "theme.logo")
        assert logo is not None
        if not logo.is_file() or not _is_image(logo):
            raise ManifestError(where, f"'theme.logo' must be an image file (PNG, JPEG…): {value}")
        value = str(logo)
    return value


def _is_image(path: Path) -> bool:
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as image:
            image.verify()
    except Exception:  # Pillow raises many kinds for files that are not images
        return False
    return True


def _issue(data: dict, where: str, step: Callable[[str], Any]) -> Issue:
    """The issue's own fields; `step(key)` collects each field's problem at its place."""
    issue = Issue(title="", date=dt.date.today().isoformat())
    with step("title"):
        issue.title = _text(data, "title", where) or ""
        if not issue.title:
            raise ManifestError(where, "missing 'title'")
    with step("date"):
        issue.date = _date(data.get("date"), where)
    for key in ("subtitle", "edition", "publisher"):
        with step(key):
            setattr(issue, key, _text(data, key, where))
    with step("language"):
        issue.language = _language(_text(data, "language", where) or "en", where, "language")
    with step("links"):
        issue.links = _links(_table(data, "links", where), where)
    with step("intro"):
        issue.intro = _intro(_text(data, "intro", where))
    return issue


def _date(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ManifestError(where, f"'date' is not an ISO date (YYYY-MM-DD): {value!r}")
    if value is None:
        value = dt.date.today()
    if not isinstance(value, dt.date):
        raise ManifestError(where, "'date' must be a date (YYYY-MM-DD)")
    return value.isoformat()


def _language(tag: str, where: str, key: str) -> str:
    """A well-formed, registered BCP 47 tag (`en`, `pt-BR`, `zh-Hant`), checked by langcodes.

    The verdict is kept in the build cache: loading langcodes' registry is a good part of
    a warm rebuild's start."""
    from . import cache

    def valid() -> bool:
        import langcodes

        return bool(langcodes.tag_is_valid(tag))

    if not cache.remembered("language-tags", cache.key(tag), valid):
        raise ManifestError(where, f"'{key}' must be a BCP 47 language tag such as en, pt-BR "
                                   f"or zh-Hant, not {tag!r}")
    return tag


def _links(table: dict[str, Any], where: str) -> Links:
    """[links]: each a full https:// address (what `check` demands of the email's links);
    a bare "example.com/x" is refused saying so, not silently dropped."""
    problems = Collector()
    with problems.step():
        _check_keys(table, LINK_KEYS, where, "links.")
    links: dict[str, str | None] = {}
    for key in LINK_KEYS & set(table):
        with problems.step():
            links[key] = _text(table, key, where, "links.")
            scheme = re.match(r"([a-zA-Z][\w+.-]*):", links[key] or "")
            if links[key] and (scheme is None or scheme.group(1).lower() != "https"):
                hint = f" (did you mean 'https://{links[key]}'?)" if scheme is None else ""
                raise ManifestError(where, f"'links.{key}' must be a full https:// address, "
                                           f"not {links[key]!r}{hint}")
    problems.raise_all()
    return Links(**links)


def _intro(markdown_text: str | None) -> list[Block]:
    if not markdown_text:
        return []
    from .sources.markdown import blocks_from_markdown

    blocks = blocks_from_markdown(markdown_text)
    rank_headings(blocks)  # set after the Issue was made, so ranked here
    return blocks


def _section(data: Any, index: int, project: Project, bases: dict[int, Path], where: str, *,
             keep_going: bool, allow_private: bool, report: ErrorHandler) -> Section:
    """One [[sections]] table; each entry's problem is reported and the next entry read."""
    prefix = f"sections[{index}]."
    if not isinstance(data, dict):
        raise ManifestError(where, f"sections[{index}] must be a table")
    entries = data.get("articles", [])
    section = Section(title=None)
    with _reporting(report):
        _check_keys(data, SECTION_KEYS, where, prefix)
    with _reporting(report):
        section.title = _text(data, "title", where, prefix)
    if not isinstance(entries, list):
        report(ManifestError(where, f"'{prefix}articles' must be a list"))
        entries = []
    for j, entry in enumerate(entries):
        with _reporting(report):
            articles, base = _entry(entry, f"{prefix}articles[{j}]", project, where,
                                    keep_going=keep_going, allow_private=allow_private, report=report)
            bases.update((id(a), base) for a in articles)
            section.articles += articles
    return section


@contextmanager
def _reporting(report: ErrorHandler) -> Iterator[None]:
    """Hand a problem raised inside to `report` and carry on with the next check."""
    try:
        yield
    except ExporterError as exc:
        report(exc)


def _entry(entry: Any, entry_where: str, project: Project, where: str, *, keep_going: bool,
           allow_private: bool, report: ErrorHandler) -> tuple[list[Article], Path]:
    """One article entry read, with its overrides: (articles, their image folder)."""
    if isinstance(entry, str):
        entry = {"source": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
        raise ManifestError(where, f"'{entry_where}' must be a path or a table with 'source'")
    _check_keys(entry, ARTICLE_KEYS, where, entry_where + ".")
    location = entry["source"] if is_url(entry["source"]) else str(project.root / entry["source"])
    base = _base_dir(location, project)
    articles = _read(location, project, keep_going=keep_going, allow_private=allow_private,
                     where=where, shown=entry["source"], report=report)
    if len(articles) == 1:
        articles = [_override(articles[0], entry, base, project.root, where, entry_where)]
    return articles, base


def _read(location: str, project: Project, *, keep_going: bool, allow_private: bool,
          where: str, report: ErrorHandler, url: str | None = None,
          shown: str | None = None) -> list[Article]:
    """A source's articles; one that cannot be read is skipped (--keep-going) or reported,
    so every unreadable article is named, not only the first."""
    try:
        if not is_url(location) and not os.path.exists(location):
            raise ManifestError(where, f"names a missing article: {shown or location}")
        articles = read_source(location, url=url, allow_private=allow_private)
        for article in articles:
            check_size(article, shown or location)
    except ExporterError as exc:
        (project.skipped.append if keep_going else report)(exc)
        return []
    return articles


# About 170,000 words, a 600-page book: far beyond any news article, and the most the
# PDF (some 30 s per million characters) and EPUB (libxml2 refuses a 10 MB text node)
# are asked to lay out for one article, so a pasted log or dump fails fast instead.
MAX_ARTICLE_CHARS = 1_000_000


def check_size(article: Article, where: str) -> None:
    """Refuse an article whose text is too long for any output to lay out in time."""
    if text_size(article, markup=True) <= MAX_ARTICLE_CHARS:  # every article of a rebuild
        return
    size = text_size(article)
    if size > MAX_ARTICLE_CHARS:
        raise SourceError(where, f"article text is {size:,} characters long, over the "
                                 f"{MAX_ARTICLE_CHARS:,} a build accepts: split it or shorten it")


def _base_dir(location: str, project: Project) -> Path:
    """The folder an article's relative images resolve against."""
    return project.root if is_url(location) else resolved(Path(location)).parent


def _override(article: Article, entry: dict, base: Path, root: Path, where: str,
              entry_where: str) -> Article:
    """Apply a manifest entry's per-article settings (kicker, lead photo, ...)."""
    for key in ("kicker", "title", "url", "publisher", "language", "lead_alt", "lead_caption",
                "lead_credit"):
        if key in entry and not isinstance(entry[key], str):
            raise ManifestError(where, f"'{entry_where}.{key}' must be text")
    changes = {k: entry[k] for k in ("kicker", "title", "url", "publisher", "language") if k in entry}
    if "language" in changes:
        _language(changes["language"], where, f"{entry_where}.language")
    if {"lead_image", "lead_alt", "lead_caption", "lead_credit"} & entry.keys():
        changes["lead"] = _lead_override(article, entry, base, root, where, entry_where)
    return replace(article, **changes) if changes else article


def _lead_override(article: Article, entry: dict, base: Path, root: Path, where: str,
                   entry_where: str) -> Figure:
    lead = article.lead or Figure()
    image = lead.image
    if entry.get("lead_image") is not None:
        photo = _path(entry["lead_image"], root, where, f"{entry_where}.lead_image")
        assert photo is not None
        # No alt by default: the caption sits beside the photo, and an alt repeating it
        # makes screen readers read it twice and image-blocked mail show a wall of text.
        alt = entry.get("lead_alt") or (image.alt if image else "")
        image = Image(src=os.path.relpath(photo, base), alt=alt or "")
    elif "lead_alt" in entry:
        if image is None:
            raise ManifestError(where, f"'{entry_where}.lead_alt' describes a lead photo, but the "
                                       "article has none (set lead_image)")
        image = replace(image, alt=entry["lead_alt"])
    return Figure(image=image, caption=entry.get("lead_caption", lead.caption),
                  credit=entry.get("lead_credit", lead.credit))


def manifest_sources(sections: Any, root_dir: Path) -> list[str]:
    """The local source paths a manifest's [[sections]] name (malformed entries skipped:
    the manifest's own checks report them)."""
    out = []
    for section in sections if isinstance(sections, list) else []:
        entries = section.get("articles", []) if isinstance(section, dict) else []
        for entry in entries if isinstance(entries, list) else []:
            source = entry.get("source") if isinstance(entry, dict) else entry
            if isinstance(source, str):
                out.append(str(root_dir / source))
    return out
