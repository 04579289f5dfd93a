"""Compare a local copy with saved files (HTML, Markdown, text): ``snapverify compare``."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from snapverify.compare import compare_documents
from snapverify.errors import InputError, SnapverifyError, UsageError
from snapverify.models import CheckResult, Document, SnapshotInfo, Source, SourceKind, Verdict
from snapverify.snapshot import (
    HTML_SUFFIXES,
    WARC_SUFFIXES,
    LocalCopy,
    read_file,
    read_local_copy,
)
from snapverify.text.decode import NotADocument, check_document, decode_document
from snapverify.text.extract import extract
from snapverify.text.markdown import read_markdown
from snapverify.timestamps import parse_timestamp

__all__ = ["compare_files", "compile_ignore", "failed_result", "parse_source_spec", "snapshot_info"]

logger = logging.getLogger(__name__)

_SPEC = re.compile(r"^(?P<path>.+)@(?P<ts>\d{4,14})$")
_LOOKS_LIKE_TIME = re.compile(r"\d[\d\-:.TZtz ]*")


def parse_source_spec(spec: str) -> tuple[Path, str | None]:
    """Split ``PATH@TIMESTAMP`` into the path and its 4-14 digit timestamp.

    A path that itself exists wins over the split, so a file whose name ends in
    ``@2012`` can still be named.
    """
    match = _SPEC.match(spec)
    if match and not Path(spec).exists():
        return Path(match["path"]), match["ts"]
    head, at, stamp = spec.rpartition("@")
    if at and head and not Path(spec).exists() and _LOOKS_LIKE_TIME.fullmatch(stamp):
        # FILE@2012-05-27: a timestamp meant, but not 4-14 digits; not a missing file.
        raise UsageError(f"{spec}: bad timestamp {stamp!r}: give 4-14 digits, UTC (YYYYMMDDhhmmss)")
    return Path(spec), None


def compile_ignore(
    patterns: Sequence[str], *, what: str = "ignore pattern"
) -> list[re.Pattern[str]]:
    """Compile ignore patterns (``--ignore``, ``snapshot.toml``).

    Raises:
        UsageError: a pattern that is not a regular expression, named with ``what``.
    """
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise UsageError(f"invalid {what} {pattern!r}: {exc}") from exc
    return compiled


def snapshot_info(copy: LocalCopy) -> SnapshotInfo:
    """What a result says of the local copy it checked."""
    document = copy.document
    return SnapshotInfo(
        path=str(copy.path), url=document.url or "", title=document.title, sha256=copy.sha256
    )


def failed_result(path: Path, exc: SnapverifyError, copy: LocalCopy | None = None) -> CheckResult:
    """The result of a snapshot that could not be checked: ``unverifiable``, with the
    error's exit code and message (``copy``: the local copy, when it could be read)."""
    if copy is None:
        snapshot = SnapshotInfo(path=str(path), url=exc.url or "", title=None, sha256="")
    else:
        snapshot = snapshot_info(copy)
    return CheckResult(
        snapshot=snapshot,
        verdict=Verdict.UNVERIFIABLE,
        exit_code=exc.exit_code,
        sources=(),
        findings=(),
        provenance=None,
        error=exc.describe(),
        checked_at=datetime.now(UTC),
    )


def _looks_like_html(path: Path, data: bytes) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head


def _read_source(path: Path, reference: Document, url: str | None) -> tuple[bytes, Document]:
    data = read_file(path)
    try:
        check_document(data)
        if _looks_like_html(path, data):
            return data, extract(data, url=url, reference=reference)
        return data, read_markdown(decode_document(data))
    except NotADocument as exc:
        raise InputError(f"{path}: {exc}", url=str(path)) from exc


def compare_files(
    local: Path,
    sources: Sequence[str],
    *,
    url: str | None = None,
    ignore: Sequence[str] = (),
) -> CheckResult:
    """Compare a local copy with saved versions of the article.

    Args:
        local: the local copy (Markdown, text or HTML).
        sources: saved versions, each ``PATH`` or ``PATH@TIMESTAMP`` (4-14 digits,
            UTC) to place it on the timeline.
        url: the article's original URL, when the local copy does not say it.
        ignore: regular expressions whose matches are left out of the comparison,
            added to the ``ignore`` patterns of the snapshot's ``snapshot.toml``.

    Returns:
        The check result (sources of kind ``file``; a WARC gives one source of kind
        ``warc`` per page of the article's URL it holds).

    Raises:
        InputError: a local copy or source that is not a readable document.
        UsageError: a malformed timestamp or ignore pattern.
    """
    copy = read_local_copy(Path(local), url=url)
    document = copy.document
    patterns = compile_ignore([*copy.ignore, *ignore])
    pairs: list[tuple[Source, Document | None]] = []
    for spec in sources:
        path, stamp = parse_source_spec(spec)
        try:
            timestamp = parse_timestamp(stamp) if stamp else None
        except ValueError:
            raise UsageError(
                f"{spec}: bad timestamp {stamp!r}: not a date and time (YYYYMMDDhhmmss, UTC)"
            ) from None
        if path.name.lower().endswith(WARC_SUFFIXES):
            from snapverify.pipeline.offline import warc_sources  # a WARC: each page a source

            pairs.extend(warc_sources(path, document))
            continue
        data, source_document = _read_source(path, document, document.url)
        source = Source(
            id=f"file:{path}",
            kind=SourceKind.FILE,
            url=source_document.url or path.resolve().as_uri(),
            timestamp=timestamp,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        pairs.append((source, source_document))
    comparison = compare_documents(document, pairs, ignore=patterns)
    return CheckResult(
        snapshot=snapshot_info(copy),
        verdict=comparison.verdict,
        exit_code=comparison.exit_code,
        sources=comparison.sources,
        findings=comparison.findings,
        provenance=comparison.provenance,
        notes=tuple(document.notes),
        checked_at=datetime.now(UTC),
    )
