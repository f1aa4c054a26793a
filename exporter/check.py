"""`exporter check`: validate built outputs and report one line per finding.

Each output kind has its own checker module (check_epub, check_email, check_pdf); this one
finds the files, dispatches by suffix and formats findings. Exit status 1 means at least
one finding is an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "ok"]


@dataclass(frozen=True)
class Finding:
    """One thing a check found about one file; `ok` findings say what passed."""

    severity: Severity
    file: str
    message: str

    def line(self, limit: int = 300) -> str:
        message = " ".join(self.message.split())
        if len(message) > limit:  # EPUBCheck lists every allowed element; the start says enough
            message = message[:limit - 1] + "…"
        return f"{self.severity:7} {self.file}: {message}"


Checker = Callable[[Path], list[Finding]]


def _checkers() -> dict[str, Checker]:
    """Checkers by file ending; the longest matching ending wins (".web.html" over ".html")."""
    from .check_email import check_eml, check_html, check_web_page
    from .check_epub import check_epub
    from .check_pdf import check_pdf

    return {".epub": check_epub, ".html": check_html, ".htm": check_html, ".eml": check_eml,
            ".web.html": check_web_page, ".pdf": check_pdf, ".json": check_json,
            ".txt": check_text}


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


def summarise(path: Path, findings: list[Finding], passed: list[str]) -> list[Finding]:
    """The file's findings, or one `ok` line listing what passed when nothing was wrong."""
    if any(f.severity == "error" for f in findings):
        return findings
    return findings + [Finding("ok", str(path), "; ".join(passed) if passed else "valid")]


def check_json(path: Path) -> list[Finding]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding("error", str(path), f"not valid JSON: {exc}")]
    passed = ["valid JSON"]
    if isinstance(data, dict) and "sections" in data:
        articles = sum(len(s.get("articles", [])) for s in data["sections"])
        passed.append(f"{articles} article{'s' if articles != 1 else ''}")
    return summarise(path, [], passed)


def check_text(path: Path) -> list[Finding]:
    """The email's plain-text part as a file: UTF-8 and not empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [Finding("error", str(path), "not UTF-8 text")]
    if not text.strip():
        return [Finding("error", str(path), "is empty")]
    return summarise(path, [], [f"{len(text.splitlines())} lines of UTF-8 text"])
