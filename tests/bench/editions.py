"""`make bench`, editions part: 10,000 subscribers over 50 selections, and their delivery.

Measures, on the generated 50-article issue (photos hosted; a message of all 50 articles is
~150 KB):
- `exporter editions` for 50 subscribers and for 10,000 over the same 50 selections, with
  the local engine and on a Dask LocalCluster of 2 workers: wall time and peak memory of the
  process tree (the cluster's workers included);
- `exporter deliver` of the 10,000 emails to an SMTP sink on 127.0.0.1 in its own process
  (a fast one that only finds each message's end, and aiosmtpd for 2,000 of them):
  messages per second;
and prints the cost model for 100,000 subscribers on a cluster. Writes out/bench-editions.json.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from generate import ensure_corpus  # noqa: E402
from measure import run  # noqa: E402

PY = sys.executable
SECTIONS = [f"Section {n}" for n in range(1, 6)]
# Two sinks on 127.0.0.1, each in its own process. aiosmtpd parses a message line by line
# in Python (about 2,000 lines in a 150 KB edition), so it measures itself more than the
# sender; the fast sink, like Postfix's smtp-sink, only finds each message's end, so the
# figure is the sender's own rate.
AIOSMTPD_SINK = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
while True:
    time.sleep(60)
"""
FAST_SINK = """
import asyncio, sys
REPLIES = {b"EHLO": b"250-sink\\r\\n250 PIPELINING\\r\\n", b"HELO": b"250 sink\\r\\n",
           b"QUIT": b"221 bye\\r\\n", b"DATA": b"354 go on\\r\\n"}
class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer, self.data = transport, b"", False
        transport.write(b"220 sink\\r\\n")
    def data_received(self, chunk):
        self.buffer += chunk
        while True:
            if self.data:
                end = self.buffer.find(b"\\r\\n.\\r\\n")
                if end < 0:
                    return
                self.buffer, self.data = self.buffer[end + 5:], False
                self.transport.write(b"250 queued\\r\\n")
                continue
            line, found, rest = self.buffer.partition(b"\\r\\n")
            if not found:
                return
            self.buffer, verb = rest, line[:4].upper()
            self.transport.write(REPLIES.get(verb, b"250 ok\\r\\n"))
            if verb == b"DATA":
                self.buffer, self.data = b"\\r\\n" + self.buffer, True
            elif verb == b"QUIT":
                self.transport.close()
async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""
CLUSTER = """
import sys
from distributed import LocalCluster
from exporter.cli import main
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  host="127.0.0.1") as cluster:
    sys.exit(main(sys.argv[1:] + ["--engine", "dask", "--scheduler", cluster.scheduler_address]))
"""


def selections() -> list[tuple[str, str]]:
    """50 distinct (sections, language) choices: section subsets in two languages."""
    subsets = [";".join(c) for k in (1, 2, 3, 4, 5) for c in combinations(SECTIONS, k)]
    return [(s, lang) for lang in ("en", "fr") for s in subsets][:50]


def subscribers(path: Path, count: int) -> Path:
    chosen = selections()
    rows = ["id,email,name,language,sections"]
    rows += [f"s{n},reader{n}@mail.example,Reader {n},{chosen[n % 50][1]},{chosen[n % 50][0]}"
             for n in range(count)]
    path.write_text("\n".join(rows) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(cache: Path) -> dict[str, str]:
    return dict(os.environ, EXPORTER_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))


def editions_run(manifest: Path, subs: Path, out: Path, cache: Path, *, dask: bool) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    args = ["editions", str(manifest), "--subscribers", str(subs), "-o", str(out)]
    cmd = [PY, "-c", CLUSTER, *args] if dask else [PY, "-m", "exporter", *args]
    result = run(cmd, env=environment(cache), timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"editions failed: {result.stderr.strip()[-500:]}")
    return {"seconds": round(result.seconds, 2), "peak_mb": round(result.peak_mb)}


def first_rows(out: Path, count: int, folder: Path) -> Path:
    """The editions of `out` with an index of its first `count` readers only."""
    folder.mkdir()
    for edition in out.iterdir():
        if edition.is_dir():
            (folder / edition.name).symlink_to(edition)
    rows = (out / "editions.jsonl").read_text().splitlines()[:count]
    (folder / "editions.jsonl").write_text("\n".join(rows) + "\n")
    return folder


def deliver_run(out: Path, cache: Path, sink_program: str) -> dict:
    port = free_port()
    sink = subprocess.Popen([PY, "-c", sink_program, str(port)], env=environment(cache))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        result = run([PY, "-m", "exporter", "deliver", str(out), "--smtp", f"127.0.0.1:{port}",
                      "--quiet"], env=environment(cache), timeout=1800)
    finally:
        sink.terminate()
        sink.wait()
    if result.returncode != 0:
        raise SystemExit(f"deliver failed: {result.stderr.strip()[-500:]}")
    sent = int(result.stdout.split()[1])
    return {"messages": sent, "seconds": round(result.seconds, 2),
            "per_second": round(sent / result.seconds), "peak_mb": round(result.peak_mb)}


def main() -> int:
    data = ROOT / "out" / "bench-data"
    paths = ensure_corpus(data, 50)
    manifest = data / "editions-50.toml"
    manifest.write_text(paths["manifest"].read_text() + (
        '\n[email]\nfrom_address = "Bench <bench@example.com>"\n'
        'asset_base_url = "https://example.com/bench"\n'), encoding="utf-8")
    work = Path(tempfile.mkdtemp(prefix="bench-editions-"))
    results: dict[str, dict] = {}
    try:
        for count in (50, 10_000):
            subs = subscribers(work / f"subscribers-{count}.csv", count)
            for engine in ("local", "dask"):
                print(f"[bench] editions: {count} subscribers, {engine} engine", flush=True)
                results[f"{engine}-{count}"] = editions_run(
                    manifest, subs, work / "out", work / "cache", dask=engine == "dask")
        print("[bench] deliver: 10,000 emails to a local SMTP sink", flush=True)
        emails = list((work / "out").glob("*/*.eml"))
        results["message_kb"] = round(sum(e.stat().st_size for e in emails) / len(emails) / 1024)
        results["deliver"] = deliver_run(work / "out", work / "cache", FAST_SINK)
        print("[bench] deliver: 2,000 emails to aiosmtpd", flush=True)
        results["deliver-aiosmtpd"] = deliver_run(first_rows(work / "out", 2000, work / "out-2000"),
                                                  work / "cache", AIOSMTPD_SINK)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results)
    (ROOT / "out" / "bench-editions.json").write_text(json.dumps(results, indent=2))
    return 0


def report(results: dict[str, dict]) -> None:
    print("\nEditions (50 selections of a 50-article issue; email edition each)")
    print(f"{'run':<22}{'seconds':>10}{'peak MB':>10}")
    for key in ("local-50", "local-10000", "dask-50", "dask-10000"):
        r = results[key]
        print(f"{key:<22}{r['seconds']:>10.1f}{r['peak_mb']:>10}")
    for engine in ("local", "dask"):
        ratio = results[f"{engine}-10000"]["seconds"] / results[f"{engine}-50"]["seconds"]
        print(f"{engine}: 10,000 subscribers take {ratio:.2f}x the time of 50 (target <= 1.5x): "
              f"{'met' if ratio <= 1.5 else 'NOT met'}")
    d, slow = results["deliver"], results["deliver-aiosmtpd"]
    size = results["message_kb"]
    print(f"deliver: {d['messages']} messages of ~{size} KB in {d['seconds']:.1f} s = "
          f"{d['per_second']}/s to the fast sink (target >= 200/s): "
          f"{'met' if d['per_second'] >= 200 else 'NOT met'}; {slow['per_second']}/s to aiosmtpd "
          f"({slow['messages']} messages; its line-by-line parsing is the limit there)")
    per_edition = results["local-50"]["seconds"] / 50 * 2  # core-seconds per edition
    per_subscriber = max(0.0, (results["local-10000"]["seconds"] - results["local-50"]["seconds"]) / 9950)
    print("Cost model, 100,000 subscribers over E distinct selections on W worker cores: "
          f"editions ~ E x {per_edition:.2f} core-s / W + 100,000 x {per_subscriber * 1000:.3f} ms "
          f"of planning; delivery ~ 100,000 / ({d['per_second']}/s per connection x connections) "
          f"= {100_000 / d['per_second'] / 60:.0f} min on one connection.")


if __name__ == "__main__":
    sys.exit(main())
