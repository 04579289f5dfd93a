"""Compare a local copy's metadata (title, byline, dates) with a source's.

A field is compared only when both sides give it. Titles match when one holds
the other's words in order (sites append their name: "Title | Site", "Title @ Blog ::
Site ::", or put it first: "Site: Title"); bylines when every name of one is among the
other's (connectors, roles and accents aside: "Stella Kim, Jennifer Jett" is "Stella Kim
and Jennifer Jett"), and a byline that names nobody (a desk, a date) is not compared;
dates by calendar day as written, or as the same instant in UTC, and a day written
without a time matches an instant that falls on that day in some time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from rapidfuzz.distance import Indel

from snapverify.compare.classify import Keyed
from snapverify.compare.diff import describe, merge_ops, quote
from snapverify.models import Document, Finding, FindingKind
from snapverify.text.bylines import byline_names
from snapverify.text.normalise import word_keys

__all__ = ["compare_metadata", "parse_date"]

_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»/@]\s+|\s*[|–—·•»]\s*|\s*::\s*")
# "Site: Title": a colon ends a site's name only when the name is the site's.
_SITE_COLON = re.compile(r"^([^:]{2,60}):\s+(.+)$|^(.+?)\s*:\s+([^:]{2,60})$")
# Time zones run from UTC-12 to UTC+14: a day written alone may be any of these.
_ZONES = (timedelta(hours=-12), timedelta(hours=14))
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def parse_date(value: str) -> tuple[date, date | None] | None:
    """The calendar day of an ISO date or date-time, and its UTC day when it has an offset."""
    match = _ISO_DATE.match(value.strip())
    if not match:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    utc_day = None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            utc_day = moment.astimezone(UTC).date()
    except ValueError:
        pass
    return day, utc_day


def _segments(title: str) -> list[tuple[str, ...]]:
    """A title's keys, whole and cut at the separators sites put before their name."""
    parts = [title, *_TITLE_SEPARATOR.split(title)]
    return [keys for keys in (word_keys(part) for part in parts) if keys]


def _site_stripped(title: str, sites: set[str]) -> list[tuple[str, ...]]:
    """``title`` without a "Site: " prefix or ": Site" suffix naming one of ``sites``."""
    match = _SITE_COLON.match(title)
    if match is None:
        return []
    found = []
    for site, rest in ((match[1], match[2]), (match[4], match[3])):
        if site and rest and "".join(word_keys(site)) in sites:
            found.append(word_keys(rest))
    return found


def _sites(*documents: Document) -> set[str]:
    """The publications' names (and hosts' names) as run-together keys."""
    sites = set()
    for document in documents:
        if document.publication:
            sites.add("".join(word_keys(document.publication)))
        host = urlsplit(document.url or "").hostname or ""
        labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
        if len(labels) >= 2:
            sites.add(labels[-2])
    sites.discard("")
    return sites


def _title_matches(local: Document, remote: Document) -> bool:
    # "Title | Site" and "Site - Title" are the same title; "Not Title" is not.
    assert local.title is not None and remote.title is not None
    titles = (remote.title, *remote.title_variants)
    mine = set(_segments(local.title))
    if any(not mine.isdisjoint(_segments(candidate)) for candidate in titles):
        return True
    # "Site: Title", only when the words before the colon are the site's name.
    sites = _sites(local, remote)
    mine |= set(_site_stripped(local.title, sites))
    return any(
        not mine.isdisjoint(_site_stripped(candidate, sites))
        or not mine.isdisjoint(_segments(candidate))
        for candidate in titles
    )


def _byline_matches(local: str, remote: str) -> bool:
    mine, theirs = byline_names(local), byline_names(remote)
    if not mine or not theirs:
        return True  # a desk, a role or a date names nobody to compare
    return mine <= theirs or theirs <= mine


def _instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _dates_match(local: str, remote: str) -> bool:
    mine, theirs = parse_date(local), parse_date(remote)
    if mine is None or theirs is None:
        return word_keys(local) == word_keys(remote)
    days = {theirs[0]} | ({theirs[1]} if theirs[1] else set())
    if mine[0] in days or (mine[1] is not None and mine[1] in days):
        return True
    return _day_holds(local, remote) or _day_holds(remote, local)


def _day_holds(day_text: str, instant_text: str) -> bool:
    """Whether a day written without a time is the day of an instant in some time zone."""
    day = parse_date(day_text)
    moment = _instant(instant_text)
    if day is None or moment is None or "T" in day_text.strip() or " " in day_text.strip():
        return False
    utc = moment.astimezone(UTC)
    return (utc + _ZONES[0]).date() <= day[0] <= (utc + _ZONES[1]).date()


def _finding(field: str, local: str, remote: str) -> Keyed:
    a, b = local.split(), remote.split()
    ops = merge_ops(
        [
            (op.tag, " ".join(a[op.src_start : op.src_end]))
            if op.tag != "insert"
            else (op.tag, " ".join(b[op.dest_start : op.dest_end]))
            for op in Indel.opcodes(a, b)
        ]
    )
    return Keyed(
        ("metadata", field, " ".join(word_keys(remote))),
        Finding(
            kind=FindingKind.METADATA,
            substantive=True,
            detail=f"{field} {quote(local)} → {quote(remote)}"
            if len(a) <= 12
            else f"{field} changed: {describe(ops, names=field != 'title')}",
            field=field,
            local_text=local,
            remote_text=remote,
            diff=ops,
        ),
    )


def compare_metadata(local: Document, source: Document) -> list[Keyed]:
    """Metadata findings of one source against the local copy.

    Args:
        local: the local copy.
        source: the source's document.

    Returns:
        One keyed finding per field that differs.
    """
    found: list[Keyed] = []
    if local.title and source.title and not _title_matches(local, source):
        found.append(_finding("title", local.title, source.title))
    if local.byline and source.byline and not _byline_matches(local.byline, source.byline):
        found.append(_finding("byline", local.byline, source.byline))
    if local.published and source.published and not _dates_match(local.published, source.published):
        found.append(_finding("published", local.published, source.published))
    if local.modified and source.modified and not _dates_match(local.modified, source.modified):
        found.append(_finding("modified", local.modified, source.modified))
    return found
