"""Property tests: any bytes, text, HTML, Markdown or JSON raise nothing but ExporterError,
inline sanitising is stable, and the model's JSON form round-trips.

Profiles: "ci" (default, small: part of `make test`), "dev" and "long" (`make fuzz`):
    HYPOTHESIS_PROFILE=long pytest tests/test_properties.py
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.errors import ExporterError
from exporter.inline import INLINE_TAGS, URL_SCHEMES, clean_inline, safe_url
from exporter.model import Article, Issue
from exporter.sources import REGISTRY, Origin, read_bytes

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NAMES = {kind.name: f"x{kind.suffixes[0]}" for kind in REGISTRY.values()}
PRESENT = [name for name, kind in REGISTRY.items() if importlib.util.find_spec(kind.module)]


def read_or_error(data: bytes, kind: str) -> None:
    """Reading may give articles or our own error; anything else is a bug."""
    try:
        articles = read_bytes(data, Origin(NAMES[kind], None), name=NAMES[kind])
    except ExporterError as exc:
        assert "\n" not in str(exc)
        return
    assert articles
    for article in articles:
        again = Article.from_dict(json.loads(json.dumps(article.to_dict())))
        assert again.to_dict() == article.to_dict()


# -- fragments that hostile input is made of --------------------------------------------

HTML_BITS = st.sampled_from([
    "<script>", "</script>", "<style>", "</style>", "<p>", "</p>", "<div>", "</div>", "<a href='",
    "javascript:alert(1)", "'>", "</a>", "<img src=x onerror=alert(1)>", "<svg onload=x>", "<iframe>",
    "<!--", "-->", "<![CDATA[", "]]>", "<!doctype html>", "<html>", "<head>", "<body>", "<title>",
    "<meta http-equiv=refresh content='0;url=x'>", "<base href=x>", "<table><tr><td>", "<math><mtext>",
    "<noscript>", "<template>", "&amp;", "&#0;", "&#x110000;", "&lt;", "&nbsp;", "<br>", "<em>",
    "<h1>", "</h1>", "<figure><img src='a.jpg'><figcaption>", "Photo: AP", "</figcaption></figure>",
    "\x00", "\u202e", "\u200b", "\ufeff", "\r", "\n", "\n\n", " ", "é", "中文", "عربى", "😀",
])
MD_BITS = st.sampled_from([
    "# ", "## ", "> ", "- ", "1. ", "* ", "```", "    ", "![", "](", ")", "[", "]", "*", "_", "`",
    "|", "---", "\n", "\n\n", "<div>", "</div>", "<script>", "javascript:x", "data:text/html,x",
    "file:///etc/passwd", "http://127.0.0.1/", "\\", "&", "&#x0;", " ", "title: ", ": ", "- - -",
    "Photo: AP", "\u00a0", "\x00", "é", "中", "—",
])


def joined(bits: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(bits, st.text(max_size=20)), max_size=60).map("".join)


FRONT = st.sampled_from(["", "---\ntitle: T\n---\n", "---\n", "---\ntitle: [\n---\n",
                         "---\ntitle: T\nlead: {image: ../x.jpg}\n---\n", "---\ntitle: T\ndate: 2024-13-45\n---\n"])


@pytest.mark.parametrize("kind", PRESENT)
@given(data=st.binary(max_size=2000))
def test_any_bytes_read_or_fail_cleanly(kind, data):
    read_or_error(data, kind)


@pytest.mark.parametrize("kind", PRESENT)
@given(text=st.text(max_size=500), encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1251", "shift_jis"]))
def test_any_text_reads_or_fails_cleanly(kind, text, encoding):
    read_or_error(text.encode(encoding, "ignore"), kind)


@pytest.mark.parametrize("kind", PRESENT)
@given(markup=joined(HTML_BITS))
def test_html_like_input_reads_or_fails_cleanly(kind, markup):
    read_or_error(markup.encode(), kind)


@given(front=FRONT, body=joined(MD_BITS))
def test_markdown_reads_or_fails_cleanly(front, body):
    read_or_error((front + body).encode(), "markdown")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30)
ARTICLE_KEYS = ["id", "title", "kicker", "standfirst", "authors", "publisher", "published", "url",
                "language", "reading_time", "lead", "body", "tags", "source", "type", "text", "image",
                "caption", "credit", "src", "alt", "level", "items", "ordered", "rows", "header"]


@st.composite
def article_like(draw: st.DrawFn) -> object:
    """JSON shaped almost like an article: right keys, sometimes wrong values."""
    keys = draw(st.lists(st.sampled_from(ARTICLE_KEYS), max_size=8, unique=True))
    value = {k: draw(JSON_VALUES | joined(HTML_BITS)) for k in keys}
    if draw(st.booleans()):
        value["title"] = draw(joined(HTML_BITS))
    if draw(st.booleans()):
        value["body"] = draw(st.lists(st.fixed_dictionaries(
            {"type": st.sampled_from(["paragraph", "heading", "quote", "list", "figure", "embed", "table", "x"])},
            optional={k: JSON_VALUES | joined(HTML_BITS) for k in ARTICLE_KEYS[15:]}), max_size=4))
    return value


@given(document=JSON_VALUES | article_like() | st.lists(article_like(), max_size=3))
def test_json_reads_or_fails_cleanly(document):
    read_or_error(json.dumps(document).encode(), "json")


# -- sanitising and the model's JSON form ----------------------------------------------

@given(markup=joined(HTML_BITS))
def test_clean_inline_is_stable_and_leaves_only_the_inline_subset(markup):
    import lxml.html

    once = clean_inline(markup)
    assert clean_inline(once) == once and "\n" not in once
    if not once.strip():
        return
    for element in lxml.html.fragment_fromstring(once, create_parent="div").iter():
        if element.tag == "div" and element.getparent() is None:
            continue
        assert element.tag in INLINE_TAGS, element.tag
        assert set(element.attrib) <= ({"href"} if element.tag == "a" else set()), element.attrib
        if "href" in element.attrib:
            # relative links stay: the EPUB resolves them against the article's URL
            href = element.get("href")
            assert not href.strip() or href.lstrip().startswith("//") or \
                safe_url(href, URL_SCHEMES, relative=True), href


@given(url=st.text(max_size=40) | joined(st.sampled_from(
    ["javascript:", "JAVA", "script:", "\t", "\n", " ", "\x00", "data:", "http://", "https:", "//", "x", ":"])))
def test_safe_url_only_lets_web_addresses_through(url):
    safe = safe_url(url)
    if safe is not None:
        squeezed = "".join(c for c in safe if c > " " and c != "\x7f").lower()
        assert squeezed.startswith(("http:", "https:"))


INLINE = joined(HTML_BITS)
TEXT = st.text(max_size=30)
OPT_TEXT = st.none() | TEXT
BLOCK = st.one_of(
    st.fixed_dictionaries({"type": st.just("paragraph"), "text": INLINE}),
    st.fixed_dictionaries({"type": st.just("heading"), "level": st.integers(-5, 10), "text": INLINE}),
    st.fixed_dictionaries({"type": st.just("quote"), "text": INLINE, "attribution": OPT_TEXT}),
    st.fixed_dictionaries({"type": st.just("list"), "ordered": st.booleans(), "items": st.lists(INLINE, max_size=3)}),
    st.fixed_dictionaries({"type": st.just("figure"), "caption": st.none() | INLINE, "credit": OPT_TEXT,
                           "image": st.none() | st.fixed_dictionaries({"src": TEXT, "alt": TEXT})}),
    st.fixed_dictionaries({"type": st.just("embed"), "url": TEXT | st.just("javascript:x"), "title": TEXT,
                           "caption": st.none() | INLINE}),
    st.fixed_dictionaries({"type": st.just("table"), "caption": st.none() | INLINE,
                           "header": st.lists(INLINE, max_size=3),
                           "rows": st.lists(st.lists(INLINE, max_size=3), max_size=3)}),
)
ARTICLE = st.fixed_dictionaries(
    {"title": TEXT},
    optional={"id": TEXT, "kicker": OPT_TEXT, "standfirst": st.lists(INLINE, max_size=3),
              "authors": st.lists(TEXT, max_size=3), "url": st.none() | TEXT | st.just("javascript:alert(1)"),
              "language": TEXT, "reading_time": st.integers(-3, 10**6), "body": st.lists(BLOCK, max_size=6),
              "tags": st.lists(TEXT, max_size=3)})


@given(article=ARTICLE)
def test_model_json_round_trips(article):
    once = Article.from_dict(article).to_dict()
    assert Article.from_dict(json.loads(json.dumps(once))).to_dict() == once


@given(articles=st.lists(ARTICLE, min_size=1, max_size=3), title=TEXT,
       links=st.fixed_dictionaries({}, optional={"web_version": OPT_TEXT, "unsubscribe": OPT_TEXT}))
def test_issue_json_round_trips(articles, title, links):
    issue = Issue.from_dict({"title": title, "date": "2024-06-24", "links": links,
                             "sections": [{"title": None, "articles": articles}]})
    once = issue.to_dict()
    assert Issue.from_dict(json.loads(json.dumps(once))).to_dict() == once


TOML_BITS = st.sampled_from([
    'title = "T"\n', "date = 2024-06-24\n", 'date = "yesterday"\n', "[[sections]]\n", 'articles = ["a.md"]\n',
    'articles = [{source = "a.md", lead_image = "../../etc/passwd"}]\n', 'articles = [{source = "/etc/passwd"}]\n',
    'articles = ["http://127.0.0.1/x"]\n', "[links]\n", 'unsubscribe = "javascript:x"\n', "[pdf]\n", "columns = 3\n",
    "columns = \"x\"\n", "[theme]\n", 'accent = "red; } body { display:none"\n', 'intro = """\n<script>x</script>\n"""\n',
    "cover = 5\n", 'templates = "/"\n', "[email]\n", "x = 1\n", "= broken\n", "\x00", "\n",
])


@given(manifest=st.lists(TOML_BITS, max_size=14).map("".join))
def test_any_manifest_loads_or_fails_cleanly(manifest):
    import tempfile
    from pathlib import Path

    from exporter.manifest import load_manifest

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "a.md").write_text("---\ntitle: A\n---\nText.\n")
        path = Path(folder) / "issue.toml"
        path.write_text(manifest)
        try:
            project = load_manifest(path, keep_going=True)
        except ExporterError as exc:
            assert "\n" not in str(exc)
            return
        assert project.issue.articles()
