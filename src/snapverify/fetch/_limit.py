"""Request spacing: rate limits per endpoint and host, pauses, ``Retry-After``.

Private to :mod:`snapverify.fetch.http`. :class:`Rate` is a limit as the command line
writes it (``24/min``); :class:`Limiter` spaces the starts of requests per (endpoint,
host) and holds a paused host back, for every task sharing the client;
:func:`retry_after` reads how long a 429 asks to wait.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["Limiter", "Rate", "retry_after"]

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*", re.IGNORECASE)
_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
}


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate limit: ``n`` requests per ``per`` seconds, spaced evenly."""

    n: int
    per: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Parse ``"24/min"``, ``"8/s"``, ``"100/h"`` or ``"2/5s"``.

        Args:
            text: the rate as written on the command line.

        Returns:
            The rate.

        Raises:
            ValueError: the text is not a rate.
        """
        match = _RATE.fullmatch(text)
        unit = _UNITS.get(match.group(3).lower()) if match else None
        if match is None or unit is None:
            raise ValueError(f"not a rate: {text!r} (try 24/min, 8/s, 100/h or 2/5s)")
        n = int(match.group(1))
        per = float(match.group(2) or 1) * unit
        if n <= 0 or per <= 0:
            raise ValueError(f"not a rate: {text!r} (both numbers must be positive)")
        return cls(n, per)

    @property
    def interval(self) -> float:
        """Seconds between the starts of two requests."""
        return self.per / self.n


class Limiter:
    """Spacing per (endpoint, host) and pauses per scope (an archive, else a host),
    shared by concurrent tasks."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._rates = rates
        self._clock = clock
        self._sleep = sleep
        self._next: dict[tuple[str, str], float] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self._paused: dict[str, float] = {}

    def pause(self, scope: str, until: float) -> None:
        """Hold every request of ``scope`` (an archive, or a host) back until the clock
        reads ``until``."""
        self._paused[scope] = max(until, self._paused.get(scope, until))

    async def wait(self, endpoint: str, host: str, scope: str | None = None) -> None:
        """Return when a request to ``host`` through ``endpoint`` may start (``scope``:
        whose pause holds it back; the host's by default)."""
        # An endpoint without its own rate (e.g. "links") goes to origin sites like "live".
        rate = self._rates.get(endpoint, self._rates.get("live"))
        key = (endpoint, host)
        scope = host if scope is None else scope
        # A lock per scope too: one archive's pause never queues another archive's
        # requests. Spacing stays exact: ``_next`` is read and set with no await between.
        lock = self._locks.setdefault((endpoint, host, scope), asyncio.Lock())
        # Holding the lock while sleeping queues the waiters: starts stay evenly spaced.
        async with lock:
            while True:
                now = self._clock()
                ready = max(self._next.get(key, now), self._paused.get(scope, now))
                if ready <= now:
                    break
                await self._sleep(ready - now)
            if rate is not None:
                self._next[key] = now + rate.interval


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    ``0``, a negative number or a date already past gives ``default``: a 429 is never
    followed by an immediate retry (RELIABILITY B14).
    """
    if value is None or not value.strip():
        return default
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds) or seconds <= 0:  # "nan", "inf": no wait said
        return default
    return seconds
