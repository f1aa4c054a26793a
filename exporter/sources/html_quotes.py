"""Who said it: a quote's `<cite>` / `<footer>` attribution, which the text extractor
runs into the quote's own text."""

from __future__ import annotations

import html
import re

from lxml.etree import _Element

from ..inline import to_text
from ..model import Block, Quote
from .html_dom import text_of, tokens_of

_ATTRIBUTION_CLASS = re.compile(r"attribution|author|source|byline|cite")
_DASHES = " \u2014\u2013-~\u2015"


def attribute_quotes(root: _Element, blocks: list[Block]) -> list[Block]:
    """Blocks with each quote's attribution split out, where the page marks one."""
    if not any(isinstance(b, Quote) and not b.attribution for b in blocks):
        return blocks
    marked: list[tuple[str, str]] = []  # (the blockquote's opening words, who)
    for quote in root.iter("blockquote"):
        source = _attribution_element(quote)
        if source is not None and text_of(source):
            marked.append((_key(text_of(quote)), text_of(source).strip(_DASHES)))
    out: list[Block] = []
    for block in blocks:
        who = None
        if isinstance(block, Quote) and not block.attribution:
            # The page's text also holds the attribution: compare the opening words only.
            opening = _key(to_text(block.text))
            who = next((w for key, w in marked if opening and key.startswith(opening)), None)
        if isinstance(block, Quote) and who:
            block = Quote(text=_without_tail(block.text, who), attribution=who)
        out.append(block)
    return out


def _attribution_element(quote: _Element) -> _Element | None:
    for el in quote.iter():
        if el is not quote and isinstance(el.tag, str) and (
                el.tag in ("cite", "footer") or _ATTRIBUTION_CLASS.search(tokens_of(el))):
            return el
    return None


def _without_tail(markup: str, who: str) -> str:
    """The quote's text without the attribution the extractor appended to it."""
    dashes = re.escape(_DASHES)
    pattern = re.compile(rf"(?:<br>|\s)*[{dashes}]*\s*{re.escape(html.escape(who, quote=False))}\s*$")
    return pattern.sub("", markup).rstrip() or markup


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower())[:10])
