"""One subset of each font for a PDF typeset in parts, so the merged file embeds it once.

WeasyPrint subsets every font to the glyphs its own document uses (keeping glyph ids), so
parts typeset apart each embed a different subset of the same font under the same subset
tag: a 16-article issue in five parts carried five copies of every face. Here each part,
when it writes its fonts, posts the glyph ids it uses per font and waits for every other
part's; all then subset to the union and embed byte-identical font files. After the
merge, `merge_fonts` joins the parts' font dictionaries of each face into one; parts
kept in the build cache were subset apart, so their TrueType glyphs are gathered into
that one font too.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

Post = Callable[[str, Any], None]
Wait = Callable[[str], Any]


@contextmanager
def shared_subsets(own: str, everyone: list[str], post: Post, wait: Wait) -> Iterator[None]:
    """While writing part `own`: subset each font to the glyphs all parts use.

    `post(name, value)` and `wait(name)` exchange data with the other parts (names are
    `glyphs-PART`); every part in `everyone` must write inside this context too.
    """
    import weasyprint.pdf
    from weasyprint.pdf.fonts import Font

    original_build, original_clean = weasyprint.pdf.build_fonts_dictionary, Font.clean
    union: dict[str, list[int]] = {}

    def build(pdf: Any, fonts: dict, *args: Any, **kwargs: Any) -> Any:
        used: dict[str, set[int]] = {}
        for font in fonts.values():
            used.setdefault(font.hash, set()).update(font.to_unicode)
        post(f"glyphs-{own}", {key: sorted(gids) for key, gids in used.items()})
        for part in everyone:
            for key, gids in wait(f"glyphs-{part}").items():
                union[key] = sorted(set(union.get(key, [])) | set(gids))
        return original_build(pdf, fonts, *args, **kwargs)

    def clean(font: Any, to_unicode: dict, hinting: bool) -> None:
        # An empty map means "not subset" (fonts in forms, subsetting off): leave it so.
        if to_unicode and font.hash in union:
            to_unicode = dict.fromkeys(union[font.hash], "")
        original_clean(font, to_unicode, hinting)

    weasyprint.pdf.build_fonts_dictionary, Font.clean = build, clean
    try:
        yield
    finally:
        weasyprint.pdf.build_fonts_dictionary, Font.clean = original_build, original_clean


def merge_fonts(pdf: Any) -> None:
    """One font dictionary per embedded face (`pdf`: a pikepdf.Pdf): the parts' copies
    joined, widths and text maps united, every resource pointed at it (the copies are
    then unreferenced and left out when the file is written).

    Only WeasyPrint's own form is joined (Type0, Identity-H, one descendant, no CIDSet);
    anything else is left as it was.
    """
    resources = list(_font_resources(pdf))
    groups: dict[str, dict[tuple[int, int], Any]] = {}
    for fonts in resources:
        for _name, font in fonts.items():
            if font.is_indirect and _joinable(font):
                groups.setdefault(str(font.BaseFont), {}).setdefault(font.objgen, font)
    replace: dict[tuple[int, int], Any] = {}
    for copies in groups.values():
        fonts = list(copies.values())
        if len(fonts) > 1 and _programs_joinable([f.DescendantFonts[0].FontDescriptor for f in fonts]):
            _join(pdf, fonts)
            replace.update({font.objgen: fonts[0] for font in fonts[1:]})
    for fonts in resources:
        for name, font in list(fonts.items()):
            if font.is_indirect and font.objgen in replace:
                fonts[name] = replace[font.objgen]


def _font_resources(pdf: Any) -> Iterator[Any]:
    """Every /Font resource dictionary the pages use: their own, their forms' and
    patterns' (nested), their annotations' appearances.

    Walked from the pages, not over every object of the file: a tagged 50-article PDF
    has some ten thousand objects, most of them structure elements, and going through
    them all was a fifth of a warm rebuild's merge.
    """
    import pikepdf

    seen: set[tuple[int, int]] = set()

    def first_time(obj: Any) -> bool:
        if not obj.is_indirect:
            return True
        if obj.objgen in seen:
            return False
        seen.add(obj.objgen)
        return True

    def used_by(resources: Any) -> Iterator[Any]:
        if not isinstance(resources, pikepdf.Dictionary) or not first_time(resources):
            return
        fonts = resources.get("/Font")
        if isinstance(fonts, pikepdf.Dictionary) and first_time(fonts):
            yield fonts
        for group in ("/XObject", "/Pattern"):
            members = resources.get(group)
            if isinstance(members, pikepdf.Dictionary):
                for _, member in members.items():
                    if isinstance(member, (pikepdf.Dictionary, pikepdf.Stream)):
                        yield from used_by(member.get("/Resources"))

    for page in pdf.pages:
        yield from used_by(page.obj.get("/Resources"))
        for annotation in page.obj.get("/Annots") or []:
            appearances = annotation.get("/AP")
            if isinstance(appearances, pikepdf.Dictionary):
                for _, look in appearances.items():
                    if isinstance(look, pikepdf.Stream):
                        yield from used_by(look.get("/Resources"))


def _joinable(font: Any) -> bool:
    import pikepdf

    descendants = font.get("/DescendantFonts") or []
    if (font.get("/Subtype") != pikepdf.Name.Type0 or font.get("/Encoding") != pikepdf.Name("/Identity-H")
            or len(descendants) != 1):
        return False
    descriptor = descendants[0].get("/FontDescriptor")
    return descriptor is not None and "/CIDSet" not in descriptor


def _join(pdf: Any, fonts: list[Any]) -> None:
    """The first font made to cover every glyph the others show."""
    import pikepdf

    shown = [_widths(font.DescendantFonts[0].get("/W", [])) for font in fonts]
    widths: dict[int, float] = {}
    text: dict[str, str] = {}
    for font, own in zip(reversed(fonts), reversed(shown)):  # the first font's entries win
        widths.update(own)
        if "/ToUnicode" in font:
            text.update(_text_map(font.ToUnicode.read_bytes()))
    descendant = fonts[0].DescendantFonts[0]
    runs: list[Any] = []
    for gid in sorted(widths):
        if gid - 1 not in widths:
            runs += [gid, []]
        runs[-1].append(Decimal(str(widths[gid])) if widths[gid] % 1 else int(widths[gid]))
    descendant.W = pikepdf.Array([pikepdf.Array(r) if isinstance(r, list) else r for r in runs])
    descriptor = descendant.FontDescriptor
    box = descriptor.get("/FontBBox")
    if box is not None and widths:
        box[2] = round(max(max(widths.values()), float(box[2])))
    data = _to_unicode(text).encode("latin-1")
    fonts[0].ToUnicode = _stream(pdf, data)
    _join_programs(pdf, descriptor, [(font.DescendantFonts[0].FontDescriptor, own)
                                     for font, own in zip(fonts[1:], shown[1:])])


PROGRAMS = ("/FontFile2", "/FontFile3", "/FontFile")  # TrueType, CFF/OpenType, Type 1


def _programs_joinable(descriptors: list[Any]) -> bool:
    """Whether one program can serve every copy: they are byte-identical (subset to the
    same glyphs), or TrueType, whose glyphs `_join_programs` can gather into one."""
    kinds = {next((k for k in PROGRAMS if k in d), None) for d in descriptors}
    if len(kinds) != 1 or None in kinds:
        return False
    kind = kinds.pop()
    return kind == "/FontFile2" or len({_digest(d[kind]) for d in descriptors}) == 1


def _digest(program: Any) -> bytes:
    """A font program's fingerprint, so that many parts' copies are never held at once."""
    return hashlib.sha256(program.read_raw_bytes()).digest()


def _join_programs(pdf: Any, first: Any, others: list[tuple[Any, dict[int, float]]]) -> None:
    """The first font program made to hold the outline of every glyph the others show.

    Parts typeset apart (and kept in the build cache) subset a face each to the glyphs
    they show, keeping glyph ids: a glyph missing from the first copy is an empty
    outline at its id, and the join copies it from a copy that shows it (its /W lists
    it). Copies of other kinds are joined only when identical (`_programs_joinable`),
    else each keeps its own. The joined program is kept in the build cache, keyed by the
    copies: an edit that shows no new glyph (most do not) finds it there, and the warm
    rebuild skips decoding every copy again (a third of a 50-article merge).
    """
    if "/FontFile2" not in first:  # byte-identical copies of another kind
        return
    own = _digest(first.FontFile2)
    seen = {own}
    distinct: list[tuple[bytes, Any, dict[int, float]]] = []
    for descriptor, shown in others:
        digest = _digest(descriptor.FontFile2)
        if digest not in seen:  # byte-identical subsets (shared by the parts): nothing to add
            seen.add(digest)
            distinct.append((digest, descriptor, shown))
    if not distinct:
        return

    def gathered() -> bytes | None:
        font = _Gathered(first.FontFile2.read_bytes())
        for _, descriptor, shown in distinct:  # one copy at a time, never all held
            font.add(descriptor.FontFile2.read_bytes(), shown)
        return font.program() if font.changed else None

    import fontTools

    from ... import cache

    entry = cache.key(fontTools.version, own,
                      *(digest + repr(sorted(shown)).encode() for digest, _, shown in distinct))
    program = cache.remembered("pdf-font-join", entry, gathered)
    if program is not None:
        first.FontFile2 = _stream(pdf, program, Length1=len(program))


class _Gathered:
    """A TrueType subset that glyphs of other subsets of the same face are copied into."""

    def __init__(self, program: bytes) -> None:
        from fontTools.ttLib import TTFont

        # no new modification time in the font's head: a rebuild must give the same bytes
        self.font = TTFont(io.BytesIO(program), recalcTimestamp=False)
        self.order = list(self.font.getGlyphOrder())
        self.glyphs, self.metrics = self.font["glyf"], self.font["hmtx"].metrics
        self.changed = False
        self.blank: set[int] = set()  # shown but without outline in the face itself (a space)

    def missing(self, gid: int) -> bool:
        return gid not in self.blank and (
            gid >= len(self.order) or self.glyphs[self.order[gid]].numberOfContours == 0)

    def add(self, program: bytes, shown: dict[int, float]) -> None:
        """Copy from `program` the glyphs it shows that are empty here (and their parts)."""
        wanted = [gid for gid in shown if self.missing(gid)]
        if not wanted:
            return
        from fontTools.ttLib import TTFont
        from fontTools.ttLib.tables._g_l_y_f import Glyph

        other = TTFont(io.BytesIO(program), lazy=True)
        names, glyphs = other.getGlyphOrder(), other["glyf"]
        while wanted:
            gid = wanted.pop()
            if gid >= len(names) or not self.missing(gid):
                continue
            glyph = glyphs[names[gid]]
            if glyph.numberOfContours == 0:  # blank in the copy that shows it: in the face
                self.blank.add(gid)
                continue
            while len(self.order) <= gid:  # a copy may reach higher glyph ids than this one
                name = names[len(self.order)]
                self.order.append(name)
                self.glyphs.glyphs[name], self.metrics[name] = Glyph(), (0, 0)
            self.glyphs[self.order[gid]] = glyph
            self.metrics[self.order[gid]] = other["hmtx"].metrics[names[gid]]
            self.changed = True
            if glyph.isComposite():
                wanted += [other.getGlyphID(c.glyphName) for c in glyph.components]

    def program(self) -> bytes:
        self.font.setGlyphOrder(self.order)
        self.glyphs.glyphOrder = self.order
        out = io.BytesIO()
        self.font.save(out)
        return out.getvalue()


def _stream(pdf: Any, data: bytes, **keys: Any) -> Any:
    """`data` as a Flate-compressed stream of `pdf`, with these extra dictionary keys."""
    import pikepdf

    return pikepdf.Stream(pdf, zlib.compress(data, 9), Filter=pikepdf.Name.FlateDecode, **keys)


_BFCHAR_SECTION = re.compile(r"beginbfchar(.*?)endbfchar", re.S)
_BFCHAR = re.compile(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>")


def _text_map(cmap: bytes) -> dict[str, str]:
    """A ToUnicode CMap's single-glyph entries: glyph id (hex) -> UTF-16BE (hex)."""
    entries: dict[str, str] = {}
    for section in _BFCHAR_SECTION.findall(cmap.decode("latin-1")):
        entries.update((glyph.lower(), codes.lower()) for glyph, codes in _BFCHAR.findall(section))
    return entries


def _widths(array: Any) -> dict[int, float]:
    """A /W array (`c [w1 w2 …]` and `cfirst clast w` runs) as glyph id -> width."""
    widths: dict[int, float] = {}
    items, i = list(array), 0
    while i < len(items):
        first, following = int(items[i]), items[i + 1]
        if not isinstance(following, (int, float, Decimal)):  # an array of widths
            widths.update({first + k: float(w) for k, w in enumerate(following)})
            i += 2
        else:
            widths.update(dict.fromkeys(range(first, int(following) + 1), float(items[i + 2])))
            i += 3
    return widths


def _to_unicode(text: dict[str, str]) -> str:
    """A ToUnicode CMap in the form WeasyPrint writes: glyph id (hex) -> UTF-16BE (hex)."""
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo", "<< /Registry (Adobe)", "/Ordering (UCS)", "/Supplement 0",
             ">> def", "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange"]
    entries = sorted(text.items())
    for start in range(0, len(entries), 100):
        batch = entries[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        lines += [f"<{glyph}> <{codes}>" for glyph, codes in batch]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)
