"""Markdown with YAML front matter: the format editors write briefings in by hand.

Raw HTML in the Markdown is parsed like any untrusted HTML: the model's sanitiser keeps
its text and the allowed inline tags, and drops scripts, handlers and unsafe links.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.footnote import footnote_plugin

from .. import cache
from ..errors import SourceError
from ..inline import clean_inline, escape_text, to_text
from ..model import (Article, Block, Figure, Heading, Image, ListBlock, Paragraph, Quote,
                     Table)
from . import Origin
from .common import decode, source_ref
from .credits import split_credit

_MD = MarkdownIt("commonmark", {"html": True, "typographer": False}).enable("table").use(footnote_plugin)
# A footnote reference is its number in superscript: the model keeps no anchors to link
# it to; the notes follow the text as a numbered list under a "Notes" heading.
_MD.add_render_rule("footnote_ref", lambda self, tokens, idx, options, env:
                    f"<sup>{tokens[idx].meta['id'] + 1}</sup>")
NOTES_HEADING = "Notes"

FRONT_MATTER_KEYS = {
    "title", "kicker", "standfirst", "authors", "author", "publisher", "date", "published",
    "updated", "url", "language", "lang", "tags", "reading_time", "lead", "id",
}
LEAD_KEYS = {"image", "caption", "credit", "alt"}
_ATTRIBUTION_DASHES = ("—", "―", "–", "--", "-")


def read(data: bytes, origin: Origin) -> list[Article]:
    meta, content = _front_matter(decode(data, origin), origin)
    if not isinstance(meta, dict):
        raise SourceError(origin.location, "front matter is not a key: value mapping")
    unknown = sorted(set(meta) - FRONT_MATTER_KEYS)
    if unknown:
        raise SourceError(origin.location, f"unknown front matter key {unknown[0]!r}")
    tokens = _MD.parse(content)
    _check_depth(tokens, origin)
    url = _str(meta.get("url"), origin, "url")
    _resolve_links(tokens, url if url and urlsplit(url).scheme in ("http", "https") else None)
    root = SyntaxTreeNode(tokens)
    nodes = [n for n in root.children if n.type != "footnote_block"]
    notes = [n for n in root.children if n.type == "footnote_block"]
    title = _str(meta.get("title"), origin, "title")
    if not title and nodes and nodes[0].type == "heading" and nodes[0].tag == "h1":
        title = to_text(_inline_html(nodes.pop(0)))
    if not title:
        raise SourceError(origin.location, "no title (front matter 'title' or a '# ' heading)")
    body = _blocks(nodes) + _notes(notes)
    if not body and not meta.get("standfirst"):
        raise SourceError(origin.location, "no article text")
    return [Article(
        id=_str(meta.get("id"), origin, "id") or "",
        title=title,
        kicker=_str(meta.get("kicker"), origin, "kicker"),
        standfirst=[escape_text(s) for s in _str_list(meta.get("standfirst"), origin, "standfirst")],
        authors=_str_list(meta.get("authors", meta.get("author")), origin, "authors"),
        publisher=_str(meta.get("publisher"), origin, "publisher"),
        published=_date(meta.get("published", meta.get("date")), origin, "date"),
        updated=_date(meta.get("updated"), origin, "updated"),
        url=url,
        language=_str(meta.get("language", meta.get("lang")), origin, "language") or "en",
        reading_time=_int(meta.get("reading_time"), origin),
        lead=_lead(meta.get("lead"), origin),
        body=body,
        tags=_str_list(meta.get("tags"), origin, "tags"),
        source=source_ref("markdown", origin),
    )]


# python-frontmatter's boundary of YAML front matter, the first format it tries.
_YAML_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)


def _front_matter(text: str, origin: Origin) -> tuple[Any, str]:
    """The front matter's values and the Markdown after it, as python-frontmatter gives
    them. Text that starts with YAML front matter is split here as the library splits
    it, and the values are kept in the build cache by the front matter's text: a rebuild
    after an edit to an article's body loads neither python-frontmatter nor PyYAML (a
    tenth of the time of such a rebuild of 50 articles went on importing them)."""
    stripped = text.strip()
    parts = _YAML_BOUNDARY.split(stripped, 2) if _YAML_BOUNDARY.match(stripped) else []
    if len(parts) != 3:  # another kind of front matter, or none
        return _loaded(text, origin)
    meta = cache.remembered("front-matter", cache.key("front-matter", parts[1]),
                            lambda: _loaded(text, origin)[0])
    return meta, parts[2].strip()


def load_parsers() -> None:
    """The front matter's parsers, loaded before sources are parsed in worker processes
    (`sources.warm`), which would each load them: a first build parses every article's
    front matter, a rebuild only a changed one."""
    import frontmatter  # noqa: F401
    import yaml  # noqa: F401


def _loaded(text: str, origin: Origin) -> tuple[Any, str]:
    import frontmatter
    import yaml

    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise SourceError(origin.location, f"broken front matter: {_first_line(exc)}")
    return post.metadata, post.content


def blocks_from_markdown(text: str) -> list[Block]:
    """Blocks of a Markdown fragment (an issue's editor's note)."""
    return _blocks(list(SyntaxTreeNode(_MD.parse(text)).children))


def _resolve_links(tokens: list[Token], base: str | None) -> None:
    """Links a reader can follow: a relative link resolved against the article's `url`;
    without one (or an in-page `#anchor`, which the model has no target for) the link is
    dropped and its text kept, so no backend draws a link that goes nowhere."""
    for token in tokens:
        children = token.children or []
        dropped, kept = False, []
        for child in children:
            if child.type == "link_open":
                href = str(child.attrGet("href") or "").strip()
                if not urlsplit(href).scheme:
                    if base and not href.startswith("#"):
                        child.attrSet("href", urljoin(base, href))
                    else:
                        dropped = True
                        continue
            elif child.type == "link_close" and dropped:
                dropped = False
                continue
            kept.append(child)
        if children:
            token.children = kept


def _notes(blocks: list[SyntaxTreeNode]) -> list[Block]:
    """Footnotes as the article's last blocks: a "Notes" heading and a numbered list,
    numbered as the superscripts in the text (first reference first)."""
    items = [" ".join(t for child in note.children for t in _texts(child))
             for block in blocks for note in block.children if note.type == "footnote"]
    if not items:
        return []
    return [Heading(level=2, text=NOTES_HEADING), ListBlock(ordered=True, items=items)]


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _str(value: Any, origin: Origin, key: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip() or None
    raise SourceError(origin.location, f"front matter {key!r} must be text")


def _str_list(value: Any, origin: Origin, key: str) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [s for s in (_str(v, origin, key) for v in values) if s]


def _int(value: Any, origin: Origin) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SourceError(origin.location, "front matter 'reading_time' must be whole minutes")


def _date(value: Any, origin: Origin, key: str) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = _str(value, origin, key)
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat() \
            if "T" in text or " " in text else dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise SourceError(origin.location, f"front matter {key!r} is not an ISO date: {text!r}")


def _lead(value: Any, origin: Origin) -> Figure | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"image": value}
    if not isinstance(value, dict):
        raise SourceError(origin.location, "front matter 'lead' must be a mapping")
    unknown = sorted(set(value) - LEAD_KEYS)
    if unknown:
        raise SourceError(origin.location, f"unknown key 'lead.{unknown[0]}' in front matter")
    caption = _str(value.get("caption"), origin, "lead.caption")
    credit = _str(value.get("credit"), origin, "lead.credit")
    if caption and not credit:
        caption, credit = split_credit(caption)
    src = _str(value.get("image"), origin, "lead.image")
    # No alt unless given: the caption beside the photo already describes it.
    image = Image(src=src, alt=_str(value.get("alt"), origin, "lead.alt") or "") if src else None
    return Figure(image=image, caption=escape_text(caption) if caption else None, credit=credit)


def _inline_html(node: SyntaxTreeNode) -> str:
    """Render a block node's inline content to HTML (sanitised later by the model)."""
    inline = next((c for c in node.children if c.type == "inline"), None)
    if inline is None or inline.token is None:
        return ""
    return _MD.renderer.renderInline(inline.token.children or [], _MD.options, {})


def _inline_tokens(node: SyntaxTreeNode) -> list[Token]:
    inline = next((c for c in node.children if c.type == "inline"), None)
    tokens = (inline.token.children or []) if inline is not None and inline.token else []
    return [t for t in tokens if not (t.type == "text" and not t.content.strip())
            and t.type not in ("softbreak", "hardbreak")]


def _lone_image(node: SyntaxTreeNode) -> Token | None:
    tokens = _inline_tokens(node)
    return tokens[0] if len(tokens) == 1 and tokens[0].type == "image" else None


def _is_emphasis_only(node: SyntaxTreeNode) -> bool:
    tokens = _inline_tokens(node)
    return len(tokens) >= 3 and tokens[0].type == "em_open" and tokens[-1].type == "em_close" \
        and sum(t.type == "em_open" for t in tokens) == 1


def _figure(image: Token, caption_node: SyntaxTreeNode | None) -> Figure:
    alt = "".join(c.content for c in image.children or []) or image.content
    caption = image.attrGet("title") or None
    if caption_node is not None:
        caption = _inline_html(caption_node).removeprefix("<em>").removesuffix("</em>")
    credit = None
    if caption:
        caption, credit = split_credit(caption if caption_node is not None else escape_text(caption))
    return Figure(image=Image(src=str(image.attrGet("src") or ""), alt=alt),
                  caption=caption or None, credit=credit)


def _blocks(nodes: list[SyntaxTreeNode]) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        image = _lone_image(node) if node.type == "paragraph" else None
        if image is not None:
            follower = nodes[i + 1] if i + 1 < len(nodes) else None
            caption_node = follower if follower is not None and follower.type == "paragraph" \
                and _is_emphasis_only(follower) else None
            blocks.append(_figure(image, caption_node))
            i += 2 if caption_node is not None else 1
            continue
        blocks.extend(_block(node))
        i += 1
    return blocks


def _block(node: SyntaxTreeNode) -> list[Block]:
    if node.type == "paragraph":
        text = _inline_html(node)
        return [Paragraph(text=text)] if to_text(text).strip() else []
    if node.type == "heading":
        return [Heading(level=int(node.tag[1]), text=_inline_html(node))]
    if node.type == "blockquote":
        return [_quote(node)]
    if node.type in ("bullet_list", "ordered_list"):
        return [ListBlock(ordered=node.type == "ordered_list", items=_list_items(node))]
    if node.type == "table":
        return [_table(node)]
    if node.type in ("code_block", "fence"):
        code = "<br>".join(escape_text(line) for line in node.content.rstrip("\n").split("\n"))
        return [Paragraph(text=f"<code>{code}</code>")]
    if node.type == "html_block":
        text = clean_inline(node.content)
        return [Paragraph(text=text)] if to_text(text).strip() else []
    return []  # thematic breaks and anything else carry no article text


def _quote(node: SyntaxTreeNode) -> Quote:
    paragraphs = [t for c in node.children for t in _texts(c)]
    attribution = None
    if len(paragraphs) > 1 and _is_attribution(paragraphs[-1]):
        attribution = to_text(paragraphs.pop()).lstrip("—―–- ").strip() or None
    elif paragraphs and "\n" in paragraphs[-1]:  # "— Someone" on the quote's last line
        *lines, last = paragraphs[-1].split("\n")
        if _is_attribution(last):
            attribution = to_text(last).lstrip("—―–- ").strip() or None
            paragraphs[-1] = "\n".join(lines)
    return Quote(text="<br>".join(paragraphs), attribution=attribution)


def _is_attribution(text: str) -> bool:
    return to_text(text).lstrip().startswith(_ATTRIBUTION_DASHES)


def _list_items(node: SyntaxTreeNode) -> list[str]:
    items: list[str] = []
    for item in node.children:
        parts = [t for c in item.children if c.type not in _LISTS for t in _texts(c)]
        items.append(" ".join(parts))
        for nested in (c for c in item.children if c.type in ("bullet_list", "ordered_list")):
            items.extend(_list_items(nested))
    return items


_LISTS = ("bullet_list", "ordered_list")


def _texts(node: SyntaxTreeNode) -> list[str]:
    """The inline text of a block inside a quote or list item, nested blocks flattened."""
    if node.type in ("paragraph", "heading"):
        return [_inline_html(node)]
    if node.type in ("blockquote", "list_item", *_LISTS):
        return [t for c in node.children for t in _texts(c)]
    return [b.text for b in _block(node) if isinstance(b, Paragraph)]


def _check_depth(tokens: list[Token], origin: Origin) -> None:
    """markdown-it silently drops what lies deeper than maxNesting: say so instead."""
    limit = _MD.options.maxNesting - 1
    if any(t.nesting == 1 and t.level >= limit and t.type in _CONTAINERS for t in tokens):
        raise SourceError(origin.location, f"quotes or lists nested too deeply (over {limit} levels of markup)")


_CONTAINERS = {"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open"}


def _table(node: SyntaxTreeNode) -> Table:
    header: list[str] = []
    rows: list[list[str]] = []
    for part in node.children:
        for row in part.children:
            cells = [_inline_html(cell) for cell in row.children]
            if part.type == "thead":
                header = cells
            else:
                rows.append(cells)
    return Table(caption=None, header=header, rows=rows)
