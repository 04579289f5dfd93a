"""Memento (RFC 7089) in text: TimeMaps in link format, URI-Ms, ``Memento-Datetime``.

Pure functions, like :mod:`snapverify.fetch.cdx` (which re-exports them): a TimeMap's
mementos and original URL, an HTTP date as a 14-digit timestamp, and the parts of a
Wayback-style playback URL (``{prefix}{timestamp}{modifier}/{original}``) with its raw
(``id_``) form. A memento that cannot be read is skipped and described in the caller's
warnings, never raised.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from snapverify.timestamps import format_timestamp

__all__ = [
    "parse_http_datetime",
    "parse_timemap_link",
    "raw_memento_url",
    "split_playback_url",
    "timemap_original",
]

_SAMPLE = 80  # characters of a URI-M quoted in a warning (as cdx quotes a bad row)
# Link format (RFC 8288): `<target>` then `; name="quoted"` or `; name=token` params.
_PARAM = re.compile(r';\s*([^;,=\s<]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,<]*)))?')
_LINK = re.compile(r'<([^<>]*)>((?:\s*;\s*[^;,=\s<]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,<]*))?)*)')
_ESCAPE = re.compile(r"\\(.)")
# `{prefix}{14 digits}{modifier}/{original}`: the first such segment is the playback one.
_PLAYBACK = re.compile(
    r"^(?P<prefix>https?://[^?#]*?/)(?P<ts>[0-9]{14})(?P<mod>[a-z]{2}_)?/(?P<target>.+)$"
)


def _clip(text: str) -> str:
    return text if len(text) <= _SAMPLE else text[:_SAMPLE] + "..."


def parse_http_datetime(value: str) -> str | None:
    """An HTTP date (RFC 1123, e.g. ``Sun, 27 May 2012 10:00:00 GMT``) as 14 digits.

    Returns None when the value is not a date with a time zone.
    """
    try:
        moment = parsedate_to_datetime(value.strip())
        if moment.tzinfo is None:
            return None  # RFC 850/asctime without zone: HTTP dates are GMT, but be strict
        timestamp = format_timestamp(moment)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # OverflowError: a year past 9999, or one that leaves it in UTC
    return timestamp if len(timestamp) == 14 else None


def _link_values(text: str) -> list[tuple[str, dict[str, str]]]:
    """Split link-format text into ``(target, {param: value})`` pairs.

    Not a split on commas: URIs hold commas and semicolons, and quoted values both.
    """
    links: list[tuple[str, dict[str, str]]] = []
    for match in _LINK.finditer(text):
        params: dict[str, str] = {}
        for param in _PARAM.finditer(match[2]):
            quoted, bare = param[2], param[3]
            value = _ESCAPE.sub(r"\1", quoted) if quoted is not None else (bare or "").strip()
            params.setdefault(param[1].lower(), value)
        links.append((match[1].strip(), params))
    return links


def parse_timemap_link(
    text: str, *, base: str | None = None, warnings: list[str] | None = None
) -> list[tuple[str, str]]:
    """Read the mementos of a TimeMap in link format (RFC 7089).

    Every link whose ``rel`` holds the token ``memento`` counts (``first memento``,
    ``prev memento``, ``first last memento``...); attributes may come in any order and
    links may span lines. Relative and scheme-less URI-Ms resolve against ``base``.

    Args:
        text: the TimeMap body (or a ``Link`` header's value).
        base: the TimeMap's URL, to resolve relative URI-Ms.
        warnings: a list that receives one line per memento skipped.

    Returns:
        ``(uri_m, timestamp)`` pairs, timestamps as 14 digits, sorted by time, each URI-M
        once.
    """
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for target, params in _link_values(text):
        if "memento" not in params.get("rel", "").lower().split():
            continue
        try:
            uri = urljoin(base, target) if base else target
            urlsplit(uri)  # "http://[::1/x": not a URL, nothing to fetch
        except ValueError as exc:
            if warnings is not None:
                warnings.append(f"memento {_clip(target)!r} is not a URL ({exc}); skipped")
            continue
        timestamp = parse_http_datetime(params.get("datetime", ""))
        if timestamp is None:
            if warnings is not None:
                warnings.append(f"memento {_clip(uri)} has no valid datetime; skipped")
            continue
        if uri in seen:
            continue
        seen.add(uri)
        found.append((uri, timestamp))
    return sorted(found, key=lambda pair: pair[1])


def timemap_original(text: str) -> str | None:
    """The ``rel="original"`` URL a TimeMap names, if any."""
    for target, params in _link_values(text):
        if "original" in params.get("rel", "").lower().split():
            try:
                urlsplit(target)
            except ValueError:
                return None  # not a URL: the caller's own URL stands
            return target
    return None


def split_playback_url(url: str) -> tuple[str, str, str, str] | None:
    """Split a Wayback-style playback URL into ``(prefix, timestamp, modifier, target)``.

    ``https://web.archive.org/web/20120527100000id_/https://example.org/`` gives
    ``("https://web.archive.org/web/", "20120527100000", "id_", "https://example.org/")``;
    None when the URL has no ``/{14 digits}{modifier}/`` segment.
    """
    match = _PLAYBACK.match(url)
    if match is None:
        return None
    return match["prefix"], match["ts"], match["mod"] or "", match["target"]


def raw_memento_url(uri_m: str) -> str:
    """The raw (``id_``) form of a URI-M, or the URI-M itself when it has no such form.

    URI-Ms with a ``/{14 digits}/`` segment (IA, pywb, OpenWayback) get ``id_`` after the
    timestamp, replacing another modifier (pywb lists ``mp_`` URI-Ms).
    """
    parts = split_playback_url(uri_m)
    if parts is None:
        return uri_m
    prefix, timestamp, _, target = parts
    return f"{prefix}{timestamp}id_/{target}"
