"""Which stored WARC records a check compared, and the chain of custody of each.

A check's report lists its sources; the store's ``archive/`` folder holds the WARCs
that ``archive`` and ``check --snapshot-changes`` wrote. A source is matched to the
stored page that is the very payload it compared:

- ``live``: a stored live page whose payload has the source's SHA-256 (the one
  fetched closest to the check, when several have);
- ``{archive}:{timestamp}``: a stored capture of that archive and timestamp with the
  source's SHA-256;
- ``warc:{file}:{offset}`` (an offline check): that record.

A source that fetched something no WARC holds is *not stored*; it is named, never
guessed. Each matched page becomes one line of ``custody.jsonl``.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from snapverify.store.warc import StoredPage, iter_warcs, read_records, read_warcinfo
from snapverify.timestamps import parse_timestamp

__all__ = ["Matched", "Selection", "custody_line", "record_headers", "select_records"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Headers:
    """What a record's WARC headers say that the page reader does not keep."""

    kind: str
    ip: str | None
    concurrent_to: str | None
    refers_to: str | None


def record_headers(data: bytes) -> dict[str, Headers]:
    """Every record's type, ``WARC-IP-Address`` and links, by ``WARC-Record-ID``."""
    out: dict[str, Headers] = {}
    for record in ArchiveIterator(io.BytesIO(data)):
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID") or ""
        out[record_id] = Headers(
            kind=record.rec_type,
            ip=headers.get_header("WARC-IP-Address"),
            concurrent_to=headers.get_header("WARC-Concurrent-To"),
            refers_to=headers.get_header("WARC-Refers-To"),
        )
    return out


@dataclass(frozen=True, slots=True)
class Matched:
    """A source of the check and the stored page it compared."""

    source: Mapping[str, Any]
    page: StoredPage
    sha256: str
    ip: str | None
    warcinfo: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Selection:
    """What a check's sources match in the store."""

    matched: tuple[Matched, ...]
    not_stored: tuple[str, ...]  # source ids that fetched a payload no WARC holds
    files: tuple[Path, ...]  # the WARCs holding a matched page, oldest first
    problems: tuple[str, ...] = ()  # WARCs that could not be read


def _seconds_apart(page: StoredPage, when: datetime | None) -> float:
    if page.date is None or when is None:
        return float("inf")
    return abs((page.date - when).total_seconds())


def _when(source: Mapping[str, Any]) -> datetime | None:
    value = source.get("timestamp")
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def select_records(
    folder: Path, snapshot_folder: Path, sources: Sequence[Mapping[str, Any]]
) -> Selection:
    """Match a report's sources to the pages stored in ``folder`` (an ``archive/``).

    Args:
        folder: the snapshot's ``archive/`` folder.
        snapshot_folder: the snapshot's folder (``warc:`` ids are relative to it).
        sources: the report's ``sources``.

    Returns:
        The matches, the sources not stored, the WARCs involved.
    """
    pages: list[tuple[StoredPage, str, Headers | None, Mapping[str, str]]] = []
    problems: list[str] = []
    for path in iter_warcs(folder):
        try:
            data = path.read_bytes()
            stored = read_records(path, data)
            headers = record_headers(data)
        except (OSError, ValueError) as exc:
            problems.append(str(exc))
            continue
        info = read_warcinfo(path)
        for page in stored:
            digest = hashlib.sha256(page.payload).hexdigest()
            pages.append((page, digest, headers.get(page.record_id), info))
    matched: list[Matched] = []
    not_stored: list[str] = []
    for source in sources:
        sha = source.get("sha256")
        source_id = str(source.get("id", ""))
        kind = source.get("kind")
        if not isinstance(sha, str) or not sha or kind not in ("live", "archive", "warc"):
            continue  # nothing fetched (or a file source): nothing to package
        if kind == "live":
            found = [p for p in pages if p[0].role == "live" and p[1] == sha]
            when = _when(source)
            found.sort(key=lambda p: _seconds_apart(p[0], when))
        elif kind == "archive":
            found = [
                p
                for p in pages
                if p[0].role == "capture"
                and p[1] == sha
                and f"{p[0].fields.get('archive', '')}:{p[0].fields.get('timestamp', '')}"
                == source_id
            ]
        else:
            found = [
                p
                for p in pages
                if f"warc:{_relative(p[0].file, snapshot_folder)}:{p[0].offset}" == source_id
                and p[1] == sha
            ]
        if not found:
            not_stored.append(source_id)
            continue
        page, page_sha, header, fields = found[0]
        matched.append(
            Matched(source, page, page_sha, header.ip if header is not None else None, fields)
        )
    files = sorted({m.page.file for m in matched})
    return Selection(tuple(matched), tuple(not_stored), tuple(files), tuple(problems))


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def custody_line(match: Matched, warc_path: str) -> dict[str, Any]:
    """One fetch of the check, as a line of ``custody.jsonl``.

    Args:
        match: the source and its stored page.
        warc_path: the WARC's path inside the bundle (``archive/NAME``).
    """
    page, fields = match.page, match.page.fields
    live = page.role == "live"
    fetched: datetime | None = page.date
    if not live:
        copied = fields.get("copied")
        try:
            fetched = parse_timestamp(copied) if copied else None
        except ValueError:
            fetched = None
    software = match.warcinfo.get("software", "")
    version = software.split("/", 1)[1] if software.startswith("snapverify/") else None
    status = page.status
    return {
        "event": "fetch",
        "source": str(match.source.get("id")),
        "role": page.role,
        "url": page.url if live else fields.get("original") or page.url,
        "requested": fields.get("requested") or None,
        "time": _iso(fetched),
        "archive": None if live else fields.get("archive"),
        "capture_timestamp": None if live else fields.get("timestamp"),
        "archive_url": None if live else page.source_url,
        "ip_address": match.ip,
        "http_status": status,
        "payload_digest": page.payload_digest,
        "payload_sha256": match.sha256,
        "warc": warc_path,
        "offset": page.offset,
        "record_id": page.record_id,
        "snapverify_version": version,
        "command": match.warcinfo.get("command") or None,
    }
