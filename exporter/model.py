"""The normalised model every source builds and every backend reads (see MODEL.md).

Field names are a contract. Inline fields are sanitised when an object is made, so no
unsafe markup can exist in the model whatever built it, and plain-text fields lose the
characters no output can hold. `to_dict`/`from_dict` give the JSON form; JSON -> model
normalises (heading levels into 2-4, a reading time of 0 computed, unsafe addresses and
markup dropped, duplicate article ids numbered); from there model -> JSON -> model is
lossless (tests/test_backend_properties.py).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import ModelError
from .inline import URL_SCHEMES, clean_inline, clean_text, safe_url, to_text

# Field kinds, named in each field's metadata: they drive sanitising and JSON checking.
INLINE, INLINE_OPT, INLINE_LIST, INLINE_ROWS = "inline", "inline?", "inline[]", "inline[][]"
STR, STR_OPT, STR_LIST, INT_OPT, INT, BOOL = "str", "str?", "str[]", "int?", "int", "bool"
IMAGE_OPT, FIGURE_OPT, BLOCKS, SOURCE, SECTIONS, LINKS = (
    "image?", "figure?", "block[]", "source", "section[]", "links")
# Addresses that outputs turn into links: an unsafe scheme
# (javascript:, data:, file:, ...) is dropped when the object is made, like unsafe markup.
# Image sources are not: only the asset step reads them, and it refuses such addresses.
WEB_URL, WEB_URL_OPT, LINK_URL_OPT = "url", "url?", "link?"
_WEB = frozenset({"http", "https"})


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def language_or_default(tag: str, default: str = "en") -> str:
    """The tag when it is shaped like BCP 47 ("en", "zh-Hant", "pt_BR" as "pt-BR"), else
    the default: every output writes it into a `lang` attribute, where anything else is
    invalid (DAISY Ace: valid-lang) and screen readers pick the wrong voice."""
    tag = (tag or "").strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else default


def _f(kind: str, default: Any = dataclasses.MISSING, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata={"kind": kind}, **kw)
    return field(default=default, metadata={"kind": kind}, **kw)


class _Node:
    """Shared JSON conversion and inline sanitising for every model dataclass."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            kind = f.metadata.get("kind")
            value = getattr(self, f.name)
            if kind in (INLINE, INLINE_OPT) and value is not None:
                setattr(self, f.name, clean_inline(value))
            elif kind == INLINE_LIST:
                setattr(self, f.name, [clean_inline(v) for v in value])
            elif kind == INLINE_ROWS:
                setattr(self, f.name, [[clean_inline(v) for v in row] for row in value])
            elif kind in (STR, STR_OPT) and isinstance(value, str):
                setattr(self, f.name, clean_text(value))
            elif kind == STR_LIST:
                setattr(self, f.name, [clean_text(v) for v in value])
            elif kind in (WEB_URL, WEB_URL_OPT):
                safe = safe_url(value, _WEB)
                setattr(self, f.name, safe if safe or kind == WEB_URL_OPT else "")
            elif kind == LINK_URL_OPT:
                setattr(self, f.name, safe_url(value, URL_SCHEMES))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(self, Block):
            out["type"] = self.type
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            out[f.name] = _dump(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Any:
        if not isinstance(data, dict):
            raise ModelError(None, f"{path or cls.__name__}: expected an object")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        extra = set(data) - names - {"type"}
        if extra:
            raise ModelError(None, f"{path or cls.__name__}: unknown field {sorted(extra)[0]!r}")
        values = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            where = f"{path}.{f.name}" if path else f.name
            if f.name not in data:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise ModelError(None, f"{where}: missing")
                continue
            values[f.name] = _load(f.metadata["kind"], data[f.name], where)
        return cls(**values)


def _dump(value: Any) -> Any:
    if isinstance(value, _Node):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _expect(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise ModelError(None, f"{where}: expected {what}")


def _load(kind: str, value: Any, where: str) -> Any:
    optional = kind.endswith("?")
    if optional and value is None:
        return None
    base = kind.rstrip("?")
    if base in (INLINE, STR, WEB_URL, LINK_URL_OPT.rstrip("?")):
        _expect(isinstance(value, str), where, "a string")
        return value
    if base == INT:
        _expect(isinstance(value, int) and not isinstance(value, bool), where, "an integer")
        return value
    if base == BOOL:
        _expect(isinstance(value, bool), where, "true or false")
        return value
    if base in (INLINE_LIST, STR_LIST):
        _expect(isinstance(value, list) and all(isinstance(v, str) for v in value),
                where, "a list of strings")
        return list(value)
    if base == INLINE_ROWS:
        _expect(isinstance(value, list) and all(
            isinstance(r, list) and all(isinstance(c, str) for c in r) for r in value),
            where, "a list of rows of strings")
        return [list(r) for r in value]
    if base == "image":
        return Image.from_dict(value, where)
    if base == "figure":
        return Figure.from_dict(value, where)
    if base == BLOCKS:
        _expect(isinstance(value, list), where, "a list of blocks")
        return [block_from_dict(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if base == SOURCE:
        return SourceRef.from_dict(value, where)
    if base == LINKS:
        return Links.from_dict(value, where)
    if base == SECTIONS:
        _expect(isinstance(value, list), where, "a list of sections")
        return [Section.from_dict(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise AssertionError(f"unknown field kind {kind}")


@dataclass
class Image(_Node):
    """A photo's location as the source gave it, resolved to the real image."""

    # absolute URL, or a path relative to the source file; kept as given so the asset
    # step can name a refused address (file:, data:, outside the folder) in a warning
    src: str = _f(STR)
    alt: str = _f(STR, "")
    width: int | None = _f(INT_OPT, None)
    height: int | None = _f(INT_OPT, None)


class Block(_Node):
    """Base of the block kinds; `type` is the JSON discriminator."""

    type: ClassVar[str]


@dataclass
class Paragraph(Block):
    type: ClassVar[str] = "paragraph"
    text: str = _f(INLINE)


@dataclass
class Heading(Block):
    """A subheading. A source gives the level its page used (`<h5>` is 5); the article
    or issue holding it turns that into its rank (`rank_headings`): 2 to 4, the title
    being 1, so outputs never skip a level whatever levels the page used."""

    type: ClassVar[str] = "heading"
    level: int = _f(INT)
    text: str = _f(INLINE)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.level = min(6, max(1, self.level))


@dataclass
class Quote(Block):
    type: ClassVar[str] = "quote"
    text: str = _f(INLINE)
    attribution: str | None = _f(STR_OPT, None)


@dataclass
class ListBlock(Block):
    type: ClassVar[str] = "list"
    ordered: bool = _f(BOOL, False)
    items: list[str] = _f(INLINE_LIST, [])


@dataclass
class Figure(Block):
    """A photo with its caption and credit; a missing photo keeps caption and credit."""

    type: ClassVar[str] = "figure"
    image: Image | None = _f(IMAGE_OPT, None)
    caption: str | None = _f(INLINE_OPT, None)
    credit: str | None = _f(STR_OPT, None)


@dataclass
class Embed(Block):
    """A video, post or map that print and e-readers cannot play: kept as a link."""

    type: ClassVar[str] = "embed"
    url: str = _f(WEB_URL)  # "" when the source gave an unsafe address
    title: str = _f(STR, "")
    caption: str | None = _f(INLINE_OPT, None)


@dataclass
class Table(Block):
    type: ClassVar[str] = "table"
    caption: str | None = _f(INLINE_OPT, None)
    header: list[str] = _f(INLINE_LIST, [])
    rows: list[list[str]] = _f(INLINE_ROWS, [])


MAX_HEADING_LEVEL = 4


def rank_headings(blocks: list[Block]) -> None:
    """Subheading levels made relative: each heading's depth in the article's outline,
    counted from 2 under the title, so a level is never more than one below the last.

    A page whose subheadings are <h3> and <h5> gives 2 and 3; one that opens on its
    smallest heading still starts at 2. Depths past 4 stay 4, the model's deepest.
    """
    open_levels: list[int] = []  # the page's levels of the headings still open above
    for heading in (b for b in blocks if isinstance(b, Heading)):
        while open_levels and open_levels[-1] >= heading.level:
            open_levels.pop()
        open_levels.append(heading.level)
        heading.level = min(len(open_levels) + 1, MAX_HEADING_LEVEL)


BLOCK_TYPES: dict[str, type[Block]] = {
    cls.type: cls for cls in (Paragraph, Heading, Quote, ListBlock, Figure, Embed, Table)}


def block_from_dict(data: Any, path: str = "block") -> Block:
    _expect(isinstance(data, dict), path, "a block object")
    kind = data.get("type")
    if kind not in BLOCK_TYPES:
        raise ModelError(None, f"{path}: unknown block type {kind!r}")
    return BLOCK_TYPES[kind].from_dict(data, path)


@dataclass
class SourceRef(_Node):
    kind: str = _f(STR)  # text, html, markdown, json, feed, url
    location: str = _f(STR)


@dataclass(kw_only=True)
class Article(_Node):
    id: str = _f(STR, "")  # derived from the title when empty
    title: str = _f(STR)
    kicker: str | None = _f(STR_OPT, None)
    standfirst: list[str] = _f(INLINE_LIST, [])
    authors: list[str] = _f(STR_LIST, [])
    publisher: str | None = _f(STR_OPT, None)
    published: str | None = _f(STR_OPT, None)
    updated: str | None = _f(STR_OPT, None)
    url: str | None = _f(WEB_URL_OPT, None)
    language: str = _f(STR, "en")
    reading_time: int = _f(INT, 0)  # minutes; 0 means "compute from the words"
    lead: Figure | None = _f(FIGURE_OPT, None)
    body: list[Block] = _f(BLOCKS, [])
    tags: list[str] = _f(STR_LIST, [])
    source: SourceRef = _f(SOURCE, None)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.id:
            self.id = slugify(self.title)
        if self.source is None:
            self.source = SourceRef("json", "")
        self.language = language_or_default(self.language)
        if self.reading_time <= 0:
            self.reading_time = reading_time(self)
        rank_headings(self.body)

    def figures(self) -> list[Figure]:
        """The lead figure, then every figure of the body, in reading order."""
        body = [b for b in self.body if isinstance(b, Figure)]
        return ([self.lead] if self.lead else []) + body


@dataclass
class Section(_Node):
    title: str | None = _f(STR_OPT, None)
    articles: list[Article] = field(default_factory=list, metadata={"kind": "article[]"})

    @classmethod
    def from_dict(cls, data: Any, path: str = "section") -> Section:
        _expect(isinstance(data, dict), path, "a section object")
        extra = set(data) - {"title", "articles"}
        if extra:
            raise ModelError(None, f"{path}: unknown field {sorted(extra)[0]!r}")
        title = _load(STR_OPT, data.get("title"), f"{path}.title")
        articles = data.get("articles", [])
        _expect(isinstance(articles, list), f"{path}.articles", "a list of articles")
        return cls(title, [Article.from_dict(a, f"{path}.articles[{i}]")
                           for i, a in enumerate(articles)])


@dataclass
class Links(_Node):
    web_version: str | None = _f(LINK_URL_OPT, None)
    unsubscribe: str | None = _f(LINK_URL_OPT, None)
    archive: str | None = _f(LINK_URL_OPT, None)


@dataclass(kw_only=True)
class Issue(_Node):
    title: str = _f(STR)
    date: str = _f(STR)  # ISO date
    subtitle: str | None = _f(STR_OPT, None)
    edition: str | None = _f(STR_OPT, None)
    language: str = _f(STR, "en")
    publisher: str | None = _f(STR_OPT, None)
    intro: list[Block] = _f(BLOCKS, [])
    sections: list[Section] = _f(SECTIONS, [])
    links: Links = _f(LINKS, None)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.links is None:
            self.links = Links()
        self.language = language_or_default(self.language)
        rank_headings(self.intro)
        unique_ids(self.articles())  # backends name files and anchors by id

    def articles(self) -> list[Article]:
        return [a for s in self.sections for a in s.articles]


# Scripts written without spaces between words are counted by characters: Han and kana
# at 300 a minute (reading speed studies (IReST) give 255 for Chinese, 357 for Japanese),
# Thai, Lao, Khmer and Burmese at about six characters a word. Patterns, compiled by re
# at first use: the Han class alone takes some 10 ms, which a text without any such
# script (every character below FIRST_UNSPACED) never pays.
HAN_KANA = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
SOUTHEAST_ASIAN = r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
FIRST_UNSPACED = "\u0e00"
HAN_KANA_PER_MINUTE = 300
CHARACTERS_PER_WORD = 6


def reading_time(article: Article, words_per_minute: int = 230) -> int:
    """Minutes to read the standfirst and body, at least one."""
    texts = list(article.standfirst)
    for block in article.body:
        texts += [getattr(block, name, None) or "" for name in ("text", "caption")]
        texts += getattr(block, "items", [])
    minutes = 0.0
    for text in texts:
        plain = to_text(text)
        if not plain or max(plain) < FIRST_UNSPACED:
            minutes += len(plain.split()) / words_per_minute
            continue
        han_kana = len(re.findall(HAN_KANA, plain))
        southeast = len(re.findall(SOUTHEAST_ASIAN, plain))
        words = len(re.sub(SOUTHEAST_ASIAN, " ", re.sub(HAN_KANA, " ", plain)).split())
        minutes += (words + southeast / CHARACTERS_PER_WORD) / words_per_minute
        minutes += han_kana / HAN_KANA_PER_MINUTE
    return max(1, round(minutes))


def text_size(article: Article, *, markup: bool = False) -> int:
    """Characters of readable text: standfirst, body and captions (markup not counted,
    unless `markup`: a bound that costs no parsing, since markup read as text only
    shortens)."""
    measure = len if markup else _plain_length
    total = sum(map(measure, article.standfirst))
    if article.lead:
        total += measure(article.lead.caption or "")
    for block in article.body:  # by the block's own fields: a getattr with a default raises
        fields = vars(block)    # and catches an error for each field a block lacks
        total += measure(fields.get("text") or "") + measure(fields.get("caption") or "")
        if "items" in fields:
            total += sum(map(measure, fields["items"]))
        if "header" in fields:
            total += sum(map(measure, fields["header"]))
        if "rows" in fields:
            total += sum(measure(cell) for row in fields["rows"] for cell in row)
    return total


def _plain_length(markup: str) -> int:
    return len(to_text(markup))


def slugify(text: str, limit: int = 60) -> str:
    """An ASCII file-name-safe slug; non-Latin titles keep their letters."""
    text = unicodedata.normalize("NFKD", text or "")
    ascii_text = text.encode("ascii", "ignore").decode()
    base = ascii_text if re.search(r"[A-Za-z0-9]", ascii_text) else text
    slug = re.sub(r"[^\w]+", "-", base.lower(), flags=re.UNICODE).strip("-_")
    if len(slug) > limit:  # cut at a word boundary when there is one
        cut = slug[:limit + 1].rfind("-")
        slug = slug[:cut] if cut > limit // 2 else slug[:limit]
    return slug.rstrip("-") or "article"


def unique_ids(articles: list[Article]) -> None:
    """Make article ids unique within an issue, keeping the first of each as it is."""
    seen: set[str] = set()
    for article in articles:
        base, n = article.id, 2
        while article.id in seen:
            article.id, n = f"{base}-{n}", n + 1
        seen.add(article.id)
