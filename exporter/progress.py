"""What a person sees while an issue builds: a rich progress bar, then a summary table.

Both appear only on a terminal. Piped or with --quiet, the build prints the plain
one-line-per-file output that scripts read.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

STEP_LABELS = {"sources": "Reading sources", "images": "Loading images", "email": "Email",
               "pdf": "PDF", "epub": "EPUB", "json": "JSON"}


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


class BuildProgress:
    """A progress bar over the build's steps: sources, images, then each format.

    Call the instance with a step name when that step starts; build.build() does so for
    "images" and each format. Disabled, it does nothing, so callers need no checks.
    """

    def __init__(self, formats: Sequence[str], *, enabled: bool) -> None:
        self.formats = list(formats)
        self.steps = ["sources", "images", *formats]
        self._begun: list[str] = []
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._done = 0

    def __enter__(self) -> BuildProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description:<24}"),
                                      BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                      TimeElapsedColumn(), console=Console(stderr=True),
                                      transient=True)
            self._progress.start()
            self._task = self._progress.add_task("Starting", total=len(self.steps))
        return self

    def __call__(self, step: str) -> None:
        if self._progress is None:
            return
        if step in self.steps:
            self._done = max(self._done, self.steps.index(step))
        description = STEP_LABELS.get(step, step)
        if step in self.formats:  # formats may build concurrently: name all begun so far
            self._begun.append(STEP_LABELS.get(step, step))
            description = "Building " + ", ".join(self._begun)
        self._progress.update(self._task, completed=self._done, description=description)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=len(self.steps))
            self._progress.stop()


def human_size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 2**20 else f"{n / 2**20:.1f} MB"


def plain_lines(outputs: Sequence[Any]) -> list[str]:
    """One line per file: 'pdf    out/issue.pdf  1.2 MB  0.84 s' (what scripts parse)."""
    return [f"{output.format:6} {path}  {human_size(path.stat().st_size)}  {output.seconds:.2f} s"
            for output in outputs for path in output.files if path.is_file()]


def _shown(path: Path) -> str:
    """A path as short as it can be: relative to the working folder when inside it."""
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    return shown + "/" if path.is_dir() else shown


def _size(path: Path) -> int:
    """A file's size, or a folder's (the email's images) in total."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def print_summary(outputs: Sequence[Any], *, table: bool, stream: TextIO | None = None) -> None:
    """The build's outputs as a table (terminal) or plain lines; `outputs` are build.Output."""
    stream = stream or sys.stdout
    if not table:
        for line in plain_lines(outputs):
            print(line, file=stream)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    summary = Table(title="Built", title_justify="left", show_lines=False)
    summary.add_column("format")
    summary.add_column("file", overflow="fold")
    summary.add_column("size", justify="right")
    summary.add_column("time", justify="right")
    summary.add_column("warnings", overflow="fold")
    for output in outputs:
        files = [p for p in output.files if p.exists()] or [Path("-")]
        for i, path in enumerate(files):
            size = human_size(_size(path)) if path.exists() else ""
            if i:  # the format, time and warnings once per output
                summary.add_row("", _shown(path), size, "", "")
                continue
            warnings = "\n".join(escape(w) for w in output.warnings)
            summary.add_row(output.format, _shown(path), size, f"{output.seconds:.2f} s",
                            f"[yellow]{warnings}[/]" if warnings else "[green]none[/]")
    Console(file=stream).print(summary)
