"""Backend registry and the one interface every output format implements.

A format is a package, `backends/<format>/`, named once in `BACKENDS`. Its `__init__`
holds a frozen `Options` dataclass and `build(job: Job, options: Options) -> Result`; it
may add a `check` module (`CHECKS`: file ending -> checker) and a `preview` module (see
`exporter/preview.py`). Packages are imported only when their format is used, so an
EPUB-only build never loads WeasyPrint.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..assets import Asset, Assets
from ..errors import BuildError, UsageError
from ..model import Issue

BACKENDS: dict[str, str] = {  # format name -> its package, in the order formats are built
    "json": "exporter.backends.json",
    "email": "exporter.backends.email",
    "pdf": "exporter.backends.pdf",
    "epub": "exporter.backends.epub",
}
DEFAULT_FORMATS: tuple[str, ...] = tuple(BACKENDS)
Part = Literal["check", "preview"]


@dataclass
class Job:
    """Everything a backend may read: the model, its images, and where to write."""

    issue: Issue
    assets: Assets
    out_dir: Path  # a staging folder; files appear in the real one only on success
    stem: str  # output file stem: out_dir / f"{stem}.pdf"
    templates: Path | None = None  # the user's template folder, searched first
    theme: dict[str, str] = field(default_factory=dict)
    cover: Asset | None = None  # the manifest's cover photo
    labels: dict[str, str] = field(default_factory=dict)  # the manifest's [labels] overrides


@dataclass
class Result:
    files: list[Path]
    warnings: list[str] = field(default_factory=list)


def backend(name: str) -> types.ModuleType:
    if name not in BACKENDS:
        raise BuildError(f"-f {name}", f"unknown format; choose from {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[name])


def part(name: str, kind: Part) -> types.ModuleType | None:
    """A format's optional `check` or `preview` module; None when the package has none."""
    package = backend(name)
    if not hasattr(package, "__path__"):  # a format in a single module has no parts
        return None
    module = f"{package.__name__}.{kind}"
    return importlib.import_module(module) if importlib.util.find_spec(module) else None


def parse_formats(text: str | None) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()] or list(DEFAULT_FORMATS)
    for name in names:
        if name not in BACKENDS:
            raise UsageError(f"-f {name}", f"unknown format; choose from {', '.join(BACKENDS)}")
    return list(dict.fromkeys(names))


def make_options(cls: type, table: dict[str, Any], where: str) -> Any:
    """A backend's frozen Options from a manifest table; unknown keys and wrong types fail."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise BuildError(where, f"unknown option '{unknown[0]}' (known: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in table.items():
        values[name] = _coerce(value, hints[name], f"{where}.{name}")
    return cls(**values)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check a value against a simple annotation (str, int, float, bool, X | None, tuple)."""
    args = typing.get_args(hint)
    if value is None and type(None) in args:
        return None
    if args and type(None) in args:
        hint = next(a for a in args if a is not type(None))
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            choices = ", ".join(map(str, typing.get_args(hint)))
            raise BuildError(where, f"must be one of {choices}, not {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise BuildError(where, "must be a list")
        return tuple(value)
    if hint is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        if not isinstance(value, bool):
            raise BuildError(where, "must be true or false")
        return value
    if hint in (int, float):
        try:
            if isinstance(value, bool) or not math.isfinite(float(value)):
                raise ValueError  # inf and nan are no size, count or resolution
            return hint(value)
        except (TypeError, ValueError, OverflowError):
            raise BuildError(where, f"must be a number, not {value!r}")
    if hint is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise BuildError(where, "must be text")
        text = str(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: bytes of a command line that were no UTF-8
            raise BuildError(where, f"is not valid text: {text!r}") from None
        return text
    return value
