"""DAISY Ace, the EPUB accessibility checker: run it on a book and read its report.

Ace (npm `@daisy/ace-cli`) opens every page of the book in a headless Chromium through
puppeteer and runs axe-core plus its own EPUB rules. `make test` installs it into
`.venv/ace` without puppeteer's own browser download, so the system Chromium is named in
PUPPETEER_EXECUTABLE_PATH. Where Ace or Chromium is missing the check is left out with a
warning saying why; every violation Ace reports becomes one finding.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...findings import Finding

ACE_TIMEOUT = 600  # seconds; a book takes 5-20 s, a busy machine and a huge book longer
# Ace's impacts; the serious ones keep a reader from the content, the rest make it harder.
SEVERITY_BY_IMPACT = {"critical": "error", "serious": "error", "moderate": "warning",
                      "minor": "warning"}


@dataclass(frozen=True)
class Violation:
    """One failed Ace assertion on one page of the book."""

    impact: str  # critical, serious, moderate or minor
    rule: str  # the axe or Ace rule id: "heading-order", "metadata-accessmode"
    title: str  # what the rule asks, in Ace's words
    page: str  # the book member ("EPUB/text/001-story.xhtml"), or the package
    markup: str  # the offending element as Ace quotes it, when it does

    def line(self) -> str:
        where = f"{self.page}: " if self.page else ""
        quoted = f" ({' '.join(self.markup.split())[:160]})" if self.markup else ""
        return f"Ace {self.impact}: {where}{self.rule}: {self.title}{quoted}"


def ace_command() -> Path | None:
    """Ace's command: $EXPORTER_ACE, the one `make test` installs beside Python, or PATH."""
    configured = os.environ.get("EXPORTER_ACE")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    local = Path(sys.prefix) / "ace" / "node_modules" / ".bin" / "ace-cli"
    if local.is_file():
        return local
    found = shutil.which("ace-cli") or shutil.which("ace")
    return Path(found) if found else None


def chromium_path() -> str | None:
    """The browser puppeteer drives: as configured, else the system's Chromium."""
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured and Path(configured).is_file():
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class AceError(Exception):
    """Ace could not check the book (missing, crashed, timed out, unreadable report)."""


def ace_report(book: Path) -> dict:
    """Ace's JSON report for one EPUB (`report.json` from `ace-cli -o`)."""
    command, browser = ace_command(), chromium_path()
    if command is None:
        raise AceError("DAISY Ace is not installed (npm @daisy/ace-cli; `make test` installs it)")
    if browser is None:
        raise AceError("no Chromium for DAISY Ace (install chromium)")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    with tempfile.TemporaryDirectory(prefix="exporter-ace-") as folder:
        try:
            run = subprocess.run([str(command), "--force", "--silent", "--outdir", folder,
                                  str(Path(book).resolve())],
                                 capture_output=True, timeout=ACE_TIMEOUT, env=env, cwd=folder)
        except subprocess.TimeoutExpired:
            raise AceError(f"DAISY Ace did not finish in {ACE_TIMEOUT} s")
        report = Path(folder) / "report.json"
        if not report.is_file():
            output = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()
            raise AceError(f"DAISY Ace failed: {(output or ['no output'])[-1]}")
        try:
            return json.loads(report.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AceError(f"DAISY Ace wrote an unreadable report: {exc}")


def violations(report: dict) -> list[Violation]:
    """Every failed assertion in an Ace report, of any impact."""
    found = []
    for page in report.get("assertions", []):
        subject = page.get("earl:testSubject", {}).get("url", "")
        for assertion in page.get("assertions", []):
            if assertion.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            found.append(Violation(test.get("earl:impact", "serious"), test.get("dct:title", ""),
                                   test.get("dct:description", ""), subject,
                                   assertion.get("earl:result", {}).get("html", "")))
    return found


def check_ace(book: Path) -> tuple[list[Finding], list[str]]:
    """Ace's violations as findings (serious and critical ones are errors)."""
    try:
        report = ace_report(book)
    except AceError as exc:
        return [Finding("warning", str(book), f"accessibility not checked: {exc}")], []
    found = violations(report)
    version = report.get("earl:assertedBy", {}).get("doap:release", {}).get("doap:revision", "")
    return ([Finding(SEVERITY_BY_IMPACT.get(v.impact, "error"), str(book), v.line()) for v in found],
            [] if found else [f"DAISY Ace {version}".strip() + ": no violations"])
