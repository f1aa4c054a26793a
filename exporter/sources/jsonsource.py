"""JSON in the model's own form, so a CMS can feed articles directly."""

from __future__ import annotations

import json
from dataclasses import replace

from ..errors import ModelError, SourceError
from ..model import Article, Issue
from . import Origin
from .common import decode, source_ref


def read(data: bytes, origin: Origin) -> list[Article]:
    """One article object, a list of them, or a whole issue (what the JSON backend writes)."""
    try:
        document = json.loads(decode(data, origin))
    except json.JSONDecodeError as exc:
        raise SourceError(origin.location, f"not valid JSON (line {exc.lineno}: {exc.msg})")
    except RecursionError:
        raise SourceError(origin.location, "not valid JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise SourceError(origin.location, f"not valid JSON: {exc}")
    if isinstance(document, dict) and "sections" in document:
        try:
            document = [a.to_dict() for a in Issue.from_dict(document, "issue").articles()]
        except ModelError as exc:
            raise SourceError(origin.location, f"not an issue in the model's form: {exc.message}")
    items = document if isinstance(document, list) else [document]
    articles = []
    for i, item in enumerate(items):
        where = f"[{i}]" if isinstance(document, list) else ""
        try:
            article = Article.from_dict(item, where)
        except ModelError as exc:
            raise SourceError(origin.location, f"not an article in the model's form: {exc.message}")
        if not article.title.strip():
            raise SourceError(origin.location, f"article{where} has an empty title")
        if not item.get("source"):
            article = replace(article, source=source_ref("json", origin))
        articles.append(article)
    return articles
