"""The article HTML that PDF and EPUB share, produced in one place.

Each backend decides how images are addressed (a prepared file for WeasyPrint, a path in
the book for the EPUB) by passing `image`; the markup itself is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jinja2

from .model import Article, Figure
from .templating import render


@dataclass(frozen=True)
class ImageRef:
    """How a backend addresses one prepared image in its markup."""

    src: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None  # replaces the image's own alt in this backend's markup


ImageResolver = Callable[[Article, Figure], ImageRef | None]


def render_article(env: jinja2.Environment, article: Article, resolve: ImageResolver, *,
                   headline_level: int = 1) -> str:
    """The article as an XHTML-compatible fragment (`templates/article.html`)."""
    return render(env, "article.html", article=article, h=headline_level,
                  image=lambda figure: resolve(article, figure))
