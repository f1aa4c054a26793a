"""Backends build concurrently, and a failure in any one publishes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exporter.backends import BACKENDS
from exporter.build import build
from exporter.errors import BuildError
from exporter.manifest import project_from_sources

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = Path(__file__).parent / "fixtures" / "markdown" / "figures-and-quote.md"


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("fake_a", "fake_b", "fake_c"):
        monkeypatch.setitem(BACKENDS, name, "fake_backend")
    return ["fake_a", "fake_b", "fake_c"]


def overrides(delay: float, witness: Path | None = None) -> dict[str, dict]:
    return {name: {"suffix": name, "delay": delay, "witness": str(witness or "")}
            for name in ("fake_a", "fake_b", "fake_c")}


def test_backends_run_concurrently(fakes: list[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTER_JOBS", "3")
    project = project_from_sources([str(ARTICLE)])
    outputs, _ = build(project, fakes, tmp_path / "out", overrides=overrides(0.6, tmp_path))
    spans = [[float(t) for t in (tmp_path / f"{n}.times").read_text().split()] for n in fakes]
    assert max(start for start, _ in spans) < min(end for _, end in spans), "not concurrent"
    assert [o.format for o in outputs] == fakes
    pids = {(tmp_path / "out" / f"figures-and-quote.{n}").read_text().split("pid ")[1] for n in fakes}
    assert len(pids) == 3 and str(os.getpid()) + "\n" not in pids
    assert all(o.warnings == [f"{o.format} done"] and o.seconds >= 0.6 for o in outputs)


@pytest.mark.parametrize("failure, message", [
    ("build", "fake template.html:3: no such variable 'x'"),
    ("crash", "fake_b: internal error: ZeroDivisionError: boom"),
])
def test_one_failure_publishes_nothing(fakes: list[str], tmp_path: Path, failure: str,
                                       message: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures-and-quote.fake_a").write_text("previous build\n")
    project = project_from_sources([str(ARTICLE)])
    witness = tmp_path / "witness"
    witness.mkdir()
    with pytest.raises(BuildError) as info:
        build(project, fakes, out, overrides={**overrides(30.0, witness), "fake_b": {"suffix": "fake_b",
                                                                                  "fail": failure}})
    assert str(info.value) == message
    for pid_file in witness.glob("*.pid"):  # started, then stopped: no 30 s wait
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)
    assert sorted(p.name for p in out.iterdir()) == ["figures-and-quote.fake_a"]
    assert (out / "figures-and-quote.fake_a").read_text() == "previous build\n"


def test_sequential_when_asked(fakes: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTER_JOBS", "1")
    project = project_from_sources([str(ARTICLE)])
    build(project, fakes[:2], tmp_path / "out", overrides=overrides(0.0))
    text = (tmp_path / "out" / "figures-and-quote.fake_a").read_text()
    assert text.endswith(f"pid {os.getpid()}\n")


def test_epub_only_build_does_not_import_pdf_libraries(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from exporter.manifest import project_from_sources; "
            "from exporter.build import build; "
            f"build(project_from_sources([{str(ARTICLE)!r}]), ['epub'], Path({str(tmp_path / 'out')!r})); "
            "print(sorted(m for m in ('weasyprint', 'pypdf', 'pydyf', 'mjml') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), EXPORTER_JOBS="2")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def _spinners(count: int, *, ours: bool) -> list[int]:
    """Processes spinning a CPU each: children of this process, or (`ours` False) left
    to the system by a shell that exits, as another program's would be."""
    spin = f"{sys.executable} -c 'while True: pass'"
    if ours:
        return [subprocess.Popen(["sh", "-c", f"exec {spin}"]).pid for _ in range(count)]
    started = subprocess.run(["sh", "-c", f"for i in $(seq {count}); do {spin} >/dev/null 2>&1 </dev/null & echo $!; done"],
                             capture_output=True, text=True, check=True)
    return [int(pid) for pid in started.stdout.split()]


def _stop(pids: list[int]) -> None:
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # not ours to reap
            pass


def test_busy_while_other_programs_keep_every_cpu_busy() -> None:
    """busy() samples what the CPUs do now: half a second after every CPU got another
    program spinning it answers yes (the load average would take most of a minute to say
    so, and as long to forget a build that has ended)."""
    from exporter.parallel import busy

    spinners = _spinners(os.cpu_count() or 1, ours=False)
    try:
        time.sleep(0.5)
        assert busy()
    finally:
        _stop(spinners)


def test_the_builds_own_processes_are_not_load() -> None:
    """The email and the EPUB built beside the PDF are this build's processes: they end
    with it, so the PDF does not fall back to one process because of them."""
    from exporter.parallel import busy

    spinners = _spinners(2 * (os.cpu_count() or 1), ours=True)
    try:
        time.sleep(0.5)
        assert not busy()
    finally:
        _stop(spinners)


def test_the_command_starts_a_backend_loading_before_the_sources_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lone PDF built from the command line loads WeasyPrint in its own process while
    the sources are read: reading here waits until that loading has begun, which it
    could never do if the backend were started only after the sources."""
    import importlib

    import exporter.cli

    steps = importlib.import_module("exporter.build")  # `exporter.build` is the function
    loading, read = tmp_path / "loading", tmp_path / "read"
    preload, project = steps._preload, exporter.cli._project

    def marked_preload(name: str) -> None:
        loading.write_text(name)
        preload(name)

    def waiting_project(args: object) -> object:
        deadline = time.monotonic() + 30
        while not loading.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        read.write_text(loading.read_text() if loading.exists() else "")
        return project(args)

    monkeypatch.setattr(steps, "_preload", marked_preload)
    monkeypatch.setattr(exporter.cli, "_project", waiting_project)
    code = exporter.cli.main(["build", str(ARTICLE), "-f", "pdf", "-o", str(tmp_path / "out"),
                              "--quiet"])
    assert code == 0 and (tmp_path / "out" / "figures-and-quote.pdf").exists()
    assert read.read_text() == "pdf"
