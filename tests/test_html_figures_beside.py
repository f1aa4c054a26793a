"""Figures whose caption is not inside a `<figure>`: beside the photo's wrapper, in a
layout table, under a script-driven player; and captions that are only a credit."""

from __future__ import annotations

import pytest

from exporter.sources import Origin
from exporter.sources.html import parse
from exporter.sources.html_figures import find_figures

PHOTO = '<img src="https://x.example/p.jpg" width="640" height="400" alt="">'
BLANK = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Boats">'


def figures_of(markup: str) -> list[tuple[str | None, str | None, str | None]]:
    root = parse(f"<html><body><article>{markup}</article></body></html>", Origin("a.html", None))
    return [(f.block.image.src if f.block.image else None, f.block.caption, f.block.credit)
            for f in find_figures(root, None)]


@pytest.mark.parametrize("markup", [
    f'<div class="media">{PHOTO}</div><p class="media-caption">Boats at dawn. Photo: Jo Li</p>',
    f'<figure>{PHOTO}</figure><figcaption>Boats at dawn. Photo: Jo Li</figcaption>',
    f'<div>{PHOTO}</div><div role="caption">Boats at dawn. Photo: Jo Li</div>',
    f'<table><tr><td>{PHOTO}</td></tr><tr><td>Boats at dawn. Photo: Jo Li</td></tr></table>',
    # Two lazy-loading stand-ins over one photo (the real one in <noscript>), its caption
    # in a box after the photo's wrapper.
    f'<div class="media"><div><figure><span>{BLANK}{BLANK}<noscript>{PHOTO}</noscript></span>'
    '</figure></div></div><div class="media-caption"><figcaption>Boats at dawn. Photo: Jo Li'
    '</figcaption></div>',
])
def test_caption_beside_the_photo(markup: str) -> None:
    assert figures_of(markup) == [("https://x.example/p.jpg", "Boats at dawn.", "Jo Li")]


def test_caption_beside_a_player_with_a_poster() -> None:
    markup = ('<div class="wrap"><div class="video-player" data-poster="https://x.example/still.jpg">'
              '</div><div class="video-caption">The launch, filmed from the pier.</div></div>'
              '<p>Unrelated paragraph of the article that follows the player.</p>')
    assert figures_of(markup) == [("https://x.example/still.jpg", "The launch, filmed from the pier.",
                                   None)]


def test_data_table_with_a_photo_is_not_a_figure() -> None:
    markup = (f"<table><tr><td>{PHOTO}</td><td>Jo Li</td></tr>"
              "<tr><td>Boats</td><td>12</td></tr></table>")
    assert all(caption is None for _, caption, _ in figures_of(markup))


@pytest.mark.parametrize(("caption", "expected"), [
    ("<span>Credit</span>Jo Li", (None, "Jo Li")),
    ("Photo: Jo Li", (None, "Jo Li")),
    ("Source of the river, high in the hills.", ("Source of the river, high in the hills.", None)),
    ("Mara Quist, who leads the crew  Submitted photo", ("Mara Quist, who leads the crew",
                                                         "Submitted photo")),
])
def test_credit_only_and_source_credits(caption: str, expected: tuple) -> None:
    [(_, *got)] = figures_of(f"<figure>{PHOTO}<figcaption>{caption}</figcaption></figure>")
    assert tuple(got) == expected


def test_each_gallery_item_is_a_figure_and_its_title_no_caption() -> None:
    markup = ('<div class="gallery"><h3 class="gallery-title">Scenes</h3>'
              f'<figure>{PHOTO}<figcaption>One.</figcaption></figure>'
              f'<figure>{PHOTO}<figcaption>Two.</figcaption></figure></div>')
    assert [c for _, c, _ in figures_of(markup)] == ["One.", "Two."]
