"""`exporter check`: validate built outputs and report one line per finding.

Each format's package has its own checkers (`backends/<format>/check.py`, naming the file
endings it checks in `CHECKS`); this module finds the files, dispatches by ending and
collects findings. Exit status 1 means at least one finding is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

from .backends import BACKENDS, part
from .findings import Checker, Finding


@functools.cache
def _checkers() -> dict[str, Checker]:
    """Checkers by file ending; the longest matching ending wins (".web.html" over ".html")."""
    checkers: dict[str, Checker] = {}
    for name in BACKENDS:
        module = part(name, "check")
        if module is not None:
            checkers.update(module.CHECKS)
    return checkers


def _checker(path: Path) -> Checker | None:
    name = path.name.lower()
    endings = sorted((e for e in _checkers() if name.endswith(e)), key=len, reverse=True)
    return _checkers()[endings[0]] if endings else None


def checkable(path: Path) -> bool:
    return _checker(path) is not None


def output_files(paths: Iterable[Path]) -> list[Path]:
    """The files to check: files as given, folders expanded to the outputs inside them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and checkable(p))
            files += found or [path]  # an empty folder is reported, not passed over
        else:
            files.append(path)
    return files


def check_paths(paths: Iterable[Path]) -> list[Finding]:
    """Check every output named (folders expanded); unknown kinds are warnings."""
    findings: list[Finding] = []
    for path in output_files(paths):
        if path.is_dir():
            endings = ", ".join(sorted(_checkers()))
            findings.append(Finding("error", str(path), f"nothing to check: no {endings} files"))
            continue
        if not path.is_file():
            findings.append(Finding("error", str(path), "no such file"))
            continue
        checker = _checker(path)
        if checker is None:
            findings.append(Finding("warning", str(path),
                                    f"not checked: no checker for '{path.suffix or path.name}' files"))
            continue
        try:
            findings += checker(path)
        except Exception as exc:  # a file hostile enough to break a parser is still one line
            findings.append(Finding("error", str(path), f"could not be read: {type(exc).__name__}: {exc}"))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
