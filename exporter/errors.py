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


class UsageError(ExporterError):
    """A mistake in how a command was called (a flag's value, a missing argument): exit 2."""


class Problems(ExporterError):
    """Several mistakes found in one pass, so a person can fix them all at once.

    The CLI prints one line for each of `problems`; as an exception it reads as the first.
    """

    def __init__(self, problems: list[ExporterError]) -> None:
        self.problems = [p for problem in problems for p in getattr(problem, "problems", [problem])]
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(first.source, first.message + (f" (and {more} more)" if more else ""))


class Collector:
    """Gathers ExporterErrors raised inside `with collector.step(order):` blocks.

    Each problem is kept with an order key (its place in the file), so they can be
    reported in file order however the checks were run; `raise_all` raises them together.
    """

    def __init__(self) -> None:
        self.found: list[tuple[int, int, ExporterError]] = []

    def add(self, error: ExporterError, order: int = 0) -> None:
        for problem in getattr(error, "problems", [error]):
            self.found.append((order, len(self.found), problem))

    def step(self, order: int = 0) -> "_Step":
        return _Step(self, order)

    def raise_all(self) -> None:
        """Raise what was found: one problem as itself, several as Problems in order."""
        errors = [error for _, _, error in sorted(self.found, key=lambda f: f[:2])]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise Problems(errors)


class _Step:
    def __init__(self, collector: Collector, order: int) -> None:
        self.collector, self.order = collector, order

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, _tb: object) -> bool:
        if isinstance(error, ExporterError):
            self.collector.add(error, self.order)
            return True
        return False


class SourceWarning(UserWarning):
    """Something a source left out that a person should know about (shown as one line)."""
