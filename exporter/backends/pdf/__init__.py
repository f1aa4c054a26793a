"""The PDF briefing: the shared article HTML in a print layout, typeset by WeasyPrint.

`templates/pdf/document.html` wraps the articles (rendered once by `article_html`) in a
cover, an editor's note, a contents page and sections; `templates/pdf/print.css` sets the
pages. Photos are downscaled here to the resolution they print at, and WeasyPrint reaches
them only through `SafeFetcher`, which serves those files and refuses every other URL.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

from markupsafe import Markup

from ...article_html import ImageRef, render_article
from ...assets import Asset
from ...atomic import write_bytes
from ...errors import BuildError
from ...inline import to_text
from ...labels import IssueLabels
from ...model import Article, Figure, Issue
from ...templating import environment, logo_rendition, render
from .. import Job, Result
from .speedups import apply as apply_speedups
from .breaks import apply as keep_figures_whole

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MARGIN_MM = {"top": 24.0, "bottom": 24.0, "left": 22.0, "right": 22.0}
COLUMN_GAP_MM = 7.0
COVER_PHOTO_HEIGHT_MM = 120.0
LEAD_MAX_HEIGHT_MM = 100.0  # a tall portrait lead must leave room for the text
FIGURE_MAX_HEIGHT_MM = 85.0
MIN_PRINT_DPI = 120  # a small photo is printed no larger than this resolution allows
LOGO_WIDTH_MM = 60
PARALLEL_MIN_ARTICLES = 12  # below this, starting processes costs more than it saves
DEFAULT_ACCENT = "#9e2a2b"

# Font stacks: a good face where installed, then the fonts every machine here has
# (DejaVu, Liberation), then Noto CJK so Chinese, Japanese and Korean never show boxes.
CJK_SERIF = '"Noto Serif CJK SC", "Noto Serif CJK JP", "Noto Serif CJK KR", "Noto Serif CJK TC"'
CJK_SANS = '"Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK TC"'
SERIF = f'"Source Serif 4", "Noto Serif", "Liberation Serif", "DejaVu Serif", {CJK_SERIF}, serif'
SANS = f'"Source Sans 3", "Noto Sans", "DejaVu Sans", "Liberation Sans", {CJK_SANS}, sans-serif'


@dataclass(frozen=True)
class Options:
    variant: Literal["pdf/ua-1", "pdf/a-3b", "none"] = "pdf/ua-1"  # tagged by default
    page_size: Literal["A4", "Letter"] = "A4"
    columns: int = 1  # 1 or 2 columns for article bodies
    continuous: bool = False  # run articles on instead of starting each on a new page
    print_urls: bool = False  # print each link's address after its text
    dpi: int = 200  # photos are prepared at this resolution for the width they print at
    jpeg_quality: int = 80  # the email's too: a photo printed at the text's width shares its file
    # Processes typesetting the PDF. 0 (default): one per CPU once an issue has
    # PARALLEL_MIN_ARTICLES articles, split by article, typeset at the same time and merged
    # with its tags, page numbers, contents and outline (see parallel.py); else one.
    # 1: always the whole issue in one process.
    workers: int = 0


@dataclass(frozen=True)
class Layout:
    """Printed widths (mm) that photos are prepared for, from the page size.

    A lead photo takes the text width; a body figure half of it (less the gap), which is a
    column's width with two columns and the width it floats at beside the text with one.
    """

    text_width: float
    figure_width: float

    @classmethod
    def of(cls, options: Options) -> Layout:
        width = PAGE_SIZES_MM[options.page_size][0] - MARGIN_MM["left"] - MARGIN_MM["right"]
        return cls(text_width=width, figure_width=(width - COLUMN_GAP_MM) / 2)


def build(job: Job, options: Options) -> Result:
    _check(options)
    from .fetch import SafeFetcher  # WeasyPrint only when a PDF is built

    fetcher = SafeFetcher()
    warnings: list[str] = []
    html, css = render_document(job, options, fetcher)
    rtl = IssueLabels(job.issue.language).issue.direction == "rtl"
    data = write_pdf(html, css, fetcher, options, warnings, rtl=rtl)
    path = job.out_dir / f"{job.stem}.pdf"
    write_bytes(path, data)
    return Result([path], warnings)


def _check(options: Options) -> None:
    if options.columns not in (1, 2):
        raise BuildError("[pdf].columns", f"must be 1 or 2, not {options.columns}")
    if not 72 <= options.dpi <= 600:
        raise BuildError("[pdf].dpi", f"must be between 72 and 600, not {options.dpi}")
    if options.workers < 0:
        raise BuildError("[pdf].workers", f"must be 0 (one per CPU) or more, not {options.workers}")
    if not 30 <= options.jpeg_quality <= 95:
        raise BuildError("[pdf].jpeg_quality", f"must be between 30 and 95, not {options.jpeg_quality}")


def render_document(job: Job, options: Options, fetcher: Any) -> tuple[str, str]:
    """The whole briefing as one HTML document plus its print stylesheet."""
    issue = job.issue
    labels = IssueLabels(issue.language, job.labels)
    env = environment(job.templates, job.theme, labels=labels)
    layout = Layout.of(options)
    rtl = labels.issue.direction == "rtl"

    def pixels(mm: float) -> int:
        return math.ceil(mm / 25.4 * options.dpi)

    def printed(asset: Asset, width_mm: float, height_mm: float) -> tuple[float, float]:
        """The printed size: it fits the box, and a small photo is never stretched past
        MIN_PRINT_DPI, so the figure (and its caption, which takes the photo's width) knows
        its width before layout."""
        width_mm = min(width_mm, height_mm * asset.width / asset.height,
                       asset.width / MIN_PRINT_DPI * 25.4)
        return width_mm, width_mm * asset.height / asset.width

    def prepare(asset: Asset, width_mm: float, height_mm: float) -> ImageRef:
        """A rendition for the printed size; width/height in the markup are that size in CSS px."""
        width_mm, height_mm = printed(asset, width_mm, height_mm)
        rendition = job.assets.rendition(asset, max_width=pixels(width_mm),
                                         quality=options.jpeg_quality)
        return ImageRef(fetcher.add(rendition.path, rendition.media_type),
                        round(width_mm / 25.4 * 96), round(height_mm / 25.4 * 96))

    def box(article: Article, figure: Figure) -> tuple[float, float]:
        if figure is article.lead:
            return layout.text_width, LEAD_MAX_HEIGHT_MM
        return layout.figure_width, FIGURE_MAX_HEIGHT_MM

    def resolve(article: Article, figure: Figure) -> ImageRef | None:
        asset = job.assets.get(article, figure.image)
        if asset is None:
            return None
        ref = prepare(asset, *box(article, figure))
        # PDF/UA wants a text alternative on every Figure, and WeasyPrint cannot mark a
        # photo as decorative: a photo left without alt is described by its caption.
        alt = (figure.image.alt if figure.image else "") or to_text(figure.caption or "")
        return replace(ref, alt=alt or article.title)

    # Every photo prepared at once by threads first; the pass below finds each one made.
    job.assets.prepare_renditions([
        (asset, {"max_width": pixels(printed(asset, *box(a, f))[0]), "quality": options.jpeg_quality})
        for a in issue.articles() for f in a.figures()
        if (asset := job.assets.get(a, f.image)) is not None])

    sections = []
    for section in issue.sections:
        running = " · ".join(t for t in (issue.title, section.title) if t)
        sections.append({
            "title": section.title,
            "running": running,
            "articles": [{"article": a, "html": Markup(render_article(env, a, resolve, headline_level=2))}
                         for a in section.articles],
        })
    document = render(env, "pdf/document.html", issue=issue, sections=sections,
                      cover=_cover(job, layout, options, pixels, fetcher),
                      keywords=_keywords(issue), options=options,
                      logo=_logo(job, pixels, fetcher),
                      image=lambda figure: None)  # the editor's note has no photos
    # Right to left, the inner (binding) margin is the right one: the margins swap.
    margin = {**MARGIN_MM, "left": MARGIN_MM["right"], "right": MARGIN_MM["left"]} if rtl else MARGIN_MM
    css = render(env, "pdf/print.css", options=options, margin=margin,
                 page=PAGE_SIZES_MM[options.page_size], gap=COLUMN_GAP_MM,
                 cover_height=COVER_PHOTO_HEIGHT_MM, rtl=rtl, **_theme(job.theme),
                 article_languages=sorted({a.language for a in issue.articles()} - {issue.language}))
    return _web_links_only(document), css


_HREF = re.compile(r'\shref="([^"]*)"')


def _web_links_only(html: str) -> str:
    """Drop link targets a PDF viewer should not open (file:, javascript:, ...): the text stays."""
    def keep(match: re.Match[str]) -> str:
        target = match.group(1).strip().lower()
        return match.group(0) if target.startswith(("http:", "https:", "mailto:", "#")) else ""

    return _HREF.sub(keep, html)


def _logo(job: Job, pixels: Any, fetcher: Any) -> dict | None:
    """The [theme] logo for the masthead, prepared for 60 mm at the PDF's resolution."""
    rendition = logo_rendition(job.assets, job.theme, max_width=pixels(LOGO_WIDTH_MM), fmt="PNG")
    return {"src": fetcher.add(rendition.path, rendition.media_type)} if rendition else None


def _cover(job: Job, layout: Layout, options: Options, pixels: Any, fetcher: Any) -> dict | None:
    """The manifest's cover photo, else the first lead photo, cropped to fill the cover box."""
    asset, article = job.cover, None
    if asset is None:
        for candidate in job.issue.articles():
            found = job.assets.get(candidate, candidate.lead.image) if candidate.lead else None
            if found is not None:
                asset, article = found, candidate
                break
    if asset is None:
        return None
    # Fill the box (object-fit: cover): the shorter side decides the size needed.
    box_w, box_h = pixels(layout.text_width), pixels(COVER_PHOTO_HEIGHT_MM)
    scale = min(1.0, max(box_w / asset.width, box_h / asset.height))
    rendition = job.assets.rendition(asset, max_width=max(1, round(asset.width * scale)),
                                     quality=options.jpeg_quality)
    figure = article.lead if article else None
    return {
        "src": fetcher.add(rendition.path, rendition.media_type),
        "alt": (figure.image.alt if figure and figure.image else "") or job.issue.title,
        "article": article,
        "credit": figure.credit if figure else None,
    }


def _keywords(issue: Issue) -> list[str]:
    return list(dict.fromkeys(tag for article in issue.articles() for tag in article.tags))


_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|rgba?\([0-9.,%\s]+\)")
_FONT_NAME = re.compile(r"[\w .-]{1,60}")


def _theme(theme: dict[str, str]) -> dict[str, Markup]:
    """Theme values as CSS, checked: a colour or a font name can't smuggle in rules or URLs."""

    def colour(key: str, default: str) -> Markup:
        value = (theme.get(key) or "").strip()
        return Markup(value if _COLOUR.fullmatch(value) else default)

    def fonts(key: str, fallback: str) -> Markup:
        names = [n.strip().strip("'\"") for n in (theme.get(key) or "").split(",")]
        names = [n for n in names if n and _FONT_NAME.fullmatch(n)]
        return Markup(", ".join([f'"{n}"' for n in names] + [fallback]))

    return {"accent": colour("accent", DEFAULT_ACCENT), "text_colour": colour("text", "#1b1b1b"),
            "background": colour("background", "#ffffff"),
            "serif": fonts("body_font", SERIF), "heading_serif": fonts("heading_font", SERIF),
            "sans": Markup(SANS)}


def write_pdf(html: str, css: str, fetcher: Any, options: Options, warnings: list[str],
              rtl: bool = False) -> bytes:
    """Typeset with WeasyPrint; refused URLs and WeasyPrint's complaints become warnings.

    `rtl`: the issue reads right to left, which viewers learn from the catalogue's
    /ViewerPreferences /Direction /R2L (WeasyPrint does not write it).
    """
    from .fetch import SCHEME  # first: it imports WeasyPrint without side effects

    from weasyprint import CSS, HTML

    extra: dict[str, Any] = {"pdf_identifier": True}
    if rtl:
        extra["finisher"] = _right_to_left
    if options.variant != "none":
        extra.update(pdf_variant=options.variant, pdf_tags=True)
    with _captured(warnings):
        # A private base URL: relative references reach the fetcher (and are refused)
        # instead of resolving against the file system.
        stylesheet = CSS(string=css, base_url=f"{SCHEME}:", url_fetcher=fetcher)
        # Presentational hints: the img width/height attributes carry the printed size.
        apply_speedups()  # pydyf's page list, rebuilt per tag: see speedups.py
        keep_figures_whole()  # a photo never split from its caption: see breaks.py
        workers = _workers(options, html, warnings)
        if workers == 1:  # the whole document parsed only here: parts are parsed apart
            document = HTML(string=html, base_url=f"{SCHEME}:", url_fetcher=fetcher)
            data = document.write_pdf(stylesheets=[stylesheet], presentational_hints=True, **extra)
        else:
            data = _write_parallel(html, css, stylesheet, fetcher, options,
                                   {**extra, "presentational_hints": True}, workers, warnings)
    for url in fetcher.refused:
        warnings.append(f"refused to load {url}: a PDF reads only the issue's prepared photos")
    return data


def _right_to_left(document: Any, pdf: Any) -> None:
    """Pages turn right to left: /Direction /R2L in the catalogue's viewer preferences."""
    import pydyf

    preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    preferences["Direction"] = "/R2L"
    pdf.catalog["ViewerPreferences"] = preferences


def _workers(options: Options, html: str, warnings: list[str]) -> int:
    """How many processes typeset this PDF (PDF/A needs one: its output intent is not merged)."""
    if options.variant == "pdf/a-3b":
        if options.workers > 1:
            warnings.append(f"pdf.workers = {options.workers} not used: a PDF/A file is "
                            "typeset by one process")
        return 1
    from ...parallel import max_workers

    if options.workers != 0:
        # never more than may run at once: with EXPORTER_JOBS=1 the parts would run one
        # after another and each wait for the others' page counts
        return min(options.workers, max_workers())
    if html.count("<article") < PARALLEL_MIN_ARTICLES or _links_between_articles(html):
        return 1
    return max_workers()


def _links_between_articles(html: str) -> bool:
    """Whether an article links to another of the issue (exporter.links made it "#id").

    Parts typeset apart cannot point into each other, so such an issue is typeset whole.
    """
    first = html.find("<article")
    return first >= 0 and 'href="#' in html[first:]


def _write_parallel(html: str, css: str, stylesheet: Any, fetcher: Any, options: Options,
                    extra: dict[str, Any], workers: int, warnings: list[str]) -> bytes:
    """Typeset by article, each part kept in the build cache (parts.py); without the
    cache by several processes, a run of articles each (parallel.py)."""
    import weasyprint
    from weasyprint import HTML

    from ... import cache
    from ...parallel import busy
    from .parallel import render_parallel
    from .parts import Store, render_cached
    from .fetch import SCHEME

    caught: list[str] = []  # filled in each worker process, returned by collect()
    layout = {k: v for k, v in extra.items() if k != "finisher"}  # applied when written
    fonts = _fonts_per_process()

    def render(source: str) -> Any:
        with _captured(caught):
            return HTML(string=source, base_url=f"{SCHEME}:", url_fetcher=fetcher).render(
                stylesheets=[stylesheet], font_config=fonts(), **layout)

    def write(document: Any, path: Any) -> None:
        with _captured(caught):
            document.write_pdf(path, **extra)

    def collect() -> list[str]:
        return caught + [f"refused to load {url}: a PDF reads only the issue's prepared photos"
                         for url in fetcher.refused]

    tagged = options.variant == "pdf/ua-1"
    store = Store()
    if cache.enabled() and store.writable():
        def fingerprint(document: str) -> str:
            return cache.key("pdf-part", weasyprint.__version__, repr(sorted(extra.items())), css,
                             document, *fetcher.digests(document + css))

        return render_cached(html, render=render, write=write, fingerprint=fingerprint,
                             workers=workers, busy=busy, collect=collect,
                             messages=warnings, tagged=tagged, store=store)
    return render_parallel(html, render=render, write=write, workers=workers, collect=collect,
                           messages=warnings, tagged=tagged)


def _fonts_per_process() -> Callable[[], Any]:
    """One WeasyPrint font configuration for every part a process typesets.

    WeasyPrint makes a new one per document unless given one, and each loads its faces
    and shapes its glyphs from nothing: with a part per article that was a sixth of the
    CPU time of a 50-article PDF, and a 200-article one peaked 75 MB higher. It is made
    where it is first used, so a worker forked from this process makes its own instead of
    sharing Pango's state across fork.
    """
    from weasyprint.text.fonts import FontConfiguration

    made: dict[int, Any] = {}

    def fonts() -> Any:
        pid = os.getpid()
        if pid not in made:
            made[pid] = FontConfiguration()
        return made[pid]

    return fonts


@contextmanager
def _captured(warnings: list[str]) -> Iterator[None]:
    """Collect WeasyPrint's warnings and errors (bad CSS, unreachable resources) for the Result."""
    logger = logging.getLogger("weasyprint")

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = " ".join(record.getMessage().split())
            # Refused URLs are reported once each, by the fetcher, in plainer words.
            if "refused:" in message or "disallowed protocol" in message:
                return
            message = f"WeasyPrint: {message}"
            if message not in warnings:
                warnings.append(message)

    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
