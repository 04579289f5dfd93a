"""Links in the HTML report: only http(s) URLs become links; captures link to playback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from snapverify.report import clean_text

__all__ = ["Link", "link", "playback_url", "safe_url"]

# A Wayback raw-playback modifier after the timestamp: /web/20120527183000id_/http://...
_RAW_PLAYBACK = re.compile(r"/([0-9]{4,14})id_/")
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def safe_url(url: str | None) -> str | None:
    """The URL to put in an ``href``, or ``None`` when it must not become a link.

    Args:
        url: a URL from a page, a server or a report.

    Returns:
        The cleaned URL (control characters removed, spaces and characters that
        do not belong in a URL percent-encoded) when its scheme is http or https
        and it names a host; ``None`` otherwise (``javascript:``, ``data:``,
        ``file:``, relative references, odd-case or whitespace variants).
    """
    if not url:
        return None
    cleaned = clean_text(url)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(cleaned, safe=_URL_SAFE)


def playback_url(url: str) -> str:
    """The human playback URL of a capture URL: a Wayback ``id_`` URL without ``id_``.

    ``https://web.archive.org/web/20120527183000id_/http://a.b/`` becomes
    ``https://web.archive.org/web/20120527183000/http://a.b/`` (the page with the
    archive's banner, as people read it); other URLs are returned as they are.
    """
    return _RAW_PLAYBACK.sub(r"/\1/", url, count=1)


@dataclass(frozen=True, slots=True)
class Link:
    """Text that is a link when ``href`` is set, inert text otherwise."""

    text: str
    href: str | None


def link(url: str | None, text: str | None = None, *, playback: bool = False) -> Link:
    """A link to ``url`` shown as ``text`` (the URL itself by default).

    Args:
        url: the target; only an http(s) URL gives an ``href``.
        text: what to show; cleaned of control characters.
        playback: link a capture's raw (``id_``) URL to its human playback page.
    """
    shown = clean_text(text if text is not None else url or "")
    href = safe_url(playback_url(url) if playback and url else url)
    return Link(shown, href)
