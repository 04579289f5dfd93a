"""Check outbound links: what each URL answers now, once per run, cached for a while.

A link is asked with ``HEAD`` first and, when that answer is suspicious (405, 501, any
other 4xx but 429, a 5xx), with a ``GET`` that asks for the first 64 KiB (``Range``) and
reads no more whether or not the server honours it: some servers answer ``HEAD`` wrongly.
Redirects are followed hop by hop by the client, which re-checks the address policy at
every hop; a redirect to the site's root is ``redirect_to_root``, a loop
``redirect_loop``. A private address is ``refused`` (never connected to) and a non-HTTP
scheme ``skipped``.

Definitive failures (``not_found``, ``gone``, ``soft_404``, ``redirect_to_root``,
``redirect_loop``) count at once; transient ones (``unreachable``, ``error``: timeouts,
resets, 5xx, 429) only once the same URL has been failing for at least
``CONFIRM_AFTER`` (a check at least an hour earlier failed too), as InternetArchiveBot
re-checks before calling a link dead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from snapverify.errors import AddressRefused, FetchError, RateLimited
from snapverify.fetch.archives import Archive, closest_capture
from snapverify.fetch.http import HttpClient, Response
from snapverify.fetch.live import success_outcome
from snapverify.links.cache import DEFAULT_TTL, ArchivedEntry, LinkCache, StatusEntry
from snapverify.models import Outcome
from snapverify.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "CONFIRM_AFTER",
    "DEFINITIVE",
    "TRANSIENT",
    "Archived",
    "LinkChecker",
    "LinkStatus",
    "check_url",
    "is_dead",
]

logger = logging.getLogger(__name__)

CONFIRM_AFTER = timedelta(hours=1)  # a transient failure this old is confirmed
DEFINITIVE = frozenset(
    {
        Outcome.NOT_FOUND,
        Outcome.GONE,
        Outcome.SOFT_404,
        Outcome.REDIRECT_TO_ROOT,
        Outcome.REDIRECT_LOOP,
    }
)
TRANSIENT = frozenset({Outcome.UNREACHABLE, Outcome.ERROR})
# Not dead: working, or never asked (policy, scheme).
_ALIVE = frozenset({Outcome.OK, Outcome.REDIRECTED, Outcome.REFUSED, Outcome.SKIPPED})
_BLOCKED = frozenset({401, 403, 407, 451})
# A GET asks for the first 64 KiB and reads no more, whether or not the server honours Range.
_PEEK = 65536
_GET_RANGE = {"Range": f"bytes=0-{_PEEK - 1}"}
PER_HOST = 2  # link checks in flight per host


def scheme_of(url: str) -> str:
    """The URL's scheme, lower case; ``""`` for no scheme or a URL that does not parse."""
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        return ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_dead(outcome: Outcome) -> bool:
    """Whether a link with this outcome is a dead (or dying) link worth a finding."""
    return outcome not in _ALIVE


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What one URL answered.

    Attributes:
        url: the URL asked for.
        outcome: what answered.
        status: the final HTTP status, if any.
        detail: one line for reports.
        final_url: where redirects ended.
        checked_at: when it was checked (UTC).
        failing_since: for a transient failure, when the run of failures began.
        cached: read from the link cache, not asked in this run.
    """

    url: str
    outcome: Outcome
    status: int | None = None
    detail: str | None = None
    final_url: str | None = None
    checked_at: datetime | None = None
    failing_since: datetime | None = None
    cached: bool = False

    @property
    def transient(self) -> bool:
        return self.outcome in TRANSIENT

    @property
    def confirmed(self) -> bool:
        """A transient failure seen at least ``CONFIRM_AFTER`` ago and still there."""
        if not self.transient or self.failing_since is None or self.checked_at is None:
            return False
        return self.checked_at - self.failing_since >= CONFIRM_AFTER

    @property
    def substantive(self) -> bool:
        """Whether a finding about this link is substantive (DESIGN.md's rule)."""
        return self.outcome in DEFINITIVE or self.confirmed


@dataclass(frozen=True, slots=True)
class Archived:
    """An archived version of a link: the human view URL and its timestamp."""

    url: str
    timestamp: datetime


def _classify(url: str, response: Response) -> tuple[Outcome, str | None]:
    status = response.status
    if status == 416:  # our Range on an empty resource: it is there
        return Outcome.OK, None
    if 200 <= status < 300:
        return success_outcome(url, response)
    if status == 404:
        return Outcome.NOT_FOUND, "404 Not Found"
    if status == 410:
        return Outcome.GONE, "410 Gone"
    if status in _BLOCKED:
        return Outcome.BLOCKED, f"the site refused the request ({status})"
    if 300 <= status < 400:
        return Outcome.ERROR, f"a {status} redirect without a usable Location"
    return Outcome.ERROR, f"the site answered {status}"


def _suspicious(response: Response) -> bool:
    """A HEAD answer that a GET may contradict (405/501 and other faults; not a 429, which
    a second request would only make worse)."""
    return response.status >= 400 and response.status != 429


def _not_web(url: str, now: datetime) -> LinkStatus | None:
    """The ``skipped`` status of a URL that is not an HTTP(S) link; None for one that is."""
    try:
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            httpx.URL(url).host  # noqa: B018 (decoding the host checks its IDNA: "xn--")
    except (ValueError, httpx.InvalidURL) as exc:
        return LinkStatus(url, Outcome.SKIPPED, detail=f"not a valid URL: {exc}", checked_at=now)
    if scheme not in ("http", "https"):
        why = f"not an HTTP link ({scheme or 'no scheme'}:): not checked"
        return LinkStatus(url, Outcome.SKIPPED, detail=why, checked_at=now)
    return None


async def check_url(url: str, *, client: HttpClient) -> LinkStatus:
    """Ask one URL what it answers now (HEAD, then GET when the HEAD answer is suspicious).

    Args:
        url: an absolute URL of any scheme.
        client: the HTTP client (endpoint ``links``).

    Returns:
        The status; nothing is raised for the URL's faults. A 429 is an ``error`` (a link's
        429 never stops its host), and so is a host the client stopped after an archive's
        429s (a link into the archive itself).
    """
    now = datetime.now(UTC).replace(microsecond=0)
    skipped = _not_web(url, now)
    if skipped is not None:
        return skipped
    try:
        response = await client.get(url, endpoint="links", follow_redirects=True, method="HEAD")
        if _suspicious(response):
            response = await client.get(
                url, endpoint="links", follow_redirects=True, headers=_GET_RANGE, keep=_PEEK
            )
    except AddressRefused as exc:
        return LinkStatus(url, Outcome.REFUSED, detail=exc.message, checked_at=now)
    except RateLimited as exc:
        return LinkStatus(url, Outcome.ERROR, 429, exc.message, checked_at=now)
    except FetchError as exc:  # the fetch layer names the outcome (no answer: unreachable)
        return LinkStatus(url, Outcome.parse(exc.outcome), exc.status, exc.message, checked_at=now)
    except ValueError as exc:  # a URL no parser takes (IDNA, brackets...): nothing to ask
        why = f"not a valid URL: {exc}"
        return LinkStatus(url, Outcome.SKIPPED, detail=why, checked_at=now)
    outcome, detail = _classify(url, response)
    final = response.url if response.history else None
    return LinkStatus(url, outcome, response.status, detail, final, checked_at=now)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_entry(entry: StatusEntry) -> LinkStatus:
    since = entry.failing_since
    return LinkStatus(
        url=entry.url,
        outcome=Outcome.parse(entry.outcome),
        status=entry.status,
        detail=entry.detail,
        final_url=entry.final_url,
        checked_at=entry.checked,
        failing_since=None if since is None else datetime.fromisoformat(since),
        cached=True,
    )


LATE = "not answered within the check's deadline (--check-deadline)"


async def _done_by(task: asyncio.Task[Any], until: float) -> bool:
    """Wait for ``task`` until ``until`` (event loop time), without cancelling it: other
    checks of the run may still wait for the same answer."""
    left = until - asyncio.get_running_loop().time()
    if left > 0:
        await asyncio.wait({task}, timeout=left)
    return task.done()


class LinkChecker:
    """Link checks of one run: each distinct URL asked once, results kept in the cache.

    Args:
        client: the HTTP client (address policy, deadlines, rate limits).
        cache: the link cache (None: nothing kept between runs).
        ttl: seconds a cached check is reused instead of asking again.
        network: False: ask nothing, report the last known status (``cached``).
        now: the clock (UTC; tests inject one).
        per_host: checks in flight per host.
    """

    def __init__(
        self,
        *,
        client: HttpClient | None,
        cache: LinkCache | None,
        ttl: float = DEFAULT_TTL,
        network: bool = True,
        now: Callable[[], datetime] | None = None,
        per_host: int = PER_HOST,
    ) -> None:
        self.client = client
        self.cache = cache
        self.ttl = timedelta(seconds=max(0.0, ttl))
        self.network = network
        self._now = now or (lambda: datetime.now(UTC).replace(microsecond=0))
        self._per_host = max(1, per_host)
        self._checks: dict[str, asyncio.Task[LinkStatus]] = {}
        self._archived: dict[tuple[str, str, str], asyncio.Task[Archived | None]] = {}
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _slot(self, url: str) -> asyncio.Semaphore:
        host = _host(url)
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self._per_host)
        return self._hosts[host]

    def _fresh(self, entry: StatusEntry, now: datetime) -> bool:
        age = now - entry.checked
        ttl = self.ttl
        if Outcome.parse(entry.outcome) in TRANSIENT:
            # A failure that may pass is asked again sooner, so it can be confirmed.
            ttl = min(ttl, CONFIRM_AFTER)
        return timedelta(0) <= age < ttl

    async def status(self, url: str, *, ask: bool = True, until: float | None = None) -> LinkStatus:
        """What ``url`` answers: asked once per run, or read from a fresh cache entry.

        Args:
            url: the link's target.
            ask: False: never ask over the network (the last known answer, if any).
            until: the check's deadline (event loop time): a link not answered by then
                is ``unreachable`` for this check (transient, never recorded); the
                request goes on for other checks of the run.
        """
        network = self.network and ask
        key = url if network else f"cached {url}"
        task = self._checks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._status(url, network))
            self._checks[key] = task
        if until is None:
            return await task
        if not await _done_by(task, until):
            return LinkStatus(url, Outcome.UNREACHABLE, detail=LATE, checked_at=self._now())
        return task.result()

    async def aclose(self) -> None:
        """Stop the checks still running (those whose every check's deadline passed)."""
        pending = [
            task for task in (*self._checks.values(), *self._archived.values()) if not task.done()
        ]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _status(self, url: str, network: bool) -> LinkStatus:
        now = self._now()
        # A link that is not HTTP is never asked nor cached: no cache read for it either.
        skipped = _not_web(url, now)
        if skipped is not None:
            return skipped
        previous = await asyncio.to_thread(self.cache.status, url) if self.cache else None
        if previous is not None and (not network or self._fresh(previous, now)):
            return _from_entry(previous)
        if not network or self.client is None:
            return LinkStatus(url, Outcome.SKIPPED, detail="not checked (no network)")
        async with self._slot(url):
            found = await check_url(url, client=self.client)
        return await self.record(replace(found, checked_at=now), previous)

    async def record(self, found: LinkStatus, previous: StatusEntry | None = None) -> LinkStatus:
        """Keep a status in the cache, carrying on a run of transient failures.

        Also used for the original URL, whose live fetch is the pipeline's.

        Returns:
            ``found`` with ``failing_since`` set for a transient failure.
        """
        if self.cache is None:
            return found
        if previous is None:
            previous = await asyncio.to_thread(self.cache.status, found.url)
        since: datetime | None = None
        if found.transient:
            since = found.checked_at
            if previous is not None and Outcome.parse(previous.outcome) in TRANSIENT:
                earlier = previous.failing_since or previous.checked_at
                since = datetime.fromisoformat(earlier)
        found = replace(found, failing_since=since)
        if found.outcome in (Outcome.SKIPPED, Outcome.REFUSED) or found.checked_at is None:
            return found
        entry = StatusEntry(
            url=found.url,
            outcome=str(found.outcome),
            status=found.status,
            detail=found.detail,
            final_url=found.final_url,
            checked_at=found.checked_at.isoformat(),
            failing_since=_iso(since),
        )
        await asyncio.to_thread(self.cache.remember_status, entry)
        return found

    async def archived(
        self,
        archives: list[Archive],
        url: str,
        near: datetime,
        *,
        ask: bool = True,
        until: float | None = None,
    ) -> Archived | None:
        """The archived version of ``url`` nearest ``near``: the first archive that has one.

        ``ask`` False: only what the cache knows. ``until``: the check's deadline (event
        loop time); none is found after it.
        """
        timestamp = format_timestamp(near)
        network = self.network and ask
        for archive in archives:
            key = (archive.name, url, timestamp if network else f"cached {timestamp}")
            task = self._archived.get(key)
            if task is None:
                task = asyncio.ensure_future(self._lookup(archive, url, timestamp, network))
                self._archived[key] = task
            if until is None:
                found = await task
            elif await _done_by(task, until):
                found = task.result()
            else:
                return None
            if found is not None:
                return found
        return None

    async def _lookup(
        self, archive: Archive, url: str, timestamp: str, network: bool
    ) -> Archived | None:
        cache = self.cache
        now = self._now()
        if cache is not None:
            entry = await asyncio.to_thread(cache.archived, archive.name, url, timestamp)
            if entry is not None and (not network or now - entry.checked < self.ttl):
                if entry.url is None or entry.timestamp is None:
                    return None
                return Archived(entry.url, parse_timestamp(entry.timestamp))
        if not network or self.client is None or scheme_of(url) not in ("http", "https"):
            return None
        try:
            capture = await closest_capture(archive, url, timestamp, client=self.client)
        except (RateLimited, FetchError, AddressRefused, ValueError) as exc:
            logger.info("%s: no archived version of %s: %s", archive.name, url, exc)
            return None
        found = None
        if capture is not None:
            found = Archived(capture.view_url, parse_timestamp(capture.timestamp))
        if cache is not None:
            entry = ArchivedEntry(
                url=None if found is None else found.url,
                timestamp=None if capture is None else capture.timestamp,
                checked_at=now.isoformat(),
            )
            await asyncio.to_thread(cache.remember_archived, archive.name, url, timestamp, entry)
        return found
