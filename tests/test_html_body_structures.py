"""Body text that trafilatura alone loses: a paragraph the page prints twice (a refrain),
and the text of a layout table (a table framing paragraphs and lists, not data)."""

from __future__ import annotations

from pathlib import Path

from exporter.inline import to_text
from exporter.model import ListBlock, Paragraph, Table
from exporter.sources import Origin
from exporter.sources.html import read

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def body_of(name: str) -> list:
    page = FIXTURES / name
    return read(page.read_bytes(), Origin(page.name, page.parent))[0].body


def paragraphs(body: list) -> list[str]:
    return [to_text(b.text) for b in body if isinstance(b, Paragraph)]


def test_a_refrain_printed_twice_is_kept_twice() -> None:
    texts = paragraphs(body_of("repeated-paragraph.html"))
    refrain = [t for t in texts if t.startswith("Row me over")]
    assert len(refrain) == 2


def test_a_hidden_copy_of_a_paragraph_is_not_added() -> None:
    texts = paragraphs(body_of("repeated-paragraph.html"))
    assert sum(t.startswith("The choir's conductor") for t in texts) == 1


def test_two_versions_of_a_paragraph_for_two_screens_are_one() -> None:
    texts = paragraphs(body_of("repeated-paragraph.html"))
    assert sum(t.startswith("Tickets for next year") for t in texts) == 1


def test_a_layout_table_reads_as_paragraphs() -> None:
    body = body_of("layout-table.html")
    texts = paragraphs(body)
    assert any(t.startswith("Last month I was asked") for t in texts)
    assert any(t.startswith("All of these are fair") for t in texts)
    assert not any(isinstance(b, Table) and "twenty years ago" in to_text(b.rows[0][0])
                   for b in body if isinstance(b, Table) and b.rows)


def test_a_list_introduced_by_a_colon_follows_its_sentence() -> None:
    body = body_of("layout-table.html")
    at = next(i for i, b in enumerate(body) if isinstance(b, Paragraph)
              and to_text(b.text).endswith("into these groups:"))
    assert isinstance(body[at + 1], ListBlock)
    assert [to_text(i)[:20] for i in body[at + 1].items] == [
        '"You should use a si', '"Nobody reads pages ', '"Tables for layout h']


def test_a_data_table_stays_a_table() -> None:
    tables = [b for b in body_of("layout-table.html") if isinstance(b, Table)]
    assert [to_text(c) for c in tables[0].header] == ["Year", "Pages written"]
