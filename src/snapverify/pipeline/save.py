"""Save Page Now: ask the Wayback Machine to capture a URL, politely (``archive --save``).

The request goes through waybackpy's own ``requests`` session (the one place snapverify
speaks to the network outside its HTTP client; the host is fixed), once per URL and run,
at most one save every :data:`SAVE_INTERVAL` seconds in a process, and not at all when
the archive already holds a capture newer than ``min_age`` (Save Page Now allows a few
saves a minute and 10 captures of one URL a day). The result records the capture URL,
or why nothing was saved.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from snapverify.errors import FetchError, SnapverifyError
from snapverify.fetch.archives import CaptureRef, parse_archive_spec
from snapverify.fetch.http import USER_AGENT, HttpClient
from snapverify.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "SAVE_ENDPOINT",
    "SAVE_INTERVAL",
    "SAVE_LIMITER",
    "SaveLimiter",
    "SaveResult",
    "save_page",
    "wayback_save",
]

logger = logging.getLogger(__name__)

SAVE_ENDPOINT = "https://web.archive.org/save/"
# Save Page Now allows a few saves a minute; one every 20 s stays well inside.
SAVE_INTERVAL = 20.0


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What asking Save Page Now gave: ``saved`` (with the capture URL), ``skipped``
    or ``failed`` (with the reason)."""

    status: str
    capture_url: str | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "capture_url": self.capture_url, "detail": self.detail}


def wayback_save(url: str, *, endpoint: str = SAVE_ENDPOINT, user_agent: str = USER_AGENT) -> str:
    """Ask Save Page Now to capture ``url`` (through waybackpy, once: no retries).

    Args:
        url: the page to capture.
        endpoint: Save Page Now's URL prefix (tests name a loopback server).
        user_agent: the User-Agent header.

    Returns:
        The new capture's URL.

    Raises:
        FetchError: Save Page Now refused or failed; the message says why.
    """
    from waybackpy import WaybackMachineSaveAPI
    from waybackpy.exceptions import WaybackError

    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=1)
    api.request_url = endpoint + api.url
    api.total_save_retries = 0  # one request; our own limiter spaces the saves
    try:
        return str(api.save())
    except WaybackError as exc:
        first = " ".join(str(exc).split())[:300]
        raise FetchError(f"Save Page Now: {first}", url=url, reason="save") from exc
    except Exception as exc:  # requests' errors: no answer at all
        said = " ".join(str(exc).split())[:200]
        raise FetchError(
            f"Save Page Now: no answer: {type(exc).__name__}: {said}", url=url, reason="save"
        ) from exc


class SaveLimiter:
    """At most one save every ``interval`` seconds (thread-safe; clock and sleep injectable)."""

    def __init__(
        self,
        interval: float = SAVE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next save may go (sleeping until then)."""
        with self._lock:
            now = self.clock()
            if self._next is not None and now < self._next:
                self.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


SAVE_LIMITER = SaveLimiter()  # one per process: saves of every snapshot share it


def _age(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def save_page(
    url: str,
    *,
    client: HttpClient,
    known: Sequence[CaptureRef] = (),
    min_age: timedelta = timedelta(days=1),
    archive: str = "wayback",
    saver: Callable[[str], str] = wayback_save,
    limiter: SaveLimiter = SAVE_LIMITER,
    now: datetime | None = None,
) -> SaveResult:
    """Save ``url`` unless the archive has a capture newer than ``min_age``.

    Args:
        url: the page.
        client: the HTTP client, for listing the archive's recent captures.
        known: captures already listed in this run (those of ``archive`` count).
        min_age: a capture newer than this makes a save needless.
        archive: the archive Save Page Now feeds (``wayback``).
        saver: saves a URL, returns the capture URL, raises ``SnapverifyError``.
        limiter: spaces the saves.
        now: the current time (tests).

    Returns:
        ``saved`` with the capture URL, ``skipped`` or ``failed`` with the reason.
    """
    cutoff = (now or datetime.now(UTC)) - min_age
    source = parse_archive_spec(archive)
    stamps = [c.timestamp for c in known if c.archive == source.name]
    newest = max(stamps, default=None)
    if newest is None or parse_timestamp(newest) < cutoff:
        try:
            listing = await source.list_captures(url, client=client, start=format_timestamp(cutoff))
            if listing.outcome == "ok" and listing.captures:
                newest = max(c.timestamp for c in listing.captures)
        except SnapverifyError as exc:
            logger.info("%s: cannot list recent captures before saving: %s", url, exc)
    if newest is not None and parse_timestamp(newest) >= cutoff:
        why = f"a capture from {newest} is newer than --min-age ({_age(min_age)})"
        return SaveResult("skipped", None, why)

    def ask() -> str:
        limiter.wait()
        return saver(url)

    try:
        captured = await asyncio.to_thread(ask)
    except SnapverifyError as exc:
        return SaveResult("failed", None, exc.message)
    return SaveResult("saved", captured, "Save Page Now captured the page")
