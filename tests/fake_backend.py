"""A stand-in backend for build tests: waits, then writes a file, or fails as told."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from exporter.atomic import write_text
from exporter.backends import Job, Result
from exporter.errors import BuildError


@dataclass(frozen=True)
class Options:
    suffix: str = "txt"
    delay: float = 0.0
    fail: str = ""  # "", "build" (a BuildError) or "crash" (any other exception)
    witness: str = ""  # a folder: "<suffix>.pid" and "<suffix>.times" (start, end) written there


def build(job: Job, options: Options) -> Result:
    started = time.time()
    if options.witness:  # whole or absent: the test may read it while this process is killed
        write_text(Path(options.witness, f"{options.suffix}.pid"), str(os.getpid()))
    time.sleep(options.delay)
    if options.fail == "build":
        raise BuildError("fake template.html:3", "no such variable 'x'")
    if options.fail == "crash":
        raise ZeroDivisionError("boom")
    path = job.out_dir / f"{job.stem}.{options.suffix}"
    write_text(path, f"{len(job.issue.articles())} articles, pid {os.getpid()}\n")
    if options.witness:
        write_text(Path(options.witness, f"{options.suffix}.times"), f"{started} {time.time()}")
    return Result([path], warnings=[f"{options.suffix} done"])
