"""Building an issue: assets once, then each requested backend, published atomically."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assets import Assets
from .atomic import staging
from .backends import Job, backend, make_options
from .manifest import Project
from .templating import check_templates


@dataclass
class Output:
    """What one backend produced: final file paths, time taken, warnings."""

    format: str
    files: list[Path]
    seconds: float
    warnings: list[str] = field(default_factory=list)


def prepare_assets(project: Project, *, offline: bool = False, allow_private: bool = False) -> Assets:
    assets = Assets(offline=offline, allow_private=allow_private)
    assets.load_issue(project.issue, project.base_dirs, extra_roots=[project.root])
    return assets


def build(project: Project, formats: list[str], out_dir: Path, *,
          overrides: dict[str, dict[str, Any]] | None = None, offline: bool = False,
          allow_private: bool = False,
          progress: Callable[[str], None] | None = None) -> tuple[list[Output], list[str]]:
    """Build every format into out_dir; nothing is published unless all succeed.

    Returns the outputs and the warnings of the shared steps (unreadable images...).
    `progress` is called with each step as it starts: "images", then each format's name.
    """
    overrides = overrides or {}
    modules = {name: backend(name) for name in formats}
    options = {name: make_options(module.Options,
                                  {**project.options.get(name, {}), **overrides.get(name, {})},
                                  f"[{name}]")
               for name, module in modules.items()}
    if project.templates is not None:
        check_templates(project.templates)  # a broken user template fails before any work
    if progress:
        progress("images")
    assets = prepare_assets(project, offline=offline, allow_private=allow_private)
    cover = assets.add_file(project.cover) if project.cover else None
    outputs = []
    with staging(out_dir) as stage:
        job = Job(issue=project.issue, assets=assets, out_dir=stage, stem=project.stem,
                  templates=project.templates, theme=project.theme, cover=cover)
        for name, module in modules.items():
            if progress:
                progress(name)
            started = time.perf_counter()
            result = module.build(job, options[name])
            outputs.append(Output(name, [out_dir / p.relative_to(stage) for p in result.files],
                                  time.perf_counter() - started, result.warnings))
    return outputs, assets.warnings
