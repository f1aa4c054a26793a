"""The email's machinery: MJML to inlined HTML, a safety check, text wrapping, the .eml.

Kept apart from `email.py` (which decides what goes in the newsletter) because none of
this depends on the model's layout: it is MJML, CSS and MIME.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import textwrap
from dataclasses import dataclass
from email import generator, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import quote

import lxml.html

from ... import cache
from ...errors import BuildError
from ...model import Issue

_POSITION = re.compile(r"\s*at position (\d+):(\d+)")
HEADER_CHARS = 200  # text of one header; Gmail shows ~70 characters of a subject
# C0 and C1 controls (CR, LF, NUL, ESC...) and Unicode's own line and paragraph separators
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Attachment:
    """A photo carried inside the message, referenced from the HTML as cid:<cid>."""

    data: bytes
    media_type: str
    cid: str
    filename: str


def compile_mjml(mjml: str, template: str, inline_css: str) -> str:
    """MJML to HTML, then `inline_css` inlined into the elements it matches.

    mjml-python ignores `mj-style inline="inline"`, so the inlining is done here with
    css-inline; MJML's own style blocks (media queries, dark mode) stay in the head.
    """
    import css_inline  # the compilers load only when an email is built (not for an EPUB)
    from mjml import mjml2html

    try:
        html = mjml2html(mjml, fonts={}, disable_comments=True)
    except (ValueError, RuntimeError) as exc:
        message = " ".join(str(exc).split())
        where = template
        match = _POSITION.search(message)
        if match:
            start = int(match.group(1))
            line = mjml.count("\n", 0, start) + 1
            text = mjml.splitlines()[line - 1].strip() if mjml.splitlines() else ""
            message = _POSITION.sub("", message).strip()
            message += f" (line {line} of the rendered MJML: {text[:60]!r})"
            where = f"{template}:{line}"
        raise BuildError(where, f"MJML: {message}")
    inliner = css_inline.CSSInliner(inline_style_tags=False, keep_style_tags=True,
                                    load_remote_stylesheets=False, minify_css=True, extra_css=inline_css)
    try:
        html = inliner.inline(html)
    except css_inline.InlineError as exc:
        raise BuildError("email/inline.css", f"cannot inline: {exc}")
    html = _AUTO_HEIGHT.sub(r"\1", html)  # MJML's height="auto" is not valid HTML; CSS sizes it
    return html.replace("&apos;", "&#39;")  # not HTML 4: old clients show it raw


_AUTO_HEIGHT = re.compile(r'(<img\b[^>]*?)\s+height="auto"', re.I)


_EVENT = re.compile(r"^on", re.I)
_URL_ATTRS = ("href", "src", "action", "formaction", "background", "poster", "xlink:href")


def check_safe(html: str, where: str) -> None:
    """Refuse HTML holding scripts, frames, event handlers or script URLs.

    The model only holds sanitised inline markup and templates autoescape, so this can
    only fire for a user template that adds them: a last line of defence, not a filter.
    """
    document = lxml.html.document_fromstring(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in ("script", "iframe", "object", "embed", "frame", "frameset", "base"):
            raise BuildError(where, f"refusing to write a <{element.tag}> element")
        for name, value in element.attrib.items():
            if _EVENT.match(name):
                raise BuildError(where, f"refusing to write an event handler ({name})")
            if name.lower() in _URL_ATTRS and re.match(r"\s*(javascript|vbscript|data):", value, re.I):
                if not (element.tag == "img" and value.startswith("data:image/")):
                    raise BuildError(where, f"refusing to write a script URL in {name}")


def one_line(text: str | None, limit: int = HEADER_CHARS) -> str:
    """Text fit for a mail header or the inbox preview, wherever it came from (a feed's
    title, a manifest, front matter): control characters and line breaks become spaces,
    so nothing can start a header of its own, and text past `limit` is cut at a word."""
    text = " ".join(_CONTROLS.sub(" ", text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:·-") + "…"


def mailbox(text: str) -> str:
    """An address header's value on one line, "Name <address>" with the name quoted
    again: a colon or comma in the name cannot turn it into a group or a second address."""
    text = one_line(text, limit=len(text or ""))  # the name is cut, never the address
    match = re.fullmatch(r"(.*?)\s*<([^<>\s]+@[^<>\s]+)>", text)
    if match is None:
        return one_line(text)
    return formataddr((one_line(match.group(1).strip('" ')), match.group(2)))


def wrap(text: str, width: int = 72, indent: str = "", first: str | None = None) -> str:
    """Plain text wrapped at `width`; URLs and other long words are never broken."""
    lines = []
    for paragraph in str(text).split("\n"):
        lines.append(textwrap.fill(
            " ".join(paragraph.split()), width=width, break_long_words=False,
            break_on_hyphens=False, initial_indent=indent if first is None else first,
            subsequent_indent=indent) or (indent if first is None else first).rstrip())
    return "\n".join(lines)


def make_eml(*, issue: Issue, subject: str, sender: str, to: str, text: str, html: str,
             attachments: list[Attachment], unsubscribe_url: str | None,
             unsubscribe_mailto: str | None, stem: str) -> bytes:
    """A multipart/alternative message, reproducible byte for byte from the same input.

    Date comes from the issue's date, Message-ID and MIME boundaries from a hash of the
    issue, so two builds of one issue give the same file.
    """
    digest = hashlib.sha256(f"{issue.title}|{issue.edition}|{issue.date}|{stem}|{subject}"
                            .encode()).hexdigest()
    domain = parseaddr(mailbox(sender))[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = one_line(subject)
    message["From"] = mailbox(sender)
    message["To"] = mailbox(to)
    message["Date"] = format_datetime(_issue_datetime(issue.date))
    message["Message-ID"] = f"<{digest[:32]}@{domain}>"
    unsubscribe = []
    if unsubscribe_url:
        unsubscribe.append(f"<{unsubscribe_url}>")
    if unsubscribe_mailto:
        address = quote(one_line(unsubscribe_mailto).removeprefix("mailto:"), safe="@.+-_")
        unsubscribe.append(f"<mailto:{address}?subject=unsubscribe>")
    if unsubscribe:
        message["List-Unsubscribe"] = one_line(", ".join(unsubscribe), limit=2000)
    if unsubscribe_url and unsubscribe_url.lower().startswith("https://"):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if attachments:
        html_part = message.get_payload()[1]
        html_part.make_related()
        for item in attachments:
            html_part.attach(_related_part(item))
    for n, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"=_{digest[:24]}_{n}")
    out = io.BytesIO()
    _Generator(out, mangle_from_=False, policy=policy.SMTP).flatten(message)
    return out.getvalue()


def _related_part(item: Attachment) -> EmailMessage:
    """A photo as the MIME part `add_related` makes, kept in the build cache: its base64
    encoding is most of the cost of a warm rebuild's message, and the photo rarely changes."""

    def make() -> EmailMessage:
        part = EmailMessage(policy=policy.SMTP)
        maintype, _, subtype = item.media_type.partition("/")
        part.set_content(item.data, maintype=maintype, subtype=subtype, cid=f"<{item.cid}>",
                         filename=item.filename, disposition="inline")
        return part

    entry = cache.key("email-photo", hashlib.sha256(item.data).hexdigest(), item.media_type,
                      item.cid, item.filename)
    return cache.remembered("email-photos", entry, make)


class _Generator(generator.BytesGenerator):
    """The standard generator, writing each text part in one piece instead of line by line
    (the same bytes: every line break becomes the policy's, as the original does)."""

    def _write_lines(self, lines: str) -> None:
        if lines and "\r" not in lines:  # the usual case, and the fast one
            self.write(lines.replace("\n", self._NL))
        elif lines:
            self.write(generator.NLCRE.sub(self._NL, lines))


def _issue_datetime(date: str) -> dt.datetime:
    """The issue date at 06:00 UTC (a morning send); a full date-time is kept as given."""
    try:
        value = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        raise BuildError("issue date", f"not an ISO date: {date!r}")
    if len(date) <= 10:
        value = value.replace(hour=6)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)

