"""One in-process measurement of each build stage, printed as JSON (run by run.py).

Usage: python tests/bench/stages.py MANIFEST FORMAT[,FORMAT...]

Stages run one after another in this process, as `exporter.build` would without
concurrency: normalise (manifest and sources into the model), assets (every image read
and decoded once), then each backend alone. A backend's import is timed apart from its
build, so a figure says what the work costs, not what loading the library costs.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    manifest, formats = Path(sys.argv[1]), [f for f in sys.argv[2].split(",") if f]
    times: dict[str, float] = {}
    started = time.perf_counter()
    from exporter.backends import BACKENDS, Job, make_options
    from exporter.build import prepare_assets
    from exporter.manifest import load_manifest

    times["import_core"] = time.perf_counter() - started
    t = time.perf_counter()
    project = load_manifest(manifest)
    times["normalise"] = time.perf_counter() - t
    t = time.perf_counter()
    assets = prepare_assets(project)
    cover = assets.add_file(project.cover) if project.cover else None
    times["assets"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as out:
        for name in formats:
            t = time.perf_counter()
            module = importlib.import_module(BACKENDS[name])
            times[f"import_{name}"] = time.perf_counter() - t
            options = make_options(module.Options, project.options.get(name, {}), name)
            job = Job(issue=project.issue, assets=assets, out_dir=Path(out), stem=project.stem,
                      templates=project.templates, theme=project.theme, cover=cover)
            t = time.perf_counter()
            module.build(job, options)
            times[name] = time.perf_counter() - t
    print(json.dumps(times))


if __name__ == "__main__":
    main()
