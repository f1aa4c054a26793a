"""Builds killed at random moments, or run twice at once, leave only whole outputs.

A SIGKILL may land anywhere: while reading, rendering, writing the staging folder or
publishing. Afterwards each output is absent or a complete earlier one; the only debris
allowed is the hidden staging folder, which the next successful build removes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES
from exporter.backends import BACKENDS, DEFAULT_FORMATS

KILLS = int(os.environ.get("FAILURE_KILLS", "12"))  # `make fuzz` raises it
SEED = int(os.environ.get("FAILURE_SEED", str(int(time.time()))))
FORMATS = ",".join(f for f in DEFAULT_FORMATS if f in BACKENDS)


def build_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "exporter", "build", str(SAMPLES / "briefing.toml"), "-f", FORMATS,
            "-o", str(out)]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def build(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(build_command(out), capture_output=True, text=True, env=env(), timeout=300)


def snapshot(out: Path) -> dict[str, bytes]:
    """The outputs by name; a folder (the email's hosted photos) as the empty bytes."""
    return {p.name: p.read_bytes() if p.is_file() else b"" for p in out.iterdir()
            if not p.name.startswith(".")}


def whole(path: Path, reference: bytes) -> bool:
    """The file is a complete output: the reference bytes, or one that parses to its end.
    A folder is whole when every file in it is."""
    if path.is_dir():
        return all(whole(p, b"") for p in path.rglob("*") if p.is_file())
    data = path.read_bytes()
    if data == reference:
        return True
    suffix = path.suffix.lower()
    if suffix == ".json":
        json.loads(data)
        return True
    if suffix == ".pdf":
        from pypdf import PdfReader

        return data.rstrip().endswith(b"%%EOF") and len(PdfReader(path, strict=False).pages) > 0
    if suffix == ".epub":
        with zipfile.ZipFile(path) as book:
            return book.testzip() is None and "mimetype" in book.namelist()
    if suffix in (".html", ".htm"):
        return data.rstrip().lower().endswith(b"</html>")
    if suffix in (".jpg", ".jpeg", ".png", ".gif", ".webp"):
        from PIL import Image

        with Image.open(path) as image:
            image.load()
        return True
    if suffix == ".eml":
        return data.rstrip().endswith(b"--") or b"Content-Type" in data
    return len(data) > 0


def debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def check_outputs(out: Path, reference: dict[str, bytes], context: str) -> None:
    for path in out.iterdir():
        if path.name.startswith("."):
            assert path.name.startswith(".exporter-") and path.is_dir(), f"{context}: stray {path.name}"
            continue
        assert path.name in reference, f"{context}: unexpected output {path.name}"
        assert whole(path, reference[path.name]), f"{context}: {path.name} is not whole"


def test_killed_builds_leave_only_whole_outputs_and_the_next_build_cleans_up(tmp_path):
    out = tmp_path / "out"
    started = time.perf_counter()
    first = build(out)
    duration = time.perf_counter() - started
    assert first.returncode == 0, first.stderr
    reference = snapshot(out)
    assert reference and not debris(out)
    rng = random.Random(SEED)
    interrupted = 0  # kills that left a staging folder: they landed mid-build
    for kill in range(KILLS):
        child = subprocess.Popen(build_command(out), env=env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.05, duration * 0.9))
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        check_outputs(out, reference, f"seed {SEED}, kill {kill}")
        interrupted += bool(debris(out))
    print(f"{KILLS} kills (seed {SEED}), {interrupted} left a staging folder behind")
    again = build(out)
    assert again.returncode == 0, again.stderr
    assert debris(out) == [], f"seed {SEED}: leftovers after a successful build"
    check_outputs(out, reference, "after the rebuild")
    assert set(p.name for p in out.iterdir()) == set(reference)


def test_killed_build_in_an_empty_folder_leaves_nothing_half_written(tmp_path):
    rng = random.Random(SEED + 1)
    for kill in range(3):
        out = tmp_path / f"out{kill}"
        child = subprocess.Popen(build_command(out), env=env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.1, 0.6))
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        visible = [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
        for name in visible:
            assert whole(out / name, b""), f"seed {SEED}: {name} is not whole"
        if out.exists():
            assert build(out).returncode == 0 and debris(out) == []


@pytest.mark.parametrize("round_", range(int(os.environ.get("FAILURE_ROUNDS", "1"))))
def test_two_builds_into_one_folder_at_once_leave_whole_outputs(tmp_path, round_):
    out = tmp_path / "out"
    assert build(out).returncode == 0
    reference = snapshot(out)
    children = [subprocess.Popen(build_command(out), env=env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(child.wait(timeout=300), child.stderr.read()) for child in children]
    for rc, stderr in results:
        assert rc == 0, stderr
    check_outputs(out, reference, "concurrent builds")
    assert debris(out) == []
    assert set(p.name for p in out.iterdir()) == set(reference)
