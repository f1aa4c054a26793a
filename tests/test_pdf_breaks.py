"""Page breaks in the PDF: a photo stays with its caption, a headline with what follows,
and a one-article issue has no contents page. Read back per page with poppler."""

from __future__ import annotations

import collections
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("weasyprint")
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfimages") is None,
                                reason="poppler-utils not installed")

from PIL import Image, ImageDraw  # noqa: E402

from exporter.build import build  # noqa: E402
from exporter.manifest import load_manifest  # noqa: E402

WORDS = ("government minister officials said week city river flood water storm coast region "
         "market prices trade exports factory workers union wages election party").split()


def photo(path: Path, width: int, height: int, rng: random.Random) -> None:
    image = Image.new("RGB", (width, height), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.rectangle([x, y, x + rng.randrange(width // 3), y + rng.randrange(height // 3)],
                       fill=(rng.randrange(256),) * 3)
    image.save(path, quality=70)


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write_issue(folder: Path, seed: int, articles: int, pdf: str = "") -> Path:
    """Articles of random length, each with a lead photo and some floated figures, every
    caption numbered ("Lead caption 3", "Figure caption 3.5") to be found on its page."""
    rng = random.Random(seed)
    names = []
    for i in range(articles):
        photo(folder / f"lead{i}.jpg", 1200, rng.choice([800, 900, 1500]), rng)
        body = []
        for k in range(rng.randint(3, 12)):
            body.append(sentence(rng, rng.randint(30, 120)))
            if rng.random() < 0.3:
                photo(folder / f"fig{i}_{k}.jpg", 900, rng.choice([600, 1200, 1400]), rng)
                body.append(f'![A photo](fig{i}_{k}.jpg "Figure caption {i}.{k} '
                            f'{sentence(rng, rng.randint(8, 30))}")')
        (folder / f"a{i}.md").write_text(
            f"---\ntitle: Headline {i} {sentence(rng, rng.randint(3, 9))}\nkicker: Kicker\n"
            f"standfirst: Standfirst {i} {sentence(rng, rng.randint(10, 30))}\n"
            f"lead:\n  image: lead{i}.jpg\n  caption: \"Lead caption {i} {sentence(rng, rng.randint(10, 40))}\"\n"
            f"  credit: Credit {i}\n---\n\n" + "\n\n".join(body) + "\n")
        names.append(f'"a{i}.md"')
    manifest = folder / "issue.toml"
    manifest.write_text(f'title = "Breaks"\ndate = 2024-06-24\n{pdf}\n[[sections]]\ntitle = "All"\n'
                        f'articles = [{", ".join(names)}]\n')
    return manifest


def build_pdf(manifest: Path, out: Path) -> Path:
    outputs, _ = build(load_manifest(manifest), ["pdf"], out, offline=True)
    return outputs[0].files[0]


def page_texts(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def images_per_page(path: Path) -> collections.Counter:
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True,
                             text=True).stdout.splitlines()[2:]
    return collections.Counter(int(line.split()[0]) for line in listing)


def check_figures_and_headlines(path: Path) -> None:
    pages, images = page_texts(path), images_per_page(path)
    articles = [i for i, text in enumerate(pages) if "Lead caption" in text or "Figure caption" in text]
    assert articles
    for index in range(articles[0], len(pages)):
        captions = re.findall(r"(?:Lead|Figure) caption [\d.]+", pages[index])
        # Every photo has a caption: a photo and its caption share the page.
        assert images[index + 1] == len(captions), f"page {index + 1}: {captions}, {images[index + 1]} photos"
        for number in re.findall(r"Headline (\d+)", pages[index]):
            assert f"Standfirst {number}" in pages[index] and f"Lead caption {number}" in pages[index], \
                f"page {index + 1}: headline {number} parted from its standfirst or lead photo"


def test_floated_figure_moves_whole_to_the_next_page(tmp_path):
    check_figures_and_headlines(build_pdf(write_issue(tmp_path, 5, 3), tmp_path / "out"))


def test_run_on_articles_keep_headline_standfirst_and_lead_together(tmp_path):
    manifest = write_issue(tmp_path, 3, 8, "[pdf]\ncontinuous = true")
    check_figures_and_headlines(build_pdf(manifest, tmp_path / "out"))


def test_one_article_issue_has_no_contents_page(tmp_path):
    path = build_pdf(write_issue(tmp_path, 5, 1), tmp_path / "out")
    pages = page_texts(path)
    assert not any("CONTENTS" in page.upper() for page in pages)
    assert pages[1].count("Headline 0") == 1 and "Standfirst 0" in pages[1]  # the article follows the cover
