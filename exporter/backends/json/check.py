"""The JSON output's check: it parses, and says how many articles it holds."""

from __future__ import annotations

import json
from pathlib import Path

from ...findings import Checker, Finding, summarise


def check_json(path: Path) -> list[Finding]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [Finding("error", str(path), f"not valid JSON: {exc}")]
    passed = ["valid JSON"]
    if isinstance(data, dict) and "sections" in data:
        articles = sum(len(s.get("articles", [])) for s in data["sections"])
        passed.append(f"{articles} article{'s' if articles != 1 else ''}")
    return summarise(path, [], passed)


CHECKS: dict[str, Checker] = {".json": check_json}
