"""The WeasyPrint speed-ups change nothing in the PDF it writes, and do what they are for."""

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


SUBSET_CODE = """
import re, sys
from exporter.backends.pdf.speedups import apply
if sys.argv[1] == "fast":
    apply()
import weasyprint
from weasyprint.text.ffi import ffi
for text in ("abc", "a quick brown fox", "jumps over the lazy dog 0123456789"):
    weasyprint.HTML(string=f"<p>{text}</p>").write_pdf()
print(sum(bool(re.fullmatch(r"hb_codepoint_t\\[\\d+\\]", key)) for key in ffi._parsed_types))
"""


@pytest.mark.parametrize("mode, parsed", [("slow", True), ("fast", False)])
def test_subset_arrays_parse_their_type_once(mode: str, parsed: bool) -> None:
    """Each new glyph count cost a pycparser run (~15 ms): with the speed-up none does
    (cffi's cache of parsed types, private but the thing measured, is read back)."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    count = int(subprocess.run([sys.executable, "-c", SUBSET_CODE, mode], capture_output=True,
                               env=env, check=True, text=True).stdout)
    assert (count > 0) is parsed
