"""Helpers every source needs: decoding bytes to text, and the article's origin record."""

from __future__ import annotations

import re

from ..errors import SourceError
from ..model import SourceRef
from . import Origin

_BOMS = (("\ufeff", "utf-8-sig"),)


def decode(data: bytes, origin: Origin) -> str:
    """Text from bytes: UTF-8 when it is, else the detected encoding; binary is refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode(_guess_encoding(data, origin), errors="replace")
    if _looks_binary(text):
        raise SourceError(origin.location, "not text (binary data or unknown encoding)")
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _guess_encoding(data: bytes, origin: Origin) -> str:
    """The detected encoding; Windows-1252 when it reads as well as the best guess.

    Short Western European texts read equally well as several Latin code pages and the
    detector may pick Baltic or Central European ones ("crème" as "crčme"); 1252 is
    what browsers assume for unlabelled Western text, so it wins a near tie.
    """
    import charset_normalizer  # only for a source that is not UTF-8

    matches = charset_normalizer.from_bytes(data[:200_000])
    best = matches.best()
    if best is None or best.encoding is None:
        raise SourceError(origin.location, "not text (binary data or unknown encoding)")
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + 0.1:
        return "cp1252"
    return best.encoding


_ODD = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]")


_PIXELS = re.compile(r"\s*([0-9]{1,7})\s*(?:px)?\s*")  # ASCII digits: "²".isdigit() is True


def pixels(value: object) -> int | None:
    """A size attribute ("600", "600px") as a whole number of pixels, else None."""
    match = _PIXELS.fullmatch(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def _looks_binary(text: str) -> bool:
    """Control characters or undecodable bytes in more than 2 % of the start."""
    sample = text[:20_000]
    return bool(sample) and len(_ODD.findall(sample)) / len(sample) > 0.02


def source_ref(kind: str, origin: Origin) -> SourceRef:
    return SourceRef(kind=kind, location=origin.location)
