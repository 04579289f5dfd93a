"""Web archives: list the captures of a URL and fetch them raw.

Three kinds, one protocol (``Archive``): the Internet Archive's Wayback Machine
(``wayback``), a pywb collection (``http://host:port/coll``), and any Memento archive
(``memento:TIMEMAP_BASE``). Every request goes through the given ``HttpClient``:
listings as endpoint ``cdx``, captures as endpoint ``playback``, always the raw
(``id_``) form, with redirects followed by snapverify, not by the client, because a
redirect inside an archive is only worth following to a capture close in time.

This module holds the archives, their listings and the capture models
(``CaptureRef``, ``Fetched``, ``Listing``); fetching one capture is
:mod:`snapverify.fetch.playback`, whose names are re-exported here.

Errors: ``list_captures`` lets ``RateLimited``, ``FetchError`` and ``AddressRefused``
from the client propagate (the pipeline decides whether to go on without the archive);
``fetch`` turns ``FetchError`` and ``AddressRefused`` into a ``Fetched`` with outcome
``error`` and lets only ``RateLimited`` propagate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from snapverify.errors import UsageError
from snapverify.fetch._capture import EXCLUDED, CaptureRef, Fetched, memento_datetime
from snapverify.fetch.cdx import CdxEntry, entries_from_rows, parse_cdx
from snapverify.fetch.http import HttpClient, Response
from snapverify.fetch.playback import (
    MAX_REDIRECTS,
    REDIRECT,
    REDIRECT_WINDOW,
    classify_capture,
    fetch_capture,
)
from snapverify.fetch.timemap import parse_timemap_link, raw_memento_url, timemap_original
from snapverify.models import Outcome
from snapverify.timestamps import parse_timestamp

__all__ = [
    "CDX_PAGE_SIZE",
    "MAX_CDX_PAGES",
    "MAX_REDIRECTS",
    "REDIRECT",
    "REDIRECT_WINDOW",
    "WAYBACK_BASE",
    "Archive",
    "CaptureRef",
    "Fetched",
    "Listing",
    "MementoArchive",
    "PywbArchive",
    "WaybackArchive",
    "classify_capture",
    "classify_listing",
    "closest_capture",
    "fetch_capture",
    "parse_archive_spec",
]

logger = logging.getLogger(__name__)

MAX_CDX_PAGES = 100
CDX_PAGE_SIZE = 1000
CLOSEST_LIMIT = 10  # rows a closest lookup reads: the nearest good one is among them
WAYBACK_BASE = "https://web.archive.org"
# Listing answers IA uses for refusals (403 bodies); matched only to word the detail.
_BLOCKED = re.compile(rb"Blocked Site Error|AccessControlException|Robots", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Listing:
    """The captures an archive lists for a URL.

    ``outcome`` is ``ok`` (maybe with no captures), ``not_archived``, ``excluded``,
    ``blocked`` or ``error``; ``warnings`` name the rows skipped.
    """

    archive: str
    outcome: str
    captures: tuple[CaptureRef, ...]
    detail: str | None = None
    warnings: tuple[str, ...] = ()


class Archive(Protocol):
    """What the pipeline needs of an archive (``base``: for the address allowance)."""

    name: str
    base: str

    async def list_captures(
        self, url: str, *, client: HttpClient, start: str | None = None, end: str | None = None
    ) -> Listing:
        """List the captures of ``url``, oldest first (endpoint ``cdx``).

        Args:
            url: the original URL.
            client: the HTTP client.
            start: keep captures from this timestamp on (1-14 digits).
            end: keep captures up to this timestamp (1-14 digits, inclusive).

        Returns:
            The listing: duplicates dropped, malformed rows skipped with a warning.

        Raises:
            UsageError: ``start`` or ``end`` is not 1-14 digits.
            RateLimited: the archive answered 429 (the client stopped it).
            FetchError: no complete answer (timeout, reset, truncated...).
            AddressRefused: the policy refuses the archive's address.
        """
        ...

    async def fetch(self, capture: CaptureRef, *, client: HttpClient) -> Fetched:
        """Fetch one capture raw (see ``fetch_capture``)."""
        ...

    def view_url(self, timestamp: str, url: str) -> str:
        """The human playback URL of a capture (with the archive's banner)."""
        ...


def classify_listing(response: Response) -> tuple[str, str | None]:
    """Decide what a listing answer (CDX or TimeMap) says, before reading its rows.

    Returns:
        ``(outcome, detail)``: ``ok`` for a 2xx listing; ``excluded`` for the 200
        "Sorry. This URL has been excluded" page; ``not_archived`` for a 404 without
        ``Memento-Datetime``; ``blocked`` for 403 (and 451); ``error`` otherwise.
    """
    status = response.status
    archived = memento_datetime(response) is not None
    if 200 <= status < 300:
        if not archived and EXCLUDED.search(response.content):
            return Outcome.EXCLUDED, "the archive excludes this URL"
        return Outcome.OK, None
    if status == 404 and not archived:
        return Outcome.NOT_ARCHIVED, "the archive has no capture of this URL"
    if status in (403, 451):
        why = _BLOCKED.search(response.content)
        reason = why.group(0).decode("ascii", "replace") if why else "access refused"
        return Outcome.BLOCKED, f"the archive refused the listing (HTTP {status}: {reason})"
    return Outcome.ERROR, f"listing answered HTTP {status}"


def _unreadable(warnings: list[str]) -> str:
    """The one-line detail of a listing none of whose rows could be read."""
    more = f" (and {len(warnings) - 1} more)" if len(warnings) > 1 else ""
    return f"the listing could not be read: {warnings[0]}{more}"


def _in_range(timestamp: str, start: str | None, end: str | None) -> bool:
    """Whether a 14-digit timestamp lies within 1-14 digit bounds (both inclusive)."""
    return (start or "").ljust(14, "0") <= timestamp <= (end or "").ljust(14, "9")


def _check_bound(value: str | None, name: str) -> None:
    if value is not None and not re.fullmatch(r"[0-9]{1,14}", value):
        raise UsageError(f"{name} must be 1 to 14 digits (YYYYMMDDhhmmss), not {value!r}")


class _CdxArchive:
    """Shared by Wayback and pywb: a CDX listing and ``{prefix}{ts}id_/{url}`` playback."""

    name: str
    base: str
    _cdx_url: str
    _playback: str
    _paged: bool

    def raw_url(self, timestamp: str, url: str) -> str:
        return f"{self._playback}{timestamp}id_/{url}"

    def view_url(self, timestamp: str, url: str) -> str:
        """The human playback URL of a capture."""
        return f"{self._playback}{timestamp}/{url}"

    def _capture(self, entry: CdxEntry) -> CaptureRef:
        return CaptureRef(
            archive=self.name,
            timestamp=entry.timestamp,
            original=entry.original,
            status=entry.status,
            mimetype=entry.mimetype,
            digest=entry.digest,
            length=entry.length,
            raw_url=self.raw_url(entry.timestamp, entry.original),
            view_url=self.view_url(entry.timestamp, entry.original),
            alt_digests=entry.alt_digests,
        )

    async def list_captures(
        self, url: str, *, client: HttpClient, start: str | None = None, end: str | None = None
    ) -> Listing:
        """List the captures (see ``Archive``), reading every page of the CDX answer."""
        _check_bound(start, "start")
        _check_bound(end, "end")
        params = {"url": url, "output": "json"}
        if self._paged:
            params |= {"limit": str(CDX_PAGE_SIZE), "showResumeKey": "true"}
        params |= {key: value for key, value in (("from", start), ("to", end)) if value}
        rows: list[dict[str, str]] = []
        warnings: list[str] = []
        unreadable = 0  # lines or rows that could not be read
        keys: set[str] = set()
        for page in range(MAX_CDX_PAGES):
            response = await client.get(
                f"{self._cdx_url}?{urlencode(params)}", endpoint="cdx", scope=self.name
            )
            outcome, detail = classify_listing(response)
            if outcome != Outcome.OK:
                if page == 0:
                    return Listing(self.name, outcome, (), detail, tuple(warnings))
                warnings.append(f"listing incomplete: page {page + 1}: {detail}")
                break
            found, key, problems = parse_cdx(response.content.decode("utf-8", "replace"))
            rows.extend(found)
            warnings.extend(problems)
            unreadable += len(problems)
            if not key or not self._paged:
                break
            if key in keys:
                warnings.append(f"resume key {key!r} repeated; listing stopped")
                break
            keys.add(key)
            params["resumeKey"] = key
        else:
            warnings.append(f"listing stopped after {MAX_CDX_PAGES} pages")
        entries, problems = entries_from_rows(rows)
        warnings.extend(problems)
        for warning in warnings:
            logger.warning("%s: %s: %s", self.name, url, warning)
        if not entries and (unreadable or problems):
            # Nothing readable is not "no captures": the archive's answer is broken.
            return Listing(self.name, Outcome.ERROR, (), _unreadable(warnings), tuple(warnings))
        # The server was given from/to; kept here too, since not every server honours them.
        captures = tuple(
            self._capture(entry) for entry in entries if _in_range(entry.timestamp, start, end)
        )
        return Listing(self.name, Outcome.OK, captures, None, tuple(warnings))

    async def fetch(self, capture: CaptureRef, *, client: HttpClient) -> Fetched:
        """Fetch a capture raw (see ``fetch_capture``)."""
        return await fetch_capture(capture, client=client)

    async def closest(self, url: str, timestamp: str, *, client: HttpClient) -> CaptureRef | None:
        """The good capture of ``url`` nearest ``timestamp`` (one CDX query, ``sort=closest``).

        Args:
            url: the original URL.
            timestamp: 1-14 digits.
            client: the HTTP client (endpoint ``cdx``).

        Returns:
            The nearest capture that answered 2xx, or None when the archive has none.

        Raises:
            RateLimited, FetchError, AddressRefused: as ``list_captures``.
        """
        _check_bound(timestamp, "timestamp")
        params = {
            "url": url,
            "output": "json",
            "closest": timestamp,
            "sort": "closest",
            "limit": str(CLOSEST_LIMIT),
        }
        response = await client.get(
            f"{self._cdx_url}?{urlencode(params)}", endpoint="cdx", scope=self.name
        )
        outcome, _detail = classify_listing(response)
        if outcome != Outcome.OK:
            return None
        rows, _key, _problems = parse_cdx(response.content.decode("utf-8", "replace"))
        entries, _problems = entries_from_rows(rows)
        good = [
            self._capture(entry)
            for entry in entries
            if entry.status is not None and 200 <= entry.status < 300
        ]
        return _nearest(good, timestamp)


def _nearest(captures: list[CaptureRef], timestamp: str) -> CaptureRef | None:
    """The capture nearest ``timestamp`` (1-14 digits); the earlier one on a tie."""
    if not captures:
        return None
    target = parse_timestamp(timestamp)
    return min(
        captures,
        key=lambda c: (abs((parse_timestamp(c.timestamp) - target).total_seconds()), c.timestamp),
    )


async def closest_capture(
    archive: Archive, url: str, timestamp: str, *, client: HttpClient
) -> CaptureRef | None:
    """The good capture of ``url`` nearest ``timestamp`` in ``archive``.

    Uses the archive's own ``closest`` lookup when it has one (Wayback and pywb: CDX
    ``closest`` + ``sort=closest``; Memento: the TimeMap), else its listing.

    Args:
        archive: any archive.
        url: the original URL.
        timestamp: 1-14 digits.
        client: the HTTP client.

    Returns:
        The nearest capture, or None when there is none.

    Raises:
        RateLimited, FetchError, AddressRefused: from the client.
    """
    lookup = getattr(archive, "closest", None)
    if lookup is not None:
        found: CaptureRef | None = await lookup(url, timestamp, client=client)
        return found
    listing = await archive.list_captures(url, client=client)
    good = [c for c in listing.captures if c.status is None or 200 <= c.status < 300]
    return _nearest(good, timestamp)


class WaybackArchive(_CdxArchive):
    """The Internet Archive's Wayback Machine (CDX server with resume-key paging)."""

    def __init__(self, base: str = WAYBACK_BASE) -> None:
        self.name = "wayback"
        self.base = base.rstrip("/")
        self._cdx_url = f"{self.base}/cdx/search/cdx"
        self._playback = f"{self.base}/web/"
        self._paged = True


class PywbArchive(_CdxArchive):
    """A pywb (or other Wayback-compatible) collection at ``http://host:port/COLL``."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        collection = urlsplit(self.base).path.rstrip("/").rpartition("/")[2]
        if not collection:
            raise UsageError(f"{base!r} names no collection (e.g. http://127.0.0.1:8080/coll)")
        self.name = collection
        self._cdx_url = f"{self.base}/cdx"
        self._playback = f"{self.base}/"
        self._paged = False


class MementoArchive:
    """Any Memento archive, listed through its TimeMap in link format.

    ``base`` is the TimeMap base: the original URL is appended to it
    (``https://web.archive.org/web/timemap/link/`` + URL). The archive's name is the
    TimeMap's host. Listings carry no digest: deduplicating by content is the
    pipeline's job once the captures are fetched.
    """

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"memento: needs an http(s) TimeMap URL, not {base!r}")
        self.base = base
        self.name = parts.hostname

    def view_url(self, timestamp: str, url: str) -> str:
        """The human playback URL, when the TimeMap base shows the archive's layout.

        ``.../timemap/link/`` and ``.../timemap/`` bases (IA, pywb, OpenWayback) give
        ``{prefix}{ts}/{url}``; otherwise the TimeMap of ``url`` is the best link.
        """
        prefix, marker, _ = self.base.partition("timemap/")
        return f"{prefix}{timestamp}/{url}" if marker else f"{self.base}{url}"

    async def list_captures(
        self, url: str, *, client: HttpClient, start: str | None = None, end: str | None = None
    ) -> Listing:
        """List the mementos of the TimeMap (see ``Archive``; TimeMaps count as ``cdx``)."""
        _check_bound(start, "start")
        _check_bound(end, "end")
        timemap = f"{self.base}{url}"
        response = await client.get(timemap, endpoint="cdx", scope=self.name)
        outcome, detail = classify_listing(response)
        if outcome != Outcome.OK:
            return Listing(self.name, outcome, (), detail)
        text = response.content.decode("utf-8", "replace")
        warnings: list[str] = []
        mementos = parse_timemap_link(text, base=response.url, warnings=warnings)
        if not mementos and (warnings or (text.strip() and "rel" not in text.lower())):
            # Nothing readable is not "no captures": the archive's answer is broken.
            detail = _unreadable(warnings or ["not a TimeMap in link format"])
            return Listing(self.name, Outcome.ERROR, (), detail, tuple(warnings))
        original = timemap_original(text) or url
        captures = tuple(
            CaptureRef(
                archive=self.name,
                timestamp=timestamp,
                original=original,
                status=None,
                mimetype=None,
                digest=None,
                length=None,
                raw_url=raw_memento_url(uri_m),
                view_url=uri_m,
            )
            for uri_m, timestamp in sorted(mementos, key=lambda memento: memento[1])
            if _in_range(timestamp, start, end)
        )
        for warning in warnings:
            logger.warning("%s: %s: %s", self.name, url, warning)
        return Listing(self.name, Outcome.OK, captures, None, tuple(warnings))

    async def fetch(self, capture: CaptureRef, *, client: HttpClient) -> Fetched:
        """Fetch a memento raw (see ``fetch_capture``)."""
        return await fetch_capture(capture, client=client)

    async def closest(self, url: str, timestamp: str, *, client: HttpClient) -> CaptureRef | None:
        """The memento of ``url`` nearest ``timestamp``, from its TimeMap (endpoint ``cdx``).

        A TimeMap gives no statuses: the nearest memento is taken as it is.
        """
        _check_bound(timestamp, "timestamp")
        listing = await self.list_captures(url, client=client)
        return _nearest(list(listing.captures), timestamp)


def parse_archive_spec(spec: str) -> Archive:
    """Make an archive from an ``--archive`` value.

    Args:
        spec: ``wayback``; ``memento:TIMEMAP_BASE``; or a collection base URL such as
            ``http://127.0.0.1:8080/coll`` (pywb). ``https://web.archive.org`` is
            the Wayback Machine.

    Returns:
        The archive.

    Raises:
        UsageError: the value is none of these.
    """
    text = spec.strip()
    if text.lower() == "wayback":
        return WaybackArchive()
    if text.lower().startswith("memento:"):
        return MementoArchive(text[len("memento:") :].strip())
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.hostname:
        if parts.hostname == "web.archive.org" and parts.path.strip("/") in ("", "web"):
            return WaybackArchive(f"{parts.scheme}://{parts.netloc}")
        if parts.query or parts.fragment:
            raise UsageError(f"archive URL {spec!r} must not have a query or fragment")
        return PywbArchive(text)
    raise UsageError(
        f"unknown archive {spec!r}: use 'wayback', a collection URL such as "
        "http://127.0.0.1:8080/coll, or memento:TIMEMAP_BASE"
    )
