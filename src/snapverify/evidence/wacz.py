"""The WACZ 1.1.1 layout of an evidence bundle: index, pages, data package, zip.

A bundle is a ZIP (every member stored, not deflated, so a reader can seek into the
WARCs) holding:

- ``archive/*.warc.gz``: the WARCs, byte for byte as the store kept them;
- ``indexes/index.cdx.gz``: a CDXJ index of their ``response``, ``resource`` and
  ``revisit`` records (``urlkey timestamp {json}``, gzip), the form pywb reads when it
  unpacks a WACZ (``wb-manager add --unpack-wacz``); ``indexes/index.cdxj`` beside it,
  the same lines uncompressed, the form ReplayWeb.page reads (pywb leaves it alone);
- ``pages/pages.jsonl``: one page per fetch the check compared;
- further files, each one folder deep (``reports/``, ``source/``, ``custody/``);
- ``datapackage.json``: every file above with ``path``, ``hash`` (``sha256:...``) and
  ``bytes``; ``datapackage-digest.json``: the hash of ``datapackage.json`` (and a
  signature, see :mod:`snapverify.evidence.sign`);
- ``timestamps/*.tsr``: RFC 3161 tokens over ``datapackage.json``, made after it and
  therefore not listed in it.

Pure: bytes in, bytes out (the caller writes the file).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import surt
from warcio.archiveiterator import ArchiveIterator

from snapverify._version import __version__

__all__ = [
    "DATAPACKAGE",
    "DIGEST_FILE",
    "WACZ_VERSION",
    "Resource",
    "cdxj_lines",
    "datapackage",
    "digest_file",
    "index_cdxj",
    "index_gz",
    "iso",
    "pages_jsonl",
    "sha256_tag",
    "write_zip",
]

WACZ_VERSION: Final = "1.1.1"
DATAPACKAGE: Final = "datapackage.json"
DIGEST_FILE: Final = "datapackage-digest.json"
_INDEXED: Final = frozenset({"response", "resource", "revisit"})
_NAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Resource:
    """One file of the bundle: its path inside the ZIP and its bytes."""

    path: str
    data: bytes


def sha256_tag(data: bytes) -> str:
    """``sha256:<hex>``: how WACZ writes a hash."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _timestamp14(value: str | None) -> str:
    digits = re.sub(r"\D", "", value or "")
    return (digits + "0" * 14)[:14]


def cdxj_lines(name: str, data: bytes) -> list[str]:
    """CDXJ lines (unsorted) for the pages of one WARC, as pywb would index them.

    Args:
        name: the WARC's file name inside ``archive/`` (the ``filename`` field).
        data: the WARC's bytes.

    Raises:
        ValueError: the WARC cannot be read.
    """
    lines = []
    records = ArchiveIterator(io.BytesIO(data))
    for record in records:
        kind = record.rec_type
        headers = record.rec_headers
        skip = kind not in _INDEXED or (headers.get_header("Content-Type") or "").startswith(
            "application/warc-fields"
        )
        url = headers.get_header("WARC-Target-URI") or ""
        status = "-"
        mime = "unk"
        if kind == "response" and record.http_headers is not None:
            status = record.http_headers.get_statuscode() or "-"
            mime = record.http_headers.get_header("Content-Type") or "unk"
        elif kind == "resource":
            mime = headers.get_header("Content-Type") or "unk"
        elif kind == "revisit":
            mime = "warc/revisit"
        digest = headers.get_header("WARC-Payload-Digest") or "-"
        date = headers.get_header("WARC-Date")
        records.read_to_end(record)
        if skip or not url:
            continue
        entry: dict[str, Any] = {
            "url": url,
            "mime": mime.split(";", 1)[0].strip().lower() or "unk",
            "status": status,
            "digest": digest.removeprefix("sha1:"),
            "length": str(records.member_info[1]),
            "offset": str(records.member_info[0]),
            "filename": name,
        }
        key = surt.surt(url)
        lines.append(f"{key} {_timestamp14(date)} {json.dumps(entry, separators=(', ', ': '))}")
    return lines


def index_cdxj(lines: Iterable[str]) -> bytes:
    """The sorted CDXJ lines (``indexes/index.cdxj``: what ReplayWeb.page reads)."""
    return "".join(line + "\n" for line in sorted(lines)).encode("utf-8")


def index_gz(lines: Iterable[str]) -> bytes:
    """The sorted CDXJ lines, gzipped (``indexes/index.cdx.gz``: what pywb reads)."""
    return gzip.compress(index_cdxj(lines), mtime=0)


def pages_jsonl(pages: Sequence[Mapping[str, Any]]) -> bytes:
    """``pages/pages.jsonl``: the header line, then one line per page."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    lines = [json.dumps(header), *(json.dumps(dict(p), ensure_ascii=False) for p in pages)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _resource_name(path: str) -> str:
    return _NAME_UNSAFE.sub("-", path.lower()).strip("-") or "resource"


def datapackage(
    resources: Sequence[Resource],
    *,
    created: datetime,
    title: str,
    description: str,
    main_page_url: str | None = None,
    main_page_date: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """``datapackage.json``: every resource with its path, hash and size.

    Args:
        resources: the bundle's files (not ``datapackage*.json`` nor timestamps).
        created: the bundle's creation time (UTC; seconds).
        title: the package's title.
        description: what the package holds.
        main_page_url: the page a replay opens first.
        main_page_date: that page's time (ISO 8601).
        extra: further keys (snapverify's own, under ``snapverify``).
    """
    package: dict[str, Any] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "created": iso(created),
        "modified": iso(created),
        "software": f"snapverify {__version__}",
    }
    if main_page_url:
        package["mainPageUrl"] = main_page_url
    if main_page_date:
        package["mainPageDate"] = main_page_date
    package.update(extra or {})
    package["resources"] = [
        {
            "name": _resource_name(r.path),
            "path": r.path,
            "hash": sha256_tag(r.data),
            "bytes": len(r.data),
        }
        for r in resources
    ]
    return (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def digest_file(package: bytes, signed: Mapping[str, Any] | None = None) -> bytes:
    """``datapackage-digest.json``: the hash of ``datapackage.json`` (and its signature)."""
    digest: dict[str, Any] = {"path": DATAPACKAGE, "hash": sha256_tag(package)}
    if signed is not None:
        digest["signedData"] = dict(signed)
    return (json.dumps(digest, indent=2) + "\n").encode("utf-8")


def iso(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_zip(members: Sequence[Resource], when: datetime) -> bytes:
    """The ZIP of ``members`` in their order, every member stored (no compression) and
    dated ``when`` (UTC)."""
    stamp = when.astimezone(UTC)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.path, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.data)
    return buffer.getvalue()
