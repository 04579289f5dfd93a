"""Turn what was fetched into sources: outcome, payload hash, extracted document.

A page is compared as article text only when HTTP and its content agree that it
is the article: an archived error page, a bot wall, a not-found page answered
200 or the home page is kept as a source (evidence, with its outcome) and never
compared.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from snapverify.fetch.archives import CaptureRef
from snapverify.fetch.live import LiveFetch
from snapverify.models import Document, Outcome, Source, SourceKind
from snapverify.store.cache import CachedCapture
from snapverify.text.decode import NotADocument, charset_of, check_document
from snapverify.text.extract import extract
from snapverify.text.normalise import word_keys
from snapverify.text.pagetype import PageKind, classify_page
from snapverify.timestamps import parse_timestamp

__all__ = ["FetchedCapture", "capture_source", "live_source", "overlap"]

logger = logging.getLogger(__name__)

# Below this share of the local copy's words, a 200 page is not taken for the article
# without the page classifier's say-so (a home page, a section front).
_FOREIGN = 0.2


@dataclass(slots=True)
class FetchedCapture:
    """One capture as fetched or found in the cache: what the cache keeps, and the payload."""

    record: CachedCapture | None
    payload: bytes | None
    outcome: str
    status: int | None
    detail: str | None
    timestamp: str

    @classmethod
    def of(cls, record: CachedCapture, payload: bytes) -> FetchedCapture:
        """A capture with its payload, as fetched or found in the cache."""
        return cls(record, payload, record.outcome, record.status, record.detail, record.timestamp)

    @classmethod
    def failed(cls, detail: str, *, status: int | None = None) -> FetchedCapture:
        """A capture that could not be read (outcome ``error``)."""
        return cls(None, None, "error", status, detail, "")


def overlap(local: Document, document: Document) -> float:
    """Share of the local copy's distinct words that the document has (0-1)."""
    mine = set(word_keys(local.text))
    if not mine:
        return 0.0
    return len(mine & set(word_keys(document.text))) / len(mine)


def _document(
    payload: bytes,
    *,
    url: str,
    local: Document,
    content_type: str | None,
    memo: dict[str, Document | str],
) -> tuple[str, Document | str]:
    """Extract once per payload; a string is why there is no document."""
    sha256 = hashlib.sha256(payload).hexdigest()
    if sha256 not in memo:
        try:
            check_document(payload)
            memo[sha256] = extract(
                payload, url=url, reference=local, charset=charset_of(content_type)
            )
        except NotADocument as exc:
            memo[sha256] = f"not an article page: {exc}"
    return sha256, memo[sha256]


def capture_source(
    capture: CaptureRef,
    fetched: FetchedCapture,
    local: Document,
    memo: dict[str, Document | str],
) -> tuple[Source, Document | None]:
    """The source for one listed capture and, when it is article text, its document."""
    outcome = Outcome.parse(fetched.outcome)
    note = fetched.detail
    source = Source(
        id=f"{capture.archive}:{capture.timestamp}",
        kind=SourceKind.ARCHIVE,
        url=capture.view_url,
        timestamp=parse_timestamp(capture.timestamp),  # checked when listed
        status=fetched.status if fetched.status is not None else capture.status,
        outcome=outcome,
        digest=capture.digest,
        note=note,
    )
    payload = fetched.payload
    if payload is None:
        return source, None
    content_type = fetched.record.content_type if fetched.record is not None else None
    sha256, document = _document(
        payload, url=capture.original, local=local, content_type=content_type, memo=memo
    )
    source = replace(source, sha256=sha256)
    if outcome not in (Outcome.OK, Outcome.REDIRECTED):
        return source, None
    if isinstance(document, str):
        return replace(source, outcome=Outcome.ERROR, note=document), None
    headers = {"content-type": content_type} if content_type else None
    verdict = classify_page(
        payload,
        status=source.status,
        url=capture.original,
        reference=local,
        similarity=overlap(local, document),
        headers=headers,
    )
    if verdict.kind is not PageKind.ARTICLE:
        why = f"a capture of {verdict.reason}, kept as evidence, not compared"
        return replace(source, outcome=Outcome.ARCHIVED_ERROR, note=_join(note, why)), None
    return source, document


def live_source(
    fetched: LiveFetch,
    local: Document,
    memo: dict[str, Document | str],
) -> tuple[Source, Document | None]:
    """The live page's source and, when it is the article, its document."""
    response = fetched.response
    source = Source(
        id="live",
        kind=SourceKind.LIVE,
        url=response.url if response is not None else fetched.url,
        timestamp=datetime.now(UTC).replace(microsecond=0),
        status=fetched.status,
        outcome=fetched.outcome,
        note=fetched.detail,
    )
    if response is None:
        return source, None
    sha256, document = _document(
        response.content,
        url=response.url,
        local=local,
        content_type=response.header("content-type"),
        memo=memo,
    )
    source = replace(source, sha256=sha256)
    if fetched.outcome not in (Outcome.OK, Outcome.REDIRECTED):
        return source, None
    if isinstance(document, str):
        return replace(source, outcome=Outcome.SOFT_404, note=_join(source.note, document)), None
    share = overlap(local, document)
    verdict = classify_page(
        response.content,
        status=fetched.status,
        url=response.url,
        reference=local,
        similarity=share,
        headers=dict(response.headers),
    )
    if verdict.kind is PageKind.ARTICLE and share >= _FOREIGN:
        return source, document
    if verdict.kind in (PageKind.BOT_WALL, PageKind.LOGIN):
        outcome, why = Outcome.BLOCKED, f"the site answered {verdict.reason}"
    elif verdict.kind is PageKind.ERROR:
        outcome, why = Outcome.ERROR, f"the site answered {verdict.reason}"
    elif verdict.kind is PageKind.ARTICLE:
        outcome = Outcome.SOFT_404
        why = f"the page shares {share:.0%} of the local copy's words: not the article"
    else:
        outcome, why = Outcome.SOFT_404, f"the site answered {verdict.reason}"
    return replace(source, outcome=outcome, note=_join(source.note, why)), None


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second
