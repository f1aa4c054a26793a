"""Score the web-page and pasted-text sources on the three corpora, halves apart.

Our sources run in-process (two workers) and write what `exporter inspect` would print
into a scratch folder; the corpus's own scorers then read those files (`cat`), so the
figures are theirs, without paying an interpreter start per page. Each corpus is split
by sorted page id: even positions are the dev half (rules may be written looking at its
failures), odd positions the held-out half (never looked at). Trafilatura's figures are
the corpus README's.

    python tests/eval_corpora.py [--corpus ../shared/corpus] [--only aeb,pages,pasted]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from exporter.cli import body_lines  # noqa: E402
from exporter.errors import ExporterError, SourceWarning  # noqa: E402
from exporter.sources import read_source  # noqa: E402

# Trafilatura 2.3.1 on the same pages (../shared/corpus/README.md).
TRAFILATURA = {"aeb body F1": "0.965", "pages body bag F1": "0.926", "pages title exact": "38/63",
               "pages byline": "23/36", "pages published": "17/17",
               "pages captions kept": "12/73", "aeb captions": "none"}


def run_one(job: tuple[str, str | None, str, str]) -> None:
    """Write one page's output: the model's JSON ("json") or its body lines ("text")."""
    path, url, out, form = job
    try:
        articles = read_source(path, url=url)
    except ExporterError:
        Path(out).write_text("", encoding="utf-8")
        return
    if form == "json":
        text = json.dumps(articles[0].to_dict(), ensure_ascii=False)
    else:
        text = "\n".join(line for a in articles for line in body_lines(a))
    Path(out).write_text(text, encoding="utf-8")


def quiet_sources() -> None:
    """Each worker leaves out the sources' warnings to users (a footer dropped with prose
    under it): the figures are the eval's report, the warnings' lines would bury them."""
    warnings.simplefilter("ignore", SourceWarning)


def run_all(jobs: list[tuple[str, str | None, str, str]]) -> None:
    with Pool(2, initializer=quiet_sources) as pool:
        pool.map(run_one, jobs, chunksize=1)


def halves(ids: Iterable[str]) -> dict[str, set[str]]:
    """The dev half (even positions by sorted id) and the held-out half (odd)."""
    ordered = sorted(ids)
    return {"dev": set(ordered[0::2]), "held-out": set(ordered[1::2]), "all": set(ordered)}


def scorer(name: str, corpus: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(corpus / name), *args], check=True,
                   stdout=subprocess.DEVNULL)


def print_row(label: str, values: dict[str, str], reference: str = "") -> None:
    cells = "".join(f"{values.get(h, ''):>11}" for h in ("dev", "held-out", "all"))
    print(f"  {label:<30}{cells}{reference:>13}")


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'':<30}{'dev':>11}{'held-out':>11}{'all':>11}{'trafilatura':>13}")


def body_f1(truth: dict[str, dict], predicted: dict[str, str]) -> dict[str, str]:
    """The benchmark's 4-gram F1 (eval_extract.py's own functions) on each half."""
    import eval_extract  # noqa: PLC0415 (the corpus folder, put on sys.path by main)

    shares = {i: eval_extract.page_overlap(page["articleBody"], predicted.get(i, ""), 4)
              for i, page in truth.items()}
    return {h: "%.3f" % eval_extract.metrics_from_tp_fp_fns([shares[i] for i in sorted(ids)])["f1"]
            for h, ids in halves(truth).items()}


def aeb(corpus: Path, scratch: Path) -> None:
    """Body F1 on aeb-dev, then captions and credits on its silver figures."""
    truth = json.loads((corpus / "aeb-dev" / "ground-truth.json").read_text(encoding="utf-8"))
    run_all([(str(corpus / "aeb-dev" / "html" / f"{i}.html"), page["url"],
              str(scratch / f"aeb-{i}.txt"), "text") for i, page in truth.items()])
    predicted = {i: (scratch / f"aeb-{i}.txt").read_text(encoding="utf-8") for i in truth}
    header(f"aeb-dev ({len(truth)} pages)")
    print_row("body F1 (4-gram)", body_f1(truth, predicted), TRAFILATURA["aeb body F1"])
    from eval_figures import score_figures  # noqa: PLC0415 (beside this file)

    parts = halves(truth)
    figures = {h: score_figures(corpus, ids) for h, ids in parts.items()}
    print_row("captions kept as captions", {h: f"{k}/{n}" for h, (k, n, _, _) in figures.items()},
              TRAFILATURA["aeb captions"])
    print_row("credits split out", {h: f"{c}/{m}" for h, (_, _, c, m) in figures.items()})


def pasted(corpus: Path, scratch: Path) -> None:
    """Body F1 of the text source on pastes, beside the scorer's two naive references."""
    import eval_pasted  # noqa: PLC0415 (the corpus folder, put on sys.path by main)

    truth = json.loads((corpus / "aeb-dev" / "ground-truth.json").read_text(encoding="utf-8"))
    pastes = {i: (corpus / "pasted-dev" / f"{i}.txt").read_text(encoding="utf-8") for i in truth}
    run_all([(str(corpus / "pasted-dev" / f"{i}.txt"), None, str(scratch / f"pasted-{i}.txt"),
              "text") for i in truth])
    predicted = {i: (scratch / f"pasted-{i}.txt").read_text(encoding="utf-8") for i in truth}
    header(f"pasted-dev ({len(truth)} pastes)")
    print_row("body F1 (4-gram)", body_f1(truth, predicted))
    print_row("  reference: whole paste", body_f1(truth, pastes))
    print_row("  reference: longest lines",
              body_f1(truth, {i: eval_pasted.longest_lines(p) for i, p in pastes.items()}))


def pages(corpus: Path, scratch: Path) -> None:
    """Body, metadata and captions on Readability's test pages (eval_pages.py's figures)."""
    import eval_pages  # noqa: PLC0415 (the corpus folder, put on sys.path by main)

    expected = json.loads((corpus / "pages-dev" / "expectations.json").read_text(encoding="utf-8"))
    run_all([(str(corpus / "pages-dev" / name / "source.html"), page["url"],
              str(scratch / f"pages-{name}.json"), "json") for name, page in expected.items()])
    out = scratch / "pages.json"
    scorer("eval_pages.py", corpus, "--name", "exporter", "--json-out", str(out),
           "--cmd", f"cat {shlex.quote(str(scratch))}/pages-{{id}}.json")
    records = {r["page"]: r for r in json.loads(out.read_text(encoding="utf-8"))["pages"]}
    summary = {h: eval_pages.aggregate([records[i] for i in sorted(ids)])
               for h, ids in halves(records).items()}
    if FAILURES:
        dev = halves(records)["dev"]
        eval_pages.failures([records[i] for i in sorted(dev)], expected)
    header(f"pages-dev ({len(records)} pages)")
    print_row("body bag F1", {h: "%.3f" % s["body1"]["f1"] for h, s in summary.items()},
              TRAFILATURA["pages body bag F1"])
    print_row("body 4-gram F1", {h: "%.3f" % s["body4"]["f1"] for h, s in summary.items()})
    for field, label in (("title", "title exact"), ("title_lenient", "title lenient"),
                         ("byline", "byline"), ("published", "published (same day)"),
                         ("lang", "language")):
        print_row(label, {h: f"{s[field]['ok']}/{s[field]['of']}" for h, s in summary.items()},
                  TRAFILATURA.get(f"pages {label.split(' (')[0]}", ""))
    for key, label in (("as_caption", "captions kept as captions"),
                       ("only_as_text", "  only as text"), ("missing", "  missed")):
        print_row(label, {h: f"{s['captions'][key]}/{s['captions']['expected']}"
                          for h, s in summary.items()},
                  TRAFILATURA["pages captions kept"] if key == "as_caption" else "")


FAILURES = "--failures" in sys.argv  # pages-dev: list the dev half's misses (never held-out)
CORPORA: dict[str, Callable[[Path, Path], None]] = {"aeb": aeb, "pages": pages, "pasted": pasted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--only", default="aeb,pages,pasted", help="comma-separated corpora")
    parser.add_argument("--failures", action="store_true",
                        help="pages-dev: what each page of the dev half misses")
    args = parser.parse_args()
    sys.path.insert(0, str(args.corpus.resolve()))
    with tempfile.TemporaryDirectory(prefix="exporter-eval-") as scratch:
        for name in args.only.split(","):
            CORPORA[name](args.corpus.resolve(), Path(scratch))


if __name__ == "__main__":
    main()
