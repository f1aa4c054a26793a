"""The README documents what exists: every command has help, every manifest key is described."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import re

import pytest

from exporter import manifest
from exporter.backends import BACKENDS
from exporter.cli import _parser
from exporter.labels import label_keys

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README text under a '## title' heading, up to the next '## ' heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def subsection(text: str, title: str) -> str:
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^### |\Z)", text, re.M | re.S)
    assert match, f"the manifest reference has no '### {title}'"
    return match.group(1)


def commands(parser: argparse.ArgumentParser, path: str = "exporter"):
    """(path, parser, help) for every command and subcommand, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", sub, helps.get(name)
                yield from commands(sub, f"{path} {name}")


def test_every_command_and_subcommand_has_help_text():
    found = list(commands(_parser()))
    names = {path for path, _, _ in found}
    assert {"exporter build", "exporter inspect", "exporter check", "exporter preview",
            "exporter templates", "exporter templates list", "exporter templates copy",
            "exporter new"} <= names
    for path, parser, help_text in found:
        assert help_text and help_text.strip(), f"{path} has no help in the command list"
        assert parser.description, f"{path} has no description"
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert action.help, f"{path} {'/'.join(action.option_strings) or action.dest} has no help"


def test_every_command_is_mentioned_in_the_readme():
    for path, _, _ in commands(_parser()):
        assert f"`{path}" in README or f"{path} " in README, f"README never shows '{path}'"


REFERENCE_TABLES = {
    "Issue (top level)": manifest.ISSUE_KEYS,
    "`[links]`": manifest.LINK_KEYS,
    "`[[sections]]`": manifest.SECTION_KEYS,
    'Article entries (`{ source = "…", … }`)': manifest.ARTICLE_KEYS,
    "`[theme]`": manifest.THEME_KEYS,
    "`[labels]`": set(label_keys()),
}


@pytest.mark.parametrize("title", REFERENCE_TABLES)
def test_every_manifest_key_is_in_the_reference(title):
    text = subsection(section("Manifest reference"), title)
    documented = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    assert documented == REFERENCE_TABLES[title], f"{title}: README vs manifest.py"


def backend_tables() -> dict[str, str]:
    tables = {name: f"`[{name}]`" for name in manifest.BACKEND_TABLES}
    tables["json"] = "JSON (`-O json.KEY=VALUE` only)"
    return tables


@pytest.mark.parametrize("name", sorted(backend_tables()))
def test_every_registered_backend_option_is_in_the_reference(name):
    options = importlib.import_module(BACKENDS[name]).Options
    text = subsection(section("Manifest reference"), backend_tables()[name])
    documented = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    fields = {f.name for f in dataclasses.fields(options)}
    assert documented == fields, f"[{name}]: README vs {BACKENDS[name]}.Options"


def test_every_registered_backend_has_a_reference_table():
    for name in BACKENDS:
        assert name in backend_tables(), f"backend '{name}' has no table in the manifest reference"


def test_the_theme_guide_example_is_a_working_override(tmp_path):
    """The worked example in the README renders: extends the built-in, overrides one block."""
    from exporter.article_html import render_article
    from exporter.templating import environment

    from test_themes import ARTICLE, resolve

    guide = section("Theme guide")
    (example,) = re.findall(r"```jinja\n(.*?)```", guide, re.S)
    (tmp_path / "article.html").write_text(example)
    html = render_article(environment(tmp_path, {"masthead": "Harbour News"}), ARTICLE, resolve)
    assert "Read more from Harbour News" in html and 'class="headline"' in html


@pytest.mark.parametrize("title", ["For newsletter editors", "For briefing teams",
                                   "For e-reader readers", "Model reference", "Theme guide"])
def test_the_audience_and_reference_sections_exist(title):
    assert len(section(title).split()) > 50


def test_the_block_table_matches_the_templates():
    """Each row names a built-in template's blocks exactly; every template with blocks has a row."""
    from exporter.scaffold import builtin_names, template_info

    guide = section("Theme guide")
    rows = dict(re.findall(r"^\| `([\w/.]+)`[^|]*\| (`.*`) \|$", guide, re.M))
    names = builtin_names()
    for name, blocks in rows.items():
        if name not in names:
            continue  # a backend's template before that backend is merged
        assert tuple(re.findall(r"`(\w+)`", blocks)) == template_info(name).blocks, name
    with_blocks = {n for n in names if template_info(n).blocks}
    assert with_blocks <= set(rows), f"templates with blocks missing from the README: {with_blocks - set(rows)}"


def test_every_option_of_every_command_is_in_the_readme():
    def documented(option: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", README) is not None

    missing = [f"{path} {action.option_strings[-1]}"
               for path, parser, _ in commands(_parser()) for action in parser._actions
               if action.option_strings and "--help" not in action.option_strings
               and not any(documented(o) for o in action.option_strings)]
    assert missing == []
