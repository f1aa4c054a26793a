"""The email and its web version laid out by headless Chromium: no sideways scrolling at
600 and 375 px, and screenshots in out/preview/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exporter.build import build
from exporter.manifest import load_manifest

from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.xdist_group("email-chromium")

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
PREVIEW = ROOT / "out" / "preview"
WIDTHS = (600, 375)


def _chromium(profile: Path, *args: str) -> list[str]:
    return [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars", *args]


# Each page is framed at each width; the frame's scrollWidth beyond its clientWidth is
# sideways overflow. A control frame that must overflow proves the measurement works.
WRAPPER = """<!doctype html><html><body>
{frames}
<iframe id="control" srcdoc="&lt;div style='width:800px'&gt;wide&lt;/div&gt;" style="width:375px;height:100px;border:0"></iframe>
<script>
window.addEventListener("load", function () {{
  var out = [];
  document.querySelectorAll("iframe").forEach(function (f) {{
    var d = f.contentDocument;
    var e = d && d.documentElement;
    out.push(f.id + "=" + (e ? e.scrollWidth + "/" + e.clientWidth + "/" + Math.ceil(d.body.getBoundingClientRect().height) : "blocked"));
  }});
  var p = document.createElement("p");
  p.id = "measure";
  p.textContent = out.join(" ");
  document.body.appendChild(p);
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    assert CHROMIUM, "needs chromium (make test installs it)"
    out = tmp_path_factory.mktemp("email-layout")
    project = load_manifest(FIXTURES / "email" / "briefing.toml")
    # embedded, not hosted, photos: the .html and .web.html files then show the local
    # image folder, so the previews have their photos without a network
    local = {"embed_images": True, "asset_base_url": ""}
    build(project, ["email"], out, overrides={"email": local})
    build(project, ["email"], out / "teaser", overrides={"email": {**local, "mode": "teaser"}})
    return out


@pytest.fixture(scope="module")
def pages(built):
    return {"email": built / "briefing.html", "web": built / "briefing.web.html",
            "teaser": built / "teaser" / "briefing.html"}


@pytest.fixture(scope="module")
def measured(built, pages, tmp_path_factory):
    """{frame id: (scrollWidth, clientWidth, body height)} for each page at each width.

    Scrollbars are hidden, so a frame's clientWidth is its full width."""
    frames = "\n".join(
        f'<iframe id="{name}-{w}" src="{path.as_uri()}" style="width:{w}px;height:600px;border:0"></iframe>'
        for name, path in pages.items() for w in WIDTHS)
    wrapper = built / "measure.html"
    wrapper.write_text(WRAPPER.format(frames=frames))
    result = subprocess.run(
        _chromium(tmp_path_factory.mktemp("profile"), "--allow-file-access-from-files",
                  "--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom",
                  wrapper.as_uri()),
        capture_output=True, text=True, timeout=60)
    match = re.search(r'<p id="measure">([^<]*)</p>', result.stdout)
    assert match, result.stderr[-2000:]
    return {name: tuple(map(int, value.split("/")))
            for name, value in (item.split("=") for item in match.group(1).split())}


def test_no_horizontal_overflow(measured, pages):
    assert measured["control"][0] > measured["control"][1], "the measurement cannot see overflow"
    for name in (f"{p}-{w}" for p in pages for w in WIDTHS):
        scroll, client, _ = measured[name]
        assert client == int(name.rsplit("-", 1)[1])
        assert scroll <= client, f"{name}: content {scroll}px wide in a {client}px window"


def test_screenshots(built, measured, tmp_path):
    PREVIEW.mkdir(parents=True, exist_ok=True)
    def height(frame: str) -> int:  # the whole page, as measured
        return measured[frame][2]

    shots = [(built / "briefing.html", 600, height("email-600"), "email-600.png", ()),
             (built / "briefing.html", 375, height("email-375"), "email-375.png", ()),
             (built / "briefing.html", 600, height("email-600"), "email-dark-600.png", ("--force-dark-mode",)),
             (built / "teaser" / "briefing.html", 375, height("teaser-375"), "email-teaser-375.png", ()),
             (built / "briefing.web.html", 375, height("web-375"), "web-375.png", ())]
    running = []
    for n, (page, width, height, name, extra) in enumerate(shots):
        target = PREVIEW / name
        target.unlink(missing_ok=True)
        command = _chromium(tmp_path / f"profile-{n}", *extra, f"--window-size={width},{height}",
                            f"--screenshot={target}", page.as_uri())
        running.append((target, subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL)))
    for target, process in running:
        process.wait(timeout=60)
        assert target.is_file() and target.stat().st_size > 10_000, target
        from PIL import Image

        with Image.open(target) as image:
            assert image.width in WIDTHS
