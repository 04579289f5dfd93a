"""Cross-archive corroboration: captures of two archives, taken close together, that disagree.

An archive's copy is itself a claim. When a check asks more than one archive, each
capture is compared with the nearest capture of every other archive taken within
``WINDOW`` of it; when their article text differs substantively (the same test as
against the local copy: words, not typography), the pair is reported as an
``archive_disagreement`` finding (one per differing passage shown and pair of archives,
however many captures show it). Either the page changed between the two captures or
one archive's copy is not what the site served; the finding says which captures to look
at, never which is right, and it does not count for the verdict.

Pure: sources and documents in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from snapverify.compare import COMPARABLE, compare_documents
from snapverify.models import Document, Finding, FindingKind, Source, SourceKind

__all__ = ["WINDOW", "archive_name", "corroborate"]

WINDOW = timedelta(hours=24)
# What counts as the article text differing: body passages, not metadata or links.
_TEXT = frozenset({FindingKind.EDITED, FindingKind.MISSING, FindingKind.ADDED})


def archive_name(source: Source) -> str:
    """The archive a capture source came from (its id is ``{archive}:{timestamp}``)."""
    return source.id.rpartition(":")[0] or source.id


def _captures(
    sources: Sequence[tuple[Source, Document | None]], archives: Mapping[str, str]
) -> list[tuple[Source, Document]]:
    out = []
    for source, document in sources:
        if (
            source.id in archives
            and source.outcome in COMPARABLE
            and source.timestamp is not None
            and document is not None
        ):
            out.append((source, document))
    return sorted(out, key=lambda pair: (_time(pair[0]), pair[0].id))


def _hours(span: timedelta) -> str:
    if span < timedelta(hours=1):
        minutes = span // timedelta(minutes=1)
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours = span // timedelta(hours=1)
    return f"{hours} hour{'s' * (hours != 1)}"


@dataclass(frozen=True, slots=True)
class _Pair:
    """Two captures that disagree: ``first`` is of the archive the check lists first."""

    first: Source
    second: Source
    passages: int
    shown: Finding


def _compare(
    first: tuple[Source, Document],
    second: tuple[Source, Document],
    patterns: Sequence[re.Pattern[str]],
) -> _Pair | None:
    (a, doc_a), (b, doc_b) = first, second
    if (a.sha256 is not None and a.sha256 == b.sha256) or doc_a.text == doc_b.text:
        return None
    comparison = compare_documents(doc_a, [(b, doc_b)], ignore=patterns)
    passages = [f for f in comparison.findings if f.kind in _TEXT and f.substantive]
    if not passages:
        return None
    return _Pair(a, b, len(passages), passages[0])


def _finding(pairs: Sequence[_Pair], archives: Mapping[str, str]) -> Finding:
    """One finding for the pairs of two archives that show the same differing passage."""
    shown = pairs[0].shown
    captures = {p.first.id: p.first for p in pairs} | {p.second.id: p.second for p in pairs}
    ordered = sorted(captures.values(), key=lambda source: (_time(source), source.id))
    first, second = (archives[pairs[0].first.id], archives[pairs[0].second.id])
    described = "; ".join(
        f"{p.first.id} and {p.second.id}, captured {_hours(abs(_time(p.second) - _time(p.first)))}"
        f" apart, on {p.passages} passage{'s' * (p.passages != 1)}"
        for p in pairs
    )
    detail = (
        f"{first} and {second} disagree on the article ({described}): the page changed "
        f"between the captures, or one archive's copy is not what the site served "
        f"(shown: {shown.kind} in {second} against {first})"
    )
    return Finding(
        kind=FindingKind.ARCHIVE_DISAGREEMENT,
        substantive=False,
        detail=detail,
        local_text=shown.local_text,
        remote_text=shown.remote_text,
        diff=shown.diff,
        field=f"{first} / {second}",  # the two archives, the left one first
        sources=tuple(source.id for source in ordered),
        first_seen=_time(ordered[0]),
        last_seen=_time(ordered[-1]),
    )


def corroborate(
    sources: Sequence[tuple[Source, Document | None]],
    *,
    ignore: Sequence[str | re.Pattern[str]] = (),
    window: timedelta = WINDOW,
    archives: Mapping[str, str] | None = None,
) -> tuple[Finding, ...]:
    """Findings of kind ``archive_disagreement`` between captures of different archives.

    Each capture is paired with the nearest capture of each other archive within
    ``window`` (so n captures cost at most n comparisons per other archive). A pair whose
    article text differs substantively is compared with the archive listed first on the
    left: ``field`` names both (``first / second``), ``local_text`` is the first one's
    passage, ``remote_text`` the other archive's, ``diff`` their word diff (the first
    differing passage; the detail counts them all). Pairs of the same two archives
    showing the same passages are one finding (one fingerprint), listing every capture
    involved, in time order.

    Args:
        sources: the check's sources with their documents (only archive captures
            whose text was compared take part), in the check's order.
        ignore: the check's ignore patterns (left out of both sides).
        window: how far apart two captures may be.
        archives: source id -> archive name, for captures whose id does not say it
            (stored copies, ``warc:FILE:OFFSET``); by default every ``archive`` source,
            named by its id.

    Returns:
        The findings, oldest first; none when fewer than two archives have text.
    """
    patterns = [re.compile(p) if isinstance(p, str) else p for p in ignore]
    if archives is None:
        archives = {s.id: archive_name(s) for s, _d in sources if s.kind is SourceKind.ARCHIVE}
    rank = {
        name: n
        for n, name in enumerate(
            dict.fromkeys(archives[s.id] for s, _d in sources if s.id in archives)
        )
    }
    captures = _captures(sources, archives)
    by_archive: dict[str, list[int]] = {}
    for index, (source, _document) in enumerate(captures):
        by_archive.setdefault(archives[source.id], []).append(index)
    if len(by_archive) < 2:
        return ()
    times = [_time(source) for source, _document in captures]
    pairs: set[tuple[int, int]] = set()
    for index, (source, _document) in enumerate(captures):
        for name, others in by_archive.items():
            if name == archives[source.id]:
                continue
            other = min(others, key=lambda o: abs(times[o] - times[index]))
            if abs(times[other] - times[index]) <= window:
                left, right = sorted(
                    (index, other), key=lambda i: rank[archives[captures[i][0].id]]
                )
                pairs.add((left, right))
    groups: dict[tuple[object, ...], list[_Pair]] = {}
    for left, right in sorted(pairs, key=lambda pair: (min(pair), max(pair))):
        found = _compare(captures[left], captures[right], patterns)
        if found is None:
            continue
        key = (
            archives[found.first.id],
            archives[found.second.id],
            found.shown.local_text,
            found.shown.remote_text,
            found.shown.diff,
        )
        groups.setdefault(key, []).append(found)
    findings = [_finding(group, archives) for group in groups.values()]
    return tuple(sorted(findings, key=lambda f: (f.first_seen, f.sources)))


def _time(source: Source) -> datetime:
    assert source.timestamp is not None  # _captures keeps dated sources only
    return source.timestamp
