"""The web-page source's metadata: one precedence order, and each way pages state it."""

from __future__ import annotations

import pytest

from exporter.sources import Origin
from exporter.sources.html import parse, read
from exporter.sources.html_meta import read_meta

BODY = ("<p>The river rose two metres overnight and the lower town was evacuated before "
        "dawn, the second flood this spring.</p>") * 3

# One page's sources of metadata, best first: each names a different author and date.
SOURCES = {
    "json-ld": ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Flood",'
                ' "author": {"@type": "Person", "name": "Ada Ldson"},'
                ' "datePublished": "2020-01-01T08:00:00Z"}</script>'),
    "microdata": ('<span itemprop="author">Mia Crodata</span>'
                  '<meta itemprop="datePublished" content="2020-01-02">'),
    "meta": ('<meta name="author" content="Meta Tagger">'
             '<meta property="article:published_time" content="2020-01-03">'),
    "visible": '<p class="byline">By Vera Isible</p><time datetime="2020-01-04">4 Jan</time>',
}
EXPECTED = {"json-ld": ("Ada Ldson", "2020-01-01T08:00:00Z"),
            "microdata": ("Mia Crodata", "2020-01-02"),
            "meta": ("Meta Tagger", "2020-01-03"), "visible": ("Vera Isible", "2020-01-04")}


def meta_of(head: str, article: str = "") -> object:
    page = f"<html><head>{head}</head><body><article><h1>Flood</h1>{article}{BODY}</article></body></html>"
    return read_meta(parse(page, Origin("page.html", None)))


@pytest.mark.parametrize("best", list(SOURCES))
def test_one_precedence_order_for_authors_and_dates(best: str) -> None:
    """JSON-LD, then microdata, then meta tags, then the visible header: the best source
    present wins, whatever the worse ones say."""
    present = list(SOURCES)[list(SOURCES).index(best):]
    head = "".join(SOURCES[s] for s in present if s in ("json-ld", "meta"))
    article = "".join(SOURCES[s] for s in present if s in ("microdata", "visible"))
    meta = meta_of(head, article)
    assert (meta.authors, meta.published) == ([EXPECTED[best][0]], EXPECTED[best][1])


@pytest.mark.parametrize("wrapped", [
    "<![CDATA[ {json} ]]>", "<!-- {json} -->", "//<![CDATA[\n{json}\n//]]>",
    "/*<![CDATA[*/ {json} /*]]>*/", "{json};"])
def test_json_ld_in_any_wrapping(wrapped: str) -> None:
    json_ld = ('{"@graph": [{"@type": "WebSite", "name": "Riverside"}, {"@type": "BlogPosting",'
               ' "headline": "Flood", "author": [{"@type": "Person", "name": "Ada Ldson"},'
               ' {"@type": "Organization", "name": "Riverside Desk"}],'
               ' "datePublished": "2015-07-10 09:53:00 -0400"}]}')
    script = wrapped.replace("{json}", json_ld)
    meta = meta_of(f'<script type="application/ld+json">{script}</script>')
    assert meta.authors == ["Ada Ldson"]  # an organisation is not an author
    assert meta.published == "2015-07-10T09:53:00-04:00"


def test_date_published_wins_over_a_later_modified_time() -> None:
    meta = meta_of('<script type="application/ld+json">{"@type": "Article", "headline": "Flood",'
                   ' "datePublished": "2019-05-01"}</script>'
                   '<meta property="article:modified_time" content="2019-06-09T10:00:00Z">'
                   '<meta property="article:published_time" content="2019-06-09T10:00:00Z">')
    assert (meta.published, meta.updated) == ("2019-05-01", "2019-06-09T10:00:00Z")


@pytest.mark.parametrize(("tag", "author"), [
    ('<meta name="DC.creator" content="Lindqvist, Maja">', "Maja Lindqvist"),
    ('<meta property="dc:creator foaf:maker" content="Okafor, Sam">', "Sam Okafor"),
    ('<meta name="byl" content="By Ruth Adeyemi">', "Ruth Adeyemi"),
    ('<meta property="article:author_name" content="Dev Patel">', "Dev Patel"),
])
def test_author_meta_tags(tag: str, author: str) -> None:
    assert meta_of(tag).authors == [author]


@pytest.mark.parametrize("line", ["By Jane Roe", "Par Jane Roe", "Von Jane Roe", "Por Jane Roe",
                                  "Di Jane Roe", "Door Jane Roe"])
def test_by_lines_in_several_languages(line: str) -> None:
    assert meta_of("", f"<div>{line}</div>").authors == ["Jane Roe"]


@pytest.mark.parametrize("markup", [
    '<div class="article-byline"><a href="/a/jr">Jane Roe</a></div>',
    '<span class="author-name">Jane Roe</span>',
    '<cite class="byline"><span class="fn">Jane Roe</span></cite>',
    '<a rel="author" href="/a/jr">Jane Roe</a>',
    '<p itemprop="author" itemscope><span itemprop="name">Jane Roe</span>, Science desk</p>',
])
def test_visible_bylines(markup: str) -> None:
    assert meta_of("", markup).authors == ["Jane Roe"]


def test_teaser_authors_and_author_bios_are_not_the_byline() -> None:
    teaser = ('<aside class="related"><a rel="author" href="/b">Bob Teaser</a></aside>'
              '<div class="author-bio">Jane Roe has covered rivers since 2001.</div>')
    assert meta_of("", teaser).authors == []


@pytest.mark.parametrize(("markup", "minutes"), [
    ("<span>9 min read</span>", 9), ("<div>Lesezeit 5 Min.</div>", 5),
    ('<span class="read">Reading time: 3 minutes</span>', 3)])
def test_stated_reading_time(markup: str, minutes: int) -> None:
    assert meta_of("", markup).reading_time == minutes


def test_reading_time_from_json_ld_duration() -> None:
    meta = meta_of('<script type="application/ld+json">{"@type": "Article", "headline": "Flood",'
                   ' "timeRequired": "PT7M"}</script>')
    assert meta.reading_time == 7


@pytest.mark.parametrize(("head", "markup", "kicker"), [
    ('<meta property="article:section" content="Weather">', '<span class="eyebrow">X</span>', "Weather"),
    ("", '<span class="kicker">Environment</span>', "Environment"),
    ("", "", "Rivers"),  # the breadcrumb's last item, below
])
def test_kicker_sources(head: str, markup: str, kicker: str) -> None:
    crumbs = '<nav aria-label="Breadcrumb"><a href="/">Home</a> <a href="/rivers">Rivers</a></nav>'
    page = (f"<html><head>{head}</head><body>{crumbs}<article><h1>Flood</h1>{markup}{BODY}"
            "</article></body></html>")
    assert read_meta(parse(page, Origin("page.html", None))).kicker == kicker


def test_dek_becomes_the_standfirst_once() -> None:
    dek = "Families in the lower town were told to leave before dawn as the water rose."
    page = (f'<html><body><article><h1>Flood</h1><p class="standfirst">{dek}</p>{BODY}'
            "</article></body></html>")
    article = read(page.encode(), Origin("page.html", None))[0]
    assert article.standfirst == [dek]
    assert all(dek not in str(b) for b in article.body)


def test_summary_in_the_article_header_is_the_standfirst() -> None:
    """An unclassed paragraph under the headline in the article's `<header>` is its
    summary (not the byline line beside it); a section's `<header>` keeps its heading."""
    dek = "Families in the lower town were told to leave before dawn as the water rose."
    page = (f'<html><body><article><header><h1>Flood</h1><p>{dek}</p>'
            '<p class="meta">By Jane Roe, 3 March 2021</p></header>'
            f'{BODY}<section><header><h2>What the repairs cost</h2></header>{BODY}</section>'
            "</article></body></html>")
    article = read(page.encode(), Origin("page.html", None))[0]
    assert article.standfirst == [dek]
    assert article.authors == ["Jane Roe"]
    assert any(b.type == "heading" and "repairs cost" in b.text for b in article.body)


def test_site_header_tagline_is_no_standfirst() -> None:
    page = ('<html><body><header><h1>Riverside Gazette</h1><p>News from both banks of the river'
            f' since eighteen fifty.</p></header><main><h2>Flood</h2>{BODY}</main></body></html>')
    assert read(page.encode(), Origin("page.html", None))[0].standfirst == []


def test_link_to_an_authors_page_is_a_byline() -> None:
    markup = '<div class="meta"><a href="https://x.example/author/jane-roe/">Jane Roe</a></div>'
    assert meta_of("", markup).authors == ["Jane Roe"]


def test_parsely_page_json() -> None:
    tag = ("<meta name=\"parsely-page\" content='{\"title\": \"Flood\", \"author\": \"Jane Roe\","
           " \"pub_date\": \"2012-12-19T18:00:00Z\", \"section\": \"Weather\"}'>")
    meta = meta_of(tag)
    assert (meta.authors, meta.published, meta.kicker) == (["Jane Roe"], "2012-12-19T18:00:00Z",
                                                           "Weather")


@pytest.mark.parametrize(("head", "title"), [
    # The page's other titles agree with each other, not with it: a summary, not the headline.
    ('<title>Flood - Riverside</title><script type="application/ld+json">{"@type": "Article",'
     ' "headline": "water over the lower town"}</script>', "Flood - Riverside"),
    # The h1 says the same as the JSON-LD headline: it is the headline, whatever og:title says.
    ('<meta property="og:title" content="Floods: what to know"><script type="application/ld+json">'
     '{"@type": "Article", "headline": "Flood"}</script>', "Flood"),
    # Nothing else agrees either: the JSON-LD headline stands.
    ('<meta property="og:title" content="Floods: what to know"><script type="application/ld+json">'
     '{"@type": "Article", "headline": "The water came at night"}</script>', "The water came at night"),
])
def test_json_ld_headline_needs_no_contradiction(head: str, title: str) -> None:
    assert meta_of(head).title == title


@pytest.mark.parametrize(("head", "title"), [
    # Dublin Core's title (in a space-separated `property`) before the browser tab's.
    ('<title>Flood - Riverside</title><meta property="x:title dc:title" content="Water over the'
     ' lower town">', "Water over the lower town"),
    ('<meta name="parsely-title" content="Water over the lower town">', "Water over the lower town"),
    # The share card's title stays first.
    ('<meta property="og:title" content="The night the river rose"><meta name="DC.title"'
     ' content="Water over the lower town">', "The night the river rose"),
])
def test_titles_stated_for_machines_before_the_tab(head: str, title: str) -> None:
    assert meta_of(head).title == title


def test_a_mention_in_running_text_is_no_byline() -> None:
    """A link to a person's page inside a sentence names who the story is about."""
    sentence = ('<p>Residents asked the mayor, <a href="https://x.example/people/jane-roe.html">Jane'
                ' Roe</a>, to rebuild the embankment before the autumn storms arrive again.</p>')
    assert meta_of("", sentence).authors == []


@pytest.mark.parametrize(("line", "authors"), [
    ('<p>Written by <a href="/team">Jane Roe, MS</a> on March 3, 2021</p>', ["Jane Roe"]),
    ("<div>By Jane Roe and Sam Okafor | Updated 3 March 2021</div>", ["Jane Roe", "Sam Okafor"]),
    ("<div>By Jane Roe · 5 min read</div>", ["Jane Roe"]),
    ('<span class="byline">Jane Roe 22 Dec 2016</span>', ["Jane Roe"]),
])
def test_byline_that_is_also_the_dateline(line: str, authors: list[str]) -> None:
    """The names, without the date, reading time or "Written" printed on the same line."""
    assert meta_of("", line).authors == authors


def test_a_long_by_line_with_author_page_links_is_a_byline() -> None:
    line = ('<p>By <a href="/staff/jane-roe/">Jane Roe</a> , <a href="/staff/sam-okafor/">Sam'
            ' Okafor</a> <span>on Monday, November 18th, 2019 at 11:08 a.m.</span></p>')
    assert meta_of("", line).authors[:1] == ["Jane Roe"]


@pytest.mark.parametrize(("markup", "authors"), [
    ('<p class="post-meta">Posted by <a href="/u/jr">Jane Roe</a> on 3 March 2021</p>', ["Jane Roe"]),
    ("<div>BY JANE ROE</div>", ["Jane Roe"]),
    ('<div class="article-byline"><span class="byline-label">Words:</span> Jane Roe</div>', ["Jane Roe"]),
    ('<p>By <a href="/a">Jane Roe</a>, <a href="/b">Sam Okafor</a>, <a href="/c">Ann Lee</a>,'
     ' <a href="/d">Bo Li</a> and <a href="/e">Cy Young</a></p>',
     ["Jane Roe", "Sam Okafor", "Ann Lee", "Bo Li", "Cy Young"]),
    ('<div class="meta"><span>By</span> <span><a href="/a">Jane Roe</a></span> <span>and</span>'
     ' <span><a href="/b">Sam Okafor</a></span> <span>5 June 2020</span></div>', ["Jane Roe", "Sam Okafor"]),
    ("<p>By: Jane Roe</p>", ["Jane Roe"]),
    ('<p class="author-signature">Jane Roe is a reporter for the Gazette.</p>', ["Jane Roe"]),
    ('<div class="info">Posted on March 3, 2021 by <a href="/u/jr">Jane Roe</a></div>', ["Jane Roe"]),
    ("<p>Tuesday 15 October 2019 by Jane Roe</p>", ["Jane Roe"]),
    # HTML's contact of the article: its writer (the e-mail address is not a name).
    ('<address>Jane Roe, <a href="mailto:jr@example.org">jr@example.org</a></address>', ["Jane Roe"]),
    ('<aside><article><h2>Other news</h2><address>Sam Okafor</address></article></aside>', []),
    # A byline read whole that names an agency and a place: its parts are no authors.
    ('<div class="article-author"><a class="author-name" href="/author/ap">AP,</a>'
     ' <span class="author-name">Lisbon,</span> <span>Nov 20 2019, 10:18am</span></div>', []),
])
def test_by_line_shapes(markup: str, authors: list[str]) -> None:
    assert meta_of("", markup).authors == authors


SITE = '<meta property="og:site_name" content="Riverside Gazette">'


@pytest.mark.parametrize(("head", "markup", "authors"), [
    # The publisher named as the author gives way to the byline under the headline.
    (SITE + '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Flood",'
     ' "author": "Riverside Gazette"}</script>', '<div class="byline">By Jane Roe</div>', ["Jane Roe"]),
    (SITE + '<meta name="author" content="Riverside Gazette">', '<div class="byline">By Jane Roe</div>',
     ["Jane Roe"]),
    # A one-person blog is named after its author: nobody else is named, the name stands.
    ('<meta property="og:site_name" content="Jane Roe"><meta name="author" content="Jane Roe">', "",
     ["Jane Roe"]),
    ('<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Flood",'
     ' "creator": {"@type": "Person", "name": "Jane Roe"}}</script>', "", ["Jane Roe"]),
])
def test_site_named_as_author(head: str, markup: str, authors: list[str]) -> None:
    assert meta_of(head, markup).authors == authors


@pytest.mark.parametrize(("markup", "authors"), [
    ('<p class="byline">By <a href="/a">Jane Roe</a><br>Science correspondent</p>', ["Jane Roe"]),
    ('<div class="byline">By Jane Roe <span>Chief Economics Correspondent</span></div>', ["Jane Roe"]),
    ('<div class="byline">By Jane Roe <a href="https://social.example/jr">@janeroe</a></div>', ["Jane Roe"]),
    ("<table><tr><td>BY JANE ROE</td></tr></table>", ["Jane Roe"]),  # an old layout table
    ('<font size="2">By Jane Roe</font>', ["Jane Roe"]),
    ('<div class="meta"><time>3 June 2020</time> · By Jane Roe</div>', ["Jane Roe"]),
    ("<p>Author: Jane Roe</p>", ["Jane Roe"]),
    ("<p>Reporting by Jane Roe in Lisbon; editing by Sam Okafor</p>", ["Jane Roe"]),
    # A photo's credit under the lead photo, before the byline, is not the byline.
    ('<figure><img src="a.jpg"><figcaption>The river. <span>By Sam Okafor</span></figcaption>'
     '</figure><div>By Jane Roe</div>', ["Jane Roe"]),
    ('<div class="image-credit">By Sam Okafor</div><div>By Jane Roe</div>', ["Jane Roe"]),
])
def test_byline_beside_titles_dates_and_photo_credits(markup: str, authors: list[str]) -> None:
    assert meta_of("", markup).authors == authors


@pytest.mark.parametrize(("head", "authors"), [
    ('<meta name="author" content="Jane Roe"><meta name="author" content="Sam Okafor">',
     ["Jane Roe", "Sam Okafor"]),
    ('<meta name="DC.creator" content="Roe, Jane"><meta name="DC.creator" content="Okafor, Sam">',
     ["Jane Roe", "Sam Okafor"]),
    ('<meta name="citation_author" content="Jane Roe">', ["Jane Roe"]),
    # One field in its two spellings is one statement, not two authors: `property` wins.
    ('<meta name="DC.creator" content="Okafor, Sam"><meta property="dc:creator" content="Jane Roe">',
     ["Jane Roe"]),
    ('<meta name="author" content="Jane Roe (https://janeroe.example/)">', ["Jane Roe"]),
    # A share card's labelled pair (WordPress SEO plugins write it).
    ('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Jane Roe">'
     '<meta name="twitter:label2" content="Est. reading time"><meta name="twitter:data2" content="4 minutes">',
     ["Jane Roe"]),
    ('<meta name="author" content="Jane Roe &lt;jane@roe.example&gt;">', ["Jane Roe"]),
    (SITE + '<meta name="author" content="Jane Roe | Riverside Gazette">', ["Jane Roe"]),
    (SITE + '<meta name="author" content="Jane Roe - Riverside Gazette">', ["Jane Roe"]),
    ('<meta name="author" content="Jane Roe for the Riverside Gazette">', ["Jane Roe"]),
    # A related story's Article is listed first; the page's own is the one it is headed by.
    ('<script type="application/ld+json">[{"@type": "NewsArticle", "headline": "Bridges and roads'
     ' reopen", "author": {"@type": "Person", "name": "Bob Teaser"}, "description": "Longer."},'
     ' {"@type": "NewsArticle", "headline": "Flood", "author": {"@type": "Person",'
     ' "name": "Jane Roe"}}]</script>', ["Jane Roe"]),
])
def test_author_tags_each_author_and_not_the_site(head: str, authors: list[str]) -> None:
    assert meta_of(head).authors == authors


def test_a_comment_author_inside_the_article_item_is_not_its_author() -> None:
    """A property belongs to its nearest item: the comment's author is the comment's."""
    markup = ('<div itemscope itemtype="https://schema.org/NewsArticle">'
              '<span itemprop="author">Jane Roe</span>'
              '<div itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
              '<span itemprop="author">Sam Okafor</span><p itemprop="text">Well said.</p></div></div>')
    assert meta_of("", markup).authors == ["Jane Roe"]
    assert meta_of("", markup.replace('<span itemprop="author">Jane Roe</span>', "")).authors == []


def test_written_by_box_is_a_byline() -> None:
    assert meta_of("", '<div class="written-by">Jane Roe</div>').authors == ["Jane Roe"]


@pytest.mark.parametrize(("markup", "authors"), [
    ('<div class="byline">Written by Jane Roe<br>Edited by Sam Okafor</div>', ["Jane Roe"]),
    ('<p class="byline">Written by <a href="/a">Jane Roe</a> | Edited by <a href="/b">Sam Okafor'
     '</a></p>', ["Jane Roe"]),
    ("<p>Written by Jane Roe. Photographs by Sam Okafor.</p>", ["Jane Roe"]),
    ('<p class="contributors">Text by Jane Roe · Illustrations by Ann Lee</p>', ["Jane Roe"]),
    ("<p>Par Claire Fontaine, photos par Marc Delorme</p>", ["Claire Fontaine"]),
])
def test_credit_line_of_several_roles_names_only_the_writer(markup: str, authors: list[str]) -> None:
    """"Written by X, Edited by Y": the editor, photographer or illustrator credited on
    the same line is not an author of the text."""
    assert meta_of("", markup).authors == authors


@pytest.mark.parametrize(("head", "markup", "authors"), [
    ("", '<div class="byline">Par Claire Fontaine (avec Marc Delorme et Léa Petit)</div>',
     ["Claire Fontaine", "Marc Delorme", "Léa Petit"]),
    ("", '<div class="byline">By Jane Roe (with Sam Okafor)</div>', ["Jane Roe", "Sam Okafor"]),
    ("", '<p class="author">Jane Roe (with Sam Okafor, Ann Lee and Bo Li)</p>',
     ["Jane Roe", "Sam Okafor", "Ann Lee", "Bo Li"]),
    ("", "<p>Von Jana Roth und Lukas Berger</p>", ["Jana Roth", "Lukas Berger"]),
    ("", "<p>Por Ana Reyes y Luis Ortega</p>", ["Ana Reyes", "Luis Ortega"]),
    ('<meta name="author" content="Claire Fontaine et Marc Delorme">', "",
     ["Claire Fontaine", "Marc Delorme"]),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Flood",'
     ' "author": "Claire Fontaine (avec Marc Delorme et Léa Petit)"}</script>', "",
     ["Claire Fontaine", "Marc Delorme", "Léa Petit"]),
])
def test_co_authors_joined_in_the_pages_language(head: str, markup: str, authors: list[str]) -> None:
    """"X (avec Y et Z)", "X (with Y)", "Von X und Y": every writer named, in order."""
    assert meta_of(head, markup).authors == authors


@pytest.mark.parametrize(("head", "markup"), [
    (SITE, '<div class="byline"><a href="/a">Jane Roe</a> <span>Riverside Gazette</span></div>'),
    (SITE, '<div class="byline">By Jane Roe Riverside Gazette</div>'),
    ("<title>Flood | Riverside Gazette</title>", '<p class="author">Jane Roe Riverside Gazette</p>'),
    (SITE + '<meta name="author" content="Jane Roe Riverside Gazette">', ""),
    ("", "<p>By Jane Roe | Riverside Gazette</p>"),
    ("", '<p class="byline">Jane Roe<br>Riverside Gazette</p>'),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Flood",'
     ' "publisher": {"@type": "Organization", "name": "The Riverside Gazette"},'
     ' "author": {"@type": "Person", "name": "Jane Roe The Riverside Gazette"}}</script>', ""),
])
def test_author_name_followed_by_the_publications_name(head: str, markup: str) -> None:
    """"Jane Roe Riverside Gazette" on a page published by the Riverside Gazette: the
    publication's name after the writer's is not part of it."""
    assert meta_of(head, markup).authors == ["Jane Roe"]


@pytest.mark.parametrize("head", [
    '<meta name="author" content="Riverside Gazette"><meta name="DC.creator" content="Roe, Jane">',
    '<meta name="author" content="web-team"><meta property="dc:creator" content="Jane Roe">',
    '<meta name="author" content="Sam Okafor"><meta name="dcterms.creator" content="Jane Roe">',
])
def test_dublin_core_creator_comes_before_the_author_tag(head: str) -> None:
    """Dublin Core's creator is a bibliographic field a publisher fills in for the piece;
    `<meta name="author">` is often a CMS's page-wide default (the account, the site)."""
    assert meta_of(head).authors == ["Jane Roe"]


@pytest.mark.parametrize(("head", "markup", "authors"), [
    ("", "<p>Par Émilie Dupont</p>", ["Émilie Dupont"]),
    ("", "<p>Door Øyvind Ås en Łukasz Nowak</p>", ["Øyvind Ås", "Łukasz Nowak"]),
    ("", '<div class="byline">Par Émilie Dupont et Ève Martin</div>', ["Émilie Dupont", "Ève Martin"]),
    ("", "<p>Par Marie du Pont</p>", ["Marie du Pont"]),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Flood", "author":'
     ' {"@type": "Person", "givenName": "Émilie", "familyName": "Dupont"}}</script>', "",
     ["Émilie Dupont"]),
])
def test_names_beyond_ascii_capitals_and_in_parts(head: str, markup: str, authors: list[str]) -> None:
    """A name starts with a capital of any cased alphabet ("Émilie", "Łukasz"); a JSON-LD
    Person may give its name as `givenName` and `familyName`."""
    assert meta_of(head, markup).authors == authors
