"""The subscribers file: CSV with a header, or JSON Lines with the same keys, one reader each."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


from ..errors import ExporterError

KEYS = ("id", "email", "name", "language", "formats", "sections", "exclude_tags", "kindle")
FORMATS = ("email", "pdf", "epub", "kindle")


@dataclass(frozen=True)
class Subscriber:
    """One reader: where to send, what to send, and what to greet them by."""

    id: str
    email: str
    name: str = ""
    language: str = ""  # BCP 47; empty: the language
    formats: tuple[str, ...] = ("email",)
    sections: tuple[str, ...] = ()  # section titles to include; empty: all
    exclude_tags: tuple[str, ...] = ()
    kindle: str = ""  # the Send to Kindle address


def read_subscribers(path: Path, *, on_error=None) -> list[Subscriber]:
    """Every valid row of `path`; a bad row raises, or goes to `on_error` and is left out."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ExporterError(str(path), "no such file")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExporterError(str(path), f"cannot read: {exc}")
    rows = _json_lines(text, path) if path.suffix.lower() in (".jsonl", ".ndjson") else _csv(text, path)
    subscribers: list[Subscriber] = []
    seen: set[str] = set()
    for where, row in rows:
        try:
            if isinstance(row, ExporterError):
                raise row
            subscriber = _subscriber(row, where)
            if subscriber.id in seen:
                raise ExporterError(where, f"id {subscriber.id!r} is used by an earlier row")
        except ExporterError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        seen.add(subscriber.id)
        subscribers.append(subscriber)
    if not subscribers:
        raise ExporterError(str(path), "no subscriber could be read")
    return subscribers


def _csv(text: str, path: Path):
    """(where, row) for each CSV row; lists inside a cell are separated by ';'."""
    reader = csv.DictReader(io.StringIO(text))
    unknown = [k for k in reader.fieldnames or [] if k not in KEYS]
    if not reader.fieldnames or unknown:
        raise ExporterError(str(path), f"unknown column {unknown[0]!r} (known: {', '.join(KEYS)})"
                            if unknown else "no header row")
    for number, row in enumerate(reader, start=2):
        if None in row:
            yield f"{path}:{number}", ExporterError(f"{path}:{number}", "more cells than columns")
            continue
        yield f"{path}:{number}", {k: _split(v) if k in LIST_KEYS else (v or "")
                                   for k, v in row.items()}


def _json_lines(text: str, path: Path):
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield where, ExporterError(where, f"not JSON: {exc}")
            continue
        if not isinstance(row, dict):
            yield where, ExporterError(where, "expected an object")
            continue
        unknown = [k for k in row if k not in KEYS]
        if unknown:
            yield where, ExporterError(where, f"unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
            continue
        yield where, row


LIST_KEYS = {"formats", "sections", "exclude_tags"}


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def _subscriber(row: dict, where: str) -> Subscriber:
    values = {}
    for key in KEYS:
        value = row.get(key)
        if key in LIST_KEYS:
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ExporterError(where, f"'{key}' must be a list of text")
            values[key] = tuple(v.strip() for v in value if v.strip())
        else:
            if value is None:
                value = ""
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ExporterError(where, f"'{key}' must be text")
            values[key] = " ".join(str(value).split())
    if not values["id"]:
        raise ExporterError(where, "'id' is empty")
    values["email"] = _address(values["email"], where, "email")
    if values["kindle"]:
        values["kindle"] = _address(values["kindle"], where, "kindle")
    values["formats"] = values["formats"] or ("email",)
    wrong = [f for f in values["formats"] if f not in FORMATS]
    if wrong:
        raise ExporterError(where, f"unknown format {wrong[0]!r} (choose from {', '.join(FORMATS)})")
    if "kindle" in values["formats"] and not values["kindle"]:
        raise ExporterError(where, "the kindle format needs a 'kindle' address")
    if values["language"]:
        _check_language(values["language"], where)
    return Subscriber(**values)


def _check_language(tag: str, where: str) -> None:
    """A BCP 47 tag that Babel knows a locale for ("pt-BR", "zh-Hant")."""
    if not _known_language(tag):
        raise ExporterError(where, f"'language' is not a language tag: {tag!r}")


@lru_cache(maxsize=256)  # a list of 100,000 readers holds a handful of languages
def _known_language(tag: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return True


def _address(text: str, where: str, key: str) -> str:
    """A deliverable address, normalised; anything else is this row's error."""
    from email_validator import EmailNotValidError, validate_email  # only `editions` reads rows

    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ExporterError(where, f"'{key}' is not an email address: {exc}")
