"""`exporter send` against a real SMTP server (aiosmtpd on 127.0.0.1, started here)."""

from __future__ import annotations

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
    assert data.replace(b"\r\n", b"\n") == (tmp_path / "briefing.eml").read_bytes().replace(b"\r\n", b"\n")
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
    _, recipients, data = inbox.messages[0]
    assert recipients == ["a@example.org", "b@example.org"]
    message = BytesParser(policy=policy.default).parsebytes(data)
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    assert len(related.get_payload()) == 6  # the HTML and five photos


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
