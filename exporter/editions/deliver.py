"""`exporter deliver`: every subscriber's edition sent once, recorded in a durable send log.

The log (SQLite in WAL mode, beside the editions) records each message before it is sent
and again once the server accepted it, so a run stopped anywhere, even by SIGKILL, resends
on the next run only what the server never confirmed. A message whose confirmation was
lost in the last instant is sent again with the same Message-ID, which lets a receiving
system recognise the repeat. Temporary SMTP failures (4xx, a dropped connection) are
retried with exponential backoff; permanent ones (5xx) are recorded and reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import quopri
import re
import smtplib
import socket
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from ..backends.email.message import one_line
from ..backends.email.send import parse_server
from ..errors import ExporterError
from ..labels import Labels, labels

LOG_NAME = "deliveries.sqlite"
INDEX_NAME = "editions.jsonl"
MEDIA_TYPES = {".epub": ("application", "epub+zip"), ".pdf": ("application", "pdf")}


@dataclass(frozen=True)
class Smtp:
    """Where and how to send."""

    server: str  # HOST:PORT
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Policy:
    """How hard to try, and how fast to go."""

    rate: float = 0.0  # messages per second at most; 0: as fast as the server takes them
    retries: int = 4  # further tries after a temporary failure
    backoff: float = 1.0  # seconds before the first retry, doubled each time


@dataclass
class Summary:
    sent: int = 0
    already: int = 0  # sent by an earlier run
    resent: int = 0  # unconfirmed by an earlier run that stopped, sent again
    failed: list[str] = field(default_factory=list)  # one line per permanent failure
    seconds: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """One message to one address: the edition's email, the Kindle book, or attached files."""

    key: str  # subscriber id and kind: unique in a delivery
    subscriber: dict
    kind: str  # "email", "kindle" or "files"
    recipient: str


class SendLog:
    """What was sent, durable across crashes: one row per delivery key."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)  # autocommit: each write is durable
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process
        self.db.execute("""CREATE TABLE IF NOT EXISTS messages (
            key TEXT PRIMARY KEY, subscriber TEXT, kind TEXT, recipient TEXT, message_id TEXT,
            status TEXT, attempts INTEGER DEFAULT 0, error TEXT, updated TEXT)""")

    def status(self, key: str) -> tuple[str, str | None] | None:
        row = self.db.execute("SELECT status, error FROM messages WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def mark(self, delivery: Delivery, message_id: str, status: str, error: str | None = None) -> None:
        self.db.execute(
            """INSERT INTO messages (key, subscriber, kind, recipient, message_id, status, attempts, error, updated)
               VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
               ON CONFLICT(key) DO UPDATE SET status = excluded.status, error = excluded.error,
               attempts = attempts + (excluded.status = 'sending'), updated = excluded.updated""",
            (delivery.key, delivery.subscriber["subscriber"], delivery.kind, delivery.recipient,
             message_id, status, error, dt.datetime.now(dt.timezone.utc).isoformat()))

    def close(self) -> None:
        self.db.close()


class Temporary(Exception):
    """A failure worth trying again later."""


class Permanent(Exception):
    """A failure that trying again will not mend."""


class Mailer:
    """One SMTP connection, opened on first use and again after the server drops it."""

    def __init__(self, smtp: Smtp) -> None:
        self.smtp = smtp
        self.host, self.port = parse_server(smtp.server)
        self.connection: smtplib.SMTP | None = None

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise (Temporary if 400 <= code < 500 else Permanent)(_said(code, text))
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise (Temporary if 400 <= exc.smtp_code < 500 else Permanent)(
                _said(exc.smtp_code, exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Temporary(f"connection to {self.host}:{self.port} failed: {exc}")

    def _connect(self) -> smtplib.SMTP:
        connection = smtplib.SMTP(self.host, self.port, timeout=self.smtp.timeout)
        # smtplib writes a command and its data in separate small sends; with Nagle's
        # algorithm each message then waits on the server's delayed ACK (~40 ms).
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.ehlo()
        if self.smtp.starttls:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if self.smtp.user:
            if self.smtp.password is None:
                raise Permanent("--user needs the password in EXPORTER_SMTP_PASSWORD")
            connection.login(self.smtp.user, self.smtp.password)
        return connection

    def _reset(self) -> None:
        try:
            if self.connection is not None:
                self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


def _said(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"server said {code} {' '.join(text.split())}"


class Messages:
    """Each delivery's message, made from its edition's files.

    The email is parsed once per edition into a skeleton with its two text parts cut
    out; each reader's copy is the skeleton with their headers and their merge fields
    filled in, so a message costs a string replacement, not a MIME serialisation.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.skeletons: dict[str, _Skeleton] = {}

    def make(self, delivery: Delivery, now: dt.datetime) -> tuple[str, str, bytes]:
        """(Message-ID, sender address, message bytes)."""
        row = delivery.subscriber
        skeleton = self._skeleton(self.out_dir / row["edition"] / row["message"])
        message_id = skeleton.message_id(row["subscriber"], delivery.kind)
        if delivery.kind == "email":
            data = skeleton.personal(row, delivery.recipient, message_id, now)
        else:
            data = self._with_files(delivery, skeleton, message_id, now)
        return message_id, skeleton.sender, data

    def _skeleton(self, eml: Path) -> _Skeleton:
        key = str(eml)
        if key not in self.skeletons:
            self.skeletons[key] = _Skeleton(eml.read_bytes())
        return self.skeletons[key]

    def _with_files(self, delivery: Delivery, skeleton: _Skeleton, message_id: str,
                    now: dt.datetime) -> bytes:
        """The Kindle book, or the PDF and EPUB, attached to a short note."""
        row = delivery.subscriber
        suffixes = (".epub",) if delivery.kind == "kindle" else (".pdf", ".epub")
        files = [self.out_dir / f for f in row["files"] if f.endswith(suffixes)]
        message = EmailMessage(policy=policy.SMTP)
        message["Subject"] = skeleton.subject
        message["From"] = skeleton.from_header
        message["To"] = delivery.recipient
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id
        names = ", ".join(p.name for p in files)
        message.set_content(f"{skeleton.subject}\n\nAttached: {names}\n")
        for path in files:
            maintype, subtype = MEDIA_TYPES[path.suffix]
            message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                                   filename=path.name)
        return message.as_bytes()


TEXT_MARK, HTML_MARK = b"@@exporter-text-part@@", b"@@exporter-html-part@@"
PERSONAL_HEADERS = ("to", "message-id", "date")


class _Skeleton:
    """An edition's .eml, ready to be copied for each reader."""

    def __init__(self, data: bytes) -> None:
        message = BytesParser(policy=policy.SMTP).parsebytes(data)
        self.subject = str(message.get("Subject", ""))
        self.from_header = str(message.get("From", ""))
        self.sender = parseaddr(self.from_header)[1]
        if not self.sender:
            raise Permanent("the edition's email has no From address (set email.from_address)")
        original = str(message.get("Message-ID", "")).strip("<> ")
        self.identity, _, self.domain = original.partition("@")
        parts = {p.get_content_type(): p for p in message.walk() if not p.is_multipart()}
        self.text = _EncodedPart(parts["text/plain"].get_content(), escape=str)
        self.html = _EncodedPart(parts["text/html"].get_content(), escape=html.escape)
        parts["text/plain"].set_payload(TEXT_MARK.decode())
        parts["text/html"].set_payload(HTML_MARK.decode())
        head, _, self.body = message.as_bytes(policy=policy.SMTP).partition(b"\r\n\r\n")
        self.head = [line for line in re.split(rb"\r\n(?![ \t])", head)
                     if line.split(b":", 1)[0].strip().lower().decode() not in PERSONAL_HEADERS]

    def message_id(self, subscriber: str, kind: str) -> str:
        """The same for this issue, reader and kind in every run: a retry is recognisable."""
        digest = hashlib.sha256(f"{self.identity}|{subscriber}|{kind}".encode()).hexdigest()
        return f"<{digest[:32]}@{self.domain or 'localhost'}>"

    def personal(self, row: dict, recipient: str, message_id: str, now: dt.datetime) -> bytes:
        fields = merge_fields(row)
        name = one_line(row.get("name"))  # written as raw bytes: no line break may get in
        headers = [f"To: {formataddr((name, recipient), charset='utf-8')}".encode(),
                   f"Date: {format_datetime(now)}".encode(), f"Message-ID: {message_id}".encode()]
        body = self.body.replace(TEXT_MARK, self.text.filled(fields)) \
            .replace(HTML_MARK, self.html.filled(fields))
        return b"\r\n".join(self.head + headers) + b"\r\n\r\n" + body


class _EncodedPart:
    """A text part quoted-printable encoded once; per reader only the merge tokens are.

    Where a line is cut is the encoder's choice (a soft line break, "=" at the end, joins
    it again on decoding), so the text between tokens is encoded once with a soft break
    where it stops mid-line, and each reader's values are encoded alone: a message of
    150 KB costs a few short encodings, not two long ones.
    """

    def __init__(self, text: str, escape: Callable[[str], str]) -> None:
        self.escape = escape
        self.pieces: list[bytes | str] = [  # odd places: a token; even: encoded text
            piece if place % 2 else _qp_piece(piece)
            for place, piece in enumerate(MERGE_TOKEN.split(text))]

    def filled(self, fields: dict[str, str]) -> bytes:
        return b"".join(piece if isinstance(piece, bytes)
                        else _qp_piece(self.escape(fields.get(piece, piece)))
                        for piece in self.pieces)


MERGE_TOKEN = re.compile(r"(%%[A-Z_]+%%)")  # backends.email.MERGE_FIELDS' form


def _qp_piece(text: str) -> bytes:
    """Quoted-printable of a piece of a line, ending in a soft break if it ends mid-line."""
    encoded = _qp(text)
    return encoded if not encoded or encoded.endswith(b"\r\n") else encoded + b"=\r\n"


def merge_fields(row: dict) -> dict[str, str]:
    """The email template's subscriber tokens (backends.email.MERGE_FIELDS) and their values."""
    from ..backends.email import MERGE_FIELDS

    name = row.get("name") or ""
    values = {"greeting": row.get("greeting") or greeting(labels("en"), name), "name": name,
              "email": row.get("email") or "", "id": row.get("subscriber") or ""}
    return {MERGE_FIELDS[key]: value for key, value in values.items()}


def greeting(words: Labels, name: str | None) -> str:
    """The email's first line for one reader, in their edition's language ("Bonjour Ann,")."""
    if name:
        return words.pgettext("greeting", "Hello %(name)s,", name=name)
    return words.pgettext("greeting_anonymous", "Hello,")


def _qp(text: str) -> bytes:
    return quopri.encodestring(text.encode("utf-8")).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def deliveries(out_dir: Path) -> Iterator[Delivery]:
    """Every message the editions' index asks for, in file order."""
    index = out_dir / INDEX_NAME
    try:
        lines = index.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ExporterError(str(out_dir), f"no {INDEX_NAME}: run `exporter editions` into it first")
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExporterError(f"{index}:{number}", f"not JSON: {exc}")
        formats = row.get("formats") or []
        if "email" in formats:
            yield Delivery(f"{row['subscriber']}/email", row, "email", row["email"])
        if "kindle" in formats:
            yield Delivery(f"{row['subscriber']}/kindle", row, "kindle", row["kindle"])
        if {"pdf", "epub"} & set(formats):
            yield Delivery(f"{row['subscriber']}/files", row, "files", row["email"])


def deliver(out_dir: Path, smtp: Smtp, rules: Policy = Policy(), *,
            on_progress: Callable[[int, int], None] | None = None) -> Summary:
    """Send what the log does not record as sent; returns what happened."""
    started = time.perf_counter()
    planned = list(deliveries(out_dir))
    log = SendLog(out_dir / LOG_NAME)
    messages = Messages(out_dir)
    mailer = Mailer(smtp)
    summary = Summary()
    pace = _Pace(rules.rate)
    try:
        for done, delivery in enumerate(planned, 1):
            _deliver_one(delivery, log, messages, mailer, rules, pace, summary)
            if on_progress:
                on_progress(done, len(planned))
    finally:
        mailer.close()
        log.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _deliver_one(delivery: Delivery, log: SendLog, messages: Messages, mailer: Mailer,
                 rules: Policy, pace: _Pace, summary: Summary) -> None:
    where = f"subscriber {delivery.subscriber['subscriber']} ({delivery.kind} to {delivery.recipient})"
    previous = log.status(delivery.key)
    if previous and previous[0] == "sent":
        summary.already += 1
        return
    if previous and previous[0] == "failed":
        summary.failed.append(f"{where}: {previous[1]} (recorded by an earlier run)")
        return
    try:
        message_id, sender, data = messages.make(delivery, dt.datetime.now(dt.timezone.utc))
    except (Permanent, OSError, KeyError) as exc:
        summary.failed.append(f"{where}: cannot make the message: {exc}")
        return
    for attempt in range(rules.retries + 1):
        pace.wait()
        log.mark(delivery, message_id, "sending")
        try:
            mailer.send(sender, delivery.recipient, data)
        except Temporary as exc:
            if attempt < rules.retries:
                time.sleep(rules.backoff * 2 ** attempt)
                continue
            # still temporary: the next run tries again
            log.mark(delivery, message_id, "deferred", str(exc))
            summary.failed.append(f"{where}: {exc} (gave up after {attempt + 1} tries; "
                                  "the next run tries again)")
        except Permanent as exc:
            log.mark(delivery, message_id, "failed", str(exc))
            summary.failed.append(f"{where}: {exc}")
        else:
            log.mark(delivery, message_id, "sent")
            summary.sent += 1
            summary.resent += previous is not None and previous[0] == "sending"
        return


class _Pace:
    """At most `rate` messages a second (0: no limit)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self) -> None:
        if self.interval:
            delay = self.next - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.next = max(self.next, time.monotonic()) + self.interval

