"""Choosing the real photo of a figure: past lazy-loading tricks, the largest candidate.

Pages defer images with `data-src`/`data-srcset`/`data-lazy-src`, put a 1×1 GIF or an
SVG in `src`, keep the real `<img>` in `<noscript>`, or offer sizes through `srcset` and
`<picture>`. We want the largest real image, and every URL it went by (to recognise
the page's share image among the figures).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import html as lxml_html
from lxml.etree import ParserError, _Element

from ..model import Image
from .common import pixels
from .html_dom import resolve_url

_SRC_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url",
              "data-hi-res-src", "data-full-src", "data-original-src", "src")
_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset", "srcset")
# Whole words of a file name only: "blanket.jpg" and "pixel-phone.jpg" are photos.
_PLACEHOLDER = re.compile(r"(?:^|[-_.])(?:(?:placeholder|blank|spacer|transparent|lazy-?load\w*|"
                          r"missing-image|1x1|loading)(?:[-_.]|$)|pixel\.)", re.I)
_MIN_SIDE = 48  # pixels: anything thinner is a rule, spacer or icon
_UNDECODABLE = frozenset({"image/avif", "image/jxl"})  # types our image step may not read
# A srcset descriptor: "320w" or "1.5x" (ASCII digits; anything else is no descriptor).
_DESCRIPTOR = re.compile(r"([0-9]{1,6}(?:\.[0-9]{0,3})?|\.[0-9]{1,3})([wx])")


def pick_image(container: _Element, base_url: str | None,
               local_dir: Path | None = None) -> tuple[Image | None, set[str]]:
    """(the best image in the container, every URL it is known by).

    A relative path that names a file beside a saved page (a browser's "page_files"
    folder) stays relative to the page: the photo is already on disk.
    """
    for img in _all_imgs(container):
        candidates = _candidates(img)
        real = [c for c in candidates if not is_placeholder(c[0])]
        if not real:
            continue
        best_url, _, best_width = max(real, key=lambda c: c[1])
        width, height = _dimensions(img, best_width)
        if (width and width < _MIN_SIDE) or (height and height < _MIN_SIDE):
            continue  # a rule, spacer or icon drawn as an image
        urls = {_locate(c[0], base_url, local_dir) for c in real}
        alt = img.get("alt") or img.get("data-alt") or ""
        return (Image(src=_locate(best_url, base_url, local_dir), alt=" ".join(alt.split()),
                      width=width, height=height), urls)
    poster = find_poster(container)
    if poster:
        src = _locate(poster, base_url, local_dir)
        return Image(src=src, alt=""), {src}
    return None, set()


_IMAGE_URL = re.compile(r"^(?:https?:)?/{0,2}[^\s\"'<>]+\.(?:jpe?g|png|webp)(?:[?#]\S*)?$", re.I)
_PLAYER_CLASS = re.compile(r"video|player")


def find_poster(container: _Element) -> str | None:
    """The still a player shows before it plays: a `<video poster>` that has nothing
    to play yet, or the image URL a script-driven player keeps in a `poster`/`data-*`
    attribute (`<div class="video-player" data-poster="still.jpg">`)."""
    for el in container.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "video":
            playable = el.get("src") or any(s.get("src") for s in el.iter("source"))
            if el.get("poster") and not playable and not is_placeholder(el.get("poster", "")):
                return el.get("poster")
        elif _PLAYER_CLASS.search((el.get("class") or "").lower()):
            for name, value in el.attrib.items():
                if (name == "poster" or name.startswith("data-")) and _IMAGE_URL.match(value) \
                        and not is_placeholder(value):
                    return value
    return None


def _locate(src: str, base_url: str | None, local_dir: Path | None) -> str:
    src = src.strip()
    if local_dir is not None and not re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", src, re.I):
        path = posixpath.normpath(unquote(urlsplit(src).path))
        try:
            if path and not path.startswith("../") and (local_dir / path).is_file():
                return path
        except (OSError, ValueError):
            pass  # not a usable file name: treat it as a URL
    return resolve_url(src, base_url)


def is_placeholder(url: str) -> bool:
    """A data: URI, GIF, SVG or a file named like a placeholder is never the photo."""
    url = url.strip()
    if not url or url.startswith("data:") or url.startswith("about:"):
        return True
    path = urlsplit(url).path.lower()
    return path.endswith((".gif", ".svg")) or bool(_PLACEHOLDER.search(path.rsplit("/", 1)[-1]))


def shows_photo(img: _Element) -> bool:
    """Whether an `<img>` names a real photo anywhere (src, srcset, lazy-loading
    attributes), not only a placeholder."""
    return any(not is_placeholder(url) for url, _, _ in _candidates(img))


def _all_imgs(container: _Element) -> list[_Element]:
    """Images in document order, then `<noscript>` copies, then script-loaded stand-ins
    (a `<div data-src>` that a page's JavaScript turns into an image)."""
    images = list(container.iter("img"))
    for noscript in container.iter("noscript"):
        images.extend(_noscript_images(noscript))
    images.extend(el for el in container.iter()
                  if isinstance(el.tag, str) and el.tag not in ("img", "source", "a")
                  and (el.get("data-src") or el.get("data-srcset")))
    return images


def _noscript_images(noscript: _Element) -> list[_Element]:
    images = list(noscript.iter("img"))
    text = noscript.text or ""
    if images or "<img" not in text:
        return images
    try:
        return list(lxml_html.fragment_fromstring(text, create_parent="div").iter("img"))
    except (ParserError, ValueError):
        return []


def _candidates(img: _Element) -> list[tuple[str, int, int | None]]:
    """(url, score, width) triples: srcset candidates by size, then plain sources at 0."""
    found: list[tuple[str, int, int | None]] = []
    sets = [img.get(a) for a in _SRCSET_ATTRS]
    # lxml's HTML 4 parser does not know <source> is empty and may nest the <img> in it.
    picture = next(img.iterancestors("picture"), None)
    if picture is not None:
        sets += [s.get(a) for s in picture.iter("source")
                 if (s.get("type") or "").lower() not in _UNDECODABLE for a in _SRCSET_ATTRS]
    for srcset in sets:
        found.extend(parse_srcset(srcset or ""))
    found.extend((img.get(a, "").strip(), 0, None) for a in _SRC_ATTRS if img.get(a, "").strip())
    return found


def parse_srcset(srcset: str) -> list[tuple[str, int, int | None]]:
    """`a.jpg 320w, b.jpg 2x` -> [(a.jpg, 320, 320), (b.jpg, 2000, None)]."""
    out: list[tuple[str, int, int | None]] = []
    for part in re.split(r",\s+(?=\S)", srcset.strip()):
        bits = part.split()
        if not bits:
            continue
        score, width = 1, None
        number = _DESCRIPTOR.fullmatch(bits[1].lower()) if len(bits) > 1 else None
        if number:
            value = float(number.group(1))
            if number.group(2) == "w":
                score = width = int(value)
            else:  # a pixel density: "2x" beats any plain src but not a known width
                score = int(value * 1000)
        out.append((bits[0], score, width))
    return out


def _dimensions(img: _Element, chosen_width: int | None) -> tuple[int | None, int | None]:
    """Width and height of the chosen candidate, scaled from the tag's own if need be."""
    width = pixels(img.get("width") or img.get("data-width")) or None  # 0: not given
    height = pixels(img.get("height") or img.get("data-height")) or None
    if chosen_width and width and height:
        return chosen_width, round(height * chosen_width / width)
    if chosen_width:
        return chosen_width, None
    return width, height


