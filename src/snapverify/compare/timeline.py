"""Merge findings across sources: one finding per change, when it first and last showed.

Sources are taken in time order (undated ones last), so a finding's representative
text, ``first_seen`` and ``last_seen`` come from the earliest and latest dated
sources that show it. Provenance is the source closest to the local copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from snapverify.compare.classify import Keyed
from snapverify.models import Finding, Provenance, Source

__all__ = ["merge_findings", "provenance", "time_order"]

_UNDATED = datetime.max.replace(tzinfo=UTC)


def time_order(sources: Sequence[Source]) -> list[Source]:
    """Sources sorted by timestamp, undated ones last, ties by id."""
    return sorted(sources, key=lambda s: (s.timestamp or _UNDATED, s.id))


def _position(finding: Finding) -> tuple[float, int]:
    if finding.local_block is not None:
        return (finding.local_block, 1)
    if finding.insert_after is not None:
        return (finding.insert_after + 0.5, 1)
    return (-1.0, 0)


def merge_findings(per_source: Sequence[tuple[Source, Sequence[Keyed]]]) -> tuple[Finding, ...]:
    """One finding per distinct change, listing every source that shows it.

    Args:
        per_source: each compared source with its keyed findings.

    Returns:
        The merged findings in local-copy order (metadata first).
    """
    order = {source.id: n for n, source in enumerate(time_order([s for s, _ in per_source]))}
    grouped: dict[tuple[object, ...], list[tuple[Source, Finding]]] = {}
    for source, keyed in sorted(per_source, key=lambda item: order[item[0].id]):
        for item in keyed:
            grouped.setdefault(item.key, []).append((source, item.finding))
    merged = []
    for shows in grouped.values():
        dated = [source.timestamp for source, _ in shows if source.timestamp is not None]
        merged.append(
            dataclasses.replace(
                shows[0][1],
                sources=tuple(source.id for source, _ in shows),
                first_seen=min(dated) if dated else None,
                last_seen=max(dated) if dated else None,
            )
        )
    merged.sort(key=_position)
    return tuple(merged)


def provenance(sources: Sequence[Source], substantive: dict[str, int]) -> Provenance | None:
    """The compared source closest to the local copy.

    Highest similarity wins; ties go to the source with fewer substantive findings,
    then to the earliest.
    """
    compared = [source for source in sources if source.similarity is not None]
    if not compared:
        return None
    best = min(
        compared,
        key=lambda s: (-(s.similarity or 0.0), substantive.get(s.id, 0), s.timestamp or _UNDATED),
    )
    return Provenance(best.id, best.similarity or 0.0)
