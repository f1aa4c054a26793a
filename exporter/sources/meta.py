"""Reading article metadata lines as pages print them: dates, bylines, reading times.

Shared by every source that meets such lines as text. Each parser takes one whole line
and answers None when the line is not of its kind, so a caller can try them in turn
without a paragraph that merely mentions a date or a name being taken for metadata.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# English, German, French, then Spanish, Italian and Portuguese names.
_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january", "januar", "janvier", "enero", "gennaio", "janeiro"),
    ("feb", "february", "februar", "février", "febrero", "febbraio", "fevereiro"),
    ("mar", "march", "märz", "mars", "marzo", "março"), ("apr", "april", "avril", "abril", "aprile"),
    ("may", "mai", "mayo", "maggio", "maio"), ("jun", "june", "juni", "juin", "junio", "giugno", "junho"),
    ("jul", "july", "juli", "juillet", "julio", "luglio", "julho"),
    ("aug", "august", "août", "agosto"),
    ("sep", "sept", "september", "septembre", "septiembre", "setiembre", "settembre", "setembro"),
    ("oct", "october", "oktober", "octobre", "octubre", "ottobre", "outubro"),
    ("nov", "november", "novembre", "noviembre", "novembro"),
    ("dec", "december", "dezember", "décembre", "diciembre", "dicembre", "dezembro")), start=1)
    for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\.?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"

# The date part of a line, in the orders pages use. Numeric d/m/y is ambiguous: not read.
_DATES = tuple(re.compile(p, re.I) for p in (
    rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b",            # 19 June 2024, 26 Jun 2024
    rf"\b{_DAY}\s+de\s+{_MONTH}\s+(?:de\s+|del\s+)?{_YEAR}\b",  # 19 de junio de 2024
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",            # June 19, 2024
    rf"\b{_YEAR}[-/.](?P<month>\d{{1,2}})[-/.](?P<day>\d{{1,2}})\b",  # 2024/06/19
    rf"{_YEAR}\s*年\s*(?P<month>\d{{1,2}})\s*月\s*(?P<day>\d{{1,2}})\s*日",  # 2024年6月19日
))
_TIME = re.compile(r"\b(?P<hour>\d{1,2})(?:[:.h](?P<minute>\d{2}))?\s*(?P<half>[ap]\.?m\.?)?(?=\W|$)",
                   re.I)
# Zone abbreviations seen on English-language news pages, as UTC offsets in hours.
_ZONES = {"utc": 0, "gmt": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3,
          "msk": 3, "ist": 5.5, "sgt": 8, "hkt": 8, "awst": 8, "kst": 9, "jst": 9,
          "aest": 10, "aedt": 11, "nzst": 12, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
          "mst": -7, "mdt": -6, "pst": -8, "pdt": -7}
# US zones named without daylight saving: the offset is unknown, so the time stays local.
_LOCAL_ZONES = ("et", "pt", "ct", "mt")
_ZONE = re.compile(r"\b(?:(?P<offset_base>gmt|utc)\s*(?P<offset>[+-]\d{1,2}(?::?\d{2})?)|"
                   r"(?P<abbr>" + "|".join(sorted([*_ZONES, *_LOCAL_ZONES], key=len, reverse=True))
                   + r"))\b",
                   re.I)
_DATE_LABEL = re.compile(
    r"^\s*(?:(?P<label>first\s+published|published|last\s+(?:modified|updated)|updated|"
    r"modified|posted|date|veröffentlicht|aktualisiert|publiée?|mis à jour|publicado|actualizado|"
    r"pubblicato|aggiornato|atualizado)(?:\s+(?:on|at|am|le|el|il|em))?\s*:?\s*)?", re.I)
# What may remain of a date line once its date, time and zone are taken out.
_DATE_FILLER = re.compile(
    r"(?:\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday)?\b|"
    r"\b(?:on|at|am|um|uhr|à|a las|às|alle|ore)(?!\w)|[\s,.|•·()–—-])*", re.I)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?")


def parse_date(text: str) -> str | None:
    """The ISO 8601 date a date line states, as precise as it states it.

    "Published: 3:00pm, 26 Jun 2024" -> "2024-06-26T15:00"; "Mon 24 Jun 2024 06.00 BST"
    -> "2024-06-24T06:00+01:00"; "19 June 2024" -> "2024-06-19". Relative dates
    ("2 hours ago"), dates without a year and lines with other words answer None.
    """
    rest = _DATE_LABEL.sub("", text.strip(), count=1)
    if _ISO.fullmatch(rest):
        return _iso_as_given(rest)
    found = _find_date(rest)
    if found is None:
        return None
    day, rest = found
    zone = _ZONE.search(rest)
    offset = _zone_offset(zone) if zone else None
    if zone:
        rest = rest[:zone.start()] + " " + rest[zone.end():]
    time = _TIME.search(rest)
    if time and not (time.group("minute") or time.group("half")):
        time = None  # a lone number is not a time
    if time:
        rest = rest[:time.start()] + " " + rest[time.end():]
    if _DATE_FILLER.fullmatch(rest) is None:
        return None
    if not time:
        return day.isoformat() if zone is None else None
    clock = _clock(time)
    if clock is None:
        return None
    return f"{day.isoformat()}T{clock}{offset or ''}"


def date_label(text: str) -> str | None:
    """"updated" for a line that says it is an update date, else "published"."""
    match = _DATE_LABEL.match(text)
    label = (match.group("label") or "").lower() if match else ""
    return ("updated" if re.match(r"last|updated|modified|aktualisiert|mis|actualizado|aggiornato|"
                                  r"atualizado", label) else "published")


def _find_date(text: str) -> tuple[date, str] | None:
    """The first full date in `text` and the text with that date taken out."""
    for pattern in _DATES:
        match = pattern.search(text)
        if not match:
            continue
        month = match.group("month")
        number = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
        try:
            day = date(int(match.group("year")), number, int(match.group("day")))
        except ValueError:
            return None
        return day, text[:match.start()] + " " + text[match.end():]
    return None


def _clock(time: re.Match[str]) -> str | None:
    """"HH:MM" from a matched time with optional am/pm; None when out of range."""
    hour, minute = int(time.group("hour")), int(time.group("minute") or 0)
    half = (time.group("half") or "").replace(".", "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _zone_offset(zone: re.Match[str]) -> str:
    """"Z" or "+HH:MM" for a matched zone abbreviation or GMT+N offset, "" if unknown."""
    if zone.group("abbr") and zone.group("abbr").lower() in _LOCAL_ZONES:
        return ""
    if zone.group("abbr"):
        hours = _ZONES[zone.group("abbr").lower()]
        minutes = round(abs(hours) * 60)
        sign = "-" if hours < 0 else "+"
    else:
        offset = zone.group("offset").replace(":", "")
        sign, digits = offset[0], offset[1:]
        minutes = int(digits[:-2] or 0) * 60 + int(digits[-2:]) if len(digits) > 2 else int(digits) * 60
    if minutes == 0:
        return "Z"
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _iso_as_given(text: str) -> str | None:
    """An ISO 8601 stamp checked and normalised (T separator, Z for UTC), precision kept."""
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(text) == 10:
        return stamp.date().isoformat()
    timespec = "seconds" if re.search(r"\d{2}:\d{2}:\d{2}", text) else "minutes"
    iso = stamp.isoformat(timespec=timespec)
    return iso.removesuffix("+00:00") + "Z" if iso.endswith("+00:00") else iso


# ---------------------------------------------------------------- bylines

# Words that make a byline part a desk, an outlet or a role rather than a person.
_NOT_A_PERSON = re.compile(
    r"\b(?:news|staff|agenc(?:y|ies)|reporters?|correspondents?|editors?|editorial|desk|"
    r"bureau|board|press|wire|service|team|writer|columnist|contributor|analyst|chief|"
    r"senior|political|foreign|business|economics?|science|health|technology|culture|"
    r"sports?|international|online|digital|media|times|post|herald|journal|tribune|"
    r"guardian|bbc|cnn|reuters|afp|ap|bloomberg|xinhua|yonhap|kyodo|dpa|associated"
    r")\b", re.I)
# Capital letters of every alphabet with case ("Émilie", "Øyvind", "Łukasz", "Иван").
_CAPITAL = "[" + "".join(c for c in map(chr, range(0x2000)) if c.isupper()) + "]"
_NAME_WORD = (rf"(?:{_CAPITAL}[\w'’.-]*|(?:de|da|du|des|van|von|der|den|del|la|le|ter|ten|zu|"
              r"bin|al|ibn|dos)\b)")
_PERSON = re.compile(rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}}")
_BY = re.compile(r"^\s*(?:(?:(?:words|text|reporting|written|analysis|opinion|interview|review|"
                 r"photographs?|posted|published)\s+)?by|von|par|por)(?:\s*:\s*|\s+)", re.I)
_IN_PLACE = re.compile(rf"\s+in\s+{_CAPITAL}[\w'’.-]*(?:\s+{_CAPITAL}[\w'’.-]*){{0,2}}\s*$")
_DESK_MAX_WORDS = 5
# "and" in the languages of "By" above: "Von X und Y", "Par X et Y", "Por X y Y".
_AND = re.compile(r"\s*(?:,\s*)?(?:\b(?:and|et|und|y|e|en|och|og)\b|&)\s*")


def parse_byline(text: str) -> list[str] | None:
    """The people a byline line names, or None when the line is not a byline.

    "By Jane Doe and John Roe" -> ["Jane Doe", "John Roe"]; "Jane Doe in Busan",
    "Jane Doe, BBC News, Taipei" and "Jane Doe, Political Editor" -> ["Jane Doe"];
    "By Reuters Staff" -> [] (a byline naming no person). Without "By", a line counts
    only in the "Name in Place" or "Name, Desk" shapes, with a name of two words or more.
    """
    line = " ".join(text.split()).strip(" .")
    has_by = bool(_BY.match(line))
    if not line or len(line) > 160 or line.endswith(("?", "!", ":")):
        return None
    parts = [p.strip() for p in _BY.sub("", line).split(",") if p.strip()]
    if not parts:
        return None
    names = _names_in(parts[0], has_by)
    if names is None:
        return None
    names += _listed_names(parts[1:], has_by)
    if not has_by and not (_IN_PLACE.search(parts[0]) or _describes_desk(parts[1:])):
        return None
    return [n for n in names if not _NOT_A_PERSON.search(n)]


def _listed_names(parts: list[str], has_by: bool) -> list[str]:
    """Further names after the first comma: "Jane Doe, John Roe and Ann Poe".

    A list of names always ends with "and"/"&", so without one the parts after the
    first comma are a desk or a place ("Jane Doe, Seoul"), not more people.
    """
    last_and = max((i for i, p in enumerate(parts) if _AND.search(" " + p)), default=-1)
    listed = [_names_in(p, has_by) for p in parts[:last_and + 1]]
    if last_and < 0 or any(n is None for n in listed):
        return []
    return [name for names in listed for name in names or []]


def _names_in(part: str, has_by: bool) -> list[str] | None:
    """The names in one comma part ("Jane Doe and John Roe in Seoul"), or None if any
    piece is not name-shaped. Desk and agency names count as name-shaped here and are
    filtered out by the caller, so "By Reuters Staff" is still recognised as a byline."""
    names = []
    for piece in _AND.split(part.strip()):
        piece = _IN_PLACE.sub("", piece).strip()
        if not piece and not names:
            continue  # the empty piece before a leading "and" in "…, and Ann Poe"
        if not piece or not _PERSON.fullmatch(piece):
            return None
        if not has_by and len(piece.split()) < 2:
            return None
        names.append(piece)
    return names


def _describes_desk(parts: list[str]) -> bool:
    """True when the part after a name is a short, capitalised desk or role ("BBC News",
    "Political Editor"), not the rest of a sentence ("a generation rethinks …")."""
    desk = parts[0] if parts else ""
    return (desk[:1].isupper() and len(desk.split()) <= _DESK_MAX_WORDS
            and bool(_NOT_A_PERSON.search(desk)))


# ---------------------------------------------------------------- reading time

_READING_TIME = tuple(re.compile(p, re.I) for p in (
    r"reading\s+time\s*:?\s*(?P<minutes>\d{1,3})\s*(?:min(?:ute)?s?)?",  # Reading Time:3 minutes
    r"(?P<minutes>\d{1,3})[\s-]*min(?:ute)?s?\.?(?:\s+read(?:ing\s+time)?)",  # 5 min read
    r"(?:lesedauer|lesezeit)\s*:?\s*(?P<minutes>\d{1,3})\s*(?:min(?:uten|\.)?)?",  # Lesedauer 4 Minuten
    r"(?:temps\s+de\s+)?lecture\s*:?\s*(?P<minutes>\d{1,3})\s*(?:min(?:utes?)?)?",
    r"(?:tiempo\s+de\s+)?lectura\s*:?\s*(?P<minutes>\d{1,3})\s*(?:min(?:utos?)?)?",
    r"(?P<minutes>\d{1,3})\s*min(?:utes?|utos?|uti|\.)?\s+(?:de|di)\s+(?:lecture|lectura|leitura|lettura)",
    r"(?:閱讀時間|阅读时间)\s*[:：]?\s*(?P<minutes>\d{1,3})\s*(?:分鐘|分钟)",
))


def parse_reading_time(text: str) -> int | None:
    """Minutes a reading-time line states ("Reading Time:3 minutes", "5 min read")."""
    line = text.strip().strip("·•|")
    for pattern in _READING_TIME:
        match = pattern.fullmatch(line.strip())
        if match:
            return int(match.group("minutes"))
    return None


# ---------------------------------------------------------------- language

# Scripts that name their language well enough for a reader's hyphenation and fonts.
_SCRIPTS = (("ko", r"[\uac00-\ud7af\u1100-\u11ff]"), ("ja", r"[\u3040-\u30ff]"),
            ("zh", r"[\u4e00-\u9fff\u3400-\u4dbf]"), ("ar", r"[\u0600-\u06ff]"),
            ("ru", r"[\u0400-\u04ff]"), ("el", r"[\u0370-\u03ff]"), ("he", r"[\u0590-\u05ff]"),
            ("th", r"[\u0e00-\u0e7f]"), ("hi", r"[\u0900-\u097f]"))
# The commonest short words of Latin-script languages: enough to tell them apart.
_FUNCTION_WORDS = {
    "en": {"the", "and", "of", "to", "is", "that", "was", "with", "for"},
    "de": {"der", "die", "und", "das", "ist", "nicht", "mit", "den", "sich"},
    "fr": {"le", "la", "les", "et", "des", "est", "une", "dans", "pour"},
    "es": {"el", "los", "las", "y", "que", "del", "una", "por", "con"},
    "it": {"il", "di", "che", "della", "per", "sono", "gli", "una", "non"},
    "nl": {"de", "het", "een", "van", "en", "niet", "zijn", "met", "voor"},
    "pt": {"os", "as", "que", "não", "uma", "do", "da", "com", "para"},
}


# Common characters that differ between the two ways of writing Chinese.
_TRADITIONAL = set("這與關國會說時為後來對發們個動開區經學點實現過還進")
_SIMPLIFIED = set("这与关国会说时为后来对发们个动开区经学点实现过还进")


def _chinese_variant(text: str) -> str:
    """"zh-Hant" or "zh-Hans" by which form of common characters the text uses."""
    traditional = sum(c in _TRADITIONAL for c in text)
    simplified = sum(c in _SIMPLIFIED for c in text)
    if traditional == simplified:
        return "zh"
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def detect_language(text: str) -> str:
    """A rough BCP 47 tag: by script for non-Latin text, by function words for Latin.

    Japanese is told from Chinese by its kana; anything unclear is "en".
    """
    sample = text[:20_000]
    letters = max(1, sum(c.isalpha() for c in sample))
    for tag, script in _SCRIPTS:
        share = len(re.findall(script, sample)) / letters
        if share > (0.05 if tag == "ja" else 0.3):
            return _chinese_variant(sample) if tag == "zh" else tag
    words = re.findall(r"[^\W\d_]+", sample.lower())
    scores = {tag: sum(w in common for w in words) for tag, common in _FUNCTION_WORDS.items()}
    best = max(scores, key=lambda tag: scores[tag])
    return best if scores[best] > scores["en"] and scores[best] >= 5 else "en"
