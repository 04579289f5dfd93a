"""The check: a local copy against the live page and every archived capture.

One :class:`Run` serves every snapshot of a ``check``: one HTTP client (address
policy, rate limits per endpoint, retries), one capture cache on disk, and
in-run tables so each distinct capture is fetched and extracted once, however
many snapshots or listings name it. Snapshots are checked concurrently, with a
bound on snapshots in flight and on requests in flight per host.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from snapverify.compare import Comparison, compare_documents
from snapverify.compare.corroborate import corroborate
from snapverify.errors import (
    AddressRefused,
    FetchError,
    RateLimited,
    SnapverifyError,
    UsageError,
)
from snapverify.fetch.archives import Archive, CaptureRef, Fetched, parse_archive_spec
from snapverify.fetch.http import HttpClient, Rate
from snapverify.fetch.live import LiveFetch, fetch_live
from snapverify.fetch.policy import AddressPolicy, Resolver
from snapverify.links import LinkCache, LinkChecker
from snapverify.models import (
    CheckResult,
    Document,
    Finding,
    Outcome,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.pipeline.files import compile_ignore, failed_result, snapshot_info
from snapverify.pipeline.linkstep import probe_soft_404, with_links
from snapverify.pipeline.offline import check_offline
from snapverify.pipeline.progress import CheckProgress
from snapverify.pipeline.sources import FetchedCapture, capture_source, live_source
from snapverify.snapshot import find_local_copies, find_store, read_local_copy
from snapverify.store.access import NO_SPACE, NO_SPACE_NOTE
from snapverify.store.cache import CachedCapture, CaptureCache
from snapverify.text.extract import prepare_reference

__all__ = [
    "OFFLINE",
    "CheckOptions",
    "Run",
    "check",
    "check_snapshots",
    "list_captures",
    "make_client",
    "make_policy",
    "select_captures",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")

_LATE = "the check's deadline passed before an answer"
# The note of a snapshot for which nothing at all answered (the CLI says so in one line).
OFFLINE = "offline: no answer from the live site or any archive"
_NO_ANSWER = frozenset({"dns", "connect", "timeout", "deadline", "tls", "reset"})


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What a check fetches and how politely.

    Attributes:
        archives: archive specs (``wayback``, a pywb collection URL, ``memento:URL``).
        start: earliest capture timestamp (1-14 digits), inclusive.
        end: latest capture timestamp (1-14 digits), inclusive.
        max_captures: keep the first, the last and captures spread evenly between.
        live: fetch the live page.
        allow_private: also allow loopback and the archives' hosts.
        allow_networks: further CIDR ranges to allow.
        timeout: connect/read timeout per request, seconds.
        deadline: total time per request (all hops and retries), seconds.
        check_deadline: total time per snapshot, seconds.
        rates: rate limits by endpoint name, over the defaults.
        store: the store folder (default: found from the snapshot).
        ignore: regular expressions left out of the comparison.
        url: the original URL, for a local copy that does not say it.
        concurrency: snapshots checked at once.
        per_host: requests in flight per host, for listings, captures and pages each.
        links: check outbound links (and lost targets) over the network; off, the
            link table reports the last known status from the link cache.
        link_cache_ttl: seconds a link check is reused from the link cache.
        offline: no network at all: the sources are the snapshot's stored WARCs
            (:mod:`snapverify.pipeline.offline`).
        snapshot_changes: when the live page differs substantively from the newest
            stored snapshot, archive it (:func:`snapverify.pipeline.archive.archive_if_changed`).
        command: the command line of the run, written into what ``snapshot_changes``
            stores (the WARC's ``warcinfo``), for the chain of custody.
    """

    archives: tuple[str, ...] = ("wayback",)
    start: str | None = None
    end: str | None = None
    max_captures: int | None = None
    live: bool = True
    allow_private: bool = False
    allow_networks: tuple[str, ...] = ()
    timeout: float = 30.0
    deadline: float = 120.0
    check_deadline: float = 1800.0
    rates: Mapping[str, Rate] = field(default_factory=dict)
    store: Path | None = None
    ignore: tuple[str, ...] = ()
    url: str | None = None
    concurrency: int = 4
    per_host: int = 8
    links: bool = True
    link_cache_ttl: float = 86400.0
    offline: bool = False
    snapshot_changes: bool = False
    command: str | None = None


def select_captures(captures: Sequence[CaptureRef], limit: int | None) -> list[CaptureRef]:
    """Keep the first, the last and captures spread evenly between them.

    Args:
        captures: in time order.
        limit: how many to keep (None or 0: all).
    """
    if not limit or len(captures) <= limit:
        return list(captures)
    if limit == 1:
        return [captures[-1]]
    last = len(captures) - 1
    indices = sorted({round(i * last / (limit - 1)) for i in range(limit)})
    return [captures[i] for i in indices]


def _record(fetched: Fetched) -> FetchedCapture:
    """Turn an archive's answer into what the cache keeps."""
    response = fetched.response
    if response is None:
        return FetchedCapture(
            None, None, fetched.outcome, fetched.status, fetched.detail, fetched.timestamp
        )
    record = CachedCapture(
        outcome=fetched.outcome,
        status=fetched.status,
        timestamp=fetched.timestamp,
        url=response.url,
        sha256=hashlib.sha256(response.content).hexdigest(),
        sha1=response.sha1,
        raw_sha1=response.raw_sha1,
        content_type=response.header("content-type"),
        detail=fetched.detail,
        ip_address=response.ip_address,
        certificates=tuple(ssl.DER_cert_to_PEM_cert(der) for der in response.peer_certificates),
        chain_verified=response.peer_chain_verified,
    )
    return FetchedCapture.of(record, response.content)


class Run:
    """What every snapshot of one run shares (a ``check``, or an ``archive`` that fetches
    captures as the check does): the client, the archives, the capture cache, the in-run
    tables of captures and documents, the slots per host, and the link checker."""

    def __init__(
        self,
        client: HttpClient,
        archives: Sequence[Archive],
        cache: CaptureCache | None,
        options: CheckOptions,
    ) -> None:
        self.client = client
        self.archives = list(archives)
        self.cache = cache
        self.options = options
        self.stopped: dict[str, str] = {}  # archive name -> why it is not asked again
        self.captures: dict[tuple[str, str], asyncio.Task[FetchedCapture]] = {}
        self.documents: dict[str, Document | str] = {}  # payload sha256 -> doc or error
        self.hosts: dict[str, asyncio.Semaphore] = {}  # "kind host" -> slots
        self.progress: CheckProgress | None = None  # counts captures for a progress bar
        # Links: each distinct URL asked once per run; over the network only when the
        # live web is asked at all (not with --no-live or --no-links).
        self.link_cache = None if cache is None else LinkCache(cache.root.parent / "links")
        self.links = LinkChecker(
            client=client,
            cache=self.link_cache,
            ttl=options.link_cache_ttl,
            network=options.live and options.links and not options.offline,
        )

    def host_slot(self, url: str, kind: str) -> asyncio.Semaphore:
        """Requests in flight to one host, counted apart for listings, captures and pages,
        so a listing waiting for its (slow) rate-limit turn never holds up captures."""
        key = f"{kind} {urlsplit(url).hostname or ''}"
        if key not in self.hosts:
            self.hosts[key] = asyncio.Semaphore(self.options.per_host)
        return self.hosts[key]

    async def capture(self, archive: Archive, capture: CaptureRef) -> FetchedCapture:
        """Fetch one capture once per run, once ever when the cache has it."""
        key = (archive.name, capture.digest or f"{capture.timestamp} {capture.original}")
        if capture.status is not None and 300 <= capture.status < 400:
            # A redirect capture's target depends on its time, not only on its bytes.
            key = (archive.name, f"{capture.timestamp} {capture.original}")
        task = self.captures.get(key)
        if task is None:
            task = asyncio.ensure_future(self._capture(archive, capture))
            self.captures[key] = task
        return await task

    async def _capture(self, archive: Archive, capture: CaptureRef) -> FetchedCapture:
        if self.cache is not None:
            # Off the event loop, like the writes: reading and hashing payloads is disk work.
            found = await asyncio.to_thread(
                self.cache.lookup, archive.name, capture.timestamp, capture.original, capture.digest
            )
            if found is not None:
                return FetchedCapture.of(*found)
        if archive.name in self.stopped:
            return FetchedCapture.failed(self.stopped[archive.name])
        try:
            async with self.host_slot(archive.base, "playback"):
                fetched = await archive.fetch(capture, client=self.client)
        except RateLimited as exc:
            self._stop(archive, exc)
            return FetchedCapture.failed(self.stopped[archive.name], status=429)
        result = _record(fetched)
        if self.cache is not None and result.record is not None and result.payload is not None:
            try:
                # Off the event loop: three fsynced files would stall every other request.
                await asyncio.to_thread(
                    self.cache.remember,
                    archive.name,
                    capture.timestamp,
                    capture.original,
                    result.record,
                    result.payload,
                    digest=capture.digest if result.timestamp == capture.timestamp else None,
                )
            except OSError as exc:
                # A full disk is said once, as the run's last line (exit 5).
                log = logger.info if exc.errno in NO_SPACE else logger.warning
                log("cache: cannot keep a capture: %s", exc)
        return result

    def _stop(self, archive: Archive, exc: RateLimited) -> None:
        wait = f"; try again in {exc.retry_after:g} s" if exc.retry_after else ""
        self.stopped[archive.name] = (
            f"{archive.name} answered 429 Too Many Requests: not asked again in this run{wait}"
        )


async def list_captures(
    run: Run, archive: Archive, url: str
) -> tuple[list[CaptureRef], list[Source], list[str]]:
    """An archive's captures of ``url`` within the run's options (time range, how many);
    for an archive that has none or could not answer, a source saying why; and the
    reasons of failures that mean no answer at all."""
    options = run.options
    empty = Source(id=archive.name, kind=SourceKind.ARCHIVE, url=archive.view_url("*", url))
    if archive.name in run.stopped:
        note = run.stopped[archive.name]
        return [], [dataclasses.replace(empty, outcome=Outcome.ERROR, note=note)], []
    try:
        async with run.host_slot(archive.base, "listing"):
            listing = await archive.list_captures(
                url, client=run.client, start=options.start, end=options.end
            )
    except RateLimited as exc:
        run._stop(archive, exc)
        note = run.stopped[archive.name]
        return [], [dataclasses.replace(empty, outcome=Outcome.ERROR, status=429, note=note)], []
    except AddressRefused as exc:
        return [], [dataclasses.replace(empty, outcome=Outcome.REFUSED, note=exc.message)], []
    except FetchError as exc:
        source = dataclasses.replace(
            empty, outcome=Outcome.parse(exc.outcome), status=exc.status, note=exc.message
        )
        return [], [source], [exc.reason]
    if listing.outcome != "ok":
        source = dataclasses.replace(
            empty, outcome=Outcome.parse(listing.outcome), note=listing.detail
        )
        return [], [source], []
    # One capture a second: a source id is the archive's name and the timestamp (the
    # listing may hold an http and an https capture of the same second).
    captures = list({c.timestamp: c for c in listing.captures}.values())
    if not captures:
        bounded = " in the requested time range" if options.start or options.end else ""
        note = f"no captures{bounded}"
        return [], [dataclasses.replace(empty, outcome=Outcome.NOT_ARCHIVED, note=note)], []
    return select_captures(captures, options.max_captures), [], []


async def _check_one(run: Run, path: Path) -> CheckResult:
    options = run.options
    started = datetime.now(UTC)
    try:
        copy = read_local_copy(path, url=options.url)
    except SnapverifyError as exc:
        return failed_result(path, exc)
    local = copy.document
    url = local.url
    if not url:
        error = UsageError(f"{path}: no original URL (give --url or add snapshot.toml)")
        return failed_result(path, error, copy)
    try:
        run.client.policy.check_url(url)
        if options.live:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            await run.client.policy.resolve(parts.hostname or "", port)
    except AddressRefused as exc:
        return failed_result(path, AddressRefused(exc.message, url=url), copy)
    except (FetchError, OSError) as exc:
        logger.info("%s: cannot resolve %s yet: %s", path, url, exc)
    prepare_reference(local)
    try:
        patterns = compile_ignore([*copy.ignore, *options.ignore])
    except UsageError as exc:
        return failed_result(path, exc, copy)

    live_task: asyncio.Future[LiveFetch] | None = None
    if options.live:

        async def live() -> LiveFetch:
            async with run.host_slot(url, "live"):
                return await fetch_live(url, client=run.client)

        live_task = asyncio.ensure_future(live())
    listings = await asyncio.gather(*(list_captures(run, archive, url) for archive in run.archives))

    pairs: list[tuple[Source, Document | None]] = []
    reasons: list[str] = []
    jobs: list[tuple[CaptureRef, Awaitable[FetchedCapture]]] = []
    for archive, (captures, sources, listing_reasons) in zip(run.archives, listings, strict=True):
        pairs.extend((source, None) for source in sources)
        reasons.extend(listing_reasons)
        jobs.extend((c, run.capture(archive, c)) for c in captures)
    loop = asyncio.get_running_loop()
    until = loop.time() + options.check_deadline
    late = FetchedCapture.failed(_LATE)
    progress = run.progress
    if progress is not None:
        progress.listed(len(jobs))

    async def settled(job: Awaitable[FetchedCapture]) -> FetchedCapture:
        fetched = await _within(job, until, late)
        if progress is not None:
            progress.fetched()
        return fetched

    results = await asyncio.gather(*(settled(job) for _c, job in jobs))
    fetched_live = None
    if live_task is not None:
        late_live = LiveFetch(url, Outcome.UNREACHABLE, None, None, _LATE, "deadline")
        fetched_live = await _within(live_task, until, late_live)
        if fetched_live.reason:
            reasons.append(fetched_live.reason)
        async with run.host_slot(url, "live"):
            fetched_live = await probe_soft_404(fetched_live, local, run.client, run.documents)

    def compare() -> tuple[Comparison, tuple[Source, Document | None] | None, tuple[Finding, ...]]:
        # CPU work (extraction, alignment) runs in a thread, so the requests of other
        # snapshots keep their pace meanwhile.
        for (capture, _job), fetched in zip(jobs, results, strict=True):
            pairs.append(capture_source(capture, fetched, local, run.documents))
        live = None
        if fetched_live is not None:
            live = live_source(fetched_live, local, run.documents)
            pairs.insert(0, live)
        # With several archives, each one's copy is checked against the others' too.
        disagreements = corroborate(pairs, ignore=patterns) if len(run.archives) > 1 else ()
        return compare_documents(local, pairs, ignore=patterns), live, disagreements

    comparison, live_pair, disagreements = await asyncio.to_thread(compare)
    pages = {
        f"{capture.archive}:{capture.timestamp}": (fetched.payload, capture.original)
        for (capture, _job), fetched in zip(jobs, results, strict=True)
    }
    if fetched_live is not None and fetched_live.response is not None:
        pages["live"] = (fetched_live.response.content, fetched_live.response.url)
    compared = comparison.sources
    offline = _unanswered(compared, reasons)
    verdict, exit_code, findings, links = await with_links(
        local,
        url,
        comparison,
        pairs,
        pages,
        checker=run.links,
        archives=run.archives,
        offline=offline,
        until=until,
    )
    findings = (*findings, *disagreements)  # never substantive: the verdict stands
    notes = list(local.notes)
    if verdict is Verdict.UNVERIFIABLE:
        if any(s.status == 429 for s in compared) and run.stopped:
            exit_code = 75
            notes.append("rate-limited by an archive before anything could be verified")
        elif offline:
            notes.append(OFFLINE)
    if options.snapshot_changes and fetched_live is not None and live_pair is not None:
        from snapverify.pipeline.archive import archive_if_changed  # it builds on this module

        notes.extend(
            await archive_if_changed(
                path,
                copy,
                fetched_live,
                live_pair,
                patterns,
                store=options.store,
                command=options.command,
            )
        )
    return CheckResult(
        snapshot=snapshot_info(copy),
        verdict=verdict,
        exit_code=exit_code,
        sources=comparison.sources,
        findings=findings,
        provenance=comparison.provenance,
        notes=tuple(notes),
        checked_at=started,
        links=links,
    )


def _unanswered(sources: Sequence[Source], reasons: Sequence[str]) -> bool:
    """Nothing answered at all: every source unreachable, each for want of an answer
    (DNS, connection, timeout, TLS), not for a refusal or an error page."""
    return bool(
        sources
        and all(s.outcome is Outcome.UNREACHABLE for s in sources)
        and reasons
        and all(r in _NO_ANSWER for r in reasons)
    )


async def _within(job: Awaitable[T], until: float, late: T) -> T:
    """``job``'s result, or ``late`` when the check's deadline passes first."""
    try:
        async with asyncio.timeout_at(until):
            return await job
    except TimeoutError:
        return late


def make_client(
    archives: Sequence[Archive],
    *,
    allow_private: bool,
    allow_networks: Sequence[str],
    timeout: float,
    deadline: float,
    rates: Mapping[str, Rate],
    resolver: Resolver | None = None,
) -> HttpClient:
    """The one HTTP client of a run, with its address policy.

    Args:
        archives: the archives asked (with ``allow_private``, their hosts are allowed).
        allow_private: also allow loopback and the archives' hosts.
        allow_networks: further CIDR ranges to allow.
        timeout: connect/read timeout per request, seconds.
        deadline: total time per request, seconds.
        rates: rate limits by endpoint name, over the defaults.
        resolver: the policy's name resolver (tests pass a stub).
    """
    policy = make_policy(
        archives, allow_private=allow_private, allow_networks=allow_networks, resolver=resolver
    )
    return HttpClient(policy=policy, timeout=timeout, deadline=deadline, rates=dict(rates) or None)


def make_policy(
    archives: Sequence[Archive],
    *,
    allow_private: bool,
    allow_networks: Sequence[str],
    resolver: Resolver | None = None,
) -> AddressPolicy:
    """The address policy of a run (its client's, and its notifications').

    Args:
        archives: the archives asked (with ``allow_private``, their hosts are allowed).
        allow_private: also allow loopback and the archives' hosts.
        allow_networks: further CIDR ranges to allow.
        resolver: the policy's name resolver (tests pass a stub).
    """
    hosts = [host for a in archives if (host := urlsplit(a.base).hostname)]
    return AddressPolicy(
        allow_private=allow_private,
        allowed_hosts=hosts if allow_private else (),
        allow_networks=allow_networks,
        resolver=resolver,
    )


async def check_snapshots(
    paths: Sequence[Path],
    options: CheckOptions | None = None,
    *,
    client: HttpClient | None = None,
    resolver: Resolver | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: CheckProgress | None = None,
) -> list[CheckResult]:
    """Check every snapshot under ``paths`` (async).

    Args:
        paths: local copies or folders holding snapshot folders.
        options: what to fetch and how (defaults: Wayback and the live page).
        client: an HTTP client to use (built from ``options`` when None).
        resolver: the name resolver of the address policy (tests pass a stub).
        on_result: called as each snapshot's check ends (progress).
        on_start: called with the number of snapshots found, before any is checked.
        progress: counts snapshots and captures as they are checked and fetched.

    Returns:
        One result per local copy, in the order found. A snapshot that could not
        be read gets a result with its error's exit code and note.

    Raises:
        UsageError: no local copy under ``paths``, or a bad option.
    """
    options = options or CheckOptions()
    if progress is not None:
        on_start = _then(on_start, progress.start)
        on_result = _then(on_result, progress.advance)
    copies = find_local_copies(list(paths))
    if options.url and len(copies) > 1:
        raise UsageError("--url names one article: give one snapshot with it")
    archives = [parse_archive_spec(spec) for spec in options.archives]
    names = [a.name for a in archives]
    if len(set(names)) != len(names):
        raise UsageError(f"two archives share a name: {', '.join(names)}")
    if options.offline:
        return await _offline(copies, archives, options, on_result, on_start, progress)
    store = options.store or find_store(copies[0])
    cache = CaptureCache(store / "cache")
    cache.remove_stale_temporaries()
    LinkCache(store / "links").remove_stale_temporaries()
    if on_start is not None:
        on_start(len(copies))
    owned = client is None
    if client is None:
        client = make_client(
            archives,
            allow_private=options.allow_private,
            allow_networks=options.allow_networks,
            timeout=options.timeout,
            deadline=options.deadline,
            rates=options.rates,
            resolver=resolver,
        )
    run = Run(client, archives, cache, options)
    run.progress = progress
    gate = asyncio.Semaphore(max(1, options.concurrency))

    async def one(path: Path) -> CheckResult:
        async with gate:
            result = await _check_one(run, path)
        if on_result is not None:
            on_result(result)
        return result

    try:
        results = list(await asyncio.gather(*(one(path) for path in copies)))
    finally:
        await run.links.aclose()  # link checks every check gave up on (the deadline)
        if owned:
            await client.aclose()
    full = cache.no_space or (run.link_cache.no_space if run.link_cache else None)
    if full is not None:  # a full disk: said on every result (the run exits 5)
        note = f"{NO_SPACE_NOTE}{full}"
        results = [dataclasses.replace(r, notes=(*r.notes, note)) for r in results]
    return results


def _then(first: Callable[[A], None] | None, then: Callable[[A], None]) -> Callable[[A], None]:
    """``first`` (when given), then ``then``: two listeners in one callback."""

    def both(value: A) -> None:
        if first is not None:
            first(value)
        then(value)

    return both


async def _offline(
    copies: Sequence[Path],
    archives: Sequence[Archive],
    options: CheckOptions,
    on_result: Callable[[CheckResult], None] | None,
    on_start: Callable[[int], None] | None,
    progress: CheckProgress | None = None,
) -> list[CheckResult]:
    """``--offline``: every source from stored WARCs; no client is even made."""
    if on_start is not None:
        on_start(len(copies))
    results = []
    for path in copies:
        store = options.store or find_store(path)
        # Asks nothing: each link's last known status, from the store's link cache.
        links = LinkChecker(client=None, cache=LinkCache(store / "links"), network=False)
        result = await check_offline(
            path,
            url=options.url,
            ignore=options.ignore,
            live=options.live,
            links=links,
            archives=archives,
            progress=progress,
        )
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


def check(
    paths: Sequence[Path],
    options: CheckOptions | None = None,
    *,
    resolver: Resolver | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: CheckProgress | None = None,
) -> list[CheckResult]:
    """Check snapshots against the live page and every archived capture.

    The synchronous entry point of :func:`check_snapshots` (same arguments).

    Example:
        >>> from snapverify.pipeline import CheckOptions, check
        >>> results = check([Path("snapshots")], CheckOptions(max_captures=10))  # doctest: +SKIP
    """
    return asyncio.run(
        check_snapshots(
            paths,
            options,
            resolver=resolver,
            on_result=on_result,
            on_start=on_start,
            progress=progress,
        )
    )
