"""Author names as the model wants them: people only, no "By", desks, titles or handles.

Pages put all sorts into their author fields: "TOM KRISHER, AP Auto Writer", "Jill
Disis, CNN Business", "Amy Kuperinsky | NJ Advance Media", "Ilana Muhlstein, MS, RDN",
"admin", "Staff Reports". Each comma/and-separated part is kept only if it looks like a
person's name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_BY = re.compile(r"^\s*(?:by|written by|words by|von|par|por)\s+", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|\b(?:and|et|und|y|e|en|och|og)\b|&|\|)\s*|\s+[-–—]\s+")
# Co-writers in brackets: "X (avec Y et Z)", "X (with Y)", "X (mit Y und Z)".
CO_WRITERS = re.compile(r"\s*\((?:with|avec|mit|con|com|met|med)\s+([^()]+)\)", re.I)
FOR_OUTLET = re.compile(r"\s+for\s+\S.*$", re.I)  # "Jane Roe for the Gazette": the outlet
# Words that make a byline part a desk, job title, outlet or agency rather than a person.
_NOT_A_PERSON = re.compile(
    r"\b(?:staff|reports?|desk|wire|newsroom|editors?|editorial|team|agenc(?:y|ies)|press|"
    r"correspondents?|writer|reporter|contributor|columnist|news|media|business|"
    r"international|insider|magazine|online|admin|webmaster|guest|partner|sponsored)\b|"
    r"\.(?:com|net|org|co|uk)\b", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,4}|Ph\.?D\.?|M\.?D\.?|Jr\.?|Sr\.?)$")


def people(names: Iterable[str]) -> list[str]:
    """The people among `names`, each once, in order, capitalised as names."""
    found: list[str] = []
    for name in names:
        name = html.unescape(" ".join(name.split()))
        if name.startswith(("http://", "https://")):
            continue
        name = CO_WRITERS.sub(r" and \1", name)
        for part in _SPLIT.split(FOR_OUTLET.sub("", _BY.sub("", name))):
            part = part.strip(" .")
            if _is_person(part):
                found.append(_capitalised(part))
    return list(dict.fromkeys(found))


def _is_person(part: str) -> bool:
    if not part or _NOT_A_PERSON.search(part) or _CREDENTIAL.match(part):
        return False
    if re.search(r"[\d_@#/]", part) or len(part.split()) > 5:
        return False  # handles, dates, sentences
    # One lower- or upper-case word is a login ("admin", "KWCHCIK"), not a byline.
    return not ((part.islower() or part.isupper()) and len(part.split()) == 1)


def _capitalised(name: str) -> str:
    """ "TOM KRISHER" -> "Tom Krisher"; names already in mixed case are left alone."""
    if name.isupper() and len(name) > 3:
        return " ".join(w.capitalize() if w.isalpha() else w.title() for w in name.split())
    return name
