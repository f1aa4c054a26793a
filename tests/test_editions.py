"""Personal editions: 500 subscribers, 12 selections, delivered once each to a real SMTP server."""

from __future__ import annotations

import collections
import email
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from PIL import Image

from exporter.cli import main

pytestmark = pytest.mark.xdist_group("editions")

SECTIONS = {"Harbour": ["harbour"], "Schools": ["schools"], "Weather": ["weather"]}
TITLES = {"harbour": "Ferry pier reopens after storm repairs",
          "schools": "New term brings two more schools online",
          "weather": "Dry spell ends with a week of rain"}
# Twelve selections: sections x excluded tags x language.
SELECTIONS = [
    (sections, tags, language)
    for sections, tags in [("", ""), ("Harbour", ""), ("Schools;Weather", ""),
                           ("", "rain"), ("Harbour;Schools", ""), ("Weather", "")]
    for language in ("", "fr")
]


@pytest.fixture(scope="module")
def issue(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("editions-issue")
    for n, (name, title) in enumerate(TITLES.items()):
        Image.new("RGB", (600, 400), (40 + 60 * n, 90, 140)).save(folder / f"{name}.jpg")
        tags = "[rain, weather]" if name == "weather" else f"[{name}]"
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {title}\ndate: 2026-11-30\ntags: {tags}\nlead:\n  image: {name}.jpg\n"
            f"  caption: {title} (photo).\n  credit: Staff\n---\n\n"
            f"The {name} story in three short sentences. It matters. Readers asked for it.\n")
    sections = "".join(f'\n[[sections]]\ntitle = "{s}"\narticles = ["{a[0]}.md"]\n'
                       for s, a in SECTIONS.items())
    (folder / "issue.toml").write_text(
        'title = "Town Weekly"\nedition = "No. 7"\ndate = 2026-11-30\n'
        '[links]\nunsubscribe = "https://town.example/unsubscribe"\n'
        '[email]\nfrom_address = "Town Weekly <weekly@town.example>"\n' + sections)
    return folder


def _subscribers(folder: Path, count: int = 500) -> Path:
    rows = ["id,email,name,language,formats,sections,exclude_tags,kindle"]
    for n in range(count):
        sections, tags, language = SELECTIONS[n % len(SELECTIONS)]
        formats, kindle = ("email;kindle", f"reader{n}@kindle.example") if n % 50 == 0 else ("email", "")
        rows.append(f"s{n},reader{n}@mail.example,Reader {n},{language},{formats},{sections},{tags},{kindle}")
    path = folder / "subscribers.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


class Sink:
    """An aiosmtpd handler that keeps every accepted message, with scripted refusals."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, email.message.EmailMessage]] = []
        self.temporary: dict[str, int] = {}  # recipient -> 451 this many times first
        self.permanent: set[str] = set()  # recipients answered 550
        self.kill_after: tuple[int, int] | None = None  # (count, pid): SIGKILL the sender there
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        recipient = envelope.rcpt_tos[0]
        with self.lock:
            if self.kill_after and len(self.messages) == self.kill_after[0]:
                os.kill(self.kill_after[1], signal.SIGKILL)  # before this one is accepted
                self.kill_after = None
                return "451 4.3.0 try again"
            if self.temporary.get(recipient, 0) > 0:
                self.temporary[recipient] -= 1
                return "451 4.3.0 greylisted, try again"
            if recipient in self.permanent:
                return "550 5.1.1 no such user"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append((recipient, message))
        return "250 OK"


@pytest.fixture
def sink():
    handler = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"127.0.0.1:{port}"
    controller.stop()


@pytest.fixture(scope="module")
def editions(issue, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("editions") / "out"
    assert main(["editions", str(issue / "issue.toml"), "--subscribers",
                 str(_subscribers(issue)), "-o", str(out)]) == 0
    return out


def _fresh(editions: Path, tmp_path: Path) -> Path:
    """A copy of the built editions without a send log, so each test delivers from scratch."""
    import shutil

    target = tmp_path / "out"
    shutil.copytree(editions, target, ignore=shutil.ignore_patterns("deliveries.sqlite*"))
    return target


def test_twelve_selections_make_twelve_editions_for_500_subscribers(editions):
    folders = [p for p in editions.iterdir() if p.is_dir()]
    assert len(folders) == 12
    lines = [json.loads(line) for line in (editions / "editions.jsonl").read_text().splitlines()]
    assert len(lines) == 500
    assert {line["edition"] for line in lines} == {p.name for p in folders}
    for line in lines:
        for name in line["files"]:
            assert (editions / name).is_file()


def _titles(message) -> set[str]:
    page = message.get_body(("html",)).get_content()
    return {key for key, title in TITLES.items() if title in page}


def _expected(n: int) -> set[str]:
    sections, tags, _ = SELECTIONS[n % len(SELECTIONS)]
    chosen = sections.split(";") if sections else list(SECTIONS)
    keys = {a for s in chosen for a in SECTIONS[s]}
    return keys - ({"weather"} if tags == "rain" else set())


def test_every_subscriber_gets_exactly_their_sections_once(editions, sink, tmp_path):
    handler, server = sink
    out = _fresh(editions, tmp_path)
    assert main(["deliver", str(out), "--smtp", server, "--quiet"]) == 0
    by_recipient = collections.defaultdict(list)
    for recipient, message in handler.messages:
        by_recipient[recipient].append(message)
    assert len(handler.messages) == 510  # 500 emails and 10 Kindle books
    for n in range(500):
        (message,) = by_recipient[f"reader{n}@mail.example"]
        assert message["To"].addresses[0].addr_spec == f"reader{n}@mail.example"
        assert _titles(message) == _expected(n), n
        greeting = f"Bonjour Reader {n}," if SELECTIONS[n % len(SELECTIONS)][2] == "fr" \
            else f"Hello Reader {n},"
        assert greeting in message.get_body(("plain",)).get_content()
        assert greeting in message.get_body(("html",)).get_content()
    for n in range(0, 500, 50):
        (book,) = by_recipient[f"reader{n}@kindle.example"]
        (attachment,) = list(book.iter_attachments())
        assert attachment.get_content_type() == "application/epub+zip"
        assert attachment.get_content()[:2] == b"PK"
    ids = [m["Message-ID"] for _, m in handler.messages]
    assert len(set(ids)) == len(ids)


def test_french_editions_use_the_subscribers_language(editions):
    lines = [json.loads(line) for line in (editions / "editions.jsonl").read_text().splitlines()]
    french = {line["edition"] for line in lines if line["language"] == "fr"}
    assert len(french) == 6
    for name in french:
        page = next((editions / name).glob("*.html")).read_text()
        assert '<html lang="fr"' in page


def test_the_greeting_is_the_manifests_label_and_escaped_in_html(issue, sink, tmp_path):
    """[labels] greeting replaces the built-in one; a name is text, never markup."""
    manifest = tmp_path / "issue.toml"
    manifest.write_text((issue / "issue.toml").read_text().replace(
        "[links]", '[labels]\ngreeting = "Dear %(name)s,"\n'
        'greeting_anonymous = "Dear reader,"\n[links]'))
    for name in TITLES:
        for suffix in (".md", ".jpg"):
            (tmp_path / f"{name}{suffix}").write_bytes((issue / f"{name}{suffix}").read_bytes())
    (tmp_path / "subscribers.csv").write_text("id,email,name\na,a@mail.example,Ann <b>&\n"
                                              "b,b@mail.example,\n")
    out = tmp_path / "out"
    assert main(["editions", str(manifest), "--subscribers", str(tmp_path / "subscribers.csv"),
                 "-o", str(out)]) == 0
    handler, server = sink
    assert main(["deliver", str(out), "--smtp", server, "--quiet"]) == 0
    messages = dict(handler.messages)
    ann, nameless = messages["a@mail.example"], messages["b@mail.example"]
    assert "Dear Ann <b>&," in ann.get_body(("plain",)).get_content()
    assert "Dear Ann &lt;b&gt;&amp;," in ann.get_body(("html",)).get_content()
    assert "Dear reader," in nameless.get_body(("plain",)).get_content()


def test_the_date_header_is_the_time_of_sending(editions, sink, tmp_path):
    handler, server = sink
    out = _fresh(editions, tmp_path)
    before = time.time()
    assert main(["deliver", str(out), "--smtp", server, "--quiet"]) == 0
    sent = handler.messages[0][1]["Date"].datetime.timestamp()
    assert before - 2 <= sent <= time.time() + 2


def test_a_delivery_killed_half_way_sends_each_message_once_when_run_again(editions, sink, tmp_path):
    handler, server = sink
    out = _fresh(editions, tmp_path)
    command = [sys.executable, "-m", "exporter", "deliver", str(out), "--smtp", server, "--quiet"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    handler.kill_after = (200, first.pid)
    first.wait(timeout=120)
    assert first.returncode == -signal.SIGKILL
    assert len(handler.messages) == 200
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "310 sent" in again.stdout and "200 sent before" in again.stdout
    keys = collections.Counter((r, m["Message-ID"]) for r, m in handler.messages)
    assert len(keys) == 510 and set(keys.values()) == {1}


def test_temporary_failures_are_retried_and_permanent_ones_recorded(editions, sink, tmp_path, capsys):
    handler, server = sink
    out = _fresh(editions, tmp_path)
    handler.temporary["reader3@mail.example"] = 2
    handler.permanent.add("reader4@mail.example")
    assert main(["deliver", str(out), "--smtp", server, "--quiet", "--backoff", "0.01"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reader4@mail.example" in err and "550" in err
    recipients = collections.Counter(r for r, _ in handler.messages)
    assert recipients["reader3@mail.example"] == 1 and "reader4@mail.example" not in recipients
    assert len(handler.messages) == 509
    # a second run sends nothing again and still reports the recorded failure
    assert main(["deliver", str(out), "--smtp", server, "--quiet"]) == 1
    assert len(handler.messages) == 509
    assert "recorded by an earlier run" in capsys.readouterr().err


def test_bad_subscriber_rows_are_one_line_errors_naming_the_row(issue, tmp_path, capsys):
    path = tmp_path / "subscribers.jsonl"
    path.write_text('{"id": "a", "email": "a@mail.example"}\n'
                    '{"id": "b", "email": "not an address"}\n'
                    '{"id": "c", "email": "c@mail.example", "formats": ["fax"]}\n'
                    '{"id": "d", "email": "d@mail.example", "sections": ["Sport"]}\n'
                    '{"id": "e", "email": "e@mail.example", "formats": ["kindle"]}\n')
    out = tmp_path / "out"
    jobs_before = os.environ.get("EXPORTER_JOBS")
    assert main(["editions", str(issue / "issue.toml"), "--subscribers", str(path),
                 "-o", str(out)]) == 1
    assert f"{path}:2" in capsys.readouterr().err
    assert main(["editions", str(issue / "issue.toml"), "--subscribers", str(path),
                 "-o", str(out), "--keep-going"]) == 0
    err = capsys.readouterr().err
    for where in (f"{path}:2", f"{path}:3", "subscriber d", f"{path}:5"):
        assert where in err
    assert err.count("skipped") == 4
    assert len((out / "editions.jsonl").read_text().splitlines()) == 1
    # one edition is built in this process: its one-process setting must not stay behind
    assert os.environ.get("EXPORTER_JOBS") == jobs_before


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".html", ".txt", ".epub")}


def test_dask_cluster_builds_the_same_editions(issue, editions, tmp_path):
    from distributed import LocalCluster

    subscribers = tmp_path / "subscribers.csv"
    rows = (issue / "subscribers.csv").read_text().splitlines()[:25]  # each selection twice
    subscribers.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster:
        assert main(["editions", str(issue / "issue.toml"), "--subscribers", str(subscribers),
                     "-o", str(out), "--engine", "dask", "--scheduler", cluster.scheduler_address]) == 0
    built = {p.name for p in out.iterdir() if p.is_dir()}
    assert len(built) == 12
    for name in built:
        made, local = _digests(out / name), _digests(editions / name)
        assert made and made == {k: local[k] for k in made}, name


def test_a_reader_name_with_line_breaks_stays_inside_the_to_header(tmp_path):
    """The subscriber's name reaches the To header of every copy: one line, whatever it holds."""
    import datetime as dt

    import outputs
    from exporter.editions.deliver import _Skeleton

    skeleton = _Skeleton(outputs.make_eml(tmp_path / "issue.eml").read_bytes())
    row = {"subscriber": "r1", "name": "Eve\r\nBcc: victim@example.net\x00", "email": "eve@example.com"}
    data = skeleton.personal(row, "eve@example.com", "<x@example.com>",
                             dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc))
    message = email.message_from_bytes(data, policy=policy.default)
    assert "Bcc" not in message and message.get_all("To") == [
        '"Eve Bcc: victim@example.net" <eve@example.com>']


def test_a_part_encoded_once_decodes_to_each_readers_text():
    """deliver encodes an edition's text once and only the merge tokens per reader."""
    import html
    import quopri

    from exporter.editions.deliver import _EncodedPart, merge_fields

    fields = merge_fields({"name": "Zoë <b>", "greeting": "Bonjour Zoë <b>,", "email": "z@x.example",
                           "subscriber": "s1"})
    text = ("%%GREETING%%\n\n" + "Le port a rouvert lundi après une semaine de travaux. " * 4
            + " \nTrailing tab\t\n= signs = and dots\n.\n<p>%%NAME%% (%%EMAIL%%) %%SUBSCRIBER_ID%%"
            + " x" * 60 + "港口" * 300 + " %%NAME%% " * 3)
    for escape in (str, html.escape):
        whole = text
        for token, value in fields.items():
            whole = whole.replace(token, escape(value))
        encoded = _EncodedPart(text, escape).filled(fields)
        assert quopri.decodestring(encoded).decode("utf-8").replace("\r\n", "\n") == whole
        assert max(len(line) for line in encoded.split(b"\r\n")) <= 76
