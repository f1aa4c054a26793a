"""The issue manifest: sections, per-article overrides, images resolved from the manifest."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from exporter.build import prepare_assets
from exporter.manifest import load_manifest

from conftest import ROOT, SAMPLES


def test_overrides_attach_a_photo_and_set_the_kicker(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.md").write_text(
        "---\ntitle: A\nlead:\n  caption: 'A caption. Photo: AP'\n---\nText.")
    manifest = tmp_path / "issue.toml"
    manifest.write_text(
        'title = "I"\ndate = 2024-06-24\nintro = "Hello *reader*."\n[[sections]]\ntitle = "S"\n'
        'articles = [{source = "articles/a.md", kicker = "News", '
        'lead_image = "photo.jpg"}]\n')
    from PIL import Image

    Image.new("RGB", (800, 600), "navy").save(tmp_path / "photo.jpg")
    project = load_manifest(manifest)
    (article,) = project.issue.articles()
    assert article.kicker == "News"
    assert article.lead.image.src == "../photo.jpg"
    assert article.lead.caption == "A caption." and article.lead.credit == "AP"
    assert project.issue.intro[0].text == "Hello <em>reader</em>."
    assets = prepare_assets(project, offline=True)
    assert not assets.warnings and assets.get(article, article.lead.image).width == 800


def test_sample_manifest_has_two_sections_and_an_editors_note():
    project = load_manifest(SAMPLES / "briefing.toml")
    assert [s.title for s in project.issue.sections] == ["Security", "Region"]
    assert project.issue.intro and len(project.issue.articles()) == 4
    assert len({a.id for a in project.issue.articles()}) == 4


def test_installed_wheel_carries_the_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("exporter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "exporter/templates/article.html" in names
    assert "exporter/cli.py" in names
