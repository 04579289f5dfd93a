"""Capture playback: fetch one capture raw, judge the answer, follow redirects in time.

:func:`fetch_capture` asks the archive for the raw (``id_``) form of a capture through
the given ``HttpClient`` (endpoint ``playback``) and follows redirects itself rather
than through the client, because a redirect inside an archive is only worth following
to a capture taken within ``REDIRECT_WINDOW`` of the one asked for. The payload is
checked against the digests the listing gave. :func:`classify_capture` says what one
answer is (a capture, a redirect, or the archive speaking for itself).

Errors: ``FetchError`` and ``AddressRefused`` become a ``Fetched`` with outcome
``error``; only ``RateLimited`` propagates. The capture models and the archives that
list captures are public in :mod:`snapverify.fetch.archives`, which re-exports these
names.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

from snapverify.errors import AddressRefused, FetchError
from snapverify.fetch._capture import EXCLUDED, CaptureRef, Fetched, memento_datetime
from snapverify.fetch.http import HttpClient, Response
from snapverify.fetch.timemap import split_playback_url
from snapverify.models import Outcome
from snapverify.timestamps import parse_timestamp

__all__ = [
    "MAX_REDIRECTS",
    "REDIRECT",
    "REDIRECT_WINDOW",
    "classify_capture",
    "fetch_capture",
]

REDIRECT_WINDOW = timedelta(hours=24)  # DESIGN: a redirect target months away is not the page
_WINDOW_HOURS = REDIRECT_WINDOW // timedelta(hours=1)
MAX_REDIRECTS = 5
REDIRECT = "redirect"  # classify_capture's word for a hop to follow (not an Outcome)


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
    if memento_datetime(response) is not None:
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
    if 200 <= status < 300 and EXCLUDED.search(response.content):
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
    try:
        a, b = urlsplit(first), urlsplit(second)
    except ValueError:
        return False
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
            response = await client.get(
                url, endpoint="playback", follow_redirects=False, scope=capture.archive
            )
        except FetchError as exc:
            return _error(capture, timestamp, f"{exc.reason}: {exc.message}")
        except AddressRefused as exc:
            return _error(capture, timestamp, f"refused: {exc.message}")
        kind, detail = classify_capture(response)
        served = memento_datetime(response)
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
        raw_location = response.header("location")
        if parts is None and served is not None and raw_location:
            # An archived redirect whose Location was kept as archived (pywb's id_ rewrites
            # no header): the target is an original URL, read at the redirect's own time.
            try:
                target = urljoin(here[3], raw_location.strip())
                scheme = urlsplit(target).scheme
            except ValueError:  # "http://[": no URL to follow
                scheme = ""
            if scheme not in ("http", "https"):
                return _error(capture, timestamp, f"redirect to {raw_location} is not HTTP", status)
            parts = (here[0], timestamp, "id_", target)
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
