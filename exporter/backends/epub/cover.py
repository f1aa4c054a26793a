"""The EPUB's cover image, drawn with Pillow from the issue and the [theme].

The cover shows the logo, the masthead, subtitle, edition and date, a photo (the
manifest's cover, else the first lead photo with its headline) and the headlines. It is
drawn at COVER_SIZE: the 1:1.6 shape Kindle and Kobo show full screen, kept just under
Apple Books' 4-megapixel limit; `cover_jpeg` fits it to a reader profile's screen.
Pillow is imported when a cover is drawn: a rebuild takes the cover from the cache.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from ...assets import Asset, Assets, pillow
from ...inline import to_text
from ...labels import IssueLabels, Labels
from ...model import Article, Issue
from ...templating import logo_rendition, long_date

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

COVER_SIZE = (1580, 2528)  # 1:1.6; 3.99 megapixels (1600 x 2560 would be 4.1)
LOGO_HEIGHT = 180
MARGIN = 110
DEFAULT_ACCENT = "#8c1c13"
PAPER = (250, 248, 243)
INK = (28, 28, 28)
GREY = (95, 95, 95)

# DejaVu ships with Debian (fonts-dejavu-core); Pillow's own font is the last resort.
FONT_FILES = {
    "serif-bold": ("DejaVuSerif-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    "sans": ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    # Chinese, Japanese and Korean text, which DejaVu lacks (fonts-noto-cjk).
    "cjk-serif-bold": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
                       "NotoSerifCJK-Bold.ttc", "NotoSansCJK-Bold.ttc"),
    "cjk-serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
                  "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"),
    "cjk-sans-bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
                      "NotoSansCJK-Bold.ttc"),
    "cjk-sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                 "NotoSansCJK-Regular.ttc"),
    # Arabic and Hebrew, which DejaVu Serif lacks: DejaVu Sans draws them (shaped by raqm).
    "rtl-serif-bold": ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    "rtl-serif": ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "rtl-sans-bold": ("DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    "rtl-sans": ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
# Patterns, not compiled ones: a class of wide Unicode ranges takes the re module some
# 10 ms to compile, paid only when a cover is drawn (re keeps what it compiled).
CJK_CHARS = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_NEEDS_CJK = f"[{CJK_CHARS}]"
_NEEDS_RTL = "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]"  # Hebrew, Arabic
_BREAK_ANYWHERE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # Han, kana: no spaces
NO_LINE_START = set("，。、；：！？）」』】〉》”’・ー…,.;:!?)")  # kinsoku: never start a line
_TOKEN = f"[{_BREAK_ANYWHERE}]|[^\\s{_BREAK_ANYWHERE}]+"

@lru_cache(maxsize=64)
def font(kind: str, size: int) -> Font:
    """A DejaVu face at `size` px, else Pillow's built-in font (never an exception)."""
    from PIL import ImageFont

    if kind.startswith("cjk-"):  # no CJK font installed: DejaVu at least draws the Latin
        candidates = FONT_FILES[kind] + FONT_FILES[kind.removeprefix("cjk-")]
    else:
        candidates = FONT_FILES[kind]
    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


def accent_colour(theme: dict[str, str]) -> tuple[int, int, int]:
    """The theme's accent as RGB; anything but #rgb / #rrggbb falls back to the default."""
    value = theme.get("accent", "") if theme else ""
    if not re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value or ""):
        value = DEFAULT_ACCENT
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def draw_cover(issue: Issue, assets: Assets, theme: dict[str, str],
               photo: Asset | None = None, labels: Labels | None = None) -> PILImage.Image:
    """A cover drawn from the issue: logo, masthead, date, edition, a photo, headlines.

    The photo is `photo` (the manifest's cover), listed under "In this issue" with every
    headline; else the first lead photo, with its headline and the next ones.
    """
    from PIL import ImageDraw, ImageOps

    PILImage = pillow()
    width, height = COVER_SIZE
    accent = accent_colour(theme)
    masthead = (theme or {}).get("masthead") or issue.title
    texts = [masthead, issue.subtitle or "", issue.publisher or ""]
    texts += [t for a in issue.articles() for t in (a.title, a.kicker or "")]
    script = ("cjk-" if any(re.search(_NEEDS_CJK, t) for t in texts)
              else "rtl-" if any(re.search(_NEEDS_RTL, t) for t in texts) else "")
    canvas = PILImage.new("RGB", COVER_SIZE, PAPER)
    rtl = (labels or IssueLabels(issue.language).issue).direction == "rtl"
    draw = _StartEdge(ImageDraw.Draw(canvas), width, rtl)
    inner = width - 2 * MARGIN

    # The logo on paper above the band (a logo drawn for white pages stays legible).
    top = 0
    logo = _logo(assets, theme, inner)
    if logo is not None:
        canvas.paste(logo, (MARGIN, 60))
        top = 60 + logo.height + 60

    # Masthead band: the masthead as large as fits (one line if it can), the subtitle.
    title_font = _title_font(script, masthead, inner)
    title_lines = _clip(_wrap(masthead, title_font, inner), 2)
    subtitle_lines: list[str] = []
    sub_font = font(script + "serif", 52)
    if issue.subtitle:
        sub_font = _fitting_font(script + "serif", issue.subtitle, inner, 56, 36)
        subtitle_lines = _clip(_wrap(issue.subtitle, sub_font, inner), 2)
    band_bottom = (top + 95 + len(title_lines) * _line_height(title_font) + 20
                   + len(subtitle_lines) * _line_height(sub_font) + 75)
    draw.rectangle((0, top, width, band_bottom), fill=accent)
    y = top + 95
    for line in title_lines:
        draw.text(MARGIN, y, line, font=title_font, fill=(255, 255, 255))
        y += _line_height(title_font)
    y += 20
    for line in subtitle_lines:
        draw.text(MARGIN, y, line, font=sub_font, fill=(255, 236, 230))
        y += _line_height(sub_font)

    # Edition and date line, with a rule.
    y = band_bottom + 50
    meta_font = font(script + "sans-bold", 46)
    meta = "  ·  ".join(p for p in (issue.edition, long_date(issue.date, issue.language)) if p)
    draw.text(MARGIN, y, meta.upper(), font=meta_font, fill=INK)
    y += _line_height(meta_font) + 24
    draw.rectangle((MARGIN, y, width - MARGIN, y + 5), fill=INK)
    y += 60

    articles = issue.articles()
    if photo is not None:
        lead_article, picture = None, _picture(assets, photo)
    else:
        lead_article, picture = _first_lead_photo(issue, assets)
        if lead_article is None and articles:
            lead_article = articles[0]
    others = [a for a in articles if a is not lead_article]
    kicker_font = font(script + "sans-bold", 40)
    head_font = font(script + "serif-bold", 78 if picture is not None else 96)
    list_font = font(script + "serif", 48)
    label_font = font(script + "sans-bold", 36)
    head_lines = _clip(_wrap(lead_article.title, head_font, inner), 3) if lead_article else []
    footer_top = height - 170
    if picture is not None:
        # The photo takes what the headline and up to three other stories leave free.
        reserve = 50 + len(head_lines) * _line_height(head_font) + 40
        if lead_article is not None and lead_article.kicker:
            reserve += _line_height(kicker_font) + 8
        if others:
            reserve += 30 + _line_height(label_font) + 14
            for article in others[:3]:
                lines = _clip(_wrap(article.title, list_font, inner - 50), 2)
                reserve += len(lines) * _line_height(list_font) + 18
        photo_height = max(640, min(1400, footer_top - 20 - y - reserve))
        fitted = ImageOps.fit(picture, (inner, photo_height), PILImage.Resampling.LANCZOS)
        canvas.paste(fitted, (MARGIN, y))
        y += photo_height + 50
    if lead_article is not None:
        if lead_article.kicker:
            draw.text(MARGIN, y, lead_article.kicker.upper(), font=kicker_font, fill=accent)
            y += _line_height(kicker_font) + 8
        for line in head_lines:
            draw.text(MARGIN, y, line, font=head_font, fill=INK)
            y += _line_height(head_font)
        y += 40

    # The next headlines, as many as fit above the footer.
    if others:
        if y + _line_height(label_font) + _line_height(list_font) < footer_top - 20:
            draw.rectangle(draw.span(MARGIN, MARGIN + 160, y, y + 4), fill=accent)
            y += 30
            wording = labels or IssueLabels(issue.language).issue
            label = (wording.pgettext("also_in_this_issue", "Also in this issue") if lead_article is not None
                     else wording.pgettext("in_this_issue", "In this issue"))
            draw.text(MARGIN, y, label.upper(), font=label_font, fill=GREY)
            y += _line_height(label_font) + 14
        for article in others:
            lines = _clip(_wrap(article.title, list_font, inner - 50), 2)
            needed = len(lines) * _line_height(list_font) + 18
            if y + needed > footer_top - 20:
                break
            draw.text(MARGIN, y, "•", font=list_font, fill=accent)
            for line in lines:
                draw.text(MARGIN + 50, y, line, font=list_font, fill=INK)
                y += _line_height(list_font)
            y += 18

    # Footer: who sends it.
    draw.rectangle((0, footer_top, width, height), fill=accent)
    if issue.publisher:
        pub_font = _fitting_font(script + "sans-bold", issue.publisher.upper(), inner, 44, 28)
        draw.text(MARGIN, footer_top + 60, issue.publisher.upper(), font=pub_font,
                  fill=(255, 255, 255))

    return canvas


def cover_jpeg(cover: PILImage.Image, box: tuple[int, int], grayscale: bool, quality: int) -> bytes:
    """The cover fitted inside a reader's screen (never enlarged), grey for e-ink, as a
    baseline JPEG."""
    image = cover.convert("L" if grayscale else "RGB")
    image.thumbnail(box, pillow().Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=False)
    return buffer.getvalue()


class _StartEdge:
    """Draws text from the line's start: the left edge, or the right one for an issue
    read right to left (coordinates are given as if left to right, and mirrored)."""

    def __init__(self, draw: ImageDraw.ImageDraw, width: int, rtl: bool):
        self.draw, self.width, self.rtl = draw, width, rtl

    def text(self, x: int, y: int, text: str, **kwargs: object) -> None:
        text = _one_line(text)
        if self.rtl:
            self.draw.text((self.width - x, y), text, anchor="ra", **kwargs)
        else:
            self.draw.text((x, y), text, **kwargs)

    def span(self, left: int, right: int, top: int, bottom: int) -> tuple[int, int, int, int]:
        return (self.width - right, top, self.width - left, bottom) if self.rtl else (left, top, right, bottom)

    def rectangle(self, box: tuple[int, int, int, int], **kwargs: object) -> None:
        self.draw.rectangle(box, **kwargs)


def _logo(assets: Assets, theme: dict[str, str], width: int) -> PILImage.Image | None:
    """The [theme] logo at most LOGO_HEIGHT tall, composited on the cover's paper."""
    rendition = logo_rendition(assets, theme, max_width=width, max_height=LOGO_HEIGHT, fmt="PNG")
    if rendition is None:
        return None
    PILImage = pillow()
    with PILImage.open(rendition.path) as image:
        rgba = image.convert("RGBA")
    flat = PILImage.new("RGB", rgba.size, PAPER)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _picture(assets: Assets, asset: Asset) -> PILImage.Image:
    rendition = assets.rendition(asset, max_width=1600, max_height=1600, fmt="JPEG", quality=90)
    with pillow().open(rendition.path) as image:
        return image.convert("RGB")


def cover_alt(issue: Issue, labels: Labels | None = None) -> str:
    """What a screen reader says for the cover."""
    parts = [issue.title, issue.edition, long_date(issue.date, issue.language)]
    labels = labels or IssueLabels(issue.language).issue
    return labels.pgettext("cover_image", "Cover: %(title)s", title=", ".join(p for p in parts if p))


def _first_lead_photo(issue: Issue, assets: Assets) -> tuple[Article | None, PILImage.Image | None]:
    for article in issue.articles():
        figure = article.lead
        asset = assets.get(article, figure.image) if figure else None
        if asset is not None:
            return article, _picture(assets, asset)
    return None, None


def _line_height(face: Font) -> int:
    size = getattr(face, "size", 12)
    return int(size * 1.22)


def _title_font(script: str, title: str, width: int) -> Font:
    """The masthead face: on one line down to 120 px, else the largest that fits two."""
    for size in range(200, 119, -8):
        face = font(script + "serif-bold", size)
        if face.getlength(_one_line(title)) <= width:
            return face
    return _fitting_font(script + "serif-bold", title, width, 150, 80)


def _one_line(text: str) -> str:
    """Inline markup as one line of text: Pillow's text layout (raqm) fails on a line or
    paragraph separator (\n, \r, U+2028, ...), which titles and captions may hold."""
    return " ".join(to_text(text).split())


def _clip(lines: list[str], count: int) -> list[str]:
    """At most `count` lines, the last ending in an ellipsis when text was cut."""
    if len(lines) <= count:
        return lines
    return lines[:count - 1] + [lines[count - 1].rstrip(" ,;:.") + "…"]


def _fitting_font(kind: str, text: str, width: int, largest: int, smallest: int) -> Font:
    """The largest size (down to `smallest`) at which the text's longest word fits."""
    longest = max(re.findall(_TOKEN, _one_line(text)) or [""], key=len)
    size = largest
    while size > smallest and font(kind, size).getlength(longest) > width:
        size -= 6
    face = font(kind, size)
    while size > smallest and len(_wrap(text, face, width)) > 2:
        size -= 6
        face = font(kind, size)
    return face


def _wrap(text: str, face: Font, width: int) -> list[str]:
    """Greedy wrap by measured width: at spaces, and between any two Han or kana
    characters (which have no spaces); a too-long word gets a line of its own."""
    plain = _one_line(text)
    lines: list[str] = []
    current = ""
    for match in re.finditer(_TOKEN, plain):
        token = match.group()
        spaced = match.start() > 0 and plain[match.start() - 1].isspace()
        trial = f"{current} {token}" if current and spaced else current + token
        if current and face.getlength(trial) > width and token not in NO_LINE_START:
            lines.append(current)
            current = token
        else:
            current = trial
    if current:
        lines.append(current)
    return lines
