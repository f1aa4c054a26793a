"""Finding the article in a whole-page paste: each page structure on a small page of its own.

The fixture pages `whole-page-*.txt` in tests/fixtures/text hold all of these together;
here each structure is alone, so that a failure names it.
"""

from __future__ import annotations

import pytest

from exporter.inline import to_text
from exporter.model import Figure, Heading, Paragraph
from exporter.sources import Origin
from exporter.sources import text as text_source
from exporter.sources.text import read
from exporter.sources.text_locate import densest_run, locate, rough_run, rough_score, words

STORY = (
    "The council approved the harbour plan on Monday after a debate that lasted most of the day.\n"
    "Work on the new berth will start in the spring and should be finished within two years.\n"
    "Residents said they welcomed the plan but wanted the noise from the quay kept down at night.\n")
MENU = "Home\nNews\nSport\nBusiness\nCulture\nWeather\n"


def _article(text: str):
    [article] = read(text.encode("utf-8"), Origin("pasted.txt", None))
    return article


def _body_text(article) -> list[str]:
    return [to_text(b.text) for b in article.body if isinstance(b, (Paragraph, Heading))]


def test_headline_is_above_the_byline_not_the_first_line_of_the_page() -> None:
    page = (f"Skip to content\nThe Daily Quay\nYour town, every day\n{MENU}"
            "Home › News › Local\nHarbour plan approved\nBy Jane Doe\n19 June 2024\n" + STORY)
    article = _article(page)
    assert (article.title, article.authors, article.published) == (
        "Harbour plan approved", ["Jane Doe"], "2024-06-19")
    assert _body_text(article) == STORY.splitlines()


def test_cookie_banner_above_the_headline_is_not_the_article() -> None:
    banner = ("We use cookies to give you the best experience on our website and to show you "
              "relevant adverts. By continuing you agree to our use of cookies.\nAccept\n")
    article = _article(banner + "Harbour plan approved by the council\nBy Jane Doe\n" + STORY)
    assert article.title == "Harbour plan approved by the council"
    assert _body_text(article) == STORY.splitlines()


@pytest.mark.parametrize("rail", ["Most popular", "Top stories", "Most read"])
def test_a_rail_of_headlines_above_the_article_does_not_end_it(rail: str) -> None:
    page = (f"{MENU}{rail}\nFerry fares rise again\nNew lighthouse opens to visitors\n"
            "Harbour plan approved by the council\n19 June 2024\n" + STORY)
    article = _article(page)
    assert article.title == "Harbour plan approved by the council"
    assert _body_text(article) == STORY.splitlines()


def test_comment_thread_after_the_article_is_not_body() -> None:
    comments = ("2 responses to “Harbour plan approved”\nharbourfan says:\n19 June 2024 at 9:14 am\n"
                "This is the best news the town has had in years and I am very glad about it.\n"
                "Reply\n")
    article = _article("Harbour plan approved\nBy Jane Doe\n" + STORY + comments + STORY)
    assert _body_text(article) == STORY.splitlines()


def test_comment_head_needs_its_time_below_it() -> None:
    line = "The harbour master says:"
    article = _article(f"Harbour plan approved\n{STORY}{line}\n{STORY}")
    assert line in _body_text(article)


def test_a_list_of_teasers_after_the_article_is_not_body() -> None:
    teasers = "".join(f"Another story about the town number {n}\nJohn Roe\n20 June 2024\n"
                      f"A summary of another story that runs to a full sentence of some length.\n"
                      for n in (1, 2, 3))
    article = _article("Harbour plan approved\nBy Jane Doe\n" + STORY + teasers)
    assert _body_text(article) == STORY.splitlines()


def test_inline_related_promo_does_not_cut_the_story_short() -> None:
    first, second, third = STORY.splitlines()
    page = (f"Harbour plan approved\n{first}\n{second}\nRelated\nFerry fares rise again\n"
            f"{third}\nThe plan goes to the regional government for its approval next month.\n")
    assert _body_text(_article(page)) == [
        first, second, third, "The plan goes to the regional government for its approval next month."]


def test_continue_reading_below_and_share_panels_are_dropped() -> None:
    first, second, third = STORY.splitlines()
    page = (f"Harbour plan approved\n{first}\nContinue reading below\n{second}\n"
            f"Share this article\nFacebook\nTwitter\n{third}\nShare this:\n"
            "Click to share on Facebook (Opens in new window)\n")
    assert _body_text(_article(page)) == STORY.splitlines()


def test_image_copyright_and_caption_lines_make_one_figure() -> None:
    first, second, _ = STORY.splitlines()
    page = (f"Harbour plan approved\n{first}\nImage copyright Harbour Authority\n"
            f"Image caption The quay at dawn\n{second}\n")
    assert _article(page).body[1] == Figure(caption="The quay at dawn", credit="Harbour Authority")


def test_agency_caption_without_a_credit_is_a_figure() -> None:
    caption = "In this photo taken on 12 June 2024, lorries queue on the quay before dawn."
    first, second, _ = STORY.splitlines()
    article = _article(f"Harbour plan approved\n{first}\n{caption}\n{second}\n")
    assert article.body[1] == Figure(caption=caption)


def test_gallery_copies_of_a_caption_and_its_controls_are_dropped() -> None:
    caption = "The mayor, left, and the harbour master walk along the quay on Monday morning."
    first, second, _ = STORY.splitlines()
    page = (f"Harbour plan approved\n{first}\n{caption}\n{caption}\nPhoto: Jane Doe\nPhoto: Jane Doe\n"
            f"Image 1 of 4\n1 / 4\nBack to Gallery\n{second}\n")
    assert _article(page).body[1:] == [Figure(caption=caption, credit="Jane Doe"),
                                      Paragraph(text=second)]


def test_question_subheading_is_a_heading() -> None:
    first, second, third = STORY.splitlines()
    article = _article(f"Harbour plan approved\n{first}\n{second}\nWhat happens next?\n{third}\n")
    assert article.body[2] == Heading(level=2, text="What happens next?")


def test_short_question_in_a_quote_stays_text() -> None:
    first, second, _ = STORY.splitlines()
    line = "“Why now?”"
    article = _article(f"Harbour plan approved\n{first}\n{line}\n{second}\n")
    assert article.body[1] == Paragraph(text=line)


def test_title_with_site_name_after_a_bar_loses_the_site_name() -> None:
    article = _article(f"Harbour plan approved after a long debate | The Daily Quay\n{STORY}")
    assert (article.kicker, article.title) == (None, "Harbour plan approved after a long debate")


def test_two_word_title_above_the_byline() -> None:
    article = _article(f"{MENU}Harbour Plan\nBy Jane Doe\n{STORY}")
    assert (article.title, article.authors) == ("Harbour Plan", ["Jane Doe"])


def test_hard_wrapped_paragraphs_are_joined() -> None:
    article = _article("Harbour plan approved\n\nThe council approved the harbour plan on Monday\n"
                       "after a debate that lasted most of the day, officials said.\n\n"
                       "Work on the berth starts in the spring.\n")
    assert _body_text(article) == [
        "The council approved the harbour plan on Monday after a debate that lasted most of "
        "the day, officials said.", "Work on the berth starts in the spring."]


@pytest.mark.parametrize("line, authors, published", [
    ("Von Anna Berger", ["Anna Berger"], None),
    ("Par Jean Dupont le 12 juin 2024", ["Jean Dupont"], "2024-06-12"),
    ("Posted on 19 June 2024 by Jane Doe", ["Jane Doe"], "2024-06-19"),
    ("By Jane Doe on 19 June 2024", ["Jane Doe"], "2024-06-19"),
])
def test_bylines_in_other_languages_and_shapes(line: str, authors: list[str], published: str | None) -> None:
    article = _article(f"Harbour plan approved\n{line}\n{STORY}")
    assert (article.authors, article.published) == (authors, published)
    assert _body_text(article) == STORY.splitlines()


@pytest.mark.parametrize("line", ["vor 2 Stunden", "il y a 3 heures", "hace 5 minutos",
                                  "yesterday", "3時間前", "2 hours ago"])
def test_relative_dates_are_dropped(line: str) -> None:
    article = _article(f"Harbour plan approved\n{line}\n{STORY}")
    assert article.published is None and _body_text(article) == STORY.splitlines()


def test_author_box_after_the_story_ends_it() -> None:
    bio = "Jane Doe has covered the harbour for the paper since 2010 and writes about transport."
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}About Jane Doe\n{bio}\n")
    assert _body_text(article) == STORY.splitlines()


def test_author_box_starting_with_the_authors_name_ends_the_story() -> None:
    bio = ("Jane Doe Jane is the harbour correspondent of the Daily Quay, which she joined in "
           "2010 after ten years at sea.")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{bio}\n")
    assert _body_text(article) == STORY.splitlines()


def test_words_count_characters_of_unspaced_scripts() -> None:
    assert words("The ferry leaves at seven") == 5
    assert words("渡輪將增設夜航班次") == 4.5
    assert words("Kindle for PCの起動ホットキー") == 3 + 4


def test_densest_run_bridges_short_interruptions_but_not_furniture() -> None:
    assert densest_run([-3, -3, 20, -1, -3, 25, -3, -3, -3, -3, -3, -3, -3, -3, 5]) == (2, 5)
    assert densest_run([-3, -3]) is None


def test_locate_finds_the_headline_over_the_header_block() -> None:
    lines = ["Home", "News", "Harbour plan approved", "By Jane Doe", *STORY.splitlines(), "Contact us"]
    kinds = ["text", "text", "text", "meta", "text", "text", "text", "text"]
    frame = locate(kinds, lines)
    assert frame is not None and (frame.title, frame.start, frame.end) == (2, 4, 6)


def test_rough_score_tells_prose_from_labels() -> None:
    assert rough_score(STORY.splitlines()[0]) > 0
    assert rough_score("Home") < 0
    assert rough_score("運輸署周四宣布，由下月起，來往中環與長洲的渡輪將各增設兩班夜航班次。") > 0


def test_a_paste_of_megabytes_of_menus_reads_each_distinct_line_once(monkeypatch) -> None:
    """Linear by construction: a repeated menu line costs a look-up, not the line rules."""
    calls: list[str] = []
    classify = text_source._classify
    monkeypatch.setattr(text_source, "_classify", lambda line: calls.append(line) or classify(line))
    menus = MENU * (2_500_000 // len(MENU))
    article = _article(menus + "Harbour plan approved\nBy Jane Doe\n" + STORY + menus)
    assert len(menus) * 2 > 5_000_000 - 100
    assert _body_text(article) == STORY.splitlines()
    assert len(calls) < 20


def test_the_line_rules_read_a_bounded_window_of_a_huge_paste(monkeypatch) -> None:
    """Lines all different (numbered menus): the rules still read only the lines around
    the prose, however long the paste."""
    calls: list[str] = []
    classify = text_source._classify
    monkeypatch.setattr(text_source, "_classify", lambda line: calls.append(line) or classify(line))
    menus = "".join(f"Section {n}\n" for n in range(100_000))
    article = _article(menus + "Harbour plan approved\nBy Jane Doe\n" + STORY + menus)
    assert _body_text(article) == STORY.splitlines()
    assert len(calls) <= 2 * text_source._READ_MARGIN + 10


WRAPPED = ("The ferry crews on the northern routes will strike for two days next week,\n"
           "their union said on Monday, after talks with the operator about rest periods\n"
           "broke down late on Friday night.\n\n"
           "The operator said it would run a reduced timetable on the busiest routes and\n"
           "that passengers with bookings would be able to change them without a fee.\n")


def test_rough_run_finds_prose_among_raw_lines_blank_wrapped_and_unclean() -> None:
    raw = ["Home", "  News  ", "", "Section 12", *WRAPPED.split("\n"), "Contact us", "Jobs"]
    assert rough_run(raw) == (4, 9)
    assert rough_run(["Home", "", "Weather and travel news"]) is None


def _numbered_menus(count: int) -> str:
    return "".join(f"Section {n}\n" for n in range(count))


def test_a_paste_of_hundreds_of_thousands_of_lines_is_cut_before_any_line_is_cleaned(
        monkeypatch) -> None:
    """Splitting the paste is the only step that reads every line: cleaning, joining and
    classifying read a bounded window around the prose."""
    seen: list[int] = []
    normalised = text_source._normalised_lines
    monkeypatch.setattr(text_source, "_normalised_lines",
                        lambda raw: seen.append(len(raw)) or normalised(raw))
    menus = _numbered_menus(150_000)
    article = _article(menus + "Harbour plan approved\nBy Jane Doe\n" + STORY + menus)
    assert _body_text(article) == STORY.splitlines()
    assert seen and max(seen) <= text_source._RAW_LINES_MAX


def test_a_huge_paste_finds_its_hard_wrapped_story_not_the_footer_far_from_it() -> None:
    """Hard-wrapped lines stop mid-sentence, yet they are the story's prose, and outweigh
    the single long line of an "about us" box further down."""
    menus = _numbered_menus(20_000)
    about = ("The Daily Quay is published by Quay Media, which also publishes three weekly "
             "papers in the small towns along the northern coast of the island.")
    article = _article(f"{menus}Ferry crews to strike\nBy Jane Doe\n\n{WRAPPED}\n{WRAPPED}\n"
                       f"{menus}{about}\n{menus}")
    assert article.title == "Ferry crews to strike"
    assert _body_text(article) == [" ".join(p.split()) for p in WRAPPED.split("\n\n")] * 2


def test_question_headline_over_its_byline_is_the_title_not_the_breadcrumbs() -> None:
    page = (f"{MENU}You are here: HomeNewsLocal\nClose share panel\n"
            "Is the harbour plan good for the town?\nBy Jane Doe\n"
            f"{STORY}Follow the Daily Quay on Twitter and Facebook\n")
    article = _article(page)
    assert (article.title, article.authors) == ("Is the harbour plan good for the town?", ["Jane Doe"])
    assert _body_text(article) == STORY.splitlines()


def test_an_image_source_line_credits_the_photo_under_it_not_the_paragraph_above() -> None:
    story = STORY.splitlines()
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{story[0]}\n{story[1]}\n"
                       f"Image source, @harbourauth\n{story[2]}\n")
    assert _body_text(article) == story


@pytest.mark.parametrize("line, kind", [
    ("Teilen", "furniture"), ("Compartilhe", "furniture"), ("Publicidade", "furniture"),
    ("Schlagwörter", "tail"), ("Meistgelesen", "tail"), ("Les plus lus", "tail"),
    ("Mais lidas", "tail"), ("© 2024 Die Hafenzeitung. Alle Rechte vorbehalten.", "tail"),
    ("Copyright © 2024 O Porto. Todos os direitos reservados.", "tail"),
    ("Artículos relacionados", "promo"), ("Leggi anche", "promo"), ("Weitere Artikel", "promo"),
    ("Deixe um comentário", "comments"), ("Laisser un commentaire", "comments"),
    ("Home > News > Local", "furniture"), ("Startseite › Hafen › Fähren", "furniture"),
    ("61Click to share on Facebook (Opens in new window)61", "furniture"),
    ("Click to email this to a friend (Opens in new window)", "furniture"), ("Like this:", "furniture"),
    ("[Advertisement]", "furniture"), ("【関連記事】", "promo"), ("Quick Links", "tail"),
    ("Community guidelines", "comments"), ("You must be logged in to post a comment.", "comments"),
    ("You must login or create an account to comment.", "comments"), ("Share Tweet Share", "furniture"),
    ("tweet share Reddit Pocket Flipboard Email", "furniture"), ("Next Up In Culture", "promo"),
    ("Main article: Harbour of Quayside", "furniture"), ("1 of 6", "furniture"),
    ("Shares", "furniture"), ("1,204 shares", "furniture"),
    ("Поделиться", "furniture"), ("分享到：", "furniture"), ("シェアする", "furniture"),
    ("Читайте также", "promo"), ("推荐阅读", "promo"), ("おすすめ記事", "promo"),
    ("Самое читаемое", "tail"), ("アクセスランキング（総合）", "tail"),
    ("Оставить комментарий", "comments"), ("发表评论", "comments"),
    ("Read: Why the harbour went quiet", "furniture"), ("Watch: Ferries battle the storm", "furniture"),
    ("Also Read | Ferry fares rise again", "furniture"), ("Read: the council said it would wait.", "text"),
    ("Jane Doe @janedoe", "furniture"), ("Pin it", "furniture"), ("Tweet", "furniture"),
    ("First Published on Nov 20, 2019 01:38 pm", "meta"), ("- Nov. 18th 2019 8:54 am PT", "meta"),
    ("- 250g rolled oats", "bullet"),
    ("Reklama", "furniture"), ("Paylaş", "furniture"), ("Bagikan", "furniture"), ("Chia sẻ", "furniture"),
    ("Baca juga", "promo"), ("Czytaj także", "promo"), ("Läs också", "promo"), ("Tin liên quan", "promo"),
    ("En Çok Okunanlar", "tail"), ("Najczęściej czytane", "tail"), ("Mest lästa", "tail"),
    ("Baca juga: Harga tiket kapal naik lagi", "furniture"), ("Lesen Sie auch: Fähre fällt aus", "furniture"),
    ("Читайте также: Паром отменён", "furniture"), ("Image Copyright @harbourcam @harbourcam", "image_source"),
    ("转播到腾讯微博", "furniture"), ("分享到微信", "furniture"), ("轉發到臉書", "furniture"),
])
def test_page_furniture_and_sections_are_told_in_many_languages(line: str, kind: str) -> None:
    assert text_source._classify(line).kind == kind


def test_two_word_headline_under_a_menu_of_short_items_is_the_title() -> None:
    menu = "Race Reports\nTechnical Pieces\nThe Big Weekend Guide\nForum\nPit Lane\n"
    article = _article(f"{menu}Harbour Standings\n19 June 2024\n{STORY}")
    assert article.title == "Harbour Standings"
    assert _body_text(article) == STORY.splitlines()


JAPANESE_STORY = (
    "港湾局は十九日、北の埠頭に新しい桟橋を建設する計画を発表した。工事は来年の春に始まる予定だという。\n"
    "計画では、Harbour Line Ferry Service の大型船も接岸できるよう、岸壁を二百メートル延ばす。\n"
    "住民からは夜間の騒音を心配する声も上がっており、港湾局は説明会を開くとしている。\n")


def test_teaser_list_after_a_japanese_story_is_not_body() -> None:
    teasers = "".join(f"港の夜景を楽しむ新しい遊覧船が今月から運航開始、週末の便は早くも予約で満席に（{n}） "
                      f"港町新聞 3/{n}(木) 18:01\n" for n in range(1, 8))
    article = _article(f"新しい桟橋の建設計画を発表\n{JAPANESE_STORY}注目のニュース\n{teasers}")
    assert _body_text(article) == JAPANESE_STORY.splitlines()


@pytest.mark.parametrize("label", ["【Related】", "[Related]", "(Related stories)"])
def test_a_bracketed_related_label_heads_a_promo(label: str) -> None:
    rail = ("Ferry fares rise again\nFares on the island routes rise by a tenth from July, the "
            "operator said on Friday.\nNew lighthouse opens to visitors\nThe old tower on the "
            "point opens its doors to visitors for the first time in forty years.\n")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{label}\n{rail}")
    assert _body_text(article) == STORY.splitlines()


def test_comment_section_rules_end_the_article() -> None:
    rules = ("Discussion Policy\nGold Badge\n"
             "Gold badge holders consistently post smart, timely comments about the harbour.\n"
             "You must be logged in to report a comment.\n"
             "Comments our editors find particularly useful are displayed in Top Comments.\n")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}Comments\n{rules}")
    assert _body_text(article) == STORY.splitlines()


def test_links_joined_by_bars_and_a_quick_links_footer_are_not_body() -> None:
    footer = ("Quick Links\nOur services\n"
              "Quay | Ferry timetables and fares Quay | Parking at the harbour Quay | Berth "
              "bookings for boats Quay | Moorings for visitors Quay | The harbour master's office\n")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{footer}")
    assert _body_text(article) == STORY.splitlines()


CODE = """(function(exports) {
  "use strict";
  function Cow(name) {
    this.name = name || "Anon cow";
  }
  exports.Cow = Cow;
  Cow.prototype = {
    greets: function(target) {
      if (!target) {
        throw new Error("missing target");
      }
      return this.name + " greets " + target;
    }
  };
})(this);
// cow_test.js
var expect = chai.expect;
<script src="vendor/coverage.js"></script>
<script src="cow_test.js"></script>
"""


def test_a_code_sample_stays_inside_a_tutorial() -> None:
    intro = ("Adding coverage to the test suite is a matter of loading one more script in the "
             "page that runs the tests, before the tests themselves:")
    outro = ("Running the tests now prints a report at the bottom of the page with the lines "
             "that no test has reached, which is where the next tests should go.")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{intro}\n{CODE}{outro}\n")
    assert _body_text(article) == [*STORY.splitlines(), intro,
                                   *(" ".join(line.split()) for line in CODE.splitlines()), outro]


def test_chinese_paragraph_ending_in_a_translators_note_is_prose() -> None:
    story = ("港務局週四宣布，北面碼頭將興建新的泊位，工程預計明年春季動工，兩年內完成。\n"
             "居民普遍歡迎計劃，但希望當局在夜間控制碼頭的噪音，並增加往來市區的巴士班次。\n")
    last = "港務局表示，將在下月舉行居民諮詢會，詳細介紹工程的時間表和交通安排。（編譯/林小東）"
    article = _article(f"港務局宣布興建新泊位\n航運日報2024年6月20日07:17\n{story}{last}\n")
    assert article.published == "2024-06-20T07:17"
    assert _body_text(article) == [*story.splitlines(), last]


def test_teaser_cards_inside_the_story_are_dropped() -> None:
    first, second, third = STORY.splitlines()
    card = ("Ferry Fares Rise Again This Summer " * 3).strip()
    summary = "Fares on the island routes rise by a tenth from July, the operator… Read more Read more"
    article = _article(f"Harbour plan approved\n{first}\n{second}\n{card}\n{summary}\n{third}\n")
    assert _body_text(article) == STORY.splitlines()



def test_a_share_panel_between_the_headline_and_the_story_is_not_body() -> None:
    panel = ("Share this with\nEmail\nCopy this link\nhttps://www.example.org/news/harbour-plan\n"
             "Report\n")
    article = _article(f"{MENU}Harbour plan approved by the council\nBy Jane Doe\n{panel}{STORY}")
    assert _body_text(article) == STORY.splitlines()


def test_the_line_rules_read_a_bounded_number_of_characters_of_a_paste_all_prose(
        monkeypatch) -> None:
    """Megabytes of distinct paragraphs (a book pasted whole): the rules read the story's
    start, up to a budget of characters, and a single line of megabytes is cut there."""
    read_chars: list[int] = []
    classify = text_source._classify
    monkeypatch.setattr(text_source, "_classify",
                        lambda line: read_chars.append(len(line)) or classify(line))
    paragraphs = "".join(f"{STORY.splitlines()[n % 3][:-1]}, in part {n} of the plan.\n"
                         for n in range(5_000))
    article = _article("Harbour plan approved\n" + paragraphs)
    assert _body_text(article)[0] == "The council approved the harbour plan on Monday after a " \
        "debate that lasted most of the day, in part 0 of the plan."
    assert sum(read_chars) <= text_source._READ_CHARS_MAX
    read_chars.clear()
    article = _article("Harbour plan approved\n" + paragraphs.replace("\n", " ") + "\n")
    assert sum(read_chars) <= text_source._READ_CHARS_MAX
    assert len(to_text(article.body[0].text)) < text_source._READ_CHARS_MAX


def test_headline_over_a_date_line_and_a_bare_name_is_the_title() -> None:
    page = (f"{MENU}HARBOUR WEEK\nHarbour plan approved after a long debate\n"
            f"PUBLISHED WED, JUN 19 2024 4:29 PM\nJane Doe\n@JANEDOE\n{STORY}")
    assert _article(page).title == "Harbour plan approved after a long debate"


def test_headline_over_two_word_buttons_and_a_photo_is_the_title() -> None:
    page = (f"{MENU}Harbour plan approved after a long debate\nShare on Facebook\nMore Options\n"
            "Share via Email\nResize Text\nPrint Article\nThe quay at dawn on Monday.\n"
            f"(Bild: Hafenamt)\nBy Jane Doe\n{STORY}")
    article = _article(page)
    assert article.title == "Harbour plan approved after a long debate"
    assert article.lead is not None and article.lead.credit == "Hafenamt"
    assert _body_text(article) == STORY.splitlines()


def test_a_publication_stamp_under_the_story_is_not_body() -> None:
    story = STORY * 2
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{story}"
                       "Published: Monday, June 17th, 2024 at 11:08 a.m.\n")
    assert _body_text(article) == story.splitlines()


def test_byline_naming_the_authors_publication_after_a_bar() -> None:
    article = _article(f"Harbour plan approved\nBy Jane Doe | Quay Media for the Daily Quay\n{STORY}")
    assert article.authors == ["Jane Doe"]
    assert _body_text(article) == STORY.splitlines()


COMMENT = ("I have lived by the harbour for thirty years and I have never seen the council move "
           "this fast on anything, which makes me wonder who gains from the new berth.")


@pytest.mark.parametrize("when", ["19 June 2024 at 9:14 am", "2 hours ago"])
def test_a_thread_of_comments_without_reply_buttons_is_not_body(when: str) -> None:
    thread = "".join(f"harbourfan{n}\n{when}\n{COMMENT}\nLike\n" for n in range(4))
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}4 Comments\n{thread}")
    assert _body_text(article) == STORY.splitlines()


def test_a_live_blogs_timed_entries_stay_in_the_story() -> None:
    entries = "".join(f"9:1{n} am\n{STORY}" for n in range(3))
    article = _article(f"Harbour strike: live\nBy Jane Doe\n{STORY}{entries}")
    assert len(_body_text(article)) > len(STORY.splitlines()) * 3


def test_a_paragraph_of_one_sentence_said_twice_is_text_not_a_card() -> None:
    line = STORY.splitlines()[0]
    article = _article(f"Harbour plan approved\n{line} {line}\n{STORY}")
    assert _body_text(article)[0] == f"{line} {line}"


@pytest.mark.parametrize("bio", [
    "Jane Doe est journaliste au service Région depuis 2012 et couvre le port et les transports.",
    "Jane Doe es redactora de la sección Local desde 2015 y escribe sobre el puerto.",
])
def test_author_box_under_the_authors_bare_name_ends_the_story_in_other_languages(bio: str) -> None:
    article = _article(f"Harbour plan approved\nPar Jane Doe\n{STORY}Jane Doe\n{bio}\n")
    assert _body_text(article) == STORY.splitlines()


def test_a_live_blog_keeps_its_entries_and_its_headline_above_the_key_events() -> None:
    entries = STORY.splitlines()
    page = (f"{MENU}Live\nHarbour storm: ferries cancelled as gales hit the islands\n"
            "By Jane Doe and Tom Reed\nKey events\n15:20 Last ferry cancelled\n13:05 Coast road closed\n"
            f"Share\n15:20\nLast ferry cancelled\n{entries[0]}\n14:32\nJane Doe\n{entries[1]}\n"
            f"13:05\nCoast road closed\n{entries[2]}\nMost popular\nFerry fares rise again\n")
    article = _article(page)
    assert article.title == "Harbour storm: ferries cancelled as gales hit the islands"
    assert _body_text(article) == ["15:20 Last ferry cancelled", entries[0], "14:32", entries[1],
                                   "13:05 Coast road closed", entries[2]]


def test_a_time_under_the_byline_of_a_story_is_not_a_heading() -> None:
    article = _article(f"Harbour plan approved by the council\nBy Jane Doe\n19 June 2024\n10:32\n{STORY}")
    assert _body_text(article) == STORY.splitlines()


def test_a_share_bar_of_single_buttons_and_joined_labels_under_the_headline_is_not_body() -> None:
    bar = "Continue reading the main story Share this page\nShare\nTweet\nEmail\nMore\nSave\nPhoto\n"
    caption = ("Ferries at the quay on Monday. The council says the plan will let residents sleep "
               "through the night for the first time in years.")
    article = _article(f"{MENU}Harbour plan approved\nBy Jane Doe\n{bar}{caption}\n{STORY}")
    assert article.title == "Harbour plan approved"
    assert _body_text(article)[-3:] == STORY.splitlines()
    assert not {"Tweet", "More", "Photo"} & set(_body_text(article))


def test_a_byline_run_together_with_its_date_and_an_agency_credit_are_not_the_headline() -> None:
    page = (f"{MENU}Harbour plan approved by the council\n6366\nJANE ROE/AFP/Getty Images\n"
            f"by Jane Doe19 Jun 2024651\n{STORY}")
    article = _article(page)
    assert article.title == "Harbour plan approved by the council"
    assert _body_text(article) == STORY.splitlines()


def test_an_agency_credit_alone_credits_the_photo_under_it_not_the_line_above() -> None:
    subheading = "The new berth"
    page = (f"Harbour plan approved by the council\nBy Jane Doe\n{STORY}{subheading}\n"
            f"Jane Roe/Quay Press\n{STORY}")
    article = _article(page)
    assert subheading in _body_text(article)
    assert [b.credit for b in article.body if isinstance(b, Figure)] == ["Jane Roe/Quay Press"]


def test_a_one_word_headline_over_the_story_is_the_title_not_its_first_paragraph() -> None:
    article = _article(f"{MENU}Obituary\n{STORY}")
    assert article.title == "Obituary"
    assert _body_text(article) == STORY.splitlines()


def test_an_authors_biography_under_the_story_ends_it_whoever_the_byline_named() -> None:
    bio = "Sam Patel is a freelance writer based in Busan who covers shipping and the sea."
    article = _article(f"Harbour plan approved by the council\nStaff\n{STORY}{bio}\nMore from Sam\n")
    assert _body_text(article) == STORY.splitlines()


def test_a_profile_of_a_writer_keeps_its_paragraphs_about_them() -> None:
    profile = "Sam Patel is a freelance writer who moved to the harbour in 2010 to write about it."
    article = _article(f"Harbour plan approved by the council\n{STORY}{profile}\n{STORY}")
    assert profile in _body_text(article)


def test_a_listicles_numbered_subheadings_keep_their_numbers() -> None:
    first, second, third = STORY.splitlines()
    article = _article(f"Three ways to save the harbour\n{first}\n1. Move the lorries\n{second}\n"
                       f"2. Dim the lights\n{third}\n")
    assert _body_text(article) == [first, "1. Move the lorries", second, "2. Dim the lights", third]


def test_a_caption_run_together_with_its_agency_credit_is_a_figure_not_the_headline() -> None:
    page = (f"{MENU}Harbour plan approved by the council\nJane Doe, Quay News\n"
            f"Lorries queue on the quay at dawn.Jane Roe/Getty\n{STORY}")
    article = _article(page)
    assert article.title == "Harbour plan approved by the council"
    assert (article.lead.caption, article.lead.credit) == ("Lorries queue on the quay at dawn.", "Jane Roe/Getty")


@pytest.mark.parametrize("name", ["Harbour Lights Ltd.", "Harbour Lights"])
def test_a_press_releases_about_box_under_the_story_is_not_body(name: str) -> None:
    about = (f"{name} is a leading maker of marine lighting, with offices in eight countries "
             "and around 1,300 staff worldwide.")
    article = _article(f"Harbour Lights wins the port contract\n{STORY}About {name}\n{about}\n")
    assert _body_text(article) == STORY.splitlines()


def test_a_thread_of_long_comments_does_not_outweigh_the_short_story_above_it() -> None:
    story = STORY.splitlines()[:2]
    thread = "".join(f"Sam Roe\n{COMMENT} {COMMENT}\nReply\n" for _ in range(5))
    page = (f"Harbour plan approved\nBy Jane Doe\n" + "\n".join(story)
            + f"\nShare\n5 thoughts on “Harbour plan approved”\n{thread}Leave a Reply\n")
    article = _article(page)
    assert (article.title, _body_text(article)) == ("Harbour plan approved", story)


POINTS = ["The council approved a plan to move the lorries off the quay at night.",
          "Work on the holding area starts in September and will be paid for by the port."]


def test_a_key_points_box_over_the_lead_photo_is_the_standfirst_not_the_body() -> None:
    page = (f"{MENU}Harbour plan approved by the council\n19 June 2024\nJane Doe\nKey Points\n"
            + "\n".join(POINTS) + "\nLorries on the quay. Photo: Jane Roe\n" + STORY)
    article = _article(page)
    assert article.standfirst == POINTS
    assert _body_text(article) == STORY.splitlines()


def test_key_points_running_straight_into_the_story_stay_in_the_body() -> None:
    page = f"{MENU}Harbour plan approved by the council\n19 June 2024\nKey Points\n" + "\n".join(POINTS) + f"\n{STORY}"
    assert _body_text(_article(page)) == POINTS + STORY.splitlines()


QUERY_OUTPUT = ("SELECT berth, ships FROM harbour_log;\n"
                " berth │ ships │ late\n"
                "───────┼───────┼──────\n"
                + "".join(f" quay {n} │ {n * 3} │ {'t' if n % 2 else 'f'}\n" for n in range(1, 13))
                + "(12 rows)\n")


def test_a_query_and_its_output_table_drawn_with_box_lines_stay_inside_a_tutorial() -> None:
    intro = ("To see which berths were busiest last year, we count the ships that used each one "
             "and whether they were late:")
    after = ("The third quay took the most ships.\n"
             "That is why the plan starts with the third quay and leaves the others for the second year.\n"
             "The same query run on this year's log shows the busiest berths have not changed at all.\n")
    article = _article(f"Counting ships with plain SQL\nBy Jane Doe\n{STORY}{intro}\n{QUERY_OUTPUT}{after}")
    assert article.title == "Counting ships with plain SQL"
    assert _body_text(article) == [*STORY.splitlines(), intro,
                                   *(" ".join(line.split()) for line in QUERY_OUTPUT.splitlines()),
                                   *after.splitlines()]


def test_a_filed_to_label_and_its_tag_under_the_byline_are_not_the_headline() -> None:
    page = (f"{MENU}Harbour plan approved after a long debate\nJane Doe\n19 June 2024\n•\n"
            "Filed to:\nLOCAL POLITICS\n438.3K\n57\n" + STORY)
    article = _article(page)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()


def test_a_headline_under_a_search_boxs_label_is_still_the_headline() -> None:
    article = _article(f"{MENU}Find a story:\nHarbour plan approved after a long debate\nBy Jane Doe\n" + STORY)
    assert article.title == "Harbour plan approved after a long debate"


def test_a_quoted_paragraph_over_a_photos_lone_credit_stays_a_paragraph() -> None:
    quoted = "“The queue grows every week,” the harbour master said. “We test what we can.”"
    after = ("The lab sends its results by post the next morning, and most boats come back a month "
             "later with a new sample for the chemists to test.")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{quoted}\nPhoto by Ann Example\n{after}\n")
    assert quoted in _body_text(article)
    assert any(isinstance(b, Figure) and b.credit == "Ann Example" and b.caption is None for b in article.body)


def test_a_writers_name_and_handle_under_the_headline_is_not_the_headline() -> None:
    article = _article(f"{MENU}Harbour plan approved after a long debate\nJane Doe @janedoe / 2 days\n" + STORY)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()


@pytest.mark.parametrize("labels", ["X Share via\nShare permalink", "Go to permalink"])
def test_a_share_panels_permalink_and_share_via_labels_are_not_the_headline(labels: str) -> None:
    article = _article(f"{MENU}Harbour plan approved after a long debate\n19 June 2024\n{labels}\n"
                       "Quay News, Busan,\n" + STORY)
    assert article.title == "Harbour plan approved after a long debate"


@pytest.mark.parametrize("byline", ["Authors: Jane Doe (harbour correspondent)", "Autori: Anna Ūdre (redaktore)",
                                    "Autor: Hans Müller"])
def test_a_byline_after_an_authors_label_is_not_the_headline(byline: str) -> None:
    article = _article(f"{MENU}Harbour plan approved after a long debate\nToday, 17:40\nLocal\n{byline}\n" + STORY)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()


def test_a_breadcrumb_parted_by_slashes_is_not_the_headline_over_a_long_one() -> None:
    article = _article(f"{MENU}Quay Daily / News\nHarbour plan approved after a long debate in the council\n"
                       "Submitted on Mon, 2024-06-17 13:49\n" + STORY)
    assert article.title == "Harbour plan approved after a long debate in the council"


def test_a_wire_dateline_split_over_lines_and_a_see_more_label_are_not_the_headline() -> None:
    page = f"{MENU}Harbour plan approved after a long debate\nSee More Videos\nBusan\nQNN\n—\n" + STORY
    article = _article(page)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()


@pytest.mark.parametrize("label", ["You Might Also Like …", "Related stories →", "Most popular »", "Read more..."])
def test_a_section_label_ending_in_an_ellipsis_or_an_arrow_still_ends_the_story(label: str) -> None:
    rail = ("Ferry fares rise again as fuel costs climb\nNew lighthouse opens to visitors this summer\n"
            "Fishing fleet returns early after the storm warning\n")
    after = "Jane Doe reports on the harbour and the town for the Quay Daily and has done so for years."
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{label}\n{rail}{after}\n")
    assert _body_text(article) == STORY.splitlines()


CHINESE_STORY = (
    "港务局十九日宣布，将在北码头兴建一座新的栈桥，工程预计明年春天动工，两年内完成。\n"
    "根据计划，码头岸线将延长两百米，以便大型渡轮停靠，并增设候船大厅和停车场。\n"
    "部分居民担心夜间施工噪音，港务局表示将举办说明会，听取居民意见。\n")


def test_a_chinese_dateline_line_under_the_headline_and_a_video_promo_after_the_story() -> None:
    videos = "精彩视频推荐\n自动播放\n渡轮上的一天：船员如何在风浪中工作？\n正在加载...\n"
    article = _article(f"新闻\n港务局宣布兴建北码头新栈桥\n港湾日报2024年6月19日07:17\n我要分享\n"
                       f"港湾日报 6月19日报道\n{CHINESE_STORY}{videos}")
    assert article.title == "港务局宣布兴建北码头新栈桥"
    assert _body_text(article) == CHINESE_STORY.splitlines()


def test_a_javascript_notice_in_japanese_above_the_story_is_not_body() -> None:
    notice = "現在JavaScriptが無効になっています。すべての機能を利用するためには、JavaScriptの設定を有効にしてください。"
    article = _article(f"ニュース\nテクノロジー\n{notice}\n新しい桟橋の建設計画を発表\n港町新聞 3/9(木) 18:45配信\n"
                       + JAPANESE_STORY)
    assert article.title == "新しい桟橋の建設計画を発表"
    assert _body_text(article) == JAPANESE_STORY.splitlines()


def test_a_counter_between_the_byline_and_the_story_is_not_the_headline() -> None:
    page = (f"{MENU}Harbour plan approved after a long debate\nThe council voted for the new berth.\n"
            "Jane Doe - Jun 19, 2024 8:02 pm UTC\nreader comments\n75 with 51 posters participating\n"
            "Share this story\n" + STORY)
    article = _article(page)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()


def test_a_headline_under_the_date_line_is_the_title_not_the_menu_above_the_date() -> None:
    page = f"The Quay Daily\nAbout\nJane Doe\n19 June 2024\nLocal\nHarbour plan approved\n" + STORY
    assert _article(page).title == "Harbour plan approved"


@pytest.mark.parametrize("kicker", ["Harbour & Port —", "Harbour and port news ›"])
def test_a_kicker_ending_in_a_dash_or_an_arrow_is_not_the_headline(kicker: str) -> None:
    page = f"{MENU}{kicker}\nHarbour plan approved after a long debate in the council\n19 June 2024\n" + STORY
    assert _article(page).title == "Harbour plan approved after a long debate in the council"


def test_a_long_standfirst_over_the_photo_and_the_byline_is_not_the_headline() -> None:
    standfirst = ("Officials say the new berth will be finished within two years, but many residents "
                  "are concerned that the noise from the works will keep them awake at night")
    caption = "The north quay, where the new berth will be built, seen from the ferry terminal at dawn."
    page = f"{MENU}Harbour plan approved\n{standfirst}\n{caption}\nBy Jane Doe\n" + STORY
    assert _article(page).title == "Harbour plan approved"


def test_a_headline_with_its_byline_and_date_run_into_it_is_cut_there() -> None:
    headline = "Harbour plan approved after a long debate over noise at the north quay"
    page = f"{MENU}{headline} by Jane Doe — June 19, 2024\n" + STORY
    article = _article(page)
    assert (article.title, article.authors, article.published) == (
        headline, ["Jane Doe"], "2024-06-19")


def test_a_typo_report_box_under_the_story_ends_it() -> None:
    box = ("Found a mistake?\nSelect the text and press Ctrl+Enter to send the passage to the editors!\n"
           "Sign up for our weekly letter from the harbour\n")
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{box}"
                       "Ferry fares rise again as fuel costs climb\n")
    assert _body_text(article)[:3] == STORY.splitlines()
    assert not any("Ctrl+Enter" in line or "weekly letter" in line for line in _body_text(article))


def test_a_keyboard_shortcut_in_the_story_does_not_end_it() -> None:
    shortcut = "To send the form, press Ctrl+Enter, then wait for the harbour office to answer by post."
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{shortcut}\n{STORY}")
    assert shortcut in _body_text(article)


@pytest.mark.parametrize("notice", [
    "Subscribe to continue reading this story and every other from the harbour.",
    "This article is only available to subscribers.",
    "［有料会員限定］ この記事は会員限定です。電子版に登録すると続きをお読みいただけます。",
])
def test_a_paywall_notice_is_not_body(notice: str) -> None:
    article = _article(f"Harbour plan approved\nBy Jane Doe\n{STORY}{notice}\n")
    assert _body_text(article) == STORY.splitlines()


def test_a_code_blocks_copy_button_is_not_body() -> None:
    first, second, third = STORY.splitlines()
    page = f"Harbour plan approved\nBy Jane Doe\n{first}\nCopy\n{second}\nCopied!\n{third}\n"
    assert _body_text(_article(page)) == STORY.splitlines()


def test_a_long_paragraph_over_a_photos_lone_credit_stays_in_the_story() -> None:
    paragraph = ("The harbour master walked us along the north quay, where the new berth will be built, "
                 "and explained how the ferries will turn in the narrow channel once the works are done. "
                 "She has run the port for eleven years and has seen three plans for the quay come and go "
                 "before this one, the first to reach a vote of the full council.")
    first, second, third = STORY.splitlines()
    page = f"Harbour plan approved\nBy Jane Doe\n{first}\n{paragraph}\nPhoto by John Roe\n{second}\n{third}\n"
    assert _body_text(_article(page)) == [first, paragraph, second, third]


def test_a_short_caption_over_a_photos_lone_credit_is_the_photos() -> None:
    first, second, third = STORY.splitlines()
    page = (f"Harbour plan approved\nBy Jane Doe\n{first}\nThe north quay at dawn, seen from the ferry.\n"
            f"Photo by John Roe\n{second}\n{third}\n")
    article = _article(page)
    assert _body_text(article) == STORY.splitlines()
    assert [f.caption for f in article.body if isinstance(f, Figure)] == ["The north quay at dawn, seen from the ferry."]


GERMAN_STORY = (
    "Der Gemeinderat hat am Montag nach einer langen Debatte den Plan für den neuen Hafen gebilligt.\n"
    "Die Arbeiten an dem neuen Liegeplatz sollen im Frühjahr beginnen und in zwei Jahren fertig sein.\n"
    "Die Anwohner begrüßten den Plan, wollen aber, dass der Lärm am Kai in der Nacht gering bleibt.\n")


@pytest.mark.parametrize("rail", ["Ähnliche Beiträge", "Das könnte dich auch interessieren"])
def test_a_german_blogs_related_posts_after_the_story(rail: str) -> None:
    after = (f"{rail}\nDer Fischmarkt zieht an den alten Kai um, wo die Händler schon seit dem Winter "
             "auf einen neuen Platz für ihre Stände warten.\n")
    article = _article(f"Hafenplan gebilligt\nVon Jana Schmidt\n{GERMAN_STORY}{after}")
    assert _body_text(article) == GERMAN_STORY.splitlines()


def test_a_german_blogs_comment_form_after_the_story() -> None:
    after = ("Schreibe einen Kommentar\nIch wohne direkt am Kai und finde es gut, dass endlich etwas passiert, "
             "auch wenn die Bauarbeiten sicher laut werden.\n")
    article = _article(f"Hafenplan gebilligt\nVon Jana Schmidt\n{GERMAN_STORY}{after}")
    assert _body_text(article) == GERMAN_STORY.splitlines()


def test_a_spanish_blogs_post_navigation_and_comment_form_after_the_story() -> None:
    story = ("El ayuntamiento aprobó el lunes el plan del puerto tras un debate que duró casi todo el día.\n"
             "Las obras del nuevo muelle empezarán en primavera y deberían terminar en dos años.\n")
    after = ("Navegación de entradas\nEntrada anterior: El mercado de pescado se traslada al muelle viejo\n"
             "Deja una respuesta\nTu dirección de correo electrónico no será publicada, pero tu nombre y tu "
             "comentario aparecerán debajo de la entrada cuando la redacción lo haya aprobado.\n")
    article = _article(f"Aprobado el plan del puerto\nPor Juana Pérez\n{story}{after}")
    assert _body_text(article) == story.splitlines()


def test_a_video_players_controls_are_not_body() -> None:
    first, second, third = STORY.splitlines()
    page = f"Harbour plan approved\nBy Jane Doe\n{first}\nReplay\nUp next\n{second}\n{third}\n"
    assert _body_text(_article(page)) == STORY.splitlines()


@pytest.mark.parametrize("agency", ["The Associated Press", "Agence France-Presse"])
def test_a_wire_agencys_name_under_the_headline_is_not_the_headline(agency: str) -> None:
    page = f"{MENU}Harbour plan approved after a long debate\n{agency}\n19 June 2024\n" + STORY
    article = _article(page)
    assert article.title == "Harbour plan approved after a long debate"
    assert _body_text(article) == STORY.splitlines()
