"""Links in the HTML report: only http(s) URLs become links (:func:`~snapverify.report.safe_url`);
captures link to playback."""

from __future__ import annotations

import re
from dataclasses import dataclass

from snapverify.report import clean_text, safe_url

__all__ = ["Link", "link", "playback_url"]

# A Wayback raw-playback modifier after the timestamp: /web/20120527183000id_/http://...
_RAW_PLAYBACK = re.compile(r"/([0-9]{4,14})id_/")


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
