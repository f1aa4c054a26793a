"""The email backend, read back with real parsers: lxml for the HTML, `email` for the .eml."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import lxml.html
import pytest

from exporter.assets import Assets
from exporter.backends import Job, make_options
from exporter.backends import email as email_backend
from exporter.backends.email.message import compile_mjml, wrap
from exporter.build import build
from exporter.errors import BuildError
from exporter.inline import to_text
from exporter.manifest import load_manifest
from exporter.model import Article, Figure, Image, Issue, Links, Paragraph, Section

from conftest import FIXTURES

pytestmark = pytest.mark.xdist_group("email")

MANIFEST = FIXTURES / "email" / "briefing.toml"
UNSAFE = FIXTURES / "email" / "unsafe.toml"


def _build(manifest: Path, out: Path, **options):
    project = load_manifest(manifest)
    outputs, warnings = build(project, ["email"], out, overrides={"email": options})
    return project, outputs[0], warnings


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("email")
    project, output, _ = _build(MANIFEST, out)
    return project, output, out


def _doc(path: Path):
    return lxml.html.document_fromstring(path.read_text(encoding="utf-8"))


def _assert_safe(doc) -> None:
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in ("script", "iframe", "object", "embed", "frame"), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            assert not re.match(r"\s*javascript:", value, re.I), (el.tag, name, value)


def test_sample_html(sample):
    project, output, out = sample
    html_path = out / "briefing.html"
    raw = html_path.read_text(encoding="utf-8")
    doc = _doc(html_path)
    assert {p.name for p in output.files} >= {"briefing.html", "briefing.txt", "briefing.eml",
                                              "briefing.web.html", "briefing-images"}
    assert doc.get("lang") == "en"
    assert len(raw.encode()) < 90 * 1024
    assert "&apos;" not in raw
    text = " ".join(doc.text_content().split())
    for article in project.issue.articles():
        assert article.title in text
        for fig in article.figures():
            if fig.caption:
                assert " ".join(to_text(fig.caption).split()) in text
            if fig.credit:
                assert fig.credit.upper() in text.upper()
                assert doc.xpath(f'//span[contains(@class, "credit")][contains(., "{fig.credit}")]')
    # every photo: alt present, numeric width, from a 1200 px file, hosted under the base URL
    images = doc.xpath("//img")
    assert len(images) == 5
    for img in images:
        assert img.get("alt") is not None
        assert img.get("width").isdigit()
        assert img.get("src").startswith("https://example.com/briefing/42/briefing-images/")
    assert images[0].get("width") == "600"
    for name in (out / "briefing-images").iterdir():
        from PIL import Image as PILImage

        assert PILImage.open(name).width == 1200
    _assert_safe(doc)
    # layout tables are presentational; links open in a new tab; UTM only on content
    assert all(t.get("role") == "presentation" for t in doc.xpath("//table[not(@class='data')]"))
    for a in doc.xpath("//a[starts-with(@href, 'http')]"):
        assert a.get("target") == "_blank" and "noopener" in (a.get("rel") or ""), a.get("href")
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    headline = doc.xpath('//h3[@class="headline"]/a')[0].get("href")
    assert "utm_source=newsletter" in headline and "utm_campaign=asia-briefing-42" in headline
    unsubscribe = [h for h in hrefs if "unsubscribe" in h]
    assert unsubscribe and not any("utm_" in h for h in unsubscribe)
    # table of contents links to anchors that exist
    for href in [h for h in hrefs if h.startswith("#")]:
        assert doc.xpath(f'//*[@id="{href[1:]}"]'), href
    # preheader, colour scheme and dark mode, web version link, footer
    assert "&#847;" in raw or "\u034f" in raw
    assert doc.xpath('//meta[@name="color-scheme"]')
    assert "prefers-color-scheme: dark" in raw and "[data-ogsc]" in raw
    assert "View in browser" in text and "18 Harbour Road" in text


def test_sample_plain_text(sample):
    project, _, out = sample
    text = (out / "briefing.txt").read_text(encoding="utf-8")
    for article in project.issue.articles():
        assert " ".join(article.title.split()) in " ".join(text.split())
    assert "By Kim Ji-woo and Daniel Park" in text
    assert "[Photo: Inside the Navotas pumping station" in " ".join(text.split()).replace("[Photo: Inside", "[Photo: Inside")
    assert re.search(r"\(Jun Reyes/Asia\s+Briefing\)\]", text)
    assert "https://example.com/environment/mekong-record-low?utm_source=newsletter" in text
    assert "Unsubscribe: https://example.com/unsubscribe?list=asia-briefing" in text
    for line in text.splitlines():
        assert len(line) <= 72 or "://" in line, line
    assert "<" not in re.sub(r"<(https?|mailto):[^>]+>", "", text)


def test_sample_web_version(sample):
    project, _, out = sample
    doc = _doc(out / "briefing.web.html")
    assert doc.get("lang") == "en"
    _assert_safe(doc)
    text = doc.text_content()
    for article in project.issue.articles():
        assert article.title in text
    assert doc.xpath('//meta[@name="viewport"]')
    assert all(img.get("alt") is not None for img in doc.xpath("//img"))


def test_eml_hosted(sample):
    _, _, out = sample
    data = (out / "briefing.eml").read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert message.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Subject"] == "Asia Briefing · No. 42 · 24 June 2024"
    assert message["From"] == "Asia Briefing <briefing@example.com>"
    assert message["Date"] == "Mon, 24 Jun 2024 06:00:00 +0000"
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", message["Message-ID"])
    assert message["List-Unsubscribe"] == ("<https://example.com/unsubscribe?list=asia-briefing>, "
                                           "<mailto:unsubscribe@example.com?subject=unsubscribe>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    def lf(text: str) -> str:
        return text.replace("\r\n", "\n").rstrip("\n")

    html = message.get_body(("html",)).get_content()
    assert lf(html) == lf((out / "briefing.html").read_text(encoding="utf-8"))
    plain = message.get_body(("plain",)).get_content()
    assert lf(plain) == lf((out / "briefing.txt").read_text(encoding="utf-8"))
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def test_builds_are_reproducible(sample, tmp_path):
    _, _, out = sample
    _build(MANIFEST, tmp_path)
    for name in ("briefing.eml", "briefing.html", "briefing.txt", "briefing.web.html"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_eml_embedded_images_resolve(tmp_path):
    _, output, warnings = _build(MANIFEST, tmp_path, embed_images=True)
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "briefing.eml").read_bytes())
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, *images = related.iter_parts()
    cids = {img["Content-ID"].strip("<>"): img for img in images}
    assert len(cids) == 5 and all(i.get_content_type() == "image/jpeg" for i in images)
    html = html_part.get_content()
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert referenced == set(cids)
    # the .html file previews in a browser: its photos point to the image folder
    preview = (tmp_path / "briefing.html").read_text(encoding="utf-8")
    for src in re.findall(r'<img [^>]*src="([^"]+)"', preview):
        assert (tmp_path / src).is_file()
    assert not output.warnings


def test_no_base_url_embeds_with_warning(tmp_path):
    manifest = tmp_path / "m.toml"
    text = MANIFEST.read_text().replace('asset_base_url = "https://example.com/briefing/42"\n', "")
    text = text.replace("../../../samples/", str(MANIFEST.parent.parent.parent.parent / "samples") + "/")
    manifest.write_text(text)
    _, output, _ = _build(manifest, tmp_path / "out")
    assert any("asset_base_url" in w for w in output.warnings)
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "out" / "m.eml").read_bytes())
    assert "cid:" in message.get_body(("html",)).get_content()


PHOTOS = sorted((FIXTURES.parent.parent / "samples" / "photos").glob("*.jpg"))


def _big_issue(n: int = 30) -> Issue:
    """An issue of n articles of ~500 words, each with a lead photo and a caption."""
    words = ("The monsoon arrived late across the region this year, and officials said the "
             "delay would test reservoirs, farmers and the new flood defences alike. ") * 2
    articles = [Article(title=f"Story number {i}: a headline of ordinary length for the test",
                        kicker="Region", standfirst=[f"Standfirst {i} summarises the story in a sentence."],
                        authors=["A. Reporter"], url=f"https://example.com/story/{i}",
                        published="2024-06-24",
                        lead=Figure(image=Image(src=f"photos/{PHOTOS[i % len(PHOTOS)].name}", alt=""),
                                    caption=f"Caption {i}.", credit="Agency"),
                        body=[Paragraph(words) for _ in range(8)]) for i in range(n)]
    return Issue(title="Big Briefing", date="2024-06-24", language="en", publisher="Desk",
                 sections=[Section("All", articles)],
                 links=Links(unsubscribe="https://example.com/u"))


def _job(issue: Issue, out: Path) -> Job:
    out.mkdir(parents=True, exist_ok=True)
    assets = Assets(cache_dir=out / "cache")
    photos = PHOTOS[0].parent.parent
    assets.load_issue(issue, {a.id: photos for a in issue.articles()})
    return Job(issue=issue, assets=assets, out_dir=out, stem="big")


def test_over_budget_switches_to_teasers(tmp_path):
    options = make_options(email_backend.Options, {"asset_base_url": "https://x.example"}, "[email]")
    result = email_backend.build(_job(_big_issue(), tmp_path), options)
    assert any("teaser" in w and "budget" in w for w in result.warnings)
    html = (tmp_path / "big.html").read_text(encoding="utf-8")
    assert len(html.encode()) < 90 * 1024
    doc = lxml.html.document_fromstring(html)
    assert len(doc.xpath('//a[contains(., "Continue reading")]')) == 30
    assert len(doc.xpath('//h3[@class="headline"]')) == 30
    assert "Caption 29." in doc.text_content()
    assert len(doc.xpath("//img")) == 30
    text = (tmp_path / "big.txt").read_text(encoding="utf-8")
    assert text.count("Continue reading: https://example.com/story/") == 30


def test_over_budget_fails_under_strict(tmp_path):
    options = make_options(email_backend.Options, {"strict": "true"}, "[email]")
    with pytest.raises(BuildError, match="over the 90 KB budget"):
        email_backend.build(_job(_big_issue(), tmp_path), options)


def test_teaser_mode_on_request(sample, tmp_path):
    _build(MANIFEST, tmp_path, mode="teaser")
    doc = _doc(tmp_path / "briefing.html")
    assert len(doc.xpath('//a[contains(., "Continue reading")]')) == 3
    assert len(doc.xpath("//img")) == 3  # lead photos only
    assert "Lessons from Ondoy" not in doc.text_content()
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "briefing.eml").read_bytes())
    assert message.get_content_type() == "multipart/alternative"  # hosted: no photo parts


def test_teaser_without_url_continues_in_web_version(tmp_path):
    issue = _big_issue(2)
    issue.sections[0].articles[0].url = None
    issue.links.web_version = "https://example.com/web"
    options = email_backend.Options(mode="teaser", embed_images=True)
    email_backend.build(_job(issue, tmp_path), options)
    doc = _doc(tmp_path / "big.html")
    first = issue.sections[0].articles[0].id
    assert doc.xpath(f'//a[@href="https://example.com/web#{first}"][contains(., "Continue reading")]')
    assert _doc(tmp_path / "big.web.html").xpath(f'//*[@id="{first}"]')
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "big.eml").read_bytes())
    related = message.get_payload()[1]
    assert len(related.get_payload()) == 3  # the HTML and the two lead photos


def test_unsafe_articles_stay_safe(tmp_path):
    _, output, _ = _build(UNSAFE, tmp_path)
    for name in ("unsafe.html", "unsafe.web.html"):
        doc = _doc(tmp_path / name)
        _assert_safe(doc)
        text = doc.text_content()
        assert "Missing Photo Agency" in text.title() or "MISSING PHOTO AGENCY" in text.upper()
        assert "A figure whose photo is missing" in text
        assert "An embed with a script URL" in text
        assert doc.xpath('//a[@href="https://www.youtube.com/watch?v=abc"]')
        assert doc.xpath('//a[@href="https://example.com/ok"]')
    text = (tmp_path / "unsafe.txt").read_text(encoding="utf-8")
    assert "<javascript:" not in text  # no link of ours points there (the rest is quoted text)
    assert "[Photo: A figure whose photo is missing (Missing Photo Agency)]" in " ".join(text.split())
    assert not any("javascript" in w for w in output.warnings)


def test_lang_never_und(tmp_path):
    issue = _big_issue(1)
    issue.language = "und"
    email_backend.build(_job(issue, tmp_path), email_backend.Options(asset_base_url="https://x.example"))
    assert _doc(tmp_path / "big.html").get("lang") == "en"
    issue.language = "ko"
    email_backend.build(_job(issue, tmp_path), email_backend.Options())
    assert _doc(tmp_path / "big.html").get("lang") == "ko"


def test_figure_without_photo_and_decorative_alt(tmp_path):
    issue = _big_issue(1)
    issue.sections[0].articles[0].body.insert(
        1, Figure(image=Image(src="missing.jpg", alt=""), caption="Lost photo.", credit="Nobody"))
    job = _job(issue, tmp_path)
    assert any("missing.jpg" in w for w in job.assets.warnings)
    email_backend.build(job, email_backend.Options(asset_base_url="https://x.example"))
    doc = _doc(tmp_path / "big.html")
    assert "Lost photo." in doc.text_content() and "Nobody" in doc.text_content()
    assert [img.get("alt") for img in doc.xpath("//img")] == [""]  # the lead: decorative


def test_mjml_error_names_template_and_line():
    broken = "<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>x</mj-text>\n</mj-body>\n</mjml>"
    with pytest.raises(BuildError) as info:
        compile_mjml(broken, "email/message.mjml", "")
    assert str(info.value).startswith("email/message.mjml")
    assert "\n" not in str(info.value)
    bad_tag = "<mjml>\n<mj-body>\n<mj-section>\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>"
    with pytest.raises(BuildError, match=r"^email/message\.mjml:(\d+): MJML: .*\(line \1 of the rendered MJML: '</mj-body>'\)$"):
        compile_mjml(bad_tag, "email/message.mjml", "")


def test_user_template_error_is_one_line(tmp_path):
    templates = tmp_path / "templates" / "email"
    templates.mkdir(parents=True)
    source = (FIXTURES.parent.parent / "templates" / "email" / "message.mjml").read_text()
    (templates / "message.mjml").write_text(source.replace("{{ theme.masthead or issue.title }}", "{{ issue.nope }}", 1))
    job = _job(_big_issue(1), tmp_path / "out")
    job.templates = tmp_path / "templates"
    with pytest.raises(BuildError, match=r"message\.mjml:\d+"):
        email_backend.build(job, email_backend.Options())


def test_user_template_overrides_one_block(tmp_path):
    templates = tmp_path / "templates" / "email"
    templates.mkdir(parents=True)
    (templates / "message.mjml").write_text(
        '{% extends "!default/email/message.mjml" %}\n{% block footer %}<mj-section><mj-column>'
        "<mj-text><p>Sent by {{ issue.publisher }} with care</p></mj-text></mj-column>"
        "</mj-section>{% endblock %}\n")
    job = _job(_big_issue(2), tmp_path / "out")
    job.templates = tmp_path / "templates"
    email_backend.build(job, email_backend.Options(asset_base_url="https://x.example"))
    text = _doc(tmp_path / "out" / "big.html").text_content()
    assert "Sent by Desk with care" in text and "Story number 1" in text


@pytest.mark.parametrize("name, body, written", [
    ("message.mjml", '{% extends "!default/email/message.mjml" %}\n{% block footer %}<mj-section>'
     "<mj-column><mj-raw><script>steal()</script></mj-raw></mj-column></mj-section>{% endblock %}\n",
     "big.html"),
    ("web.html", "<!doctype html><html><body><h1>{{ issue.title }}</h1><script>steal()</script>"
     "</body></html>\n", "big.web.html"),
])
def test_a_user_template_that_writes_a_script_is_refused(tmp_path, name, body, written):
    """The last line of defence: what a template adds is checked in what is written,
    whichever mode (full or teasers) the message ends up in."""
    templates = tmp_path / "templates" / "email"
    templates.mkdir(parents=True)
    (templates / name).write_text(body)
    job = _job(_big_issue(2), tmp_path / "out")
    job.templates = tmp_path / "templates"
    with pytest.raises(BuildError, match=rf"{re.escape(written)}: refusing to write a <script>"):
        email_backend.build(job, email_backend.Options(asset_base_url="https://x.example"))
    assert not (tmp_path / "out" / written).exists()


def test_wrap_keeps_urls_whole():
    url = "https://example.com/" + "a" * 90
    wrapped = wrap("See " + url + " for more words that need wrapping here and there " * 3)
    lines = wrapped.splitlines()
    assert sum(url in line for line in lines) == 1
    assert all(len(line) <= 72 for line in lines if url not in line)
    assert wrap("one two", indent="   ", first=" - ") == " - one two"


@pytest.mark.parametrize("options, where", [
    ({"asset_base_url": "javascript:alert(1)//"}, "asset_base_url"),
    ({"from_address": "not an address"}, "from_address"),
    ({"unsubscribe_mailto": "nobody"}, "unsubscribe_mailto"),
    ({"unsubscribe_mailto": "a@example.com\r\nBcc: victim@example.net"}, "unsubscribe_mailto"),
    ({"budget_kb": 0}, "budget_kb"),
])
def test_bad_options_fail_by_name(tmp_path, options, where):
    with pytest.raises(BuildError, match=where):
        email_backend.build(_job(_big_issue(1), tmp_path),
                            make_options(email_backend.Options, options, "[email]"))


def test_subject_is_one_line(tmp_path):
    issue = _big_issue(1)
    issue.title = "Big\nBriefing"
    email_backend.build(_job(issue, tmp_path), email_backend.Options(subject=None))
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "big.eml").read_bytes())
    assert message["Subject"] == "Big Briefing · 24 June 2024"


def test_every_header_text_is_one_line_and_limited(tmp_path):
    """Options and model text alike: line breaks and controls become spaces, and a name
    with a colon stays a name (quoted), never a group that hides another address."""
    issue = _big_issue(1)
    issue.title = "Evil\r\nBcc: victim@example.net " + "long " * 100
    options = email_backend.Options(
        from_address="Desk\r\nBcc: victim@example.net <news@example.com>",
        to_address="Readers\x00\u2028Cc: victim@example.net <readers@example.com>")
    email_backend.build(_job(issue, tmp_path), options)
    raw = (tmp_path / "big.eml").read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert set(message.keys()) == {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version",
                                   "Content-Type", "List-Unsubscribe", "List-Unsubscribe-Post"}
    assert message["Subject"].startswith("Evil Bcc: victim@example.net long long")
    assert len(message["Subject"]) <= 200 and message["Subject"].endswith("…")
    assert [a.addr_spec for a in message["From"].addresses] == ["news@example.com"]
    assert message["From"].addresses[0].display_name == "Desk Bcc: victim@example.net"
    assert [a.addr_spec for a in message["To"].addresses] == ["readers@example.com"]
    preheader = lxml.html.fromstring((tmp_path / "big.html").read_text()).find_class("preheader")
    assert all("\n" not in p.text_content() for p in preheader)


def test_unknown_option_is_an_error():
    with pytest.raises(BuildError, match="unknown option 'budget'"):
        make_options(email_backend.Options, {"budget": 10}, "[email]")


def test_the_whole_sample_manifest(tmp_path):
    """samples/briefing.toml as `make demo` builds it."""
    project = load_manifest(FIXTURES.parent.parent / "samples" / "briefing.toml")
    outputs, _ = build(project, ["email"], tmp_path)
    doc = _doc(tmp_path / "briefing.html")
    _assert_safe(doc)
    assert doc.get("lang") == "en"
    text = doc.text_content()
    for article in project.issue.articles():
        assert article.title in text
    assert len((tmp_path / "briefing.html").read_bytes()) < 90 * 1024
