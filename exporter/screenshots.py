"""Tools every format's preview shares: headless Chromium screenshots and their labels."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ExporterError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars",
                  # Offline and quick: nothing resolves, so a remote image cannot stall a shot.
                  "--host-resolver-rules=MAP * ~NOTFOUND")
TIMEOUT = 90  # seconds per screenshot or page


class PreviewError(ExporterError):
    """A preview that cannot be made: a missing tool or an output it cannot read."""


@dataclass(frozen=True)
class Shot:
    """One preview image and the label shown under it on the contact sheet."""

    format: str
    label: str
    path: Path


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PreviewError("preview", "needs Chromium for screenshots: install it "
                                  "(apt-get install chromium)")


def screenshot(page: Path, target: Path, size: tuple[int, int]) -> Path:
    """A PNG of a local page at the given window size."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="exporter-chromium-") as profile:
        command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={size[0]},{size[1]}", f"--screenshot={target}",
                   page.resolve().as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PreviewError(str(page), f"Chromium took over {TIMEOUT} s to render it")
    if not target.is_file():
        raise PreviewError(str(page), "Chromium wrote no screenshot")
    return target


def trim_bottom(png: Path, margin: int = 24) -> Path:
    """Cut the empty end of a screenshot: rows the colour of its bottom-left pixel."""
    from PIL import Image, ImageChops

    with Image.open(png) as shot:
        image = shot.convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((0, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box and box[3] + margin < image.height:
        image.crop((0, 0, image.width, box[3] + margin)).save(png)
    return png


def normal_title(text: str) -> str:
    """A heading or outline title as plain, case-folded words, to compare with an article title."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(text)).split()).casefold()
