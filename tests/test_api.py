"""The README's Python API example runs as written, in a fresh folder."""

from __future__ import annotations

import re

from conftest import ROOT


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python API\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README has no '## Python API' section"
    code = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    assert code, "the Python API section has no example"
    return code.group(1)


def test_the_readme_api_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), "README.md (Python API)", "exec"), {})
    assert "briefing.eml" in capsys.readouterr().out
    assert (tmp_path / "out" / "briefing.html").is_file()


def test_the_public_api_is_what_the_module_lists():
    import exporter

    assert all(hasattr(exporter, name) for name in exporter.__all__)
    assert (ROOT / "exporter" / "py.typed").is_file()


def test_a_build_does_not_load_mail_sending_editions_or_scaffolding():
    """A warm rebuild is mostly start-up: the command loads only what a build uses, and
    the rest of the API when it is first named."""
    import subprocess
    import sys

    script = ("import sys, exporter.cli, exporter; "
              "loaded = [m for m in ('exporter.editions', 'exporter.backends.email.send', 'exporter.scaffold') "
              "if m in sys.modules]; "
              "print(loaded, exporter.deliver.__module__, exporter.send_email.__name__)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.split() == ["[]", "exporter.editions.deliver", "send_eml"]
