"""The `exporter` command: a thin layer over the public Python API (`exporter/__init__.py`).

Exit codes: 0 done, 1 bad input or a failed build (one line per problem on stderr, no
traceback), 2 usage.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import re
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, NoReturn

import exporter
from exporter import (Article, ExporterError, Heading, ListBlock, Paragraph, Quote, Table,
                      UsageError, to_text)


def run() -> NoReturn:
    """The `exporter` command: `main`, then out without taking the interpreter apart.

    A build leaves WeasyPrint's, lxml's and pikepdf's objects by the hundred thousand,
    and freeing them one at a time at exit took 0.1–0.35 s: a quarter of a rebuild after
    one edit. The exit handlers still run (logging, multiprocessing, temporary folders)
    and the streams are flushed; only that freeing is skipped, the system taking the
    memory back at once. `main` itself returns normally, for callers in Python, and so
    does this under a profiler or a debugger, which report when the program ends.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    _use_refresh(args)
    try:
        return args.run(args)
    except UsageError as exc:
        _error(str(exc))
        return 2
    except ExporterError as exc:
        for problem in getattr(exc, "problems", None) or [exc]:
            _error(str(problem))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # last resort: still one line, the traceback only on request
        if os.environ.get("EXPORTER_DEBUG"):
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc} (EXPORTER_DEBUG=1 shows details)")
        return 1


def _error(message: str) -> None:
    print(f"exporter: error: {' '.join(message.split())}", file=sys.stderr)


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    """A source's warning as one line like every other; others as Python shows them."""
    if issubclass(category, exporter.SourceWarning):
        _warn(str(message))
    else:
        _PYTHON_SHOWWARNING(message, category, *args, **kwargs)


_PYTHON_SHOWWARNING = warnings.showwarning


def _warn(message: str) -> None:
    print(f"exporter: warning: {' '.join(message.split())}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exporter",
        description="Turn news articles into email newsletters, PDF briefings and EPUBs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = commands.add_parser(
        "inspect", help="print an article (or a manifest's whole issue) as the model's JSON",
        description="Print a source's article, or a manifest's issue, in the model's JSON form.")
    inspect.add_argument("source", help="a source file, an http(s) URL, or a manifest (.toml)")
    inspect.add_argument("--url", help="the page's canonical URL (resolves relative links)")
    inspect.add_argument("--format", choices=("json", "text"), default="json",
                         help="json (default) or text: body paragraphs only, one per line")
    _network_flags(inspect)
    inspect.set_defaults(run=_inspect)
    _theme_commands(commands)

    build = commands.add_parser(
        "build", help="build an issue into email, PDF and EPUB",
        description="Build a manifest, or sources given directly, into the chosen formats.")
    build.add_argument("inputs", nargs="*", metavar="MANIFEST_OR_SOURCE",
                       help="one manifest (.toml), or article sources (files or URLs)")
    build.add_argument("-f", "--formats", help="comma-separated formats (default: all)")
    build.add_argument("-o", "--output", type=Path, default=Path("out"), help="output folder")
    build.add_argument("--url", help="canonical URL of a single source page")
    build.add_argument("--keep-going", action="store_true",
                       help="report an unreadable article and leave it out instead of stopping")
    build.add_argument("--feed", metavar="URL_OR_FILE", help="make an issue of a feed's newest entries")
    build.add_argument("--max", type=_positive, default=None, metavar="N",
                       help="with --feed: at most N entries")
    build.add_argument("--since", type=_age, metavar="AGE",
                       help="with --feed: only entries newer than AGE (30m, 24h, 7d, 2w)")
    build.add_argument("--title", help="issue title when building sources or a feed directly "
                                       "(a manifest sets its own)")
    build.add_argument("--offline", action="store_true",
                       help="fetch no remote images (pages and feeds you name are still fetched)")
    build.add_argument("--strict", action="store_true",
                       help="email: fail instead of switching to teasers when over the size budget")
    build.add_argument("--embed-images", action="store_true",
                       help="email: put the photos in the message (CID parts) instead of hosting them")
    build.add_argument("--pdf-variant", choices=("pdf/ua-1", "pdf/a-3b", "none"),
                       help="PDF standard to follow (default pdf/ua-1: tagged for accessibility)")
    build.add_argument("--profile", choices=("generic", "kindle", "kobo", "koreader"),
                       help="EPUB device profile for image sizes and greyscale")
    build.add_argument("-O", "--option", action="append", default=[], metavar="FORMAT.KEY=VALUE",
                       help="set a backend option, e.g. -O pdf.columns=2")
    _build_output_flags(build)
    _network_flags(build)
    build.set_defaults(run=_build)

    send = commands.add_parser(
        "send", help="build an issue's email and send it over SMTP",
        description="Build the email of a manifest and send the .eml over SMTP. The password "
                    "is read from the EXPORTER_SMTP_PASSWORD environment variable.")
    send.add_argument("manifest", metavar="MANIFEST", help="the issue manifest (.toml)")
    send.add_argument("--to", action="append", required=True, metavar="ADDR",
                      help="recipient address (repeat for several)")
    _smtp_flags(send)
    send.add_argument("-o", "--output", type=Path, default=None,
                      help="keep the built email in this folder (default: a temporary one)")
    send.add_argument("--strict", action="store_true", help="fail when over the size budget")
    send.add_argument("--embed-images", action="store_true", help="put the photos in the message")
    send.add_argument("--offline", action="store_true",
                      help="fetch no remote images (article URLs are still fetched)")
    send.add_argument("-O", "--option", action="append", default=[], metavar="email.KEY=VALUE",
                      help="set an email option, e.g. -O email.mode=teaser")
    _network_flags(send)
    send.set_defaults(run=_send)
    _edition_commands(commands)
    return parser


def _smtp_flags(parser: argparse.ArgumentParser) -> None:
    """Where `send` and `deliver` hand their messages over."""
    parser.add_argument("--smtp", default="localhost:25", metavar="HOST:PORT",
                        help="SMTP server (default localhost:25)")
    parser.add_argument("--starttls", action="store_true", help="upgrade the connection with STARTTLS")
    parser.add_argument("--user", help="SMTP login (password from EXPORTER_SMTP_PASSWORD)")


def _network_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-private", action="store_true",
                        help="allow fetching from loopback and private network addresses")
    parser.add_argument("--refresh", action="store_true",
                        help="fetch pages and images again instead of using the cache (feeds always are)")


def _inspect(args: argparse.Namespace) -> int:
    if exporter.is_manifest(Path(args.source)):
        project = exporter.load_manifest(Path(args.source), allow_private=args.allow_private)
        data: Any = project.issue.to_dict()
        articles = project.issue.articles()
    else:
        articles = exporter.read(args.source, url=args.url, allow_private=args.allow_private)
        data = articles[0].to_dict() if len(articles) == 1 else [a.to_dict() for a in articles]
    if args.format == "text":
        print("\n".join(line for a in articles for line in body_lines(a)))
    else:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def body_lines(article: Article) -> list[str]:
    """The article's running text as plain lines: no captions, credits or furniture."""
    lines: list[str] = []
    for block in article.body:
        if isinstance(block, (Paragraph, Heading, Quote)):
            lines.append(to_text(block.text))
        elif isinstance(block, ListBlock):
            lines.extend(to_text(item) for item in block.items)
        elif isinstance(block, Table):
            lines.extend(" ".join(to_text(cell) for cell in row) for row in [block.header, *block.rows])
    return [line for line in lines if line.strip()]


def _build(args: argparse.Namespace) -> int:
    from .progress import BuildProgress, is_terminal, print_summary

    formats = exporter.parse_formats(args.formats)
    overrides = _overrides(args, formats)
    with (BuildProgress(formats, enabled=is_terminal(sys.stderr) and not args.quiet) as progress,
          exporter.Backends(formats, progress=progress) as backends):
        progress("sources")
        project = _project(args)
        _use_templates(project, args.templates)
        outputs, warnings = backends.build(project, args.output, overrides=overrides,
                                           offline=args.offline, allow_private=args.allow_private)
    for skipped in project.skipped:
        _warn(f"skipped {skipped}")
    for warning in warnings:
        _warn(warning)
    table = is_terminal(sys.stdout) and not args.quiet
    if not table:  # the table has a warnings column
        for output in outputs:
            for warning in output.warnings:
                _warn(f"{output.format}: {warning}")
    print_summary(outputs, table=table)
    if args.check:
        # the built files only: a format's folder of photos is checked through its file
        return _check_files([p for output in outputs for p in output.files if p.is_file()])
    return 0


def _send(args: argparse.Namespace) -> int:
    import tempfile

    recipients = exporter.parse_recipients(args.to)
    exporter.parse_server(args.smtp)
    overrides = _overrides(args, ["email"])
    project = exporter.load_manifest(_manifest_argument(args.manifest, "send"),
                                     allow_private=args.allow_private)
    if not {**project.options.get("email", {}), **overrides.get("email", {})}.get("from_address"):
        raise ExporterError(args.manifest, "sending needs a sender: set from_address in the "
                            "manifest's [email] table (or -O email.from_address=ADDR)")
    with tempfile.TemporaryDirectory(prefix="exporter-send-") as temp:
        out_dir = args.output or Path(temp)
        outputs, warnings = exporter.build(project, ["email"], out_dir, overrides=overrides,
                                  offline=args.offline, allow_private=args.allow_private)
        for warning in warnings + [w for o in outputs for w in o.warnings]:
            _warn(warning)
        eml = out_dir / f"{project.stem}.eml"
        sent = exporter.send_email(eml, recipients, server=args.smtp, starttls=args.starttls, user=args.user,
                        password=os.environ.get("EXPORTER_SMTP_PASSWORD"))
    print(f"sent \"{sent.subject}\" from {sent.sender} to {', '.join(sent.recipients)} "
          f"({_size(sent.size)}) via {sent.server}")
    return 0


# Personal editions (`editions`, `deliver`).

def _edition_commands(commands: argparse._SubParsersAction) -> None:
    editions = commands.add_parser(
        "editions", help="build each subscriber's edition (their sections, tags and language)",
        description="Build one edition per distinct selection of sections, excluded tags and "
                    "language among the subscribers, and write DIR/editions.jsonl saying who "
                    "gets which files. Subscribers: CSV with a header or JSON Lines, keys id, "
                    "email, name, language, formats (email;pdf;epub;kindle), sections, "
                    "exclude_tags, kindle.")
    editions.add_argument("manifest", type=Path, metavar="MANIFEST", help="the issue manifest (.toml)")
    editions.add_argument("--subscribers", type=Path, required=True, metavar="FILE",
                          help="subscribers (.csv, or .jsonl)")
    editions.add_argument("-o", "--output", type=Path, default=Path("editions"),
                          help="output folder (default: editions)")
    editions.add_argument("--engine", choices=("local", "dask"), default="local",
                          help="local processes (default) or a Dask distributed cluster")
    editions.add_argument("--scheduler", metavar="ADDRESS",
                          help="the Dask scheduler, tcp://host:8786 (with --engine dask)")
    editions.add_argument("--keep-going", action="store_true",
                          help="report a bad subscriber row and leave it out instead of stopping")
    editions.add_argument("--offline", action="store_true", help="fetch no remote images")
    _network_flags(editions)
    editions.set_defaults(run=_editions)

    deliver = commands.add_parser(
        "deliver", help="send every subscriber their edition, each message exactly once",
        description="Send what DIR/editions.jsonl lists: the email edition, the EPUB to a Kindle "
                    "address, or the PDF/EPUB attached. DIR/deliveries.sqlite records every "
                    "message, so running it again sends only what was not sent. The password "
                    "is read from EXPORTER_SMTP_PASSWORD.")
    deliver.add_argument("folder", type=Path, metavar="DIR", help="the output folder of `editions`")
    _smtp_flags(deliver)
    deliver.add_argument("--rate", type=float, default=0.0, metavar="N",
                         help="at most N messages a second (default: no limit)")
    deliver.add_argument("--retries", type=int, default=4, metavar="N",
                         help="tries after a temporary failure (default 4, backoff doubling from 1 s)")
    deliver.add_argument("--backoff", type=float, default=1.0, metavar="SECONDS",
                         help="wait before the first retry (default 1)")
    deliver.add_argument("--quiet", action="store_true", help="no progress bar")
    deliver.set_defaults(run=_deliver)


def _editions(args: argparse.Namespace) -> int:
    from .progress import is_terminal

    skipped: list[ExporterError] = []
    on_error = skipped.append if args.keep_going else None
    subscribers = exporter.read_subscribers(args.subscribers, on_error=on_error)
    project = exporter.load_manifest(args.manifest, allow_private=args.allow_private)
    network = {"offline": args.offline, "allow_private": args.allow_private}
    with _Bar("Editions", enabled=is_terminal(sys.stderr)) as bar:
        summary = exporter.make_editions(project, subscribers, args.output, engine=args.engine,
                                scheduler=args.scheduler, keep_going=args.keep_going,
                                network=network, on_edition=bar.update)
    for problem in skipped + summary.skipped:
        _warn(f"skipped {problem}")
    for warning in summary.warnings:
        _warn(warning)
    print(f"editions: {summary.editions} for {summary.subscribers} subscribers in "
          f"{summary.seconds:.1f} s -> {args.output / 'editions.jsonl'}")
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from .progress import is_terminal

    exporter.parse_server(args.smtp)  # a bad address fails before anything is read
    smtp = exporter.Smtp(args.smtp, starttls=args.starttls, user=args.user,
                password=os.environ.get("EXPORTER_SMTP_PASSWORD"))
    rules = exporter.DeliveryPolicy(rate=args.rate, retries=max(0, args.retries), backoff=args.backoff)
    with _Bar("Delivering", enabled=is_terminal(sys.stderr) and not args.quiet) as bar:
        summary = exporter.deliver(args.folder, smtp, rules, on_progress=bar.update)
    for failure in summary.failed:
        _error(failure)
    rate = summary.sent / summary.seconds if summary.seconds else 0.0
    print(f"deliver: {summary.sent} sent ({summary.resent} unconfirmed before, sent again), "
          f"{summary.already} sent before, {len(summary.failed)} failed, "
          f"in {summary.seconds:.1f} s ({rate:.0f} messages/s)")
    return 1 if summary.failed else 0


class _Bar:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label, self.enabled, self.progress, self.task = label, enabled, None, None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self.progress = Progress(console=Console(stderr=True), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()


def _project(args: argparse.Namespace) -> exporter.Project:
    if args.feed:
        if args.inputs:
            raise UsageError(args.inputs[0], "give either --feed or sources, not both")
        return _feed_project(args)
    for flag in ("since", "max"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag}", "applies only to --feed")
    if not args.inputs:
        raise UsageError("build", "give a manifest, article sources, or --feed")
    manifests = [i for i in args.inputs if exporter.is_manifest(Path(i))]
    if manifests:
        if len(args.inputs) > 1:
            raise UsageError(manifests[0], "is a manifest: build it alone (its [[sections]] "
                                           "list the articles), not with other sources")
        for flag, value in (("title", args.title), ("url", args.url)):
            if value is not None:
                raise UsageError(f"--{flag}", "applies to sources given directly; a manifest "
                                              "sets it itself")
        return exporter.load_manifest(Path(args.inputs[0]), keep_going=args.keep_going,
                             allow_private=args.allow_private)
    return exporter.issue_from_sources(args.inputs, url=args.url, keep_going=args.keep_going,
                                       allow_private=args.allow_private, title=args.title)


def _feed_project(args: argparse.Namespace) -> exporter.Project:
    skipped: list[ExporterError] = []
    articles = exporter.read_feed(args.feed, max_entries=args.max, since=args.since,
                                  allow_private=args.allow_private,
                                  on_error=skipped.append if args.keep_going else None)
    title = args.title or (articles[0].publisher if articles else None) or "Feed"
    project = exporter.make_issue(title, articles, stem=_stem(args.feed))
    project.skipped = skipped
    return project


def _stem(location: str) -> str:
    name = re.sub(r"^https?://", "", location).rstrip("/")
    return Path(name).stem or re.sub(r"\W+", "-", name).strip("-") or "feed"


def _age(text: str) -> dt.timedelta:
    """--since: an age such as 30m, 24h, 7d or 2w (argparse turns a refusal into exit 2)."""
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"not an age like 30m, 24h, 7d or 2w: {text!r}")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    try:
        return dt.timedelta(**{unit: int(match.group(1))})
    except OverflowError:
        raise argparse.ArgumentTypeError(f"further back than the calendar goes: {text!r}") from None


def _positive(text: str) -> int:
    """--max: a whole number of at least 1."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _use_refresh(args: argparse.Namespace) -> None:
    """--refresh: fetch again instead of using cached pages; set in the environment so
    worker processes see it too."""
    if getattr(args, "refresh", False):
        os.environ["EXPORTER_REFRESH"] = "1"


def _manifest_argument(location: str, command: str) -> Path:
    """The MANIFEST of `send` and `preview`: a folder or an article is a usage mistake."""
    path = Path(location)
    if path.is_dir():
        found = path / "issue.toml"
        raise UsageError(location, f"is a folder; {command} needs the issue manifest (.toml)"
                                   + (f": {found}" if found.is_file() else ""))
    if path.is_file() and not exporter.is_manifest(path):
        raise UsageError(location, f"{command} needs an issue manifest (.toml), not an article: "
                                   "list the article in a manifest's [[sections]] "
                                   "('exporter new NAME' writes one)")
    return path


# Themes, checks, previews and scaffolding (`check`, `preview`, `templates`, `new`).

def _theme_commands(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check", help="validate built outputs (EPUBCheck, email budget and links, PDF tags)",
        description="Validate built outputs and print one line per finding: severity "
                    "(error/warning/ok), file, message. Exit 1 if any finding is an error.")
    check.add_argument("outputs", nargs="+", type=Path, metavar="OUTPUT",
                       help="built files (.epub, .html, .eml, .pdf, .json) or folders of them")
    check.set_defaults(run=_check)

    preview = commands.add_parser(
        "preview", help="build into a temporary folder and write PNG previews and a contact sheet",
        description="Build the issue, then write PNGs of the email (600 and 375 px), the PDF's "
                    "cover and first article, the EPUB's cover and first article, and an "
                    "index.html showing them side by side. Needs Chromium and pdftoppm.")
    preview.add_argument("manifest", metavar="MANIFEST", help="the issue manifest (.toml)")
    preview.add_argument("-o", "--output", type=Path, default=Path("preview"),
                         help="folder for the PNGs and index.html (default: preview)")
    preview.add_argument("-f", "--formats", help="comma-separated formats (default: email,pdf,epub)")
    preview.add_argument("--templates", type=Path, metavar="DIR",
                         help="template folder searched before the built-in templates")
    preview.add_argument("--offline", action="store_true", help="fetch no remote images")
    _network_flags(preview)
    preview.set_defaults(run=_preview)

    serve = commands.add_parser(
        "serve", help="a live preview on 127.0.0.1 that rebuilds and reloads on every change",
        description="Build the issue and serve one page showing the email (desktop and phone), "
                    "the web version, the PDF's pages and the EPUB's chapters on 127.0.0.1 only. "
                    "Every change to the manifest, an article, a photo, a template or the theme "
                    "rebuilds and reloads the page; a failed build is shown above the last good "
                    "one. Ctrl-C stops it.")
    serve.add_argument("manifest", type=Path, metavar="MANIFEST", help="the issue manifest (.toml)")
    serve.add_argument("--port", type=int, default=8000,
                       help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    serve.add_argument("--templates", type=Path, metavar="DIR",
                       help="template folder searched before the built-in templates")
    serve.add_argument("--offline", action="store_true", help="fetch no remote images")
    _network_flags(serve)
    serve.set_defaults(run=_serve)

    templates = commands.add_parser(
        "templates", help="list the built-in templates or copy them to start a theme",
        description="Start a user theme from the built-in templates.")
    actions = templates.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list built-in templates with their named blocks",
                                 description="List the built-in templates, their named blocks "
                                             "and what each is for.")
    listing.add_argument("--templates", type=Path, metavar="DIR",
                         help="also mark which templates this folder overrides")
    listing.set_defaults(run=_templates_list)
    copy = actions.add_parser("copy", help="copy a built-in template (or folder) into DIR",
                              description="Copy a built-in template, or a folder of them such "
                                          "as 'email', into DIR with the same layout.")
    copy.add_argument("name", metavar="NAME", help="a name from 'templates list' or a folder: email, pdf, epub")
    copy.add_argument("dir", type=Path, metavar="DIR", help="the theme folder (created if missing)")
    copy.add_argument("--extend", action="store_true",
                      help='write a stub that extends "!default/NAME" to override single blocks')
    copy.add_argument("--force", action="store_true", help="overwrite files already in DIR")
    copy.set_defaults(run=_templates_copy)

    new = commands.add_parser(
        "new", help="scaffold an issue folder: issue.toml, a sample article and a photo",
        description="Create NAME/ with issue.toml, one Markdown article and its photo, ready "
                    "for 'exporter build NAME/issue.toml'.")
    new.add_argument("name", type=Path, metavar="NAME", help="folder to create (must not exist or be empty)")
    new.set_defaults(run=_new)


def _build_output_flags(build: argparse.ArgumentParser) -> None:
    build.add_argument("--templates", type=Path, metavar="DIR",
                       help="template folder searched before the built-ins (overrides the manifest's)")
    build.add_argument("--check", action="store_true",
                       help="run 'exporter check' on what was built; exit 1 on any error")
    build.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar or summary table: one plain line per file")


def _use_templates(project: exporter.Project, folder: Path | None) -> None:
    """--templates DIR: a user template folder that wins over the manifest's."""
    if folder is None:
        return
    if not folder.is_dir():
        raise ExporterError(f"--templates {folder}", "not a folder")
    project.templates = folder.resolve()


def _check(args: argparse.Namespace) -> int:
    return _check_files(args.outputs)


def _check_files(paths: list[Path]) -> int:
    findings = exporter.check(paths)
    for finding in findings:
        print(finding.line())
    return 1 if exporter.has_errors(findings) else 0


def _preview(args: argparse.Namespace) -> int:
    formats = exporter.parse_formats(args.formats) if args.formats else None
    project = exporter.load_manifest(_manifest_argument(args.manifest, "preview"),
                                     allow_private=args.allow_private)
    _use_templates(project, args.templates)
    index = exporter.preview(project, args.output, formats=formats, offline=args.offline,
                    allow_private=args.allow_private)
    print(index)
    return 0


def _serve(args: argparse.Namespace) -> int:
    exporter.serve(args.manifest, port=args.port, templates=args.templates, offline=args.offline,
          allow_private=args.allow_private, on_ready=lambda line: print(line, flush=True))
    return 0


def _templates_list(args: argparse.Namespace) -> int:
    print("\n".join(exporter.list_templates(args.templates)))
    return 0


def _templates_copy(args: argparse.Namespace) -> int:
    for path in exporter.copy_templates(args.name, args.dir, extend=args.extend, force=args.force):
        print(path)
    return 0


def _new(args: argparse.Namespace) -> int:
    for path in exporter.new_issue(args.name, date=dt.date.today().isoformat()):
        print(path)
    print(f"next: exporter build {args.name / 'issue.toml'} -o {args.name / 'out'}", file=sys.stderr)
    return 0


# Named flags are shorthands for backend options (-O FORMAT.KEY=VALUE).
FLAG_OPTIONS = {"strict": ("email", "strict"), "embed_images": ("email", "embed_images"),
                "pdf_variant": ("pdf", "variant"), "profile": ("epub", "profile")}


def _overrides(args: argparse.Namespace, formats: list[str]) -> dict[str, dict[str, Any]]:
    """-O FORMAT.KEY=VALUE and the shorthand flags; a format not being built is a mistake."""
    overrides: dict[str, dict[str, Any]] = {}
    for flag, (fmt, key) in FLAG_OPTIONS.items():
        if getattr(args, flag, None):
            overrides.setdefault(fmt, {})[key] = getattr(args, flag)
    for item in args.option:
        match = re.fullmatch(r"(\w+)\.(\w+)=(.*)", item, re.S)
        if not match:
            raise UsageError(f"-O {item}", "expected FORMAT.KEY=VALUE, e.g. -O pdf.columns=2")
        fmt = match.group(1)
        if fmt not in exporter.FORMATS:
            raise UsageError(f"-O {item}", f"unknown format '{fmt}'; choose from "
                                           f"{', '.join(exporter.FORMATS)}")
        if fmt not in formats:
            raise UsageError(f"-O {item}", f"'{fmt}' is not being built (formats: {', '.join(formats)})")
        overrides.setdefault(fmt, {})[match.group(2)] = match.group(3)
    return overrides


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 2**20 else f"{n / 2**20:.1f} MB"


if __name__ == "__main__":
    sys.exit(main())
