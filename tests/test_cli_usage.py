"""The command line as a new user meets it: usage mistakes exit 2, every problem one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLES
from exporter.cli import main

ARTICLE = str(SAMPLES / "manila-floods.md")
HEAD = 'title = "T"\ndate = 2024-06-24\n'
SECTION = f'[[sections]]\narticles = ["{ARTICLE}"]\n'


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, list[str], str]:
    """(exit code, stderr lines, stdout) of one in-process `exporter` call."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, [line for line in err.splitlines() if line.startswith("exporter")], out


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return str(folder / name)


USAGE = {
    "unknown format": (["build", ARTICLE, "-f", "html"], "-f html: unknown format"),
    "-O without a value": (["build", ARTICLE, "-O", "pdf.columns"], "expected FORMAT.KEY=VALUE"),
    "-O misspelt format": (["build", ARTICLE, "-O", "pdff.columns=2"], "unknown format 'pdff'"),
    "-O wrong case": (["build", ARTICLE, "-O", "PDF.columns=2"], "unknown format 'PDF'"),
    "-O unknown format": (["build", ARTICLE, "-O", "foo.bar=1"], "unknown format 'foo'"),
    "-O format not built": (["build", ARTICLE, "-f", "json", "-O", "pdf.columns=2"],
                            "'pdf' is not being built"),
    "build with nothing": (["build"], "give a manifest, article sources, or --feed"),
    "--since yesterday": (["build", "--feed", "f.xml", "--since", "yesterday"], "not an age"),
    "--max 0": (["build", "--feed", "f.xml", "--max", "0"], "at least 1"),
    "--since without --feed": (["build", ARTICLE, "--since", "24h"], "--since: applies only to --feed"),
    "--title with a manifest": (["build", str(SAMPLES / "briefing.toml"), "--title", "X"],
                                "--title: applies to sources given directly"),
    "a manifest among sources": (["build", str(SAMPLES / "briefing.toml"), ARTICLE],
                                 "is a manifest: build it alone"),
    "preview a folder": (["preview", str(SAMPLES)], "is a folder; preview needs the issue manifest"),
    "preview an article": (["preview", ARTICLE], "preview needs an issue manifest (.toml), not an article"),
    "send an article": (["send", ARTICLE, "--to", "a@example.org"],
                        "send needs an issue manifest (.toml), not an article"),
}


@pytest.mark.parametrize("case", list(USAGE))
def test_usage_mistakes_exit_2_in_one_line(capsys, tmp_path, case):
    args, message = USAGE[case]
    code, lines, _ = run(capsys, *args, *(["-o", str(tmp_path / "o")] if args[0] == "build" else []))
    assert code == 2
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "o").exists()


def test_a_toml_file_by_another_name_is_read_as_a_manifest(capsys, tmp_path):
    misspelt = write(tmp_path, "issue.tml", HEAD + 'colour = "red"\n' + SECTION)
    code, lines, _ = run(capsys, "build", misspelt, "-f", "json", "-o", str(tmp_path / "o"))
    assert code == 1 and lines == [f"exporter: error: {misspelt}: unknown key 'colour'"]
    manifest = write(tmp_path, "m.toml", HEAD + SECTION)
    code, lines, _ = run(capsys, "build", manifest, ARTICLE, "-o", str(tmp_path / "o"))
    assert code == 2 and "is a manifest" in lines[0]


def test_every_mistake_in_a_manifest_is_reported_in_file_order(capsys, tmp_path):
    manifest = write(tmp_path, "m.toml", (
        'title = "T"\n'
        'date = "24 June"\n'
        'language = "english please"\n'
        'colour = "red"\n'
        '[links]\nunsubscribe = "example.com/unsub"\n'
        '[theme]\naccent = "blue"\n'
        '[[sections]]\n'
        f'articles = ["gone.md", {{ source = "{ARTICLE}", photo = "x.jpg" }}]\n'))
    code, lines, _ = run(capsys, "build", manifest, "-f", "json", "-o", str(tmp_path / "o"))
    assert code == 1
    assert [line.split(": ", 3)[-1] for line in lines] == [
        "'date' is not an ISO date (YYYY-MM-DD): '24 June'",
        "'language' must be a BCP 47 language tag such as en, pt-BR or zh-Hant, not 'english please'",
        "unknown key 'colour'",
        "'links.unsubscribe' must be a full https:// address, not 'example.com/unsub' "
        "(did you mean 'https://example.com/unsub'?)",
        "'theme.accent' must be a colour like #1a5fb4 or #15b, not 'blue'",
        "names a missing article: gone.md",
        "unknown key 'sections[0].articles[1].photo'",
    ]


@pytest.mark.parametrize("tag, good", [("en", True), ("zh-Hant", True), ("pt-BR", True),
                                       ("english please", False), ("123", False), ("xx", False)])
def test_language_is_a_bcp47_tag(capsys, tmp_path, tag, good):
    manifest = write(tmp_path, "m.toml", HEAD + f'language = "{tag}"\n' + SECTION)
    code, lines, _ = run(capsys, "inspect", manifest)
    assert (code == 0) == good, lines
    if not good:
        assert "BCP 47" in lines[0]


def test_an_article_language_is_a_bcp47_tag_too(capsys, tmp_path):
    manifest = write(tmp_path, "m.toml", HEAD + f'[[sections]]\narticles = [{{ source = "{ARTICLE}", '
                                                'language = "123" }]\n')
    code, lines, _ = run(capsys, "inspect", manifest)
    assert code == 1 and "'sections[0].articles[0].language' must be a BCP 47" in lines[0]


def test_a_build_names_every_unreadable_article(capsys, tmp_path):
    first = write(tmp_path, "bad.json", '{"headline": "x"}')
    second = str(tmp_path / "gone.md")
    code, lines, _ = run(capsys, "build", first, ARTICLE, second, "-f", "json",
                         "-o", str(tmp_path / "o"))
    assert code == 1 and len(lines) == 2, lines
    assert first in lines[0] and second in lines[1]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("output, message", [("afile", "is a file, not a folder"),
                                             ("/proc/nope", "cannot write the outputs there")])
def test_an_unusable_output_folder_is_one_line(capsys, tmp_path, output, message):
    target = write(tmp_path, "afile", "x") if output == "afile" else output
    code, lines, _ = run(capsys, "build", ARTICLE, "-f", "json", "-o", target)
    assert code == 1 and len(lines) == 1 and message in lines[0], lines
    assert "internal error" not in lines[0]


def test_inspect_reads_our_own_json_output(capsys, tmp_path):
    code, _, _ = run(capsys, "build", str(SAMPLES / "briefing.toml"), "-f", "json", "-q",
                     "-o", str(tmp_path))
    assert code == 0
    code, lines, out = run(capsys, "inspect", str(tmp_path / "briefing.json"), "--format", "text")
    assert code == 0, lines
    assert "When the first monsoon rains" in out


def test_check_of_an_empty_folder_says_there_is_nothing_to_check(capsys, tmp_path):
    code, _, out = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert out.startswith("error") and "nothing to check" in out


@pytest.mark.parametrize("link, hint", [("example.com/unsub", "did you mean 'https://example.com/unsub'?"),
                                        ("javascript:alert(1)", "not 'javascript:alert(1)'"),
                                        ("ftp://example.com/u", "must be a full https:// address"),
                                        ("http://example.com/u", "must be a full https:// address")])
def test_a_link_that_is_not_a_web_address_says_what_is_wrong(capsys, tmp_path, link, hint):
    manifest = write(tmp_path, "m.toml", HEAD + f'[links]\nunsubscribe = "{link}"\n' + SECTION)
    code, lines, _ = run(capsys, "inspect", manifest)
    assert code == 1 and len(lines) == 1 and "'links.unsubscribe'" in lines[0] and hint in lines[0]
