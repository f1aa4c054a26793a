"""Bad input gives one line naming the source and the problem, exit 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

MANIFEST_HEAD = 'title = "T"\ndate = 2024-06-24\n'
ONE_SECTION = f'[[sections]]\narticles = ["{SAMPLES / "manila-floods.md"}"]\n'


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


CASES = {
    "missing file": (lambda d: ["inspect", str(d / "nope.md")], "no such file"),
    "empty file": (lambda d: ["inspect", str(write(d, "empty.txt", ""))], "empty file"),
    "random bytes": (lambda d: ["inspect", str(write(d, "r.txt", os.urandom(4096)))], "not text"),
    "broken TOML": (lambda d: ["build", str(write(d, "m.toml", "title = [broken")), "-o", str(d / "o")],
                    "not valid TOML"),
    "unknown manifest key": (
        lambda d: ["build", str(write(d, "m.toml", MANIFEST_HEAD + 'colour = "red"\n' + ONE_SECTION)),
                   "-o", str(d / "o")],
        "unknown key 'colour'"),
    "unknown article key": (
        lambda d: ["build", str(write(d, "m.toml", MANIFEST_HEAD + '[[sections]]\narticles = [{source = "a.md", photo = "x"}]\n')),
                   "-o", str(d / "o")],
        "unknown key 'sections[0].articles[0].photo'"),
    "manifest naming a missing article": (
        lambda d: ["build", str(write(d, "m.toml", MANIFEST_HEAD + '[[sections]]\narticles = ["gone.md"]\n')),
                   "-o", str(d / "o")],
        "missing article: gone.md"),
    "broken front matter": (lambda d: ["inspect", str(write(d, "b.md", "---\ntitle: [x\n---\ntext"))],
                            "broken front matter"),
    "JSON not the model": (lambda d: ["inspect", str(write(d, "a.json", '{"headline": "x"}'))],
                           "unknown field 'headline'"),
    "unknown option": (lambda d: ["build", str(SAMPLES / "manila-floods.md"), "-f", "json",
                                  "-O", "json.colour=red", "-o", str(d / "o")], "unknown option 'colour'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_exit_1(tmp_path, case):
    make_args, message = CASES[case]
    result = run(*make_args(tmp_path))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0]
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_usage_error_is_exit_2():
    assert run("build", "--no-such-flag").returncode == 2


def test_keep_going_reports_and_skips_the_bad_article(tmp_path):
    write(tmp_path, "bad.json", '{"headline": "x"}')
    good = write(tmp_path, "good.md", "---\ntitle: Good\n---\nSome text.")
    manifest = write(tmp_path, "m.toml", MANIFEST_HEAD + '[[sections]]\narticles = ["bad.json", "good.md"]\n')
    result = run("build", str(manifest), "-f", "json", "-o", str(tmp_path / "o"), "--keep-going")
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stderr and "bad.json" in result.stderr
    assert "Good" in (tmp_path / "o" / "m.json").read_text()
    assert good.exists()


def test_inspect_text_prints_body_paragraphs_only():
    result = run("inspect", str(SAMPLES / "manila-floods.md"), "--format", "text")
    assert result.returncode == 0
    assert "When the first monsoon rains" in result.stdout
    assert "Photograph" not in result.stdout and "Navotas pumping station, where" not in result.stdout


def test_the_command_runs_exit_handlers_but_frees_nothing_one_by_one(tmp_path):
    """The output is whole, the exit code kept and the exit handlers run; the objects left
    at the end are not freed one at a time (a tenth of a second and more after a build)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import atexit\n"
        f"atexit.register(lambda: open({str(tmp_path / 'handled')!r}, 'w').close())\n"
        "class Freed:\n"
        "    def __del__(self, open=open):  # bound now: gone from builtins by then\n"
        f"        open({str(tmp_path / 'freed')!r}, 'w').close()\n"
        "kept = Freed()\n")
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}"}
    article = str(SAMPLES / "manila-floods.md")
    done = subprocess.run([sys.executable, "-m", "exporter", "inspect", article],
                          capture_output=True, text=True, env=env, timeout=120)
    failed = subprocess.run([sys.executable, "-m", "exporter", "inspect", str(tmp_path / "nope.md")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["title"]
    assert failed.returncode == 1 and "no such file" in failed.stderr
    assert (tmp_path / "handled").exists()
    assert not (tmp_path / "freed").exists()


def test_the_command_under_a_profiler_ends_normally_so_that_it_reports(tmp_path):
    """`python -m cProfile -m exporter ...` writes its figures after the program ends."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stats = tmp_path / "stats"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "exporter",
                           "inspect", str(SAMPLES / "manila-floods.md")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and stats.stat().st_size > 0
