"""Regenerate the expected JSON beside each pasted-text fixture, in one command.

    PYTHONPATH=$PWD python tests/regen_fixtures.py [NAME ...]

Golden files are never edited by hand: change the reader, run this, read the diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from exporter.sources import read_source

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def article_json(path: Path) -> dict[str, Any]:
    """The one article a fixture holds, with `source.location` reduced to the file name
    so the expectation does not depend on where the checkout lives."""
    articles = read_source(path)
    assert len(articles) == 1, f"{path.name}: expected one article, got {len(articles)}"
    data = articles[0].to_dict()
    data["source"]["location"] = Path(data["source"]["location"]).name
    return data


def expected_path(path: Path) -> Path:
    return path.with_suffix(".json")


def main(names: list[str]) -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        if names and path.stem not in names and path.name not in names:
            continue
        text = json.dumps(article_json(path), indent=2, ensure_ascii=False) + "\n"
        expected_path(path).write_text(text, encoding="utf-8")
        print(f"wrote {expected_path(path).relative_to(FIXTURES.parent.parent.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
