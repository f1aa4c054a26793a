"""The words every output prints around the articles, in the reader's language.

Labels are gettext messages with a context naming them (`pgettext("contents", "Contents")`);
the context is the key a manifest's `[labels]` table overrides. Catalogues are the `.po`
files in `exporter/locale/`, compiled in memory with Babel at first use, so a clean clone
or `pip install -e` needs no build step. Dates, numbers and lists of names are formatted
by Babel for the locale. Labels of the issue (contents, masthead) follow the issue's
language; labels inside an article ("min read") follow the article's.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import babel
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from markupsafe import Markup, escape

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "exporter"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# "en" alone keeps the day-first dates news sites use internationally ("30 November 2026");
# "en-US" and other regions get their own form.
FORMAT_LOCALE = {"en": "en_001"}


def shipped() -> list[str]:
    """The languages with a catalogue, as BCP 47 tags ("zh-Hant")."""
    return sorted(name.replace("_", "-") for name in _catalogues())


@lru_cache(maxsize=64)
def _locale(tag: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag ("zh-TW" -> zh_Hant_TW), None when it knows none."""
    try:
        return Locale.parse((tag or "en").strip().replace("_", "-"), sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None


@lru_cache(maxsize=256)  # asked once per article and per edition's reader: files never change
def catalogue_name(tag: str) -> str | None:
    """The shipped catalogue for a tag ("zh_Hant" for "zh-TW", "fr" for "fr-CA"), or None."""
    locale = _locale(tag)
    if locale is None:
        return None
    script = locale.script  # "zh" alone is written in its likely script, Simplified
    # Babel's likely scripts are a large file: read only for a language whose catalogues
    # differ by script (not for "en", read by every build).
    if script is None and any(name.startswith(f"{locale.language}_") for name in _catalogues()):
        parts = get_global("likely_subtags").get(locale.language, "").split("_")
        script = parts[1] if len(parts) == 3 else None
    for name in (f"{locale.language}_{script}", locale.language):
        if (LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po").is_file():
            return name
    return None


@lru_cache(maxsize=1)
def _catalogues() -> frozenset[str]:
    """The folder names of the shipped catalogues ("en", "zh_Hant")."""
    return frozenset(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@lru_cache(maxsize=32)
def _translations(name: str) -> gettext.GNUTranslations:
    """A catalogue compiled from its .po file (no .mo file to ship or go stale), kept in
    the build cache by the file's bytes: parsing a .po costs more than a small build."""
    from . import cache

    po = (LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes()
    mo = cache.remembered("catalogues", cache.key(po, name), lambda: _compile(po, name))
    return gettext.GNUTranslations(io.BytesIO(mo))


def _compile(po: bytes, name: str) -> bytes:
    from babel.messages.mofile import write_mo  # with the .po reader: only on a cache miss
    from babel.messages.pofile import read_po

    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(po), locale=name))
    return buffer.getvalue()


@lru_cache(maxsize=1)
def label_keys() -> dict[str, str]:
    """Every label's key (its message context) and its English text, from the template."""
    from babel.messages.pofile import read_po

    with TEMPLATE.open("rb") as pot:
        catalog = read_po(pot)
    keys = {}
    for message in catalog:
        if message.id and message.context:
            keys[message.context] = message.id[0] if isinstance(message.id, tuple) else message.id
    return keys


def check_overrides(table: Mapping[str, Any], where: str) -> dict[str, str]:
    """A manifest's [labels] checked: known keys, text, the English label's placeholders."""
    from .errors import ManifestError

    if not table:  # nothing to check: the template is not read
        return {}
    known = label_keys()
    checked = {}
    for key, value in table.items():
        if key not in known:
            raise ManifestError(where, f"unknown label 'labels.{key}'")
        if not isinstance(value, str) or not value.strip():
            raise ManifestError(where, f"'labels.{key}' must be text")
        needed = set(PLACEHOLDER.findall(known[key]))
        if set(PLACEHOLDER.findall(value)) != needed:
            names = ", ".join(f"%({n})s" for n in sorted(needed)) or "no placeholder"
            raise ManifestError(where, f"'labels.{key}' must keep {names}")
        checked[key] = value.strip()
    return checked


@dataclass(frozen=True)
class Labels:
    """The labels, date and number formats and text direction of one language."""

    tag: str
    locale: Locale
    translations: gettext.NullTranslations
    overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        return _formatted("direction", "", self.locale, lambda: (
            "rtl" if self.locale.character_order == "right-to-left" else "ltr"))

    def text(self, key: str, message: str) -> str:
        """The label named `key` (English `message`), its placeholders unfilled."""
        return self.overrides.get(key) or self.translations.pgettext(key, message)

    def ntext(self, key: str, singular: str, plural: str, n: int) -> str:
        return self.overrides.get(key) or self.translations.npgettext(key, singular, plural, n)

    def pgettext(self, key: str, message: str, **values: Any) -> str:
        return self.fill(self.text(key, message), values)

    def npgettext(self, key: str, singular: str, plural: str, n: int, **values: Any) -> str:
        return self.fill(self.ntext(key, singular, plural, n), {"num": n, **values})

    def fill(self, text: str, values: dict[str, Any]) -> str:
        """Placeholders filled; numbers written the locale's way."""
        return text % self.values_for(values) if values else text

    def values_for(self, values: dict[str, Any]) -> dict[str, Any]:
        """Values for a label's placeholders, numbers written the locale's way."""
        return {k: self.number(v) if isinstance(v, int) else v for k, v in values.items()}

    def number(self, value: int) -> str:
        def formatted() -> str:
            from decimal import InvalidOperation

            from babel.numbers import format_decimal

            try:
                return format_decimal(value, locale=self.locale)
            except InvalidOperation:  # past the 28 digits Babel rounds to: the digits as they are
                return str(value)

        return _formatted("number", str(value), self.locale, formatted)

    def names(self, names: list[str]) -> str:
        """'A and B', 'A, B and C' the locale's way ('A、B和C')."""
        def formatted() -> str:
            from babel.lists import format_list

            return format_list(list(names), locale=self.locale)

        return _formatted("names", "\0".join(names), self.locale, formatted) if names else ""

    def date(self, value: str | None) -> str:
        """An ISO date (or date-time) as the locale writes it: '30 novembre 2026'."""
        if not value:
            return ""
        try:
            day = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return value

        def formatted() -> str:
            from babel.dates import format_date

            return format_date(day, format="long", locale=self.locale)

        return _formatted("date", day.isoformat(), self.locale, formatted)


_FORMATTED: dict[tuple[str, str, str], str] = {}


def _formatted(kind: str, value: str, locale: Locale, make: Callable[[], str]) -> str:
    """What Babel writes from a locale's data, kept in the build cache. Loading that data
    imports Babel's dates module, which looks up the machine's time zone: some 50 ms,
    more than a rebuild spends on the few numbers, dates and names it writes."""
    from . import cache

    memo = (kind, value, str(locale))
    if memo not in _FORMATTED:
        _FORMATTED[memo] = cache.remembered("labels", cache.key(*memo, babel.__version__), make)
    return _FORMATTED[memo]


@lru_cache(maxsize=64)
def labels(tag: str | None, overrides: tuple[tuple[str, str], ...] = ()) -> Labels:
    """The labels of a language; a language without a catalogue gets English ones."""
    tag = (tag or "en").strip() or "en"
    locale = _locale(tag)
    name = catalogue_name(tag)
    translations = _translations(name) if name else gettext.NullTranslations()
    if locale is None:
        locale = Locale.parse("en")
    formats = FORMAT_LOCALE.get(str(locale))
    return Labels(tag, Locale.parse(formats) if formats else locale, translations, dict(overrides))


@dataclass(frozen=True)
class IssueLabels:
    """The issue's language and the manifest's overrides; `of(tag)` gives any language's labels.

    Overrides are written in the issue's language: they apply to the issue's labels and to
    articles in that language, never to an article in another one.
    """

    language: str = "en"
    overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def issue(self) -> Labels:
        return self.of(None)

    def of(self, tag: str | None) -> Labels:
        tag = tag or self.language
        same = catalogue_name(tag) == catalogue_name(self.language)
        return labels(tag, tuple(sorted(self.overrides.items())) if same else ())


def fallback_warnings(languages: list[str]) -> list[str]:
    """One warning per language without a catalogue, naming it."""
    missing = dict.fromkeys(t for t in languages if t and catalogue_name(t) is None)
    return [f"no labels in language {tag!r}: its labels are in English" for tag in missing]


def template_functions(book: IssueLabels) -> dict[str, Any]:
    """gettext callables for Jinja2's i18n extension; `lang=` picks an article's language.

    Escaped like newstyle gettext: with autoescape on, the label is text and its values
    are escaped unless they are Markup.
    """
    from jinja2 import pass_eval_context

    def finish(eval_ctx: Any, labels_: Labels, text: str, values: dict[str, Any]) -> str:
        if not eval_ctx.autoescape:
            return labels_.fill(text, values)
        markup = Markup(escape(text))
        return markup % labels_.values_for(values) if values else markup

    @pass_eval_context
    def pgettext(eval_ctx: Any, key: str, message: str, lang: str | None = None, **values: Any) -> str:
        labels_ = book.of(lang)
        return finish(eval_ctx, labels_, labels_.text(key, message), values)

    @pass_eval_context
    def npgettext(eval_ctx: Any, key: str, singular: str, plural: str, n: int,
                  lang: str | None = None, **values: Any) -> str:
        labels_ = book.of(lang)
        return finish(eval_ctx, labels_, labels_.ntext(key, singular, plural, n),
                      {"num": n, **values})

    @pass_eval_context
    def gettext_(eval_ctx: Any, message: str, **values: Any) -> str:
        return finish(eval_ctx, book.issue, book.issue.translations.gettext(message), values)

    @pass_eval_context
    def ngettext(eval_ctx: Any, singular: str, plural: str, n: int, **values: Any) -> str:
        text = book.issue.translations.ngettext(singular, plural, n)
        return finish(eval_ctx, book.issue, text, {"num": n, **values})

    return {"gettext": gettext_, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}
