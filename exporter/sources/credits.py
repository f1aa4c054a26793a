"""Splitting a photo credit from its caption, the way publications write them.

Shared by every source: "Kim attends. Photo: AP" -> ("Kim attends.", "AP").

A credit is only split off when it is shaped like one: a capitalised label ("Photo:",
"Photograph:", "Credit:"), a bracket holding a label or an agency, a copyright sign, or
an agency credit ("REUTERS/Name", "AFP via Getty Images") standing after the sentence.
Ordinary sentences ending in "(left)", "(pictured)" or "… told the AP" are left alone.
"""

from __future__ import annotations

import functools
import re

from ..inline import to_text


class _Lazy:
    """A regex compiled at its first search: a build whose captions come with their
    credit, or have none, does not compile these (6 ms of every rebuild)."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags

    @functools.cached_property
    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self.flags)

    def search(self, text: str, *bounds: int) -> re.Match[str] | None:
        return self.compiled.search(text, *bounds)


# Words that introduce a credit. Matched case-insensitively, but see _acceptable.
_LABEL = (r"(?:photo(?:graph)?s?|pictures?|pic|images?(?:\s+(?:credit|source))?|credits?|"
          r"illustrations?|graphics?|video|footage|source|foto|圖片?|图片?|攝影?|摄影?|写真|사진)")
_LABEL_END = r"(?:\bby\b|[:：]|\.\.\.|…)"  # "Photo by X", "Photo: X", "Credit...X"
# A person's or desk's name inside an agency credit: "Kim Hong-Ji", "JEON HEON-KYUN", "File".
_NAME = r"[\w.'’-]+(?:\s+[\w.'’-]+){0,4}"
_AGENCY = (r"(?:REUTERS|Reuters|AFP|AP|EPA(?:-EFE)?|Getty\s+Images|Xinhua|Bloomberg|"
           r"Shutterstock|Alamy|PA(?:\s+Media|\s+Wire)?|Anadolu|NurPhoto|SOPA\s+Images|"
           r"Kyodo|Yonhap|ANSA|dpa|Kremlin|KCNA|Sputnik|TASS|Handout)")
# "Kim Hong-Ji/Reuters", "REUTERS/Kim Hong-Ji", "AP Photo/Lee Jin-man", "Yonhap via AP".
# Bounded repeats: a credit has at most a few slashes, and unbounded ones make long
# slash-ridden lines slow to reject.
_AGENCY_CREDIT = (rf"(?:{_NAME}\s*/\s*){{0,3}}{_AGENCY}(?:\s+Photos?)?"
                  rf"(?:\s*(?:/|\bvia\b)\s*{_NAME}){{0,3}}")
# Where a credit may start: the caption's start, after a sentence, or after a dash.
_AFTER_SENTENCE = r"(?:^|(?<=[.!?”\"’)])\s+|\s+[–—-]\s+|\s*\|\s*)"

# "… Photo: AP", "… Photograph: Jane Doe/Agency", "…weddings.Credit...Jane Doe for X".
_TRAILING_LABEL = _Lazy(
    rf"(?:^|\s+[–—-]?\s*|(?<=[.!?。！？]))(?P<label>{_LABEL})\s*{_LABEL_END}\s*"
    rf"(?P<credit>[^:：()\[\]（）【】]{{1,120}}?)\s*\.?$",
    re.I)
_BRACKETED = _Lazy(
    rf"\s*[(\[（【]\s*(?P<label>{_LABEL}\s*{_LABEL_END}\s*)?(?P<credit>[^()\[\]（）【】]{{1,120}}?)"
    rf"\s*[)\]）】]\s*\.?$",
    re.I)
_COPYRIGHT = _Lazy(rf"{_AFTER_SENTENCE}(?:©|\(c\)|Copyright\b)\s*(?P<credit>[^©]{{1,100}}?)\s*\.?$")
_AGENCY_TAIL = _Lazy(rf"{_AFTER_SENTENCE}(?P<credit>{_AGENCY_CREDIT})\s*\.?$")
# Without a sentence break before it, only a slash or "via" marks an agency credit:
# "Soldiers march REUTERS/Kim Hong-Ji", never "… spoke to the AP".
_AGENCY_TAIL_UNBROKEN = _Lazy(
    rf"(?:^|\s+)(?P<credit>(?:[A-Z][\w.'’-]*\s+){{0,3}}[A-Z][\w.'’-]*\s*/\s*{_AGENCY_CREDIT}"
    rf"|{_AGENCY}(?:\s*(?:/|\bvia\b)\s*{_NAME}){{1,3}})\s*\.?$")

_MAX_CREDIT_WORDS = 12
_ENTITY_END = _Lazy(r"&#?\w{1,10};$")


def split_credit(caption: str) -> tuple[str, str | None]:
    """(caption, credit) from a caption that may end with its credit.

    Works on inline markup; the credit comes back as plain text. A caption with no
    credit-shaped tail comes back unchanged with credit None.
    """
    text = caption.strip()
    plain = to_text(text).strip()
    for pattern in (_BRACKETED, _TRAILING_LABEL, _COPYRIGHT, _AGENCY_TAIL, _AGENCY_TAIL_UNBROKEN):
        match = pattern.search(plain)
        if not match or not _acceptable(pattern, match):
            continue
        credit = match.group("credit").strip(" .,;")
        rest = _cut_plain_suffix(text, len(plain) - match.start())
        if credit and (rest or pattern in (_BRACKETED, _TRAILING_LABEL, _COPYRIGHT)):
            return rest, credit
    return text, None


def _acceptable(pattern: _Lazy, match: re.Match[str]) -> bool:
    """Checks a regex cannot express: label capitalisation, credit length and shape."""
    credit = match.group("credit").strip(" .,;")
    if len(credit.split()) > _MAX_CREDIT_WORDS or re.search(r"[.!?]\s+[A-Z]", credit):
        return False  # a sentence, not a name
    if pattern is _BRACKETED:
        return bool(match.group("label")) or bool(re.fullmatch(_AGENCY_CREDIT, credit))
    if pattern is _TRAILING_LABEL:
        # "Photo: AP" is a credit; "… the image: nice" and "… photo by night" are prose.
        label = match.group("label")
        return label[0].isupper() or not label.isascii()
    return True


def _cut_plain_suffix(markup: str, plain_chars: int) -> str:
    """Remove the last `plain_chars` visible characters from inline markup."""
    if "<" not in markup and "&" not in markup:
        return markup[: len(markup) - plain_chars].rstrip(" ,;–—-|")
    # Rare: markup in the caption. Walk back over visible characters only.
    out, remaining = list(markup), plain_chars
    i = len(out)
    while remaining > 0 and i > 0:
        i -= 1
        if out[i] == ">":
            while i > 0 and out[i] != "<":
                i -= 1
            continue
        entity = _ENTITY_END.search(markup, 0, i + 1) if out[i] == ";" else None
        if entity:
            i = entity.start()  # an entity is one visible character
        remaining -= 1
    return "".join(out[:i]).rstrip(" ,;–—-|")
