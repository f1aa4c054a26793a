"""The hostile corpus: every case built into every registered format through the CLI.

Each case gives either a safe result (exit 0, danger removed, its `keep` words still in
every output) or one line naming the source and the problem with exit 1; never a
traceback, never a hang. Expectations are in `tests/hostile/expected.toml`; big, binary
and path-dependent cases are made here at run time.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unicodedata
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image as PILImage

from conftest import ROOT, bomb_png
from exporter.backends import DEFAULT_FORMATS
from exporter.inline import URL_SCHEMES, clean_inline, safe_url, to_text

HOSTILE = Path(__file__).resolve().parent / "hostile"
# `make fuzz` builds every case into every format; `make test` narrows a few slow cases
# to the formats that matter for them (`ci_formats` in expected.toml).
FULL = os.environ.get("HOSTILE_FULL") == "1"
EXPECTED = tomllib.loads((HOSTILE / "expected.toml").read_text())
FM = "---\ntitle: {title}\n---\n"


# -- running the CLI -------------------------------------------------------------------

def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m exporter ARGS`, bounded in time: a hang fails the test, not the suite."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("EXPORTER_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=timeout)


def assert_clean_error(result: subprocess.CompletedProcess, source: str, message: str = "") -> str:
    """Exit 1 and exactly one line, naming the source; returns that line."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if not line.startswith("exporter: warning:")]
    assert len(lines) == 1 and lines[0].startswith("exporter: error:"), result.stderr[-2000:]
    assert source in lines[0] and message in lines[0], lines[0]
    assert "internal error" not in lines[0], lines[0]
    return lines[0]


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-3000:]
    for line in result.stderr.splitlines():
        assert line.startswith(("exporter: warning:", "exporter: error:")), line


def formats_available(names: list[str] | None = None) -> list[str]:
    return list(names or DEFAULT_FORMATS)


# -- reading outputs back: text, and anything dangerous left in them -------------------

DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
                  "form", "input", "button", "textarea", "select", "portal", "noscript"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href",
             "{http://www.w3.org/1999/xlink}href", "srcset", "cite", "longdesc", "usemap", "ping"}
OWN_SCHEMES = ("http", "https", "mailto", "cid", "#")
EVIL = "evil.invalid"  # every address the corpus hides in places that must be removed


def html_dangers(markup: str, where: str) -> list[str]:
    """Script, active elements, handlers, unsafe addresses and hostile CSS in HTML/XHTML."""
    import lxml.html

    found = []
    if not markup.strip():
        return found
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - an unreadable output is itself a finding
        return [f"{where}: unparseable HTML ({exc})"]
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        if name in DANGEROUS_TAGS:
            found.append(f"{where}: <{name}>")
        if name == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            found.append(f"{where}: <meta http-equiv=refresh>")
        if name == "style" and EVIL in (element.text or ""):
            found.append(f"{where}: hostile <style>")
        if name == "link" and EVIL in (element.get("href") or ""):
            found.append(f"{where}: hostile <link>")
        for attr, value in element.attrib.items():
            short = attr.rsplit("}", 1)[-1].lower()
            if short.startswith("on"):
                found.append(f"{where}: <{name} {short}=...>")
            if attr.lower() in URL_ATTRS or short == "href":
                scheme = re.match(r"\s*([a-zA-Z][\w+.-]*):", re.sub(r"[\x00-\x20]", "", value))
                if scheme and scheme.group(1).lower() not in OWN_SCHEMES:
                    found.append(f"{where}: <{name} {short}={value[:60]!r}>")
            if EVIL in value:
                found.append(f"{where}: <{name} {short}={value[:60]!r}>")
            if short == "style" and re.search(r"@import|expression\s*\(|url\s*\(", value, re.I):
                found.append(f"{where}: style={value[:60]!r}")
    return found


def html_text(markup: str) -> str:
    import lxml.html

    if not markup.strip():
        return ""
    root = lxml.html.document_fromstring(markup.encode("utf-8"))
    for bad in root.xpath("//style|//script|//head"):
        bad.getparent().remove(bad)
    return " ".join(root.text_content().split())


def json_dangers(data: object, where: str, key: str = "") -> list[str]:
    """Inline fields must be sanitised (clean_inline changes nothing); links safe."""
    found: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            found += json_dangers(v, where, k)
    elif isinstance(data, list):
        for v in data:
            found += json_dangers(v, where, key)
    elif isinstance(data, str):
        if key in ("text", "caption", "standfirst", "items", "header", "rows") and clean_inline(data) != data:
            found.append(f"{where}: unsanitised {key}: {data[:80]!r}")
        if key in ("url", "web_version", "unsubscribe", "archive") and data and \
                safe_url(data, URL_SCHEMES) != data:
            found.append(f"{where}: unsafe {key}: {data[:80]!r}")
    return found


def json_text(data: object) -> str:
    if isinstance(data, dict):
        return " ".join(json_text(v) for v in data.values())
    if isinstance(data, list):
        return " ".join(json_text(v) for v in data)
    return to_text(data) if isinstance(data, str) else ""


def pdf_read(path: Path) -> tuple[str, list[str]]:
    from pypdf import PdfReader

    found = []
    reader = PdfReader(path, strict=False)
    if shutil.which("pdftotext"):  # poppler reads CID fonts (emoji, CJK) that pypdf garbles
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              timeout=120).stdout.decode("utf-8", "replace")
    else:
        text = " ".join((page.extract_text() or "") for page in reader.pages)
    raw = path.read_bytes()
    for marker in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/SubmitForm", b"/EmbeddedFile"):
        if marker in raw:
            found.append(f"{path.name}: PDF holds {marker.decode()}")
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = str(action.get("/URI", "")) if hasattr(action, "get") else ""
            if uri and (safe_url(uri, URL_SCHEMES) is None or EVIL in uri):
                found.append(f"{path.name}: PDF link {uri[:60]!r}")
    return text, found


def epub_read(path: Path) -> tuple[str, list[str]]:
    found, texts = [], []
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None, f"{path.name}: corrupt zip member"
        for info in book.infolist():
            name = info.filename
            if name.endswith((".xhtml", ".html", ".htm")):
                markup = book.read(name).decode("utf-8", "replace")
                found += html_dangers(markup, f"{path.name}/{name}")
                texts.append(html_text(markup))
            elif name.endswith((".css", ".opf", ".ncx", ".xml", ".svg")):
                content = book.read(name).decode("utf-8", "replace")
                if EVIL in content or "<script" in content.lower() or "@import" in content and EVIL in content:
                    found.append(f"{path.name}/{name}: hostile content")
            if name.endswith(".svg") or name.endswith((".js", ".swf")):
                found.append(f"{path.name}/{name}: active file in the book")
    return " ".join(texts), found


# The only headers a message of ours has; anything else was smuggled in by some text.
OWN_HEADERS = {"subject", "from", "to", "date", "message-id", "list-unsubscribe",
               "list-unsubscribe-post", "mime-version", "content-type", "content-transfer-encoding"}


def header_dangers(raw: bytes, where: str) -> list[str]:
    """Headers other than ours, or a header whose text runs over more than one line."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found = [f"{where}: header {name!r} smuggled in" for name in message.keys()
             if name.lower() not in OWN_HEADERS]
    for name, value in message.items():
        text = str(email.header.make_header(email.header.decode_header(value)))
        if re.search(r"[\x00-\x1f\x7f\u2028\u2029]", re.sub(r"\r?\n[ \t]", " ", text)):
            found.append(f"{where}: {name} holds a line break or control character: {text[:80]!r}")
    return found


def eml_read(path: Path) -> tuple[str, list[str]]:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    found, texts = header_dangers(path.read_bytes(), path.name), []
    for part in message.walk():
        if part.get_content_type() == "text/html":
            markup = part.get_content()
            found += html_dangers(markup, path.name)
            texts.append(html_text(markup))
        elif part.get_content_type() == "text/plain":
            texts.append(part.get_content())
        elif part.get_content_type() in ("text/javascript", "application/javascript", "image/svg+xml"):
            found.append(f"{path.name}: {part.get_content_type()} part")
    return " ".join(texts), found


def read_output(path: Path) -> tuple[str, list[str]]:
    """The readable text of one output file and the dangers found in it."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return json_text(data), json_dangers(data, path.name)
    if suffix in (".html", ".htm", ".xhtml"):
        markup = path.read_text(encoding="utf-8", errors="replace")
        return html_text(markup), html_dangers(markup, path.name)
    if suffix == ".pdf":
        return pdf_read(path)
    if suffix == ".epub":
        return epub_read(path)
    if suffix == ".eml":
        return eml_read(path)
    if suffix in (".txt", ".mjml", ".md"):
        content = path.read_text(encoding="utf-8", errors="replace")
        found = [f"{path.name}: {EVIL}"] if EVIL in content and suffix == ".mjml" else []
        return content, found
    return "", []


def squeeze(text: str) -> str:
    """Text without spaces, line breaks, hyphenation breaks or invisible format characters:
    what survives any layout, for comparing words kept."""
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Cf"
                   and c not in "\u00ad\u2010")


def format_of(path: Path) -> str:
    """Which backend wrote an output, by its type (the email writes .eml, .html, .txt)."""
    return {".json": "json", ".pdf": "pdf", ".epub": "epub"}.get(path.suffix.lower(), "email")


def output_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))


# -- cases made at run time ------------------------------------------------------------

def _md(title: str, body: str, encoding: str = "utf-8") -> bytes:
    return (FM.format(title=title) + body).encode(encoding)




def _image(mode: str, fmt: str, size=(320, 200), **save) -> bytes:
    colour = {"RGB": (200, 120, 40), "CMYK": (0, 80, 160, 0), "I;16": 40000, "P": 3}[mode]
    buffer = io.BytesIO()
    PILImage.new(mode, size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


def _animated_gif() -> bytes:
    frames = [PILImage.new("P", (120, 80), i * 40) for i in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def gen_images(folder: Path) -> bytes:
    jpeg = _image("RGB", "JPEG")
    files = {
        "bomb.png": bomb_png(),
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "png-as.jpg": _image("RGB", "PNG"),
        "cmyk.jpg": _image("CMYK", "JPEG"),
        "16bit.png": _image("I;16", "PNG"),
        "animated.gif": _animated_gif(),
        "image.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script>'
                     b'<image href="file:///etc/passwd"/></svg>',
        "empty.jpg": b"",
        "good.jpg": jpeg,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    captions = dict(zip(files, ["bomb", "truncated", "png-as-jpg", "cmyk", "16bit", "animated",
                                "svg", "empty", "good"]))
    body = "".join(f"![{c}]({n})\n\n*caption-{c}*\n\n" for n, c in captions.items())
    return _md("Images", "Photos of every kind keep-images.\n\n" + body)


def gen_addresses(folder: Path) -> bytes:
    srcs = [("passwd", "file:///etc/passwd"), ("passwd", "/etc/passwd"),
            ("passwd", "../../../../../../../../etc/passwd"),
            ("private", "http://127.0.0.1:9/x.jpg"), ("private", "http://169.254.169.254/latest/meta-data/"),
            ("private", "http://10.0.0.1/x.jpg"), ("private", "http://[::1]:9/x.jpg"),
            ("private", "http://localhost:9/x.jpg"), ("private", "http://vm:9/x.jpg"),
            ("private", "http://2130706433:9/x.jpg"), ("private", "http://0x7f000001:9/x.jpg"),
            ("private", "http://127.1:9/x.jpg"), ("private", "http://0.0.0.0:9/x.jpg"),
            ("private", "http://[::ffff:127.0.0.1]:9/x.jpg")]
    body = "".join(f"![{i}]({src})\n\n*caption-{c} {i}*\n\n" for i, (c, src) in enumerate(srcs))
    return _md("Addresses", "Addresses keep-addresses. *caption-canary*\n\n" + body)


def gen_manifest_title(folder: Path) -> bytes:
    """A manifest whose title, publisher and edition (Subject, From) try to start headers of their own."""
    (folder / "story.md").write_bytes(_md("Story", "The story of the issue keep-manifest-title."))
    return ('title = "Evil\\r\\nBcc: victim@example.net"\n'
            'subtitle = "Subtitle\\rX-Injected: yes"\n'
            'publisher = "Desk\\nCc: victim@example.net"\n'
            'edition = "No. 1\\r\\nX-Injected: yes"\n'
            'date = 2024-06-24\n'
            '[links]\nunsubscribe = "https://example.com/unsubscribe"\n'
            '[[sections]]\ntitle = "Section\\r\\nX-Injected: yes"\narticles = ["story.md"]\n').encode()


GENERATED: dict[str, Callable[[Path], bytes]] = {
    "latin1.md": lambda d: _md("Café crème", "Un café à Zürich, déjà vu. Ça coûte très cher à Genève.", "latin-1"),
    "shift-jis.md": lambda d: _md("天気", "東京の天気は晴れです。今日は良い日です。日本語の記事です。" * 5, "shift_jis"),
    "windows-1251.md": lambda d: _md("Погода", "Привет мир. Это статья на русском языке о погоде в Москве. " * 5,
                                     "windows-1251"),
    "utf8-bom.md": lambda d: b"\xef\xbb\xbf" + _md("BOM", "Text keep-bom."),
    "utf16-le-bom.md": lambda d: _md("Grüße", "Text keep-bom Grüße.", "utf-16"),
    "utf16-be-bom.json": lambda d: b"\xfe\xff" + json.dumps(
        {"title": "Grüße", "body": [{"type": "paragraph", "text": "keep-bom Grüße"}]},
        ensure_ascii=False).encode("utf-16-be"),
    "nul-bytes.md": lambda d: _md("Nul", "A long paragraph of ordinary words keep-nul " * 20 + "\x00 with\x00 two NULs."),
    "mostly-nul.md": lambda d: _md("Nul", "x\x00" * 5000),
    "random-bytes.md": lambda d: os.urandom(1) and bytes(range(256)) * 64,
    "deep-json.json": lambda d: b"[" * 100_000 + b"]" * 100_000,
    "huge-number.json": lambda d: b'{"title": "x", "reading_time": 1' + b"0" * 5000 + b"}",
    "nested-html-10000.md": lambda d: _md("Deep", "<div>" * 10_000 + "keep-deep" + "</div>" * 10_000),
    "nested-html-10000.html": lambda d: (
        "<!doctype html><html><head><title>Deep page</title></head><body><article><h1>Deep page</h1>"
        + "".join(f"<p>Paragraph {n} of the deep page, with words enough to count as article text.</p>"
                  for n in ("one", "two")) + "<div>" * 10_000 + "<p>keep-deep</p>" + "</div>" * 10_000
        + "<p>Paragraph keep-after of the deep page, with words enough to count as article text.</p>"
        "</article></body></html>").encode(),
    "nested-quotes-10000.md": lambda d: _md("Deep", "> " * 10_000 + "keep-deep"),
    "long-word.md": lambda d: _md("Long", "keep-long " + "x" * 5000 + " and https://example.com/"
                                  + "a" * 5000 + " and <https://example.com/" + "b" * 5000 + ">"),
    "paragraphs-5000.md": lambda d: _md("Many", "\n\n".join(f"paragraph-{i:04} of the story." for i in range(5000))),
    "paragraph-10mb.md": lambda d: _md("Huge", "keep-start " + "word " * 2_000_000 + "keep-end"),
    "articles-1000.json": lambda d: json.dumps(
        [{"title": f"article-{i:04}", "body": [{"type": "paragraph", "text": f"Text of article-{i:04}."}]}
         for i in range(1000)]).encode(),
    "images.md": gen_images,
    "addresses.md": gen_addresses,
    "manifest-title-crlf.toml": gen_manifest_title,
}


def case_source(case: str, folder: Path) -> Path:
    """The case's source file inside `folder` (copied or made there)."""
    if case.startswith("gen:"):
        name = case.removeprefix("gen:")
        path = folder / name
        path.write_bytes(GENERATED[name](folder))
    else:
        path = folder / case
        path.write_bytes((HOSTILE / case).read_bytes())
    return path


CASES = sorted(EXPECTED)


def test_every_corpus_file_has_an_expectation():
    on_disk = {p.name for p in HOSTILE.iterdir() if p.name != "expected.toml"}
    assert on_disk == {c for c in CASES if not c.startswith("gen:")}
    assert {c.removeprefix("gen:") for c in CASES if c.startswith("gen:")} == set(GENERATED)


@pytest.mark.parametrize("case", CASES)
def test_hostile_case_is_safe_or_one_clean_error(tmp_path, case, request):
    spec = EXPECTED[case]
    if spec.get("xfail"):
        request.applymarker(pytest.mark.xfail(reason=spec["xfail"], strict=True))
    source_dir = tmp_path / "src"
    source_dir.mkdir()
    source = case_source(case, source_dir)
    out = tmp_path / "out"
    formats = formats_available(spec.get("formats") or (None if FULL else spec.get("ci_formats")))
    result = run_cli("build", str(source), "-f", ",".join(formats), "-o", str(out),
                     cwd=source_dir, timeout=spec.get("timeout", 90))
    expect = spec["expect"]
    if result.returncode != 0 or expect == "error":
        assert expect in ("error", "either"), f"expected a safe result:\n{result.stderr[-3000:]}"
        assert_clean_error(result, source.name, spec.get("message", ""))
        assert not output_files(out), "a failed build published outputs"
        return
    assert_no_traceback(result)
    files = output_files(out)
    for fmt in formats:
        assert any(p.name.startswith(source.stem) for p in files), f"no {fmt} output"
    dangers: list[str] = []
    texts: dict[str, str] = {}
    for path in files:
        text, found = read_output(path)
        dangers += found
        texts[format_of(path)] = texts.get(format_of(path), "") + squeeze(text)
        assert "root:x:0:0" not in text, f"{path.name} holds /etc/passwd"
    assert not dangers, "\n".join(dangers[:40])
    for fmt, text in texts.items():  # an email over budget keeps the rest in its web version
        missing_words = [w for w in spec.get("keep", []) if squeeze(w) not in text]
        assert not missing_words, f"{fmt} output lost {missing_words}"
    for name in spec.get("warnings", []):
        assert any(name in line for line in result.stderr.splitlines()
                   if line.startswith("exporter: warning:")), f"no warning about {name}"
    if "language" in spec:
        data = json.loads((out / f"{source.stem}.json").read_text()) if "json" in formats else None
        if data:
            assert data["sections"][0]["articles"][0]["language"] == spec["language"]


# -- files outside the source folder are never opened ----------------------------------

def traced_build(args: list[str], cwd: Path, log: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """Build under `strace -f` (every open by any thread or child), else under a
    Python audit hook (opens made from Python only), writing opened paths to `log`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if shutil.which("strace"):
        command = ["strace", "-f", "-qq", "-e", "trace=open,openat,openat2,creat,execve",
                   "-o", str(log), sys.executable, "-m", "exporter", *args]
    else:
        hook = ("import sys\nlog = open(sys.argv[1], 'w')\n"
                "sys.addaudithook(lambda e, a: e in ('open', 'os.exec', 'subprocess.Popen') "
                "and print(e, a[0], file=log, flush=True))\n"
                "from exporter.cli import main\nsys.exit(main(sys.argv[2:]))\n")
        command = [sys.executable, "-c", hook, str(log), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def opened_paths(log: str) -> set[str]:
    """The paths a strace or audit-hook log shows being opened (or executed)."""
    strace = re.findall(r'(?:open|openat|openat2|creat|execve)\((?:AT_FDCWD, )?"((?:[^"\\]|\\.)*)"', log)
    hook = re.findall(r"^(?:open|os\.exec|subprocess\.Popen) (.*)$", log, re.M)
    return set(strace) | set(hook)


def canary_sources(folder: Path, canary: Path) -> list[Path]:
    """Every way the corpus knows to name a file outside the source folder."""
    (folder / "link.jpg").symlink_to(canary)
    relative = os.path.relpath(canary, folder)
    refs = [str(canary), f"file://{canary}", relative, "link.jpg", f"file://localhost{canary}"]
    md = folder / "canary.md"
    md.write_text(FM.format(title="Canary") + "".join(
        f"![c{i}]({ref})\n\n*caption canary {i}*\n\n<img src=\"{ref}\">\n\n"
        f"<p style=\"background:url({ref})\">styled {i}</p>\n\n" for i, ref in enumerate(refs))
        + f"[link](file://{canary})\n")
    js = folder / "canary.json"
    js.write_text(json.dumps({"title": "Canary JSON", "lead": {"type": "figure", "image": {"src": str(canary)}},
                              "body": [{"type": "figure", "image": {"src": ref}, "caption": f"c {ref}"}
                                       for ref in refs]}))
    sources = [md, js]
    html = folder / "canary.html"
    html.write_text("<!doctype html><html><head><title>Canary page</title>"
                    f"<link rel=stylesheet href=\"file://{canary}\"><style>@import url(file://{canary});</style>"
                    "</head><body><article><h1>Canary page</h1>"
                    + "".join(f"<figure><img src=\"{ref}\" srcset=\"{ref} 2x\"><figcaption>Caption {i}</figcaption></figure>"
                              f"<p>Paragraph {i} of a page that names a file it must never read, long enough "
                              "to be taken for article text by the extractor.</p>" for i, ref in enumerate(refs))
                    + "</article></body></html>")
    feed = folder / "canary.xml"
    feed.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY c SYSTEM "file://{canary}">]>\n'
                    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                    '<channel><title>C</title><link>https://ok.example/</link>'
                    '<item><title>Entry</title><link>https://ok.example/1</link>'
                    f'<content:encoded><![CDATA[<p>Entry text long enough to be an article paragraph.</p>'
                    f'<figure><img src="file://{canary}"><figcaption>Canary photo</figcaption></figure>'
                    f'<p>More text after the photo of the entry.</p>]]></content:encoded>'
                    f'<description>&c; <img src="file://{canary}"/> and text</description></item></channel></rss>')
    sources += [html, feed]
    return sources


def test_a_canary_file_outside_the_source_folder_is_never_opened(tmp_path):
    canary = tmp_path / "secret" / f"canary-{os.getpid()}-{id(tmp_path)}.jpg"
    canary.parent.mkdir()
    canary.write_bytes(_image("RGB", "JPEG"))  # a real photo: reading it would succeed
    os.utime(canary, (1_000_000_000, 1_000_000_000))
    folder = tmp_path / "src"
    folder.mkdir()
    sources = canary_sources(folder, canary)
    manifest = folder / "issue.toml"
    manifest.write_text('title = "Canary"\ndate = 2024-06-24\n[[sections]]\narticles = [%s]\n'
                        % ", ".join(f'"{s.name}"' for s in sources))
    log = tmp_path / "opened.log"
    result = traced_build(["build", str(manifest), "-f", ",".join(formats_available()),
                           "-o", str(tmp_path / "out")], folder, log)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_no_traceback(result)
    opened = opened_paths(log.read_text())
    assert str(canary) not in opened and str(folder / "link.jpg") not in opened
    assert os.stat(canary).st_atime == 1_000_000_000
    assert any("canary" in line and "outside" in line or "only http" in line
               for line in result.stderr.splitlines()), result.stderr
    secret = canary.read_bytes()[:64]
    for path in output_files(tmp_path / "out"):
        assert secret not in path.read_bytes()


# -- no request reaches a private address unless the user allows it --------------------

class Recorder:
    """A loopback HTTP server that records every request and serves a small JPEG."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        import http.server
        import threading

        self.requests: list[str] = []
        recorder = self
        photo = _image("RGB", "JPEG")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                recorder.requests.append(self.path)
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", urllib.parse.unquote(self.path.split("to=", 1)[-1]))
                    self.end_headers()
                    return
                body = photo if self.path.endswith(".jpg") else (
                    b"<!doctype html><html><head><title>Private page</title></head><body><article>"
                    b"<h1>Private page</h1><p>" + b"A paragraph of the private page. " * 20 + b"</p>"
                    b"</article></body></html>")
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg" if self.path.endswith(".jpg") else "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "vm", "127.1", "2130706433", "0x7f000001", "0.0.0.0",
                  "[::ffff:127.0.0.1]"]


def loopback_article(folder: Path, port: int) -> Path:
    md = folder / "private.md"
    md.write_text(FM.format(title="Private images") + "Text keep-private.\n\n" + "".join(
        f"![p{i}](http://{host}:{port}/photo-{i}.jpg)\n\n*caption {i}*\n\n" for i, host in enumerate(LOOPBACK_NAMES)))
    return md


def test_private_addresses_get_no_request_without_allow_private(tmp_path):
    with Recorder() as server:
        source = loopback_article(tmp_path, server.port)
        result = run_cli("build", str(source), "-f", ",".join(formats_available()), "-o", str(tmp_path / "out"),
                         cwd=tmp_path, timeout=120)
        pages = [run_cli("inspect", f"http://{host}:{server.port}/page.html", timeout=60)
                 for host in ("127.0.0.1", "localhost", "vm")]
        pages.append(run_cli("build", "--feed", f"http://127.0.0.1:{server.port}/feed.xml", "-f", "json",
                             "-o", str(tmp_path / "feed-out"), timeout=60))
    assert server.requests == []
    assert result.returncode == 0, result.stderr[-2000:]
    assert_no_traceback(result)
    assert sum("warning" in line for line in result.stderr.splitlines()) >= len(LOOPBACK_NAMES)
    for page in pages:
        assert_clean_error(page, f"{server.port}")


def test_allow_private_opts_in_to_loopback(tmp_path):
    with Recorder() as server:
        source = loopback_article(tmp_path, server.port)
        result = run_cli("build", str(source), "-f", "json", "-o", str(tmp_path / "out"),
                         "--allow-private", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(path.startswith("/photo-0") for path in server.requests), server.requests


# -- memory stays bounded ---------------------------------------------------------------

MEMORY_LIMIT = 1536 * 2**20


def bounded_build(args: list[str], cwd: Path, timeout: float = 180) -> tuple[int, str, int]:
    """Build in a child limited to 1.5 GB of address space; returns rc, stderr, max RSS (bytes)."""
    import resource
    import threading

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "exporter", *args], cwd=cwd, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit)
    timer = threading.Timer(timeout, child.kill)
    timer.start()
    stderr = child.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, stderr, usage.ru_maxrss * 1024


@pytest.mark.parametrize("case", ["gen:paragraph-10mb.md", "gen:images.md"])
def test_big_and_bomb_inputs_build_in_bounded_memory(tmp_path, case):
    source = case_source(case, tmp_path)
    formats = formats_available(EXPECTED[case].get("formats"))
    rc, stderr, rss = bounded_build(["build", str(source), "-f", ",".join(formats),
                                     "-o", str(tmp_path / "out")], tmp_path)
    assert rc in (0, 1) and "Traceback" not in stderr and "MemoryError" not in stderr, stderr[-3000:]
    assert "internal error" not in stderr, stderr[-3000:]
    assert rss < 1024 * 2**20, f"max RSS {rss / 2**20:.0f} MB"


def test_a_redirect_from_an_allowed_address_to_a_private_one_is_refused(monkeypatch):
    """127.0.0.2 stands in for a public server (offline, nothing public answers)."""
    from exporter import fetch
    from exporter.errors import ExporterError

    allowed = fetch.address_allowed
    monkeypatch.setattr(fetch, "address_allowed", lambda a: a == "127.0.0.2" or allowed(a))
    with Recorder("127.0.0.2") as public, Recorder() as private:
        target = urllib.parse.quote(f"http://127.0.0.1:{private.port}/secret.jpg")
        with pytest.raises(ExporterError, match="refused"):
            fetch.fetch(f"http://127.0.0.2:{public.port}/redirect?to={target}", cache=False)
        assert public.requests and private.requests == []
        fetch.fetch(f"http://127.0.0.2:{public.port}/redirect?to={target}", cache=False, allow_private=True)
        assert private.requests == ["/secret.jpg"]


# -- bugs found in the sources and backends, fixed, kept as regression tests -------------

def test_text_after_an_embed_is_kept():
    from exporter.sources import Origin, read_bytes

    para = "<p>Paragraph {} has words enough to be counted as the body of this story by any extractor.</p>"
    page = ("<!doctype html><html><head><title>T</title></head><body><article><h1>T</h1>"
            + para.format("one") + para.format("two") + '<embed src="https://v.example/x.swf">'
            + para.format("three") + para.format("four") + "</article></body></html>")
    article = read_bytes(page.encode(), Origin("x.html", None), name="x.html")[0]
    text = " ".join(to_text(getattr(b, "text", "")) for b in article.body)
    assert "Paragraph three" in text and "Paragraph four" in text


def test_a_feed_whose_body_is_a_path_does_not_read_that_file(tmp_path):
    secret = tmp_path / "secret" / "private-feed.xml"
    secret.parent.mkdir()
    secret.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Private</title>'
                      '<item><title>SECRET-ENTRY</title><description>secret text</description></item>'
                      "</channel></rss>")
    pointer = tmp_path / "pointer.xml"
    pointer.write_bytes(str(secret).encode())
    result = run_cli("inspect", str(pointer), timeout=60)
    assert "SECRET-ENTRY" not in result.stdout
    assert_clean_error(result, "pointer.xml")


def test_email_teaser_of_one_huge_paragraph_fits_the_budget(tmp_path):
    source = tmp_path / "huge.md"
    source.write_bytes(_md("Huge", "keep-start " + "word " * 150_000))  # 750 KB, one paragraph
    result = run_cli("build", str(source), "-f", "email", "-o", str(tmp_path / "out"), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "huge.html").stat().st_size < 200 * 1024


# -- layout: a 5,000-character word or URL stays on the page and in the email ------------

def pdf_word_boxes(path: Path) -> tuple[float, list[tuple[float, str]]]:
    """Page width and (right edge, word) of every word pdftotext finds."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                          timeout=120).stdout
    width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    words = [(float(x), w[:30]) for x, w in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', bbox)]
    return width, words


@pytest.mark.parametrize("case", ["gen:long-word.md"])
def test_long_words_stay_inside_the_pdf_page(tmp_path, case):
    assert shutil.which("pdftotext"), "needs pdftotext (make test installs poppler-utils)"
    source = case_source(case, tmp_path)
    result = run_cli("build", str(source), "-f", "pdf", "-o", str(tmp_path / "out"), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    width, words = pdf_word_boxes(tmp_path / "out" / f"{source.stem}.pdf")
    outside = [(x, w) for x, w in words if x > width - 10]
    assert not outside, f"page {width:.0f} pt wide: {outside[:3]}"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEASURE = """<!doctype html><html><body>{frames}
<script>window.addEventListener("load", function () {{
  var out = [];
  document.querySelectorAll("iframe").forEach(function (f) {{
    var e = f.contentDocument && f.contentDocument.documentElement;
    out.push(f.id + "=" + (e ? e.scrollWidth + "/" + e.clientWidth : "blocked"));
  }});
  var p = document.createElement("p"); p.id = "measure"; p.textContent = out.join(" ");
  document.body.appendChild(p);
}});</script></body></html>"""


def sideways_overflow(pages: list[Path], widths: tuple[int, ...], workdir: Path) -> dict[str, tuple[int, int]]:
    """{page@width: (scrollWidth, clientWidth)} as headless Chromium lays each page out."""
    frames = "".join(f'<iframe id="{p.name}@{w}" src="{p.as_uri()}" style="width:{w}px;height:400px;border:0">'
                     "</iframe>" for p in pages for w in widths)
    wrapper = workdir / "measure.html"
    wrapper.write_text(MEASURE.format(frames=frames))
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
         f"--user-data-dir={workdir / 'profile'}", "--allow-file-access-from-files",
         "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom", wrapper.as_uri()],
        capture_output=True, text=True, timeout=90)
    match = re.search(r'<p id="measure">([^<]*)</p>', result.stdout)
    assert match, result.stderr[-2000:]
    return {k: tuple(map(int, v.split("/"))) for k, v in (i.split("=") for i in match.group(1).split())}


@pytest.mark.xdist_group("email-chromium")
@pytest.mark.parametrize("case", [
"gen:long-word.md", "cjk-zh.md"])
def test_long_words_do_not_widen_the_email(tmp_path, case):
    assert CHROMIUM, "needs chromium (make test installs it)"
    source = case_source(case, tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-f", "email", "-o", str(out), "-O", "email.embed_images=true",
                     timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    pages = [p for p in (out / f"{source.stem}.html", out / f"{source.stem}.web.html") if p.exists()]
    measured = sideways_overflow(pages, (600, 375), tmp_path)
    wide = {k: v for k, v in measured.items() if v[0] > v[1]}
    assert len(measured) == 2 * len(pages) and not wide, wide


# -- right-to-left articles say so ------------------------------------------------------

@pytest.mark.parametrize("case, language", [("rtl-arabic.md", "ar"), ("rtl-hebrew.md", "he")])
def test_right_to_left_articles_are_marked_rtl(tmp_path, case, language):
    formats = ["email", "epub"]
    source = case_source(case, tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", str(source), "-f", ",".join(formats), "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    markup = {p.name: p.read_text() for p in out.glob("*.html")}
    for book in out.glob("*.epub"):
        with zipfile.ZipFile(book) as zf:
            markup.update({n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".xhtml")})
    tagged = {name: re.findall(rf'<[^>]*\blang="{language}"[^>]*>', text) for name, text in markup.items()}
    tagged = {name: tags for name, tags in tagged.items() if tags}
    assert tagged, "no element carries the article's language"
    for name, tags in tagged.items():
        assert any('dir="rtl"' in tag for tag in tags), f"{name}: {tags[0]}"


@pytest.mark.parametrize("name", ["feed-billion-laughs.xml", "feed-xxe.xml", "feed-is-html.rss"])
def test_hostile_feeds_through_build_feed(tmp_path, name):
    """`build --feed` reads a feed its own way (newest entries): same guarantees."""
    source = tmp_path / name
    source.write_bytes((HOSTILE / name).read_bytes())
    out = tmp_path / "out"
    result = run_cli("build", "--feed", str(source), "-f", "json", "-o", str(out), timeout=60)
    if result.returncode != 0:
        assert_clean_error(result, name)
        return
    assert_no_traceback(result)
    text = (out / f"{source.stem}.json").read_text()
    assert "lollollol" not in text and "root:x:0:0" not in text


def test_a_feed_title_with_a_line_break_through_build_feed_gives_one_line_headers(tmp_path):
    """The channel title becomes the issue's title, so the Subject and From name."""
    source = tmp_path / "evil.rss"
    source.write_bytes((HOSTILE / "feed-title-crlf.rss").read_bytes())
    result = run_cli("build", "--feed", str(source), "-f", "email", "-o", str(tmp_path / "out"), timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert_no_traceback(result)
    raw = (tmp_path / "out" / "evil.eml").read_bytes()
    assert header_dangers(raw, "evil.eml") == []
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"].startswith("Evil Bcc: victim@example.net")


# -- a server that never finishes cannot hang a build -----------------------------------

@pytest.mark.skipif(not FULL, reason="waits out the fetch deadline (about a minute): make fuzz (HOSTILE_FULL=1)")
def test_a_server_that_drips_bytes_forever_cannot_hang_the_build(tmp_path):
    """Each read gets a byte in time, so only an overall deadline ends the fetch."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip() -> None:
        while not stop.is_set():
            listener.settimeout(0.5)
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            def serve(conn: socket.socket = conn) -> None:
                with conn:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n")
                    while not stop.wait(1):
                        try:
                            conn.sendall(b"\xff")
                        except OSError:
                            return
            threading.Thread(target=serve, daemon=True).start()

    threading.Thread(target=drip, daemon=True).start()
    try:
        source = tmp_path / "drip.md"
        port = listener.getsockname()[1]
        source.write_text(FM.format(title="Drip") + f"Text keep-drip.\n\n![x](http://127.0.0.1:{port}/x.jpg)\n")
        result = run_cli("build", str(source), "-f", "json", "-o", str(tmp_path / "out"), "--allow-private",
                         timeout=150)
    finally:
        stop.set()
        listener.close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert any("x.jpg" in line for line in result.stderr.splitlines()), result.stderr
