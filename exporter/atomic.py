"""Nothing half-written: outputs appear complete, by rename, or not at all."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A private folder beside the outputs; on success its files replace the old ones.

    Everything is written in the staging folder first; only when the whole build
    succeeded is each file renamed into place (one atomic rename per file), so a
    crash or failure leaves the previous complete outputs and no partial ones.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(out_dir)
    stage = Path(tempfile.mkdtemp(prefix=f".exporter-{os.getpid()}-", dir=out_dir))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            publish(item, out_dir / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# Leftovers of a build that was killed: its staging folder, or a folder being replaced.
_LEFTOVER = re.compile(r"\.exporter-(\d+)-.*|\..+\.old-(\d+)(-\d+)?")
STALE_SECONDS = 24 * 3600  # a leftover this old goes even if its pid is alive (reused)


def remove_stale(out_dir: Path) -> None:
    """Delete leftovers of killed builds: their process is gone, or they are a day old.

    A build running now (another process writing the same folder) keeps its folder.
    """
    for entry in out_dir.iterdir():
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None or not entry.is_dir():
            continue
        pid = int(match.group(1) or match.group(2))
        try:
            age = time.time() - entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        if not _alive(pid) or age > STALE_SECONDS:
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
    first; if another build puts its folder in place meanwhile, that one is moved
    aside in turn (the last build to publish wins, and every folder stays whole).
    """
    if not item.is_dir():
        os.replace(item, final)
        return
    for attempt in range(20):
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{attempt}")
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


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per call (not just per process): threads of one build may write
    # the same file at once, and one must never rename or delete the other's.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as file:
            file.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
