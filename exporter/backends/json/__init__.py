"""The issue as MODEL.md's JSON: for tools, archives and debugging."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ...atomic import write_text
from ...errors import BuildError
from .. import Job, Result

MAX_INDENT = 16  # spaces per level: beyond it a huge number would exhaust the memory


@dataclass(frozen=True)
class Options:
    indent: int = 2


def build(job: Job, options: Options) -> Result:
    if not 0 <= options.indent <= MAX_INDENT:
        raise BuildError("[json].indent", f"must be between 0 and {MAX_INDENT}, not {options.indent}")
    path = job.out_dir / f"{job.stem}.json"
    write_text(path, json.dumps(job.issue.to_dict(), ensure_ascii=False, indent=options.indent) + "\n")
    return Result([path])
