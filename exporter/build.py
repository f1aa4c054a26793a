"""Building an issue: assets once, then the requested backends concurrently, published atomically."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from . import cache
from .assets import Assets
from .atomic import staging
from .backends import Job, Result, backend, make_options
from .labels import fallback_warnings
from .locations import one_look_per_folder
from .manifest import Project
from .parallel import Launch, max_workers, run_all
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
    with cache.journal("assets", *_names(project)), one_look_per_folder():
        _warm_images(project, assets)
        assets.load_issue(project.issue, project.base_dirs, extra_roots=[project.root])
    return assets


def _names(project: Project) -> tuple[str, str]:
    """What tells one project's journals from another's (see `cache.journal`)."""
    return str(project.root), project.stem


WARM_MIN_IMAGES = 8  # below this, starting processes costs more than it saves


def _warm_images(project: Project, assets: Assets) -> None:
    """Check (fully decode) many images in worker processes first; the one-by-one pass
    that follows then finds every check cached and only reads and hashes the files.
    Articles whose images are all checked already are left out: after an edit to one
    article, no process is started at all."""
    workers = max_workers()
    if not cache.enabled() or workers < 2:
        return
    roots = [project.root]
    articles = [a for a in project.issue.articles()
                if not assets.checked(a, project.base_dirs.get(a.id), roots)]
    if sum(len(a.figures()) for a in articles) < WARM_MIN_IMAGES:
        return

    class Some:
        def __init__(self, chunk: list) -> None:
            self.chunk = chunk

        def articles(self) -> list:
            return self.chunk

    def check(chunk: list) -> None:
        Assets(cache_dir=assets.cache_dir, offline=assets.offline,
               allow_private=assets.allow_private).load_issue(
            Some(chunk), project.base_dirs, extra_roots=roots)  # type: ignore[arg-type]

    run_all([(f"images-{i}", partial(check, articles[i::workers])) for i in range(workers)])


def build(project: Project, formats: list[str], out_dir: Path, *,
          overrides: dict[str, dict[str, Any]] | None = None, offline: bool = False,
          allow_private: bool = False,
          progress: Callable[[str], None] | None = None) -> tuple[list[Output], list[str]]:
    """Build every format into out_dir; nothing is published unless all succeed.

    Returns the outputs and the warnings of the shared steps (unreadable images...).
    `progress` is called with each step as it starts: "images", then each format's name.
    """
    with Backends(formats, progress=progress, early=False) as backends:
        return backends.build(project, out_dir, overrides=overrides, offline=offline,
                              allow_private=allow_private)


class Backends:
    """The formats' processes of one build, started before anything is read.

    Each backend runs in a process of its own, which loads its libraries (WeasyPrint
    alone takes most of a second) while this one reads the sources and the images; the
    formats then cost the time of the slowest, and a failure anywhere stops the rest
    and publishes nothing. `early` (they are started before the sources are read, as
    the command line does): a lone format whose libraries load slowly gets a process of
    its own too; for the others a process costs more than it saves.
    """

    def __init__(self, formats: list[str], *, progress: Callable[[str], None] | None = None,
                 early: bool = True) -> None:
        self.formats = formats
        self.modules = {name: backend(name) for name in formats}
        self.progress = progress
        self.launch = Launch([(name, partial(_run_backend, name)) for name in formats],
                             on_start=progress, preload=_preload,
                             isolate=early and bool(SLOW_TO_LOAD & set(formats)))

    def __enter__(self) -> Backends:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.launch.__exit__(*exc)

    def build(self, project: Project, out_dir: Path, *,
              overrides: dict[str, dict[str, Any]] | None = None, offline: bool = False,
              allow_private: bool = False) -> tuple[list[Output], list[str]]:
        """`build`, in the processes started already."""
        overrides = overrides or {}
        options = {name: make_options(module.Options,
                                      {**project.options.get(name, {}), **overrides.get(name, {})},
                                      f"[{name}]")
                   for name, module in self.modules.items()}
        # A broken user template fails before any work; a misspelt block is a warning.
        template_warnings = check_templates(project.templates) if project.templates is not None else []
        if self.progress:
            self.progress("images")
        with staging(out_dir) as stage:
            assets = prepare_assets(project, offline=offline, allow_private=allow_private)
            cover = assets.add_file(project.cover) if project.cover else None
            results = self.launch.run(Payload(project, options, stage, assets, cover))
            outputs = [Output(name, [out_dir / p.relative_to(stage) for p in result.files],
                              seconds, result.warnings)
                       for name, (result, seconds) in zip(self.formats, results)]
        cache.prune()  # entries of old versions of the articles and photos (once a day)
        languages = [project.issue.language] + [a.language for a in project.issue.articles()]
        return outputs, template_warnings + assets.warnings + fallback_warnings(languages)


@dataclass
class Payload:
    """What every backend's process is sent once the sources and images are read."""

    project: Project
    options: dict[str, Any]
    stage: Path
    assets: Assets
    cover: Any


# What each backend's process may import while the images are being read.
SLOW_TO_LOAD = {"pdf"}  # WeasyPrint: most of a second; the others' libraries tens of ms
PRELOAD = {"pdf": ("weasyprint", "pikepdf"), "epub": ("ebooklib.epub",),
           "email": ("mjml", "css_inline")}


def _preload(name: str) -> None:
    import importlib

    for module in PRELOAD.get(name, ()):
        importlib.import_module(module)


def _run_backend(name: str, payload: Payload) -> tuple[Result, float]:
    module, project = backend(name), payload.project
    job = Job(issue=project.issue, assets=payload.assets, out_dir=payload.stage,
              stem=project.stem, templates=project.templates, theme=project.theme,
              cover=payload.cover, labels=project.labels)
    with cache.journal("backend", module.__name__, *_names(project)):  # its last build's pages
        return _timed(module.build, job, payload.options[name])


def _timed(function: Callable[..., Result], *args: Any) -> tuple[Result, float]:
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started
