"""``check --offline``: check a snapshot against its stored WARCs, with no network at all.

The sources are the pages ``archive`` stored in the snapshot's ``archive/`` folder
(:mod:`snapverify.fetch.replay`): each stored live page and each stored capture, judged
by the same code as when they were fetched (:mod:`snapverify.pipeline.sources`), so the
content findings are those of the online check that saw the same pages. Sources have
kind ``warc`` and ids ``warc:{file}:{offset}``. Outbound links are not checked: the
link table gives each link's last known status from the store's link cache.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from snapverify.compare import compare_documents
from snapverify.compare.corroborate import corroborate
from snapverify.errors import (
    InputError,
    IntegrityError,
    SnapverifyError,
    Unverifiable,
    UsageError,
)
from snapverify.fetch.archives import Archive, CaptureRef
from snapverify.fetch.replay import live_fetch, source_id, stored_pages
from snapverify.links import LinkChecker
from snapverify.models import (
    CheckResult,
    Document,
    Finding,
    LinkCheck,
    Source,
    SourceKind,
)
from snapverify.pipeline.files import compile_ignore, failed_result, snapshot_info
from snapverify.pipeline.linkstep import with_links
from snapverify.pipeline.progress import CheckProgress
from snapverify.pipeline.sources import FetchedCapture, capture_source, live_source
from snapverify.snapshot import ARCHIVE_DIR, read_local_copy
from snapverify.store.cache import CachedCapture
from snapverify.store.warc import StoredPage, read_records
from snapverify.text.extract import prepare_reference
from snapverify.timestamps import format_timestamp

__all__ = ["OFFLINE_NOTE", "check_offline", "stored_source", "warc_sources"]

logger = logging.getLogger(__name__)

OFFLINE_NOTE = "offline: sources are the stored WARCs; outbound links not checked"


def _capture_pair(
    page: StoredPage, base: Path, local: Document, memo: dict[str, Document | str]
) -> tuple[Source, Document | None]:
    fields = page.fields
    timestamp = fields.get("timestamp") or (format_timestamp(page.date) if page.date else "")
    served = fields.get("served") or timestamp
    status = int(fields["status"]) if fields.get("status", "").isdigit() else page.status
    capture = CaptureRef(
        archive=fields.get("archive", "warc"),
        timestamp=timestamp,
        original=fields.get("original") or page.url,
        status=status,
        mimetype=fields.get("mimetype"),
        digest=fields.get("digest"),
        length=None,
        raw_url=page.source_url or page.url,
        view_url=fields.get("view-url") or page.source_url or page.url,
    )
    record = CachedCapture(
        outcome=fields.get("outcome", "ok"),
        status=status,
        timestamp=served,
        url=page.source_url or page.url,
        sha256="",
        sha1="",
        raw_sha1="",
        content_type=page.content_type,
        detail=fields.get("detail"),
    )
    fetched = FetchedCapture.of(record, page.payload)
    source, document = capture_source(capture, fetched, local, memo)
    note = f"stored copy of {source.id}"
    source = dataclasses.replace(
        source,
        id=source_id(page, base),
        kind=SourceKind.WARC,
        note=f"{note}; {source.note}" if source.note else note,
    )
    return source, document


def _live_pair(
    page: StoredPage, base: Path, local: Document, memo: dict[str, Document | str]
) -> tuple[Source, Document | None]:
    source, document = live_source(live_fetch(page), local, memo)
    note = "stored live page"
    source = dataclasses.replace(
        source,
        id=source_id(page, base),
        kind=SourceKind.WARC,
        timestamp=page.date.replace(microsecond=0) if page.date else None,
        note=f"{note}; {source.note}" if source.note else note,
    )
    return source, document


def _pair(
    page: StoredPage, base: Path, local: Document, memo: dict[str, Document | str]
) -> tuple[Source, Document | None]:
    pair = _live_pair if page.role == "live" else _capture_pair
    return pair(page, base, local, memo)


def stored_source(
    page: StoredPage, base: Path, local: Document, memo: dict[str, Document | str]
) -> tuple[Source, Document | None]:
    """One stored page as a source (kind ``warc``, id ``warc:{file}:{offset}`` relative
    to ``base``) and, when it is article text, its document: judged as when fetched.
    ``verify FILE.wacz`` uses it to re-run a check from a bundle's WARCs."""
    return _pair(page, base, local, memo)


def warc_sources(
    path: Path, local: Document, memo: dict[str, Document | str] | None = None
) -> list[tuple[Source, Document | None]]:
    """Every page of the local copy's URL in one WARC, as sources (kind ``warc``).

    Args:
        path: a ``.warc`` or ``.warc.gz`` file (``compare LOCAL file.warc.gz``).
        local: the local copy (its URL picks the pages; without one, every page).
        memo: extracted documents by payload SHA-256, shared across calls.

    Raises:
        InputError: the file is not a readable WARC or holds no page of the URL.
    """
    try:
        pages = read_records(path)
    except (OSError, ValueError) as exc:
        raise InputError(str(exc), url=str(path)) from exc
    wanted = local.url.split("://", 1)[-1].rstrip("/").lower() if local.url else None
    memo = {} if memo is None else memo
    pairs = []
    for page in pages:
        names = {page.url, page.fields.get("requested", ""), page.fields.get("original", "")}
        keys = {name.split("://", 1)[-1].rstrip("/").lower() for name in names if name}
        if wanted is not None and wanted not in keys:
            continue
        pairs.append(_pair(page, path.parent, local, memo))
    if not pairs:
        raise InputError(f"{path}: no page of {local.url} in this WARC", url=str(path))
    return pairs


async def check_offline(
    path: Path,
    *,
    url: str | None = None,
    ignore: tuple[str, ...] = (),
    live: bool = True,
    links: LinkChecker | None = None,
    archives: Sequence[Archive] = (),
    progress: CheckProgress | None = None,
) -> CheckResult:
    """Check one local copy against the WARCs stored beside it, without the network.

    Args:
        path: the local copy.
        url: the original URL, when the local copy does not say it.
        ignore: regular expressions left out of the comparison.
        live: use the stored live pages (``--no-live`` leaves them out).
        links: a link checker that asks nothing (``network=False``): the link table
            then shows each link's last known status from the store, and lost
            targets are recovered from the stored captures.
        archives: the archives whose stored archived versions of links are reported.
        progress: counts each stored page read from the WARCs as one capture.

    Returns:
        The result; ``unverifiable`` (exit 4) when no stored page could be compared.
    """
    started = datetime.now(UTC)
    try:
        copy = read_local_copy(path, url=url)
        patterns = compile_ignore([*copy.ignore, *ignore])
    except SnapverifyError as exc:
        return failed_result(path, exc)
    local = copy.document
    if not local.url:
        missing = UsageError(f"{path}: no original URL (give --url or add snapshot.toml)")
        return failed_result(path, missing, copy)
    base = path.parent
    pages = stored_pages([base / ARCHIVE_DIR], local.url)
    notes = [*local.notes, OFFLINE_NOTE, *pages.problems]
    if pages.problems and not pages.live and not pages.captures:
        # A stored WARC that cannot be read is damaged stored data (exit 5), not "nothing".
        return failed_result(path, IntegrityError(pages.problems[0], url=str(path)), copy)
    if not pages.live and not pages.captures:
        error = Unverifiable(
            f"{path}: nothing stored to check offline in {base / ARCHIVE_DIR} "
            "(run 'snapverify archive' first)",
            url=str(path),
        )
        return failed_result(path, error, copy)
    prepare_reference(local)
    memo: dict[str, Document | str] = {}
    stored = [*(pages.live if live else ()), *pages.captures]
    if progress is not None:
        progress.listed(len(stored))
    pairs = []
    for page in stored:
        pairs.append(_pair(page, base, local, memo))
        if progress is not None:
            progress.fetched()
    comparison = compare_documents(local, pairs, ignore=patterns)
    # Stored captures of several archives are checked against each other, as online.
    archives_of = {
        source_id(p, base): p.fields["archive"]
        for p in stored
        if p.role == "capture" and p.fields.get("archive")
    }
    disagreements = corroborate(pairs, ignore=patterns, archives=archives_of)
    verdict, exit_code = comparison.verdict, comparison.exit_code
    findings: tuple[Finding, ...] = comparison.findings
    rows: tuple[LinkCheck, ...] = ()
    if links is not None:
        payloads = {
            source_id(p, base): (p.payload, p.fields.get("original") or p.url) for p in stored
        }
        verdict, exit_code, findings, rows = await with_links(
            local,
            local.url,
            comparison,
            pairs,
            payloads,
            checker=links,
            archives=archives,
            offline=True,  # nothing is asked, and no failure is recorded
        )
    if pages.problems:
        exit_code = IntegrityError.exit_code  # the other WARCs were compared; one is damaged
    return CheckResult(
        snapshot=snapshot_info(copy),
        verdict=verdict,
        exit_code=exit_code,
        sources=comparison.sources,
        findings=(*findings, *disagreements),
        provenance=comparison.provenance,
        notes=tuple(notes),
        checked_at=started,
        links=rows,
    )
