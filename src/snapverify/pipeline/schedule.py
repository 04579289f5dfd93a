"""Unattended checks: ``--new-only`` exit codes, and the ``watch`` loop.

A scheduled check should alert once per change, not every night: with
``--new-only`` a snapshot exits 1 only when a substantive, unacknowledged finding
is new since its last check (:func:`new_only_exit_code`). :func:`watch` runs a
check every interval in the foreground until asked to stop; the clock and the
wait are injected, so tests run it without waiting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Final

from snapverify.errors import UsageError
from snapverify.models import Change, CheckResult, Finding

__all__ = [
    "new_findings",
    "new_only_exit_code",
    "parse_interval",
    "say",
    "stop_on_signals",
    "watch",
]

logger = logging.getLogger(__name__)

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_INTERVAL: Final = re.compile(r"(?:(\d+(?:\.\d+)?)([smhdw]))+")
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def new_findings(result: CheckResult) -> tuple[Finding, ...]:
    """The substantive, unacknowledged findings that are new since the last check."""
    return tuple(
        f
        for f in result.findings
        if f.substantive and not f.acknowledged and f.change is Change.NEW
    )


def new_only_exit_code(result: CheckResult) -> int:
    """The exit code ``check --new-only`` gives for ``result``.

    Args:
        result: a check's result, annotated by the history.

    Returns:
        1 when a substantive, unacknowledged finding is new since the last check;
        0 when the check ran and found nothing new (even if older changes remain);
        any other exit code (2, 3, 4, 75...) unchanged.
    """
    if result.exit_code not in (0, 1):
        return result.exit_code
    return 1 if new_findings(result) else 0


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``6h``, ``30m``, ``1h30m``, ``1d`` or ``90`` (seconds).

    Raises:
        UsageError: not an interval, shorter than one second, or longer than a wait
            can be (``threading.TIMEOUT_MAX``, about 292 years).
    """
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif _INTERVAL.fullmatch(value):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    else:
        raise UsageError(f"--every {text!r}: not an interval (30m, 6h, 1d, 1h30m or seconds)")
    if seconds < 1:
        raise UsageError(f"--every {text!r}: the interval must be at least one second")
    if seconds > threading.TIMEOUT_MAX:  # the wait between rounds cannot be longer
        raise UsageError(f"--every {text!r}: the interval is too long")
    return seconds


def watch(
    run_once: Callable[[], int],
    every: float,
    *,
    stop: threading.Event,
    times: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    wait: Callable[[float], bool] | None = None,
) -> int:
    """Run ``run_once`` every ``every`` seconds until ``stop`` is set.

    The first round starts at once; each next one ``every`` seconds after the
    previous one started, or at once when that one took longer (rounds never
    overlap and missed rounds are not caught up). ``stop`` is looked at between
    rounds and ends the wait early: a round in progress is finished first.

    Args:
        run_once: one round; returns its exit code.
        every: seconds between the starts of two rounds.
        stop: set (by a signal handler, say) to stop.
        times: stop after this many rounds (``None``: run until stopped).
        clock: a monotonic clock (injected by tests).
        wait: waits up to the given seconds, returning ``True`` when asked to stop
            (default: ``stop.wait``).

    Returns:
        0 when stopped by ``stop``; the last round's exit code when ``times`` ran.
    """
    wait = wait or stop.wait
    rounds = 0
    while not stop.is_set():
        started = clock()
        code = run_once()
        rounds += 1
        if times is not None and rounds >= times:
            return code
        if stop.is_set():
            break
        remaining = started + every - clock()
        if remaining <= 0:
            logger.warning("a check took longer than the interval (%gs): next one now", every)
            continue
        logger.info("next check in %.0f s", remaining)
        if wait(remaining):
            break
    logger.info("stopped")
    return 0


def _interrupt() -> None:
    raise KeyboardInterrupt


def say(line: str) -> None:
    """Write one line to stderr unbuffered: safe inside a signal handler."""
    with contextlib.suppress(OSError):
        os.write(2, (line + "\n").encode("utf-8", "replace"))


@contextlib.contextmanager
def stop_on_signals(
    stop: threading.Event, *, again: Callable[[], None] = _interrupt
) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM for the ``with`` block (main thread only).

    The first signal asks for a stop after the round in progress; a second one
    calls ``again`` (default: raise ``KeyboardInterrupt``). The previous handlers
    come back on exit.

    Args:
        stop: the event to set.
        again: what a second signal does (the CLI exits at once: everything
            snapverify writes survives being killed at any moment).
    """

    def handle(number: int, _frame: FrameType | None) -> None:
        # Runs between any two bytecodes of the main thread: no logging, no buffered
        # writes here (a handler writing to sys.stderr while the interrupted code was
        # writing to it fails with "reentrant call").
        if stop.is_set():
            again()
            return
        stop.set()
        say(
            f"snapverify: {signal.Signals(number).name} received: stopping after the check "
            "in progress (again to interrupt it)"
        )

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
