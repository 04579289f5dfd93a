"""The link step of a check: the soft-404 sibling probe and the link findings.

Called by :mod:`snapverify.pipeline.check` (one call each); the link work itself lives
in :mod:`snapverify.links`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence

from snapverify.compare import Comparison
from snapverify.fetch.archives import Archive
from snapverify.fetch.http import HttpClient
from snapverify.fetch.live import LiveFetch, probe_sibling
from snapverify.links import LinkChecker
from snapverify.links.audit import Candidate, audit_links, link_rot, published_at, same_page
from snapverify.models import Document, Finding, LinkCheck, Outcome, Source, SourceKind, Verdict
from snapverify.pipeline.sources import live_source, overlap

__all__ = ["PROBE_BELOW", "probe_soft_404", "with_links"]

# A live page sharing less than this of the local copy's words is probed for a soft 404.
PROBE_BELOW = 0.5


async def probe_soft_404(
    fetched: LiveFetch,
    local: Document,
    client: HttpClient,
    documents: dict[str, Document | str],
) -> LiveFetch:
    """A live 200 that shares little of the local copy is checked against a random
    sibling path (InternetArchiveBot's probe): the same page there makes it a soft 404.

    Args:
        fetched: the live page as fetched.
        local: the local copy.
        client: the HTTP client (one request, endpoint ``live``, only when probed).
        documents: the run's extraction memo (payload sha256 -> document).

    Returns:
        ``fetched``, or a copy of it whose outcome is ``soft_404``.
    """
    response = fetched.response
    if response is None or fetched.outcome not in (Outcome.OK, Outcome.REDIRECTED):
        return fetched

    def share() -> float | None:
        _source, document = live_source(fetched, local, documents)
        return None if document is None else overlap(local, document)

    similar = await asyncio.to_thread(share)
    if similar is None or similar >= PROBE_BELOW:
        return fetched  # already judged from content, or plainly the article
    sibling = await probe_sibling(response.url, client=client)
    if sibling is None or not await asyncio.to_thread(same_page, response.content, sibling.content):
        return fetched
    detail = (
        f"a random path of the same site ({sibling.url}) answers the same page: "
        f"a soft 404 (the page shares {similar:.0%} of the local copy's words)"
    )
    return dataclasses.replace(fetched, outcome=Outcome.SOFT_404, detail=detail)


async def with_links(
    local: Document,
    url: str,
    comparison: Comparison,
    pairs: Sequence[tuple[Source, Document | None]],
    pages: Mapping[str, tuple[bytes | None, str]],
    *,
    checker: LinkChecker,
    archives: Sequence[Archive],
    offline: bool = False,
    until: float | None = None,
) -> tuple[Verdict, int, tuple[Finding, ...], tuple[LinkCheck, ...]]:
    """Add the link findings (``link_rot``, ``lost_link_target``, ``dead_link``) and the
    link table to a comparison; a substantive link finding makes an unchanged check
    ``changed`` (exit 1). An unverifiable check stays unverifiable (exit 4): its text
    could not be checked, whatever its links say.

    Args:
        local: the local copy (with the lost anchors of an HTML copy).
        url: the original URL.
        comparison: the comparison of the local copy with its sources.
        pairs: each source with its document (None: not compared).
        pages: source id -> (payload, original URL), for anchors outside the body.
        checker: the run's link checker.
        archives: where archived versions are looked for.
        offline: nothing answered at all: no link is asked and no failure recorded,
            so an outage never confirms rot.
        until: the check's deadline (event loop time): links not answered by then are
            ``unreachable`` in this check.

    Returns:
        ``(verdict, exit_code, findings, link rows)``.
    """
    sources = comparison.sources
    live = next((s for s in sources if s.kind is SourceKind.LIVE), None)
    findings: list[Finding] = []
    rot = await link_rot(url, live, sources, checker, record=not offline)
    if rot is not None:
        findings.append(rot)
    similarity = {s.id: s.similarity or 0.0 for s in sources}
    best = comparison.provenance.source if comparison.provenance else None
    documents = [(source.id, doc) for source, doc in pairs if doc is not None]
    documents.sort(key=lambda pair: (pair[0] != best, -similarity.get(pair[0], 0.0)))
    candidates = [Candidate(sid, doc, *pages.get(sid, (None, None))) for sid, doc in documents]
    provenance = next((s.timestamp for s in sources if s.id == best), None)
    audit = await audit_links(
        local,
        candidates=candidates,
        checker=checker,
        archives=archives,
        published=published_at(local, provenance),
        ask=not offline,
        until=until,
    )
    findings.extend(audit.findings)
    verdict, exit_code = comparison.verdict, comparison.exit_code
    if verdict is Verdict.UNCHANGED and any(f.substantive for f in findings):
        verdict, exit_code = Verdict.CHANGED, 1
    return verdict, exit_code, (*comparison.findings, *findings), audit.rows
