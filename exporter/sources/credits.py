"""Splitting a photo credit from its caption, the way publications write them.

Shared by every source: "Kim attends. Photo: AP" -> ("Kim attends.", "AP").
"""

from __future__ import annotations

import re

from ..inline import to_text

_LABEL = (r"(?:photo(?:graph)?s?|pictures?|image(?:\s+credit)?s?|credits?|illustration|"
          r"video|footage|source|copyright|foto)")
# "… Photo: AP" / "… Photograph: Jane Doe/Agency" / "… Credit: X" at the end.
_TRAILING_LABEL = re.compile(rf"\s*[–—-]?\s*\b{_LABEL}\s*(?:by|:)\s*(?P<credit>[^:()\[\]]{{1,120}}?)\s*\.?$",
                             re.I)
# "… (Photo: X)" / "… [Image credit: X]" at the end.
_BRACKETED = re.compile(rf"\s*[(\[]\s*(?:{_LABEL}\s*(?:by|:)\s*)?(?P<credit>[^()\[\]]{{1,120}}?)\s*[)\]]\s*\.?$",
                        re.I)
# "… REUTERS/Kim Hong-Ji" / "… AFP via Getty Images" / "… © Jane Doe".
_AGENCY = (r"(?:REUTERS|AFP|AP|EPA(?:-EFE)?|Getty\s+Images|Xinhua|Bloomberg|Shutterstock|"
           r"Alamy|PA(?:\s+Media|\s+Wire)?|Anadolu|NurPhoto|SOPA\s+Images|Kyodo|Yonhap|"
           r"ANSA|dpa|Reuters)")
_AGENCY_TAIL = re.compile(
    rf"\s*[–—-]?\s*(?P<credit>(?:[\w.'’ -]{{1,60}}\s*/\s*)?{_AGENCY}(?:\s*(?:/|via)\s*[\w.'’ -]{{1,60}})*)\s*\.?$")
_COPYRIGHT = re.compile(r"\s*[–—-]?\s*(?:©|\(c\)|copyright)\s*(?P<credit>[^©]{1,100}?)\s*\.?$", re.I)


def split_credit(caption: str) -> tuple[str, str | None]:
    """(caption, credit) from a caption that may end with its credit.

    Works on inline markup; the credit comes back as plain text.
    """
    text = caption.strip()
    plain = to_text(text).strip()
    for pattern in (_BRACKETED, _TRAILING_LABEL, _COPYRIGHT, _AGENCY_TAIL):
        match = pattern.search(plain)
        if not match:
            continue
        credit = match.group("credit").strip(" .,;")
        if pattern is _BRACKETED and not _is_credit_like(match.group(0), credit):
            continue
        rest = _cut_plain_suffix(text, len(plain) - match.start())
        if credit and (rest or pattern is not _AGENCY_TAIL):
            return rest, credit
    return text, None


def _is_credit_like(whole: str, credit: str) -> bool:
    """A bracketed tail is a credit only if labelled or shaped like an agency credit."""
    return bool(re.search(_LABEL + r"\s*(?:by|:)", whole, re.I)) or bool(
        re.fullmatch(rf"(?:[\w.'’ -]+/)?{_AGENCY}(?:/[\w.'’ -]+)?", credit))


def _cut_plain_suffix(markup: str, plain_chars: int) -> str:
    """Remove the last `plain_chars` visible characters from inline markup."""
    if "<" not in markup and "&" not in markup:
        return markup[: len(markup) - plain_chars].rstrip(" ,;–—-")
    # Rare: markup in the caption. Walk back over visible characters only.
    out, remaining = list(markup), plain_chars
    i = len(out)
    while remaining > 0 and i > 0:
        i -= 1
        if out[i] == ">":
            while i > 0 and out[i] != "<":
                i -= 1
            continue
        remaining -= 1
    return "".join(out[:i]).rstrip(" ,;–—-")
