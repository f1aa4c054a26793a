"""`exporter preview`: build into a temporary folder, then PNGs of every format on one page.

Each format's package makes its own PNGs in its `preview` module: `wants(path)` picks
its built file, `require_tools()` names a missing tool before any work, `shots(...)`
makes the images and `BUILD_OPTIONS` tunes its build for previewing. `index.html`
shows them side by side.
"""

from __future__ import annotations

import html
import tempfile
import types
from collections.abc import Iterable
from pathlib import Path

from .backends import BACKENDS, part
from .screenshots import PreviewError, Shot


def contact_sheet(shots: list[Shot], out: Path, title: str) -> Path:
    """index.html: every preview side by side, each labelled with its format and page."""
    cells = "\n".join(
        f'<figure><div class="frame"><a href="{html.escape(s.path.name)}"><img '
        f'src="{html.escape(s.path.name)}" alt="{html.escape(s.format + ": " + s.label)}"></a></div>'
        f"<figcaption><strong>{html.escape(s.format)}</strong> {html.escape(s.label)}</figcaption>"
        f"</figure>" for s in shots)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Preview: {html.escape(title)}</title>
<style>
body {{ font: 15px/1.4 system-ui, sans-serif; margin: 24px; background: #eceff1; color: #222 }}
.sheet {{ display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start }}
figure {{ flex: none; margin: 0; background: #fff; padding: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.2) }}
/* natural size (600 px is 600 px); a long email scrolls inside its frame */
.frame {{ max-height: 820px; overflow-y: auto; border: 1px solid #ddd }}
img {{ display: block }}
figcaption {{ margin-top: 6px; font-size: 13px; color: #555 }}
</style></head>
<body><h1>Preview: {html.escape(title)}</h1>
<p>Built {len(shots)} previews. Click one to see it at full size.</p>
<div class="sheet">
{cells}
</div>
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _previewers(formats: Iterable[str]) -> dict[str, types.ModuleType]:
    """The `preview` module of each format that has one."""
    modules = {name: part(name, "preview") for name in formats}
    return {name: module for name, module in modules.items() if module is not None}


def preview_files(files: Iterable[Path], out: Path, *, title: str = "",
                  titles: Iterable[str] = ()) -> Path:
    """Previews of built outputs (email .html, .pdf, .epub...) and their contact sheet in out."""
    previewers = _previewers(BACKENDS)
    chosen = [(path, module) for path in files
              for module in [next((m for m in previewers.values() if m.wants(path)), None)] if module]
    for module in dict.fromkeys(module for _, module in chosen):
        module.require_tools()  # fail before any work, naming what to install
    out.mkdir(parents=True, exist_ok=True)
    titles = list(titles)
    shots: list[Shot] = []
    with tempfile.TemporaryDirectory(prefix="exporter-preview-") as tmp:
        for path, module in chosen:
            shots += module.shots(path, out, Path(tmp), titles)
    if not shots:
        raise PreviewError("preview", "nothing to preview: no email (.html), PDF or EPUB was built")
    return contact_sheet(shots, out, title or "issue")


def preview(project: object, out: Path, *, formats: list[str] | None = None,
            offline: bool = False, allow_private: bool = False) -> Path:
    """Build the project's previewable formats into a temporary folder and preview them."""
    from .build import build
    from .manifest import Project

    assert isinstance(project, Project)
    previewers = _previewers(formats or BACKENDS)
    if not previewers:
        raise PreviewError("preview", "none of these formats has a preview")
    for module in dict.fromkeys(previewers.values()):
        module.require_tools()  # the tools first: a missing one is named before any build work
    overrides = {name: dict(module.BUILD_OPTIONS) for name, module in previewers.items()}
    titles = [a.title for a in project.issue.articles()]
    with tempfile.TemporaryDirectory(prefix="exporter-build-") as tmp:
        outputs, _ = build(project, list(previewers), Path(tmp) / "out", overrides=overrides,
                           offline=offline, allow_private=allow_private)
        files = [p for o in outputs for p in o.files]
        return preview_files(files, out, title=project.issue.title, titles=titles)
