"""`exporter send` against a real SMTP server (aiosmtpd on 127.0.0.1, started here)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from email import policy
from email.parser import BytesParser

import pytest

from conftest import FIXTURES, ROOT

from aiosmtpd.controller import Controller

pytestmark = pytest.mark.xdist_group("email")

MANIFEST = FIXTURES / "email" / "briefing.toml"


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _exporter(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "exporter", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=environment)


def test_send_delivers_both_parts(smtp_server, tmp_path):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", "reader@example.org",
                       "--smtp", f"127.0.0.1:{port}", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert 'sent "Asia Briefing · No. 42 · 24 June 2024"' in result.stdout
    assert "reader@example.org" in result.stdout and f"127.0.0.1:{port}" in result.stdout
    assert len(inbox.messages) == 1
    sender, recipients, data = inbox.messages[0]
    assert sender == "briefing@example.com" and recipients == ["reader@example.org"]
    built = (tmp_path / "briefing.eml").read_bytes()
    assert _without_copy_headers(data) == _without_copy_headers(built)
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert message["To"] == "reader@example.org"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    html = message.get_body(("html",)).get_content()
    assert "Typhoon season tests Manila" in html and "</html>" in html
    assert "Mekong falls to record low" in message.get_body(("plain",)).get_content()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_send_with_embedded_images(smtp_server, tmp_path):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", "a@example.org", "--to", "b@example.org",
                       "--smtp", f"127.0.0.1:{port}", "--embed-images")
    assert result.returncode == 0, result.stderr
    assert [m[1] for m in inbox.messages] == [["a@example.org"], ["b@example.org"]]
    _, _, data = inbox.messages[0]
    message = BytesParser(policy=policy.default).parsebytes(data)
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    assert len(related.get_payload()) == 6  # the HTML and five photos


def _without_copy_headers(data: bytes) -> bytes:
    """The message minus the headers each recipient's copy has its own of."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"\n".join(line for line in lines
                      if not line.startswith((b"To:", b"Date:", b"Message-ID:")))


def test_each_recipient_gets_a_copy_of_their_own_dated_now(smtp_server, tmp_path):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", "Ann Lee <ann@example.org>",
                       "--to", "bo@example.net", "--smtp", f"127.0.0.1:{port}", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [m[1] for m in inbox.messages] == [["ann@example.org"], ["bo@example.net"]]
    copies = [BytesParser(policy=policy.default).parsebytes(m[2]) for m in inbox.messages]
    assert [c["To"] for c in copies] == ["Ann Lee <ann@example.org>", "bo@example.net"]
    assert copies[0]["Message-ID"] != copies[1]["Message-ID"]
    built = BytesParser(policy=policy.default).parsebytes((tmp_path / "briefing.eml").read_bytes())
    assert built["Date"].datetime.date().isoformat() == "2024-06-24"  # the .eml stays reproducible
    for copy in copies:  # the issue is dated 2024; each copy carries the moment it was sent
        sent = copy["Date"].datetime
        assert abs(sent - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(hours=1)
        assert _without_copy_headers(copy.as_bytes()) == _without_copy_headers(copies[0].as_bytes())


@pytest.mark.parametrize("address", ["not an address", "Bob Smith bob@example.com",
                                     "a@example.org, b@example.org", "bob@", "",
                                     "josé@example.org"])
def test_a_bad_address_is_a_usage_error_and_nothing_is_sent(smtp_server, address):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", "ok@example.org", "--to", address,
                       "--smtp", f"127.0.0.1:{port}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "not an email address" in result.stderr
    assert inbox.messages == []


@pytest.mark.parametrize("server", ["bad:port:x", "host:0", "host:99999", "a b", ":25"])
def test_a_bad_smtp_server_is_a_usage_error(server):
    result = _exporter("send", str(MANIFEST), "--to", "ok@example.org", "--smtp", server)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--smtp" in result.stderr


def test_a_name_and_an_international_domain_are_encoded(smtp_server):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", '"Zoë Ng" <zoe@bücher.example>',
                       "--smtp", f"127.0.0.1:{port}")
    assert result.returncode == 0, result.stderr
    (_, recipients, data), = inbox.messages
    assert recipients == ["zoe@xn--bcher-kva.example"]
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert message["To"] == "Zoë Ng <zoe@xn--bcher-kva.example>"


def test_send_takes_only_email_options(smtp_server):
    inbox, port = smtp_server
    result = _exporter("send", str(MANIFEST), "--to", "ok@example.org", "--smtp",
                       f"127.0.0.1:{port}", "-O", "pdf.columns=2")
    assert result.returncode == 2 and "'pdf' is not being built" in result.stderr
    assert inbox.messages == []


def test_send_refused_connection_is_one_line(tmp_path):
    port = _free_port()  # nothing listens there
    result = _exporter("send", str(MANIFEST), "--to", "reader@example.org",
                       "--smtp", f"127.0.0.1:{port}")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"exporter: error: smtp://127.0.0.1:{port}: cannot connect")
    assert "Traceback" not in result.stderr


def test_send_login_needs_password_from_env(smtp_server):
    _, port = smtp_server
    env = {k: v for k, v in os.environ.items() if k != "EXPORTER_SMTP_PASSWORD"}
    result = subprocess.run([sys.executable, "-m", "exporter", "send", str(MANIFEST), "--to",
                             "reader@example.org", "--smtp", f"127.0.0.1:{port}", "--user", "me"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert "EXPORTER_SMTP_PASSWORD" in result.stderr


def test_send_needs_a_from_address(smtp_server, tmp_path):
    _, port = smtp_server
    manifest = tmp_path / "m.toml"
    samples = ROOT / "samples"
    text = MANIFEST.read_text().replace('from_address = "Asia Briefing <briefing@example.com>"\n', "")
    manifest.write_text(text.replace("../../../samples/", f"{samples}/"))
    result = _exporter("send", str(manifest), "--to", "reader@example.org", "--smtp", f"127.0.0.1:{port}")
    assert result.returncode == 1 and "from_address" in result.stderr


def test_starttls_refused_is_one_line(smtp_server):
    _, port = smtp_server  # a plain server: no STARTTLS on offer
    result = _exporter("send", str(MANIFEST), "--to", "reader@example.org",
                       "--smtp", f"127.0.0.1:{port}", "--starttls")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "STARTTLS" in result.stderr.upper()
