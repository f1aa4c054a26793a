"""The email newsletter: MJML-based HTML, a plain-text part and a ready-to-send .eml.

Writes `<stem>.html` (the message's HTML), `<stem>.txt`, `<stem>.eml`, `<stem>.web.html`
(the "View in browser" page) and `<stem>-images/` (the photos, resized once, to upload
beside the web page). Photos are hosted at `asset_base_url` by default; `embed_images`
puts them in the message as CID parts instead. Without either, photos are embedded
automatically and a warning names the option: a newsletter with broken images is worse
than a larger one. In full mode an issue over `budget_kb` (Gmail clips at 102 KB) falls
back to teasers with a warning, or fails under `strict`. Each article's MJML is kept in
the build cache, so a rebuild after one article changes renders that article only.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup

from ... import cache
from ...atomic import write_bytes, write_text
from ...errors import BuildError
from ...inline import escape_text, to_text
from ...labels import IssueLabels
from ...links import article_addresses, internal_target, linked_ids
from ...model import Article, Figure, Issue, Paragraph
from ...templating import direction, environment, logo_rendition, long_date, render, templates_key
from .. import Job, Result
from .message import Attachment, check_safe, compile_mjml, make_eml, one_line, wrap

SAFE_SCHEMES = ("http", "https", "mailto")
LEAD_WIDTH = 600  # px: the lead photo spans the 600 px column
BODY_WIDTH = 552  # px: body photos sit inside the 24 px text margins
SOURCE_WIDTH = 1200  # px: twice the display width, for high-density screens
JPEG_QUALITY = 80  # the PDF's: a photo printed at the text's width is then the same file
LOGO_WIDTH = 200  # px: the [theme] logo above the masthead (prepared at twice that)
PREHEADER_CHARS = 110
PREHEADER_PAD = "&#847;&zwnj;&nbsp;" * 80

DEFAULT_THEME = {"accent": "#a4262c", "text": "#1b1b1b", "background": "#f3f0ea",
                 "heading_font": "Georgia, 'Times New Roman', serif",
                 "body_font": "Georgia, 'Times New Roman', serif"}


@dataclass(frozen=True)
class Options:
    mode: Literal["full", "teaser"] = "full"
    budget_kb: int = 90  # HTML size above which full articles become teasers
    strict: bool = False  # fail instead of switching to teasers when over budget
    from_address: str | None = None  # "Asia Briefing <briefing@example.com>"
    to_address: str | None = None  # default: "undisclosed-recipients:;"
    subject: str | None = None  # default: title, edition and date
    unsubscribe_mailto: str | None = None  # "unsubscribe@example.com" (List-Unsubscribe)
    postal_address: str | None = None  # shown in the footer (CAN-SPAM)
    asset_base_url: str | None = None  # where `<stem>-images/` is uploaded
    embed_images: bool = False  # photos as CID parts in the message
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    merge_fields: bool = False  # greet each reader: subscriber.* tokens filled in at delivery


@dataclass
class Photo:
    """One photo as a template shows it: source address and display size."""

    src: str
    width: int
    height: int
    alt: str


@dataclass
class _Image:
    """A resized photo written to `<stem>-images/`, reachable three ways."""

    name: str
    path: Path
    width: int
    height: int
    media_type: str
    cid: str


@dataclass
class _Plan:
    """Everything the templates need that is not in the model."""

    images: dict[int, _Image] = field(default_factory=dict)  # id(figure) -> image
    logo: _Image | None = None  # the [theme] logo
    warnings: list[str] = field(default_factory=list)
    rendering: str = ""  # the key of all an article's MJML depends on besides the article
    models: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # id -> JSON, links


def build(job: Job, options: Options) -> Result:
    issue = job.issue
    _check_options(options)
    plan = _Plan(rendering=_rendering_key(job, options))
    _write_images(job, plan)
    embed = options.embed_images
    if (plan.images or plan.logo) and not embed and not options.asset_base_url:
        embed = True
        plan.warnings.append(
            "no email.asset_base_url: photos are embedded in the .eml as CID parts "
            "(set asset_base_url to host them, or embed_images = true to keep embedding)")
    if not _unsubscribe(issue, options):
        plan.warnings.append("no unsubscribe link: set [links] unsubscribe or "
                             "email.unsubscribe_mailto (bulk senders must offer one)")

    env = _environment(job, options)
    target = "cid" if embed else "hosted"
    html, mode = _fit_budget(env, job, options, plan, target)
    text = render(env.overlay(autoescape=False), "email/message.txt",
                  **_context(job, options, plan, mode, target="hosted"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    web = _render_page(env, job, options, plan)

    html_path = job.out_dir / f"{job.stem}.html"
    # The .html file is the message's HTML; embedded photos point to the image folder
    # there, so the file also previews in a browser.
    preview = _render_html(env, job, options, plan, mode, "relative") if embed else html
    for written in {html, preview}:  # only what is written: not a full render over budget
        check_safe(written, html_path.name)
    write_text(html_path, preview)
    text_path = job.out_dir / f"{job.stem}.txt"
    write_text(text_path, text)
    web_path = job.out_dir / f"{job.stem}.web.html"
    write_text(web_path, web)
    eml_path = job.out_dir / f"{job.stem}.eml"
    # only the photos this HTML shows: teasers leave the body's photos out
    attachments = [Attachment(i.path.read_bytes(), i.media_type, i.cid, i.name)
                   for i in _unique_images(plan) if f"cid:{i.cid}" in html] if embed else []
    write_bytes(eml_path, make_eml(
        issue=issue, subject=_subject(issue, options), sender=_sender(issue, options),
        to=options.to_address or "undisclosed-recipients:;", text=text, html=html,
        attachments=attachments, unsubscribe_url=_safe_url(issue.links.unsubscribe),
        unsubscribe_mailto=options.unsubscribe_mailto, stem=job.stem))
    files = [html_path, text_path, eml_path, web_path]
    if plan.images or plan.logo:
        files.append(job.out_dir / f"{job.stem}-images")
    return Result(files, plan.warnings)


def _rendering_key(job: Job, options: Options) -> str:
    """What every article's MJML depends on besides the article, its photos and its place:
    the templates, options, theme, labels and the issue's own fields (not its articles)."""
    issue = {k: v for k, v in job.issue.to_dict().items() if k != "sections"}
    return cache.key(ARTICLE_CACHE, templates_key(job.templates), repr(options), job.stem,
                     json.dumps([issue, job.theme, job.labels], sort_keys=True, default=str))


ARTICLE_CACHE = "email-articles"  # each article's MJML, under the cache root


def _check_options(options: Options) -> None:
    """Addresses and URLs that would make a broken message fail here, by name."""
    from email.utils import parseaddr

    base = options.asset_base_url
    if base and not re.match(r"https?://[^\s\"<>]+$", base):
        raise BuildError("[email] asset_base_url", f"must be an http(s) URL, not {base!r}")
    for name in ("from_address", "unsubscribe_mailto"):
        value = getattr(options, name)
        if value and "@" not in parseaddr(value.removeprefix("mailto:"))[1]:
            raise BuildError(f"[email] {name}", f"not an email address: {value!r}")
    mailto = (options.unsubscribe_mailto or "").removeprefix("mailto:")
    if mailto and not re.fullmatch(r"[^\s@<>\"]+@[^\s@<>\"]+", mailto):  # one bare address
        raise BuildError("[email] unsubscribe_mailto", f"not an email address: {mailto!r}")
    if options.budget_kb <= 0:
        raise BuildError("[email] budget_kb", "must be a positive number of kilobytes")


def _fit_budget(env: jinja2.Environment, job: Job, options: Options, plan: _Plan,
                target: str) -> tuple[str, str]:
    """The message HTML and its mode: full articles if they fit the budget, else teasers.

    Over budget in full mode, the issue is sent as teasers with a warning, or fails
    under `strict`; still over it as teasers, a warning (or, under `strict`, a failure).
    """
    budget = options.budget_kb * 1024
    mode = options.mode
    html = _render_html(env, job, options, plan, mode, target)
    size = len(html.encode("utf-8"))
    if size > budget and mode == "full":
        message = (f"the full issue's HTML is {size / 1024:.0f} KB, over the "
                   f"{options.budget_kb} KB budget (Gmail clips at 102 KB)")
        if options.strict:
            raise BuildError(f"{job.stem}.html", message + "; shorten it, raise email.budget_kb, "
                             "or use email.mode = \"teaser\"")
        mode = "teaser"
        html = _render_html(env, job, options, plan, mode, target)
        size = len(html.encode("utf-8"))
        plan.warnings.append(message + f": sent as teasers instead ({size / 1024:.0f} KB)")
    if size > budget:
        message = (f"the HTML is {size / 1024:.0f} KB even as teasers, over the "
                   f"{options.budget_kb} KB budget")
        if options.strict:
            raise BuildError(f"{job.stem}.html", message)
        plan.warnings.append(message + ": Gmail may clip it")
    return html, mode


def _environment(job: Job, options: Options) -> jinja2.Environment:
    # Mail clients handle in-message anchors badly: a link to another article of the
    # issue keeps that article's web address (with the campaign's UTM parameters).
    sibling = {a.id: _article_link(job.issue, a, options) for a in job.issue.articles()}
    env = environment(job.templates, labels=IssueLabels(job.issue.language, job.labels))
    env.filters["inline"] = lambda markup: Markup(_email_links(markup, options, sibling))
    env.filters["wrap"] = wrap
    env.filters["plain"] = lambda markup: _plain(markup, options, sibling)
    return env


def _web_environment(env: jinja2.Environment, options: Options) -> jinja2.Environment:
    """The email's templates for the web version, where sibling articles are `#id` anchors."""
    web = env.overlay()
    web.filters = {**env.filters,  # an overlay shares its parent's dict: never write into it
                   "inline": lambda markup: Markup(_email_links(markup, options, None))}
    return web


def _article_link(issue: Issue, article: Article, options: Options) -> str | None:
    """Where a link to this article leads from the email: its web address, else the web version."""
    address = next(iter(article_addresses(article)), None)
    return _utm(_safe_url(address), options) or _web_anchor(issue, article)


def _render_html(env: jinja2.Environment, job: Job, options: Options, plan: _Plan,
                 mode: str, target: str) -> str:
    context = _context(job, options, plan, mode, target)
    css = render(env.overlay(autoescape=False), "email/inline.css", **context)
    mjml = render(env, "email/message.mjml", css=Markup(css), **context)
    return compile_mjml(mjml, "email/message.mjml", css)


def _render_page(env: jinja2.Environment, job: Job, options: Options, plan: _Plan) -> str:
    page = render(_web_environment(env, options), "email/web.html",
                  **_context(job, options, plan, "full", "hosted" if options.asset_base_url else "relative"))
    check_safe(page, f"{job.stem}.web.html")
    return page


def _context(job: Job, options: Options, plan: _Plan, mode: str, target: str) -> dict[str, Any]:
    issue = job.issue
    base = (options.asset_base_url or "").rstrip("/")
    anchors = {a.id: n for n, a in enumerate(issue.articles(), 1)}

    def shown(image: _Image, width: int, alt: str) -> Photo:
        if target == "cid":
            src = f"cid:{image.cid}"
        elif target == "hosted" and base:
            src = f"{base}/{job.stem}-images/{image.name}"
        else:
            src = f"{job.stem}-images/{image.name}"
        size = min(width, image.width)
        return Photo(src, size, round(size * image.height / image.width), alt)

    def photo(figure: Figure | None, width: int = BODY_WIDTH) -> Photo | None:
        image = plan.images.get(id(figure)) if figure is not None else None
        if image is None or figure is None or figure.image is None:
            return None
        return shown(image, width, figure.image.alt or "")

    def link(url: str | None) -> str | None:
        """A content link: safe schemes only, with the campaign's UTM parameters."""
        return _utm(_safe_url(url), options)

    def cached_article(part: str) -> Callable[..., Markup]:
        """`macro(article, *args)`, from the build cache when nothing it shows changed:
        the article, its photos as sent, its place, the links to other articles it
        holds, and the rendering key (templates, options, theme). `part` names the
        template (message MJML, plain text, web version) the macro belongs to."""
        def render_article(macro: Any, article: Article, *args: Any) -> Markup:
            if article.id not in plan.models:
                data = cache.as_json(article)
                plan.models[article.id] = data, linked_ids(data)
            data, linked = plan.models[article.id]
            photos = [photo(f) for f in article.figures()] + [photo(article.lead, LEAD_WIDTH)]
            siblings = sorted((a.id, _article_link(issue, a, options))
                              for a in issue.articles() if a.id in linked)
            entry = cache.key(plan.rendering, part, mode, target, repr(args), str(anchors[article.id]),
                              data, repr(photos), json.dumps(siblings))
            return Markup(cache.remembered(ARTICLE_CACHE, entry, lambda: str(macro(article, *args))))
        return render_article

    return {
        "issue": issue,
        "mode": mode,
        "theme": {**_theme(job.theme), "masthead": job.theme.get("masthead")},
        "sections": [s for s in issue.sections if s.articles],
        "preheader": _preheader(issue),
        "preheader_pad": Markup(PREHEADER_PAD),
        "photo": photo,
        "logo": shown(plan.logo, LOGO_WIDTH, job.theme.get("masthead") or issue.title) if plan.logo else None,
        "lead_width": LEAD_WIDTH,
        "link": link,
        "article_mjml": cached_article("mjml"),  # blocks.mjml's `article`, with `last`
        "article_text": cached_article("text"),
        "article_web": cached_article("web"),
        # short anchors: the email pays for every byte twice (contents link and target)
        "anchor": lambda article: f"a{anchors[article.id]}",
        "plain_link": _safe_url,
        "teaser": _teaser_paragraph,
        "more_link": lambda article: link(article.url) or _web_anchor(issue, article),
        "date_line": lambda article: long_date(article.published or article.updated,
                                               article.language),
        "web_version": _safe_url(issue.links.web_version),
        "archive": _safe_url(issue.links.archive),
        "unsubscribe": _unsubscribe(issue, options),
        "postal_address": options.postal_address,
        "publisher": issue.publisher,
        "issue_date": long_date(issue.date, issue.language),
        "lang": _lang(issue),
        "rtl": direction(_lang(issue)) == "rtl",
        "subject": _subject(issue, options),
        "subscriber": MERGE_FIELDS if options.merge_fields else None,
    }


# Placeholders an edition's email holds where each reader's own values go; `exporter
# deliver` replaces them per message (exporter.editions.deliver.MERGE_TOKENS).
MERGE_FIELDS = {"greeting": "%%GREETING%%", "name": "%%NAME%%", "email": "%%EMAIL%%",
                "id": "%%SUBSCRIBER_ID%%"}


def _theme(theme: dict[str, str]) -> dict[str, str]:
    """Colours and font stacks for CSS; a value that could break out of CSS is ignored."""
    safe = {k: v for k, v in theme.items()
            if k in DEFAULT_THEME and re.fullmatch(r"[\w\s#,.'\"%()-]{1,200}", v)
            and "url(" not in v.lower() and "expression" not in v.lower()}
    return {**DEFAULT_THEME, **safe}


def _write_images(job: Job, plan: _Plan) -> None:
    """Resize each photo once to 1200 px and copy it into `<stem>-images/` (the kernel
    copies the cached rendition: a rebuild neither reads nor re-encodes it; the folder is
    the build's own staging one, published whole)."""
    folder = job.out_dir / f"{job.stem}-images"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[Path, _Image] = {}
    for number, article in enumerate(job.issue.articles(), 1):
        for n, figure in enumerate(article.figures()):
            asset = job.assets.get(article, figure.image)
            if asset is None:
                continue
            rendition = job.assets.rendition(asset, max_width=SOURCE_WIDTH, fmt="JPEG",
                                             quality=JPEG_QUALITY)
            image = written.get(rendition.path)
            if image is None:
                name = f"{number:02d}-{n}-{asset.key[:8]}.jpg"  # short: repeated in the HTML
                path = folder / name
                shutil.copyfile(rendition.path, path)
                image = _Image(name, path, rendition.width, rendition.height,
                               rendition.media_type, f"{asset.key[:24]}@exporter")
                written[rendition.path] = image
            plan.images[id(figure)] = image
    logo = logo_rendition(job.assets, job.theme, max_width=2 * LOGO_WIDTH, fmt="PNG")
    if logo is not None:
        name = f"logo-{logo.path.name[:8]}.png"
        write_bytes(folder / name, logo.path.read_bytes())
        plan.logo = _Image(name, folder / name, logo.width, logo.height, logo.media_type,
                           f"logo-{logo.path.name[:16]}@exporter")


def _unique_images(plan: _Plan) -> list[_Image]:
    images = [*plan.images.values(), *([plan.logo] if plan.logo else [])]
    return list({image.cid: image for image in images}.values())


TEASER_WORDS = 60


def _teaser_paragraph(article: Article) -> str | None:
    """The first paragraph; a long one is cut to plain text at a word, so one huge
    paragraph cannot keep an issue over the size budget even as teasers."""
    text = next((b.text for b in article.body if isinstance(b, Paragraph)), None)
    words = to_text(text or "").split()
    if len(words) <= TEASER_WORDS:
        return text
    return escape_text(" ".join(words[:TEASER_WORDS])) + "\u2009…"


def _web_anchor(issue: Issue, article: Article) -> str | None:
    """Where a teaser without its own URL continues: the article in the web version."""
    web = _safe_url(issue.links.web_version)
    return f"{web.split('#')[0]}#{urllib.parse.quote(article.id)}" if web else None


def _preheader(issue: Issue) -> str:
    """The inbox preview line: the intro, else the first standfirst, cut at a word."""
    texts = [to_text(b.text) for b in issue.intro if isinstance(b, Paragraph)]
    texts += [to_text(s) for a in issue.articles() for s in a.standfirst]
    return one_line(texts[0] if texts else issue.subtitle or issue.title, PREHEADER_CHARS)


def _lang(issue: Issue) -> str:
    lang = (issue.language or "").strip()
    return lang if lang and lang.lower() != "und" else "en"


def _subject(issue: Issue, options: Options) -> str:
    """The Subject header: the option, else title · edition · date, on one line."""
    parts = [issue.title, issue.edition, long_date(issue.date, issue.language)]
    return one_line(options.subject or " · ".join(p for p in parts if p))


def _sender(issue: Issue, options: Options) -> str:
    if options.from_address:
        return options.from_address
    from email.utils import formataddr

    return formataddr((one_line(issue.publisher or issue.title), "newsletter@localhost"))


def _unsubscribe(issue: Issue, options: Options) -> str | None:
    """The footer's unsubscribe link: the issue's URL, else the mailto address."""
    url = _safe_url(issue.links.unsubscribe)
    if url:
        return url
    if options.unsubscribe_mailto:
        address = options.unsubscribe_mailto.removeprefix("mailto:")
        return "mailto:" + urllib.parse.quote(address, safe="@.+-_") + "?subject=unsubscribe"
    return None


def _safe_url(url: str | None) -> str | None:
    """http(s) and mailto addresses only: a `javascript:` URL never reaches the HTML."""
    if not url:
        return None
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    return url if scheme in SAFE_SCHEMES and not re.search(r"[\s<>\"]", url) else None


def _utm(url: str | None, options: Options) -> str | None:
    """The URL with the configured UTM parameters (http(s) only; existing ones kept)."""
    params = {k: v for k, v in (("utm_source", options.utm_source),
                                ("utm_medium", options.utm_medium),
                                ("utm_campaign", options.utm_campaign)) if v}
    if not url or not params or not url.lower().startswith(("http://", "https://")):
        return url
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    query += [(k, v) for k, v in params.items() if k not in present]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)


def _plain(markup: str, options: Options, sibling: dict[str, str | None]) -> str:
    """Inline markup as plain text; a link keeps its address: "text <url>".

    Text is taken out of the markup piece by piece: the "<url>" added for a link would
    otherwise read as a tag and vanish with the markup.
    """
    import html as html_lib

    markup, pieces, start = markup or "", [], 0
    for match in _LINK.finditer(markup):
        url = _link_target(html_lib.unescape(match.group(1)), options, sibling)
        label = to_text(match.group(2))
        pieces += [to_text(markup[start:match.start()]),
                   f"{label} <{url}>" if url and label != url else label]
        start = match.end()
    return "".join(pieces) + to_text(markup[start:])


_HREF = re.compile(r'<a href="([^"]*)">')


def _email_links(markup: str, options: Options, sibling: dict[str, str | None] | None) -> str:
    """Inline links open in a new tab, carry the UTM parameters and never a bad scheme.

    A link to another article of the issue goes to `sibling[id]`; without `sibling` (the
    web version) it stays the `#id` anchor of that article on the same page.
    """

    def replace(match: re.Match[str]) -> str:
        import html as html_lib

        href = html_lib.unescape(match.group(1))
        if sibling is None and internal_target(href):
            return f'<a href="{html_lib.escape(href)}">'
        url = _link_target(href, options, sibling or {})
        if url is None:
            return "<a>"
        return f'<a href="{html_lib.escape(url)}" target="_blank" rel="noopener">'

    return _HREF.sub(replace, markup or "").replace("<br>", "<br />")


def _link_target(href: str, options: Options, sibling: dict[str, str | None]) -> str | None:
    """A body link's address in the message: a sibling article's link, else the safe URL."""
    target = internal_target(href)
    if target is not None:
        return sibling.get(target)
    return _utm(_safe_url(href), options)
