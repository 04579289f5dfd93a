"""Links as found in pages: made absolute, archive rewriting undone."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["resolve_url", "unwrap_archive_url"]

# An archive-rewritten URL: /web/20120527000000/http://... or /coll/2012...id_/http://...;
# a schemeless original (//host/...) only after a full date, so an ordinary path such as
# /photos/12345//img.jpg is left alone.
_ARCHIVE_PATH = re.compile(
    r"^/(?:[^/?#]+/)*?"
    r"(?:\d{4,14}(?:[a-z]{2}_|\*)?/(https?:/{1,2}[^/].*)"
    r"|\d{8,14}(?:[a-z]{2}_|\*)?/(/[^/.]+\.[^/]+.*))$",
    re.IGNORECASE,
)


def unwrap_archive_url(url: str) -> str:
    """Map an archive-rewritten URL back to the original it points at.

    ``https://web.archive.org/web/20120527000000/http://example.com/a`` and
    ``http://127.0.0.1:8080/coll/2012id_/http://example.com/a`` both give
    ``http://example.com/a``; any other URL is returned unchanged.
    """
    parts = urlsplit(url)
    path = parts.path
    if parts.query:
        path = f"{path}?{parts.query}"
    match = _ARCHIVE_PATH.match(path)
    if not match:
        return url
    inner = match.group(1) or "http:/" + match.group(2)
    inner = re.sub(r"^(https?):/+", r"\1://", inner, flags=re.IGNORECASE)
    if parts.fragment:
        inner = f"{inner}#{parts.fragment}"
    return unwrap_archive_url(inner) if _ARCHIVE_PATH.match(urlsplit(inner).path) else inner


def resolve_url(href: str | None, base: str | None) -> str | None:
    """Make ``href`` absolute against ``base`` and undo archive rewriting.

    Returns ``None`` for empty targets, bare fragments and ``javascript:`` links.
    """
    if href is None:
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith("javascript:"):
        return None
    lowered = href[:8].lower()
    if lowered.startswith(("http://", "https://")):
        absolute = href  # already absolute: urljoin would only cost time
    else:
        try:
            absolute = urljoin(base, href) if base else href
        except ValueError:
            return None
    # Only a URL with a second scheme or a double slash in its path can be a rewrite.
    if "/http" not in absolute[8:] and "//" not in absolute[8:]:
        return absolute
    return unwrap_archive_url(absolute)
