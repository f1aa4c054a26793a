"""Other stories' teasers the text extractor took for the article's text, left out.

News pages end an article with a list of the site's other stories: each item a heading
that links to another page of the site, often a thumbnail, a summary line and a byline.
Their summaries read like paragraphs, and their class names ("story-block", "item",
"module") say nothing, so the extractor keeps them. Two or more such items side by side
are a teaser list, whatever they are called.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urljoin, urlsplit

from lxml.etree import _Element

from ..inline import to_text
from ..model import Block, Heading, Paragraph

_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_MAX_TEASER_WORDS = 60  # a teaser is a headline and a line or two
_MIN_LINKED_SHARE = 0.6  # of the heading's text in a link to another page


def drop_teasers(root: _Element, blocks: list[Block], base_url: str | None) -> list[Block]:
    """The blocks without the headings and summaries of a teaser list, nor the list's
    own heading ("More from Outdoors") left ending the text."""
    keys = {_key(" ".join(el.itertext())) for item in _teaser_items(root, base_url)
            for el in item.iter("p", "li", *_HEADINGS)}
    keys.discard("")
    kept = [b for b in blocks
            if not (isinstance(b, (Paragraph, Heading)) and _key(to_text(b.text)) in keys)]
    while len(kept) < len(blocks) and kept and isinstance(kept[-1], Heading):
        kept.pop()
    return kept


def _teaser_items(root: _Element, base_url: str | None) -> list[_Element]:
    """Elements side by side with the same tag and kind of class, two or more, each a
    short item headed by a link to another page of the same site."""
    siblings: dict[tuple[_Element, str, str], list[_Element]] = defaultdict(list)
    for heading in root.iter(*_HEADINGS):
        item = _item_of(heading, base_url)
        if item is not None and item.getparent() is not None:
            siblings[(item.getparent(), item.tag, _kind(item))].append(item)
    groups = [list(dict.fromkeys(items)) for items in siblings.values()]
    return [item for items in groups if len(items) >= 2 for item in items]


def _kind(el: _Element) -> str:
    """An item's class without its numbered tokens ("pos-2", "id1227"): what its
    siblings share."""
    return " ".join(sorted(t for t in (el.get("class") or "").split() if not re.search(r"\d", t)))


def _item_of(heading: _Element, base_url: str | None) -> _Element | None:
    """The teaser item a linked heading opens: its nearest ancestor with a class that
    holds little more than a headline and a summary."""
    text = " ".join("".join(heading.itertext()).split())
    linked = sum(len(" ".join("".join(a.itertext()).split()))
                 for a in heading.iter("a") if _other_page(a.get("href"), base_url))
    if not text or linked < _MIN_LINKED_SHARE * len(text):
        return None
    for node in heading.iterancestors():
        if node.tag in ("article", "main", "body"):
            return node if node.tag == "article" and _short(node) else None
        if node.get("class"):
            return node if _short(node) else None
    return None


def _short(el: _Element) -> bool:
    return len(" ".join(el.itertext()).split()) <= _MAX_TEASER_WORDS


def _other_page(href: str | None, base_url: str | None) -> bool:
    """A link to another page of the same site (not a place in this page, not another
    site: a listicle's headings link to the things it lists)."""
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return False
    target = urlsplit(urljoin(base_url or "", href))
    if not base_url:
        return not target.netloc  # a relative link: this site
    here = urlsplit(base_url)
    return target.netloc == here.netloc and target.path.rstrip("/") != here.path.rstrip("/")


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower())[:12])
