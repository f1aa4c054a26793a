"""The PDF rendered in parallel by article reads exactly like the one rendered whole."""

from __future__ import annotations

import collections
import io
import os
import re
import threading
from pathlib import Path

import pypdf
import pytest
import weasyprint

from exporter.backends.pdf.parallel import render_parallel, split_document

CSS = """@page { size: A6; margin: 1.5cm 1cm;
  @top-center { content: string(headline); font-size: 6pt }
  @top-right { content: string(date); font-size: 6pt }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 6pt } }
.date { string-set: date content() }
h1.section { string-set: headline content(); break-before: page }
h2 { string-set: headline content() }
article { break-before: page }
nav a::after { content: leader('.') target-counter(attr(href), page) }
body { font-size: 9pt }"""


def briefing(articles: int) -> str:
    parts = [f"<!DOCTYPE html><html lang='en'><head><title>Briefing</title><style>{CSS}</style></head>"
             "<body><h1>Briefing</h1><p class='date'>24 June</p><nav><ul>"]
    parts += [f"<li><a href='#art{i}'>Story {i}</a></li>" for i in range(articles)]
    parts.append("</ul></nav>")
    for s in range(2):
        parts.append(f"<section><h1 class='section'>Section {s}</h1>")
        for i in range(s * articles // 2, (s + 1) * articles // 2):
            words = " ".join(f"word{k}" for k in range(60 + 90 * (i % 3)))
            parts.append(f"<article id='art{i}'><h2>Story {i}</h2>" + f"<p>{words}</p>" * (2 + i % 4)
                         + "</article>")
        parts.append("</section>")
    return "".join(parts) + "</body></html>"


def read(path: Path) -> dict:
    reader = pypdf.PdfReader(path)
    texts = [page.extract_text() for page in reader.pages]

    def flat(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from flat(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)

    return {
        "pages": len(texts),
        "contents": re.findall(r"Story (\d+) ?\.+ ?(\d+)", texts[0]),
        "footers": [t.strip().splitlines()[-1] for t in texts],
        "running heads": [re.findall(r"^(Story \d+|Section \d+)? ?(24 June)?$", t, re.M)[-2:] for t in texts],
        "dated": ["24 June" in t for t in texts],
        "outline": list(flat(reader.outline)),
        "destinations": sorted((name, reader.get_destination_page_number(d))
                               for name, d in reader.named_destinations.items()),
        "links": [(i, str(a.get_object().get("/Dest"))) for i, p in enumerate(reader.pages)
                  for a in p.get("/Annots") or []],
    }


def test_split_keeps_sections_with_their_first_article() -> None:
    front, parts = split_document(briefing(8), 2)
    assert "<nav>" in front and "art0" not in front.split("</nav>")[1]
    assert len(parts) == 2
    for part in [front, *parts]:  # no section heading is left behind without its articles
        assert not re.search(r"Section \d</h1>\s*</section>", part)
    assert front.count("Section") == 0
    assert all("<style>" in p for p in parts)
    assert sum(p.count("<article") for p in parts) == 8


def test_parallel_matches_one_process(tmp_path: Path) -> None:
    html = briefing(8)
    whole = tmp_path / "whole.pdf"
    weasyprint.HTML(string=html).write_pdf(whole)
    data = render_parallel(html, workers=2, render=lambda s: weasyprint.HTML(string=s).render(),
                           write=lambda document, path: document.write_pdf(path))
    (tmp_path / "parallel.pdf").write_bytes(data)
    expected, got = read(whole), read(tmp_path / "parallel.pdf")
    assert expected["pages"] > 10
    assert len(expected["contents"]) == 8
    for key in expected:
        assert got[key] == expected[key], key


def structure(path: Path) -> dict:
    """The tag tree in reading order (type, page, marked-content ids) and its parent tree:
    each page's marked content that an element of the tree holds, by id. (WeasyPrint
    also gives the text of its margin boxes ids held by elements outside the tree; the
    PDF typeset by article has its margins stamped on, marked as artifacts: stamp.py.)"""
    reader = pypdf.PdfReader(path)
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    elements = []
    in_tree = set()

    def walk(element, depth):
        in_tree.add(element.indirect_reference.idnum)
        page = pages.get(element.raw_get("/Pg").idnum) if "/Pg" in element else None
        elements.append((depth, str(element["/S"]), page,
                         [int(k) for k in element.get("/K", []) if isinstance(k, int)]))
        for kid in element.get("/K", []):
            obj = kid.get_object() if hasattr(kid, "get_object") else None
            if isinstance(obj, dict) and "/S" in obj:
                assert obj.raw_get("/P").idnum == element.indirect_reference.idnum
                walk(obj, depth + 1)

    walk(root["/K"][0].get_object(), 0)
    nums = root["/ParentTree"].get_object()["/Nums"]
    parent_tree = {}
    for i in range(0, len(nums), 2):
        value = nums[i + 1].get_object() if hasattr(nums[i + 1], "get_object") else nums[i + 1]
        parent_tree[int(nums[i])] = ({mcid: str(v.get_object()["/S"]) for mcid, v in enumerate(value)
                                      if v.idnum in in_tree}
                                     if isinstance(value, list) else str(value["/S"]))
    return {"elements": elements, "parent tree": parent_tree,
            "page keys": [int(p.get("/StructParents", -1)) for p in reader.pages],
            "annotation keys": sorted(int(a.get_object().get("/StructParent", -1))
                                      for p in reader.pages for a in p.get("/Annots") or []),
            "marked": reader.trailer["/Root"]["/MarkInfo"]["/Marked"],
            "language": reader.trailer["/Root"]["/Lang"]}


def test_parallel_keeps_the_tag_tree(tmp_path: Path) -> None:
    html = briefing(8)
    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
    whole = tmp_path / "whole.pdf"
    weasyprint.HTML(string=html).write_pdf(whole, **options)
    data = render_parallel(html, workers=2, tagged=True,
                           render=lambda s: weasyprint.HTML(string=s).render(**options),
                           write=lambda document, path: document.write_pdf(path, **options))
    (tmp_path / "parallel.pdf").write_bytes(data)
    expected, got = structure(whole), structure(tmp_path / "parallel.pdf")
    assert len(expected["elements"]) > 100 and len(expected["annotation keys"]) >= 8
    for key in expected:
        assert got[key] == expected[key], key
    assert b"pdfuaid" in pypdf.PdfReader(tmp_path / "parallel.pdf").trailer["/Root"]["/Metadata"].get_data()


def test_many_parts_merge_without_parsing_them_in_python(tmp_path: Path) -> None:
    """One part per article (the render cache's split): qpdf joins 13 parts with their
    outline, named destinations and tag tree as one document typeset whole has them,
    and the parts are never parsed into Python objects (pypdf's merge held ~1.4 MB a part);
    only their fonts' glyphs are, one copy at a time."""
    import hashlib
    import tracemalloc

    from exporter.backends.pdf import parallel
    from exporter.backends.pdf.parts import Store, render_cached

    html = briefing(12)
    options = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
    whole = tmp_path / "whole.pdf"
    weasyprint.HTML(string=html).write_pdf(whole, **options)
    merged: list[int] = []
    original = parallel.merge

    def traced(front, parts, **kwargs):
        # once untraced first: the modules it imports on first use (pikepdf, fontTools'
        # glyph list) are not the merge's memory, and whether an earlier test in this
        # process imported them must not decide the figure
        original(front, parts, **kwargs)
        tracemalloc.start()
        try:
            return original(front, parts, **kwargs)
        finally:
            merged.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("exporter.backends.pdf.parts.merge", traced)
        data = render_cached(html, render=lambda s: weasyprint.HTML(string=s).render(**options),
                             write=lambda document, path: document.write_pdf(path, **options),
                             fingerprint=lambda d: hashlib.sha256(d.encode()).hexdigest(),
                             tagged=True, store=Store(tmp_path / "cache"))
    (tmp_path / "merged.pdf").write_bytes(data)
    # 12 articles, the front and the articles' margins (one document)
    assert len(list((tmp_path / "cache").rglob("*.pdf"))) == 12 + 1 + 1
    expected, got = read(whole), read(tmp_path / "merged.pdf")
    assert len(expected["outline"]) >= 14 and len(expected["destinations"]) >= 12
    for key in expected:  # running heads and footers too: stamped at the merge
        assert got[key] == expected[key], key
    expected, got = structure(whole), structure(tmp_path / "merged.pdf")
    for key in expected:
        assert got[key] == expected[key], key
    # every page after the front (its one page) has its margins stamped on
    assert margins_marked(tmp_path / "merged.pdf") == list(range(1, expected_pages(whole)))
    # what stays in Python: the bookmarks, names, the written file (87 KB) and one face's
    # program while the parts' glyphs are gathered into it (fontTools, one copy at a time:
    # about 1.7 MB whatever the number of parts); pypdf held 12 MB
    assert merged and merged[0] < 2_500_000, f"the merge held {merged[0]} bytes of Python objects"


def expected_pages(path: Path) -> int:
    return len(pypdf.PdfReader(path).pages)


def margins_marked(path: Path) -> list[int]:
    """The pages that show text marked as an artifact (the stamped margins: WeasyPrint
    tags the text it draws), each checked to have no tagged content inside an artifact
    (PDF/UA), every marked sequence closed."""
    import pikepdf

    stamped = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            marks: list[str] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("BMC", "BDC"):
                    assert "/Artifact" not in marks or str(operator) == "BMC", number
                    marks.append(str(operands[0]))
                elif str(operator) == "EMC":
                    marks.pop()
                elif str(operator) in ("Tj", "TJ") and marks == ["/Artifact"]:
                    stamped += [number] if number not in stamped else []
            assert not marks, number
    return stamped


# -- through the PDF backend: size and variants -------------------------------------------

def write_issue(folder: Path, articles: int) -> Path:
    """A text-only issue in Markdown (bold, italic, headings, a quote: several faces), so
    that fonts are a large share of the file."""
    names = []
    for i in range(articles):
        words = " ".join(f"word{(i * 37 + k) % 97}" for k in range(70))
        body = "\n\n".join(f"{words.capitalize()} *slanted {i}* and **heavy {k}** — “quoted”."
                           for k in range(4))
        (folder / f"a{i}.md").write_text(
            f"---\ntitle: Story {i} of the week\nkicker: Trade\nstandfirst: What changed, {i}.\n"
            f"authors: [Jo Bloggs]\n---\n\n{body}\n\n## Part two {i}\n\n> Said so {i}.\n\nEnd.\n")
        names.append(f'"a{i}.md"')
    manifest = folder / "issue.toml"
    manifest.write_text(f'title = "Parallel"\ndate = 2024-06-24\n[[sections]]\ntitle = "All"\n'
                        f'articles = [{", ".join(names)}]\n')
    return manifest


def build_issue_pdf(manifest: Path, out: Path, **options: object) -> tuple[Path, list[str]]:
    from exporter.build import build
    from exporter.manifest import load_manifest

    outputs, warnings = build(load_manifest(manifest), ["pdf"], out, offline=True,
                              overrides={"pdf": {k: str(v) for k, v in options.items()}})
    return outputs[0].files[0], warnings + outputs[0].warnings


def font_files(path: Path) -> list[bytes]:
    """Every embedded font program (FontFile2/3 stream) in the file, decoded."""
    reader = pypdf.PdfReader(path)
    found = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # free entries
            continue
        if isinstance(obj, pypdf.generic.StreamObject) and ("/Length1" in obj or obj.get("/Subtype") == "/OpenType"):
            found.append(obj.get_data())
    return found


@pytest.fixture(scope="module")
def one_and_parallel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("issue")
    manifest = write_issue(folder, 6)
    one, _ = build_issue_pdf(manifest, folder / "one", workers=1)
    parallel, _ = build_issue_pdf(manifest, folder / "parallel", workers=3)
    return one, parallel


def test_parallel_pdf_is_no_bigger_than_one_process(one_and_parallel):
    one, parallel = one_and_parallel
    fonts = font_files(parallel)
    assert len(fonts) == len(set(fonts)) == len(font_files(one)) >= 4, "each face embedded once"
    # A fixed margin, not a share: qpdf packs at most 100 objects per object stream (each
    # with its own header and deflate start) and leaves the XMP metadata unfiltered, where
    # WeasyPrint writes one object stream: about 0.9 KB whatever the issue's size.
    assert parallel.stat().st_size <= one.stat().st_size + 1200
    texts = [[page.extract_text() for page in pypdf.PdfReader(p).pages] for p in (one, parallel)]
    assert texts[0] == texts[1]


def test_pdf_a_is_typeset_by_one_process_whatever_workers_says(tmp_path):
    manifest = write_issue(tmp_path, 3)
    path, warnings = build_issue_pdf(manifest, tmp_path / "out", variant="pdf/a-3b", workers=4)
    root = pypdf.PdfReader(path).trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and "/OutputIntents" in root
    assert any("pdf.workers = 4 not used" in w for w in warnings)


def test_workers_above_what_may_run_at_once_fall_back_to_one_process(tmp_path, monkeypatch):
    """EXPORTER_JOBS=1 runs parts one after another: parts waiting on each other would hang."""
    monkeypatch.setenv("EXPORTER_JOBS", "1")
    manifest = write_issue(tmp_path, 3)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(
        build_issue_pdf(manifest, tmp_path / "out", workers=3)), daemon=True)
    worker.start()
    worker.join(timeout=240)
    assert result, "the build hung: parts waited on each other"
    assert len(pypdf.PdfReader(result[0][0]).pages) >= 3


def test_each_process_loads_the_fonts_once_for_all_its_parts(tmp_path, monkeypatch):
    """Parts typeset by article share one WeasyPrint font configuration per process: a new
    one per part loads every face and shapes every glyph again (a sixth of the CPU time of
    a 50-article PDF). Counted in the forked workers through a file."""
    from weasyprint.text import fonts

    made = tmp_path / "made"
    created = fonts.FontConfiguration.__init__

    def counted(self, *args, **kwargs):
        with made.open("a") as log:
            log.write(f"{os.getpid()}\n")
        created(self, *args, **kwargs)

    monkeypatch.setattr(fonts.FontConfiguration, "__init__", counted)
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))  # parts, each cached
    manifest = write_issue(tmp_path, 4)
    path, _ = build_issue_pdf(manifest, tmp_path / "out", workers=2)
    assert len(pypdf.PdfReader(path).pages) >= 5
    per_process = collections.Counter(made.read_text().split())
    assert per_process and max(per_process.values()) == 1, per_process


def test_a_pdf_typeset_by_parts_never_parses_the_whole_document(tmp_path, monkeypatch):
    """Each part's HTML is parsed where it is typeset; the whole document's HTML is not
    parsed as well in the build's process (pure-Python parsing: 0.3 s at 50 articles,
    on every rebuild)."""
    parsed: list[str] = []
    original = weasyprint.HTML

    def recorded(*args, **kwargs):
        parsed.append(kwargs.get("string", ""))
        return original(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recorded)
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))  # parts, each cached
    manifest = write_issue(tmp_path, 4)
    path, _ = build_issue_pdf(manifest, tmp_path / "out", workers=2)
    assert len(pypdf.PdfReader(path).pages) >= 5
    assert not [html for html in parsed if html.count("<article") > 1]


def test_the_worker_typesetting_the_front_gets_fewer_articles() -> None:
    """The front costs more per character (its contents, its cover) than an article:
    the worker counting it takes fewer articles, so that both end together instead of
    one idling."""
    from exporter.backends.pdf.parts import FRONT, FRONT_WEIGHT, _share

    weights = {FRONT: 10_000 * FRONT_WEIGHT, **dict.fromkeys(range(6), 10_000)}
    chunks = _share(list(weights), weights, 2)
    front, other = sorted(chunks, key=lambda chunk: FRONT not in chunk)
    assert FRONT in front and len(front) - 1 < len(other)
    assert sorted(front + other) == [FRONT, *range(6)]


def test_fonts_are_joined_from_what_the_pages_use_not_every_object(tmp_path, monkeypatch):
    """The faces of parts are joined by walking the pages' resources (text in a faded
    block sits in a form of its own), never the file's every object: most of those are
    tag-tree elements, and going through them was a fifth of a warm merge."""
    import pikepdf

    from exporter.backends.pdf.fonts import merge_fonts

    parts = []
    for i in range(3):
        html = (f"<p>Plain <i>part {i}</i>.</p>"
                f"<div style='opacity: 0.5'><p>Faded <b>bold {i} {'xyz' * i}</b>.</p></div>")
        parts.append(pikepdf.open(io.BytesIO(weasyprint.HTML(string=html).write_pdf())))
    merged = pikepdf.new()
    for part in parts:
        merged.pages.extend(part.pages)
    monkeypatch.setattr(pikepdf.Pdf, "objects", property(lambda self: pytest.fail("every object walked")))
    merge_fonts(merged)
    out = tmp_path / "merged.pdf"
    merged.save(out)
    fonts = font_files(out)
    assert len(fonts) == len(set(fonts)) == 3, "regular, italic and bold, each once"
    assert [p.extract_text().split() for p in pypdf.PdfReader(out).pages][2] == [
        "Plain", "part", "2.", "Faded", "bold", "2", "xyzxyz."]


def test_accented_letters_built_of_parts_join_from_copies_that_name_glyphs_apart(tmp_path, monkeypatch):
    """Letters such as ò are composites (o plus a grave); one part's copy of a face may
    call a glyph "O" where another's calls it "glyph00050". The join copies a composite
    with its parts referred to by glyph id, not by the other copy's names (Hypothesis
    found the merge failing on this issue)."""
    from exporter.assets import Assets
    from exporter.backends import Job, backend, make_options
    from exporter.model import Issue

    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    blank = {"title": "", "source": {"kind": "markdown", "location": ""}, "body": []}
    issue = Issue.from_dict({"title": "", "date": "2024-06-24", "sections": [
        {"articles": [{**blank, "body": [{"type": "table", "rows": [], "header": ["", "", "áëÒ§òd"]}]},
                      blank]},
        {"articles": [blank]}]})
    assets = Assets(offline=True)
    assets.load_issue(issue, {a.id: tmp_path for a in issue.articles()})
    options = make_options(backend("pdf").Options, {"workers": 2}, "[pdf]")
    result = backend("pdf").build(Job(issue=issue, assets=assets, out_dir=tmp_path, stem="issue"), options)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(result.files[0]).pages)
    assert "áëÒ§òd" in text


def margin_lines(path: Path) -> list[tuple[str, str]]:
    """Each page's top and bottom lines as pdftotext lays them out (running head and
    date on their sides, "Page N of M"): the cover's are its own text."""
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = [[line.rstrip() for line in page.splitlines() if line.strip()]
             for page in text.split("\f")[:-1]]
    return [(lines[0], lines[-1]) if lines else ("", "") for lines in pages]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_stamped_margins_read_as_the_whole_documents(tmp_path, monkeypatch, language):
    """Page by page, a PDF typeset by article (parts kept in the cache, margins stamped
    at the merge) shows the running head, the date and "Page N of M" where the one typeset
    whole by one process shows them: the date carried from the cover into every part,
    each section's running head on its articles' later pages too, none on the cover;
    right to left, on the other sides."""
    monkeypatch.setenv("EXPORTER_CACHE_DIR", str(tmp_path / "cache"))
    manifest = write_issue(tmp_path, 6)
    long = "\n\n".join(f"A long paragraph {k}, " + "with many more words " * 30 for k in range(14))
    (tmp_path / "a2.md").write_text((tmp_path / "a2.md").read_text() + "\n" + long + "\n")
    text = manifest.read_text().replace('[[sections]]\ntitle = "All"\narticles = ["a0.md", "a1.md", "a2.md", ',
                                        '[[sections]]\ntitle = "First"\narticles = ["a0.md", "a1.md", "a2.md"]\n'
                                        '[[sections]]\ntitle = "Second"\narticles = [')
    manifest.write_text(text.replace('title = "Parallel"', f'title = "Parallel"\nlanguage = "{language}"'))
    one, _ = build_issue_pdf(manifest, tmp_path / "one", workers=1)
    stamped, _ = build_issue_pdf(manifest, tmp_path / "parts", workers=2)
    assert list((tmp_path / "cache" / "pdf-margins").rglob("*.pdf")), "typeset by article"
    expected, got = margin_lines(one), margin_lines(stamped)
    assert len(expected) >= 8
    date = "June" if language == "en" else "2024"
    heads = [top for top, _ in expected[1:]]
    assert "Page" not in expected[0][1] and "Parallel ·" not in expected[0][0]  # the cover
    assert all(date in head for head in heads)  # the cover's date, on every page
    assert any("Second" in head for head in heads)
    assert sum("First" in head for head in heads) > 3  # the long article's pages too
    if language == "en":
        assert [bottom.strip() for _, bottom in expected[1:]] == [
            f"Page {n} of {len(expected)}" for n in range(2, len(expected) + 1)]
    assert got == expected


def test_stamped_margins_take_the_side_of_their_page(tmp_path):
    """Page numbers on the outer side (`:left` and `:right` pages): an article part is
    typeset alone, but its margins take the side its pages have in the whole document,
    whether the article starts on an odd or an even page."""
    import hashlib

    from exporter.backends.pdf.parts import Store, render_cached

    css = ("@page { size: A7; margin: 1.5cm 1cm } body { font-size: 8pt }"
           "@page :left { @bottom-left { content: 'p. ' counter(page); font-size: 6pt } }"
           "@page :right { @bottom-right { content: counter(page) ' of ' counter(pages); font-size: 6pt } }"
           "article { break-before: page }")
    html = (f"<!DOCTYPE html><html><head><style>{css}</style></head><body><h1>Sides</h1>"
            + "".join(f"<article id='s{i}'><h2>Story {i}</h2>" + "<p>Words of news here.</p>" * (4 + 9 * i)
                      + "</article>" for i in range(4)) + "</body></html>")
    weasyprint.HTML(string=html).write_pdf(tmp_path / "whole.pdf")
    data = render_cached(html, render=lambda s: weasyprint.HTML(string=s).render(),
                         write=lambda document, path: document.write_pdf(path),
                         fingerprint=lambda d: hashlib.sha256(d.encode()).hexdigest(),
                         store=Store(tmp_path / "cache"))
    (tmp_path / "merged.pdf").write_bytes(data)
    expected = [bottom for _, bottom in margin_lines(tmp_path / "whole.pdf")]
    assert any(line.strip().startswith("p. ") for line in expected)
    assert any(line.strip().endswith(f" of {len(expected)}") for line in expected)
    assert [bottom for _, bottom in margin_lines(tmp_path / "merged.pdf")] == expected
