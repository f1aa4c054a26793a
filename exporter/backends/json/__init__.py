"""The issue as MODEL.md's JSON: for tools, archives and debugging."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ...atomic import write_text
from .. import Job, Result


@dataclass(frozen=True)
class Options:
    indent: int = 2


def build(job: Job, options: Options) -> Result:
    path = job.out_dir / f"{job.stem}.json"
    write_text(path, json.dumps(job.issue.to_dict(), ensure_ascii=False, indent=options.indent) + "\n")
    return Result([path])
