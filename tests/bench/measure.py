"""Running one measured command: wall seconds, peak memory of its whole process tree.

Memory is sampled every 20 ms as the sum of PSS over the process and all its
descendants (PSS splits pages shared after fork fairly, so worker processes are not
counted twice), and cross-checked with the largest single process's ru_maxrss from
wait4. Sampling can miss a peak shorter than 20 ms; ru_maxrss cannot, but it sees one
process at a time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    seconds: float
    peak_mb: float  # sampled sum of PSS over the process tree
    max_rss_mb: float  # largest single process (ru_maxrss)
    returncode: int
    stderr: str
    stdout: str


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            out += [int(c) for c in text.split()]
    except OSError:
        pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_pss_mb(pid: int) -> float:
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        total += _pss_kb(p)
        todo += _children(p)
    return total / 1024


def run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 900) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_mb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out_chunks: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:
        out_chunks[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for r in readers:
        r.start()
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
        time.sleep(0.005)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, peak, usage.ru_maxrss / 1024, proc.returncode,
               out_chunks.get("err", b"").decode("utf-8", "replace"),
               out_chunks.get("out", b"").decode("utf-8", "replace"))


def median_run(cmd: list[str], *, repeat: int = 3, before=None, **kw) -> tuple[Run, list[float]]:
    """Run `repeat` times (calling `before()` first each time); the median-time run."""
    runs = []
    for _ in range(repeat):
        if before:
            before()
        result = run(cmd, **kw)
        if result.returncode != 0:
            return result, [result.seconds]
        runs.append(result)
    times = [r.seconds for r in runs]
    middle = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    middle.peak_mb = max(r.peak_mb for r in runs)
    middle.max_rss_mb = max(r.max_rss_mb for r in runs)
    return middle, times


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
