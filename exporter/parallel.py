"""Running independent pieces of a build in worker processes, failing as one.

Each task runs in its own process (forked where the platform allows, so the issue and
its assets are inherited, not pickled); only its result travels back. The first failure
stops the others and is raised in the caller, with ExporterErrors arriving intact (their
one-line message and source), so a build fails exactly as it would have sequentially.
EXPORTER_JOBS=1 runs everything in the calling process (debugging, profiling, tests).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from . import errors
from .errors import BuildError, ExporterError


def max_workers() -> int:
    """How many processes may work at once: EXPORTER_JOBS, else the usable CPUs."""
    env = os.environ.get("EXPORTER_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def context() -> multiprocessing.context.BaseContext:
    """fork where available: no re-import, and the parent's data is shared copy-on-write."""
    method = os.environ.get("EXPORTER_START_METHOD") or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return multiprocessing.get_context(method)


def run_all(tasks: Sequence[tuple[str, Callable[[], Any]]], *,
            on_start: Callable[[str], None] | None = None) -> list[Any]:
    """Run each (name, function) concurrently; their results in the order given.

    Functions must be callable in a child: with fork any closure works; with spawn they
    must be picklable. One task, or EXPORTER_JOBS=1, runs inline.
    """
    if len(tasks) <= 1 or max_workers() == 1 or os.environ.get("EXPORTER_JOBS") == "1":
        results = []
        for name, function in tasks:
            if on_start:
                on_start(name)
            results.append(function())
        return results
    ctx = context()
    running: dict[Any, tuple[int, str, Any]] = {}
    results: list[Any] = [None] * len(tasks)
    processes = []
    try:
        for index, (name, function) in enumerate(tasks):
            receive, send = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_child, args=(function, send), name=f"exporter-{name}")
            process.daemon = False  # a backend may start workers of its own
            if on_start:
                on_start(name)
            process.start()
            send.close()
            processes.append(process)
            running[receive] = (index, name, process)
        while running:
            for conn in multiprocessing.connection.wait(list(running)):
                index, name, process = running.pop(conn)
                try:
                    status, payload = pickle.loads(conn.recv_bytes())
                except EOFError:
                    process.join()
                    raise BuildError(name, f"worker process died (exit code {process.exitcode})")
                finally:
                    conn.close()
                if status != "ok":
                    raise _rebuild_error(name, payload)
                results[index] = payload
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    return results


def _child(function: Callable[[], Any], send: multiprocessing.connection.Connection) -> None:
    try:
        message: tuple[str, Any] = ("ok", function())
    except ExporterError as exc:
        message = ("error", (type(exc).__name__, exc.source, exc.message, traceback.format_exc()))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
        message = ("crash", (type(exc).__name__, str(exc), traceback.format_exc()))
    try:
        data = pickle.dumps(message)
    except Exception as exc:  # an unpicklable result
        data = pickle.dumps(("crash", (type(exc).__name__, str(exc), traceback.format_exc())))
    send.send_bytes(data)
    send.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no atexit handlers or finalizers of the parent's objects in the child


def _rebuild_error(name: str, payload: Any) -> ExporterError:
    if len(payload) == 4:
        kind, source, message, trace = payload
        cls = getattr(errors, kind, None)
        if not (isinstance(cls, type) and issubclass(cls, ExporterError)):
            cls = BuildError
        error = cls(source or None, message)
    else:
        kind, message, trace = payload
        error = BuildError(name, f"internal error: {kind}: {message}")
    if os.environ.get("EXPORTER_DEBUG"):
        print(trace, file=sys.stderr)
    return error
