"""Nothing half-written: outputs appear complete, by rename, or not at all."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import BuildError


MARK = ".exporter-staging"  # the file by which a build knows a staging folder as its own


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A private folder beside the outputs; on success its files replace the old ones.

    Everything is written in the staging folder first; only when the whole build
    succeeded is each file renamed into place. A failure or a crash while building
    leaves the previous outputs untouched and no partial ones; a crash while
    publishing (a moment of renames) may leave some files new and others old, each
    of them whole.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(out_dir, "is a file, not a folder: give -o a folder for the outputs")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale(out_dir)
        stage = Path(tempfile.mkdtemp(prefix=f".exporter-{os.getpid()}-", dir=out_dir))
    except OSError as exc:
        raise BuildError(out_dir, f"cannot write the outputs there: {exc.strerror or exc}")
    try:
        (stage / MARK).touch()
        yield stage
        for item in sorted(stage.iterdir()):
            if item.name != MARK:
                publish(item, out_dir / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# A staging folder of a build that was killed (when it also holds MARK).
_LEFTOVER = re.compile(r"\.exporter-(\d+)-.*")
STALE_SECONDS = 24 * 3600  # a leftover this old goes even if its pid is alive (reused)


def remove_stale(out_dir: Path) -> None:
    """Delete staging folders of killed builds: their process is gone, or they are a day old.

    Only folders the build marked as its own are touched (a user's folder that happens
    to have a similar name stays); a build running now keeps its folder.
    """
    for entry in out_dir.iterdir():
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink() or not (entry / MARK).is_file():
            continue
        try:
            age = time.time() - entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        if not _alive(int(match.group(1))) or age > STALE_SECONDS:
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def publish(item: Path, final: Path) -> None:
    """Move a staged file or folder into place, replacing what was there.

    A folder cannot replace a folder in one rename, so the old one is moved aside
    first, into the staging folder beside `item` (so that a crash leaves it where the
    sweep of killed builds finds it); if another build puts its folder in place
    meanwhile, that one is moved aside in turn (the last build to publish wins, and
    every folder stays whole).
    """
    if not item.is_dir():
        replace_file(item, final)
        return
    for attempt in range(20):
        old = item.with_name(f".replaced-{attempt}-{final.name}")
        try:
            os.replace(final, old)
        except FileNotFoundError:
            pass
        try:
            os.replace(item, final)
        except OSError:  # another build published in between: try again
            continue
        finally:
            shutil.rmtree(old, ignore_errors=True)
        return
    raise BuildError(final, "could not publish: another build keeps replacing it")


def replace_file(item: Path, final: Path) -> None:
    """`os.replace` for a file. One that replaces a large file is swapped with it in one
    step instead where the system can (Linux's renameat2 RENAME_EXCHANGE), and the old
    one removed: ext4 writes a new file's data out before a rename replaces another
    file with it (`auto_da_alloc`), 25-40 ms of a rebuild of a 35 MB book, but not when
    the two change places; the swap is atomic all the same."""
    if os.stat(item).st_size >= SWAP_BYTES and _is_file(final) and _exchange(item, final):
        os.unlink(item)  # the old file, now at the new one's place
    else:
        os.replace(item, final)


def _is_file(path: Path) -> bool:
    """Whether `path` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


SWAP_BYTES = 1 << 20  # below this, loading ctypes for the swap costs more than it saves


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths' files at once; False where the system cannot."""
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or a C library without it
        return False
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    return renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), exchange) == 0


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    with writing(path) as file:
        file.write(data)


@contextmanager
def writing(path: Path) -> Iterator[BinaryIO]:
    """A new file to write, which appears at `path` whole when the block ends (or not at
    all): for a large output written piece by piece, never held in memory at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per call (not just per process): threads of one build may write
    # the same file at once, and one must never rename or delete the other's.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as file:
            yield file
        replace_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
