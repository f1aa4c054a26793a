"""Property tests for the far end: generated models (from the JSON form: any Unicode, any
numbers) and generated backend options go to every backend, generated arguments to the
CLI; each gives a result or our own one-line ExporterError, never anything else.

Examples per test scale with HYPOTHESIS_PROFILE (see test_properties.py): "ci" in
`make test`, "long" under `make fuzz`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from exporter import cli
from exporter.assets import Assets
from exporter.backends import BACKENDS, Job, backend, make_options
from exporter.errors import ExporterError
from exporter.model import Issue

# Examples per backend in the "ci" profile: a PDF costs a second, JSON a millisecond.
EXAMPLES = {"json": 30, "email": 10, "epub": 8, "pdf": 6, "cli": 25}
SCALE = {"ci": 1, "dev": 5, "long": 25}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


def examples(name: str) -> settings:
    return settings(max_examples=EXAMPLES[name] * SCALE, deadline=None, suppress_health_check=HEALTH)


# -- models in their JSON form ------------------------------------------------------------

TEXT = st.text(max_size=40) | st.sampled_from(
    ["", " ", "\x01", "\ufffe", "\uffff", "\ud800", "<b>x</b>", "<a href='//[x'>y</a>", "&#0;",
     "\u202e", "中文", "😀", "javascript:alert(1)", "https://[news.example/x", "a" * 300])
NUMBER = st.integers() | st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63)])
URL = TEXT | st.sampled_from(["https://news.example/a", "mailto:a@b.example", "//evil.example/x",
                              "http://127.0.0.1/", "file:///etc/passwd"])
IMAGE = st.fixed_dictionaries(
    {"src": st.sampled_from(["p.jpg", "missing.jpg", "../outside.jpg", "data:x", "https://x.invalid/a.jpg"])
     | TEXT},
    optional={"alt": TEXT, "width": st.none() | NUMBER, "height": st.none() | NUMBER})
FIGURE = st.fixed_dictionaries({}, optional={"image": st.none() | IMAGE, "caption": st.none() | TEXT,
                                             "credit": st.none() | TEXT})
BLOCK = st.one_of(
    st.fixed_dictionaries({"type": st.just("paragraph"), "text": TEXT}),
    st.fixed_dictionaries({"type": st.just("heading"), "level": NUMBER, "text": TEXT}),
    st.fixed_dictionaries({"type": st.just("quote"), "text": TEXT},
                          optional={"attribution": st.none() | TEXT}),
    st.fixed_dictionaries({"type": st.just("list"), "ordered": st.booleans(),
                           "items": st.lists(TEXT, max_size=4)}),
    FIGURE.map(lambda f: {"type": "figure", **f}),
    st.fixed_dictionaries({"type": st.just("embed"), "url": URL},
                          optional={"title": TEXT, "caption": st.none() | TEXT}),
    st.fixed_dictionaries({"type": st.just("table"), "rows": st.lists(st.lists(TEXT, max_size=3), max_size=3)},
                          optional={"header": st.lists(TEXT, max_size=3), "caption": st.none() | TEXT}),
)
ARTICLE = st.fixed_dictionaries(
    {"title": TEXT, "source": st.fixed_dictionaries({"kind": st.just("markdown"), "location": TEXT}),
     "body": st.lists(BLOCK, max_size=6)},
    optional={"id": TEXT, "kicker": st.none() | TEXT, "standfirst": st.lists(TEXT, max_size=2),
              "authors": st.lists(TEXT, max_size=2), "publisher": st.none() | TEXT,
              "published": st.none() | TEXT | st.sampled_from(["2024-06-24", "2024-06-24T10:00:00Z"]),
              "updated": st.none() | TEXT, "url": st.none() | URL, "language": TEXT,
              "reading_time": NUMBER, "lead": st.none() | FIGURE, "tags": st.lists(TEXT, max_size=3)})
ISSUE = st.fixed_dictionaries(
    {"title": TEXT, "date": TEXT | st.just("2024-06-24"),
     "sections": st.lists(st.fixed_dictionaries({"articles": st.lists(ARTICLE, min_size=1, max_size=3)},
                                                optional={"title": st.none() | TEXT}),
                          min_size=1, max_size=2)},
    optional={"subtitle": st.none() | TEXT, "edition": st.none() | TEXT, "language": TEXT,
              "publisher": st.none() | TEXT,
              "links": st.fixed_dictionaries({}, optional={"web_version": st.none() | URL,
                                                           "unsubscribe": st.none() | URL,
                                                           "archive": st.none() | URL})})


# -- backend options, from each Options dataclass's own fields ----------------------------

ANY_VALUE = st.none() | st.booleans() | NUMBER | st.floats() | TEXT


def option_values(hint: typing.Any, right_kind: bool) -> st.SearchStrategy[typing.Any]:
    """Values of the option's own kind, or (not `right_kind`) anything at all."""
    choices = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Literal:
        right = st.sampled_from(typing.get_args(hint))
    elif choices and typing.get_origin(choices[0]) is typing.Literal:
        right = st.sampled_from(typing.get_args(choices[0]))
    elif hint is bool:
        right = st.booleans()
    elif hint is int:
        right = st.integers(0, 600)
    else:
        right = TEXT
    return right if right_kind else st.one_of(right, ANY_VALUE)


def options_table(name: str) -> st.SearchStrategy[dict[str, typing.Any]]:
    """Three times in four only values of the right kind, so that most examples build."""
    cls = backend(name).Options
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    right = st.fixed_dictionaries({}, optional={f.name: option_values(hints[f.name], True) for f in fields})
    wild = st.fixed_dictionaries({}, optional={f.name: option_values(hints[f.name], False) for f in fields})
    return st.one_of(right, right, right, wild)


# -- running them -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source folder with one small photo, which generated figures may name."""
    path = tmp_path_factory.mktemp("sources")
    PILImage.new("RGB", (40, 30), (30, 90, 160)).save(path / "p.jpg", "JPEG")
    return path


def build_or_error(name: str, document: dict, table: dict, folder: Path, out: Path) -> None:
    """Build the issue with the options; our own error is as good as an output."""
    try:
        issue = Issue.from_dict(document)
        options = make_options(backend(name).Options, table, f"[{name}]")
        assets = Assets(offline=True)
        assets.load_issue(issue, {a.id: folder for a in issue.articles()})
        out.mkdir(parents=True, exist_ok=True)
        result = backend(name).build(Job(issue=issue, assets=assets, out_dir=out, stem="issue"), options)
    except ExporterError as exc:
        assert "\n" not in str(exc)
        event(f"refused: {type(exc).__name__}")
        return
    event("built")
    assert result.files and all((path.is_file() and path.stat().st_size)
                                or (path.is_dir() and any(path.iterdir()))  # the email's photos
                                for path in result.files)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_any_model_and_options_build_or_fail_cleanly(name, folder, tmp_path):
    @examples(name)
    @given(document=ISSUE, table=options_table(name), run=st.integers(0, 10**9))
    def check(document: dict, table: dict, run: int) -> None:
        build_or_error(name, document, table, folder, tmp_path / str(run))

    check()


def test_the_json_form_of_any_model_is_a_fixed_point():
    """JSON -> model normalises (levels into 2-4, a computed reading time, unsafe URLs
    dropped); from there model -> JSON -> model changes nothing."""

    @examples("json")
    @given(document=ISSUE)
    def check(document: dict) -> None:
        try:
            once = Issue.from_dict(document).to_dict()
        except ExporterError:
            return
        assert Issue.from_dict(once).to_dict() == once

    check()


# -- the command line ---------------------------------------------------------------------

FLAG_VALUES = st.sampled_from(["", "0", "-1", "5", "9" * 30, "24h", "9999999999w", "inf", "nan", "x",
                               "²", "json", "pdf,epub", "json,json", "docx", "\x00"]) | st.text(max_size=12)
OPTION = st.builds("{}.{}={}".format, st.sampled_from([*BACKENDS, "x", ""]),
                   st.sampled_from(["indent", "dpi", "budget_kb", "quality", "columns", "mode", "x", ""]),
                   FLAG_VALUES)
BUILD_FLAGS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["--max", "--since", "--title", "--url", "-O"]), FLAG_VALUES).map(list),
    st.tuples(st.just("-O"), OPTION).map(list),
    st.sampled_from([["--keep-going"], ["--offline"], ["--strict"], ["--embed-images"], ["--bogus"],
                     ["--pdf-variant", "none"], ["--profile", "kobo"], ["--profile", "x"]])),
    max_size=4).map(lambda parts: [bit for part in parts for bit in part])


def test_any_build_arguments_give_a_result_a_usage_error_or_one_line(folder, tmp_path, monkeypatch):
    (folder / "a.md").write_text("---\ntitle: A story\n---\nSome words of the story.\n")
    monkeypatch.chdir(folder)

    @examples("cli")
    @given(flags=BUILD_FLAGS, feed=st.booleans(), run=st.integers(0, 10**9))
    def check(flags: list[str], feed: bool, run: int) -> None:
        argv = ["build", *(["--feed", "a.md"] if feed else ["a.md"]), "-f", "json",
                "-o", str(tmp_path / str(run)), *flags]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = cli.main(argv)
            except SystemExit as exit_:
                code = exit_.code
        message = stderr.getvalue()
        assert code in (0, 1, 2), (argv, message)
        assert "internal error" not in message and "Traceback" not in message, (argv, message)
        if code == 1:
            assert message.count("exporter: error:") == 1, (argv, message)

    check()


# -- what the properties found, kept as examples ---------------------------------------------

def test_an_option_that_is_not_valid_text_is_a_clean_error() -> None:
    """A lone surrogate (bytes of a command line that were no UTF-8) in a text option is
    refused by name; it used to fail deep in the email's link tracking and its .eml."""
    from exporter.errors import BuildError

    for option in ("utm_source", "to_address"):
        with pytest.raises(BuildError, match=rf"\[email\]\.{option}: is not valid text"):
            make_options(backend("email").Options, {option: "\ud800"}, "[email]")


def test_a_number_past_babels_precision_is_written_as_digits() -> None:
    """A reading time of 10**25 minutes (a generated model) is written out, not a crash."""
    from exporter.labels import labels

    assert labels("en").number(76076541166557540533665792) == "76076541166557540533665792"
    assert labels("en").number(1234) == "1,234"
