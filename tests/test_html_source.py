"""The HTML source against invented pages: each fixture's model is compared with the JSON beside it.

Regenerate the goldens after a deliberate change (then review the diff):

    pytest tests/test_html_source.py --regen
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import pytest

from exporter.errors import SourceError
from exporter.model import Article
from exporter.sources import Origin
from exporter.sources.bylines import people
from exporter.sources.html import parse, read
from exporter.sources.html_figures import find_figures
from exporter.sources.html_images import is_placeholder, parse_srcset
from exporter.sources.html_meta import language_tag, strip_site_name

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PAGES = sorted(FIXTURES.glob("*.html"))


def model_of(page: Path) -> dict:
    # The location is the bare file name so goldens do not depend on the checkout path.
    return read(page.read_bytes(), Origin(page.name, page.parent))[0].to_dict()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_matches_golden(page: Path, golden: Callable[[Path, object], None]) -> None:
    golden(page.with_suffix(".expected.json"), model_of(page))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_model_round_trips_through_json(page: Path) -> None:
    data = model_of(page)
    assert Article.from_dict(data).to_dict() == data


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_placeholder_images(page: Path) -> None:
    article = Article.from_dict(model_of(page))
    for figure in article.figures():
        assert figure.image is None or not is_placeholder(figure.image.src)


def test_furniture_never_appears() -> None:
    text = json.dumps(model_of(FIXTURES / "furniture.html"))
    for furniture in ("Advertisement", "cookies", "Share on", "newsletter", "Subscribe",
                      "Tram extension", "Bike lanes", "TRACKING", "tracking", "3 comments",
                      "late shifts", "banner.jpg", "All rights reserved"):
        assert furniture not in text


def test_captions_carry_credits_three_ways() -> None:
    figures = Article.from_dict(model_of(FIXTURES / "credits-three-ways.html")).figures()
    assert [f.credit for f in figures] == [
        "Sana Idris", "Owen Pryce/Riverside Post", "Festival Trust", "REUTERS/Ana Morel"]
    assert all(f.caption and "Photograph" not in f.caption and "credit" not in f.caption
               for f in figures)


def test_lead_is_the_figure_before_the_first_paragraph() -> None:
    article = Article.from_dict(model_of(FIXTURES / "picture-srcset.html"))
    assert article.lead is not None and article.lead.credit == "Tomas Reyes"
    assert article.body[0].type == "paragraph"


def test_markup_leftovers_cut_no_text() -> None:
    """An empty anchor `<span>` or icon `<i>` does not cut its sentence short; a paragraph
    with a bordered inline style, in a float-clearing (`overflow: hidden`) wrapper or
    hidden only when printed is kept; a list quoted in a blockquote stays in the quote."""
    body = model_of(FIXTURES / "markup-leftovers.html")["body"]
    text = " ".join(b.get("text", "") for b in body)
    for words in ("seven instead of six", "Commuters who start work early",
                  "look at the numbers again in January", "Winter tickets go on sale",
                  "Cyclists may take their bikes", "Dogs on a lead travel free"):
        assert words in text
    quote = next(b for b in body if b["type"] == "quote")
    assert "• run an extra crossing on the evening of the Christmas market." in quote["text"]


def test_other_stories_teasers_are_not_the_text() -> None:
    """Items side by side, each headed by a link to another page of the site, are a
    teaser list (with its heading); a listicle's items linking to other sites are text."""
    text = " ".join(b.get("text", "") for b in model_of(FIXTURES / "teaser-list.html")["body"])
    assert "Nine kilometres along the dyke" in text and "check the tide tables" in text
    for teaser in ("six-kilometre path", "Four keepers", "Forecasters expect", "More from Outdoors"):
        assert teaser not in text


def test_authors_are_people_only() -> None:
    article = Article.from_dict(model_of(FIXTURES / "jsonld-two-authors.html"))
    assert article.authors == ["Anika Solberg", "Rafael Quint"]


@pytest.mark.parametrize("data", [
    b"\x00\x01\x02\xff" * 200, b"\xff\xfe\x00\x00garbage" * 50,
    b"<html><body></body></html>", b"<html>" + b"<div>" * 5000 + b"x"])
def test_unreadable_or_empty_pages_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError, match="empty.html"):
        read(data, Origin("empty.html", None))


@pytest.mark.parametrize("body", ["Closed today.", "<div>The ferry is cancelled until Monday.</div>"])
def test_page_of_one_bare_line_is_read(body: str) -> None:
    """A page with no paragraph markup and a few words is that text, not an error."""
    [article] = read(f"<html><body>{body}</body></html>".encode(), Origin("note.html", None))
    text = " ".join(b.text for b in article.body)
    assert text == re.sub(r"<[^>]+>", "", body)


def test_login_page_without_article_text_is_refused() -> None:
    page = (b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav>"
            b"<form>Sign in to continue <input></form></body></html>")
    with pytest.raises(SourceError, match="no article text"):
        read(page, Origin("login.html", None))


def test_xml_declared_page_is_read() -> None:
    page = (b'<?xml version="1.0" encoding="utf-8"?><html><body><p>The council met on '
            b"Monday and agreed the budget for next year after a long debate.</p></body></html>")
    [article] = read(page, Origin("declared.html", None))
    assert [b.type for b in article.body] == ["paragraph"]


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("Glacier survey finds faster retreat | Northern Science", None,
     "Glacier survey finds faster retreat"),
    ("A long headline here - The Site", "The Site", "A long headline here"),
    ("Why X - and Y - matter", None, "Why X - and Y - matter"),
    ("Headline only", None, "Headline only"),
])
def test_strip_site_name(title: str, site: str | None, expected: str) -> None:
    assert strip_site_name(title, site) == expected


def test_parse_srcset() -> None:
    assert parse_srcset("a.jpg 320w, b.jpg 640w") == [("a.jpg", 320, 320), ("b.jpg", 640, 640)]
    assert parse_srcset("a.jpg, b.jpg 2x") == [("a.jpg", 1, None), ("b.jpg", 2000, None)]


@pytest.mark.parametrize(("tag", "expected"), [
    ("en_gb", "en-GB"), ("zh-hant", "zh-Hant"), ("EN", "en"), ("", None), ("123", None)])
def test_language_tag(tag: str, expected: str | None) -> None:
    assert language_tag(tag) == expected


@pytest.mark.parametrize(("markup", "caption", "credit"), [
    ('<figure><img src="a.jpg"><figcaption>A cat. Photo: <span class="credit">Jo Li</span>'
     "</figcaption></figure>", "A cat.", "Jo Li"),
    ('<figure><img src="a.jpg"><figcaption>A cat.</figcaption>'
     '<small class="copyright">© Jo Li</small></figure>', "A cat.", "Jo Li"),
    ('<figure><img src="a.jpg"><figcaption><span class="sr-only">Image caption</span> A cat.'
     " Getty Images</figcaption></figure>", "A cat.", "Getty Images"),
    ('<div class="wp-caption"><img src="a.jpg"><p class="wp-caption-text">A cat. '
     "Photograph: Jo Li/Agency</p></div>", "A cat.", "Jo Li/Agency"),
    ('<figure><img src="a.jpg"><figcaption><span class="credit">(Image: Jo Li / Getty Images)'
     "</span></figcaption></figure>", None, "Jo Li / Getty Images"),
])
def test_caption_and_credit_are_split(markup: str, caption: str | None, credit: str) -> None:
    root = parse(f"<html><body>{markup}</body></html>", Origin("snippet.html", None))
    [found] = find_figures(root, None)
    assert (found.block.caption, found.block.credit) == (caption, credit)


@pytest.mark.parametrize(("names", "expected"), [
    (["TOM KRISHER, AP Auto Writer"], ["Tom Krisher"]),
    (["Jill Disis, CNN Business"], ["Jill Disis"]),
    (["Amy Kuperinsky | NJ Advance Media for NJ.com"], ["Amy Kuperinsky"]),
    (["Ilana Muhlstein, MS, RDN"], ["Ilana Muhlstein"]),
    (["By Lia Eustachewich and Yaron Steinbuch"], ["Lia Eustachewich", "Yaron Steinbuch"]),
    (["admin", "Staff Reports", "Associated Press", "https://example.org/jo"], []),
    (["Jo Li", "Jo Li"], ["Jo Li"]),
])
def test_bylines_keep_people_only(names: list[str], expected: list[str]) -> None:
    assert people(names) == expected


def test_photo_with_only_a_credit_is_a_figure() -> None:
    markup = ('<div class="photo"><img src="a.jpg"><span class="photo-credit">Jo Li</span></div>')
    root = parse(f"<html><body>{markup}</body></html>", Origin("snippet.html", None))
    [found] = find_figures(root, None)
    assert (found.block.caption, found.block.credit) == (None, "Jo Li")


def test_players_become_embeds_and_trackers_vanish() -> None:
    article = Article.from_dict(model_of(FIXTURES / "embeds.html"))
    embeds = [b for b in article.body if b.type == "embed"]
    assert [e.url for e in embeds] == ["https://video.example/embed/rooftop-choir",
                                       "https://courier.example/video/encore.mp4"]
    assert "ads.example" not in str(article.to_dict())
    assert "tracker.example" not in str(article.to_dict())


@pytest.mark.parametrize(("url", "placeholder"), [
    ("data:image/gif;base64,R0lGOD", True), ("https://x.example/spacer.gif", True),
    ("https://x.example/static/placeholder.png", True), ("https://x.example/1x1.png", True),
    ("https://x.example/missing-image.svg", True), ("https://x.example/blanket.jpg", False),
    ("https://x.example/pixel-phone-review.jpg", False), ("https://x.example/a.jpg", False)])
def test_placeholders(url: str, placeholder: bool) -> None:
    assert is_placeholder(url) is placeholder


def test_declared_charset_is_used_when_not_utf8() -> None:
    page = ('<html><head><meta charset="windows-1252"><title>Caf\u00e9 owners \u201cdelighted\u201d'
            "</title></head><body><article><p>The caf\u00e9 on the corner reopened on Monday "
            "with a new terrace, and its owners said they were \u201cdelighted\u201d by the "
            "queue that formed before nine.</p></article></body></html>").encode("cp1252")
    [article] = read(page, Origin("cp1252.html", None))
    assert article.title == "Caf\u00e9 owners \u201cdelighted\u201d"


def test_share_image_outside_the_text_is_the_lead_with_its_caption() -> None:
    filler = "".join(f"<p>Briefing item {i}.</p>" for i in range(8))  # keeps it out of reach
    body = "".join(f"<p>Paragraph {i} of the story, long enough to be kept as article text by "
                   f"the extractor, with some words about the harbour and the weather.</p>"
                   for i in range(6))
    page = (f'<html><head><meta property="og:image" content="https://x.example/hero-1200.jpg">'
            f"<title>Harbour story</title></head><body><div class='hero'><figure>"
            f'<img src="https://x.example/hero-600.jpg" srcset="https://x.example/hero-1200.jpg 1200w">'
            f"<figcaption>The harbour at dawn. Photo: Jo Li</figcaption></figure></div>"
            f"<div class='briefing'>{filler}</div><article>{body}</article></body></html>")
    [article] = read(page.encode(), Origin("hero.html", None))
    assert article.lead is not None and article.lead.image is not None
    assert (article.lead.image.src, article.lead.caption, article.lead.credit) == (
        "https://x.example/hero-1200.jpg", "The harbour at dawn.", "Jo Li")
    assert all(b.type == "paragraph" for b in article.body)


def test_quote_attribution_is_split_out() -> None:
    body = "".join(f"<p>Paragraph {i} of the story, long enough to be kept as article text by "
                   "the extractor, with some words.</p>" for i in range(4))
    page = (f"<html><body><article>{body}<blockquote><p>We expected change, but not this much "
            "in one season.</p><footer>\u2014 Anika Solberg</footer></blockquote><blockquote>"
            "<p>Another line said by someone.</p><cite>Rafael Quint</cite></blockquote>"
            f"{body}</article></body></html>")
    [article] = read(page.encode(), Origin("quotes.html", None))
    quotes = [(b.text, b.attribution) for b in article.body if b.type == "quote"]
    assert quotes == [("We expected change, but not this much in one season.", "Anika Solberg"),
                      ("Another line said by someone.", "Rafael Quint")]


def _tram_page(label: str, photo: str) -> bytes:
    """A hand-written page: a label above the headline, a photo before the text, no og:image."""
    paragraphs = "".join(
        f"<p>The trams will run every {i + 4} minutes from the ferry terminal to the old market, "
        f"the city council said on Monday, after a vote that ended a decade of argument over the "
        f"cost of the harbour line and its {i + 2} new stops.</p>" for i in range(5))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Trams return to the harbour line | City Paper</title></head><body>"
            f"<header><a href='/'>City Paper</a></header><main><article>"
            f"<div class='article-header'>{label}<h1>Trams return to the harbour line</h1></div>"
            f"{photo}{paragraphs}</article></main></body></html>").encode()


@pytest.mark.parametrize("label", ["<p class='kicker'>Transport</p>",
                                   "<p class='section'><a href='/transport'>Transport</a></p>",
                                   "<span>Transport</span>"])
def test_label_above_the_headline_is_the_kicker_not_a_paragraph(label: str) -> None:
    figure = "<figure><img src='hero.jpg' alt='A tram' width='1200' height='800'><figcaption>A tram at the terminal.</figcaption></figure>"
    article = read(_tram_page(label, figure), Origin("page.html", Path(".")))[0]
    assert article.kicker == "Transport"
    assert all("Transport" not in json.dumps(block.to_dict()) for block in article.body)
    assert article.lead is not None and article.lead.image.src == "hero.jpg"


def test_a_sentence_above_the_headline_is_not_a_kicker() -> None:
    article = read(_tram_page("<p>Updated on Monday.</p>", ""), Origin("page.html", Path(".")))[0]
    assert article.kicker is None


def test_first_photo_before_the_text_is_the_lead_without_og_image() -> None:
    photo = "<img src='hero.jpg' alt='A tram on the harbour line' width='1200' height='800'>"
    article = read(_tram_page("", photo), Origin("page.html", Path(".")))[0]
    assert article.lead is not None and article.lead.image.src == "hero.jpg"
    assert article.lead.image.alt == "A tram on the harbour line"


LOOSE_SENTENCE = "The ferry company moves to its winter timetable every October, a week after the regatta."
FIRST = "<p>Passengers ask every year why the first crossing leaves forty minutes later in winter.</p>"


def _paragraphs(article_markup: str) -> list[str]:
    page = f"<html><body><article><h1>Ferries</h1>{article_markup}</article></body></html>"
    return [b.text for b in read(page.encode(), Origin("page.html", None))[0].body
            if b.type == "paragraph"]


VIDEO = "<div><iframe src='https://video.example/ferry'></iframe></div>"


@pytest.mark.parametrize("markup", [
    # A <div> used as a paragraph, after a short caption line and a video.
    f"{FIRST * 4}<p>The quay</p>{VIDEO}<h2>Winter</h2><div>\n{LOOSE_SENTENCE}\n{LOOSE_SENTENCE}\n</div>",
    f"{FIRST} {LOOSE_SENTENCE} <hr>",  # a run of text between two blocks
    f"<div>{FIRST} {LOOSE_SENTENCE} <figure><img src='a.jpg'></figure></div>",
])
def test_text_outside_paragraph_tags_is_a_paragraph(markup: str) -> None:
    assert any(LOOSE_SENTENCE in p for p in _paragraphs(markup))



def test_a_link_holding_a_block_ends_a_run_of_loose_text() -> None:
    """A teaser link wrapping a `<div>` is a block of its own, not part of the loose
    sentence before it: the sentence stays one paragraph, without the teaser's words."""
    teaser = "<a href='/winter'><div><h3>Winter timetable</h3><p>All crossings listed.</p></div></a>"
    paragraphs = _paragraphs(f"{FIRST * 3} {LOOSE_SENTENCE} {teaser}<p>{LOOSE_SENTENCE[::-1]}</p>")
    assert LOOSE_SENTENCE in paragraphs
