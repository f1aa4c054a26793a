"""The model: JSON round trips losslessly and inline markup is always sanitised."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ModelError
from exporter.model import (Article, Embed, Figure, Heading, Image, Issue, Links, ListBlock,
                            Paragraph, Quote, Section, Table, unique_ids)

ARTICLE = Article(
    title="T", kicker="K", standfirst=["<em>s</em>"], authors=["A B"], publisher="P",
    published="2024-06-19", updated="2024-06-19T10:00:00+00:00", url="https://x.test/a",
    language="zh-Hant", reading_time=3,
    lead=Figure(image=None, caption="Caption.", credit="AP"),
    body=[Paragraph(text="p <a href='https://x.test'>l</a>"), Heading(level=3, text="h"),
          Quote(text="q", attribution="Q"), ListBlock(ordered=True, items=["1", "2"]),
          Figure(image=Image(src="a.jpg", alt="a", width=10, height=20), caption="c", credit=None),
          Embed(url="https://v.test/1", title="V", caption="e"),
          Table(caption="t", header=["h1"], rows=[["c1"]])],
    tags=["x"])


def test_json_round_trip_is_lossless():
    issue = Issue(title="Issue", date="2024-06-24", subtitle="S", edition="No. 1",
                  publisher="P", intro=[Paragraph(text="Hi")],
                  sections=[Section(title="S", articles=[ARTICLE])],
                  links=Links(web_version="https://x.test/w", unsubscribe="https://x.test/u"))
    data = json.loads(json.dumps(issue.to_dict()))
    assert Issue.from_dict(data).to_dict() == data
    assert data["sections"][0]["articles"][0]["lead"]["type"] == "figure"


def test_every_field_of_the_contract_is_present():
    fields = set(ARTICLE.to_dict())
    assert fields == {"id", "title", "kicker", "standfirst", "authors", "publisher", "published",
                      "updated", "url", "language", "reading_time", "lead", "body", "tags",
                      "source"}


@pytest.mark.parametrize("markup, kept", [
    ('<script>alert(1)</script>ok', "ok"),
    ('<a href="javascript:alert(1)" onclick="x()">l</a>', "<a>l</a>"),
    ('<iframe src="https://evil.test"></iframe><b>bold</b>', "bold"),
    ('<img src=x onerror=alert(1)>text', "text"),
    ('<a href="https://ok.test" style="x" title="t">ok</a>', '<a href="https://ok.test">ok</a>'),
    ("a\x00b\u200bc", "abc"),
    ("line<br/>break", "line<br>break"),
])
def test_inline_fields_keep_only_the_allowed_subset(markup, kept):
    assert Paragraph(text=markup).text == kept
    assert Figure(caption=markup).caption == kept
    assert Article(title="t", standfirst=[markup]).standfirst == [kept]


def test_unique_ids_keep_the_first_and_number_the_rest():
    articles = [Article(title="Same"), Article(title="Same"), Article(title="Same")]
    unique_ids(articles)
    assert [a.id for a in articles] == ["same", "same-2", "same-3"]


@pytest.mark.parametrize("data, message", [
    ({"title": "x", "body": "text"}, "body: expected a list of blocks"),
    ({"title": "x", "lead": {"type": "figure", "image": {"alt": "a"}}}, "lead.image.src: missing"),
    ({"title": "x", "reading_time": "3"}, "reading_time: expected an integer"),
    ({"title": "x", "authors": [1]}, "authors: expected a list of strings"),
])
def test_wrong_shapes_name_the_field(data, message):
    with pytest.raises(ModelError, match=message):
        Article.from_dict(data)


text = st.text(max_size=60)
blocks = st.one_of(
    st.builds(lambda t: {"type": "paragraph", "text": t}, text),
    st.builds(lambda t, lvl: {"type": "heading", "level": lvl, "text": t}, text, st.integers(2, 4)),
    st.builds(lambda t, a: {"type": "quote", "text": t, "attribution": a}, text, st.none() | text),
    st.builds(lambda c, cr: {"type": "figure", "image": None, "caption": c, "credit": cr},
              st.none() | text, st.none() | text),
)


@settings(max_examples=150, deadline=None)
@given(title=text, body=st.lists(blocks, max_size=5), standfirst=st.lists(text, max_size=3))
def test_any_article_json_round_trips_after_normalising(title, body, standfirst):
    """One pass through the model normalises; after that, JSON -> model -> JSON is exact."""
    try:
        first = Article.from_dict({"title": title, "body": body, "standfirst": standfirst}).to_dict()
    except ModelError:
        return
    assert Article.from_dict(json.loads(json.dumps(first))).to_dict() == first


@pytest.mark.parametrize("given, kept", [
    ("zh-Hant", "zh-Hant"), ("pt_BR", "pt-BR"), (" de ", "de"),
    ('en" onload="alert(1)', "en"), ("", "en"), ("english please", "en"),
])
def test_language_is_a_tag_or_the_default(given, kept):
    """Outputs write it into lang attributes, where anything else is invalid."""
    assert Article(title="t", language=given).language == kept
    assert Issue(title="i", date="2024-06-24", language=given).language == kept
