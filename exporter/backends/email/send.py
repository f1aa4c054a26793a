"""Sending a built .eml over SMTP: what `exporter send` does after building the email."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from ...errors import ExporterError, UsageError


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
    if not (_HOST.fullmatch(host) or _is_ipv6(host)) or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise UsageError("--smtp", f"expected HOST or HOST:PORT, not {text!r}")
    return host, int(port)


_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def parse_recipients(values: list[str]) -> list[str]:
    """Each `--to` value checked as one address, bare or as 'Name <addr>'.

    Strict on purpose: a loose parser turns "Bob Smith bob@example.com" into the
    mailbox `"Bob Smith bob"@example.com` and "not an address" into the local user `not`.
    """
    from email_validator import EmailNotValidError, validate_email

    recipients = []
    for value in values:
        try:
            # ASCII addresses only: smtplib and most servers cannot carry SMTPUTF8.
            checked = validate_email(value.strip(), check_deliverability=False,
                                     allow_display_name=True, allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise UsageError(f"--to {value}", f"not an email address: {exc} "
                                              "(give one address per --to)")
        recipients.append(formataddr((checked.display_name or "", checked.ascii_email)))
    if not recipients:
        raise UsageError("--to", "no recipient address")
    return list(dict.fromkeys(recipients))


def send_eml(path: Path, recipients: list[str], *, server: str, starttls: bool = False,
             user: str | None = None, password: str | None = None, timeout: float = 30) -> Sent:
    """Send the message in `path` to each recipient as a message of their own.

    One message per recipient, so no subscriber sees another's address; each copy gets
    its own To, Message-ID and a Date of the moment it is sent (the built .eml keeps
    the issue's, so builds stay reproducible). SMTP failures become one line.
    """
    data = path.read_bytes()
    headers = BytesParser(policy=policy.SMTP).parsebytes(data, headersonly=True)
    sender = parseaddr(str(headers.get("From", "")))[1]
    if not sender:
        raise ExporterError(path, "the message has no From address (set email.from_address)")
    host, port = parse_server(server)
    where = f"smtp://{host}:{port}"
    domain = sender.rpartition("@")[2] or "localhost"
    accepted: list[str] = []
    size = 0
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
            for recipient in recipients:
                message = personalised(data, recipient, domain)
                address = parseaddr(recipient)[1]
                if not smtp.sendmail(sender, [address], message):
                    accepted.append(address)
                size = len(message)
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise ExporterError(where, f"server said {exc.smtp_code} {text}")
    except smtplib.SMTPRecipientsRefused as exc:
        raise ExporterError(where, f"recipient refused: {', '.join(exc.recipients)}")
    except smtplib.SMTPException as exc:
        raise ExporterError(where, f"SMTP failed: {exc}")
    except ssl.SSLError as exc:
        raise ExporterError(where, f"STARTTLS failed: {exc.reason or exc}")
    except (OSError, socket.timeout) as exc:
        raise ExporterError(where, f"cannot connect: {exc.strerror or exc}")
    return Sent(str(headers.get("Subject", "")), sender, accepted, size, f"{host}:{port}")


_PER_COPY = re.compile(rb"^(?:To|Date|Message-ID):.*\r?\n(?:[ \t].*\r?\n)*", re.I | re.M)


def personalised(data: bytes, recipient: str, domain: str) -> bytes:
    """The built message with its To, Date and Message-ID replaced for one copy."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise ExporterError("email", "the built message has no header/body separator")
    head = _PER_COPY.sub(b"", head + b"\r\n")
    fresh = "".join(policy.SMTP.fold(name, value) for name, value in (
        ("To", recipient), ("Date", format_datetime(dt.datetime.now(dt.timezone.utc))),
        ("Message-ID", make_msgid(domain=domain))))
    return fresh.encode("ascii") + head + b"\r\n" + body
