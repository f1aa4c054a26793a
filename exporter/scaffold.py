"""Starting points: `exporter new NAME` (an issue folder) and `exporter templates list/copy`."""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ExporterError
from .templating import builtin_templates, is_template

MANIFEST = '''\
# {title}: build every format with `exporter build {name}/issue.toml -o out`.
# The README's "Manifest reference" lists every key.
title = "{title}"
subtitle = "A first issue made by exporter new"
edition = "No. 1"
date = {date}
language = "en"
publisher = "{title} Desk"
intro = """
Welcome to the first issue. Replace this note, add articles to the sections below,
and run `exporter preview issue.toml` to see every format before sending.
"""

[links]
web_version = "https://example.com/{name}/1"
unsubscribe = "https://example.com/{name}/unsubscribe"
archive = "https://example.com/{name}"

[[sections]]
title = "Top stories"
articles = [
  "harbour-lights.md",
]

[email]
embed_images = true                     # photos inside the message; or set asset_base_url to host them
# from_address = "{title} <newsletter@example.com>"

[theme]
accent = "#0b5fa5"
masthead = "{title}"
# logo = "logo.png"                     # shown above the title in every format
# heading_font = "Georgia, serif"
# body_font = "Helvetica, Arial, sans-serif"
'''

ARTICLE = '''\
---
title: Harbour lights return as the night ferries restart
kicker: City
standfirst:
  - After three years without them, the evening crossings are back, and so are the crowds on the quay
authors: [Ana Ribeiro]
publisher: {title} Desk
date: {date}T18:00:00+00:00
url: https://example.com/{name}/harbour-lights
tags: [transport, city]
lead:
  image: photos/harbour.jpg
  alt: Ferries crossing a harbour at dusk under an orange sky
  caption: "The first evening ferry leaves the north quay. Photo: Ana Ribeiro"
---

The first night ferry in three years left the north quay at a quarter past seven, its
deck lights reflected in water that had been dark since the service stopped.

Hundreds of people lined the harbour wall to watch it go. "We used to take it every
Friday," said one passenger, who had queued for an hour. "It is the best view of the city."

## What changes

Boats now run every twenty minutes until midnight, with a late crossing on Saturdays.
Fares are the same as the day service.

![The ticket office on the quay, open again after three years](photos/harbour.jpg "The ticket office reopened on Monday. Photo: Ana Ribeiro")

> The harbour feels like itself again.

The operator says it will review the timetable after the summer.
'''


def new_issue(folder: Path, *, date: str) -> list[Path]:
    """A folder with issue.toml, one Markdown article and its photo; returns the files made."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExporterError(str(folder), "already exists and is not empty; choose a new name")
    name = folder.name
    if not re.fullmatch(r"[\w.-]+", name):
        raise ExporterError(str(folder), "use letters, digits, '-', '_' or '.' for the name")
    title = " ".join(part.capitalize() for part in re.split(r"[-_.]+", name) if part) or "Newsletter"
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    files = [folder / "issue.toml", folder / "harbour-lights.md", folder / "photos" / "harbour.jpg"]
    files[0].write_text(MANIFEST.format(title=title, name=name, date=date), encoding="utf-8")
    files[1].write_text(ARTICLE.format(title=title, name=name, date=date), encoding="utf-8")
    draw_photo(files[2])
    return files


def draw_photo(path: Path, size: tuple[int, int] = (1600, 1067), seed: int = 7) -> None:
    """A harbour at dusk: sky gradient, sun, water, boats. Deterministic for a given seed."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    pen = ImageDraw.Draw(image)
    horizon = int(height * 0.58)
    top, bottom, water = (38, 52, 104), (244, 164, 96), (30, 60, 92)
    for y in range(horizon):
        t = y / horizon
        pen.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    pen.ellipse([width * 0.62, horizon - 150, width * 0.62 + 180, horizon + 30], fill=(255, 214, 140))
    for x in range(0, width, 60):  # the city: a skyline of blocks
        block = rng.randint(40, 220)
        pen.rectangle([x, horizon - block, x + rng.randint(40, 70), horizon], fill=(34, 30, 48))
    for y in range(horizon, height):
        shade = (y - horizon) / (height - horizon)
        pen.line([(0, y), (width, y)], fill=tuple(int(c * (1 - 0.4 * shade)) for c in water))
    for _ in range(140):  # reflections
        x, y = rng.randint(0, width), rng.randint(horizon, height)
        pen.line([(x, y), (x + rng.randint(20, 90), y)], fill=(250, 190, 120), width=2)
    for i in range(3):  # ferries
        x, y = 180 + i * 480 + rng.randint(0, 120), horizon + 90 + i * 110
        pen.polygon([(x, y), (x + 260, y), (x + 220, y + 40), (x + 30, y + 40)], fill=(235, 235, 240))
        pen.rectangle([x + 70, y - 40, x + 190, y], fill=(250, 250, 250))
        for w in range(5):
            pen.rectangle([x + 80 + w * 22, y - 30, x + 92 + w * 22, y - 18], fill=(255, 220, 120))
    image.filter(ImageFilter.GaussianBlur(1.2)).save(path, "JPEG", quality=85, optimize=True)


@dataclass(frozen=True)
class TemplateInfo:
    """One built-in template: its name (as templates refer to it), blocks and purpose."""

    name: str
    description: str
    blocks: tuple[str, ...]


def builtin_names() -> list[str]:
    root = builtin_templates()
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and is_template(p) and "__pycache__" not in p.parts)


def template_info(name: str) -> TemplateInfo:
    path = builtin_templates() / name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return TemplateInfo(name, "(binary file)", ())
    comment = re.match(r"\s*\{#-?\s*(.*?)\s*-?#\}", text, re.S)
    first = comment.group(1).split("\n\n")[0] if comment else ""
    description = " ".join(first.split()).split(". ")[0].rstrip(".")
    blocks = tuple(dict.fromkeys(re.findall(r"\{%-?\s*block\s+(\w+)", text)))
    return TemplateInfo(name, description, blocks)


def list_templates(user_dir: Path | None = None) -> list[str]:
    """Lines for `templates list`: name, named blocks, purpose, and whether user_dir overrides it."""
    lines = []
    for name in builtin_names():
        info = template_info(name)
        line = name
        if info.blocks:
            line += f"  [blocks: {', '.join(info.blocks)}]"
        if info.description:
            line += f"  {info.description}"
        if user_dir is not None and (user_dir / name).is_file():
            line += f"  (overridden by {user_dir / name})"
        lines.append(line)
    return lines


def copy_templates(name: str, target: Path, *, extend: bool = False, force: bool = False) -> list[Path]:
    """Copy a built-in template (or a folder of them, e.g. "email") into target, same layout.

    With `extend`, write instead a stub that extends "!default/NAME" and lists its blocks,
    so a theme overrides one block and keeps the rest of the built-in.
    """
    root = builtin_templates()
    names = builtin_names()
    chosen = [n for n in names if n == name or n.startswith(name.rstrip("/") + "/")]
    if not chosen:
        raise ExporterError(name, f"no such built-in template; choose from {', '.join(names)}")
    if extend:  # only templates with named blocks can be extended usefully
        chosen = [n for n in chosen if template_info(n).blocks]
        if not chosen:
            raise ExporterError(name, "has no named blocks to override; copy it whole "
                                      "(without --extend)")
    written = []
    for template in chosen:
        destination = target / template
        if destination.exists() and not force:
            raise ExporterError(str(destination), "already exists (use --force to overwrite)")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if extend:
            destination.write_text(extend_stub(template), encoding="utf-8")
        else:
            shutil.copyfile(root / template, destination)
        written.append(destination)
    return written


def extend_stub(name: str) -> str:
    info = template_info(name)
    lines = [f'{{% extends "!default/{name}" %}}',
             f"{{# Overrides of the built-in {name}. Anything not overridden stays as built in.",
             "   Override a block by uncommenting it; {{ super() }} keeps the built-in content. #}"]
    for block in info.blocks:
        lines += ["", f"{{# {{% block {block} %}}{{{{ super() }}}}{{% endblock %}} #}}"]
    return "\n".join(lines) + "\n"
