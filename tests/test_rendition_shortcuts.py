"""Rendition shortcuts: an original already fit to use is kept (minus metadata); a big
downscale decodes a JPEG at reduced scale. Both must give what re-encoding would."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from exporter.assets import Assets


def jpeg(tmp_path: Path, name: str, *, mode: str = "RGB", size=(800, 600), **save) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, **save)
    return buffer.getvalue()


@pytest.fixture
def assets(tmp_path: Path) -> Assets:
    return Assets(cache_dir=tmp_path / "cache")


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 12.0)}
    return exif.tobytes()


def test_fitting_baseline_jpeg_is_kept_without_metadata(assets: Assets, tmp_path: Path) -> None:
    data = jpeg(tmp_path, "a", exif=gps_exif(), comment=b"secret")
    asset = assets._decode(data, "a.jpg")
    out = assets.rendition(asset, max_width=800).path.read_bytes()
    assert b"CameraMaker" not in out and b"secret" not in out
    with Image.open(io.BytesIO(out)) as kept, Image.open(io.BytesIO(data)) as original:
        assert kept.size == (800, 600) and not kept.getexif()
        assert kept.tobytes() == original.tobytes()  # the same pixels: not re-encoded


@pytest.mark.parametrize("kind", ["progressive", "cmyk", "turned"])
def test_other_jpegs_are_re_encoded(assets: Assets, tmp_path: Path, kind: str) -> None:
    if kind == "progressive":
        data = jpeg(tmp_path, kind, progressive=True)
    elif kind == "cmyk":
        data = jpeg(tmp_path, kind, mode="CMYK")
    else:
        exif = Image.Exif()
        exif[0x0112] = 6
        data = jpeg(tmp_path, kind, exif=exif.tobytes())
    asset = assets._decode(data, f"{kind}.jpg")
    rendition = assets.rendition(asset, max_width=2000)
    with Image.open(rendition.path) as out:
        assert out.mode == "RGB" and not out.info.get("progressive")
        assert out.size == (rendition.width, rendition.height)
        assert out.size == ((600, 800) if kind == "turned" else (800, 600))


def test_big_downscale_has_the_exact_size(assets: Assets, tmp_path: Path) -> None:
    asset = assets._decode(jpeg(tmp_path, "big", size=(1600, 1067)), "big.jpg")
    rendition = assets.rendition(asset, max_width=300)
    with Image.open(rendition.path) as out:
        assert out.size == (300, 200) == (rendition.width, rendition.height)


def test_cut_jpeg_fails_even_after_weasyprint_is_imported(assets: Assets, tmp_path: Path) -> None:
    from PIL import ImageFile

    from exporter.errors import ExporterError

    data = jpeg(tmp_path, "cut", size=(1600, 1067))[:3000]
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, True  # as WeasyPrint
    try:
        with pytest.raises(ExporterError, match="not a readable image"):
            assets._decode(data, "cut.jpg")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
