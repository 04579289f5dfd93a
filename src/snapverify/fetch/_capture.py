"""Captures as values, and the two marks of an archive's answer.

Private to :mod:`snapverify.fetch`: shared by :mod:`~snapverify.fetch.archives` (which
lists captures and re-exports these models) and :mod:`~snapverify.fetch.playback`
(which fetches them). :class:`CaptureRef` is one listed capture, :class:`Fetched` what
fetching it gave; :func:`memento_datetime` and :data:`EXCLUDED` read whether an answer
is a capture or the archive speaking for itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from snapverify.fetch.http import Response
from snapverify.fetch.timemap import parse_http_datetime

__all__ = ["EXCLUDED", "CaptureRef", "Fetched", "memento_datetime"]

# The Wayback Machine's "Sorry. This URL has been excluded" page (served with 200).
EXCLUDED = re.compile(rb"This URL has been excluded", re.IGNORECASE)


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


def memento_datetime(response: Response) -> str | None:
    """The capture time an answer claims (``Memento-Datetime``) as 14 digits, or None."""
    value = response.header("memento-datetime")
    return parse_http_datetime(value) if value else None
