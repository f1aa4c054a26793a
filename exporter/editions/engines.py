"""Where editions are built: local processes, or tasks on a Dask distributed cluster.

Either way the issue (parsed sources, resolved links) is sent to each worker once and
every task then names only its edition; each edition builds in one process, since the
engine already keeps every core busy with other editions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ..errors import ExporterError
from ..manifest import Project
from ..parallel import context, max_workers
from .plan import Edition, edition_project

ENGINES = ("local", "dask")


def build_edition(project: Project, edition: Edition, out_dir: Path,
                  network: dict[str, bool]) -> list[str]:
    """Build one edition into out_dir/<name>; its warnings."""
    from ..build import build

    overrides: dict[str, dict[str, Any]] = {"email": {"merge_fields": True}, "pdf": {"workers": 1}}
    previous = os.environ.get("EXPORTER_JOBS")
    os.environ["EXPORTER_JOBS"] = "1"  # the engine's workers may not start processes of their own
    try:
        outputs, warnings = build(edition_project(project, edition), list(edition.formats),
                                  out_dir / edition.name, overrides=overrides, **network)
    finally:
        if previous is None:
            del os.environ["EXPORTER_JOBS"]
        else:
            os.environ["EXPORTER_JOBS"] = previous
    return warnings + [f"{o.format}: {w}" for o in outputs for w in o.warnings]


def run(engine: str, project: Project, editions: list[Edition], out_dir: Path, *,
        scheduler: str | None = None, network: dict[str, bool] | None = None
        ) -> Iterator[tuple[Edition, list[str]]]:
    """Build every edition; yields (edition, warnings) as each finishes."""
    network = network or {}
    if engine == "dask":
        yield from _dask(project, editions, out_dir, scheduler, network)
    elif engine == "local":
        yield from _local(project, editions, out_dir, network)
    else:
        raise ExporterError("--engine", f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")


_SHARED: dict[str, Project] = {}  # the project, in each local worker process


def _remember(project: Project) -> None:
    _SHARED["project"] = project


def _build_shared(edition: Edition, out_dir: Path, network: dict[str, bool]) -> list[str]:
    return build_edition(_SHARED["project"], edition, out_dir, network)


def _local(project: Project, editions: list[Edition], out_dir: Path,
           network: dict[str, bool]) -> Iterator[tuple[Edition, list[str]]]:
    workers = min(len(editions), max_workers())
    if workers <= 1:
        for edition in editions:
            yield edition, build_edition(project, edition, out_dir, network)
        return
    with ProcessPoolExecutor(workers, mp_context=context(), initializer=_remember,
                             initargs=(project,)) as pool:
        futures = {pool.submit(_build_shared, e, out_dir, network): e for e in editions}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _dask(project: Project, editions: list[Edition], out_dir: Path, scheduler: str | None,
          network: dict[str, bool]) -> Iterator[tuple[Edition, list[str]]]:
    if not scheduler:
        raise ExporterError("--engine dask", "needs --scheduler ADDRESS (tcp://host:8786)")
    try:
        from distributed import Client, as_completed as completed
    except ImportError:
        raise ExporterError("--engine dask", "needs Dask distributed: pip install distributed")
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ExporterError(f"--scheduler {scheduler}", f"cannot reach the scheduler: {exc}")
    with client:
        shared = client.scatter(project, broadcast=True)  # once per worker, not per task
        futures = {client.submit(build_edition, shared, e, out_dir, network,
                                 key=f"edition-{e.name}", pure=False): e for e in editions}
        for future in completed(futures):
            yield futures[future], future.result()

