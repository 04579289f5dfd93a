"""Cross-archive corroboration: captures of two archives, taken close together, that disagree.

An archive's copy is itself a claim. When a check asks more than one archive, each
capture is compared with the nearest capture of every other archive taken within
``WINDOW`` of it; when their article text differs substantively (the same test as
against the local copy: words, not typography), the pair is reported as one
``archive_disagreement`` finding. Either the page changed between the two captures or
one archive's copy is not what the site served; the finding says which captures to look
at, never which is right, and it does not count for the verdict.

Pure: sources and documents in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


def _disagreement(
    first: tuple[Source, Document],
    second: tuple[Source, Document],
    patterns: Sequence[re.Pattern[str]],
) -> Finding | None:
    (a, doc_a), (b, doc_b) = first, second
    if (a.sha256 is not None and a.sha256 == b.sha256) or doc_a.text == doc_b.text:
        return None
    comparison = compare_documents(doc_a, [(b, doc_b)], ignore=patterns)
    passages = [f for f in comparison.findings if f.kind in _TEXT and f.substantive]
    if not passages:
        return None
    shown = passages[0]
    apart = _hours(_time(b) - _time(a))
    count = f"{len(passages)} passage{'s' * (len(passages) != 1)}"
    detail = (
        f"{a.id} and {b.id}, captured {apart} apart, disagree on {count} of the article: "
        f"the page changed between them, or one archive's copy is not what the site served "
        f"(shown: {shown.kind} in {b.id} against {a.id})"
    )
    return Finding(
        kind=FindingKind.ARCHIVE_DISAGREEMENT,
        substantive=False,
        detail=detail,
        local_text=shown.local_text,
        remote_text=shown.remote_text,
        diff=shown.diff,
        sources=(a.id, b.id),
        first_seen=a.timestamp,
        last_seen=b.timestamp,
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
    ``window`` (so n captures cost at most n comparisons per other archive); a pair
    whose article text differs substantively is one finding, the earlier capture
    first (``local_text`` its passage, ``remote_text`` the other's).

    Args:
        sources: the check's sources with their documents (only archive captures
            whose text was compared take part).
        ignore: the check's ignore patterns (left out of both sides).
        window: how far apart two captures may be.
        archives: source id -> archive name, for captures whose id does not say it
            (stored copies, ``warc:FILE:OFFSET``); by default every ``archive`` source,
            named by its id.

    Returns:
        The findings, oldest pair first; none when fewer than two archives have text.
    """
    patterns = [re.compile(p) if isinstance(p, str) else p for p in ignore]
    if archives is None:
        archives = {s.id: archive_name(s) for s, _d in sources if s.kind is SourceKind.ARCHIVE}
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
                pairs.add((min(index, other), max(index, other)))
    findings = []
    for first, second in sorted(pairs):
        finding = _disagreement(captures[first], captures[second], patterns)
        if finding is not None:
            findings.append(finding)
    return tuple(findings)


def _time(source: Source) -> datetime:
    assert source.timestamp is not None  # _captures keeps dated sources only
    return source.timestamp
