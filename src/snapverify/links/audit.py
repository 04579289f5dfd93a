"""The links of one check: the original URL's rot, outbound links, lost targets.

Given what the check already fetched (the live page's source, the compared sources, the
candidates for lost-target recovery), this asks the :class:`LinkChecker` about each
distinct link and the archives about archived versions, and returns the link table and
the link findings (``link_rot``, ``lost_link_target``, ``dead_link``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urldefrag

from snapverify.fetch.archives import Archive
from snapverify.links.check import Archived, LinkChecker, LinkStatus, is_dead
from snapverify.links.recover import Candidate, Recovered, page_text, recover_lost
from snapverify.models import (
    Document,
    Finding,
    FindingKind,
    Link,
    LinkCheck,
    Outcome,
    Source,
    SourceKind,
)
from snapverify.text.normalise import word_keys

__all__ = [
    "Candidate",
    "LinkAudit",
    "audit_links",
    "link_rot",
    "newest_good_capture",
    "published_at",
    "same_page",
]

_GOOD = frozenset({Outcome.OK, Outcome.REDIRECTED})
_SAME_PAGE = 0.8  # word-set Jaccard above which two pages are the same page


def same_page(first: bytes, second: bytes) -> bool:
    """Whether two HTML pages say the same thing (their words' Jaccard index >= 0.8)."""
    words = [set(word_keys(page_text(page))) for page in (first, second)]
    union = words[0] | words[1]
    if not union:
        return first == second
    return len(words[0] & words[1]) / len(union) >= _SAME_PAGE


@dataclass(frozen=True, slots=True)
class LinkAudit:
    """The link table and the link findings of one check."""

    rows: tuple[LinkCheck, ...]
    findings: tuple[Finding, ...]


def published_at(local: Document, fallback: datetime | None = None) -> datetime:
    """The article's publication time (UTC), else ``fallback``, else now."""
    if local.published:
        try:
            value = datetime.fromisoformat(local.published.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is not None:
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return fallback or datetime.now(UTC)


def newest_good_capture(sources: Sequence[Source]) -> Source | None:
    """The newest archived source that was compared as the article."""
    good = [
        s
        for s in sources
        if s.kind is not SourceKind.LIVE
        and s.outcome in _GOOD
        and s.similarity is not None
        and s.timestamp is not None
    ]
    return max(good, key=lambda s: s.timestamp or datetime.min.replace(tzinfo=UTC), default=None)


def _transience(status: LinkStatus) -> str:
    """What a finding's detail adds about a transient failure ("" for a definitive one)."""
    if not status.transient:
        return ""
    if status.confirmed:
        return "; confirmed: failing since an earlier check"
    return "; transient until a later check confirms it"


async def link_rot(
    url: str,
    live: Source | None,
    sources: Sequence[Source],
    checker: LinkChecker,
    *,
    record: bool = True,
) -> Finding | None:
    """The ``link_rot`` finding of the original URL, from the live page's source.

    Anything but ``ok`` or ``redirected`` (to the same article: the pipeline turns a
    redirect to another page into ``soft_404``) is rot. The live answer is kept in the
    link cache so that a transient failure can be confirmed by a later check
    (``record`` False: not kept, e.g. when nothing at all answered).
    """
    if live is None:
        return None
    status = LinkStatus(
        url=url,
        outcome=live.outcome,
        status=live.status,
        detail=live.note,
        checked_at=live.timestamp or datetime.now(UTC).replace(microsecond=0),
    )
    if record:
        status = await checker.record(status)
    if live.outcome in _GOOD:
        return None
    newest = newest_good_capture(sources)
    detail = f"the original URL: {live.note or live.outcome}{_transience(status)}"
    return Finding(
        kind=FindingKind.LINK_ROT,
        substantive=status.substantive,
        detail=detail,
        sources=("live",),
        url=url,
        status=live.status,
        outcome=live.outcome,
        archive_url=None if newest is None else newest.url,
    )


def _outbound(link: Link, page: str | None) -> bool:
    """Whether a link leaves the page (a fragment of the page itself does not)."""
    if link.url is None:
        return True
    if link.url.startswith("#"):
        return False
    if not page or "#" not in link.url:
        return True
    try:
        return urldefrag(link.url)[0] != urldefrag(page)[0]
    except ValueError:
        return True


async def audit_links(
    local: Document,
    *,
    candidates: Sequence[Candidate],
    checker: LinkChecker,
    archives: Sequence[Archive],
    published: datetime,
    ask: bool = True,
    until: float | None = None,
) -> LinkAudit:
    """Check the local copy's links and recover its lost targets.

    Args:
        local: the local copy (lost links have ``url`` None).
        candidates: documents to recover lost targets from, best-matching first.
        checker: the run's link checker.
        archives: where to look for archived versions.
        published: the article's date: archived versions are looked for near it.
        ask: False: ask nothing over the network (the cache's last answers only).
        until: the check's deadline (event loop time): a link not answered by then is
            ``unreachable`` (transient) in this check.

    Returns:
        One row per link (lost ones with the recovered target) and the findings.
    """
    links = [link for link in local.links if _outbound(link, local.url)]
    recovered: dict[int, Recovered] = {}
    if any(link.lost for link in links):
        for match in recover_lost(local, candidates):
            recovered[id(match.link)] = match
    targets: list[tuple[Link, str | None, Recovered | None]] = []
    for link in links:
        hit = recovered.get(id(link))
        targets.append((link, link.url if hit is None else hit.url, hit))
    urls = sorted({url for _l, url, _f in targets if url})
    answers = await asyncio.gather(*(checker.status(u, ask=ask, until=until) for u in urls))
    statuses = dict(zip(urls, answers, strict=True))
    wanted = sorted(
        {url for _l, url, f in targets if url and (f is not None or is_dead(statuses[url].outcome))}
    )
    found_archives = await asyncio.gather(
        *(checker.archived(list(archives), url, published, ask=ask, until=until) for url in wanted)
    )
    archived: dict[str, Archived | None] = dict(zip(wanted, found_archives, strict=True))

    rows: list[LinkCheck] = []
    findings: list[Finding] = []
    dead_seen: set[str] = set()
    for link, url, found in targets:
        status = statuses.get(url) if url else None
        version = archived.get(url) if url else None
        rows.append(_row(link, url, status, version))
        if found is not None:
            findings.append(_lost_finding(link, found, status, version))
        if url and status is not None and is_dead(status.outcome) and url not in dead_seen:
            dead_seen.add(url)
            findings.append(_dead_finding(link, url, status, version))
    return LinkAudit(tuple(rows), tuple(findings))


def _row(
    link: Link, url: str | None, status: LinkStatus | None, version: Archived | None
) -> LinkCheck:
    if status is None:
        detail = "target lost in the local copy; not found in any capture"
        return LinkCheck(
            link.text, None, Outcome.SKIPPED, block=link.block, lost=True, detail=detail
        )
    return LinkCheck(
        text=link.text,
        url=url,
        outcome=status.outcome,
        status=status.status,
        block=link.block,
        archive_url=None if version is None else version.url,
        archive_timestamp=None if version is None else version.timestamp,
        lost=link.lost,
        detail=status.detail,
        checked_at=status.checked_at,
        cached=status.cached,
    )


def _lost_finding(
    link: Link, found: Recovered, status: LinkStatus | None, version: Archived | None
) -> Finding:
    if found.url is None:
        detail = f"link {link.text!r}: target lost in the local copy; no capture has it"
    else:
        how = {"text": "by anchor text", "page": "by anchor text", "position": "by position"}
        detail = (
            f"link {link.text!r}: target lost in the local copy; recovered from a "
            f"source {how.get(found.how or '', '')}".rstrip()
        )
    return Finding(
        kind=FindingKind.LOST_LINK_TARGET,
        substantive=False,
        detail=detail,
        local_block=link.block,
        sources=(found.source,) if found.source else (),
        url=found.url,
        status=None if status is None else status.status,
        outcome=None if status is None else status.outcome,
        archive_url=None if version is None else version.url,
        text=link.text,
    )


def _dead_finding(link: Link, url: str, status: LinkStatus, version: Archived | None) -> Finding:
    detail = f"link {link.text!r}: {status.detail or status.outcome}{_transience(status)}"
    return Finding(
        kind=FindingKind.DEAD_LINK,
        substantive=status.substantive,
        detail=detail,
        local_block=link.block,
        url=url,
        status=status.status,
        outcome=status.outcome,
        archive_url=None if version is None else version.url,
        text=link.text,
    )
