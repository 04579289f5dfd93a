"""The command line: parse options, call the library, print, map errors to exit codes.

Nothing here decides anything about articles; commands are thin wrappers over
:mod:`snapverify.pipeline`. Options shared by several commands are decorators
(:func:`format_option`, :func:`output_option`, ...), so every command spells them
the same way.

Errors: a :class:`~snapverify.errors.SnapverifyError` becomes one line
``snapverify: error: ...`` on stderr and its ``exit_code``; click usage errors
exit 2; anything unexpected is ``snapverify: internal error: ...`` and exit 70
(with the traceback under ``-v``). Reports go to stdout (or ``--output``);
logs go to stderr.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

import click

from snapverify._version import __version__
from snapverify.errors import SnapverifyError, UsageError
from snapverify.models import CheckResult
from snapverify.report.json import render_json, render_json_lines
from snapverify.report.markdown import render_markdown
from snapverify.report.terminal import render_terminal

__all__ = [
    "REPORT_FORMATS",
    "format_option",
    "ignore_option",
    "main",
    "output_option",
    "verbose_option",
]

F = TypeVar("F", bound=Callable[..., Any])

REPORT_FORMATS: Final = ("terminal", "json", "markdown")
EXIT_INTERNAL_ERROR: Final = 70  # sysexits EX_SOFTWARE
_VERBOSE_KEY: Final = "snapverify.verbose"
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
    """``-f/--format terminal|json|markdown`` (default ``terminal``), as ``fmt``."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(REPORT_FORMATS),
        default="terminal",
        show_default=True,
        help="Report format. json follows the snapverify/check-v1 schema "
        "(JSON Lines for several snapshots).",
    )(f)


def output_option(f: F) -> F:
    """``-o/--output FILE``: write the report there (atomically) instead of stdout."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write the report to FILE instead of stdout (replaced whole, never half-written).",
    )(f)


def _check_patterns(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"invalid --ignore pattern {pattern!r}: {exc}") from exc
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


# -- the group and its error handling -----------------------------------------


class _Group(click.Group):
    """A group that turns exceptions into one stderr line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except SnapverifyError as exc:
            _fail(f"snapverify: error: {_error_message(exc)}", exc.exit_code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise  # the reader went away (`| head`): click exits quietly
            if exc.filename is None:
                _internal_error(ctx, exc)
            # A file that is missing, unreadable or unwritable: not a bug; exit as bad input.
            _fail(f"snapverify: error: {exc.filename}: {exc.strerror or exc}", UsageError.exit_code)
        except Exception as exc:
            _internal_error(ctx, exc)


def _error_message(exc: SnapverifyError) -> str:
    message = exc.message
    if exc.url and exc.url not in message:
        message = f"{exc.url}: {message}"
    if exc.retry_after is not None:
        message += f" (try again in {exc.retry_after:g} s)"
    return message


def _internal_error(ctx: click.Context, exc: Exception) -> NoReturn:
    if ctx.meta.get(_VERBOSE_KEY, 0):
        click.echo("".join(traceback.format_exception(exc)).rstrip("\n"), err=True)
    _fail(f"snapverify: internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL_ERROR)


def _fail(line: str, code: int) -> NoReturn:
    click.echo(" ".join(line.split()), err=True)
    raise click.exceptions.Exit(code)


@click.group(cls=_Group, context_settings=_CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="snapverify")
@verbose_option
def main() -> None:
    """Check that a saved copy of a web article still matches the web.

    snapverify compares a local copy of an article with other versions of it
    and reports edited, missing and added passages, metadata changes and link
    rot, with the sources that show each change.

    \b
    Example:
        snapverify compare article.md capture.html@20120527183000
        snapverify compare article.md old.html@2012 new.html --format json

    \b
    Exit codes:
        0   unchanged: no substantive change
        1   changed: at least one substantive change
        2   bad usage, unreadable local copy or source
        3   the snapshot's URL was refused by the address policy
        4   unverifiable: no source could be compared
        5   stored data failed its integrity check
        70  internal error (a bug: please report it, with -v output)
        75  another run holds the lock, or rate-limited: try later
    """


# -- commands -----------------------------------------------------------------


@main.command(context_settings=_CONTEXT_SETTINGS)
@click.argument("local", type=click.Path(path_type=Path))
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--url", help="The article's original URL, when the local copy does not name it.")
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

    result = compare_files(local, sources, url=url, ignore=ignore)
    _emit(_render([result], fmt, to_terminal=output is None), output)
    raise click.exceptions.Exit(result.exit_code)


# -- output -------------------------------------------------------------------


def _render(results: Sequence[CheckResult], fmt: str, *, to_terminal: bool) -> str:
    if fmt == "json":
        return render_json(results[0]) if len(results) == 1 else render_json_lines(results)
    if fmt == "markdown":
        return render_markdown(results)
    return render_terminal(results, color=to_terminal and _use_color())


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
    """Write ``text`` to ``path`` via a temporary file in the same folder + rename.

    Readers see the old file or the new one, never a partial one; on any error
    the temporary file is removed and ``path`` is untouched.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="",
            dir=path.parent,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        ) as handle:
            temporary = Path(handle.name)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


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
