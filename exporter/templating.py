"""Finding and rendering templates: the user's folder first, then the built-ins.

A user template can extend a built-in one through the "!default/" prefix and override a
single block. Template errors become one-line BuildErrors naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .errors import BuildError
from .inline import to_text, xhtml


def builtin_templates() -> Path:
    """The installed copy inside the package, else the checkout's top-level folder."""
    installed = Path(__file__).parent / "templates"
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(builtin_templates())
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders += [jinja2.PrefixLoader({"!default": builtin}, delimiter="/"), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(text=to_text, long_date=long_date, byline=byline,
                       inline=lambda markup: Markup(xhtml(markup)), display_url=display_url)
    return env


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


def long_date(value: str | None, with_time: bool = False) -> str:
    """'2024-06-24' -> '24 June 2024' (the day-first form news sites use internationally)."""
    if not value:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    text = f"{parsed.day} {parsed:%B %Y}"
    if with_time and "T" in value:
        text += f", {parsed:%H:%M}"
    return text


def display_url(url: str) -> str:
    """An address as people read it: no scheme, no trailing slash."""
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")


def byline(authors: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(authors) <= 1:
        return "".join(authors)
    return ", ".join(authors[:-1]) + " and " + authors[-1]
