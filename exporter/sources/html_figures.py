"""Photos with their captions and credits, found on the page's own DOM.

Article extractors drop captions, so figures are read from the original page: `<figure>`,
WordPress `wp-caption` boxes and any image next to an element whose class says
caption. The real image is chosen over lazy-loading placeholders; credits come from
`<cite>` / `.credit`-like elements, or are split from the caption text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml.etree import _Element

from ..model import Embed, Figure
from .common import pixels
from .credits import split_credit
from .html_dom import inline_markup, is_furniture, text_of, tokens_of
from .html_embeds import find_player
from .html_images import pick_image

_CAPTION = re.compile(r"caption")
_CREDIT = re.compile(r"credit|copyright|photographer|attribution")
_LEFTOVER_LABEL = re.compile(
    r"(?:\s*[(\[]?\s*(?:(?:image|photo(?:graph)?|picture)s?\s*(?:credits?|copyright|source)?|"
    r"credits?|copyright|source)\s*(?::|\bby)|\s*[|/–—-])\s*$", re.I)
_MAX_FIGURE_WORDS = 150  # caption and credit; more is a stretch of the article
_CREDIT_LABEL = re.compile(
    r"^\s*[(\[]?\s*(?:©\s*)?(?:(?:(?:image|photo(?:graph)?|picture|video|illustration)s?\s+)?"
    r"(?:copyright|credits?|source)\s*:?|(?:image|photo(?:graph)?|picture|video|illustration)s?"
    r"\s*(?::|by\b))?\s*(?:©\s*)?", re.I)


@dataclass
class FoundFigure:
    """A figure (or a player kept as an embed) and where it came from, for placing it
    among the paragraphs."""

    block: Figure | Embed
    element: _Element  # its container in the page
    urls: frozenset[str] = field(default_factory=frozenset)  # every URL its image went by
    bare: bool = False  # an <img>/<iframe> with no figure markup: only kept inside the body


def find_figures(root: _Element, base_url: str | None,
                 local_dir: Path | None = None) -> list[FoundFigure]:
    """Every captioned or framed photo outside page furniture, in document order."""
    containers = _containers(root)
    taken = {el for c in containers for el in c.iter("img", "iframe", "video")}
    bare = {el for el in root.iter("img", "iframe", "video")
            if el not in taken and (el.tag != "img" or _photo_sized(el))}
    wanted = set(containers) | bare
    found = []
    for container in (el for el in root.iter() if el in wanted):  # in page order
        if is_furniture(container):
            continue
        figure = read_figure(container, base_url, local_dir)
        if figure is not None and (container not in bare or _has_media(figure.block)):
            figure.bare = container in bare
            found.append(figure)
    return found


def _has_media(block: Figure | Embed) -> bool:
    return isinstance(block, Embed) or block.image is not None


def _photo_sized(img: _Element) -> bool:
    """An uncaptioned image big enough to be a photo rather than an icon or avatar."""
    return (pixels(img.get("width")) or 0) >= 300


def read_figure(container: _Element, base_url: str | None,
                local_dir: Path | None = None) -> FoundFigure | None:
    """Image, caption and credit of one container; None if it has neither photo nor text.

    A container with a player and no photo becomes an embed with the caption.
    """
    image, urls = pick_image(container, base_url, local_dir)
    caption_el = _caption_element(container)
    credit_els = _credit_elements(container, caption_el)
    skip = set(credit_els)
    caption = inline_markup(caption_el, skip) if caption_el is not None else ""
    credit = "; ".join(dict.fromkeys(c for c in (clean_credit(text_of(e)) for e in credit_els) if c))
    if credit:
        caption = _LEFTOVER_LABEL.sub("", caption)  # "… Photo: <span class=credit>X</span>"
    elif caption:
        caption, split = split_credit(caption)
        credit = split or ""
    player = find_player(container, base_url) if image is None else None
    if player is not None:
        text = " ".join(t for t in (caption, f"({credit})" if credit else "") if t)
        return FoundFigure(Embed(url=player[0], title=player[1], caption=text or None),
                           container)
    if image is None and not caption:
        return None
    return FoundFigure(Figure(image=image, caption=caption or None, credit=credit or None),
                       container, frozenset(urls))


def clean_credit(text: str) -> str:
    """A credit without its label or brackets: "(Image credit: NASA)" -> "NASA"."""
    text = " ".join(text.split())
    text = _CREDIT_LABEL.sub("", text)
    return text.strip(" ()[].,;:—–-")


# Elements that say caption or credit in class, id or itemprop: found by XPath, which
# is much faster than walking every element in Python.
_LABELLED_XPATH = etree.XPath(
    "//*[contains(translate(concat(@class, ' ', @id), 'CAPTIONREDT', 'captionredt'), 'caption')"
    " or contains(translate(@class, 'CREDIT', 'credit'), 'credit') or @itemprop = 'caption']")


def _containers(root: _Element) -> list[_Element]:
    """Outermost figure-like elements."""
    candidates: list[_Element] = list(root.iter("figure"))
    for el in _LABELLED_XPATH(root):
        if el.tag == "figure" or not isinstance(el.tag, str):
            continue
        classes = tokens_of(el)
        if "wp-caption" in classes.split():
            candidates.append(el)
        elif (_CAPTION.search(classes) or _CREDIT.search(classes)
              or el.get("itemprop") == "caption") and el.tag not in ("img", "body", "html"):
            holder = _image_holder(el)
            if holder is not None:
                candidates.append(holder)
    chosen = set(candidates)
    return [c for c in chosen if not any(a in chosen for a in c.iterancestors())]


def _image_holder(caption_el: _Element) -> _Element | None:
    """The nearest small ancestor (up to three levels) holding exactly one photo.

    `caption_el` is a caption or a credit: either makes its photo a figure. One inside
    a <figure> belongs to that figure; an ancestor with more text than a caption and a
    credit is a section of the article, not a figure.
    """
    if next(caption_el.iterancestors("figure"), None) is not None:
        return None
    el = caption_el
    for _ in range(3):
        el = el.getparent()
        if el is None or el.tag in ("body", "html", "article", "main"):
            return None
        if len(" ".join(el.itertext()).split()) > _MAX_FIGURE_WORDS:
            return None
        images = sum(1 for _ in _imgs(el))
        if images == 1:
            return el
        if images > 1:
            return None
    return None


def _imgs(el: _Element) -> Iterator[_Element]:
    """Images of an element, not counting the copies pages keep in <noscript>."""
    for img in el.iter("img"):
        if next(img.iterancestors("noscript"), None) is None:
            yield img


def _caption_element(container: _Element) -> _Element | None:
    for el in container.iter():
        if not isinstance(el.tag, str) or el is container:
            continue
        if el.tag == "figcaption" or el.get("itemprop") == "caption" \
                or "wp-caption-text" in tokens_of(el):
            return el
    for el in container.iter():
        if isinstance(el.tag, str) and el is not container and el.tag != "img" \
                and _CAPTION.search(tokens_of(el)) and text_of(el):
            return el
    return None


def _credit_elements(container: _Element, caption_el: _Element | None) -> list[_Element]:
    """Innermost credit-like elements that do not wrap the caption itself."""
    found = []
    for el in container.iter():
        if not isinstance(el.tag, str) or el is container or not text_of(el):
            continue
        if el.tag == "cite" or _CREDIT.search(tokens_of(el)) \
                or el.get("itemprop") in ("copyrightHolder", "creditText", "author"):
            if caption_el is not None and (el is caption_el or el in caption_el.iterancestors()):
                continue  # wraps the caption: not a credit of its own
            found.append(el)
    return [e for e in found if not any(o is not e and e in o.iterancestors() for o in found)]

