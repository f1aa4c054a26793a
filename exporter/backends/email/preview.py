"""Email previews: the message's HTML at desktop and phone widths, its photos shown offline."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from pathlib import Path

from ...screenshots import Shot, chromium, screenshot, trim_bottom

EMAIL_SIZES = ((600, 3200), (375, 4000))  # tall windows; the blank end is trimmed
BUILD_OPTIONS: dict[str, object] = {"embed_images": True}  # photos shown offline


def wants(path: Path) -> bool:
    """The message's HTML; the "View in browser" page beside it is not the message."""
    name = path.name.lower()
    return name.endswith(".html") and not name.endswith(".web.html")


def require_tools() -> None:
    chromium()


def shots(page: Path, out: Path, work: Path, titles: Sequence[str] = ()) -> list[Shot]:
    """The email HTML at desktop and phone widths; cid: images come from the .eml beside it."""
    page = _with_cid_images(page, work)
    return [Shot("Email", f"{width} px wide",
                 trim_bottom(screenshot(page, out / f"email-{width}.png", (width, height))))
            for width, height in EMAIL_SIZES]


def _with_cid_images(page: Path, work: Path) -> Path:
    text = page.read_text(encoding="utf-8", errors="replace")
    eml = next(iter(sorted(page.parent.glob("*.eml"))), None)
    if "cid:" not in text or eml is None:
        return page
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    folder = work / "email-images"
    folder.mkdir(parents=True, exist_ok=True)
    for number, part in enumerate(message.walk()):
        cid = str(part.get("Content-ID", "")).strip().strip("<>")
        payload = part.get_payload(decode=True) if cid else None
        if cid and isinstance(payload, bytes):
            name = f"{number}{Path(part.get_filename() or '').suffix or '.img'}"
            (folder / name).write_bytes(payload)
            text = text.replace(f"cid:{cid}", (folder / name).as_uri())
    rewritten = work / "email-preview.html"
    rewritten.write_text(text, encoding="utf-8")
    return rewritten
