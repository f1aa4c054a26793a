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

from ..inline import to_text
from ..model import Embed, Figure
from .common import pixels
from .credits import split_credit
from .html_dom import inline_markup, is_furniture, text_of, tokens_of
from .html_embeds import find_player
from .html_images import find_poster, pick_image, shows_photo

_CAPTION = re.compile(r"caption")
_CREDIT = re.compile(r"credit|copyright|photographer|attribution")
_LEFTOVER_LABEL = re.compile(
    r"(?:\s*[(\[]?\s*(?:(?:image|photo(?:graph)?|foto|picture)s?\s*(?:credits?|copyright|source)?|"
    r"credits?|copyright|source)\s*(?::|\bby)|\s*[|/–—-])\s*$", re.I)
_MAX_FIGURE_WORDS = 150  # caption and credit; more is a stretch of the article
_CREDIT_LABEL = re.compile(
    r"^\s*[(\[]?\s*(?:©\s*)?(?:(?:(?:image|photo(?:graph)?|foto|picture|video|illustration)s?\s+)?"
    r"(?:copyright|credits?|source)\s*:?|(?:image|photo(?:graph)?|foto|picture|video|illustration)s?"
    r"\s*(?::|by\b))?\s*(?:©\s*)?", re.I)


_MAX_CREDIT_WORDS = 12
# A caption that is only a credit: "Credit Jane Doe", "Photo: AP", "© Jane Doe".
_CREDIT_ONLY = re.compile(r"^\s*(?:©|(?:(?:photo|image)\s+)?credits?\b|copyright\b|"
                          r"(?:photo(?:graph)?|image|picture)s?\s*(?::|by\b))\s*:?\s*(?-i:[A-Z©])", re.I)
# Credits that name where a photo came from rather than who took it.
_SOURCE_PHOTO = re.compile(r"\s+(?P<credit>(?:submitted|contributed|courtesy|file|staff|handout|"
                           r"provided|supplied)\s+(?:photo|image|picture)s?)\s*\.?$", re.I)
# "aption" finds "caption" and "ImageCaption" alike, without lower-casing every class.
_CAPTION_ROLE_XPATH = etree.XPath(
    "//figcaption[not(ancestor::figure)] | //*[@role='caption']"
    " | //*[contains(@class, 'aption')][not(ancestor::figure)]")
_MAX_CAPTION_WORDS = 80


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
    beside = sibling_captions(root, containers)
    containers = _outermost(set(containers) | set(beside))
    taken = {el for c in containers for el in c.iter("img", "iframe", "video")}
    bare = {el for el in root.iter("img", "iframe", "video")
            if el not in taken and (el.tag != "img" or _photo_sized(el))}
    wanted = set(containers) | bare
    found = []
    for container in (el for el in root.iter() if el in wanted):  # in page order
        if is_furniture(container):
            continue
        figure = read_figure(container, base_url, local_dir, beside.get(container))
        if figure is not None and (container not in bare or _has_media(figure.block)):
            figure.bare = container in bare
            found.append(figure)
    return found


def _has_media(block: Figure | Embed) -> bool:
    return isinstance(block, Embed) or block.image is not None


def _photo_sized(img: _Element) -> bool:
    """An uncaptioned image big enough to be a photo rather than an icon or avatar."""
    return (pixels(img.get("width")) or 0) >= 300


def read_figure(container: _Element, base_url: str | None, local_dir: Path | None = None,
                caption_beside: _Element | None = None) -> FoundFigure | None:
    """Image, caption and credit of one container; None if it has neither photo nor text.

    `caption_beside` is a caption printed right after the container rather than in it.
    A container with a player and no photo becomes an embed with the caption.
    """
    image, urls = pick_image(container, base_url, local_dir)
    caption_el = _caption_element(container)
    if caption_el is None and caption_beside is not None:
        caption_el = caption_beside
    credit_els = _credit_elements(container, caption_el)
    if caption_el is caption_beside and caption_beside is not None:
        credit_els += _credit_elements(caption_beside, None)
    skip = set(credit_els)
    caption = inline_markup(caption_el, skip) if caption_el is not None else ""
    credit = "; ".join(dict.fromkeys(c for c in (clean_credit(text_of(e)) for e in credit_els) if c))
    if credit:
        caption = _LEFTOVER_LABEL.sub("", caption)  # "… Photo: <span class=credit>X</span>"
    elif caption:
        caption, credit = _caption_and_credit(caption)
    player = find_player(container, base_url) if image is None else None
    if player is not None:
        text = " ".join(t for t in (caption, f"({credit})" if credit else "") if t)
        return FoundFigure(Embed(url=player[0], title=player[1], caption=text or None),
                           container)
    if image is None and not caption:
        return None
    return FoundFigure(Figure(image=image, caption=caption or None, credit=credit or None),
                       container, frozenset(urls))


def _caption_and_credit(caption: str) -> tuple[str, str]:
    """A caption's credit split off: one written after the caption ("… Photo: AP",
    "… Submitted photo"), or a caption that is nothing but a credit ("Credit Jane Doe")."""
    plain = to_text(caption)
    if _CREDIT_ONLY.match(plain) and len(plain.split()) <= _MAX_CREDIT_WORDS:
        return "", clean_credit(plain)
    caption, split = split_credit(caption)
    if split:
        return caption, split
    source = _SOURCE_PHOTO.search(plain)
    if source and source.start() > 0:
        return _LEFTOVER_LABEL.sub("", caption[:len(caption) - (len(plain) - source.start())]).strip(), \
            source.group("credit")
    return caption, ""


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
    candidates += [t for t in root.iter("table") if _layout_caption(t) is not None]
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
    return _outermost(set(candidates))


def _outermost(chosen: set[_Element]) -> list[_Element]:
    return [c for c in chosen if not any(a in chosen for a in c.iterancestors())]


def sibling_captions(root: _Element, containers: list[_Element]) -> dict[_Element, _Element]:
    """Image wrappers whose caption is printed as their next sibling, not inside them:
    a `<figcaption>` after `</figure>`, a `caption`-classed or `role="caption"` element
    after a photo's or a player's wrapper. Maps the wrapper to its caption."""
    inside = {el for c in containers for el in c.iter()}
    found: dict[_Element, _Element] = {}
    for caption in _CAPTION_ROLE_XPATH(root):
        if caption in inside or caption.tag in ("img", "body", "html", "figure") \
                or any(True for _ in _imgs(caption)) \
                or not 0 < len(text_of(caption).split()) <= _MAX_CAPTION_WORDS:
            continue
        wrapper = caption.getprevious()
        while wrapper is not None and not isinstance(wrapper.tag, str):
            wrapper = wrapper.getprevious()
        if wrapper is None or (wrapper in inside and wrapper not in containers):
            continue
        if wrapper.tag == "figure" and _caption_element(wrapper) is not None:
            continue
        if _media_count(wrapper) == 1:
            found[wrapper] = caption
    return found


def _media_count(el: _Element) -> int:
    """Photos in an element (an `<img>` itself counts), or 1 for a player's poster."""
    if el.tag == "img":
        return 1
    images = list(_imgs(el))
    if len(images) > 1:  # placeholders stacked over one photo while it loads are not photos
        return max(1, sum(1 for img in images if shows_photo(img)))
    return len(images) or (1 if find_poster(el) else 0)


def _image_holder(caption_el: _Element) -> _Element | None:
    """The nearest small ancestor (up to three levels) holding exactly one photo.

    `caption_el` is a caption or a credit: either makes its photo a figure. One inside
    a <figure> belongs to that figure; an ancestor with more text than a caption and a
    credit is a section of the article, not a figure.
    """
    if next(caption_el.iterancestors("figure"), None) is not None:
        return None
    before = caption_el.getprevious()
    if before is not None and isinstance(before.tag, str) and before.tag != "img" \
            and _CAPTION.search(tokens_of(caption_el)) and _media_count(before) == 1:
        return None  # a caption beside its photo's wrapper: sibling_captions pairs them
    el = caption_el
    for _ in range(3):
        el = el.getparent()
        if el is None or el.tag in ("body", "html", "article", "main"):
            return None
        if len(" ".join(el.itertext()).split()) > _MAX_FIGURE_WORDS:
            return None
        images = _media_count(el)
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


def _layout_caption(table: _Element) -> _Element | None:
    """The caption cell of a layout table that frames one photo: one column, the photo's
    row, then a row of short text (a data table has several columns or several photos)."""
    rows = [r for r in table.iter("tr") if next(r.iterancestors("table")) is table]
    cells = [[c for c in r if c.tag in ("td", "th")] for r in rows]
    if not 2 <= len(rows) <= 3 or any(len(c) != 1 for c in cells) or _media_count(table) != 1:
        return None
    photo_row = next((i for i, c in enumerate(cells) if _media_count(c[0]) == 1), None)
    if photo_row is None or photo_row + 1 >= len(rows):
        return None
    caption = cells[photo_row + 1][0]
    words = len(text_of(caption).split())
    return caption if 0 < words <= _MAX_CAPTION_WORDS else None


def _caption_element(container: _Element) -> _Element | None:
    if container.tag == "table":
        return _layout_caption(container)
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

