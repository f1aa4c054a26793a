"""Finding and rendering templates: the user's folder first, then the built-ins.

A user template can extend a built-in one through the "!default/" prefix and override a
single block. Template errors become one-line BuildErrors naming the file and line.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .errors import BuildError
from .inline import to_text, xhtml
from .labels import IssueLabels, labels, template_functions


def builtin_templates() -> Path:
    """The installed copy inside the package, else the checkout's top-level folder."""
    installed = Path(__file__).parent / "templates"
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


# What templates see as `theme` when the manifest's [theme] leaves a key out. Colours and
# fonts are plain values (not CSS variables): email clients and e-readers ignore var().
DEFAULT_THEME: dict[str, str | None] = {
    "accent": "#a4262c",
    "text": "#1b1b1b",
    "background": "#ffffff",
    "heading_font": "Georgia, 'Times New Roman', serif",
    "body_font": "Georgia, 'Times New Roman', serif",
    "logo": None,  # absolute path of the logo image; backends turn it into a rendition
    "masthead": None,  # text above the issue title; templates fall back to the issue title
}


def templates_key(user_dir: Path | None) -> str:
    """What every rendering depends on besides its data: the user's templates, the
    built-ins and the label catalogues, by content (a key for per-article caches)."""
    from .cache import folder_digest
    from .labels import LOCALE_DIR

    return folder_digest(user_dir, builtin_templates(), LOCALE_DIR)


def theme_values(theme: dict[str, str] | None = None) -> dict[str, str | None]:
    """The manifest's [theme] over the defaults: every key present, so templates need no checks."""
    return {**DEFAULT_THEME, **{k: v for k, v in (theme or {}).items() if v}}


def logo_rendition(assets: Any, theme: dict[str, str] | None, *, max_width: int,
                   max_height: int | None = None, fmt: str = "PNG") -> Any:
    """The [theme] logo prepared for a backend (an assets.Rendition), or None without a logo.

    Email and PDF can keep PNG transparency; EPUB readers want no alpha: pass fmt="JPEG".
    """
    logo = (theme or {}).get("logo")
    if not logo:
        return None
    return assets.rendition(assets.add_file(Path(logo)), max_width=max_width,
                            max_height=max_height, fmt=fmt)


def environment(user_dir: Path | None = None, theme: dict[str, str] | None = None,
                labels: IssueLabels | None = None) -> jinja2.Environment:
    """Templates from user_dir first, then the built-ins (also reachable as "!default/NAME").

    Every template sees `theme` (theme_values of the manifest's [theme]) as a global, and
    the labels of the issue's language through Jinja2's i18n extension: `pgettext(key,
    text)`, with `lang=article.language` for a label inside an article.
    """
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders += [jinja2.PrefixLoader({"!default": builtin}, delimiter="/"), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    book = labels or IssueLabels()
    env.install_gettext_callables(newstyle=False, **template_functions(book))  # type: ignore[attr-defined]
    env.filters.update(text=to_text, inline=lambda markup: Markup(xhtml(markup)),
                       display_url=display_url, direction=direction,
                       long_date=lambda value, lang=None: book.of(lang).date(value),
                       byline=lambda names, lang=None: book.of(lang).names(names),
                       css_content=css_content, css_string=lambda text: Markup(_css_string(text)))
    env.globals["theme"] = theme_values(theme)
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds (keyed by each template's source)."""
    from .cache import cache_root

    if os.environ.get("EXPORTER_NO_CACHE", "") in ("1", "true", "yes"):
        return None
    folder = cache_root() / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render a template; any template mistake becomes 'file:line: message'."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"{exc.filename or exc.name or name}:{exc.lineno}", exc.message or str(exc))
    except jinja2.TemplateNotFound as exc:
        raise BuildError(name, f"template not found: {exc.name}")
    except jinja2.TemplateError as exc:
        raise BuildError(_template_frame(name), str(exc))


def _template_frame(name: str) -> str:
    """The innermost template file and line of the exception being handled."""
    frames = traceback.extract_tb(sys.exc_info()[2])
    for frame in reversed(frames):
        if frame.filename.endswith((".html", ".mjml", ".txt", ".css", ".xhtml", ".j2")):
            return f"{frame.filename}:{frame.lineno}"
    return name


def long_date(value: str | None, language: str | None = None) -> str:
    """An ISO date as the language writes it: '24 June 2024' in English, '2024年6月24日'."""
    return labels(language).date(value)


def css_content(label: str, **expressions: str) -> Markup:
    """A label with %(page)s-style placeholders as a CSS `content` value: each placeholder
    becomes its CSS expression, else the counter of its name.

    "Page %(page)s of %(pages)s" -> "Page " counter(page) " of " counter(pages)
    """
    parts = re.split(r"%\((\w+)\)s", Markup(label).unescape())
    values = [expressions.get(part, f"counter({part})") if i % 2 else _css_string(part)
              for i, part in enumerate(parts) if part]
    return Markup(" ".join(values) or '""')


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def display_url(url: str) -> str:
    """An address as people read it: no scheme, no trailing slash."""
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")


def direction(language: str | None) -> str:
    """The text direction of a BCP 47 language tag: "rtl" for Arabic, Hebrew, Persian..."""
    return labels(language).direction


NOT_TEMPLATES = {".md", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ttf", ".otf",
                 ".woff", ".woff2"}  # notes and binary files a theme folder may also hold


def is_template(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() not in NOT_TEMPLATES


def check_templates(user_dir: Path) -> list[str]:
    """Compile every template in a user folder, so a syntax error fails before any build work.

    Raises BuildError("file:line", message) for the first broken template. Returns a
    warning for each block a template defines that the template it extends has not
    (`{% block footr %}`: Jinja2 would silently render nothing for it).
    """
    env = environment(user_dir)
    warnings: list[str] = []
    for path in sorted(p for p in user_dir.rglob("*") if p.is_file() and is_template(p)):
        name = path.relative_to(user_dir).as_posix()
        try:
            template = env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError(f"{exc.filename or path}:{exc.lineno}", exc.message or str(exc))
        except UnicodeDecodeError:
            raise BuildError(str(path), "not a UTF-8 text file")
        warnings += _unknown_blocks(env, path, template)
    return warnings


def _unknown_blocks(env: jinja2.Environment, path: Path, template: jinja2.Template) -> list[str]:
    """Blocks of `template` that the template it extends (and its parents) do not have."""
    parent = _extended(env, path)
    if parent is None:
        return []
    known: set[str] = set()
    seen: set[str] = set()
    while parent is not None and parent not in seen:  # up the chain: a grandparent's blocks count
        seen.add(parent)
        try:
            base = env.get_template(parent)
        except jinja2.TemplateError:
            return []  # a missing or broken parent fails the build when it renders
        known |= set(base.blocks)
        parent = _extended(env, Path(base.filename)) if base.filename else None
    return [f"{path}: block '{name}' is not a block of {parent_name} (its blocks: "
            f"{', '.join(sorted(known)) or 'none'}); it is ignored"
            for parent_name in [_extended(env, path)]
            for name in template.blocks if name not in known]


def _extended(env: jinja2.Environment, path: Path) -> str | None:
    """The name in the template's `{% extends "…" %}`, when it is a plain string."""
    try:
        tree = env.parse(path.read_text(encoding="utf-8"))
    except (OSError, jinja2.TemplateSyntaxError, UnicodeDecodeError):
        return None
    extends = next(iter(tree.find_all(jinja2.nodes.Extends)), None)
    if extends is None or not isinstance(extends.template, jinja2.nodes.Const):
        return None
    return str(extends.template.value)
