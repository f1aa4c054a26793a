"""`exporter serve`, driven from a real page in headless Chromium (Playwright)."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.xdist_group("serve")

ARTICLE = """---
title: {title}
date: 2026-11-30
lead:
  image: harbour.jpg
  caption: The harbour at dawn.
  credit: Staff photographer
---

The harbour reopened on Monday after a week of repairs to the sea wall.

Fishing boats were the first to return, followed by the morning ferry.
"""


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    folder = tmp_path / "issue"
    folder.mkdir()
    Image.new("RGB", (800, 500), (40, 90, 140)).save(folder / "harbour.jpg")
    (folder / "harbour.md").write_text(ARTICLE.format(title="Harbour reopens after repairs"))
    (folder / "issue.toml").write_text(
        'title = "Harbour Weekly"\ndate = 2026-11-30\n'
        '[[sections]]\ntitle = "Town"\narticles = ["harbour.md"]\n')
    return folder


@pytest.fixture
def server(issue: Path):
    """`exporter serve` as a user starts it, on a free port, with its own temporary folder."""
    (issue.parent / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", "serve", str(issue / "issue.toml"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(issue.parent / "tmp")})
    line = process.stdout.readline()
    assert line.startswith("serving http://127.0.0.1:"), process.stderr.read()
    url = line.split()[1]
    yield url, process
    if process.poll() is None:
        process.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _email(page):
    return page.frame_locator("iframe.desktop")


def test_an_edit_reloads_the_page_and_a_broken_edit_keeps_the_last_good_build(issue, server, browser):
    url, process = server
    page = browser.new_page()
    page.goto(url)
    expect(_email(page).locator("body")).to_contain_text("Harbour reopens after repairs")
    expect(page.locator(".pages img")).not_to_have_count(0)
    expect(page.locator("iframe.chapter")).not_to_have_count(0)

    (issue / "harbour.md").write_text(ARTICLE.format(title="Ferry returns to the harbour"))
    expect(_email(page).locator("body")).to_contain_text("Ferry returns to the harbour",
                                                         timeout=60_000)
    expect(page.frame_locator("iframe.web").locator("h3")).to_contain_text("Ferry returns")

    (issue / "issue.toml").write_text('title = "Harbour Weekly"\n[[sections]\n')  # broken TOML
    expect(page.locator(".error")).to_contain_text("issue.toml", timeout=60_000)
    assert "\n" not in page.locator(".error").inner_text().strip()
    expect(_email(page).locator("body")).to_contain_text("Ferry returns to the harbour")

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    errors = process.stderr.read()
    assert "Traceback" not in errors, errors


def _get(url: str, path: str, host: str | None = None) -> int:
    address = url.split("//")[1].rstrip("/")
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_kill_stops_it_and_removes_its_build_folders(issue, server):
    _, process = server
    temp = issue.parent / "tmp"
    assert list(temp.glob("exporter-serve-*/build-1/issue.pdf"))
    process.terminate()
    assert process.wait(timeout=20) == 0
    assert list(temp.iterdir()) == []


def _has_children(pid: int) -> bool:
    return any((task / "children").read_text().split()
               for task in Path(f"/proc/{pid}/task").iterdir() if (task / "children").exists())


def test_ctrl_c_during_a_rebuild_stops_without_waiting_for_it(issue, server):
    """A rebuild of a long article typesets for half a minute; Ctrl-C ends it at once.
    The edit comes the moment the server is ready: the watcher must not miss it either."""
    _, process = server
    temp = issue.parent / "tmp"
    sentence = "The harbour reopened on Monday after a week of repairs to the sea wall. "
    long_body = "\n\n".join(sentence * 5 for _ in range(2400))
    (issue / "harbour.md").write_text(ARTICLE.format(title="A very long day") + long_body)
    for _ in range(600):  # the rebuild's worker processes have started
        if _has_children(process.pid):
            break
        time.sleep(0.05)
    else:
        pytest.fail("no rebuild started")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0  # without stopping them: 20 s more of typesetting
    assert "Traceback" not in process.stderr.read()
    assert list(temp.iterdir()) == []


@pytest.mark.parametrize("inherited", ["ignored", "blocked"])
def test_ctrl_c_stops_it_whatever_its_parent_did_to_the_signal(issue, inherited):
    """A shell's background job starts with SIGINT ignored, a thread may have it blocked:
    both are inherited across exec, and Ctrl-C must still stop the server."""
    def prepare() -> None:
        if inherited == "ignored":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        else:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    (issue.parent / "tmp").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "exporter", "serve", str(issue / "issue.toml"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=prepare,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(issue.parent / "tmp")})
    try:
        assert process.stdout.readline().startswith("serving http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    assert list((issue.parent / "tmp").iterdir()) == []


def test_kill_right_after_the_ready_line_still_stops_cleanly(issue):
    """`kill` may come the moment the address is printed: the handler is in place by then."""
    temp = issue.parent / "tmp"
    temp.mkdir()
    script = ("import os, signal, sys\n"
              "from pathlib import Path\n"
              "from exporter.serve import serve\n"
              "serve(Path(sys.argv[1]), port=0,"
              " on_ready=lambda line: os.kill(os.getpid(), signal.SIGTERM))\n")
    finished = subprocess.run([sys.executable, "-c", script, str(issue / "issue.toml")],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "TMPDIR": str(temp)})
    assert finished.returncode == 0, finished.stderr
    assert list(temp.iterdir()) == []


def test_only_the_build_folder_is_served(issue, server):
    url, _ = server
    assert _get(url, "/out/issue.html") == 200
    (issue.parent / "secret.txt").write_text("not for the browser")
    for path in ["/out/../secret.txt", "/out/%2e%2e/%2e%2e/etc/passwd", "/out//etc/passwd",
                 "/out/pages/../../../../etc/passwd", "/etc/passwd"]:
        assert _get(url, path) == 404, path


def test_other_host_names_are_refused(server):
    url, _ = server
    assert _get(url, "/", host="attacker.example") == 403


def _own_addresses() -> list[str]:
    """This machine's addresses that are not loopback (its network interfaces)."""
    output = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout
    return [a for a in output.split() if not a.startswith("127.") and ":" not in a]


def test_it_listens_on_loopback_only(server):
    url, _ = server
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    addresses = _own_addresses()
    assert addresses, "the machine has no network interface besides loopback to try"
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()


def test_serve_of_an_article_says_it_needs_a_manifest(issue):
    result = subprocess.run([sys.executable, "-m", "exporter", "serve", str(issue / "nope.toml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "needs a manifest" in result.stderr


def test_a_failed_build_is_not_tried_again_until_something_changes(issue, tmp_path):
    """The watcher rebuilds when an input is newer than the last build read it; a build
    that failed read the broken file too, so it must not count as stale every second."""
    from exporter.serve import Builder, PreviewState

    state = PreviewState()
    builder = Builder(issue / "issue.toml", tmp_path / "builds", state)
    builder.rebuild()
    assert state.good is not None and not builder.stale()
    os.utime(issue / "harbour.md", ns=(0, 0))  # any change of the time counts
    assert builder.stale()
    (issue / "issue.toml").write_text('title = "Harbour Weekly"\n[[sections]\n')  # broken TOML
    builder.rebuild()
    assert state.error and not builder.stale()


def test_the_page_of_a_build_whose_folder_is_being_removed_still_renders(tmp_path):
    """A page request may run while its build's folder is removed (a newer build
    replaced it, or the server is stopping): the page must not read that folder."""
    from exporter.serve import PreviewState, Snapshot, page

    state = PreviewState()
    (tmp_path / "build-1" / "book" / "EPUB").mkdir(parents=True)  # half removed: no container.xml
    state.publish(Snapshot(tmp_path / "build-1", "issue", "Harbour Weekly", 1.0,
                           pages=["page-1.png"], chapters=["EPUB/harbour.xhtml"]))
    html = page(state)
    assert 'src="/out/book/EPUB/harbour.xhtml"' in html and 'src="/out/pages/page-1.png"' in html
