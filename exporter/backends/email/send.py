"""Sending a built .eml over SMTP: what `exporter send` does after building the email."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path

from ...errors import ExporterError


@dataclass(frozen=True)
class Sent:
    """What went out: for the one-line summary the CLI prints."""

    subject: str
    sender: str
    recipients: list[str]
    size: int
    server: str


def parse_server(text: str) -> tuple[str, int]:
    """'HOST', 'HOST:PORT' or '[IPv6]:PORT' -> (host, port); port 25 by default."""
    host, port = text, "25"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or "25"
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ExporterError("--smtp", f"expected HOST:PORT, not {text!r}")
    return host, int(port)


def send_eml(path: Path, recipients: list[str], *, server: str, starttls: bool = False,
             user: str | None = None, password: str | None = None, timeout: float = 30) -> Sent:
    """Send the message in `path` to `recipients` as it is; SMTP failures become one line."""
    data = path.read_bytes()
    headers = BytesParser(policy=policy.SMTP).parsebytes(data, headersonly=True)
    sender = parseaddr(str(headers.get("From", "")))[1]
    if not sender:
        raise ExporterError(path, "the message has no From address (set email.from_address)")
    addresses = [addr for _, addr in getaddresses(recipients) if addr]
    if not addresses:
        raise ExporterError("--to", "no recipient address")
    host, port = parse_server(server)
    where = f"smtp://{host}:{port}"
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if user:
                if password is None:
                    raise ExporterError(where, "--user needs the password in EXPORTER_SMTP_PASSWORD")
                smtp.login(user, password)
            refused = smtp.sendmail(sender, addresses, data)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise ExporterError(where, f"server said {exc.smtp_code} {text}")
    except smtplib.SMTPRecipientsRefused as exc:
        raise ExporterError(where, f"all recipients refused: {', '.join(exc.recipients)}")
    except smtplib.SMTPException as exc:
        raise ExporterError(where, f"SMTP failed: {exc}")
    except ssl.SSLError as exc:
        raise ExporterError(where, f"STARTTLS failed: {exc.reason or exc}")
    except (OSError, socket.timeout) as exc:
        raise ExporterError(where, f"cannot connect: {exc.strerror or exc}")
    accepted = [a for a in addresses if a not in refused]
    return Sent(str(headers.get("Subject", "")), sender, accepted, len(data), f"{host}:{port}")
