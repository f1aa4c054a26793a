"""Builds killed at random moments, or run twice at once, leave only whole outputs.

A SIGKILL lands once the build has started its staging folder, at a random moment of the
rest: while rendering, writing the staging folder or publishing. Afterwards each output
is absent or a complete earlier one; the only debris allowed is the hidden staging
folder, which the next successful build removes. The moments come from a fixed seed
(FAILURE_SEED to try others), so a failure can be repeated.
"""

from __future__ import annotations

import email
import email.policy
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
from exporter.backends import DEFAULT_FORMATS

KILLS = int(os.environ.get("FAILURE_KILLS", "8"))  # `make fuzz` raises it
SEED = int(os.environ.get("FAILURE_SEED", "20"))
FORMATS = ",".join(DEFAULT_FORMATS)


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
        return _whole_message(data)
    return len(data) > 0


def _whole_message(data: bytes) -> bool:
    """A MIME message is whole when its outermost closing boundary ends it."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not message.is_multipart():
        return b"\r\n\r\n" in data or b"\n\n" in data
    return data.rstrip().endswith(f"--{message.get_boundary()}--".encode())


def debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".")) if out.exists() else []


def start_and_kill_mid_build(out: Path, rng: random.Random, within: float) -> bool:
    """Start a build, wait for its staging folder, kill it `within` seconds later at a
    random moment; True if it was still running then (the kill landed mid-build)."""
    child = subprocess.Popen(build_command(out), env=env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    while child.poll() is None and not debris(out):
        time.sleep(0.01)
    time.sleep(rng.uniform(0, within))
    running = child.poll() is None
    try:
        os.killpg(child.pid, signal.SIGKILL)  # the build and every worker it started
    except ProcessLookupError:  # all of them finished already
        pass
    child.wait(timeout=30)
    return running


def check_outputs(out: Path, reference: dict[str, bytes], context: str) -> None:
    for path in out.iterdir():
        if path.name.startswith("."):
            assert path.name.startswith(".exporter-") and path.is_dir(), f"{context}: stray {path.name}"
            continue
        assert path.name in reference, f"{context}: unexpected output {path.name}"
        assert whole(path, reference[path.name]), f"{context}: {path.name} is not whole"


def test_a_cut_message_is_not_taken_as_whole(tmp_path):
    """The check below must tell a cut .eml from a whole one."""
    out = tmp_path / "out"
    assert subprocess.run([*build_command(out)[:-4], "-f", "email", "-o", str(out)], env=env(),
                          capture_output=True, timeout=300).returncode == 0
    message = out / "briefing.eml"
    data = message.read_bytes()
    assert whole(message, b"")
    for cut in (0.3, 0.9, 0.999):
        message.write_bytes(data[:int(len(data) * cut)])
        assert not whole(message, b""), f"cut at {cut:.0%} taken as whole"


def test_killed_builds_leave_only_whole_outputs_and_the_next_build_cleans_up(tmp_path):
    out = tmp_path / "out"
    # The build timed below is as warm as the ones killed (per-article render caches make
    # a warm build much shorter than a cold one: timed cold, most kills would land late).
    assert build(tmp_path / "warm-up").returncode == 0
    first = subprocess.Popen(build_command(out), env=env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    while first.poll() is None and not debris(out):
        time.sleep(0.01)
    staged = time.perf_counter()
    assert first.wait(timeout=300) == 0, first.stderr.read()
    staged = time.perf_counter() - staged  # how long a build spends after staging starts
    reference = snapshot(out)
    assert reference and not debris(out)
    rng = random.Random(SEED)
    mid_build, window = 0, staged
    for kill in range(3 * KILLS):
        if start_and_kill_mid_build(out, rng, window):
            mid_build += 1
        else:  # the build was done by then (the machine got quieter): aim earlier
            window /= 2
        check_outputs(out, reference, f"seed {SEED}, kill {kill}")
        if mid_build == KILLS:
            break
    # Kills fall in the span a build spends staging and publishing: most of them must
    # land while it runs, or this test checked nothing.
    assert mid_build >= KILLS // 2, f"seed {SEED}: only {mid_build} kills landed mid-build"
    again = build(out)
    assert again.returncode == 0, again.stderr
    assert debris(out) == [], f"seed {SEED}: leftovers after a successful build"
    check_outputs(out, reference, "after the rebuild")
    assert set(p.name for p in out.iterdir()) == set(reference)


def test_killed_build_in_an_empty_folder_leaves_nothing_half_written(tmp_path):
    rng = random.Random(SEED + 1)
    for kill in range(3):
        out = tmp_path / f"out{kill}"
        assert start_and_kill_mid_build(out, rng, 1.0), f"seed {SEED}: the build ended before the kill"
        for name in [p.name for p in out.iterdir() if not p.name.startswith(".")]:
            assert whole(out / name, b""), f"seed {SEED}: {name} is not whole"
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
