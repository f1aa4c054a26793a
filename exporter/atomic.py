"""Nothing half-written: outputs appear complete, by rename, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staging(out_dir: Path) -> Iterator[Path]:
    """A private folder beside the outputs; on success its files replace the old ones.

    Everything is written in the staging folder first; only when the whole build
    succeeded is each file renamed into place (one atomic rename per file), so a
    crash or failure leaves the previous complete outputs and no partial ones.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".exporter-", dir=out_dir))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            publish(item, out_dir / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish(item: Path, final: Path) -> None:
    """Move a staged file or folder into place, replacing what was there."""
    if item.is_dir():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        if final.exists():
            os.replace(final, old)
        os.replace(item, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(item, final)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
