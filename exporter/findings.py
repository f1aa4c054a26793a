"""What a check says about one output file; shared by every format's checker and `exporter check`."""

from __future__ import annotations

from collections.abc import Callable
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


def summarise(path: Path, findings: list[Finding], passed: list[str]) -> list[Finding]:
    """The file's findings, or one `ok` line listing what passed when nothing was wrong."""
    if any(f.severity == "error" for f in findings):
        return findings
    return findings + [Finding("ok", str(path), "; ".join(passed) if passed else "valid")]
