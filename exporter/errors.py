"""One exception family, so the CLI can turn any failure into one actionable line."""

from __future__ import annotations


class ExporterError(Exception):
    """A problem a person can act on, tied to the source or output it concerns."""

    def __init__(self, source: object, message: str) -> None:
        self.source = str(source) if source is not None else ""
        self.message = " ".join(str(message).split())  # always one line
        super().__init__(f"{self.source}: {self.message}" if self.source else self.message)


class SourceError(ExporterError):
    """An article source that cannot be read or understood."""


class ModelError(ExporterError):
    """Data that does not have the shape of the model (MODEL.md)."""


class ManifestError(ExporterError):
    """An issue manifest that is malformed or names something missing."""


class BuildError(ExporterError):
    """A backend that could not produce its output."""


class FetchError(ExporterError):
    """A network fetch that was refused or failed."""


class SourceWarning(UserWarning):
    """Something a source left out that a person should know about (shown as one line)."""
