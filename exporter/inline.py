"""Inline markup: the small, sanitised HTML subset that every text field of the model holds.

Every output is HTML-family or plain text, so inline text is stored once as safe HTML and
the plain-text form is derived from it when a backend needs it.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

INLINE_TAGS = frozenset({"a", "em", "strong", "sup", "sub", "br", "code", "q"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_CLEANER = nh3.Cleaner(
    tags=set(INLINE_TAGS),
    attributes={"a": {"href"}, "*": set()},
    url_schemes=set(URL_SCHEMES),
    link_rel=None,
    attribute_filter=lambda tag, name, value: (safe_url(value, URL_SCHEMES, relative=True)
                                               if name == "href" else value),
    strip_comments=True,
    clean_content_tags={"script", "style", "template", "textarea", "title"},
)
# What XML (so EPUB and MJML) forbids, plus invisible characters that only get in the way.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_BR = re.compile(r"\s*<br\s*/?>\s*", re.I)
_TAG = re.compile(r"<[^>]*>")
_EDGE_BR = re.compile(r"^(?:<br>)+|(?:<br>)+$")


def clean_text(text: str) -> str:
    """Plain text without the characters no output can hold (see _CONTROL)."""
    return _CONTROL.sub("", text)


def clean_inline(markup: str) -> str:
    """Sanitise untrusted markup down to the inline subset, on one normalised line.

    Scripts and styles lose their content; other disallowed tags lose only the tag, so
    their text survives. Links keep only http(s)/mailto addresses and relative ones (a
    path or #anchor, which each backend resolves against the article's URL or drops);
    a scheme-relative `//host/...` or an address that does not parse loses its href.
    """
    text = clean_text(markup or "")
    # html5ever writes U+00A0 as &nbsp;, which XHTML (EPUB) does not define.
    text = _CLEANER.clean(text).replace("&nbsp;", "\u00a0")
    text = _SPACE.sub(" ", text).strip()
    return _EDGE_BR.sub("", _BR.sub("<br>", text))


_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def safe_url(url: str | None, schemes: frozenset[str] = frozenset({"http", "https"}),
             relative: bool = False) -> str | None:
    """The address if its scheme is allowed (or, with `relative`, it has none), else None.

    Browsers ignore whitespace and control characters inside a scheme ("java\tscript:"),
    so the scheme is read with them removed. An address that does not parse
    ("https://[news.example/x", a port that is not a number) is refused too, and so is
    one without a scheme that names a host ("//elsewhere.example/x").
    """
    url = (url or "").strip()
    if not url:
        return None
    try:
        urlsplit(url).port  # reading the port checks it and the host
    except ValueError:
        return None
    match = _SCHEME.match(_URL_NOISE.sub("", url))
    if match is None:
        return url if relative and not url.startswith("//") else None
    return url if match.group(1).lower() in schemes else None


def xhtml(markup: str) -> str:
    """Inline markup as XHTML too: the only void element it may hold is <br>."""
    return (markup or "").replace("<br>", "<br/>")


def escape_text(text: str) -> str:
    """Plain text as inline markup (nothing in it is taken as a tag)."""
    return clean_inline(html.escape(text or "", quote=False))


def to_text(markup: str) -> str:
    """The plain-text reading of inline markup: tags dropped, entities decoded."""
    text = _BR.sub("\n", markup or "")
    return html.unescape(_TAG.sub("", text))

