"""Small questions asked of a page's DOM: its text, its inline markup, is it furniture.

Shared by the figure and metadata readers of the HTML source.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from lxml.etree import _Element

from ..inline import clean_inline

# Page furniture, by tag or by a class/id word: nothing inside it belongs to the article.
_FURNITURE_TAGS = frozenset({"aside", "nav", "footer", "form", "button", "script", "style",
                            "template", "svg"})
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:ads?|advert\w*|sponsor\w*|promo\w*|related|recommend\w*|share|sharing|"
    r"social|newsletter|subscribe|subscription|cookies?|consent|comments?|outbrain|taboola|"
    r"sidebar|widget|teaser|trending|popular|most-read|more-from|read-more|nav|navigation|"
    r"menu|footer|breadcrumbs?|paywall|signup)(?:$|[\s_-])")
_STATE = re.compile(r"(?:has|with|no|is)-")
_HIDDEN = re.compile(r"sr-only|visually-?hidden|screen-?reader|off-?screen|a11y")
_KEEP = {"a": "a", "em": "em", "i": "em", "strong": "strong", "b": "strong", "sup": "sup",
         "sub": "sub", "code": "code", "q": "q"}
_BLOCKISH = frozenset({"p", "div", "li", "span", "figcaption"})
_SKIP = frozenset({"script", "style", "noscript", "button", "svg", "template", "img",
                   "picture", "source", "video", "audio", "iframe"})


def tokens_of(el: _Element) -> str:
    """Class and id of an element, lower-cased, for pattern tests."""
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower().strip()


def is_furniture(el: _Element) -> bool:
    """True if the element or an ancestor is an ad, share bar, related box or the like.

    The walk stops at the article/main element: page wrappers carry state classes
    ("has-section-nav", "with-sidebar") that say nothing about the article inside.
    """
    for node in (el, *el.iterancestors()):
        if node.tag in ("article", "main", "body"):
            return False
        if node.tag in _FURNITURE_TAGS or any(
                _FURNITURE.search(t) for t in tokens_of(node).split() if not _STATE.match(t)):
            return True
    return False


def is_hidden(el: _Element) -> bool:
    """Text only screen readers get ("Image caption", "Image copyright")."""
    return bool(_HIDDEN.search(tokens_of(el))) or el.get("hidden") is not None


def text_of(el: _Element) -> str:
    """Visible text on one line."""
    return " ".join(_visible_text(el).split())


def _visible_text(el: _Element) -> str:
    parts = [el.text or ""] if el.tag not in _SKIP else []
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _SKIP and not is_hidden(child):
            parts.append(" " + _visible_text(child) + " ")
        parts.append(child.tail or "")
    return "".join(parts)


def inline_markup(el: _Element, skip: set[_Element]) -> str:
    """The element's content as inline markup, leaving out `skip` and hidden text."""
    return clean_inline(_markup(el, skip, top=True))


def _markup(el: _Element, skip: set[_Element], top: bool = False) -> str:
    out = [html.escape(el.text or "", quote=False)]
    for child in el:
        if isinstance(child.tag, str) and child not in skip and child.tag not in _SKIP \
                and not is_hidden(child):
            inner = _markup(child, skip)
            tag = _KEEP.get(child.tag)
            if tag == "a" and child.get("href", "").startswith(("http://", "https://")):
                out.append(f'<a href="{html.escape(child.get("href", ""))}">{inner}</a>')
            elif tag and tag != "a":
                out.append(f"<{tag}>{inner}</{tag}>")
            elif child.tag == "br":
                out.append("<br>")
            else:
                out.append(f" {inner} " if child.tag in _BLOCKISH else inner)
        out.append(html.escape(child.tail or "", quote=False))
    return "".join(out)


def resolve_url(src: str, base_url: str | None) -> str:
    """An absolute URL when the page's address is known; else the path as written."""
    src = src.strip()
    if base_url:
        return urljoin(base_url, src)
    if src.startswith("//"):
        return "https:" + src
    return src
