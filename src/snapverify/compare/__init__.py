"""Compare a local copy with its sources: align, diff, classify, merge.

Pure: documents in, findings out. See :func:`compare_documents`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from snapverify.compare.align import Side, align
from snapverify.compare.classify import Keyed, classify
from snapverify.compare.metadata import compare_metadata
from snapverify.compare.timeline import merge_findings, provenance
from snapverify.models import Document, Finding, Outcome, Provenance, Source, Verdict

__all__ = ["COMPARABLE", "Comparison", "compare_documents"]

# Outcomes whose text is article text and is compared.
COMPARABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})


@dataclass(frozen=True, slots=True)
class Comparison:
    """Findings of a local copy against its sources, merged across sources."""

    sources: tuple[Source, ...]
    findings: tuple[Finding, ...]
    provenance: Provenance | None
    verdict: Verdict
    exit_code: int


def _blocks(document: Document, patterns: Sequence[re.Pattern[str]]) -> list[tuple[int, str]]:
    blocks = []
    for index, block in enumerate(document.blocks):
        text = block.text
        for pattern in patterns:
            text = pattern.sub(" ", text)
        if text.strip():
            blocks.append((index, text))
    return blocks


def compare_documents(
    local: Document,
    sources: Sequence[tuple[Source, Document | None]],
    *,
    ignore: Sequence[str | re.Pattern[str]] = (),
) -> Comparison:
    """Compare a local copy with every source that has article text.

    Args:
        local: the local copy (the reference).
        sources: each source with its extracted document; sources whose outcome is
            not comparable (or whose document is ``None``) are kept, not compared.
        ignore: regular expressions; matching text is dropped from both sides
            before comparing (a disclaimer the site later removed, for example).

    Returns:
        The sources with their similarity, the merged findings, provenance and
        verdict. ``unverifiable`` (exit 4) when no source could be compared.

    Raises:
        re.error: when an ignore pattern is not a valid regular expression.
    """
    patterns = [re.compile(p) if isinstance(p, str) else p for p in ignore]
    local_side = Side.of(_blocks(local, patterns))
    total = len(local_side.keys)
    compared: list[tuple[Source, list[Keyed]]] = []
    updated: list[Source] = []
    for source, document in sources:
        if document is None or source.outcome not in COMPARABLE:
            updated.append(source)
            continue
        alignment = align(local_side, Side.of(_blocks(document, patterns)))
        classified = classify(alignment)
        keyed = classified.findings + compare_metadata(local, document)
        similarity = classified.matched_words / total if total else 0.0
        note = source.note or ("; ".join(document.notes) if document.notes else None)
        source = dataclasses.replace(
            source, similarity=similarity, extraction=document.extraction, note=note
        )
        updated.append(source)
        compared.append((source, keyed))
    findings = merge_findings(compared)
    substantive: dict[str, int] = {}
    for finding in findings:
        if finding.substantive:
            for source_id in finding.sources:
                substantive[source_id] = substantive.get(source_id, 0) + 1
    if not compared:
        verdict, code = Verdict.UNVERIFIABLE, 4
    elif any(finding.substantive for finding in findings):
        verdict, code = Verdict.CHANGED, 1
    else:
        verdict, code = Verdict.UNCHANGED, 0
    return Comparison(
        sources=tuple(updated),
        findings=findings,
        provenance=provenance(updated, substantive),
        verdict=verdict,
        exit_code=code,
    )
