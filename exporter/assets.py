"""The asset step: each image is loaded once, checked, and resized on demand per backend.

Sources only record where an image is. Here every image of an issue is read once (local
files only from the folders the user gave us; URLs through the one safe fetcher), decoded
fully with a pixel limit, and remembered by content hash. Backends then ask for a
rendition (size, format, greyscale); renditions are cached on disk by content hash and
parameters, so a rebuild or another backend never resizes the same image twice.

Formats built at once run in separate processes and ask for their renditions at the
same time: a box a little narrower than a standard width gets that width (the PDF's
1,181 px and the email's 1,200 px are one file), and a process making a rendition holds
a lock on it, so that the others take the file instead of making it again.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .atomic import write_bytes
from .cache import cache_root, file_key, remembered, stored
from .cache import key as cache_key
from .errors import ExporterError
from .locations import is_url, resolved
from .model import Article, Image, Issue

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_IMAGE_BYTES = 40 * 2**20
MAX_IMAGE_PIXELS = 60_000_000  # ~ a 9,500 px square: beyond any real news photo
READABLE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP", "MPO"}
# Widths a rendition box is rounded up to when it is at most SHARED_MARGIN narrower:
# up to 5 % more pixels cannot be seen, and formats asking for nearly the same size share a file.
SHARED_WIDTHS = (320, 480, 640, 800, 960, 1200, 1600, 2000, 2400)
SHARED_MARGIN = 1.05


@dataclass(frozen=True)
class Asset:
    """One decoded, checked image; `path` holds its original bytes."""

    key: str  # sha256 of the bytes
    path: Path
    width: int
    height: int
    format: str  # Pillow's name: JPEG, PNG, ...


@dataclass(frozen=True)
class Rendition:
    """An image prepared for one backend: a file of known size and type."""

    path: Path
    width: int
    height: int
    media_type: str  # image/jpeg or image/png


@dataclass
class Assets:
    """The images of one issue, found by the article and `src` that name them.

    Picklable plain data, so backends in worker processes can ask for renditions.
    """

    cache_dir: Path = field(default_factory=cache_root)
    allow_private: bool = False
    offline: bool = False
    by_src: dict[tuple[str, str], Asset] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: dict[str, tuple[str, int, int, str]] = field(default_factory=dict, repr=False)
    # Each local image's file and identity as first looked up: `checked` and `load_issue`
    # ask for every photo of a build, and each answer costs system calls and a hash.
    looked: dict[tuple, tuple[Path, os.stat_result, str]] = field(
        default_factory=dict, repr=False, compare=False)

    def load_issue(self, issue: Issue, base_dirs: dict[str, Path | None],
                   extra_roots: Iterable[Path] = ()) -> None:
        """Load every image of every article once; a bad image is a warning, not a failure.

        `base_dirs` maps an article id to the folder its relative images resolve against;
        images may be read only inside that folder or `extra_roots` (the manifest's).
        """
        by_key: dict[str, Asset] = {}
        roots = [resolved(p) for p in extra_roots]
        for article in issue.articles():
            base = base_dirs.get(article.id)
            allowed = [resolved(base), *roots] if base is not None else roots
            for image in _images(article):
                if (article.id, image.src) in self.by_src:
                    continue
                try:
                    asset = self._load(image.src, base, allowed, by_key)
                except ExporterError as exc:
                    self.warnings.append(f"{article.source.location}: image {image.src}: {exc.message}")
                    continue
                by_key[asset.key] = asset
                self.by_src[(article.id, image.src)] = asset
        self.looked.clear()  # this build's, not sent to the formats' processes

    def checked(self, article: Article, base: Path | None, extra_roots: Iterable[Path] = ()) -> bool:
        """Whether every local image of the article is checked already (remembered by
        content), so that `load_issue` will not decode it; a remote one counts as not
        checked, since reading it means fetching it."""
        allowed = [resolved(p) for p in ([base] if base is not None else []) + list(extra_roots)]
        for image in _images(article):
            try:
                if is_url(image.src):
                    return False
                _, _, identity = self._local(image.src, base, allowed)
            except ExporterError:  # reported by load_issue
                continue
            if not stored("image-files", identity, folder=self.cache_dir):
                return False
        return True

    def get(self, article: Article, image: Image | None) -> Asset | None:
        return self.by_src.get((article.id, image.src)) if image else None

    def add_file(self, path: Path) -> Asset:
        """An image the user named directly (a cover), read without root checks."""
        try:
            info = path.stat()
        except OSError as exc:
            raise ExporterError(path, f"cannot read image: {exc.strerror}")

        def read() -> bytes:
            try:
                return path.read_bytes()
            except OSError as exc:
                raise ExporterError(path, f"cannot read image: {exc.strerror}")

        return self._file(path, info, read)

    def rendition(self, asset: Asset, *, max_width: int, max_height: int | None = None,
                  fmt: str = "JPEG", quality: int = 82, grayscale: bool = False,
                  keep_jpeg: bool = True) -> Rendition:
        """The asset fitted inside the box (never enlarged), as baseline JPEG or PNG.

        A baseline JPEG that needs no resizing is kept as it is (no second loss) unless
        `keep_jpeg` is false: then `quality` applies to it too.
        """
        made = self._made(asset, wait=True, max_width=max_width, max_height=max_height, fmt=fmt,
                          quality=quality, grayscale=grayscale, keep_jpeg=keep_jpeg)
        assert made is not None  # waiting, the lock is had in the end
        return made

    def _made(self, asset: Asset, *, wait: bool, max_width: int, max_height: int | None = None,
              fmt: str = "JPEG", quality: int = 82, grayscale: bool = False,
              keep_jpeg: bool = True) -> Rendition | None:
        """The rendition, made unless it is; None if another process is making it and
        `wait` is false."""
        planned = self._plan(asset, max_width=max_width, max_height=max_height, fmt=fmt,
                             quality=quality, grayscale=grayscale, keep_jpeg=keep_jpeg)
        if planned.path.exists():
            return planned
        with _claim(planned.path, wait=wait) as mine:
            if not mine:
                return None
            if not planned.path.exists():  # made by the process that held the lock before
                data = asset.path.read_bytes()
                as_is = (keep_jpeg and fmt.upper() == "JPEG"
                         and (planned.width, planned.height) == (asset.width, asset.height))
                ready = _jpeg_as_is(data, grayscale) if as_is else None
                write_bytes(planned.path, ready if ready is not None else _encode(
                    data, planned.width, planned.height, fmt.upper(), quality, grayscale))
        return planned

    def _plan(self, asset: Asset, *, max_width: int, max_height: int | None = None,
              fmt: str = "JPEG", quality: int = 82, grayscale: bool = False,
              keep_jpeg: bool = True) -> Rendition:
        """Where a rendition goes and its size (different requests may give the same file)."""
        max_width = next((w for w in SHARED_WIDTHS if max_width <= w <= max_width * SHARED_MARGIN),
                         max_width)
        scale = min(1.0, max_width / asset.width,
                    (max_height / asset.height) if max_height else 1.0)
        width, height = max(1, round(asset.width * scale)), max(1, round(asset.height * scale))
        ext, media_type = ("png", "image/png") if fmt.upper() == "PNG" else ("jpg", "image/jpeg")
        name = (f"{asset.key[:40]}-{width}x{height}-q{quality}{'-g' if grayscale else ''}"
                f"{'' if keep_jpeg else '-e'}.{ext}")
        return Rendition(self.cache_dir / "renditions" / name, width, height, media_type)

    def prepare_renditions(self, requests: list[tuple[Asset, dict]]) -> None:
        """Make many renditions at once, in threads (Pillow decodes, resizes and encodes
        outside the GIL); later `rendition` calls with the same arguments find them made.
        Requests are merged by the file they make, so no two threads make the same one."""
        unique = list({self._plan(a, **k).path: (a, k) for a, k in requests}.values())
        if len(unique) < 2:
            return
        from concurrent.futures import ThreadPoolExecutor

        from .parallel import max_workers

        with _blocks_kept(), ThreadPoolExecutor(max_workers()) as pool:
            # first what no other process is making; then, waiting, what one was
            for wait in (False, True):
                futures = [(a, k, pool.submit(self._made, a, wait=wait, **k)) for a, k in unique]
                unique = []
                for asset, options, future in futures:
                    try:
                        if future.result() is None:
                            unique.append((asset, options))
                    except ExporterError:  # the backend's own call reports it
                        pass

    def _load(self, src: str, base: Path | None, allowed: list[Path],
              by_key: dict[str, Asset]) -> Asset:
        """The image `src` names, checked; a local file unchanged since a build that
        checked it is neither read nor hashed again."""
        if is_url(src):
            data = self._fetch(src)
            digest = hashlib.sha256(data).hexdigest()
            return by_key.get(digest) or self._decode(data, src, digest)
        path, info, identity = self._local(src, base, allowed)

        def read() -> bytes:
            try:
                return path.read_bytes()
            except OSError as exc:  # a file that went away...
                raise ExporterError(src, f"cannot read the image ({exc.strerror})") from None

        asset = self._file(path, info, read, identity)
        return by_key.get(asset.key) or asset

    def _fetch(self, src: str) -> bytes:
        if self.offline:
            raise ExporterError(src, "not fetched (offline)")
        try:
            from .fetch import fetch  # the network only when an image is remote
        except ImportError as exc:
            raise ExporterError(src, f"remote images cannot be fetched here ({exc})")
        return fetch(src, allow_private=self.allow_private, max_bytes=MAX_IMAGE_BYTES).content

    def _local(self, src: str, base: Path | None,
               allowed: list[Path]) -> tuple[Path, os.stat_result, str]:
        """The file a relative `src` names, if it may be read (see `_look`), with its
        identity; looked up once per build."""
        question = (src, base, tuple(allowed))
        found = self.looked.get(question)
        if found is None:
            path, info = self._look(src, base, allowed)
            found = self.looked[question] = (path, info, _identity(path, info))
        return found

    def _look(self, src: str, base: Path | None,
              allowed: list[Path]) -> tuple[Path, os.stat_result]:
        """The file a relative `src` names, if it may be read: inside one of the `allowed`
        folders (resolved: the source's own and the roots), a regular file, not too large."""
        if src.startswith(("data:", "file:", "//")) or ":" in src.split("/")[0]:
            raise ExporterError(src, "only http(s) URLs and relative paths are read")
        if base is None:
            raise ExporterError(src, "a relative image path needs a local source")
        path = resolved(os.path.join(base, src))
        if not any(_inside(path, root) for root in allowed):
            raise ExporterError(src, "outside the source's folder: not read")
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ExporterError(src, "no such image file") from None
        except OSError as exc:  # a name too long...
            raise ExporterError(src, f"cannot read the image ({exc.strerror})") from None
        if not stat.S_ISREG(info.st_mode):
            raise ExporterError(src, "no such image file")
        if info.st_size > MAX_IMAGE_BYTES:
            raise ExporterError(src, f"larger than {MAX_IMAGE_BYTES // 2**20} MB")
        return path, info

    def _file(self, path: Path, info: os.stat_result, read: Callable[[], bytes],
              identity: str | None = None) -> Asset:
        """The checked image in a local file, remembered by the file's identity and change
        times: a file is rewritten in place only with a new ctime, which no tool can set
        back, so an unchanged photo is neither read, hashed nor checked again."""
        def facts() -> tuple[str, int, int, str]:
            asset = self._decode(read(), str(path))
            return asset.key, asset.width, asset.height, asset.format

        identity = identity or _identity(path, info)
        if identity not in self.files:
            self.files[identity] = remembered("image-files", identity, facts, folder=self.cache_dir)
        digest, width, height, fmt = self.files[identity]
        original = self.cache_dir / "originals" / digest
        if not original.exists():  # removed from the cache since
            write_bytes(original, read())
        return Asset(digest, original, width, height, fmt)

    def _decode(self, data: bytes, origin: str, key: str | None = None) -> Asset:
        """The checked image; `key` is the bytes' SHA-256 when the caller has it already."""
        if not data:
            raise ExporterError(origin, "empty image file")
        key = key or hashlib.sha256(data).hexdigest()
        # A full decode checks the image; its outcome depends only on the bytes, so a
        # rebuild remembers it instead of decoding every photo again.
        width, height, fmt = remembered("image-checks", _check_key(key), lambda: _check(data, origin),
                                         folder=self.cache_dir)
        path = self.cache_dir / "originals" / key
        if not path.exists():
            write_bytes(path, data)
        return Asset(key, path, width, height, fmt)


def _inside(path: Path, folder: Path) -> bool:
    """`path.is_relative_to(folder)` for resolved paths, compared as text: it is asked for
    every photo of each build, and pathlib's own answer costs a new path object."""
    text, top = os.fspath(path), os.fspath(folder)
    return text == top or text.startswith(os.path.join(top, ""))


def _identity(path: Path, info: os.stat_result) -> str:
    """A key for one version of a file: its path, inode, size and change times."""
    return file_key(path, info)


def pillow() -> ModuleType:
    """PIL.Image with our pixel limit, imported at first use: a rebuild that finds every
    image checked and resized already does not load Pillow at all."""
    from PIL import Image as PILImage

    PILImage.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    return PILImage


BLOCKS_KEPT = 8  # Pillow memory blocks (16 MB at most each) kept for reuse while resizing


@contextmanager
def _blocks_kept() -> Iterator[None]:
    """Pillow keeps the memory blocks of freed images for the next ones, then gives them
    back. By default each photo's pixels are mapped from the system and unmapped again:
    a fifth of the CPU time of resizing 100 photos in two threads was the kernel's."""
    core = pillow().core
    before = core.get_blocks_max()  # PILLOW_BLOCKS_MAX, if the user set it
    core.set_blocks_max(max(before, BLOCKS_KEPT))
    try:
        yield
    finally:
        core.set_blocks_max(before)
        core.clear_cache(before)


@contextmanager
def _claim(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Whether this process holds the lock on making `path` (waiting for it, or not).

    An exclusive flock on `path.lock`: formats built at once, in separate processes, so
    make a shared rendition once. The kernel drops the lock of a process that dies, so a
    killed build never blocks the next. The lock file is removed by the process that
    made the file; one opened before that is harmless, as the file is looked for again.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): each process makes its own, atomically
        yield True
        return
    lock = path.with_name(path.name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError:  # a cache folder we cannot write to: making the file will say so
        yield True
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError:  # a file system without locks (some network ones): made unlocked
            pass
        yield True
        if path.exists():
            lock.unlink(missing_ok=True)
    finally:
        os.close(handle)


def _check_key(digest: str) -> str:
    """The check cache's key for an image whose bytes have this SHA-256."""
    return cache_key(digest)


def _encode(data: bytes, width: int, height: int, fmt: str, quality: int, grayscale: bool) -> bytes:
    """Decode, make upright, resize and encode one rendition."""
    PILImage = pillow()
    image = _open(data, draft=(width, height))
    image = _normalise(image, keep_alpha=fmt == "PNG", grayscale=grayscale)
    if (width, height) != image.size:
        # Bicubic (antialiased, like every Pillow filter when shrinking): for the gentle
        # downscales renditions are, indistinguishable from Lanczos and a third faster.
        image = image.resize((width, height), PILImage.Resampling.BICUBIC)
    buffer = io.BytesIO()
    if fmt == "PNG":
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=False)
    return buffer.getvalue()


MAX_AS_IS_BYTES_PER_PIXEL = 0.3  # beyond this a photo was saved at a needlessly high quality
_KEPT_JPEG_SEGMENTS = {0xE0, 0xE2, 0xEE}  # JFIF, ICC profile, Adobe (colour transform)


def _jpeg_as_is(data: bytes, grayscale: bool) -> bytes | None:
    """The original JPEG minus its metadata, when it already is what a rendition would be.

    That is: baseline, 8-bit RGB (or greyscale), upright, not needlessly large. Then a
    rendition at its own size is the same picture re-encoded; keeping the original
    skips a decode and an encode and loses nothing. EXIF (GPS position, camera serial),
    XMP, IPTC and comments are dropped, as re-encoding would drop them.
    """
    try:
        with pillow().open(io.BytesIO(data)) as image:
            if (image.format != "JPEG" or image.mode != ("L" if grayscale else "RGB")
                    or image.info.get("progressive") or image.info.get("progression")
                    or image.getexif().get(0x0112, 1) != 1
                    or len(data) > MAX_AS_IS_BYTES_PER_PIXEL * image.width * image.height):
                return None
    except (OSError, SyntaxError, ValueError):
        return None
    return _strip_jpeg_metadata(data)


def _strip_jpeg_metadata(data: bytes) -> bytes | None:
    """The JPEG's segments up to the scan, without metadata; None if it is not baseline."""
    out, i, baseline = [data[:2]], 2, False
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out.append(data[i:])
            return b"".join(out) if baseline else None
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker == 0xC0:  # baseline DCT, 8-bit
            baseline = data[i + 4] == 8
        elif 0xC1 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # progressive, lossless, arithmetic...
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in _KEPT_JPEG_SEGMENTS:
            out.append(data[i:i + 2 + length])
        i += 2 + length
    return None


def _check(data: bytes, origin: str) -> tuple[int, int, str]:
    """Decode fully and check the type; the upright size and Pillow's format name.

    A JPEG is decoded at 1/8 scale: every byte of its compressed data is still read
    and decoded (a cut or corrupt file fails the same), for a third of the time.
    """
    image = _open(data, origin, draft=(1, 1))
    if image.format not in READABLE_FORMATS:
        raise ExporterError(origin, f"unsupported image type {image.format}")
    width, height = getattr(image, "full_size", image.size)
    if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # stored turned by a quarter
        width, height = height, width
    return width, height, image.format or ""


def _images(article: Article) -> list[Image]:
    return [f.image for f in article.figures() if f.image is not None and f.image.src]


def _open(data: bytes, origin: str = "image", draft: tuple[int, int] | None = None) -> PILImage.Image:
    """Decode fully (truncated files fail here, not later inside a backend).

    With `draft`, a JPEG is decoded at the smallest of 1/2, 1/4, 1/8 scale that still
    covers that (upright) size: the same picture for a downscale, much faster.
    """
    from PIL import ImageFile

    PILImage = pillow()
    # WeasyPrint switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported;
    # the asset step must refuse cut-off files whatever another library set.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
            image.full_size = image.size  # type: ignore[attr-defined]
            if draft and image.format == "JPEG":
                turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
                image.draft(image.mode, draft[::-1] if turned else draft)
            image.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ExporterError(origin, "too many pixels (possible decompression bomb)")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ExporterError(origin, f"not a readable image ({exc})")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return image


def _normalise(image: PILImage.Image, *, keep_alpha: bool, grayscale: bool) -> PILImage.Image:
    """Upright, 8-bit, RGB or L: what every e-reader, mail client and PDF viewer shows."""
    from PIL import ImageOps

    PILImage = pillow()
    ImageOps.exif_transpose(image, in_place=True)  # no copy when nothing turns
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if has_alpha and not keep_alpha:
        rgba = image.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    target = "L" if grayscale else "RGB"
    if keep_alpha and has_alpha:
        target += "A"
    return image.convert(target) if image.mode != target else image

