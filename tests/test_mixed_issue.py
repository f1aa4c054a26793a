"""One manifest mixing a URL, a saved page, a feed and pasted text builds into every format."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import zipfile

import pytest
from pypdf import PdfReader

from exporter.cli import main

from conftest import FIXTURES, SAMPLES

TITLES = ["Harbour cranes return to the old port", "A community garden grows on a car park",
          "Lantern festival draws record crowds", "Footbridge to get a temporary twin",
          "Why warmer North Korea-Russia ties could be trouble for Northeast Asia"]


@pytest.fixture
def site(tmp_path):
    """A local web server (127.0.0.1) serving one article page."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(FIXTURES / "html" / "lazy-images.html", root / "story.html")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.xdist_group("mixed")
def test_mixed_sources_build_into_every_format(tmp_path, site, capsys):
    shutil.copy(FIXTURES / "html" / "wp-caption.html", tmp_path / "saved.html")
    shutil.copy(FIXTURES / "feeds" / "full.atom", tmp_path / "river.atom")
    shutil.copy(SAMPLES / "north-korea-russia.txt", tmp_path / "pasted.txt")
    (tmp_path / "issue.toml").write_text(f"""
title = "Mixed"
date = 2026-02-02
[email]
embed_images = true
[[sections]]
title = "Web"
articles = ["{site}/story.html", "saved.html"]
[[sections]]
title = "Feed and paste"
articles = ["river.atom", "pasted.txt"]
""")
    out = tmp_path / "out"
    code = main(["build", str(tmp_path / "issue.toml"), "-o", str(out), "--allow-private", "--offline"])
    assert code == 0, capsys.readouterr().err
    assert {p.suffix for p in out.iterdir()} >= {".json", ".html", ".eml", ".pdf", ".epub"}
    html = (out / "issue.html").read_text()
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(out / "issue.pdf").pages)
    nav = zipfile.ZipFile(out / "issue.epub").read("EPUB/nav.xhtml").decode()
    for title in TITLES:
        assert title in html.replace("&#39;", "'")
        assert " ".join(title.split()[:4]) in " ".join(pdf_text.split())
        assert title in nav
