"""Progress and summary: a table on a terminal, the plain lines when piped or --quiet."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from exporter.build import Output
from exporter.progress import BuildProgress, plain_lines, print_summary

from conftest import ROOT


def issue(folder: Path) -> Path:
    (folder / "a.md").write_text("---\ntitle: A story\n---\nText.\n")
    (folder / "issue.toml").write_text('title = "T"\n[[sections]]\narticles = ["a.md"]\n')
    return folder / "issue.toml"


def run_in_terminal(*args: str) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal; everything it showed."""
    leader, follower = pty.openpty()
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "160"}
    process = subprocess.Popen([sys.executable, "-m", "exporter", *args], stdout=follower,
                               stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=120) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_build_ends_with_a_summary_table(tmp_path):
    shown = run_in_terminal("build", str(issue(tmp_path)), "-f", "json", "-o", str(tmp_path / "out"))
    assert "format" in shown and "size" in shown and "warnings" in shown
    assert "issue.json" in shown and "none" in shown


def test_quiet_prints_the_plain_lines_even_on_a_terminal(tmp_path):
    shown = run_in_terminal("build", str(issue(tmp_path)), "-f", "json", "-o", str(tmp_path / "out"),
                            "--quiet")
    assert "warnings" not in shown and "\x1b[" not in shown
    assert shown.strip().startswith("json   ") and shown.strip().endswith(" s")


def test_piped_output_is_one_plain_line_per_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "exporter", "build", str(issue(tmp_path)), "-f",
                             "json", "-o", str(tmp_path / "out")], capture_output=True, text=True,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0 and result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"json   {tmp_path / 'out' / 'issue.json'}  ") and line.endswith(" s")


def test_summary_table_lists_each_file_with_its_warnings(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: no wrapped cells
    (tmp_path / "a.pdf").write_bytes(b"x" * 2048)
    (tmp_path / "a.epub").write_bytes(b"x" * 3 * 2**20)
    (tmp_path / "a-images").mkdir()
    (tmp_path / "a-images" / "1.jpg").write_bytes(b"x" * 5120)
    outputs = [Output("pdf", [tmp_path / "a.pdf"], 0.5, ["font fallback for 한국어 [b]"]),
               Output("epub", [tmp_path / "a.epub"], 1.25),
               Output("email", [tmp_path / "a.html", tmp_path / "a-images"], 0.2)]
    (tmp_path / "a.html").write_text("<p>x</p>")
    stream = io.StringIO()
    print_summary(outputs, table=True, stream=stream)
    table = stream.getvalue()
    assert "2.0 KB" in table and "3.0 MB" in table and "1.25 s" in table
    assert "font fallback for 한국어 [b]" in table and "none" in table  # markup-like text kept
    assert "a-images/" in table and "5.0 KB" in table
    assert plain_lines(outputs) == [f"pdf    {tmp_path / 'a.pdf'}  2.0 KB  0.50 s",
                                    f"epub   {tmp_path / 'a.epub'}  3.0 MB  1.25 s",
                                    f"email  {tmp_path / 'a.html'}  0.0 KB  0.20 s"]


def test_disabled_progress_does_nothing():
    with BuildProgress(["pdf"], enabled=False) as progress:
        progress("sources")
        progress("pdf")
    assert progress.steps == ["sources", "images", "pdf"]
