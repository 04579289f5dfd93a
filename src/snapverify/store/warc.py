"""WARC files: write what was fetched, read it back, check every stored digest.

What a snapverify WARC holds (one gzip member per record, written with warcio):

- ``warcinfo``: the software and the run.
- The live page: a ``request`` record (the request line and headers sent) and a
  ``response`` record (status line, headers and body as received; ``WARC-Date`` is the
  fetch time). The HTTP library undoes chunked transfer coding before snapverify sees
  the body, so a ``Transfer-Encoding`` header is left out of the record (its value is
  kept in the metadata record) and the body is stored unchunked; a content coding
  (gzip...) is kept as received.
- Each archived capture: a ``resource`` record whose block is the capture's payload as
  the archive served it raw (``id_``, content coding undone), ``WARC-Target-URI`` the
  original URL, ``WARC-Date`` the archive's capture time and ``WARC-Source-URI`` the
  archive's raw capture URL. An archive's playback does not give back the original
  HTTP exchange byte for byte, so no ``response`` record is made up for it.
- After each of those, a ``metadata`` record (``application/warc-fields``,
  ``WARC-Concurrent-To`` the record it describes) saying what snapverify made of it:
  ``role`` (``live`` or ``capture``), ``outcome``, ``status``, the archive's name,
  listed digest and capture timestamp, redirects followed.
- Network provenance, recorded when the page was fetched: ``WARC-IP-Address`` (the
  address the connection went to: the site's for the live page, the archive server's
  for a capture) on the response, request and resource records; for HTTPS, one more
  ``metadata`` record (``Content-Type: application/x-pem-file``, ``WARC-Refers-To`` the
  response or resource record, ``WARC-Target-URI`` ``tls:HOST:PORT`` of the server that
  answered) holding the server's certificates as PEM, leaf first
  (the verified chain, or the leaf alone: the warc-fields record's ``tls-chain`` says
  ``verified`` or ``leaf-only``). Unknown provenance (a capture cached before it was
  recorded) is left out, never made up.

warcio computes ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` (SHA-1, base32) of
every record. :func:`verify_warc` recomputes them; :func:`read_records` yields the
stored pages for replay and for WARC local copies.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import ssl
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from snapverify._version import __version__
from snapverify.snapshot import WARC_SUFFIXES

__all__ = [
    "PEM_CONTENT_TYPE",
    "CaptureRecord",
    "LiveRecord",
    "StoredPage",
    "WarcProblem",
    "iter_warcs",
    "read_records",
    "read_warcinfo",
    "verify_warc",
    "write_warc",
]

logger = logging.getLogger(__name__)

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_DROPPED_HEADERS = frozenset({"transfer-encoding"})
_BLOCK = 1 << 16
PEM_CONTENT_TYPE = "application/x-pem-file"
_DIGESTED = frozenset({"response", "request", "resource", "metadata", "warcinfo", "revisit"})


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """The live page as fetched, to be written as a request/response pair.

    Attributes:
        url: the URL that answered (after redirects).
        fetched_at: when the request was sent (UTC).
        status: the HTTP status.
        reason: the status line's reason phrase.
        http_version: ``HTTP/1.1``...
        headers: the response headers as received.
        body: the body as received (content coding kept).
        request_headers: the request headers sent.
        fields: what snapverify made of it (written to the metadata record).
        ip_address: the IP address the connection went to (None: unknown).
        certificates: the TLS peer's certificates, DER, leaf first (() for plain HTTP
            or unknown).
        chain_verified: ``certificates`` is the verified chain (else the leaf alone).
    """

    url: str
    fetched_at: datetime
    status: int
    reason: str
    http_version: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    request_headers: Sequence[tuple[str, str]] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    ip_address: str | None = None
    certificates: Sequence[bytes] = ()
    chain_verified: bool = False


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """An archived capture's payload, to be written as a resource record.

    Attributes:
        url: the original URL the capture is of.
        captured_at: the archive's capture time (UTC).
        source_url: the archive's raw capture URL.
        content_type: the capture's media type, when known.
        payload: the capture's payload (content coding undone).
        fields: what snapverify made of it (written to the metadata record).
        ip_address: the IP address of the archive server that served it (None: unknown).
        certificates: that server's TLS certificates, DER, leaf first.
        chain_verified: ``certificates`` is the verified chain (else the leaf alone).
    """

    url: str
    captured_at: datetime
    source_url: str
    content_type: str | None
    payload: bytes
    fields: Mapping[str, str] = field(default_factory=dict)
    ip_address: str | None = None
    certificates: Sequence[bytes] = ()
    chain_verified: bool = False


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A page read back from a WARC: a ``response`` or ``resource`` record.

    Attributes:
        file: the WARC file.
        offset: the record's offset in the file (the source id uses it).
        kind: ``response`` or ``resource``.
        url: ``WARC-Target-URI``.
        date: ``WARC-Date`` (UTC).
        status: the HTTP status (a resource record's from its metadata, if any).
        content_type: the payload's media type.
        payload: the payload, transfer and content codings undone.
        fields: the metadata record's fields (``role``, ``outcome``...), if any.
        source_url: ``WARC-Source-URI``, if any.
        record_id: ``WARC-Record-ID``.
        payload_digest: ``WARC-Payload-Digest``, if any.
        ip_address: ``WARC-IP-Address``, if any (who served it, as recorded).
        certificates_pem: the PEM of the metadata record referring to it, if any.
    """

    file: Path
    offset: int
    kind: str
    url: str
    date: datetime | None
    status: int | None
    content_type: str | None
    payload: bytes
    fields: Mapping[str, str]
    source_url: str | None
    record_id: str
    payload_digest: str | None
    ip_address: str | None = None
    certificates_pem: str | None = None

    @property
    def role(self) -> str:
        """``live`` or ``capture`` (a record without snapverify's metadata: ``live``
        for a response record, ``capture`` for a resource record)."""
        return self.fields.get("role") or ("live" if self.kind == "response" else "capture")


@dataclass(frozen=True, slots=True)
class WarcProblem:
    """Something a WARC failed: where and what."""

    file: Path
    offset: int | None
    problem: str

    def describe(self) -> str:
        where = f" at offset {self.offset}" if self.offset is not None else ""
        return f"{self.file}{where}: {self.problem}"


def _warc_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_DATE_FORMAT)


def _fields_payload(fields: Mapping[str, str]) -> bytes:
    lines = [f"{key}: {' '.join(str(value).split())}" for key, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"GET {target}"


def write_warc(
    stream: BinaryIO,
    *,
    filename: str,
    live: Sequence[LiveRecord] = (),
    captures: Sequence[CaptureRecord] = (),
    info: Mapping[str, str] | None = None,
) -> None:
    """Write a gzipped WARC (one member per record) to ``stream``.

    Args:
        stream: an open binary file.
        filename: the WARC's name (for the warcinfo record).
        live: live pages, each written as request + response + metadata.
        captures: archived captures, each written as resource + metadata.
        info: more warcinfo fields.
    """
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    warcinfo = {"software": f"snapverify/{__version__}", "format": "WARC File Format 1.1"}
    warcinfo.update(info or {})
    writer.write_record(writer.create_warcinfo_record(filename, warcinfo))
    for page in live:
        _write_live(writer, page)
    for capture in captures:
        _write_capture(writer, capture)


def _write_metadata(writer: WARCWriter, url: str, date: str, about: str, fields: Any) -> None:
    data = _fields_payload(fields)
    record = writer.create_warc_record(
        url,
        "metadata",
        payload=io.BytesIO(data),
        length=len(data),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": about},
    )
    writer.write_record(record)


def _peer_headers(ip_address: str | None) -> dict[str, str]:
    return {"WARC-IP-Address": ip_address} if ip_address else {}


def _peer_fields(certificates: Sequence[bytes], verified: bool) -> dict[str, str]:
    if not certificates:
        return {}
    return {"tls-chain": "verified" if verified else "leaf-only"}


def _tls_uri(url: str) -> str:
    """``tls:HOST:PORT``: what the certificates are of (the connection, as Heritrix names
    DNS lookups ``dns:HOST``). Not the page's URL: pywb indexes every metadata record but
    ``application/warc-fields`` ones, and would replay the PEM in place of the page."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"tls:{host}:{parts.port or 443}"


def _write_certificates(
    writer: WARCWriter, url: str, date: str, about: str, certificates: Sequence[bytes]
) -> None:
    """The TLS peer's certificates as PEM, in a metadata record referring to ``about``."""
    if not certificates:
        return
    data = "".join(ssl.DER_cert_to_PEM_cert(der) for der in certificates).encode("ascii")
    record = writer.create_warc_record(
        _tls_uri(url),
        "metadata",
        payload=io.BytesIO(data),
        length=len(data),
        warc_content_type=PEM_CONTENT_TYPE,
        warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": about},
    )
    writer.write_record(record)


def _write_live(writer: WARCWriter, page: LiveRecord) -> None:
    date = _warc_date(page.fetched_at)
    peer = _peer_headers(page.ip_address)
    kept = [(k, v) for k, v in page.headers if k.lower() not in _DROPPED_HEADERS]
    dropped = {k.lower(): v for k, v in page.headers if k.lower() in _DROPPED_HEADERS}
    status_line = f"{page.status} {page.reason}".strip()
    http_headers = StatusAndHeaders(status_line, kept, protocol=page.http_version)
    response = writer.create_warc_record(
        page.url,
        "response",
        payload=io.BytesIO(page.body),
        length=len(page.body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": date, **peer},
    )
    request_headers = list(page.request_headers)
    request = writer.create_warc_record(
        page.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(
            _request_line(page.url),
            request_headers,
            protocol=page.http_version,
            is_http_request=True,
        ),
        warc_headers_dict={"WARC-Date": date, **peer},
    )
    writer.write_request_response_pair(request, response)
    fields = {"role": "live", **page.fields}
    fields.update({f"orig-{k}": v for k, v in dropped.items()})
    fields.update(_peer_fields(page.certificates, page.chain_verified))
    about = response.rec_headers.get_header("WARC-Record-ID")
    _write_metadata(writer, page.url, date, about, fields)
    _write_certificates(writer, page.url, date, about, page.certificates)


def _write_capture(writer: WARCWriter, capture: CaptureRecord) -> None:
    date = _warc_date(capture.captured_at)
    record = writer.create_warc_record(
        capture.url,
        "resource",
        payload=io.BytesIO(capture.payload),
        length=len(capture.payload),
        warc_content_type=capture.content_type or "application/octet-stream",
        warc_headers_dict={
            "WARC-Date": date,
            "WARC-Source-URI": capture.source_url,
            **_peer_headers(capture.ip_address),
        },
    )
    writer.write_record(record)
    fields = {"role": "capture", **capture.fields}
    fields.update(_peer_fields(capture.certificates, capture.chain_verified))
    about = record.rec_headers.get_header("WARC-Record-ID")
    _write_metadata(writer, capture.url, date, about, fields)
    # The certificates are the archive server's: named by the URL that was fetched.
    _write_certificates(writer, capture.source_url, date, about, capture.certificates)


# -- reading ----------------------------------------------------------------------------


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().rstrip("Z")
    for form in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _parse_fields(data: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields.setdefault(key.strip().lower(), value.strip())
    return fields


def read_records(path: Path, data: bytes | None = None) -> list[StoredPage]:
    """The pages a WARC holds: its ``response`` and ``resource`` records, in file order.

    Each page carries the fields of the ``metadata`` record concurrent to it, if any.
    Digests are not checked here (see :func:`verify_warc`).

    Args:
        path: a ``.warc`` or ``.warc.gz`` file (named in errors, and read unless ``data``).
        data: the file's bytes, when the caller has read them already.

    Returns:
        The pages.

    Raises:
        OSError: the file cannot be opened.
        ValueError: the file is not a readable WARC (the message names the file).
    """
    pages: list[StoredPage] = []
    metadata: dict[str, dict[str, str]] = {}
    certificates: dict[str, str] = {}
    cut: list[WarcProblem] = []  # a record or gzip member the file ends inside
    given = data
    last: Any = None  # the last record read (the iteration reads each to its end)
    said = io.StringIO()  # warcio writes multi-line warnings to stderr: one line each here
    try:
        with (
            io.BytesIO(data) if data is not None else path.open("rb") as stream,
            contextlib.redirect_stderr(said),
        ):
            records = ArchiveIterator(stream)
            for record in records:
                last = record
                kind = record.rec_type
                headers = record.rec_headers
                if kind == "metadata":
                    data = _read_all(record.content_stream())
                    if headers.get_header("Content-Type") == PEM_CONTENT_TYPE:
                        refers = headers.get_header("WARC-Refers-To")
                        if refers:
                            certificates[refers] = data.decode("ascii", "replace")
                        continue
                    about = headers.get_header("WARC-Concurrent-To")
                    if about:
                        metadata[about] = _parse_fields(data)
                    continue
                if kind not in ("response", "resource"):
                    continue
                status = None
                content_type = headers.get_header("Content-Type")
                if kind == "response":
                    http = record.http_headers
                    if http is None:
                        continue  # a response record that is not HTTP (dns:, ...)
                    code = http.get_statuscode()
                    status = int(code) if _is_status(code) else None
                    content_type = http.get_header("Content-Type")
                payload = _read_all(record.content_stream())
                offset = records.get_record_offset()  # reads the record to its end
                if getattr(record.raw_stream, "limit", 0) > 0:
                    # The file ends before the record's Content-Length: a body cut short is
                    # never compared as if whole (RELIABILITY case 16).
                    short = f"{kind} record: truncated: the file ends before its Content-Length"
                    cut.append(WarcProblem(path, offset, short))
                    break
                pages.append(
                    StoredPage(
                        file=path,
                        offset=offset,
                        kind=kind,
                        url=headers.get_header("WARC-Target-URI") or "",
                        date=_parse_date(headers.get_header("WARC-Date")),
                        status=status,
                        content_type=content_type,
                        payload=payload,
                        fields={},
                        source_url=headers.get_header("WARC-Source-URI"),
                        record_id=headers.get_header("WARC-Record-ID") or "",
                        payload_digest=headers.get_header("WARC-Payload-Digest"),
                        ip_address=headers.get_header("WARC-IP-Address"),
                    )
                )
    except _DAMAGED as exc:
        raise ValueError(f"{path}: not a readable WARC: {_say(exc)}") from exc
    finally:
        _retell(path, said.getvalue())
    declared = last.rec_headers.get_header("Content-Length") if last is not None else None
    if not cut and last is not None and not (declared or "").strip().isdigit():
        short = f"{last.rec_type} record: truncated or damaged header: no Content-Length"
        cut.append(WarcProblem(path, None, short))
    if not cut and last is not None and getattr(last.raw_stream, "limit", 0) > 0:
        short = f"{last.rec_type} record: truncated: the file ends before its Content-Length"
        cut.append(WarcProblem(path, None, short))
    if not cut and path.name.lower().endswith(".gz"):  # warcio stops quietly at a cut member
        with io.BytesIO(given) if given is not None else path.open("rb") as stream:
            _check_tail(stream, path, cut)
    if cut:
        where = f"offset {cut[0].offset}: " if cut[0].offset is not None else ""
        raise ValueError(f"{path}: not a readable WARC: {where}{cut[0].problem}")
    out = []
    for page in pages:
        fields = metadata.get(page.record_id, {})
        if page.kind == "resource" and page.status is None and _is_status(fields.get("status")):
            page = replace(page, status=int(fields["status"]))  # checked by _is_status
        out.append(replace(page, fields=fields, certificates_pem=certificates.get(page.record_id)))
    return out


# What warcio raises on a damaged file: besides its own error and zlib's, a malformed
# record header (no Content-Length, say) surfaces as AttributeError or TypeError.
_DAMAGED = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, AttributeError, TypeError)


def _is_status(value: str | None) -> bool:
    """Three ASCII digits (``isdigit`` alone takes "²" and 5,000-digit numbers)."""
    return value is not None and len(value) == 3 and value.isascii() and value.isdigit()


def _read_all(stream: Any) -> bytes:
    parts = []
    while chunk := stream.read(1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def _retell(path: Path, said: str) -> None:
    """Log what warcio wrote to stderr during a read as one line per warning."""
    for warning in re.split(r"\n(?=\s*WARNING)", said.strip()):
        if not warning:
            continue
        offset = re.search(r"Offset: (\d+)", warning)
        if "Content-Length" in warning and offset:
            logger.warning(
                "%s: offset %s: a record is not followed by a blank line (its Content-Length "
                "is wrong, or the file is damaged)",
                path,
                offset[1],
            )
        else:
            logger.warning("%s: %s", path, _say(warning.strip()))


def _say(exc: BaseException | str) -> str:
    """One printable line about a read failure (warcio quotes the damaged bytes)."""
    text = " ".join(str(exc).split())
    text = "".join(c if c.isprintable() and c.isascii() else "?" for c in text)
    if len(text) > 120:
        text = text[:117] + "..."
    if isinstance(exc, str):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- verifying --------------------------------------------------------------------------


def verify_warc(path: Path) -> tuple[int, list[WarcProblem]]:
    """Recompute every record's digests and read the file to its end.

    A record whose block or payload digest does not match, a record without a block
    digest, a gzip member that does not decompress or fails its CRC, and a file cut
    short are problems; the first unreadable spot ends the reading.

    Args:
        path: a ``.warc`` or ``.warc.gz`` file.

    Returns:
        ``(records checked, problems)``.
    """
    problems: list[WarcProblem] = []
    count = 0
    said = io.StringIO()  # warcio writes its warnings (a record overrunning) to stderr
    try:
        with path.open("rb") as stream, contextlib.redirect_stderr(said):
            records = ArchiveIterator(stream, check_digests=True)
            for record in records:
                offset = records.get_record_offset()
                stream_of = record.content_stream()
                while stream_of.read(1 << 16):
                    pass
                count += 1
                kind = record.rec_type
                declared = record.rec_headers.get_header("Content-Length") or ""
                if not declared.strip().isdigit():  # every WARC record has one
                    cut = f"{kind} record: truncated or damaged header: no Content-Length"
                    problems.append(WarcProblem(path, offset, cut))
                    continue
                digest = record.rec_headers.get_header("WARC-Block-Digest")
                if kind in _DIGESTED and kind != "revisit" and not digest:
                    problems.append(WarcProblem(path, offset, f"{kind} record has no digest"))
                    continue
                checker = record.digest_checker
                if checker.passed is False:
                    for problem in checker.problems:
                        problems.append(WarcProblem(path, offset, f"{kind} record: {problem}"))
                elif getattr(record.raw_stream, "limit", 0) > 0:
                    # The file ended before the record's Content-Length: no digest was
                    # ever compared, which is no pass.
                    cut = f"{kind} record: truncated: the file ends before its Content-Length"
                    problems.append(WarcProblem(path, offset, cut))
            _check_tail(stream, path, problems)
    except OSError as exc:
        problems.append(WarcProblem(path, None, f"unreadable: {exc.strerror or exc}"))
    except _DAMAGED as exc:
        problems.append(WarcProblem(path, None, f"damaged or truncated: {_say(exc)}"))
    for line in said.getvalue().splitlines():
        if "WARNING" in line:
            problems.append(WarcProblem(path, None, f"damaged: {_say(line.strip())}"))
            break
    if count == 0 and not problems:
        problems.append(WarcProblem(path, None, "no WARC record"))
    return count, problems


def _check_tail(stream: BinaryIO, path: Path, problems: list[WarcProblem]) -> None:
    """A gzip file must end on a complete member: warcio stops quietly at a cut one."""
    if not path.name.lower().endswith(".gz"):
        return
    stream.seek(0)
    data = stream.read()
    # Each member's offset and what is wrong with it (None: whole), in one pass.
    members: list[tuple[int, str | None]] = []
    view = memoryview(data)
    offset = 0
    while offset < len(data):
        end, problem = _gzip_member(view, offset)
        members.append((offset, problem))
        if problem is not None:
            break
        offset = end
    # warcio writes every member with the same 10-byte header and no modification time;
    # then a flipped bit in a header (which no CRC covers) shows as a header that differs.
    headers = Counter(data[start : start + 10] for start, _problem in members)
    first, seen = headers.most_common(1)[0] if headers else (b"", 0)
    strict = seen >= 2 and first[3:8] == b"\x00\x00\x00\x00\x00"
    for start, problem in members:
        if strict and data[start : start + 10] != first:
            problems.append(WarcProblem(path, start, "damaged gzip member header"))
            return
        if problem is not None:
            problems.append(WarcProblem(path, None, problem))
            return


def _gzip_member(data: memoryview, offset: int) -> tuple[int, str | None]:
    """Where the gzip member at ``offset`` ends, and what is wrong with it (None: whole).

    Fed in blocks, so that finding each member's end costs its own length, not the rest
    of the file's.
    """
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    position = offset
    try:
        while not decompressor.eof and position < len(data):
            block = data[position : position + _BLOCK]
            decompressor.decompress(block)
            position += len(block)
    except zlib.error as exc:
        return position, f"damaged gzip member: {exc}"
    if not decompressor.eof:
        return position, "truncated: the last gzip member is cut short"
    return position - len(decompressor.unused_data), None


def iter_warcs(folder: Path) -> Iterator[Path]:
    """The WARC files directly in ``folder``, sorted by name (oldest run first)."""
    if not folder.is_dir():
        return iter(())
    return iter(
        sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(WARC_SUFFIXES)
        )
    )


def read_warcinfo(path: Path) -> dict[str, str]:
    """The fields of a WARC's first ``warcinfo`` record ({} when it has none or is unreadable)."""
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "warcinfo":
                    return _parse_fields(_read_all(record.content_stream()))
                return {}
    except (OSError, *_DAMAGED):
        return {}
    return {}
