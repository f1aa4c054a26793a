"""Running independent pieces of a build in worker processes, failing as one.

Each task runs in its own process (forked where the platform allows, so the issue and
its assets are inherited, not pickled); only its result travels back. The first failure
stops the others and is raised in the caller, with ExporterErrors arriving intact (their
one-line message and source), so a build fails exactly as it would have sequentially.
EXPORTER_JOBS=1 runs everything in the calling process (debugging, profiling, tests).
multiprocessing is imported only when a process is started: a build that runs its one
task inline (a warm rebuild of one format) does not pay for loading it.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import BuildError, ExporterError

if TYPE_CHECKING:
    import multiprocessing.connection
    import multiprocessing.context


def max_workers() -> int:
    """How many processes may work at once: EXPORTER_JOBS, else the usable CPUs."""
    env = os.environ.get("EXPORTER_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def busy(seconds: float = 0.1) -> bool:
    """Whether other programs keep every CPU busy now, so that more processes of ours
    would only queue behind theirs.

    Measured over `seconds` while this process waits (Linux's /proc), not read from the
    load average: that trails a minute behind, so a build that has just ended (the
    editor's previous rebuild, a benchmark's previous run) still counted as load and the
    next build fell back to one process on an idle machine. This build's own processes
    (the email and the EPUB made beside the PDF) are not others: they end with it.
    """
    cpus = os.cpu_count() or 1
    try:
        start, before = time.monotonic(), _ticks_of_others()
        time.sleep(seconds)
        used = (_ticks_of_others() - before) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - start)
    except (OSError, ValueError):  # no /proc: the load average is all there is
        try:
            return os.getloadavg()[0] >= cpus
        except OSError:
            return False
    return used >= cpus - 0.5


_BUILD = os.getpid()  # the process that first imported this: forked workers inherit it


def _ticks_of_others() -> int:
    """Clock ticks all CPUs have spent working since boot (all but idle and I/O wait),
    less those of this build's processes."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4] - _ticks_of_tree(_BUILD)


def _ticks_of_tree(root: int) -> int:
    """CPU ticks of `root` and its descendants, with those of children already ended."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                    todo += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while we looked
    return total


def context() -> multiprocessing.context.BaseContext:
    """fork where available: no re-import, and the parent's data is shared copy-on-write."""
    import multiprocessing

    method = os.environ.get("EXPORTER_START_METHOD") or (
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    return multiprocessing.get_context(method)


def _inline() -> bool:
    return max_workers() == 1 or os.environ.get("EXPORTER_JOBS") == "1"


def run_all(tasks: Sequence[tuple[str, Callable[[], Any]]], *,
            on_start: Callable[[str], None] | None = None, isolate: bool = False) -> list[Any]:
    """Run each (name, function) concurrently; their results in the order given.

    Functions must be callable in a child: with fork any closure works; with spawn they
    must be picklable. One task, or EXPORTER_JOBS=1, runs inline; `isolate`: a lone task
    (or any on a one-CPU machine) runs in a child too, so that the heap it grows (a
    typesetter's) is given back when it ends, not kept by the caller (EXPORTER_JOBS=1
    still runs it inline).
    """
    with Launch([(name, lambda _payload, f=function: f()) for name, function in tasks],
                on_start=on_start, isolate=isolate) as launch:
        return launch.run(None)


class Launch:
    """Tasks started at once that wait for one payload, sent later, before they run.

    A worker can so load its libraries (`preload(name)`) while the caller is still
    preparing what the tasks need. Leaving the `with` block stops any task still going.
    """

    def __init__(self, tasks: Sequence[tuple[str, Callable[[Any], Any]]], *,
                 on_start: Callable[[str], None] | None = None,
                 preload: Callable[[str], None] | None = None, isolate: bool = False) -> None:
        self.tasks = list(tasks)
        self.on_start = on_start
        self.inline = (not self.tasks or os.environ.get("EXPORTER_JOBS") == "1"
                       or (not isolate and (len(self.tasks) <= 1 or _inline())))
        self.processes: list[Any] = []
        self.running: dict[Any, tuple[int, str, Any]] = {}
        self.inputs: list[Any] = []
        if self.inline:
            return
        ctx = context()
        for index, (name, function) in enumerate(self.tasks):
            receive, send = ctx.Pipe(duplex=False)
            payload_in, payload_out = ctx.Pipe(duplex=False)
            process = ctx.Process(target=_waiting_child, name=f"exporter-{name}",
                                  args=(name, function, preload, payload_in, send))
            process.daemon = False  # a backend may start workers of its own
            process.start()
            send.close()
            payload_in.close()
            self.processes.append(process)
            self.inputs.append(payload_out)
            self.running[receive] = (index, name, process)

    def __enter__(self) -> Launch:
        return self

    def __exit__(self, *exc: Any) -> None:
        for out in self.inputs:
            out.close()
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()

    def run(self, payload: Any) -> list[Any]:
        """Send the payload to every task; their results in the order given."""
        if self.inline:
            results = []
            for name, function in self.tasks:
                if self.on_start:
                    self.on_start(name)
                results.append(function(payload))
            return results
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        for name, _ in self.tasks:  # started before, but at work only from now on
            if self.on_start:
                self.on_start(name)
        for out in self.inputs:
            try:
                out.send_bytes(data)
            except OSError:  # that worker died already: reported below
                pass
            out.close()
        self.inputs = []
        results: list[Any] = [None] * len(self.tasks)
        from multiprocessing.connection import wait

        while self.running:
            for conn in wait(list(self.running)):
                index, name, process = self.running.pop(conn)
                try:
                    status, result = pickle.loads(conn.recv_bytes())
                except EOFError:
                    process.join()
                    raise BuildError(name, f"worker process died (exit code {process.exitcode})")
                finally:
                    conn.close()
                if status != "ok":
                    raise _rebuild_error(name, result)
                results[index] = result
        return results


def _waiting_child(name: str, function: Callable[[Any], Any], preload: Callable[[str], None] | None,
                   payload_in: multiprocessing.connection.Connection,
                   send: multiprocessing.connection.Connection) -> None:
    if preload:
        try:
            preload(name)
        except Exception:  # the task's own imports will report it properly
            pass
    try:
        payload = pickle.loads(payload_in.recv_bytes())
    except EOFError:  # the caller gave up before sending: nothing to do
        os._exit(0)
    _child(lambda: function(payload), send)


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
