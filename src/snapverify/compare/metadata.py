"""Compare a local copy's metadata (title, byline, dates) with a source's.

A field is compared only when both sides give it. Titles match when one holds
the other's words in order (sites append their name: "Title | Site"); bylines when
every name of one is among the other's; dates by calendar day as written, or as
the same instant in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from rapidfuzz.distance import Indel

from snapverify.compare.classify import Keyed
from snapverify.compare.diff import describe, merge_ops, quote
from snapverify.models import Document, Finding, FindingKind
from snapverify.text.normalise import word_keys

__all__ = ["compare_metadata", "parse_date"]

_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»/]\s+|\s*[|–—·•»]\s*|\s+::\s+")
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


def _title_matches(local: str, remote: tuple[str, ...]) -> bool:
    # "Title | Site" and "Site - Title" are the same title; "Not Title" is not.
    mine = set(_segments(local))
    return any(not mine.isdisjoint(_segments(candidate)) for candidate in remote)


def _byline_matches(local: str, remote: str) -> bool:
    mine, theirs = set(word_keys(local)), set(word_keys(remote))
    return mine <= theirs or theirs <= mine


def _dates_match(local: str, remote: str) -> bool:
    mine, theirs = parse_date(local), parse_date(remote)
    if mine is None or theirs is None:
        return word_keys(local) == word_keys(remote)
    days = {theirs[0]} | ({theirs[1]} if theirs[1] else set())
    return mine[0] in days or (mine[1] is not None and mine[1] in days)


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
    if local.title and source.title:
        titles = (source.title, *source.title_variants)
        if not _title_matches(local.title, titles):
            found.append(_finding("title", local.title, source.title))
    if local.byline and source.byline and not _byline_matches(local.byline, source.byline):
        found.append(_finding("byline", local.byline, source.byline))
    if local.published and source.published and not _dates_match(local.published, source.published):
        found.append(_finding("published", local.published, source.published))
    if local.modified and source.modified and not _dates_match(local.modified, source.modified):
        found.append(_finding("modified", local.modified, source.modified))
    return found
