"""`make bench`: time our builds against pandoc and calibre on the same generated content.

For each issue size N (10, 50, 200 by default; QUICK=1 runs N=50 only; N=1000 is built
to EPUB only) it measures, as the median of 3 runs, each in a fresh process and with a
cold cache unless it says warm:

- stages: normalise, assets, email, PDF, EPUB (in-process, one after another);
- total: the whole `exporter build` command (all formats, concurrent), its wall time,
  peak memory of its process tree and output sizes;
- anchors: pandoc -> EPUB, pandoc -> PDF (WeasyPrint engine), calibre -> EPUB;
- warm rebuild: after one article's text changes, with the cache of a previous build,
  for each format alone and all together (N=50 and N=200), against the cold build;
- peak memory of each format built alone (N=200);
- N=50: EPUB from 50 saved web pages, extraction included;
- N=200: the PDF rendered in parallel by article against one process.

Prints a table and writes out/bench.json (one object per N). Benchmarks are not tests:
pytest never collects this folder (no test_ file names).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from generate import ensure_corpus  # noqa: E402
from measure import median, median_run, run  # noqa: E402

PY = sys.executable
OUR_FORMATS = ("email", "pdf", "epub")
REPEAT = int(os.environ.get("REPEAT", "3"))
BENCH_CSS = """@page { size: A4; margin: 2cm 2cm 2.2cm;
  @top-center { content: string(headline); font-size: 8pt }
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt } }
h1 { string-set: headline content(); break-before: page }
img { max-width: 100% }
"""


def env(cache: Path) -> dict[str, str]:
    e = dict(os.environ, EXPORTER_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    e["PATH"] = f"{Path(PY).parent}{os.pathsep}{e.get('PATH', '')}"  # weasyprint for pandoc
    return e


def available_formats() -> list[str]:
    out = subprocess.run([PY, "-c", "from exporter.backends import BACKENDS; print(','.join(BACKENDS))"],
                         capture_output=True, text=True, env=env(Path(tempfile.gettempdir())), cwd=ROOT)
    names = out.stdout.strip().split(",")
    return [f for f in OUR_FORMATS if f in names]


def fresh(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def exporter_cmd(*args: str) -> list[str]:
    return [PY, "-m", "exporter", "build", *args]


def measure_stages(manifest: Path, formats: list[str], work: Path) -> dict[str, float]:
    runs = []
    for _ in range(REPEAT):
        cache = work / "cache-stages"
        fresh(cache)
        out = subprocess.run([PY, str(HERE / "stages.py"), str(manifest), ",".join(formats)],
                             capture_output=True, text=True, env=env(cache), cwd=manifest.parent)
        if out.returncode != 0:
            return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: round(median([r[k] for r in runs]), 3) for k in runs[0]}


def measure_build(args: list[str], work: Path, cwd: Path, *, label: str) -> dict:
    """A cold build: fresh cache and output folder each time."""
    cache, out = work / f"cache-{label}", work / f"out-{label}"

    def before() -> None:
        fresh(cache)
        fresh(out)

    result, times = median_run(exporter_cmd(*args, "-o", str(out)), repeat=REPEAT, before=before,
                               env=env(cache), cwd=cwd)
    if result.returncode != 0:
        return {"error": result.stderr.strip()[-300:]}
    sizes = {p.suffix.lstrip(".") or p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    return {"seconds": round(result.seconds, 3), "runs": [round(t, 3) for t in times],
            "peak_mb": round(result.peak_mb, 1), "max_rss_mb": round(result.max_rss_mb, 1),
            "sizes": sizes}


def measure_warm(manifest: Path, articles: Path, formats: list[str], work: Path) -> dict:
    """Cold build, then change one article's text and rebuild with the same cache."""
    cache, out = work / "cache-warm", work / "out-warm"
    fresh(cache)
    fresh(out)
    cmd = exporter_cmd(str(manifest), "-f", ",".join(formats), "-o", str(out))
    cold = run(cmd, env=env(cache), cwd=manifest.parent)
    if cold.returncode != 0:
        return {"error": cold.stderr.strip()[-300:]}
    target = sorted(articles.glob("*.md"))[len(list(articles.glob("*.md"))) // 2]
    original = target.read_text(encoding="utf-8")
    times = []
    try:
        for k in range(REPEAT):
            target.write_text(original + f"\nA late update, number {k}, changes this article.\n",
                              encoding="utf-8")
            warm = run(cmd, env=env(cache), cwd=manifest.parent)
            if warm.returncode != 0:
                return {"error": warm.stderr.strip()[-300:]}
            times.append(warm.seconds)
    finally:
        target.write_text(original, encoding="utf-8")
    return {"cold_s": round(cold.seconds, 3), "warm_s": round(median(times), 3),
            "runs": [round(t, 3) for t in times], "speedup": round(cold.seconds / median(times), 2)}


def measure_anchor(cmd: list[str], cwd: Path, work: Path, output: Path) -> dict:
    if not shutil.which(cmd[0]):
        return {"error": f"{cmd[0]} not installed"}
    result, times = median_run(cmd, repeat=REPEAT, env=env(work / "cache-anchor"), cwd=cwd)
    if result.returncode != 0 or not output.exists():
        return {"error": (result.stderr.strip() or "no output")[-300:]}
    return {"seconds": round(result.seconds, 3), "runs": [round(t, 3) for t in times],
            "peak_mb": round(result.peak_mb, 1), "size": output.stat().st_size}


def anchors(paths: dict[str, Path], n: int, work: Path) -> dict:
    root = paths["manifest"].parent
    css = work / "bench.css"
    css.write_text(BENCH_CSS)
    epub, pdf, cal = work / f"pandoc-{n}.epub", work / f"pandoc-{n}.pdf", work / f"calibre-{n}.epub"
    return {
        "pandoc_epub": measure_anchor(["pandoc", str(paths["combined_md"]), "-s", "--toc",
                                       "-o", str(epub)], root, work, epub),
        "pandoc_pdf": measure_anchor(["pandoc", str(paths["combined_md"]), "-s", "--toc",
                                      "--css", str(css), "--pdf-engine=weasyprint",
                                      "-o", str(pdf)], root, work, pdf),
        "calibre_epub": measure_anchor(["ebook-convert", str(paths["combined_html"]), str(cal)],
                                       root, work, cal),
    }


def epub_imports(manifest: Path, work: Path) -> dict:
    """Which heavy modules an EPUB-only build loads (WeasyPrint must not be one)."""
    code = ("import sys; from pathlib import Path; from exporter.manifest import load_manifest; "
            "from exporter.build import build; p = load_manifest(Path(sys.argv[1])); "
            "build(p, ['epub'], Path(sys.argv[2])); "
            "print(','.join(m for m in ('weasyprint', 'pypdf', 'mjml', 'css_inline') if m in sys.modules))")
    out = subprocess.run([PY, "-c", code, str(manifest), str(work / "out-imports")], capture_output=True,
                         text=True, env=env(work / "cache-imports"), cwd=manifest.parent)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-300:]}
    loaded = [m for m in out.stdout.strip().split(",") if m]
    return {"pdf_only_modules_loaded": loaded, "ok": not loaded}


def ratio(a: dict, b: dict, key: str = "seconds") -> float | None:
    if key in a and key in b and b[key]:
        return round(a[key] / b[key], 2)
    return None


def bench_n(n: int, formats: list[str], data: Path, work_root: Path) -> dict:
    pages = 50 if n == 50 else 0
    paths = ensure_corpus(data, n, pages=pages)
    manifest, root = paths["manifest"], paths["manifest"].parent
    work = work_root / f"n{n}"
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"n": n, "formats": formats}
    if n >= 1000:  # the EPUB-only target
        if "epub" in formats:
            result["epub_only"] = measure_build([str(manifest), "-f", "epub"], work, root, label="epub")
        return result
    log(f"N={n}: stages")
    result["stages"] = measure_stages(manifest, formats, work)
    log(f"N={n}: full build")
    result["total"] = measure_build([str(manifest), "-f", ",".join(formats)], work, root, label="all")
    log(f"N={n}: anchors")
    result["anchors"] = a = anchors(paths, n, work)
    total = result["total"]
    result["ratios"] = {
        "total_vs_pandoc_pdf": ratio(total, a["pandoc_pdf"]),
        "pdf_size_vs_pandoc_pdf": (round(total["sizes"]["pdf"] / a["pandoc_pdf"]["size"], 3)
                                   if "pdf" in total.get("sizes", {}) and "size" in a["pandoc_pdf"]
                                   else None),
    }
    if "epub" in formats:
        log(f"N={n}: EPUB only")
        result["epub_only"] = e = measure_build([str(manifest), "-f", "epub"], work, root, label="epub")
        result["ratios"]["epub_vs_pandoc_epub"] = ratio(e, a["pandoc_epub"])
        result["ratios"]["epub_vs_calibre_epub"] = ratio(e, a["calibre_epub"])
        result["epub_imports"] = epub_imports(manifest, work)
    if pages and "epub" in formats:
        log(f"N={n}: EPUB from {pages} saved pages")
        page_files = sorted(str(p) for p in paths["pages"].glob("*.html"))
        s = measure_build([*page_files, "-f", "epub", "--title", "Benchmark Briefing"], work, root,
                          label="pages")
        result["saved_pages_epub"] = s
        result["ratios"]["pages_epub_vs_pandoc_epub"] = ratio(s, a["pandoc_epub"])
        result["ratios"]["pages_epub_vs_calibre_epub"] = ratio(s, a["calibre_epub"])
    if n in (50, 200):
        result["warm"] = {}
        for label, chosen in [*[(f, [f]) for f in formats], ("all", formats)]:
            log(f"N={n}: warm rebuild, {label}")
            result["warm"][label] = measure_warm(manifest, paths["articles"], chosen, work)
    if n >= 200:
        result["peak_mb"] = {}
        for f in formats:
            log(f"N={n}: peak memory, {f}")
            result["peak_mb"][f] = measure_build([str(manifest), "-f", f], work, root,
                                                 label=f"peak-{f}").get("peak_mb")
    if n >= 200 and "pdf" in formats:
        log(f"N={n}: PDF, one process vs parallel by article")
        single = measure_build([str(manifest), "-f", "pdf", "-O", "pdf.workers=1"], work, root,
                               label="pdf1")
        par = measure_build([str(manifest), "-f", "pdf", "-O", "pdf.workers=0"], work, root,
                            label="pdfn")
        result["pdf_single"], result["pdf_parallel"] = single, par
        result["ratios"]["pdf_parallel_vs_single"] = ratio(par, single)
    return result


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def targets(results: list[dict]) -> list[tuple[str, str, bool | None]]:
    """Each target of issue 7 with the measured value and whether it is met."""
    by_n = {r["n"]: r for r in results}
    out: list[tuple[str, str, bool | None]] = []

    def add(name: str, value: float | None, limit: float, fmt: str = "{:.2f}", less: bool = True) -> None:
        if value is None:
            out.append((name, "not measured", None))
        else:
            out.append((name, fmt.format(value), value <= limit if less else value >= limit))

    r50 = by_n.get(50, {})
    add("full build N=50 / pandoc PDF <= 1.0", r50.get("ratios", {}).get("total_vs_pandoc_pdf"), 1.0)
    add("EPUB from 50 pages / pandoc EPUB <= 1.0",
        r50.get("ratios", {}).get("pages_epub_vs_pandoc_epub"), 1.0)
    add("EPUB from 50 pages / calibre EPUB <= 0.33",
        r50.get("ratios", {}).get("pages_epub_vs_calibre_epub"), 1 / 3)
    add("PDF size N=50 / pandoc PDF size <= 0.2", r50.get("ratios", {}).get("pdf_size_vs_pandoc_pdf"), 0.2,
        "{:.3f}")
    r200 = by_n.get(200, {})
    for n, r, goal in ((50, r50, 5.0), (200, r200, 8.0)):
        for label, warm in (r.get("warm") or {"all": {}}).items():
            add(f"warm rebuild speed-up N={n}, {label} >= {goal:.0f}x", warm.get("speedup"), goal,
                "{:.1f}x", less=False)
    add("full build N=200 / pandoc PDF <= 1.0", r200.get("ratios", {}).get("total_vs_pandoc_pdf"), 1.0)
    add("parallel PDF N=200 / one process <= 0.6",
        r200.get("ratios", {}).get("pdf_parallel_vs_single"), 0.6)
    add("parallel PDF N=200 / one process <= 1.0 (never slower)",
        r200.get("ratios", {}).get("pdf_parallel_vs_single"), 1.0)
    add("peak memory N=200 <= 400 MB", r200.get("total", {}).get("peak_mb"), 400, "{:.0f} MB")
    for f, peak in (r200.get("peak_mb") or {}).items():
        add(f"peak memory N=200, {f} alone <= 400 MB", peak, 400, "{:.0f} MB")
    add("N=1000 to EPUB <= 15 s", by_n.get(1000, {}).get("epub_only", {}).get("seconds"), 15,
        "{:.1f} s")
    imports = r50.get("epub_imports", {})
    out.append(("EPUB-only build loads no PDF modules",
                ",".join(imports.get("pdf_only_modules_loaded", [])) or "none" if "ok" in imports
                else "not measured", imports.get("ok")))
    return out


def print_table(results: list[dict], checks: list[tuple[str, str, bool | None]]) -> None:
    cols = ["N", "normalise", "assets", "email", "pdf", "epub", "total", "peak MB",
            "pandoc pdf", "pandoc epub", "calibre", "total/pandoc pdf", "epub/pandoc"]
    rows = []
    for r in results:
        s, t, a, ra = r.get("stages", {}), r.get("total", {}), r.get("anchors", {}), r.get("ratios", {})

        def f(v, fmt="{:.2f}"):
            return fmt.format(v) if isinstance(v, (int, float)) else "-"

        if r["n"] >= 1000:
            e = r.get("epub_only", {})
            rows.append([str(r["n"]), "-", "-", "-", "-", f(e.get("seconds")) + " (only)", "-",
                         f(e.get("peak_mb"), "{:.0f}"), "-", "-", "-", "-", "-"])
            continue
        rows.append([str(r["n"]), f(s.get("normalise")), f(s.get("assets")), f(s.get("email")),
                     f(s.get("pdf")), f(s.get("epub")), f(t.get("seconds")), f(t.get("peak_mb"), "{:.0f}"),
                     f(a.get("pandoc_pdf", {}).get("seconds")), f(a.get("pandoc_epub", {}).get("seconds")),
                     f(a.get("calibre_epub", {}).get("seconds")), f(ra.get("total_vs_pandoc_pdf")),
                     f(ra.get("epub_vs_pandoc_epub"))])
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print("  ".join(cols))
        for row in rows:
            print("  ".join(row))
        for name, value, ok in checks:
            print(f"{'MET ' if ok else 'n/a ' if ok is None else 'MISS'} {name}: {value}")
        return
    table = Table(title="exporter benchmark (seconds, median of %d)" % REPEAT)
    for c in cols:
        table.add_column(c, justify="right")
    for row in rows:
        table.add_row(*row)
    console = Console(width=max(Console().width, 170))
    console.print(table)
    goals = Table(title="targets")
    for c in ("target", "measured", "met"):
        goals.add_column(c)
    for name, value, ok in checks:
        goals.add_row(name, value, "[green]yes" if ok else "[dim]n/a" if ok is None else "[red]no")
    console.print(goals)


def compile_package() -> None:
    """Bytecode for every module, as a wheel's install writes it: with
    PYTHONDONTWRITEBYTECODE set (CI, sandboxes) each timed process would otherwise compile
    the package's own modules again, a fifth of a second that no installed copy pays."""
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "exporter")], check=True)


def main() -> int:
    quick = os.environ.get("QUICK") == "1"
    compile_package()
    load_at_start = os.getloadavg()  # timings on a loaded machine say little: recorded
    sizes = [50] if quick else [int(x) for x in os.environ.get("BENCH_N", "10,50,200,1000").split(",")]
    out_dir = ROOT / "out"
    data = Path(os.environ.get("BENCH_DATA", out_dir / "bench-data"))
    work_root = Path(tempfile.mkdtemp(prefix="exporter-bench-"))
    formats = available_formats() or ["json"]  # before the backends exist: plumbing only
    log(f"formats: {','.join(formats) or 'none'}; sizes {sizes}; work in {work_root}")
    results = []
    try:
        for n in sizes:
            results.append(bench_n(n, formats, data, work_root))
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work_root, ignore_errors=True)
    checks = targets(results)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": load_at_start, "loadavg_at_end": os.getloadavg(),
                    "repeat": REPEAT,
                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        "results": results,
        "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks],
    }
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print_table(results, checks)
    print(f"written {out_dir / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
