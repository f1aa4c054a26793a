"""Measure how many listed photo captions the HTML source keeps as figure captions.

Runs our HTML source over the corpus pages named in `aeb-dev/figures-silver.json` and
prints two shares: listed captions found as figure captions (a caption counts when at
least 80 % of its words appear in one figure's caption + credit) and, of the listed
figures the silver file marks as credited, those whose credit we split out.

    python tests/eval_figures.py [--corpus ../shared/corpus] [--half dev] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from exporter.inline import to_text  # noqa: E402
from exporter.model import Figure  # noqa: E402
from exporter.sources import Origin  # noqa: E402
from exporter.sources.html import read  # noqa: E402

COVERAGE = 0.8
# Labels the source removes on purpose ("Image caption", "(Image credit: X)" -> "X").
LABELS = frozenset({"image", "photo", "photograph", "caption", "credit", "copyright"})


def words(text: str) -> Counter[str]:
    return Counter(w for w in re.findall(r"\w+", text.lower()) if w not in LABELS)


def coverage(listed: str, ours: str) -> float:
    """Share of the listed caption's words that our caption + credit contains."""
    want = words(listed)
    return sum((want & words(ours)).values()) / max(1, sum(want.values()))


def figure_text(figure: Figure) -> str:
    return f"{to_text(figure.caption or '')} {figure.credit or ''}"


def score_figures(corpus: Path, ids: set[str],
                  verbose: bool = False) -> tuple[int, int, int, int]:
    """Captions kept, captions listed, credits split, credits listed on pages `ids`."""
    base = corpus / "aeb-dev"
    silver = json.loads((base / "figures-silver.json").read_text(encoding="utf-8"))
    kept = listed = credited = credits_split = 0
    for page_id, page in sorted(silver.items()):
        if page_id not in ids:
            continue
        path = base / "html" / f"{page_id}.html"
        article = read(path.read_bytes(), Origin(str(path), None, page["url"]))[0]
        ours = article.figures()
        for item in page["figures"]:
            listed += 1
            best = max(ours, key=lambda f: coverage(item["caption"], figure_text(f)), default=None)
            hit = best is not None and coverage(item["caption"], figure_text(best)) >= COVERAGE
            kept += hit
            if item["credit"]:
                credited += 1
                credits_split += bool(hit and best is not None and best.credit)
            if verbose and not (hit and (best.credit or not item["credit"])):
                print(f"{page_id[:10]} {'credit' if hit else 'MISS  '} {item['caption'][:90]!r}")
    return kept, listed, credits_split, credited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--half", choices=("dev", "held-out", "all"), default="dev",
                        help="pages by sorted id: even positions (dev), odd (held-out), or all")
    parser.add_argument("--verbose", action="store_true", help="list every missed caption")
    args = parser.parse_args()
    ids = sorted(p.stem for p in (args.corpus / "aeb-dev" / "html").glob("*.html"))
    chosen = {"dev": ids[0::2], "held-out": ids[1::2], "all": ids}[args.half]
    kept, listed, split, credited = score_figures(args.corpus, set(chosen), args.verbose)
    print(f"captions kept as figure captions: {kept}/{listed} = {kept / max(1, listed):.1%}")
    print(f"credits split out: {split}/{credited} = {split / max(1, credited):.1%}")


if __name__ == "__main__":
    main()
