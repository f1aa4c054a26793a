"""The pydyf speed-up changes nothing in the PDF WeasyPrint writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import weasyprint  # noqa: F401  (the speedups patch it)

ROOT = Path(__file__).resolve().parent.parent
CODE = """
import sys
if sys.argv[1] == "fast":
    from exporter.backends.pdf.speedups import apply
    apply()
import weasyprint
html = "<html lang=en><title>T</title><body>" + "".join(
    f"<h2 id=s{i}>Story {i}</h2><p>" + "word " * 400 + f"<a href=#s{(i + 1) % 12}>next</a></p>"
    for i in range(12)) + "</body></html>"
sys.stdout.buffer.write(weasyprint.HTML(string=html).write_pdf(
    pdf_variant="pdf/ua-1", pdf_identifier=b"fixed", pdf_tags=True))
"""


def test_same_bytes_with_and_without() -> None:
    env = {"PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "0", "PATH": "/usr/bin:/bin"}
    out = [subprocess.run([sys.executable, "-c", CODE, mode], capture_output=True, env=env,
                          check=True).stdout for mode in ("slow", "fast")]
    assert out[0] == out[1] and out[0].startswith(b"%PDF")
