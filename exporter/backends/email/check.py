"""Email checks: the HTML (size budget, alt text, links, nothing active) and the .eml message.

Gmail clips a message whose HTML passes 102 KB, hiding the rest (and the unsubscribe
link) behind "View entire message"; 90 KB leaves room for what an ESP adds.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ...findings import Checker, Finding, summarise

CLIP_BYTES = 102 * 1024
WARN_BYTES = 90 * 1024
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "applet", "form"}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
IMAGE_SCHEMES = {"http", "https", "cid", "data"}
# Placeholders an email service fills in when sending: *|UNSUB|*, {{ url }}, %%url%%, [url]
MERGE_TAG = re.compile(r"^(\*\|.+\|\*|\{\{.+\}\}|%%.+%%|\[.+\])$")


class _Scan(HTMLParser):
    """What the checks need from the markup, gathered in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.active: list[str] = []  # script/iframe tags and on* handlers
        self.anchors: set[str] = set()  # id and name values: targets of "#…" links

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.anchors.update(v for k, v in attrs if k in ("id", "name") and v)
        if tag in ACTIVE_TAGS:
            self.active.append(f"<{tag}>")
        self.active += [f"{name}= on <{tag}>" for name, _ in attrs if name.startswith("on")]
        if tag == "img":
            self.images.append(values)
        if tag in ("a", "area") and "href" in values:
            self.links.append(values["href"] or "")

    handle_startendtag = handle_starttag


def check_html(path: Path) -> list[Finding]:
    """The email's HTML. Beside its .eml, relative photos are the embedded ones, shown locally."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Finding("error", str(path), f"not UTF-8 (byte {exc.start}): mail clients may show "
                                            "garbled text")]
    local = path.parent if path.with_suffix(".eml").is_file() else None
    findings, passed = html_findings(str(path), data, local=local)
    return summarise(path, findings, passed)


def check_web_page(path: Path) -> list[Finding]:
    """The "View in browser" page: a web page, so no size budget and relative photos are fine."""
    findings, passed = html_findings(str(path), path.read_bytes(), budget=False, local=path.parent)
    return summarise(path, findings, passed[1:])


def html_findings(name: str, data: bytes, *, cids: set[str] | None = None, budget: bool = True,
                  local: Path | None = None) -> tuple[list[Finding], list[str]]:
    """Findings for one email HTML body.

    `cids` (the message's Content-IDs) checks cid: images; `local` is a folder where
    relative image addresses must exist (a preview copy or a web page), else they are errors.
    """
    findings: list[Finding] = []
    size = len(data)
    if not budget:
        pass
    elif size > CLIP_BYTES:
        findings.append(Finding("error", name, f"HTML is {size / 1024:.1f} KB: Gmail clips messages "
                                               f"over 102 KB (budget 90 KB)"))
    elif size > WARN_BYTES:
        findings.append(Finding("warning", name, f"HTML is {size / 1024:.1f} KB: close to Gmail's "
                                                 f"102 KB clipping limit (budget 90 KB)"))
    scan = _Scan()
    scan.feed(data.decode("utf-8", "replace"))
    scan.close()
    for tag in dict.fromkeys(scan.active):
        findings.append(Finding("error", name, f"{tag}: email clients strip or block active content"))
    for image in scan.images:
        src = image.get("src") or ""
        if "alt" not in image:
            findings.append(Finding("error", name, f"image without alt text: {_short(src)}"))
        problem = _image_problem(src, cids, local)
        if problem:
            findings.append(Finding("error", name, f"image {problem}: {_short(src)}"))
    for href in dict.fromkeys(scan.links):
        problem = _link_problem(href, scan.anchors)
        if problem:
            findings.append(Finding("error", name, f"link {problem}: {_short(href)}"))
    passed = [f"{size / 1024:.1f} KB of HTML (under 90 KB)" if size <= WARN_BYTES else
              f"{size / 1024:.1f} KB of HTML",
              _count(len(scan.images), "image") + " with alt",
              _count(len(set(scan.links)), "link") + " well formed"]
    return findings, passed


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _link_problem(href: str, anchors: set[str]) -> str | None:
    href = href.strip()
    if MERGE_TAG.match(href):
        return None
    if not href:
        return "is empty"
    if href.startswith("#"):  # a contents list: fine while its target is in the message
        return None if unquote(href[1:]) in anchors else "points to an anchor the page lacks"
    if re.search(r"\s", href):
        return "contains spaces"
    try:
        parts = urlsplit(href)
    except ValueError:
        return "is malformed"
    if not parts.scheme:
        return "is relative (recipients cannot follow it)"
    if parts.scheme.lower() not in LINK_SCHEMES:
        return f"uses the '{parts.scheme}:' scheme"
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        return "has no host"
    if parts.scheme.lower() == "http":
        return "is plain http: (use https:)"
    return None


def _image_problem(src: str, cids: set[str] | None, local: Path | None) -> str | None:
    src = src.strip()
    if not src:
        return "has no src"
    if MERGE_TAG.match(src):
        return None
    parts = urlsplit(src)
    scheme = parts.scheme.lower()
    if not scheme and local is not None:
        return None if (local / unquote(parts.path)).is_file() else "file is missing"
    if not scheme:
        return "address is relative (recipients will not see it)"
    if scheme not in IMAGE_SCHEMES:
        return f"uses the '{scheme}:' scheme"
    if scheme in ("http", "https") and not parts.hostname:
        return "has no host"
    if scheme == "http":
        return "is plain http: (use https:; clients block or warn about insecure images)"
    if scheme == "cid":
        if cids is None:
            return None  # a bare .html cannot resolve CIDs; the .eml check does
        if src[4:] not in cids:
            return "refers to a Content-ID the message does not contain"
    return None


def check_eml(path: Path) -> list[Finding]:
    name = str(path)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    findings: list[Finding] = []
    passed: list[str] = []
    if not message.get("List-Unsubscribe"):
        findings.append(Finding("error", name, "no List-Unsubscribe header (Gmail and Yahoo "
                                               "require one-click unsubscribe for bulk mail)"))
    elif not re.search(r"<https://[^>]+>", str(message["List-Unsubscribe"])):
        findings.append(Finding("error", name, "List-Unsubscribe has no <https://…> address"))
    post = str(message.get("List-Unsubscribe-Post", ""))
    if post.replace(" ", "") != "List-Unsubscribe=One-Click":
        findings.append(Finding("error", name, "no 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' "
                                               "header (RFC 8058)"))
    if not findings:
        passed.append("one-click unsubscribe headers")
    for header in ("From", "Subject"):
        if not message.get(header):
            findings.append(Finding("error", name, f"no {header} header"))
    parts = list(message.walk())
    plain = [p for p in parts if p.get_content_type() == "text/plain"
             and p.get_content_disposition() != "attachment"]
    html = [p for p in parts if p.get_content_type() == "text/html"]
    if plain and plain[0].get_content().strip():
        passed.append("plain-text part")
    else:
        findings.append(Finding("error", name, "no plain-text part (spam filters and text-only "
                                               "readers need one)"))
    cids = {str(p["Content-ID"]).strip().strip("<>") for p in parts if p.get("Content-ID")}
    if not html:
        findings.append(Finding("error", name, "no HTML part"))
    else:
        body = html[0].get_content().encode("utf-8")
        html_problems, html_passed = html_findings(name, body, cids=cids)
        findings += html_problems
        passed += html_passed
        used = set(re.findall(r"""cid:([^"'\s)>]+)""", body.decode("utf-8")))
        unused = cids - used
        if unused:
            findings.append(Finding("warning", name, f"{len(unused)} embedded part(s) never "
                                                     f"referenced: {sorted(unused)[0]}"))
        elif cids:
            passed.append(f"CID references resolve ({len(cids)})")
    return summarise(path, findings, passed)


def check_text(path: Path) -> list[Finding]:
    """The email's plain-text part as a file: UTF-8 and not empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [Finding("error", str(path), "not UTF-8 text")]
    if not text.strip():
        return [Finding("error", str(path), "is empty")]
    return summarise(path, [], [f"{len(text.splitlines())} lines of UTF-8 text"])


CHECKS: dict[str, Checker] = {".html": check_html, ".htm": check_html, ".web.html": check_web_page,
                              ".eml": check_eml, ".txt": check_text}
