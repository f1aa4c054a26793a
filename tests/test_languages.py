"""Every word around the articles in the issue's language, and issues read right to left.

Each shipped language builds an issue of its own (email full and teaser, PDF, EPUB) whose
outputs must show no English label and the locale's date; the Arabic PDF and EPUB turn
pages right to left; the catalogues cover every label the code and templates use.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from PIL import Image, ImageDraw
from pypdf import PdfReader

from exporter.cli import main
from exporter.labels import LOCALE_DIR, PLACEHOLDER, TEMPLATE, labels, shipped
from exporter.model import Article, Paragraph
from exporter.templating import css_content

from conftest import ROOT, SAMPLES

ISSUE_DATE = "2026-11-30"
LANGUAGES = [tag for tag in shipped() if tag != "en"]


def english_labels() -> dict[str, list[re.Pattern[str]]]:
    """Each label's English text (singular and plural) as a pattern; placeholders match anything."""
    from babel.messages.pofile import read_po

    with TEMPLATE.open("rb") as pot:
        catalog = read_po(pot)
    patterns: dict[str, list[re.Pattern[str]]] = {}
    for message in catalog:
        if not message.context:
            continue
        texts = message.id if isinstance(message.id, tuple) else (message.id,)
        patterns[message.context] = [
            re.compile(r"(?<!\w)" + ".+?".join(re.escape(p) for p in PLACEHOLDER.split(text)[::2])
                       + r"(?!\w)", re.I)
            for text in texts]
    return patterns


def _photo(path: Path) -> None:
    image = Image.new("RGB", (900, 600), (60, 110, 150))
    ImageDraw.Draw(image).ellipse((300, 150, 600, 450), fill=(240, 210, 120))
    image.save(path, "JPEG", quality=80)


def _article(tag: str, number: int) -> dict:
    """An article in the model's JSON form whose own text is Greek: never an English word."""
    figure = {"type": "figure", "image": {"src": "photo.jpg", "alt": "Εικόνα"},
              "caption": "Λεζάντα", "credit": "Ζήτα Ήτα"}
    return {
        "title": f"Ωμέγα {number}", "language": tag, "authors": ["Άλφα Βήτα", "Γάμμα Δέλτα"],
        "published": "2026-11-27", "url": f"https://example.com/{tag}/{number}",
        "standfirst": ["Περίληψη"], "lead": figure,
        "body": [{"type": "paragraph", "text": "Κείμενο <a href=\"https://example.com/"
                  f"{tag}/{number % 2 + 1}\">πρώτο</a>."},
                 {"type": "figure", "image": {"src": "photo.jpg", "alt": "Εικόνα"},
                  "caption": None, "credit": None},
                 {"type": "embed", "url": "https://video.example.com/v/1", "title": "",
                  "caption": None},
                 {"type": "paragraph", "text": "Κείμενο δεύτερο."}],
    }


def _issue(folder: Path, tag: str, articles: int = 7) -> Path:
    """An issue in `tag` with more articles than the PDF cover lists ("and 2 more stories")."""
    folder.mkdir(parents=True, exist_ok=True)
    _photo(folder / "photo.jpg")
    (folder / "articles.json").write_text(
        json.dumps([_article(tag, n) for n in range(1, articles + 1)], ensure_ascii=False),
        encoding="utf-8")
    manifest = folder / "issue.toml"
    manifest.write_text(f"""
title = "Ψήφισμα"
date = {ISSUE_DATE}
language = "{tag}"
publisher = "Εκδότης"
intro = "Σημείωμα."
[links]
web_version = "https://example.com/{tag}/w"
unsubscribe = "https://example.com/{tag}/u"
archive = "https://example.com/{tag}/a"
[email]
embed_images = true
[pdf]
workers = 1
[[sections]]
title = "Τμήμα"
articles = ["articles.json"]
""", encoding="utf-8")
    return manifest


def _visible(markup: bytes | str, xml: bool = False) -> str:
    """The text a reader sees or hears: text nodes plus alt, title and aria-label values."""
    if xml:
        root = etree.fromstring(markup if isinstance(markup, bytes) else markup.encode())
    else:
        root = lxml_html.fromstring(markup)
    for element in root.iter("{*}style", "style", "{*}script", "script"):
        element.getparent().remove(element)
    attributes = [v for el in root.iter() if isinstance(el.tag, str)
                  for k, v in el.attrib.items() if k in ("alt", "title", "aria-label")]
    return " ".join(["".join(root.itertext()), *attributes])


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _epub_texts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as book:
        return {name: _visible(book.read(name), xml=True) for name in book.namelist()
                if name.endswith((".xhtml", ".ncx"))}


@pytest.fixture(scope="module", params=LANGUAGES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One language's issue in every format, and its email again as teasers."""
    tag = request.param
    folder = tmp_path_factory.mktemp(f"lang-{tag}")
    manifest = _issue(folder / "src", tag)
    out, teasers = folder / "out", folder / "teasers"
    assert main(["build", str(manifest), "-o", str(out), "-f", "email,pdf,epub", "--quiet"]) == 0
    assert main(["build", str(manifest), "-o", str(teasers), "-f", "email", "--quiet",
                 "-O", "email.mode=teaser"]) == 0
    texts = {
        "email html": _visible((out / "issue.html").read_text(encoding="utf-8")),
        "email text": (out / "issue.txt").read_text(encoding="utf-8"),
        "web version": _visible((out / "issue.web.html").read_text(encoding="utf-8")),
        "teaser html": _visible((teasers / "issue.html").read_text(encoding="utf-8")),
        "teaser text": (teasers / "issue.txt").read_text(encoding="utf-8"),
        "pdf": _pdf_text(out / "issue.pdf"),
        **{f"epub {name}": text for name, text in _epub_texts(out / "issue.epub").items()},
    }
    return {"tag": tag, "out": out, "texts": texts}


def test_no_english_label_remains_in_any_format(built: dict) -> None:
    found = [f"{where}: {key} ({match.group(0)!r})"
             for key, patterns in english_labels().items()
             for pattern in patterns
             for where, text in built["texts"].items()
             if (match := pattern.search(text))]
    assert not found, f"{built['tag']}: English labels left: {found[:8]}"


def test_dates_are_written_the_locales_way(built: dict) -> None:
    date = labels(built["tag"]).date(ISSUE_DATE)
    texts = built["texts"]
    for where in ("email html", "email text", "web version", "epub EPUB/text/contents.xhtml",
                  "epub EPUB/toc.ncx"):
        assert date in " ".join(texts[where].split()) or date in texts[where], where
    # pdftotext marks right-to-left runs with bidi controls and may reorder the words
    pdf = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", " ", texts["pdf"]).split()
    assert all(word in pdf for word in date.split()), (date, pdf[:12])
    article_date = labels(built["tag"]).date("2026-11-27")
    assert article_date in texts["email text"]


def test_labels_are_translated_and_filled(built: dict) -> None:
    """Spot checks that the translations are used, numbers and names filled in."""
    tag, texts = built["tag"], built["texts"]
    mine = labels(tag)
    by = mine.pgettext("byline", "By %(authors)s", authors=mine.names(["Άλφα Βήτα", "Γάμμα Δέλτα"]))
    assert by in texts["email text"]
    assert mine.pgettext("in_this_issue", "In this issue") in texts["epub EPUB/text/contents.xhtml"]
    assert mine.pgettext("continue_reading", "Continue reading") in texts["teaser text"]
    assert mine.pgettext("unsubscribe", "Unsubscribe") in texts["email html"]


def test_right_to_left_languages_turn_pages_right_to_left(built: dict) -> None:
    tag, out = built["tag"], built["out"]
    rtl = labels(tag).direction == "rtl"
    catalog = PdfReader(out / "issue.pdf").trailer["/Root"]
    direction = catalog.get("/ViewerPreferences", {}).get("/Direction")
    assert direction == ("/R2L" if rtl else None)
    with zipfile.ZipFile(out / "issue.epub") as book:
        opf = book.read("EPUB/content.opf").decode()
        contents = book.read("EPUB/text/contents.xhtml").decode()
    assert ('page-progression-direction="rtl"' in opf) is rtl
    assert (re.search(r'<package [^>]*dir="rtl"', opf) is not None) is rtl
    assert f'dir="{"rtl" if rtl else "ltr"}"' in contents
    email = (out / "issue.html").read_text(encoding="utf-8")
    assert re.search(r'<html [^>]*dir="(\w+)"', email).group(1) == ("rtl" if rtl else "ltr")
    web = (out / "issue.web.html").read_text(encoding="utf-8")
    assert re.search(r'<html [^>]*dir="(\w+)"', web).group(1) == ("rtl" if rtl else "ltr")


@pytest.mark.parametrize("manifest", ["taiwan-briefing.toml", "gulf-briefing.toml"])
def test_zh_hant_and_arabic_samples_pass_epubcheck(manifest: str, tmp_path: Path) -> None:
    from test_epub import _epubcheck

    assert main(["build", str(SAMPLES / manifest), "-o", str(tmp_path), "-f", "epub", "--quiet"]) == 0
    check = _epubcheck(tmp_path / manifest.replace(".toml", ".epub"))
    checker = check.checker
    assert (checker.nFatal, checker.nError, checker.nWarning) == (0, 0, 0), \
        [m.short for m in check.messages]


def test_an_arabic_article_keeps_its_direction_in_an_english_issue(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    manifest = _issue(folder, "en", articles=1)
    arabic = _article("ar", 2)
    (folder / "arabic.json").write_text(json.dumps(arabic, ensure_ascii=False), encoding="utf-8")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'articles = ["articles.json"]', 'articles = ["articles.json", "arabic.json"]'),
        encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(manifest), "-o", str(out), "-f", "email,epub", "--quiet"]) == 0
    ar = labels("ar")
    minutes = ar.npgettext("min_read", "%(num)s min read", "%(num)s min read", 1)
    email = (out / "issue.html").read_text(encoding="utf-8").replace("&nbsp;", " ")
    head = re.search(r'<div class="article-head"[^>]*id="a2"[^>]*>', email).group(0)
    assert 'dir="rtl"' in head and 'lang="ar"' in head
    assert minutes in email and "In this issue" in email
    with zipfile.ZipFile(out / "issue.epub") as book:
        page = book.read(next(n for n in book.namelist() if n.startswith("EPUB/text/002-"))).decode()
        contents = book.read("EPUB/text/contents.xhtml").decode()
        opf = book.read("EPUB/content.opf").decode()
    assert re.search(r'<html [^>]*dir="rtl"', page)
    assert ar.pgettext("byline", "By %(authors)s", authors="") in page
    assert "In this issue" in contents and minutes in contents
    assert "page-progression-direction" not in opf


def test_manifest_labels_replace_built_in_ones(tmp_path: Path) -> None:
    manifest = _issue(tmp_path / "src", "de", articles=1)
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("[links]", '[labels]\nin_this_issue = "Heute im Heft"\n'
                                     'min_read = "%(num)s Minuten"\n[links]'), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(manifest), "-o", str(out), "-f", "email", "--quiet"]) == 0
    email = (out / "issue.txt").read_text(encoding="utf-8")
    assert "HEUTE IM HEFT" in email and "In dieser Ausgabe".upper() not in email
    assert "Minuten" in (out / "issue.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("table, message", [
    ('[labels]\ncontents_page = "Inhalt"', "unknown label 'labels.contents_page'"),
    ('[labels]\nmin_read = "Minuten"', "'labels.min_read' must keep %(num)s"),
    ('[labels]\ncontents = 3', "'labels.contents' must be text"),
])
def test_bad_labels_fail_with_one_line_naming_the_key(tmp_path: Path, capsys, table: str,
                                                      message: str) -> None:
    manifest = _issue(tmp_path / "src", "de", articles=1)
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("[links]", table + "\n[links]"),
                        encoding="utf-8")
    assert main(["build", str(manifest), "-o", str(tmp_path / "out"), "-f", "json"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_language_without_labels_falls_back_to_english_with_one_warning(tmp_path: Path,
                                                                         capsys) -> None:
    manifest = _issue(tmp_path / "src", "sw", articles=2)
    out = tmp_path / "out"
    assert main(["build", str(manifest), "-o", str(out), "-f", "email,epub", "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "'sw'" in line]
    assert len(warnings) == 1 and "English" in warnings[0]
    assert "IN THIS ISSUE" in (out / "issue.txt").read_text(encoding="utf-8")


def test_every_catalogue_translates_every_label_with_its_placeholders() -> None:
    from babel.messages.pofile import read_po

    with TEMPLATE.open("rb") as pot:
        wanted = {m.context: m for m in read_po(pot) if m.id}
    assert {"zh-Hans", "zh-Hant", "ja", "ko", "fr", "de", "es", "pt", "id", "vi", "th", "ar",
            "he", "en"} <= set(shipped())
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/exporter.po")):
        with po.open("rb") as file:
            catalog = {m.context: m for m in read_po(file) if m.id}
        assert catalog.keys() == wanted.keys(), po
        for key, message in catalog.items():
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            english = message.id[-1] if isinstance(message.id, tuple) else message.id
            for text in strings:
                assert text, f"{po}: {key} is not translated"
                assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(english)), (po, key)


def test_the_catalogue_template_lists_every_label_the_code_and_templates_use() -> None:
    """A label added without `make labels` would stay English in every language."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    used = {(context, msgid if isinstance(msgid, str) else msgid[0])
            for _, _, msgid, _, context in extract_from_dir(str(ROOT), method_map, options_map)}
    with TEMPLATE.open("rb") as pot:
        listed = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(pot) if m.id}
    assert used == listed


def test_reading_time_counts_characters_where_words_have_no_spaces() -> None:
    chinese = Article(title="x", language="zh-Hant", body=[Paragraph(text="港" * 1500)])
    english = Article(title="x", body=[Paragraph(text="harbour " * 1150)])
    thai = Article(title="x", language="th", body=[Paragraph(text="ท่าเรือ" * 1000)])
    assert (chinese.reading_time, english.reading_time, thai.reading_time) == (5, 5, 5)


def test_page_labels_become_css_content() -> None:
    assert css_content("Page %(page)s of %(pages)s") == '"Page " counter(page) " of " counter(pages)'
    assert css_content("第 %(page)s 頁，共 %(pages)s 頁") == \
        '"第 " counter(page) " 頁，共 " counter(pages) " 頁"'
    assert css_content('%(page)s "/" %(pages)s') == 'counter(page) " \\"/\\" " counter(pages)'
    assert css_content("→ p. %(page)s", page="target-counter(attr(href url), page)") == \
        '"→ p. " target-counter(attr(href url), page)'


def test_a_catalogue_is_compiled_once_and_then_read_from_the_build_cache(tmp_path, monkeypatch):
    """Parsing a .po file costs more than a small rebuild: its compiled form is kept,
    keyed by the file's bytes."""
    from exporter import labels

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    labels._translations.cache_clear()
    french = labels._translations("fr").pgettext("continue_reading", "Continue reading")
    assert french != "Continue reading"

    def no_parsing(*args, **kwargs):
        raise AssertionError("the .po file was parsed again")

    monkeypatch.setattr("babel.messages.pofile.read_po", no_parsing)  # imported when used
    labels._translations.cache_clear()
    try:
        assert labels._translations("fr").pgettext("continue_reading", "Continue reading") == french
    finally:
        labels._translations.cache_clear()
