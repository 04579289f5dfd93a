"""Web archives: list the captures of a URL and fetch them raw.

Three kinds, one protocol (``Archive``): the Internet Archive's Wayback Machine
(``wayback``), a pywb collection (``http://host:port/coll``), and any Memento archive
(``memento:TIMEMAP_BASE``). Every request goes through the given ``HttpClient``:
listings as endpoint ``cdx``, captures as endpoint ``playback``, always the raw
(``id_``) form, with redirects followed here, not by the client, because a redirect
inside an archive is only worth following to a capture close in time.

Errors: ``list_captures`` lets ``RateLimited``, ``FetchError`` and ``AddressRefused``
from the client propagate (the pipeline decides whether to go on without the archive);
``fetch`` turns ``FetchError`` and ``AddressRefused`` into a ``Fetched`` with outcome
``error`` and lets only ``RateLimited`` propagate.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode, urlsplit

from snapverify.errors import AddressRefused, FetchError, UsageError
from snapverify.fetch.cdx import (
    CdxEntry,
    entries_from_rows,
    parse_cdx,
    parse_http_datetime,
    parse_timemap_link,
    raw_memento_url,
    split_playback_url,
    timemap_original,
)
from snapverify.fetch.http import HttpClient, Response
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
    "fetch_capture",
    "parse_archive_spec",
]

logger = logging.getLogger(__name__)

REDIRECT_WINDOW = timedelta(hours=24)  # DESIGN: a redirect target months away is not the page
_WINDOW_HOURS = REDIRECT_WINDOW // timedelta(hours=1)
MAX_REDIRECTS = 5
MAX_CDX_PAGES = 100
CDX_PAGE_SIZE = 1000
WAYBACK_BASE = "https://web.archive.org"
_EXCLUDED = re.compile(rb"This URL has been excluded", re.IGNORECASE)
# Listing answers IA uses for refusals (403 bodies); matched only to word the detail.
_BLOCKED = re.compile(rb"Blocked Site Error|AccessControlException|Robots", re.IGNORECASE)
REDIRECT = "redirect"  # classify_capture's word for a hop to follow (not an Outcome)


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """One capture of a URL in one archive.

    Attributes:
        archive: the archive's name used in source ids (``wayback``, the pywb
            collection's name, or the Memento archive's host).
        timestamp: 14 digits, UTC.
        original: the original URL as archived.
        status: the archived HTTP status (None when the listing has ``-``).
        mimetype: the archived media type, when listed.
        digest: base32 SHA-1 of the payload per the listing, when listed.
        length: the listed length (of the archive's record, not of the payload).
        raw_url: the raw capture's URL (``{ts}id_/{original}``).
        view_url: the human playback URL (``{ts}/{original}``).
        alt_digests: other digests the listing gives for the same second and URL;
            the payload may match any of them.
    """

    archive: str
    timestamp: str
    original: str
    status: int | None
    mimetype: str | None
    digest: str | None
    length: int | None
    raw_url: str
    view_url: str
    alt_digests: tuple[str, ...] = ()


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


@dataclass(frozen=True, slots=True)
class Fetched:
    """The result of fetching one capture.

    Attributes:
        capture: the capture asked for (with ``digest`` set to the one that matched).
        outcome: ``ok``, ``redirected`` (a redirect capture followed to a target
            captured within the window), ``archived_error`` (a capture of a non-2xx
            answer: evidence, not article text), ``not_archived``, ``excluded``,
            ``blocked`` or ``error``.
        status: the archived HTTP status of the capture finally read (None when the
            archive gave no capture).
        response: the final raw response (None on ``error``).
        timestamp: the timestamp of the capture finally read.
        detail: why, in words, when there is more to say.
    """

    capture: CaptureRef
    outcome: str
    status: int | None
    response: Response | None
    timestamp: str
    detail: str | None = None


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


def _memento_datetime(response: Response) -> str | None:
    value = response.header("memento-datetime")
    return parse_http_datetime(value) if value else None


def classify_listing(response: Response) -> tuple[str, str | None]:
    """Decide what a listing answer (CDX or TimeMap) says, before reading its rows.

    Returns:
        ``(outcome, detail)``: ``ok`` for a 2xx listing; ``excluded`` for the 200
        "Sorry. This URL has been excluded" page; ``not_archived`` for a 404 without
        ``Memento-Datetime``; ``blocked`` for 403 (and 451); ``error`` otherwise.
    """
    status = response.status
    archived = _memento_datetime(response) is not None
    if 200 <= status < 300:
        if not archived and _EXCLUDED.search(response.content):
            return Outcome.EXCLUDED, "the archive excludes this URL"
        return Outcome.OK, None
    if status == 404 and not archived:
        return Outcome.NOT_ARCHIVED, "the archive has no capture of this URL"
    if status in (403, 451):
        why = _BLOCKED.search(response.content)
        reason = why.group(0).decode("ascii", "replace") if why else "access refused"
        return Outcome.BLOCKED, f"the archive refused the listing (HTTP {status}: {reason})"
    return Outcome.ERROR, f"listing answered HTTP {status}"


def classify_capture(response: Response) -> tuple[str, str | None]:
    """Decide what one raw playback answer is, without following anything.

    With ``Memento-Datetime`` (a real capture): 2xx ``ok``; 3xx ``redirect`` (a hop for
    the caller to judge); any other status ``archived_error``. Without it (the archive
    speaking for itself): 3xx ``redirect`` (e.g. Wayback moving to the nearest
    capture); 404 ``not_archived``; 200 with the exclusion page ``excluded``; 403/451
    ``blocked``; anything else ``error``.

    Returns:
        ``(outcome, detail)``; outcome is an ``Outcome`` value or ``"redirect"``.
    """
    status = response.status
    if _memento_datetime(response) is not None:
        if 200 <= status < 300:
            return Outcome.OK, None
        if 300 <= status < 400:
            return REDIRECT, None
        return Outcome.ARCHIVED_ERROR, f"the capture is an HTTP {status} answer"
    if 300 <= status < 400:
        return REDIRECT, None
    if status == 404:
        return Outcome.NOT_ARCHIVED, "the archive has no such capture (HTTP 404)"
    if status in (403, 451):
        return Outcome.BLOCKED, f"the archive refused playback (HTTP {status})"
    if 200 <= status < 300 and _EXCLUDED.search(response.content):
        return Outcome.EXCLUDED, "the archive excludes this URL"
    return Outcome.ERROR, f"HTTP {status} without Memento-Datetime is not a capture"


def _distance(first: str, second: str) -> timedelta:
    return abs(parse_timestamp(second) - parse_timestamp(first))


def _describe(first: str, second: str) -> str:
    gap = parse_timestamp(second) - parse_timestamp(first)
    span = abs(gap)
    if span >= timedelta(days=2):
        amount = f"{span.days} days"
    elif span >= timedelta(hours=2):
        amount = f"{span // timedelta(hours=1)} hours"
    else:
        amount = f"{span // timedelta(minutes=1)} minutes"
    return f"{amount} {'later' if gap > timedelta(0) else 'earlier'}"


def _same_prefix(first: str, second: str) -> bool:
    # http/https and host case do not make another archive.
    a, b = urlsplit(first), urlsplit(second)
    return (a.netloc.lower(), a.path) == (b.netloc.lower(), b.path)


def _error(capture: CaptureRef, timestamp: str, detail: str, status: int | None = None) -> Fetched:
    return Fetched(capture, Outcome.ERROR, status, None, timestamp, detail)


def _check_digest(capture: CaptureRef, response: Response) -> tuple[CaptureRef, str | None]:
    """The capture with the digest that matched, or the mismatch described.

    Returns:
        ``(capture, problem)``: ``problem`` is None when the payload matches (or there
        is nothing to check), else the detail of an ``error``.
    """
    listed = (capture.digest, *capture.alt_digests) if capture.digest else ()
    if not listed or capture.mimetype == "warc/revisit":
        return capture, None
    for digest in listed:
        if digest in (response.raw_sha1, response.sha1):
            return replace(capture, digest=digest, alt_digests=()), None
    return capture, f"digest mismatch: listed {capture.digest}, payload {response.sha1}"


def _chunked_record(response: Response) -> bool:
    # Crawlers such as wpull (ArchiveBot) hashed the chunked body as sent; playback
    # removes the chunk framing, so the listed digest cannot be recomputed.
    coding = response.header("x-archive-orig-transfer-encoding") or ""
    return "chunked" in coding.lower()


async def fetch_capture(capture: CaptureRef, *, client: HttpClient) -> Fetched:
    """Fetch a capture raw, following redirects inside the archive within the window.

    Args:
        capture: the capture, as listed.
        client: the HTTP client (endpoint ``playback``).

    Returns:
        What the archive gave (see ``Fetched``).

    Raises:
        RateLimited: the archive answered 429 (a live one, not an archived one).
    """
    url = capture.raw_url
    seen = {url}
    timestamp = capture.timestamp
    archived_redirects = 0
    for hop in range(MAX_REDIRECTS + 1):
        try:
            response = await client.get(url, endpoint="playback", follow_redirects=False)
        except FetchError as exc:
            return _error(capture, timestamp, f"{exc.reason}: {exc.message}")
        except AddressRefused as exc:
            return _error(capture, timestamp, f"refused: {exc.message}")
        kind, detail = classify_capture(response)
        served = _memento_datetime(response)
        if kind != REDIRECT:
            break
        if hop == MAX_REDIRECTS:
            return _error(capture, timestamp, f"more than {MAX_REDIRECTS} redirects from {url}")
        location = response.location
        parts = split_playback_url(location) if location else None
        here = split_playback_url(url)
        status = response.status if served else None  # an archived redirect's status
        if here is None:
            # A URI-M without a timestamp in it: nothing tells how far the target is.
            why = f"redirect to {location} not followed (no capture time in {url})"
            return _error(capture, timestamp, why, status)
        if parts is None or not _same_prefix(parts[0], here[0]):
            return _error(capture, timestamp, f"redirect to {location} leaves the archive", status)
        _, target_ts, _, target = parts
        try:
            too_far = _distance(capture.timestamp, target_ts) > REDIRECT_WINDOW
        except ValueError:
            return _error(capture, timestamp, f"redirect to {location}: no such time", status)
        if too_far:
            when = _describe(capture.timestamp, target_ts)
            why = f"redirect to {target} captured {when} (window {_WINDOW_HOURS} h)"
            return _error(capture, timestamp, why, status)
        # Raw again (never a toolbar page), and on the archive's own scheme.
        following = f"{here[0]}{target_ts}id_/{target}"
        if following in seen:
            return _error(capture, timestamp, f"redirect loop: {following} again")
        seen.add(following)
        archived_redirects += served is not None
        url, timestamp = following, target_ts
    if served is not None:
        if served != timestamp and _distance(capture.timestamp, served) > REDIRECT_WINDOW:
            when = _describe(capture.timestamp, served)
            why = f"the archive served a capture {when} (window {_WINDOW_HOURS} h)"
            return _error(capture, served, why, response.status)
        timestamp = served
    status = response.status if served is not None else None
    if kind == Outcome.OK and archived_redirects:
        kind = Outcome.REDIRECTED
        detail = f"redirect capture followed to {url}"
    if kind != Outcome.OK:
        return Fetched(capture, kind, status, response, timestamp, detail)
    if url != capture.raw_url or timestamp != capture.timestamp:
        # Another capture than the one listed: its digest is not the listed one.
        return Fetched(
            capture, kind, status, response, timestamp, f"the archive served {timestamp}"
        )
    checked, problem = _check_digest(capture, response)
    if problem is None:
        return Fetched(checked, kind, status, response, timestamp)
    if _chunked_record(response):
        note = f"digest not verifiable (recorded with chunked transfer coding): {problem}"
        return Fetched(capture, kind, status, response, timestamp, note)
    return Fetched(capture, Outcome.ERROR, status, None, timestamp, problem)


def _capture(archive: str, entry: CdxEntry, raw_url: str, view_url: str) -> CaptureRef:
    return CaptureRef(
        archive=archive,
        timestamp=entry.timestamp,
        original=entry.original,
        status=entry.status,
        mimetype=entry.mimetype,
        digest=entry.digest,
        length=entry.length,
        raw_url=raw_url,
        view_url=view_url,
        alt_digests=entry.alt_digests,
    )


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
        keys: set[str] = set()
        for page in range(MAX_CDX_PAGES):
            response = await client.get(f"{self._cdx_url}?{urlencode(params)}", endpoint="cdx")
            outcome, detail = classify_listing(response)
            if outcome != Outcome.OK:
                if page == 0:
                    return Listing(self.name, outcome, (), detail, tuple(warnings))
                warnings.append(f"listing incomplete: page {page + 1}: {detail}")
                break
            found, key, problems = parse_cdx(response.content.decode("utf-8", "replace"))
            rows.extend(found)
            warnings.extend(problems)
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
        captures = tuple(
            _capture(
                self.name,
                entry,
                self.raw_url(entry.timestamp, entry.original),
                self.view_url(entry.timestamp, entry.original),
            )
            for entry in entries
        )
        return Listing(self.name, Outcome.OK, captures, None, tuple(warnings))

    async def fetch(self, capture: CaptureRef, *, client: HttpClient) -> Fetched:
        """Fetch a capture raw (see ``fetch_capture``)."""
        return await fetch_capture(capture, client=client)


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
        response = await client.get(timemap, endpoint="cdx")
        outcome, detail = classify_listing(response)
        if outcome != Outcome.OK:
            return Listing(self.name, outcome, (), detail)
        text = response.content.decode("utf-8", "replace")
        warnings: list[str] = []
        mementos = parse_timemap_link(text, base=response.url, warnings=warnings)
        original = timemap_original(text) or url
        low = (start or "").ljust(14, "0")
        high = (end or "").ljust(14, "9")
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
            for uri_m, timestamp in mementos
            if low <= timestamp <= high
        )
        for warning in warnings:
            logger.warning("%s: %s: %s", self.name, url, warning)
        return Listing(self.name, Outcome.OK, captures, None, tuple(warnings))

    async def fetch(self, capture: CaptureRef, *, client: HttpClient) -> Fetched:
        """Fetch a memento raw (see ``fetch_capture``)."""
        return await fetch_capture(capture, client=client)


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
