"""The command line: parse options, call the library, print, map errors to exit codes.

Nothing here decides anything about articles; commands are thin wrappers over
:mod:`snapverify.pipeline`. Options shared by several commands are decorators
(:func:`format_option`, :func:`output_option`, ...), so every command spells them
the same way.

Errors: a :class:`~snapverify.errors.SnapverifyError` becomes one line
``snapverify: error: ...`` on stderr and its ``exit_code``; click usage errors
exit 2; anything unexpected is ``snapverify: internal error: ...`` and exit 70
(with the traceback under ``-v``); Ctrl-C and SIGTERM are ``snapverify: interrupted``,
exit 130 and 143; a full disk is ``no space left on device: FILE``, exit 5. Reports go
to stdout (or ``--output``); logs go to stderr.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import ipaddress
import logging
import os
import re
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, cast
from urllib.parse import urlsplit

import click

from snapverify._version import __version__
from snapverify.errors import SnapverifyError, StorageError, UsageError
from snapverify.models import CheckResult
from snapverify.report.json import render_json, render_json_lines
from snapverify.report.markdown import render_markdown
from snapverify.report.terminal import render_terminal
from snapverify.store.access import NO_SPACE, describe_os_error, storage_error

if TYPE_CHECKING:
    from snapverify.fetch.http import Rate
    from snapverify.pipeline.check import CheckOptions
    from snapverify.pipeline.progress import ProgressCounts

__all__ = [
    "REPORT_FORMATS",
    "combined_exit_code",
    "format_option",
    "ignore_option",
    "main",
    "network_options",
    "output_option",
    "verbose_option",
]

F = TypeVar("F", bound=Callable[..., Any])

REPORT_FORMATS: Final = ("terminal", "json", "markdown", "html")
# report.history.HISTORY_FORMATS, spelled out so that --help need not import the history.
_HISTORY_FORMATS: Final = ("terminal", "json", "markdown")
EXIT_INTERNAL_ERROR: Final = 70  # sysexits EX_SOFTWARE
EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report it
_VERBOSE_KEY: Final = "snapverify.verbose"
_ARGV_KEY: Final = "snapverify.argv"
_CONTEXT_SETTINGS: Final[dict[str, Any]] = {
    "help_option_names": ["-h", "--help"],
    "max_content_width": 100,
}

logger = logging.getLogger(__name__)


# -- shared options -----------------------------------------------------------


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    # -v may be given before or after the command name; the counts add up.
    level = ctx.meta.get(_VERBOSE_KEY, 0) + value
    ctx.meta[_VERBOSE_KEY] = level
    _configure_logging(level)


def verbose_option(f: F) -> F:
    """``-v/--verbose`` (repeatable): INFO logs on stderr, DEBUG with ``-vv``."""
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_set_verbose,
        help="Log progress to stderr (-vv: debug); show tracebacks of internal errors.",
    )(f)


def format_option(f: F) -> F:
    """``-f/--format terminal|json|markdown|html`` (default ``terminal``), as ``fmt``."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(REPORT_FORMATS),
        default="terminal",
        show_default=True,
        help="Report format. json follows the snapverify/check-v1 schema "
        "(JSON Lines for several snapshots); html is one self-contained page.",
    )(f)


def _format_of(*choices: str, help_text: str) -> Callable[[F], F]:
    """``-f/--format`` offering only ``choices``: the formats the command renders
    (``format_option`` is this with every report format)."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help_text,
    )


def output_option(f: F) -> F:
    """``-o/--output FILE``: write the report there (atomically) instead of stdout."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write the report to FILE instead of stdout (replaced whole, never half-written).",
    )(f)


_url_option = click.option(
    "--url", help="The article's original URL, when the local copy does not name it."
)


def _store_option(help_text: str) -> Callable[[F], F]:
    """``--store DIR``, as ``store``; ``help_text`` says which store is the default."""
    return click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help_text,
    )


def _check_patterns(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    from snapverify.pipeline.files import compile_ignore

    compile_ignore(value, what="--ignore pattern")
    return value


def ignore_option(f: F) -> F:
    """``--ignore REGEX`` (repeatable), validated when parsed, as ``ignore``."""
    return click.option(
        "--ignore",
        "ignore",
        metavar="REGEX",
        multiple=True,
        callback=_check_patterns,
        help="Leave out text matching REGEX (Python syntax) when comparing; repeatable.",
    )(f)


def _parse_rates(pairs: Iterable[tuple[str, str]], origin: str) -> dict[str, Rate]:
    """Rates by endpoint name from ``(name, "N/PERIOD")`` pairs; errors name ``origin``."""
    from snapverify.fetch.http import Rate

    rates: dict[str, Rate] = {}
    for name, spec in pairs:
        try:
            rates[name] = Rate.parse(spec)
        except ValueError as exc:
            raise UsageError(f"{origin}: rate limit {name}={spec}: {exc}") from exc
    return rates


def _rate_options(values: Sequence[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, spec = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--rate-limit: {value!r} is not NAME=N/PERIOD (cdx=24/min)")
        pairs.append((name.strip(), spec.strip()))
    return pairs


class _Seconds(click.FloatRange):
    """A number of seconds: ``FloatRange`` lets ``nan`` through (no comparison with it
    is true), and a NaN timeout ended a check with an internal error (exit 70)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # NaN
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


def network_options(f: F) -> F:
    """The options every networked command shares (DESIGN.md): archives, addresses,
    timeout, rate limits and the store, given to the command as one ``network``
    argument (a :class:`_Network`)."""

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NETWORK_FIELDS}
        return f(*args, network=_Network(**given), **kwargs)

    options = [
        click.option(
            "--archive",
            "archives",
            metavar="NAME|URL",
            multiple=True,
            help="Archive to use, repeatable; replaces the default 'wayback'. A "
            "Wayback-compatible collection base (http://127.0.0.1:8080/coll, pywb) or "
            "memento:TIMEMAP_BASE.",
        ),
        click.option(
            "--allow-private-addresses",
            "allow_private",
            is_flag=True,
            default=None,
            envvar="SNAPVERIFY_ALLOW_PRIVATE",
            help="Also allow loopback and the --archive hosts (env SNAPVERIFY_ALLOW_PRIVATE=1).",
        ),
        click.option(
            "--allow-network",
            "allow_networks",
            metavar="CIDR",
            multiple=True,
            callback=_check_networks,
            help="Allow a further address range (e.g. 10.8.0.0/16); repeatable.",
        ),
        click.option(
            "--timeout",
            type=_Seconds(min=0, min_open=True),
            default=None,
            help="Seconds allowed to connect and between reads of one request [default: 30].",
        ),
        click.option(
            "--deadline",
            type=_Seconds(min=0, min_open=True),
            default=None,
            help="Seconds allowed for one request in all (every hop and retry, a slow drip "
            "included) [default: 120].",
        ),
        click.option(
            "--rate-limit",
            "rate_limits",
            metavar="NAME=N/PERIOD",
            multiple=True,
            help="Requests per period for an endpoint: cdx (CDX and TimeMap, default 24/min), "
            "playback (captures, 8/s), live (per site, 2/s), links (outbound link checks, "
            "per site; default: the live rate); repeatable.",
        ),
        _store_option("The store folder (default: the nearest .snapverify/ above the snapshot)."),
    ]
    for option in reversed(options):
        command = option(command)
    return cast(F, command)


def _check_webhook(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    # A URL that could never be sent to fails before the check, not after it.
    if value is not None:
        from snapverify.fetch.policy import AddressPolicy

        AddressPolicy().check_url(value)
    return value


def history_options(f: F) -> F:
    """``--new-only``, ``--no-history`` and ``--notify URL``: a check's history and alerts."""
    options = [
        click.option(
            "--new-only",
            is_flag=True,
            help="Exit 1 only when a substantive, unacknowledged finding is new since the "
            "last check (for cron: one alert per change).",
        ),
        click.option(
            "--no-history",
            is_flag=True,
            help="Do not record this check in the store's history (nor mark findings "
            "new, ongoing or resolved).",
        ),
        click.option(
            "--notify",
            "notify_url",
            metavar="URL",
            default=None,
            callback=_check_webhook,
            help="POST the JSON report of each snapshot with new findings to URL (a webhook).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@dataclasses.dataclass(frozen=True, slots=True)
class _Network:
    """The shared network options as given on the command line (None or (): not given)."""

    archives: tuple[str, ...]
    allow_private: bool | None
    allow_networks: tuple[str, ...]
    timeout: float | None
    deadline: float | None
    rate_limits: tuple[str, ...]
    store: Path | None

    def settings(self, near: Path, **more: Any) -> dict[str, Any]:
        """Each option from the command line, else the store's ``config.toml``: keyword
        arguments for ``CheckOptions`` or ``ArchiveOptions``.

        Only what was said overrides the library's defaults, so the defaults live in one
        place (the options classes). ``more`` holds further options given as
        ``name=value`` (``max_captures``, ``link_cache_ttl``), each falling back to the
        setting of that name.

        Args:
            near: a snapshot path; its store is used when ``--store`` is not given.
            **more: further options by name (None: not given).
        """
        from snapverify.config import load_settings
        from snapverify.snapshot import find_store

        store = self.store or find_store(near)
        settings = load_settings(store)
        rates = _parse_rates(settings.rate_limit.items(), str(store / "config.toml"))
        rates.update(_parse_rates(_rate_options(self.rate_limits), "--rate-limit"))
        given: dict[str, Any] = {
            "archives": self.archives or settings.archive,
            "allow_private": self.allow_private
            if self.allow_private is not None
            else settings.allow_private_addresses,
            "allow_networks": self.allow_networks or settings.allow_network,
            "timeout": self.timeout or settings.timeout,
            "deadline": self.deadline,
        }
        for name, value in more.items():
            given[name] = value if value is not None else getattr(settings, name)
        chosen = {name: value for name, value in given.items() if value is not None and value != ()}
        return {"rates": rates, "store": store, **chosen}


_NETWORK_FIELDS: Final = tuple(field.name for field in dataclasses.fields(_Network))


def _snapshot_paths(snapshots: tuple[Path, ...]) -> list[Path]:
    """The snapshots named, else ``snapshots/`` (which must then exist)."""
    if snapshots:
        return list(snapshots)
    if not Path("snapshots").is_dir():
        raise UsageError("no snapshots/ folder here: name a snapshot or a folder of snapshots")
    return [Path("snapshots")]


def _check_networks(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise UsageError(f"--allow-network {network!r}: {exc}") from exc
    return value


# exit-code precedence across snapshots (DESIGN.md): the first of these that any has.
_EXIT_PRECEDENCE: Final = (2, 5, 3, 4, 75, 1, 0)


def combined_exit_code(codes: Sequence[int]) -> int:
    """The process exit code for several snapshots: the first of 2, 5, 3, 4, 75, 1, 0."""
    for code in _EXIT_PRECEDENCE:
        if code in codes:
            return code
    return max(codes, default=0)


def _check_stamp(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    option = param.opts[0] if param.opts else str(param.name)
    if not re.fullmatch(r"\d{1,14}", value):
        raise UsageError(f"{option}: bad timestamp {value!r}: give 1-14 digits, UTC (20120527)")
    if len(value) >= 4:
        from snapverify.timestamps import parse_timestamp

        try:
            # The fields given must make a date: the ones left out take their first value.
            parse_timestamp(value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value)
        except ValueError:
            raise UsageError(
                f"{option}: bad timestamp {value!r}: not a date and time (YYYYMMDDhhmmss, UTC)"
            ) from None
    return value


def _check_range(start: str | None, end: str | None) -> None:
    """``--from`` later than ``--to`` selects nothing: refused (compared on the digits
    both give, so ``--from 201205 --to 2012`` is the year 2012's May)."""
    if start is not None and end is not None:
        common = min(len(start), len(end))
        if start[:common] > end[:common]:
            raise UsageError(f"bad timestamp range: --from {start} is later than --to {end}")


class _Progress:
    """A progress bar on stderr when it is a terminal; nothing otherwise.

    Two rows: snapshots, and captures (whose total grows as listings answer), so
    that one snapshot with many captures shows progress too.
    """

    def __init__(self) -> None:
        from snapverify.pipeline.progress import CheckProgress

        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self.counts = CheckProgress(self._show)

    def __enter__(self) -> _Progress:
        try:
            interactive = sys.stderr.isatty()
        except ValueError:
            interactive = False
        if interactive and os.environ.get("TERM", "") != "dumb":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("checking {task.description:<9}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._tasks = {
                "snapshots": self._bar.add_task("snapshots", total=None),
                "captures": self._bar.add_task("captures", total=None),
            }
            self._bar.start()
        return self

    def _show(self, counts: ProgressCounts) -> None:
        if self._bar is None:
            return
        for name, total, done in (
            ("snapshots", counts.snapshots, counts.snapshots_done),
            ("captures", counts.captures, counts.captures_done),
        ):
            self._bar.update(self._tasks[name], total=total or None, completed=done)

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# -- the group and its error handling -----------------------------------------


class _Group(click.Group):
    """A group that turns exceptions into one stderr line and an exit code."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:  # --help and --version print here, before any command runs
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _reader_gone()
            if exc.errno in NO_SPACE:  # `--help > /dev/full`
                _fail(
                    f"snapverify: error: {describe_os_error(exc, 'stdout')}", StorageError.exit_code
                )
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Kept for reports: the exact command line that reproduces a check.
        ctx.meta[_ARGV_KEY] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _terminate_as_interrupt():
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:
            # Ctrl-C or SIGTERM: never exit 1 ("changed"). Whatever was being written is
            # left out whole (temporary files, transactions rolled back), the lock freed.
            number = exc.signal_number if isinstance(exc, _Terminated) else signal.SIGINT
            _fail("snapverify: interrupted", 128 + number)
        except SnapverifyError as exc:
            _fail(f"snapverify: error: {exc.describe()}", exc.exit_code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _reader_gone()
            if exc.errno in NO_SPACE:
                _fail(f"snapverify: error: {describe_os_error(exc)}", StorageError.exit_code)
            if exc.filename is None:
                _internal_error(ctx, exc)
            # A file that is missing, unreadable or unwritable: not a bug; exit as bad input.
            _fail(f"snapverify: error: {exc.filename}: {exc.strerror or exc}", UsageError.exit_code)
        except Exception as exc:
            _internal_error(ctx, exc)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, delivered as Ctrl-C is: unwinding, so ``finally`` blocks run."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` for the ``with`` block (main thread only)."""

    def terminate(number: int, _frame: object) -> None:
        signal.signal(number, signal.SIG_IGN)  # once: the unwinding is not interrupted
        raise _Terminated(number)

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _internal_error(ctx: click.Context, exc: Exception) -> NoReturn:
    if ctx.meta.get(_VERBOSE_KEY, 0):
        click.echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True)
    _fail(f"snapverify: internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL_ERROR)


def _reader_gone() -> NoReturn:
    """The reader of stdout went away (``| head``): quietly, and never exit 1 ("changed"),
    which click would give; 141 is what a shell shows for a process SIGPIPE ended."""
    from click import utils

    pacify: Any = utils.PacifyFlushWrapper  # as click does: no second error at exit
    sys.stdout = pacify(sys.stdout)
    raise click.exceptions.Exit(141)  # 128 + SIGPIPE (13), spelled out: no SIGPIPE on Windows


def _fail(line: str, code: int) -> NoReturn:
    click.echo(" ".join(line.split()), err=True)
    raise click.exceptions.Exit(code)


@click.group(cls=_Group, context_settings=_CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="snapverify")
@verbose_option
def main() -> None:
    """Check that a saved copy of a web article still matches the web.

    snapverify compares a local copy of an article with the live page and every
    archived capture (or saved files), and reports edited, missing and added
    passages, metadata changes and link rot, with the sources that show each
    change. It archives what it fetched (WARC, fixity), remembers every check,
    and runs on a schedule.

    \b
    Example:
        snapverify check                      # every snapshot under snapshots/
        snapverify check snapshots/my-article --format html -o report.html
        snapverify compare article.md capture.html@20120527183000
        snapverify archive snapshots/my-article --captures && snapverify verify
        snapverify watch --every 6h --new-only

    \b
    Exit codes:
        0   unchanged: no substantive change
        1   changed: at least one substantive change
        2   bad usage, unreadable local copy or source
        3   the snapshot's URL was refused by the address policy
        4   unverifiable: no source could be compared
        5   stored data failed its integrity check, or cannot be written (disk full)
        70  internal error (a bug: please report it, with -v output)
        75  another run holds the lock, or rate-limited: try later
        130 interrupted (Ctrl-C, SIGINT); 143: terminated (SIGTERM)
        141 the reader of the output went away (`| head`): the report was cut short
    """


# -- commands -----------------------------------------------------------------


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("local", type=click.Path(path_type=Path))
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@_url_option
@ignore_option
@format_option
@output_option
@verbose_option
def compare(
    local: Path,
    sources: tuple[str, ...],
    url: str | None,
    ignore: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Compare a local copy with other versions of the article in files.

    LOCAL is the saved copy (Markdown, plain text or HTML). Each SOURCE
    is a file holding another version (HTML, Markdown or text), optionally
    suffixed with @TIMESTAMP, 4 to 14 digits in UTC (YYYYMMDDhhmmss), saying
    when it was captured. No network is used. The exit code is the verdict's:
    0 unchanged, 1 changed, 4 unverifiable.

    \b
    Example:
        snapverify compare article.md capture.html@20120527183000
        snapverify compare article.md 2012.html@2012 live.html@20240101 \\
            --ignore 'Updated: .*' --format markdown -o report.md
    """
    # Imported here so --help and --version stay fast (and work on their own).
    from snapverify.pipeline import compare_files

    result = _stamped(compare_files(local, sources, url=url, ignore=ignore))
    _emit(_render([result], fmt, to_terminal=output is None), output)
    raise click.exceptions.Exit(result.exit_code)


@main.command(context_settings=_CONTEXT_SETTINGS)
# readable=False: an unreadable local copy is the check's one error line, not click's usage.
@click.argument("snapshots", nargs=-1, type=click.Path(readable=False, path_type=Path))
@click.option(
    "--from",
    "start",
    metavar="TIMESTAMP",
    callback=_check_stamp,
    help="Only captures from this time on (1-14 digits, UTC: 2012, 20120527).",
)
@click.option(
    "--to",
    "end",
    metavar="TIMESTAMP",
    callback=_check_stamp,
    help="Only captures up to this time (1-14 digits, UTC).",
)
@click.option(
    "--max-captures",
    type=click.IntRange(min=1),
    default=None,
    help="At most N captures: the first, the last and captures spread evenly between.",
)
@click.option(
    "--no-live", is_flag=True, help="Do not fetch the live page (nor check outbound links)."
)
@click.option(
    "--no-links",
    is_flag=True,
    help="Do not check outbound links (their last known status is reported, if any).",
)
@click.option(
    "--link-cache-ttl",
    type=_Seconds(min=0),
    default=None,
    metavar="SECONDS",
    help="Reuse a link check this long before asking again [default: 86400, one day].",
)
@click.option(
    "--check-deadline",
    type=_Seconds(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Seconds allowed for one snapshot's check in all: captures, live page and "
    "outbound links not answered by then are reported unreachable [default: 1800].",
)
@_url_option
@click.option(
    "--offline",
    "offline_only",
    is_flag=True,
    help="No network at all: the sources are the WARCs 'snapverify archive' stored in each "
    "snapshot's archive/ folder (kind warc); outbound links are not checked.",
)
@click.option(
    "--snapshot-changes",
    is_flag=True,
    help="When the live page differs substantively from the newest stored snapshot (the "
    "newest export in archive/, else the local copy), archive it (as 'snapverify archive').",
)
@network_options
@ignore_option
@format_option
@output_option
@history_options
@verbose_option
def check(
    snapshots: tuple[Path, ...],
    start: str | None,
    end: str | None,
    max_captures: int | None,
    no_live: bool,
    no_links: bool,
    link_cache_ttl: float | None,
    check_deadline: float | None,
    url: str | None,
    offline_only: bool,
    snapshot_changes: bool,
    network: _Network,
    ignore: tuple[str, ...],
    fmt: str,
    output: Path | None,
    new_only: bool,
    no_history: bool,
    notify_url: str | None,
) -> None:
    """Check snapshots against the live page and every archived capture.

    Each SNAPSHOT is a local copy or a folder of snapshot folders (default:
    snapshots/). The live page and each capture the archives list (the Wayback
    Machine unless --archive says otherwise) are fetched once per distinct
    capture, cached on disk, extracted and compared with the local copy. The exit
    code is the verdict's: 0 unchanged, 1 changed, 3 URL refused, 4 unverifiable
    (offline, or nothing could be compared), 75 rate-limited or another run
    holds the store's lock: try later. Each check is recorded in the store's
    history (unless --no-history), which marks findings new, ongoing or resolved.

    Links: the original URL's live answer (link rot), every outbound link of
    the local copy (HEAD, then GET; cached for --link-cache-ttl) and targets
    the local copy lost, recovered from the captures. A definitive dead link
    (404, 410, soft 404, redirect to the home page, loop) counts as a
    substantive change; use fix-links to write a repaired copy.

    \b
    Example:
        snapverify check
        snapverify check --new-only --notify https://hooks.example.org/snapverify
        snapverify check snapshots/my-article --max-captures 20 --format json
        snapverify check article.md --archive http://127.0.0.1:8080/coll \\
            --allow-private-addresses --no-live --format markdown -o report.md
        snapverify check snapshots/my-article --offline
    """
    from snapverify.pipeline import OFFLINE, CheckOptions
    from snapverify.pipeline.run import NotKept, run_check
    from snapverify.pipeline.schedule import new_only_exit_code

    _check_range(start, end)
    paths = _snapshot_paths(snapshots)
    settings = network.settings(
        paths[0],
        max_captures=max_captures,
        link_cache_ttl=link_cache_ttl,
        check_deadline=check_deadline,
    )
    options = CheckOptions(
        start=start,
        end=end,
        live=not no_live,
        links=not no_links,
        ignore=ignore,
        url=url,
        offline=offline_only,
        snapshot_changes=snapshot_changes,
        **settings,
    )
    if offline_only and snapshot_changes:
        raise UsageError("--offline and --snapshot-changes exclude each other")
    if no_history and (new_only or notify_url):
        option = "--new-only" if new_only else "--notify"
        raise UsageError(f"{option} needs the history: drop --no-history")
    not_kept: NotKept | None = None
    with _Progress() as progress:
        try:
            results = run_check(
                paths,
                options,
                record=not no_history,
                command=_command(),
                progress=progress.counts,
            )
        except NotKept as exc:
            # The check itself ran: its report is printed and written, then exit 5.
            not_kept, results = exc, exc.results
    for result in results:
        if result.error is not None:
            click.echo(f"snapverify: error: {result.error}", err=True)
    if not_kept is not None:
        if shown := _shown(results, fmt):
            _emit(_render(shown, fmt, to_terminal=output is None), output)
        _fail(f"snapverify: error: {not_kept.describe()}", not_kept.exit_code)
    if notify_url is not None:
        _notify(notify_url, results, options)
    code = combined_exit_code([new_only_exit_code(r) if new_only else r.exit_code for r in results])
    offline = [r for r in results if OFFLINE in r.notes]
    if offline and len(offline) == len(results):
        hosts = sorted({urlsplit(s.url).hostname or s.url for r in results for s in r.sources})
        line = (
            f"snapverify: error: offline: no answer from {', '.join(hosts)}; nothing was verified"
        )
        if fmt != "terminal" or output is not None:
            _emit(_render(results, fmt, to_terminal=False), output)
        _fail(line, 4)
    shown = _shown(results, fmt)
    if shown:
        _emit(_render(shown, fmt, to_terminal=output is None), output)
    raise click.exceptions.Exit(code)


def _shown(results: Sequence[CheckResult], fmt: str) -> list[CheckResult]:
    """The results a report shows: in JSON every one (one object per snapshot); in the
    formats people read, not those of snapshots that could not be read at all (bad
    input, exit 2), whose one error line on stderr says everything."""
    if fmt == "json":
        return list(results)
    return [r for r in results if not (r.error is not None and r.exit_code == 2)]


@main.command("fix-links", context_settings=_CONTEXT_SETTINGS)
@click.argument("snapshot", type=click.Path(path_type=Path))
@_url_option
@network_options
@output_option
@verbose_option
def fix_links(
    snapshot: Path,
    url: str | None,
    network: _Network,
    output: Path | None,
) -> None:
    """Write a copy of SNAPSHOT with the link targets it lost restored.

    Links whose target the local copy lost ([text](#)) are matched by anchor
    text and position to the links of the archived captures; each restored
    link carries its archived version (Robust Links): in Markdown
    [text](URL) ([archived](ARCHIVE_URL)), in HTML data-versionurl and
    data-versiondate. The copy goes to --output or stdout; the local copy is
    never changed (an --output naming it is refused, exit 2).

    \b
    Example:
        snapverify fix-links snapshots/my-article/article.md -o fixed.md
        snapverify fix-links article.md --archive http://127.0.0.1:8080/coll \\
            --allow-private-addresses
    """
    from snapverify.pipeline import CheckOptions
    from snapverify.pipeline.fixlinks import fix_links as run_fix_links

    if output is not None and output.resolve() == snapshot.resolve():
        raise UsageError(f"--output {output} is the local copy: fix-links never writes in place")
    settings = network.settings(snapshot, link_cache_ttl=None, check_deadline=None)
    options = CheckOptions(url=url, **settings)
    fixed = run_fix_links(snapshot, options)
    for line in fixed.notes:
        click.echo(f"snapverify: {line}", err=True)
    if output is None:
        click.echo(fixed.text, nl=False)
    else:
        _write_atomic(output, fixed.text)
        logger.info("repaired copy written to %s", output)


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("source", metavar="REPORT.json|SNAPSHOT", type=click.Path(path_type=Path))
@_store_option("The store holding a snapshot's last check (default: the nearest .snapverify/).")
@format_option
@output_option
@verbose_option
def report(source: Path, store: Path | None, fmt: str, output: Path | None) -> None:
    """Render a saved report again, in another format, without checking again.

    REPORT.json is what 'check' or 'compare' wrote with --format json (one
    object, or JSON Lines for several snapshots: each becomes a report). A
    SNAPSHOT (its local copy) renders the last check the store's history kept.
    The exit code is 0 when the report was rendered, 2 for a file that is not
    a snapverify/check-v1 report (the verdict is in the report, not the exit
    code).

    \b
    Example:
        snapverify check article.md --format json -o check.json
        snapverify report check.json --format html -o report.html
        snapverify report snapshots/my-article/article.md --format html -o report.html
    """
    from snapverify.report.load import load_last_report, load_reports
    from snapverify.snapshot import find_store

    if _is_saved_report(source):
        results = load_reports(source)
    else:
        if not source.exists():
            raise UsageError(f"{source}: no such report or snapshot", url=str(source))
        results = load_last_report(store or find_store(source), source)
    _emit(_render(results, fmt, to_terminal=output is None), output)


_REPORT_SUFFIXES: Final = (".json", ".jsonl", ".ndjson")


def _is_saved_report(path: Path) -> bool:
    """A JSON report by its name, or a file whose text starts with ``{``."""
    if path.suffix.lower() in _REPORT_SUFFIXES:
        return True
    if not path.is_file():
        return False
    with path.open("rb") as file:
        head = file.read(64)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", value)
    if match is None:
        raise UsageError(f"--min-age: {value!r} is not a duration such as 12h, 1d or 2w")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match[2]]
    return timedelta(seconds=int(match[1]) * unit)


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("snapshots", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--captures",
    is_flag=True,
    help="Also store the archived captures the last check used (all the check would use "
    "when none is recorded); payloads come from the capture cache when it has them.",
)
@click.option(
    "--save",
    is_flag=True,
    help="Ask the Wayback Machine to capture the URL (Save Page Now), at most one save every "
    "20 s, unless a capture newer than --min-age exists.",
)
@click.option(
    "--min-age",
    default="1d",
    show_default=True,
    callback=_duration,
    metavar="DURATION",
    help="With --save: skip when the Wayback Machine has a capture newer than this "
    "(s, m, h, d, w).",
)
@click.option("--no-live", is_flag=True, help="Do not fetch the live page.")
@click.option(
    "--max-captures",
    type=click.IntRange(min=1),
    default=None,
    help="At most N captures, chosen as check chooses them.",
)
@_url_option
@network_options
@_format_of("terminal", "json", help_text="Output format: one line per file, or JSON Lines.")
@verbose_option
def archive(
    snapshots: tuple[Path, ...],
    captures: bool,
    save: bool,
    min_age: timedelta,
    no_live: bool,
    max_captures: int | None,
    url: str | None,
    network: _Network,
    fmt: str,
) -> None:
    """Store the live page (and captures) of snapshots in WARCs, with fixity manifests.

    Each run writes into the snapshot's archive/ folder a new WARC
    (TIMESTAMP-TOKEN.warc.gz: request and response records as received, each
    capture as a resource record), a readable export of the live article
    (TIMESTAMP-TOKEN.md, itself a valid local copy) and a manifest of their
    SHA-256 (TIMESTAMP-TOKEN.manifest-sha256.txt). Nothing is ever overwritten.
    Exit 0 when everything asked was archived; 4 when the live page (or the save)
    failed; 3 URL refused.

    \b
    Example:
        snapverify archive snapshots/my-article --captures
        snapverify archive --save --min-age 12h
        snapverify verify snapshots/my-article
    """
    from snapverify.pipeline.archive import ArchiveOptions
    from snapverify.pipeline.archive import archive as run_archive
    from snapverify.pipeline.run import check_paths
    from snapverify.store.history import check_schema

    paths = _snapshot_paths(snapshots)
    check_paths(paths)  # a missing path or an empty folder: one line, nothing written
    settings = network.settings(paths[0], max_captures=max_captures)
    # A history this version cannot write is refused before anything is archived.
    check_schema(settings["store"])
    options = ArchiveOptions(
        captures=captures,
        save=save,
        min_age=min_age,
        live=not no_live,
        url=url,
        command=_command(),
        **settings,
    )
    results = run_archive(paths, options)
    for result in results:
        if result.error is not None:
            click.echo(f"snapverify: error: {result.error}", err=True)
    if fmt == "json":
        import json

        click.echo("\n".join(json.dumps(r.as_dict(), ensure_ascii=False) for r in results))
    else:
        for result in results:
            click.echo(_archive_line(result))
    raise click.exceptions.Exit(combined_exit_code([r.exit_code for r in results]))


def _archive_line(result: Any) -> str:
    lines = []
    if result.warc is not None:
        what = [f"live {result.live}" if result.live else "no live page"]
        what.append(f"{result.captures} capture{'s' * (result.captures != 1)}")
        lines.append(f"{result.snapshot}: archived {result.warc} ({', '.join(what)})")
        if result.export:
            lines.append(f"  readable export: {result.export}")
        lines.append(f"  manifest: {result.manifest}")
    else:
        lines.append(f"{result.snapshot}: nothing archived")
    if result.save is not None:
        target = f" {result.save.capture_url}" if result.save.capture_url else ""
        lines.append(f"  save: {result.save.status}{target}: {result.save.detail}")
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_store_option("The store holding the history (default: the nearest .snapverify/ above each path).")
@click.option(
    "--tsa-ca",
    "tsa_ca",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="For FILE.wacz: a PEM file of CA certificates the timestamp tokens must verify "
    "against; repeatable.",
)
@_format_of("terminal", "json", help_text="Output format: a summary line, or one JSON object.")
@verbose_option
def verify(paths: tuple[Path, ...], store: Path | None, tsa_ca: tuple[Path, ...], fmt: str) -> None:
    """Recompute every stored digest: WARC records, manifests and local copies.

    Each PATH is a WARC, a manifest, a local copy, a snapshot folder, an archive/
    folder or a folder of snapshots (default: snapshots/). Every WARC record's
    block and payload digests are recomputed and every gzip member read to its end;
    every manifest entry is hashed again; each local copy is compared with the
    SHA-256 recorded at its first check (or first archive run). A flipped bit, a
    truncated file, a missing digest, a missing file or a changed local copy exits
    5 and names the file; otherwise exit 0 with a count of what was checked (exit 2
    when there was nothing at all to verify).

    A FILE.wacz made by 'snapverify evidence' is checked offline instead: every
    file's hash and size, the WARC digests, the signature, the timestamp tokens
    (against --tsa-ca) and the report's findings, re-run from the bundle; exit 5
    names the first part that fails.

    \b
    Example:
        snapverify verify
        snapverify verify snapshots/my-article/archive/20261125070000-1a2b3c4d.warc.gz
        snapverify verify evidence.wacz --tsa-ca tsa-ca.pem
    """
    if paths and all(p.suffix.lower() == ".wacz" for p in paths):
        _verify_bundles(paths, tsa_ca, fmt)
    from snapverify.pipeline.verify import verify as run_verify

    targets = list(paths) or [Path("snapshots")]
    if not paths and not targets[0].is_dir():
        raise UsageError("no snapshots/ folder here: name what to verify")
    report = run_verify(targets, store=store)
    if not (
        report.problems
        or report.warcs
        or report.manifests
        or report.local_copies
        or report.databases
        or report.not_recorded
        or report.unlisted
    ):  # an empty or mistyped folder is not "OK"
        from snapverify.report import printable

        shown = ", ".join(printable(str(p)) for p in targets)
        raise UsageError(f"{shown}: nothing to verify (no WARC, manifest, local copy or history)")
    for problem in report.problems:
        click.echo(f"snapverify: error: {' '.join(problem.describe().split())}", err=True)
    if fmt == "json":
        import json

        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        verdict = "FAILED" if report.problems else "OK"
        click.echo(f"{verdict}: {report.summary()}")
        for path in report.not_recorded:
            click.echo(f"  not yet recorded (no check or archive run yet): {path}")
        for path in report.unlisted:
            click.echo(f"  not listed in any manifest (a run stopped early?): {path}")
        if report.problems:
            click.echo(f"  {len(report.problems)} problem(s); see above")
    raise click.exceptions.Exit(report.exit_code)


def _evidence_modules() -> Any:
    try:
        import snapverify.evidence as evidence
    except ImportError as exc:
        raise UsageError(
            f"evidence bundles need the 'evidence' extra: pip install 'snapverify[evidence]' "
            f"({exc})"
        ) from exc
    return evidence


def _verify_bundles(paths: Sequence[Path], tsa_ca: Sequence[Path], fmt: str) -> NoReturn:
    """``verify FILE.wacz...``: each bundle's parts, then exit 0 or 5."""
    evidence = _evidence_modules()
    from snapverify.evidence.tsa import load_certificates

    roots = load_certificates(list(tsa_ca))
    codes = []
    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: no such file", url=str(path))
        result = evidence.verify_bundle(path, tsa_ca=roots)
        codes.append(result.exit_code)
        if fmt == "json":
            import json

            click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
            continue
        for part in result.parts:
            click.echo(f"{'ok' if part.ok else 'FAILED':<6} {part.name}: {part.detail}")
        failed = result.failed
        if failed is not None:
            click.echo(f"snapverify: error: {path}: {failed.name}: {failed.detail}", err=True)
            click.echo(f"FAILED: {path}: {failed.name}")
        else:
            click.echo(f"OK: {path}: every part holds")
    raise click.exceptions.Exit(max(codes))


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("snapshot", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The bundle to write [default: <local copy>-check<ID>.wacz here].",
)
@click.option(
    "--check",
    "check_id",
    type=click.IntRange(min=1),
    default=None,
    help="The recorded check to package (its id in 'snapverify history --format json') "
    "[default: the newest].",
)
@click.option(
    "--tsa",
    "tsa",
    metavar="URL",
    multiple=True,
    help="An RFC 3161 timestamp authority to timestamp datapackage.json; repeatable.",
)
@click.option(
    "--tsa-ca",
    "tsa_ca",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="A PEM file of CA certificates each token must verify against; repeatable.",
)
@click.option(
    "--sign-key",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=(
        "A PEM ECDSA P-256 private key: sign the package (WACZ Auth, anonymous). A P-384 "
        "key is accepted too (the curve ReplayWeb.page's verifier expects)."
    ),
)
@click.option(
    "--allow-private-addresses",
    "allow_private",
    is_flag=True,
    default=False,
    envvar="SNAPVERIFY_ALLOW_PRIVATE",
    help="Also allow a TSA on loopback (env SNAPVERIFY_ALLOW_PRIVATE=1).",
)
@click.option(
    "--allow-network",
    "allow_networks",
    metavar="CIDR",
    multiple=True,
    callback=_check_networks,
    help="Allow a further address range; repeatable.",
)
@click.option(
    "--timeout",
    type=_Seconds(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to connect and between reads, per TSA.",
)
@_store_option("The store holding the check (default: the nearest .snapverify/ above it).")
@_format_of("terminal", "json", help_text="How to say what was written.")
@verbose_option
def evidence(
    snapshot: Path,
    output: Path | None,
    check_id: int | None,
    tsa: tuple[str, ...],
    tsa_ca: tuple[Path, ...],
    sign_key: Path | None,
    allow_private: bool,
    allow_networks: tuple[str, ...],
    timeout: float,
    store: Path | None,
    fmt: str,
) -> None:
    """Package a snapshot's check and what it saw as a WACZ evidence bundle.

    The bundle holds the WARC records of the live page and every capture the
    check compared (run 'archive --captures' or 'check --snapshot-changes'
    first: a check that stored nothing exits 2), the JSON and HTML reports,
    the local copy byte for byte, the fixity manifests and a chain-of-custody
    log. --sign-key signs it; --tsa adds a trusted timestamp of its
    datapackage.json. 'snapverify verify FILE.wacz' checks it offline; pywb and
    ReplayWeb.page replay it.

    \b
    Example:
        snapverify check snapshots/my-article/article.md --snapshot-changes
        snapverify archive --captures snapshots/my-article/article.md
        snapverify evidence snapshots/my-article/article.md -o evidence.wacz \\
            --tsa https://freetsa.org/tsr --tsa-ca freetsa-cacert.pem --sign-key key.pem
    """
    modules = _evidence_modules()
    options = modules.EvidenceOptions(
        check_id=check_id,
        tsa=tsa,
        tsa_ca=tsa_ca,
        sign_key=sign_key,
        allow_private=allow_private,
        allow_networks=allow_networks,
        timeout=timeout,
        store=store,
        command=_command(),
    )
    result = modules.build(snapshot, output, options)
    if fmt == "json":
        import json

        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    click.echo(
        f"wrote {result.path}: check {result.check_id}, {result.fetches} fetch(es), "
        f"{len(result.files)} files, sha256 {result.sha256}"
    )
    if result.signed:
        click.echo(f"  signed (WACZ Auth, ECDSA {result.curve})")
    for name in result.timestamps:
        click.echo(f"  timestamp: {name}")
    for source in result.not_stored:
        click.echo(f"  not stored (left out): {source}")


# -- history, acknowledgements and scheduled checks ---------------------------


def _default_store(store: Path | None, near: Path | None = None) -> Path:
    """``--store``, else the store of ``near``, of ./snapshots, or of the current folder."""
    from snapverify.snapshot import find_store

    if store is not None:
        return store
    if near is None:
        near = Path("snapshots") if Path("snapshots").is_dir() else Path(".")
    return find_store(near)


def _notify(url: str, results: Sequence[CheckResult], options: CheckOptions) -> None:
    from snapverify.fetch.archives import parse_archive_spec
    from snapverify.notify import notify
    from snapverify.pipeline.check import make_policy

    policy = make_policy(
        [parse_archive_spec(spec) for spec in options.archives],
        allow_private=options.allow_private,
        allow_networks=options.allow_networks,
    )
    deliveries = notify(url, results, policy=policy)
    failed = [delivery for delivery in deliveries if not delivery.ok]
    if failed:
        # One line however many reports failed: a dead webhook is one problem.
        count = f" ({len(failed)} of {len(deliveries)} reports)" if len(deliveries) > 1 else ""
        click.echo(
            f"snapverify: warning: notification to {url}: {failed[0].error}{count}", err=True
        )


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("fingerprint")
@click.option("--note", default=None, help="Why the finding is acknowledged (shown in reports).")
@_store_option("The store folder (default: snapshots/.snapverify, or the nearest .snapverify/).")
@verbose_option
def ack(fingerprint: str, note: str | None, store: Path | None) -> None:
    """Acknowledge a finding, by the fingerprint reports show.

    An acknowledged finding stays in reports, marked (with the note), but no
    longer counts for the exit code or for --new-only. A unique prefix of at
    least 6 digits will do. Exit 2 when no recorded finding has it.

    \b
    Example:
        snapverify ack 3f1c9a20b7d4e6f1 --note "correction announced by the editor"
    """
    from snapverify.store.history import HISTORY_FILE, History

    store_dir = _default_store(store)
    if not (store_dir / HISTORY_FILE).is_file():
        raise UsageError(f"{store_dir / HISTORY_FILE}: no history yet: run a check first")
    with History.open(store_dir) as history:
        count = history.acknowledge(fingerprint, note)
    click.echo(f"acknowledged {fingerprint} in {count} snapshot(s)")


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("snapshot", required=False, type=click.Path(path_type=Path))
@_store_option("The store folder (default: the nearest .snapverify/ above the snapshot).")
@_format_of(*_HISTORY_FORMATS, help_text="Output format (json: the snapverify/history-v1 schema).")
@output_option
@verbose_option
def history(snapshot: Path | None, store: Path | None, fmt: str, output: Path | None) -> None:
    """Show the recorded checks over time and when each finding appeared.

    One line per check (when, verdict, exit code, new/ongoing/resolved
    findings, sources read), then each finding with the first and last check
    that showed it, whether it is still open, and its acknowledgement. SNAPSHOT
    is a local copy or a snapshot folder (default: every snapshot in the store).

    \b
    Example:
        snapverify history
        snapverify history snapshots/my-article/article.md --format json
    """
    from snapverify.report.history import SnapshotHistory, render_history
    from snapverify.store.history import HISTORY_FILE, History

    if snapshot is not None and not snapshot.exists():
        raise UsageError(f"{snapshot}: no such file or folder", url=str(snapshot))
    store_dir = _default_store(store, snapshot)
    if not (store_dir / HISTORY_FILE).is_file():
        raise UsageError(f"{store_dir / HISTORY_FILE}: no history yet: run a check first")
    with History.open(store_dir) as db:
        keys = db.snapshots(under=snapshot)
        if snapshot is not None and not keys:
            raise UsageError(f"{snapshot}: no recorded check in {store_dir / HISTORY_FILE}")
        entries = [SnapshotHistory(k, tuple(db.checks(k)), tuple(db.findings(k))) for k in keys]
    color = output is None and _use_color()
    _emit(render_history(entries, fmt, color=color, store=store_dir), output)


@main.command(
    context_settings={
        **_CONTEXT_SETTINGS,
        "ignore_unknown_options": True,
        "allow_interspersed_args": True,
    }
)
@click.option(
    "--every",
    default="6h",
    show_default=True,
    metavar="INTERVAL",
    help="Time between the starts of two checks: 30m, 6h, 1d, 1h30m or seconds.",
)
@click.option(
    "--times",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after N checks (default: run until SIGINT or SIGTERM).",
)
@verbose_option
@click.argument("check_args", nargs=-1, type=click.UNPROCESSED, metavar="[CHECK ARGUMENTS]...")
@click.pass_context
def watch(ctx: click.Context, every: str, times: int | None, check_args: tuple[str, ...]) -> None:
    """Run `snapverify check` every interval, in the foreground.

    For containers and services: takes every argument and option of `check`
    (snapshots, --archive, --new-only, --notify...), runs one check at once
    and then one every --every, never two at once (a round that finds the
    store locked by another run is skipped). SIGINT or SIGTERM stops it between
    checks, or during the wait, with exit 0 (a second signal interrupts a
    check in progress). With --times, the exit code is the last check's.

    \b
    Example:
        snapverify watch --every 6h snapshots --new-only --notify https://hooks.example.org/x
    """
    import threading

    from snapverify.errors import TryLater
    from snapverify.pipeline.schedule import parse_interval, say, stop_on_signals
    from snapverify.pipeline.schedule import watch as watch_loop

    seconds = parse_interval(every)
    args = list(check_args)
    # Bad check options fail now, not at the first round, with watch's usage line (click
    # would spell the nested context as "watch [CHECK ARGUMENTS]... check [OPTIONS]").
    try:
        check.make_context("check", list(args), parent=ctx).close()
    except click.UsageError as exc:
        hint = "(a check argument: see 'snapverify check --help')"
        raise click.UsageError(f"{exc.format_message()} {hint}", ctx=ctx) from exc

    def once() -> int:
        ctx.meta[_ARGV_KEY] = ["check", *args]
        try:
            with check.make_context("check", list(args), parent=ctx) as sub:
                check.invoke(sub)
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except TryLater as exc:
            click.echo(f"snapverify: error: {exc.describe()}", err=True)
            return exc.exit_code
        return 0

    def interrupt() -> None:
        # A second signal: stop now, whatever runs. Raising KeyboardInterrupt into a
        # running event loop can leave it waiting; exiting is safe, as after a kill:
        # the kernel drops the lock, SQLite drops an unfinished transaction, and every
        # file is written to a temporary name first.
        say("snapverify: interrupted during a check")
        os._exit(EXIT_INTERRUPTED)

    stop = threading.Event()
    with stop_on_signals(stop, again=interrupt):
        code = watch_loop(once, seconds, stop=stop, times=times)
    raise click.exceptions.Exit(code)


# -- output -------------------------------------------------------------------


def _command() -> str:
    """The command line that reproduces this run (for reports)."""
    argv = click.get_current_context().meta.get(_ARGV_KEY, sys.argv[1:])
    return shlex.join(["snapverify", *argv])


def _stamped(result: CheckResult) -> CheckResult:
    """``result`` carrying the command line that reproduces it (for reports)."""
    return dataclasses.replace(result, command=_command())


def _render(results: Sequence[CheckResult], fmt: str, *, to_terminal: bool) -> str:
    if fmt == "json":
        return render_json(results[0]) if len(results) == 1 else render_json_lines(results)
    if fmt == "markdown":
        return render_markdown(results)
    if fmt == "html":
        from snapverify.report.html import render_html

        return render_html(results)
    width = _terminal_width() if to_terminal else None
    return render_terminal(results, color=to_terminal and _use_color(), width=width)


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one; None (never wrap) for a file, a pipe or
    cron's mail, where a hard line break would cut a URL or a finding in two."""
    import shutil

    try:
        if not sys.stdout.isatty():
            return None
    except ValueError:  # closed stream
        return None
    return shutil.get_terminal_size().columns


def _use_color() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR", ""):
        return False
    if os.environ.get("TERM", "") == "dumb":
        return False
    try:
        return sys.stdout.isatty()
    except ValueError:  # closed stream
        return False


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomic(output, text)
        logger.info("report written to %s", output)


def _write_atomic(path: Path, text: str) -> None:
    """Write a report whole or not at all, keeping an existing file's permissions."""
    from snapverify.store.atomic import write_atomic

    try:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        write_atomic(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise storage_error(exc, path) from exc
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _umask() -> int:
    # os.umask can only be read by setting it; done once, on the main thread.
    current = os.umask(0o022)
    os.umask(current)
    return current


# -- logging ------------------------------------------------------------------


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


def _configure_logging(verbosity: int) -> None:
    package = logging.getLogger("snapverify")
    handler = next((h for h in package.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("snapverify: %(levelname)s: %(message)s"))
        package.addHandler(handler)
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    package.setLevel(level)
