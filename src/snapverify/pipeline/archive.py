"""Archive what a check sees: ``snapverify archive``.

For each snapshot, one run writes into the snapshot's ``archive/`` folder:

- ``<YYYYmmddHHMMSS>-<token>.warc.gz``: the live page (request and response as
  received) and, with ``captures``, every archived capture the check uses (payloads
  from the capture cache, so nothing already fetched is fetched again), each with a
  metadata record (see :mod:`snapverify.store.warc`);
- ``<stem>.md``: the live article as extracted, readable and checkable
  (:mod:`snapverify.store.export`), when the live page is the article;
- ``<stem>.manifest-sha256.txt``: the SHA-256 of both, written last
  (:mod:`snapverify.store.fixity`).

Nothing is ever overwritten: each file is written to a temporary name, fsynced and
linked to a name no file has (:func:`snapverify.store.atomic.write_new`); a killed run
leaves temporary files only, which the next run removes. With ``save``, the Wayback
Machine is asked to capture the URL (Save Page Now, through waybackpy), unless a
capture newer than ``min_age`` exists.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from snapverify.compare import compare_documents
from snapverify.errors import (
    AddressRefused,
    FetchError,
    SnapverifyError,
    StorageError,
    UsageError,
)
from snapverify.fetch.archives import Archive, CaptureRef, parse_archive_spec
from snapverify.fetch.http import HttpClient, Rate
from snapverify.fetch.live import LiveFetch, fetch_live
from snapverify.fetch.policy import Resolver
from snapverify.fetch.timemap import split_playback_url
from snapverify.models import Document, Source
from snapverify.pipeline.check import CheckOptions, Run, list_captures, make_client
from snapverify.pipeline.save import (
    SAVE_ENDPOINT,
    SAVE_INTERVAL,
    SAVE_LIMITER,
    SaveLimiter,
    SaveResult,
    save_page,
    wayback_save,
)
from snapverify.pipeline.sources import FetchedCapture, live_source
from snapverify.snapshot import (
    ARCHIVE_DIR,
    LocalCopy,
    find_local_copies,
    find_store,
    read_local_copy,
)
from snapverify.store.access import NO_SPACE, NO_SPACE_MESSAGE, NO_SPACE_NOTE, describe_os_error
from snapverify.store.atomic import kill_point, remove_stale_temporaries
from snapverify.store.cache import CaptureCache
from snapverify.store.history import HISTORY_FILE, History
from snapverify.store.lock import hold_lock
from snapverify.store.runs import write_archive
from snapverify.store.warc import CaptureRecord, LiveRecord
from snapverify.text.extract import prepare_reference
from snapverify.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "ARCHIVE_SCHEMA",
    "ArchiveOptions",
    "ArchiveResult",
    "archive",
    "archive_if_changed",
    "archive_snapshots",
    "newest_stored",
]

logger = logging.getLogger(__name__)

ARCHIVE_SCHEMA = "snapverify/archive-v1"


@dataclass(frozen=True, slots=True)
class ArchiveOptions:
    """What ``archive`` fetches and writes.

    Attributes:
        captures: also store every archived capture the check uses.
        save: ask the Wayback Machine to capture the URL (Save Page Now).
        min_age: with ``save``, skip when a capture newer than this exists.
        live: fetch the live page.
        archives: archive specs, as for ``check``.
        start: earliest capture timestamp, as for ``check``.
        end: latest capture timestamp, as for ``check``.
        max_captures: as for ``check``.
        allow_private: also allow loopback and the archives' hosts.
        allow_networks: further CIDR ranges to allow.
        timeout: connect/read timeout per request, seconds.
        deadline: total time per request, seconds.
        rates: rate limits by endpoint name, over the defaults.
        store: the store folder (default: found from the snapshot).
        url: the original URL, for a local copy that does not say it.
        save_archive: the archive listed to decide whether a recent capture exists
            (``wayback``; tests name a loopback pywb).
        save_endpoint: Save Page Now's URL prefix (tests name a loopback server).
        save_interval: seconds between two saves (one process-wide limiter at 20 s).
        command: the command line of the run, written into each WARC's ``warcinfo``
            (the chain of custody of every fetch stored).
    """

    captures: bool = False
    save: bool = False
    min_age: timedelta = timedelta(days=1)
    live: bool = True
    archives: tuple[str, ...] = ("wayback",)
    start: str | None = None
    end: str | None = None
    max_captures: int | None = None
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    timeout: float = 30.0
    deadline: float = 120.0
    rates: Mapping[str, Rate] = field(default_factory=dict)
    store: Path | None = None
    url: str | None = None
    save_archive: str = "wayback"
    save_endpoint: str = SAVE_ENDPOINT
    save_interval: float = SAVE_INTERVAL
    command: str | None = None


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    """One snapshot's archive run.

    Attributes:
        snapshot: the local copy's path.
        url: the original URL.
        exit_code: 0 when everything asked was archived.
        files: what was written: (path relative to the snapshot folder, SHA-256).
        warc: the WARC's path relative to the snapshot folder.
        export: the readable export's, if one was written.
        manifest: the fixity manifest's.
        live: the live page's outcome, when it was fetched.
        captures: how many captures were stored.
        save: Save Page Now's result, when asked.
        notes: what else to say.
        error: why the snapshot could not be archived.
    """

    snapshot: str
    url: str
    exit_code: int
    files: tuple[tuple[str, str], ...] = ()
    warc: str | None = None
    export: str | None = None
    manifest: str | None = None
    live: str | None = None
    captures: int = 0
    save: SaveResult | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": ARCHIVE_SCHEMA,
            "snapshot": self.snapshot,
            "url": self.url,
            "exit_code": self.exit_code,
            "warc": self.warc,
            "export": self.export,
            "manifest": self.manifest,
            "files": [{"path": p, "sha256": s} for p, s in self.files],
            "live": self.live,
            "captures": self.captures,
            "save": None if self.save is None else self.save.as_dict(),
            "notes": list(self.notes),
            "error": self.error,
        }


# -- writing one run ----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _live_record(fetched: LiveFetch, fetched_at: datetime) -> LiveRecord | None:
    response = fetched.response
    if response is None:
        return None
    fields = {"outcome": str(fetched.outcome), "status": str(response.status)}
    if fetched.detail:
        fields["detail"] = fetched.detail
    if response.history:
        fields["redirects"] = " ".join(f"{hop.url} {hop.status}" for hop in response.history)
        fields["requested"] = fetched.url
    return LiveRecord(
        url=response.url,
        fetched_at=fetched_at,
        status=response.status,
        reason=response.reason,
        http_version=response.http_version,
        headers=response.headers,
        body=response.wire_body,
        request_headers=response.request_headers,
        fields=fields,
        ip_address=response.ip_address,
        certificates=response.peer_certificates,
        chain_verified=response.peer_chain_verified,
    )


def _capture_record(capture: CaptureRef, fetched: FetchedCapture) -> CaptureRecord | None:
    record, payload = fetched.record, fetched.payload
    if record is None or payload is None:
        return None
    served = split_playback_url(record.url)
    original = served[3] if served else capture.original
    fields = {
        "archive": capture.archive,
        "timestamp": capture.timestamp,
        "original": capture.original,
        "view-url": capture.view_url,
        "outcome": fetched.outcome,
        "status": "" if fetched.status is None else str(fetched.status),
        "served": record.timestamp,
        "digest": capture.digest or "",
        "mimetype": capture.mimetype or "",
        "detail": fetched.detail or "",
        "copied": format_timestamp(_now()),
    }
    return CaptureRecord(
        url=original,
        captured_at=parse_timestamp(record.timestamp or capture.timestamp),
        source_url=record.url,
        content_type=record.content_type,
        payload=payload,
        fields={k: v for k, v in fields.items() if v},
        ip_address=record.ip_address,
        certificates=tuple(ssl.PEM_cert_to_DER_cert(pem) for pem in record.certificates),
        chain_verified=record.chain_verified,
    )


# -- the run -------------------------------------------------------------------------------


class _Archiver:
    def __init__(
        self,
        client: HttpClient,
        archives: Sequence[Archive],
        cache: CaptureCache,
        options: ArchiveOptions,
        saver: Callable[[str], str] | None,
        limiter: SaveLimiter,
    ) -> None:
        check_options = CheckOptions(
            archives=options.archives,
            start=options.start,
            end=options.end,
            max_captures=options.max_captures,
        )
        self.run = Run(client, archives, cache, check_options)
        self.client = client
        self.options = options
        self.saver = saver
        self.limiter = limiter

    def last_used(self, path: Path) -> set[str] | None:
        """The source ids of the snapshot's last recorded check (None: no check recorded)."""
        store = self.options.store or find_store(path)
        if not (store / HISTORY_FILE).is_file():
            return None
        try:
            with History.open(store) as history:
                report = history.last_report(history.key(path))
        except (OSError, SnapverifyError) as exc:
            logger.info("%s: no last check to follow: %s", path, exc)
            return None
        if report is None:
            return None
        return {str(s.get("id")) for s in report.get("sources", []) if isinstance(s, dict)}

    async def listed(
        self, url: str, used: set[str] | None = None
    ) -> tuple[list[tuple[CaptureRef, FetchedCapture]], list[str]]:
        """The captures the last check used (all the check would use, when none is
        recorded), fetched once or read from the cache."""
        notes: list[str] = []
        jobs = []
        for archive in self.run.archives:
            captures, sources, _reasons = await list_captures(self.run, archive, url)
            notes += [f"{s.id}: {s.outcome}: {s.note}" for s in sources if s.note]
            if used is not None and any(i.startswith(f"{archive.name}:") for i in used):
                captures = [c for c in captures if f"{archive.name}:{c.timestamp}" in used]
            jobs += [(c, self.run.capture(archive, c)) for c in captures]
        results = await asyncio.gather(*(job for _c, job in jobs))
        return [(c, r) for (c, _j), r in zip(jobs, results, strict=True)], notes

    async def save(self, url: str, known: Sequence[CaptureRef]) -> SaveResult:
        options = self.options
        return await save_page(
            url,
            client=self.client,
            known=known,
            min_age=options.min_age,
            archive=options.save_archive,
            saver=self.saver or (lambda u: wayback_save(u, endpoint=options.save_endpoint)),
            limiter=self.limiter,
        )

    async def one(self, path: Path) -> ArchiveResult:
        options = self.options
        try:
            copy = read_local_copy(path, url=options.url)
        except SnapverifyError as exc:
            return ArchiveResult(str(path), exc.url or "", exc.exit_code, error=exc.describe())
        url = copy.document.url
        if not url:
            error = UsageError(f"{path}: no original URL (give --url or add snapshot.toml)")
            return ArchiveResult(str(path), "", error.exit_code, error=error.describe())
        try:
            self.client.policy.check_url(url)
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            if options.live:
                await self.client.policy.resolve(parts.hostname or "", port)
        except AddressRefused as exc:
            refused = AddressRefused(exc.message, url=url)
            return ArchiveResult(str(path), url, refused.exit_code, error=refused.describe())
        except (FetchError, OSError) as exc:
            logger.info("%s: cannot resolve %s yet: %s", path, url, exc)
        folder = path.parent / ARCHIVE_DIR
        remove_stale_temporaries(folder)
        when = _now()
        fetched = None
        if options.live:
            fetched = await fetch_live(url, client=self.client)
        listed: list[tuple[CaptureRef, FetchedCapture]] = []
        notes: list[str] = []
        if options.captures:
            listed, notes = await self.listed(url, self.last_used(path))
        result = await write_run(
            path,
            copy,
            fetched,
            listed,
            when=when,
            notes=notes,
            store=self.options.store,
            command=options.command,
        )
        if options.save:
            saved = await self.save(url, [c for c, _f in listed])
            result = replace(result, save=saved)
            if saved.status == "failed" and result.exit_code == 0:
                result = replace(result, exit_code=FetchError.exit_code)
        return result


async def write_run(
    path: Path,
    copy: LocalCopy,
    fetched: LiveFetch | None,
    listed: Sequence[tuple[CaptureRef, FetchedCapture]] = (),
    *,
    when: datetime | None = None,
    notes: Sequence[str] = (),
    store: Path | None = None,
    command: str | None = None,
) -> ArchiveResult:
    """Write what was fetched for one snapshot (the live page, captures) as one run.

    Used by ``archive`` and by ``check --snapshot-changes`` (which passes the live page
    the check fetched). Once every file is final, the run is recorded in the store's
    history (when the store exists or can be made). ``command`` (the run's command
    line) goes into the WARC's ``warcinfo``, for the chain of custody.

    Returns:
        The result: exit 0 when the live page (if fetched) was stored and every listed
        capture with a payload too; 4 when the live page could not be fetched.
    """
    url = copy.document.url or ""
    when = when or _now()
    notes = list(notes)
    live_records = []
    document = None
    exit_code = 0
    if fetched is not None:
        record = _live_record(fetched, when)
        if record is None:
            notes.append(f"live page not stored: {fetched.outcome}: {fetched.detail or ''}".strip())
            exit_code = FetchError.exit_code
        else:
            live_records.append(record)
            prepare_reference(copy.document)
            _source, document = await asyncio.to_thread(live_source, fetched, copy.document, {})
            if document is None:
                notes.append(
                    f"no readable export: the live page is not the article ({_source.note})"
                )
    captures = [r for c, f in listed if (r := _capture_record(c, f)) is not None]
    skipped = len(listed) - len(captures)
    if skipped:
        notes.append(f"{skipped} listed captures had no payload to store")
    live_outcome = str(fetched.outcome) if fetched is not None else None
    if not live_records and not captures:
        return ArchiveResult(
            str(path),
            url,
            FetchError.exit_code,
            live=live_outcome,
            notes=tuple(notes),
            error=f"{path}: nothing to archive: {'; '.join(notes) or 'no live page, no capture'}",
        )
    folder = path.parent / ARCHIVE_DIR
    try:
        files, warc, export, manifest = await asyncio.to_thread(
            write_archive,
            folder,
            url=url,
            when=when,
            live=live_records,
            captures=captures,
            document=document,
            info={
                "local-copy": path.name,
                "local-copy-sha256": copy.sha256,
                **({"command": command} if command else {}),
            },
        )
    except OSError as exc:
        return ArchiveResult(
            str(path),
            url,
            5,
            live=live_outcome,
            notes=tuple(notes),
            error=describe_os_error(exc, exc.filename or folder)
            if exc.errno in NO_SPACE
            else f"{folder}: cannot write: {exc.strerror or exc}",
        )
    base = path.parent

    def rel(p: Path) -> str:
        return p.relative_to(base).as_posix()

    store = store or find_store(path)
    written = [folder / name for name, _sha in files]
    error: str | None = None
    kill_point("history:before")
    try:
        with History.open(store) as history:
            # Files are named like snapshots: relative to the store's parent folder.
            history.record_archive(
                history.key(path),
                [(history.key(p), sha) for p, (_n, sha) in zip(written, files, strict=True)],
                history.key(manifest),
                when,
            )
    except (OSError, SnapverifyError) as exc:
        notes.append(f"history: archive not recorded: {exc}")
        if isinstance(exc, StorageError) or (isinstance(exc, OSError) and exc.errno in NO_SPACE):
            # A full disk: the files are whole, but the run says so and exits 5.
            full = exc.describe() if isinstance(exc, StorageError) else describe_os_error(exc)
            error, exit_code = full, StorageError.exit_code
    return ArchiveResult(
        snapshot=str(path),
        url=url,
        exit_code=exit_code,
        error=error,
        files=tuple((f"{ARCHIVE_DIR}/{name}", sha) for name, sha in files),
        warc=rel(warc),
        export=rel(export) if export is not None else None,
        manifest=rel(manifest),
        live=live_outcome,
        captures=len(captures),
        notes=tuple(notes),
    )


async def archive_snapshots(
    paths: Sequence[Path],
    options: ArchiveOptions | None = None,
    *,
    client: HttpClient | None = None,
    resolver: Resolver | None = None,
    saver: Callable[[str], str] | None = None,
) -> list[ArchiveResult]:
    """Archive every snapshot under ``paths`` (async), one after another.

    Args:
        paths: local copies or folders of snapshot folders.
        options: what to fetch and store.
        client: an HTTP client to use (built from ``options`` when None).
        resolver: the address policy's resolver (tests pass a stub).
        saver: saves a URL and returns the capture URL (default: Save Page Now).

    Returns:
        One result per local copy.

    Raises:
        UsageError: no local copy, or a bad option.
        TryLater: another run holds the store's lock (exit 75; nothing written).
    """
    options = options or ArchiveOptions()
    copies = find_local_copies(list(paths))
    if not copies:
        raise UsageError("no local copy found")
    archives = [parse_archive_spec(spec) for spec in options.archives]
    store = options.store or find_store(copies[0])
    cache = CaptureCache(store / "cache")
    cache.remove_stale_temporaries()
    owned = client is None
    if client is None:
        client = make_client(
            [*archives, parse_archive_spec(options.save_archive)],
            allow_private=options.allow_private,
            allow_networks=options.allow_networks,
            timeout=options.timeout,
            deadline=options.deadline,
            rates=options.rates,
            resolver=resolver,
        )
    limiter = (
        SAVE_LIMITER
        if options.save_interval == SAVE_INTERVAL
        else SaveLimiter(options.save_interval)
    )
    archiver = _Archiver(client, archives, cache, options, saver, limiter)
    try:
        # One run at a time per store (re-entrant: check --snapshot-changes holds it too).
        with hold_lock(store):
            results = [await archiver.one(path) for path in copies]
    finally:
        if owned:
            await client.aclose()
    if cache.no_space is not None:
        # The capture cache found the disk full: the files written are whole, but the run
        # exits 5 and says so once (on the first snapshot not failed already).
        first = next((i for i, r in enumerate(results) if r.error is None), None)
        if first is not None:
            result = results[first]
            results[first] = replace(result, exit_code=5, error=cache.no_space)
    return results


def archive(
    paths: Sequence[Path],
    options: ArchiveOptions | None = None,
    *,
    resolver: Resolver | None = None,
    saver: Callable[[str], str] | None = None,
) -> list[ArchiveResult]:
    """Archive snapshots: the synchronous entry point of :func:`archive_snapshots`.

    Example:
        >>> archive([Path("snapshots")], ArchiveOptions(captures=True))  # doctest: +SKIP
    """
    return asyncio.run(archive_snapshots(paths, options, resolver=resolver, saver=saver))


# -- check --snapshot-changes ----------------------------------------------------------------


def newest_stored(path: Path) -> Path | None:
    """The newest readable export in the snapshot's ``archive/`` folder, if any."""
    folder = path.parent / ARCHIVE_DIR
    if not folder.is_dir():
        return None
    exports = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix == ".md" and not p.name.startswith(".")
    )
    return exports[-1] if exports else None


async def archive_if_changed(
    path: Path,
    copy: LocalCopy,
    fetched: LiveFetch,
    live: tuple[Source, Document | None],
    ignore: Sequence[re.Pattern[str]] = (),
    *,
    store: Path | None = None,
    command: str | None = None,
) -> list[str]:
    """Archive the live page when it differs substantively from the newest stored snapshot.

    The newest stored snapshot is the newest readable export in ``archive/``, else the
    local copy. The page already fetched by the check is what gets stored (nothing is
    fetched again).

    Args:
        path: the local copy.
        copy: the local copy as read.
        fetched: the live page as the check fetched it.
        live: the live page's source and document, as the check judged them.
        ignore: the check's ignore patterns.
        store: the store (default: found from ``path``).
        command: the check's command line (into the WARC's ``warcinfo``).

    Returns:
        Notes for the check's report (empty when nothing changed).
    """
    source, document = live
    if document is None:
        return []
    reference, name = copy.document, path.name
    newest = newest_stored(path)
    if newest is not None:
        try:
            reference, name = read_local_copy(newest).document, f"{ARCHIVE_DIR}/{newest.name}"
        except SnapverifyError as exc:
            logger.warning("%s: cannot read the newest stored snapshot: %s", newest, exc)

    def differs() -> bool:
        prepare_reference(reference)
        comparison = compare_documents(reference, [(source, document)], ignore=ignore)
        return any(f.substantive for f in comparison.findings)

    if not await asyncio.to_thread(differs):
        return []
    result = await write_run(path, copy, fetched, store=store, command=command)
    if result.warc is None:
        notes = [
            f"snapshot-changes: the live page differs from {name} but was not archived: "
            f"{result.error}"
        ]
    else:
        notes = [f"snapshot-changes: the live page differs from {name}; archived to {result.warc}"]
    if result.error is not None and result.error.startswith(NO_SPACE_MESSAGE):
        notes.append(f"{NO_SPACE_NOTE}{result.error}")  # a full disk: the check exits 5
    return notes
