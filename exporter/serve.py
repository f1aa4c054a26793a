"""`exporter serve`: a live preview on 127.0.0.1 that rebuilds on change and reloads itself.

An editor keeps one browser tab open while editing: the email at desktop and phone width,
the web version, the PDF's pages and the EPUB's chapters. Every change to the manifest,
an article, a photo, a template or the theme rebuilds (reusing the build caches) and the
page reloads through server-sent events. A failed build is shown in one line above the
last good build, which stays on screen.
"""

from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from .errors import ExporterError
from .parallel import Launch

if TYPE_CHECKING:
    import http.server

    _RequestHandler = http.server.BaseHTTPRequestHandler
else:
    _RequestHandler = object  # http.server's, added by make_server

FORMATS = ["email", "pdf", "epub"]
PAGE_DPI = 60  # PDF page images: enough to read a layout, quick to make
HEARTBEAT = 15.0  # seconds between keep-alive comments on the event stream


@dataclass
class Snapshot:
    """One finished build: its folder and what the page shows of it. The page is made
    from this alone, since the folder may be removed while a request is answered."""

    folder: Path
    stem: str
    title: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # PDF page images, in order
    chapters: list[str] = field(default_factory=list)  # paths in the unpacked book


class PreviewState:
    """The last good build, the last error, and a generation number the page compares."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.generation = 0
        self.good: Snapshot | None = None
        self.previous: Snapshot | None = None  # kept while pages loaded from it finish
        self.error: str | None = None

    def publish(self, snapshot: Snapshot) -> None:
        with self.changed:
            old, self.previous, self.good, self.error = self.previous, self.good, snapshot, None
            self.generation += 1
            self.changed.notify_all()
        if old is not None:  # two builds ago: no page shows it any more
            shutil.rmtree(old.folder, ignore_errors=True)

    def fail(self, message: str) -> None:
        with self.changed:
            self.error = message
            self.generation += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """The generation once it differs from `seen`, or after `timeout` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout)
            return self.generation


@dataclass
class Made:
    """What a build process sends back: its result or its error, and the files it read."""

    error: str | None = None
    stem: str = ""
    title: str = ""
    warnings: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    chapters: list[str] = field(default_factory=list)
    watched: set[Path] = field(default_factory=set)
    watched_dirs: set[Path] = field(default_factory=set)


class Builder:
    """Builds the manifest into a fresh folder under `root` and publishes it to `state`."""

    def __init__(self, manifest: Path, root: Path, state: PreviewState, *,
                 templates: Path | None = None, offline: bool = False,
                 allow_private: bool = False) -> None:
        self.manifest, self.root, self.state = manifest, root, state
        self.templates, self.offline, self.allow_private = templates, offline, allow_private
        self.count = 0
        self.watched: set[Path] = {manifest.resolve()}
        self.watched_dirs: set[Path] = set()
        self.stamps: dict[Path, int | None] = {}  # each input's mtime as the last build read it
        self.lock = threading.Lock()
        self.closed = False

    def rebuild(self) -> None:
        """Build in a child process, which `close` can end at once, and publish the result."""
        self.count += 1
        folder = self.root / f"build-{self.count}"
        started = time.perf_counter()
        # As the build starts, so an edit while it reads is seen later, and a failed
        # build is not tried again until something changes.
        before = self.stamps = self._stamps()
        with self.lock:  # once the server stops, no build starts
            if self.closed:
                return
            launch = Launch([("preview", lambda _payload: self._build(folder))], isolate=True)
        try:
            with launch:
                (made,) = launch.run(None)
        except ExporterError as exc:  # the build process was ended (or crashed)
            made = Made(error=str(exc))
        if made.watched:
            self.watched, self.watched_dirs = made.watched, made.watched_dirs
            self.stamps = {**self._stamps(), **before}
        if made.error is not None:
            shutil.rmtree(folder, ignore_errors=True)
            self.state.fail(" ".join(made.error.split()))
            return
        self.state.publish(Snapshot(folder, made.stem, made.title, time.perf_counter() - started,
                                    made.warnings, made.pages, made.chapters))

    def _build(self, folder: Path) -> Made:
        """The build itself, in the child: what it made, or its one-line error, and what it read."""
        from .build import build
        from .manifest import load_manifest

        made = Made()
        try:
            project = load_manifest(self.manifest, allow_private=self.allow_private)
            if self.templates is not None:
                project.templates = self.templates.resolve()
            made.watched, made.watched_dirs = self._inputs(project)
            outputs, warnings = build(project, FORMATS, folder, offline=self.offline,
                                      allow_private=self.allow_private)
            made.pages = _pdf_pages(folder / f"{project.stem}.pdf", folder / "pages")
            made.chapters = _unpack_epub(folder / f"{project.stem}.epub", folder / "book")
        except ExporterError as exc:
            made.error = str(exc)
            return made
        made.stem, made.title = project.stem, project.issue.title
        made.warnings = warnings + [f"{o.format}: {w}" for o in outputs for w in o.warnings]
        return made

    def close(self) -> None:
        """End a build still going and start no other: Python would otherwise wait at exit
        for its processes to finish typesetting into a folder about to be removed."""
        with self.lock:
            self.closed = True
        _end_build_processes()

    def _inputs(self, project) -> tuple[set[Path], set[Path]]:  # project: manifest.Project
        """Every file the build read (the manifest, sources, photos, cover, logo), and the
        templates folder."""
        files = {self.manifest.resolve()}
        for article in project.issue.articles():
            location = Path(article.source.location)
            if article.source.location and not article.source.location.startswith(("http:", "https:")):
                files.add(location.resolve() if location.is_absolute()
                          else (project.root / location).resolve())
            base = project.base_dirs.get(article.id, project.root)
            for figure in article.figures():
                src = figure.image.src if figure.image else ""
                if src and "://" not in src:
                    files.add((base / src).resolve())
        for extra in (project.cover, project.theme.get("logo")):
            if extra:
                files.add(Path(extra).resolve())
        return files, ({project.templates.resolve()} if project.templates else set())

    def _stamps(self) -> dict[Path, int | None]:
        files = set(self.watched)
        for folder in self.watched_dirs:
            files.update(p for p in folder.rglob("*") if p.is_file())
        return {path: _mtime(path) for path in files}

    def stale(self) -> bool:
        """Whether an input changed since the last build read it, seen or not by the watcher
        (an edit made before the watcher was in place, or while it was being moved)."""
        return any(_mtime(path) != stamp for path, stamp in self.stamps.items())

    def concerns(self, path: str) -> bool:
        """Whether a changed file is one the build reads."""
        changed = Path(path).resolve()
        return changed in self.watched or any(changed.is_relative_to(d) for d in self.watched_dirs)

    def folders(self) -> list[Path]:
        """The folders to watch: those holding the watched files, outermost only."""
        folders = sorted({p.parent for p in self.watched if p.parent.is_dir()} |
                         {d for d in self.watched_dirs if d.is_dir()})
        return [f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders)]


def watch(builder: Builder, stop: threading.Event) -> None:
    """Rebuild whenever a file the build reads changes, until `stop` is set."""
    import watchfiles

    while not stop.is_set():
        folders = builder.folders()
        # every second without events too, to catch what changed before the watch began
        for changes in watchfiles.watch(*folders, stop_event=stop, debounce=300,
                                        raise_interrupt=False, rust_timeout=1000,
                                        yield_on_timeout=True):
            if any(builder.concerns(path) for _, path in changes) or builder.stale():
                builder.rebuild()
                if builder.folders() != folders:  # an article or template folder came or went
                    break


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # gone (or not yet there)
        return None


def _pdf_pages(pdf: Path, folder: Path) -> list[str]:
    """The PDF's pages as PNG images (pdftoppm), their names in order; none when
    poppler is not installed."""
    if not pdf.exists() or shutil.which("pdftoppm") is None:
        return []
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", str(PAGE_DPI), "-png", str(pdf), str(folder / "page")],
                   check=False, capture_output=True, timeout=300)
    return [p.name for p in sorted(folder.glob("*.png"))]


def _unpack_epub(epub: Path, folder: Path) -> list[str]:
    """The book's files, so that its chapters can be shown as they are; the chapters' paths."""
    if not epub.exists():
        return []
    with zipfile.ZipFile(epub) as book:
        book.extractall(folder)  # our own book: names were made by our backend
    return _chapters(folder)


def _chapters(book: Path) -> list[str]:
    """The book's reading order: chapter paths relative to the unpacked book."""
    from lxml import etree

    container = etree.parse(str(book / "META-INF" / "container.xml"))
    opf_path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    opf = etree.parse(str(book / opf_path))
    hrefs = {item.get("id"): item.get("href") for item in opf.xpath("//*[local-name()='item']")}
    base = Path(opf_path).parent
    return [(base / hrefs[ref]).as_posix()
            for ref in opf.xpath("//*[local-name()='itemref']/@idref") if ref in hrefs]


def page(state: PreviewState) -> str:
    """The preview page for the current state."""
    with state.changed:
        good, error, generation = state.good, state.error, state.generation
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(good.title if good else 'exporter serve')}</title>"
             f"<style>{STYLE}</style></head><body>"]
    if error:
        parts.append(f'<p class="error" role="alert">Build failed: {html.escape(error)}'
                     f'{" (showing the last good build)" if good else ""}</p>')
    if good is None:
        parts.append("<p>Building…</p>" if not error else "")
    else:
        parts.append(_sections(good))
    parts.append(f"<script>const generation = {generation};\n{SCRIPT}</script></body></html>")
    return "".join(parts)


def _sections(good: Snapshot) -> str:
    out = f"/out/{good.stem}"
    status = f"Built in {good.seconds:.1f} s" + (
        f" · {len(good.warnings)} warning(s): " + "; ".join(good.warnings) if good.warnings else "")
    pdf = ("".join(f'<img src="/out/pages/{name}" alt="PDF page {n}">'
                   for n, name in enumerate(good.pages, 1))
           or "<p>PDF pages need pdftoppm (apt-get install poppler-utils).</p>")
    epub = "".join(f'<iframe class="chapter" title="EPUB chapter {n}" src="/out/book/{c}"></iframe>'
                   for n, c in enumerate(good.chapters, 1))
    return (f'<header><h1>{html.escape(good.title)}</h1><p class="status">{html.escape(status)}</p></header>'
            f'<h2>Email</h2><div class="row">'
            f'<figure><iframe class="desktop" title="Email, desktop" src="{out}.html"></iframe>'
            f'<figcaption>Desktop, 600 px</figcaption></figure>'
            f'<figure><iframe class="phone" title="Email, phone" src="{out}.html"></iframe>'
            f'<figcaption>Phone, 375 px</figcaption></figure></div>'
            f'<h2>Web version</h2><iframe class="web" title="Web version" src="{out}.web.html"></iframe>'
            f'<h2>PDF</h2><div class="row pages">{pdf}</div>'
            f'<h2>EPUB</h2><div class="row">{epub}</div>')


STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 24px 48px; background: #f4f3f0; color: #222; }
h1 { font-size: 22px; margin: 16px 0 0; } h2 { font-size: 16px; margin: 28px 0 8px; }
.status { color: #555; margin: 4px 0; }
.error { background: #8b1a1a; color: #fff; padding: 8px 12px; margin: 12px 0 0; }
.row { display: flex; gap: 16px; overflow-x: auto; align-items: flex-start; }
figure { margin: 0; } figcaption { color: #555; font-size: 13px; }
iframe { border: 1px solid #ccc; background: #fff; height: 800px; }
.desktop { width: 640px; } .phone { width: 375px; } .web { width: 100%; }
.chapter { width: 420px; height: 620px; flex: none; }
.pages img { border: 1px solid #ccc; background: #fff; height: 520px; }
"""

SCRIPT = """
const events = new EventSource("/events");
events.onmessage = (event) => { if (Number(event.data) !== generation) location.reload(); };
"""


class Handler(_RequestHandler):
    """The page, its event stream, and files of the last good build (nothing else).

    Mixed into http.server's request handler by `make_server`, so that the HTTP modules
    load when a server starts, not with every `import exporter` (a build does not serve)."""

    state: PreviewState  # set on the subclass made by make_server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if not self._from_this_machine():
            return self._send(403, b"forbidden\n", "text/plain")
        path = urlsplit(self.path).path
        if path == "/":
            return self._send(200, page(self.state).encode("utf-8"), "text/html; charset=utf-8")
        if path == "/events":
            return self._events()
        if path.startswith("/out/"):
            return self._file(unquote(path[len("/out/"):]))
        return self._send(404, b"not found\n", "text/plain")

    def _from_this_machine(self) -> bool:
        """Only pages served from this address may call it (no DNS rebinding)."""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return host in ("127.0.0.1", "localhost")

    def _file(self, relative: str) -> None:
        good = self.state.good
        if good is None:
            return self._send(404, b"not built yet\n", "text/plain")
        root = good.folder.resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root):
            return self._send(404, b"not found\n", "text/plain")
        try:
            body = target.read_bytes()
        except OSError:  # not there, or its build was removed meanwhile
            return self._send(404, b"not found\n", "text/plain")
        self._send(200, body, _media_type(target))

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while True:
                generation = self.state.wait(seen, HEARTBEAT)
                message = f"data: {generation}\n\n" if generation != seen else ": alive\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = generation
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: the terminal is the editor's
        pass


MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".xhtml": "application/xhtml+xml",
               ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
               ".json": "application/json", ".txt": "text/plain; charset=utf-8"}


def _media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")


def make_server(state: PreviewState, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 only: the preview is never reachable from elsewhere."""
    import http.server

    handler = type("PreviewHandler", (Handler, http.server.BaseHTTPRequestHandler), {"state": state})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def _stop_on_sigterm(owner: int) -> Callable[[int, object], None]:
    """A SIGTERM handler that stops the server like Ctrl-C; build processes forked from it
    keep the default meaning (their parent ends them with SIGTERM)."""
    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt
    return handler


def _import_backends() -> None:
    """The typesetting libraries imported once, here: every build process forked from the
    server then starts with them loaded, not importing them anew (about a second)."""
    import importlib

    from .build import PRELOAD

    for modules in PRELOAD.values():
        for module in modules:
            importlib.import_module(module)


def _end_build_processes() -> None:
    """SIGKILL every process under this one: a worker inside a long C call (a layout, a
    PDF save) would run a SIGTERM handler only once the call returned."""
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # ended meanwhile
            pass
    import multiprocessing

    for child in multiprocessing.active_children():  # reaped, so none is left a zombie
        child.join(timeout=5)


def _descendants(pid: int) -> list[int]:
    """Every process under pid (Linux's /proc); elsewhere only multiprocessing's children."""
    tasks = Path(f"/proc/{pid}/task")
    if not tasks.is_dir():
        import multiprocessing

        return [child.pid for child in multiprocessing.active_children() if child.pid]
    found = []
    for task in tasks.iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def serve(manifest: Path, *, port: int = 8000, templates: Path | None = None,
          offline: bool = False, allow_private: bool = False,
          on_ready: Callable[[str], None] = print) -> None:
    """Serve the live preview until interrupted (Ctrl-C), then remove the build folders."""
    if not manifest.is_file():
        raise ExporterError(str(manifest), "serve needs a manifest (.toml) file")
    state = PreviewState()
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="exporter-serve-") as temp:
        builder = Builder(manifest, Path(temp), state, templates=templates, offline=offline,
                          allow_private=allow_private)
        try:
            server = make_server(state, port)
        except OSError as exc:
            raise ExporterError(f"--port {port}", f"cannot listen on 127.0.0.1: {exc.strerror}")
        _import_backends()
        builder.rebuild()
        watcher = threading.Thread(target=watch, args=(builder, stop), daemon=True)
        watcher.start()
        # `kill` stops it cleanly too; in place before the address is printed, since a
        # script that reads the address may kill it at once. Ctrl-C stops it even when
        # its parent left SIGINT ignored or blocked (both are inherited across exec).
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm(os.getpid()))
        previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            on_ready(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)
            stop.set()
            server.server_close()
            builder.close()
            watcher.join(timeout=5)
            with state.changed:  # wake the event streams so their threads end
                state.generation += 1
                state.changed.notify_all()
