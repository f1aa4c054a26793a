"""The pasted-text source: fixture pages against their expected JSON, and bad input.

Each `tests/fixtures/text/NAME.txt` is a page as an editor pastes it; `NAME.expected.json`
beside it is the model it must give. `pytest --regen` rewrites those: review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.errors import ExporterError, SourceError
from exporter.inline import to_text
from exporter.model import Figure, Paragraph, Quote
from exporter.sources import Origin, read_source
from exporter.sources.text import read

from conftest import FIXTURES, ROOT, normalised

SEED = ROOT.parent / "shared" / "seeds" / "scmp-north-korea-russia.txt"  # shared/ beside the clone
PAGES = sorted((FIXTURES / "text").glob("*.txt"))


def _read_text(text: str, location: str = "pasted.txt") -> list:
    return read(text.encode("utf-8"), Origin(location, None))


def _expected(page: Path) -> Path:
    return page.with_suffix(".expected.json")


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_fixture_page_matches_expected_json(page: Path, golden) -> None:
    golden(_expected(page), [normalised(a.to_dict()) for a in read_source(page)])


def test_there_are_pages_of_several_publications() -> None:
    assert len(PAGES) >= 5
    assert all(_expected(p).is_file() for p in PAGES)


def test_seed_keeps_its_location_as_given_and_drops_all_furniture() -> None:
    location = str(SEED) if SEED.is_file() else str(FIXTURES / "text" / "scmp-north-korea-russia.txt")
    [article] = read_source(location)
    assert article.source.to_dict() == {"kind": "text", "location": location}
    assert article.id == "why-warmer-north-korea-russia-ties-could-be-trouble-for"
    assert (article.kicker, article.reading_time, article.authors) == ("Opinion", 3, [])
    assert article.lead is not None and article.lead.credit == "AP"
    assert article.lead.caption.endswith("balance of power in Northeast Asia.")
    assert [type(b) for b in article.body] == [Paragraph] * 6
    assert article.body[-1].text.startswith("South Korea has announced its own set of measures")
    text = json.dumps(article.to_dict())
    for furniture in ("Advertisement", "Reading Time", "Why you can trust", '"3"'):
        assert furniture not in text


@pytest.mark.parametrize("text", ["", "   \n\n\t", "Advertisement\nShare\n3\n"],
                         ids=["empty", "blank", "furniture-only"])
def test_text_without_a_headline_is_a_source_error(text: str) -> None:
    with pytest.raises(SourceError, match="pasted.txt: no headline"):
        _read_text(text)


def test_headline_without_body_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="no article text found"):
        _read_text("Opinion | A headline with nothing under it\nBy Jane Doe\nAdvertisement\n")


def test_empty_file_is_refused_by_the_registry(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(SourceError, match="empty file"):
        read_source(empty)


def test_ordinary_paragraphs_are_not_captions_headings_or_bylines() -> None:
    [article] = _read_text(
        "Ministers meet to discuss the harbour plan\n"
        "The minister spoke to the AP about the plan on Monday morning.\n"
        "Two officials (left) and the mayor (pictured) signed it after a long debate.\n"
        "By the end of the day, the council had approved the budget for the year.\n")
    assert article.lead is None
    assert [type(b) for b in article.body] == [Paragraph] * 3
    assert article.authors == []


def test_lone_credit_line_credits_the_short_caption_above_it() -> None:
    [article] = _read_text(
        "Ministers meet to discuss the harbour plan\n"
        "The first paragraph of the story explains what happened and why it matters.\n"
        "The harbour at dawn\nPhoto: Jane Doe\n"
        "The second paragraph follows the photo and carries the story on to its end.\n")
    assert article.body[1] == Figure(caption="The harbour at dawn", credit="Jane Doe")


def test_text_markup_is_kept_as_text_not_tags() -> None:
    [article] = _read_text("A headline about <b>bold</b> claims\n"
                           "Body text with <script>alert(1)</script> inside it.\n")
    assert article.body[0].text == "Body text with &lt;script&gt;alert(1)&lt;/script&gt; inside it."


def test_non_latin_pages_get_their_language() -> None:
    [article] = _read_text("북한과 러시아의 새로운 관계\n"
                           "푸틴 대통령이 24년 만에 평양을 방문했다. 양국은 조약에 서명했다.\n")
    assert article.language == "ko"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
       | st.lists(st.sampled_from([
           "Advertisement", "Opinion | A headline of some length", "By Jane Doe", "• bullet",
           "- item", "1. first", "Image source, AP", "Image caption, A caption", "Photo: AP",
           "“Quoted words here for sure.” — Name", "Related", "Short heading",
           "A paragraph of ordinary text that goes on.", "19 June 2024", "3", ""]),
           max_size=20).map("\n".join))
def test_any_text_gives_articles_or_a_source_error(text: str) -> None:
    try:
        articles = _read_text(text)
    except SourceError:
        return
    except ExporterError as error:  # pragma: no cover - reported as a failure below
        pytest.fail(f"unexpected error kind {type(error).__name__}: {error}")
    assert len(articles) == 1 and articles[0].title and articles[0].body


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_articles_or_a_source_error(data: bytes) -> None:
    try:
        read(data, Origin("pasted.txt", None))
    except SourceError:
        pass


BODY = "The first paragraph of the story explains what happened and why it matters to readers.\n"


@pytest.mark.parametrize("first_line, kicker, title", [
    ("Opinion | Why ties could be trouble", "Opinion", "Why ties could be trouble"),
    ("Hong Kong economy | Why rents keep rising", "Hong Kong economy", "Why rents keep rising"),
    ("ANALYSIS: Typhoon season tests new alerts", "ANALYSIS", "Typhoon season tests new alerts"),
    ("Explainer — What the new pact means", "Explainer", "What the new pact means"),
    ("Russia-North Korea pact: what we know so far", None, "Russia-North Korea pact: what we know so far"),
    ("Putin and Kim — a friendship of convenience", None, "Putin and Kim — a friendship of convenience"),
    ("Four lessons from the summit in Pyongyang", None, "Four lessons from the summit in Pyongyang"),
])
def test_kicker_patterns(first_line: str, kicker: str | None, title: str) -> None:
    [article] = _read_text(first_line + "\n" + BODY)
    assert (article.kicker, article.title) == (kicker, title)


def test_summary_under_headline_is_standfirst_only_when_metadata_follows() -> None:
    summary = "A short summary of the story under the headline"
    [with_byline] = _read_text(f"A headline of some length\n{summary}\nBy Jane Doe\n{BODY}")
    [without] = _read_text(f"A headline of some length\n{summary}\n{BODY}")
    assert with_byline.standfirst == [summary] and with_byline.authors == ["Jane Doe"]
    assert without.standfirst == [] and without.body[0] == Paragraph(text=summary)


def test_newsletter_prompt_without_a_box_keeps_the_text_after_it() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}Sign up to our newsletter\n"
                           "The council will vote on the plan next week, officials said.\n")
    assert [to_text(b.text) for b in article.body] == [
        BODY.strip(), "The council will vote on the plan next week, officials said."]


def test_newsletter_box_is_dropped_up_to_its_button() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}Get the Morning Briefing newsletter\n"
                           "The day's news, every morning.\nEnter your email\nSign up\n"
                           "The council will vote on the plan next week, officials said.\n")
    assert len(article.body) == 2


def test_tail_ends_the_article_and_inline_promos_are_dropped() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}Read more: Another story entirely\n"
                           "The council will vote on the plan next week, officials said.\n"
                           "Related Topics\nA story that must not be read as the article\n")
    assert len(article.body) == 2


def test_pull_quote_with_attribution_on_the_next_line() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}“We will not give up the harbour.”\n"
                           "— Kim Min-jun, harbour master\n")
    assert article.body[1] == Quote(text="We will not give up the harbour.",
                                    attribution="Kim Min-jun, harbour master")


def test_quoted_paragraph_with_speech_is_not_a_pull_quote() -> None:
    line = "“We will not give up the harbour,” said Kim Min-jun, who has worked there for years."
    [article] = _read_text(f"A headline of some length\n{BODY}{line}\n")
    assert article.body[1] == Paragraph(text=line)


def test_bbc_video_captions_are_dropped_and_bare_image_lines_become_figures() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}Media caption, Watch: the ferry at sea\n"
                           "Image caption, The harbour at dawn\nThe second paragraph of the story.\n")
    assert article.body[1] == Figure(caption="The harbour at dawn", credit=None)
    assert len(article.body) == 3


def test_date_and_reading_time_on_one_line_and_url_from_origin() -> None:
    [article] = read(f"A headline of some length\nBy Jane Doe | 19 June 2024 | 5 min read\n{BODY}"
                     .encode(), Origin("pasted.txt", None, url="https://example.com/a"))
    assert (article.authors, article.published, article.reading_time, article.url) == (
        ["Jane Doe"], "2024-06-19", 5, "https://example.com/a")


def test_topic_links_in_the_tail_become_tags() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}Reuse this content\nRelated Topics\n"
                           "South Korea\nSeoul\nSeoul\nMore on this story\nA headline of another story\n")
    assert article.tags == ["South Korea", "Seoul"]


def test_date_and_byline_shaped_lines_deep_in_the_body_stay_text() -> None:
    [article] = _read_text(f"A headline of some length\n{BODY}{BODY}{BODY}19 June 2024\n"
                           "Jane Doe in Seoul\nThe last paragraph of the story, after the timeline.\n")
    assert article.published is None and article.authors == []
    assert [to_text(b.text) for b in article.body[3:]] == [
        "19 June 2024", "Jane Doe in Seoul", "The last paragraph of the story, after the timeline."]
