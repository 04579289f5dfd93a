"""Archive listings, parsed: CDX answers (IA JSON, IA text, pywb NDJSON).

Pure functions: text in, rows out. Nothing here raises on a bad line; a line that
cannot be read is skipped and described in the returned warnings, because one broken
row in a listing of thousands must not cost the other captures (RELIABILITY B21).

TimeMaps, URI-Ms and HTTP dates are read by :mod:`snapverify.fetch.timemap`, whose
functions are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from snapverify.fetch.timemap import (
    parse_http_datetime,
    parse_timemap_link,
    raw_memento_url,
    split_playback_url,
    timemap_original,
)
from snapverify.timestamps import format_timestamp, parse_timestamp

__all__ = [
    "IA_FIELDS",
    "IA_FIELDS_11",
    "CdxEntry",
    "Row",
    "entries_from_rows",
    "parse_cdx",
    "parse_cdx_json",
    "parse_cdx_text",
    "parse_http_datetime",
    "parse_timemap_link",
    "raw_memento_url",
    "split_playback_url",
    "timemap_original",
]

Row = dict[str, str]
Parsed = tuple[list[Row], str | None, list[str]]

# IA's default fields (`/cdx/search/cdx`), and the 11 of CDX11 files and `/web/timemap/json`.
IA_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
IA_FIELDS_11 = (
    "urlkey",
    "timestamp",
    "original",
    "mimetype",
    "statuscode",
    "digest",
    "redirect",
    "robotflags",
    "length",
    "offset",
    "filename",
)
# pywb's JSON keys for the fields IA names differently.
_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}
_SAMPLE = 80  # characters of a bad line quoted in a warning (some are kilobytes of base64)
_BASE32_SHA1 = re.compile(r"[A-Z2-7]{32}")
_HEX_SHA1 = re.compile(r"[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class CdxEntry:
    """One capture as a listing describes it, checked and normalised.

    Attributes:
        timestamp: 14 digits, UTC.
        original: the archived URL (absolute http or https).
        status: the archived HTTP status, None for ``-`` (revisits).
        mimetype: None for ``-``.
        digest: base32 SHA-1 of the payload, None when absent or not SHA-1.
        length: the record's length in the archive's files (not the payload's).
        alt_digests: other digests listed for the same timestamp and URL (the archive
            holds several records of that second; playback serves one of them).
    """

    timestamp: str
    original: str
    status: int | None
    mimetype: str | None
    digest: str | None
    length: int | None
    alt_digests: tuple[str, ...] = ()


def _clip(text: str) -> str:
    return text if len(text) <= _SAMPLE else text[:_SAMPLE] + "..."


def _show(value: Any) -> str:
    """A parsed value for a warning, clipped; nesting too deep to print is said so."""
    try:
        return _clip(str(value))
    except (RecursionError, ValueError):
        return "(nested too deep to show)"


def _text(value: Any) -> str | None:
    """A field's value as text (JSON for non-strings); None when too deep to write."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (RecursionError, ValueError):
        return None


def _normalise(row: dict[str, Any]) -> Row:
    out: Row = {}
    for key, value in row.items():
        name = _ALIASES.get(key, key)
        # IA names win over pywb aliases when both appear.
        if name in out and name != key:
            continue
        text = _text(value)
        if text is not None:
            out[name] = text
    return out


def parse_cdx_json(text: str) -> Parsed:
    """Parse a JSON CDX answer: IA's array with a header row, or pywb's NDJSON.

    IA: ``[["urlkey","timestamp",...], [row], ..., [], ["resume key"]]`` (7 fields from
    ``/cdx/search/cdx``, 11 from ``/web/timemap/json``; the resume key follows an empty
    row when ``showResumeKey=true``). pywb: one JSON object a line, with keys ``url``,
    ``mime``, ``status``, ``digest``, ``length``, ``timestamp``... Fields are read by
    name; pywb's names are mapped to IA's (``url`` -> ``original``, ``mime`` ->
    ``mimetype``, ``status`` -> ``statuscode``).

    Args:
        text: the answer's body.

    Returns:
        ``(rows, resume_key, warnings)``: each row a dict of field name to value.
    """
    stripped = text.strip()
    if not stripped:
        return [], None, []
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep to be rows
            return _parse_json_array_lines(stripped)
        if not isinstance(data, list):
            return [], None, ["CDX JSON is not an array"]
        return _rows_from_array(data, [])
    return _parse_ndjson(stripped)


def _rows_from_array(data: list[Any], warnings: list[str]) -> Parsed:
    rows: list[Row] = []
    if not data:
        return rows, None, warnings
    header = data[0]
    if not (isinstance(header, list) and header and all(isinstance(h, str) for h in header)):
        return rows, None, [*warnings, f"CDX JSON has no header row: {_show(header)}"]
    resume_key: str | None = None
    for index, item in enumerate(data[1:], start=2):
        if item == []:
            # The resume key row follows the empty row; nothing after it is data.
            rest = data[index:]
            if rest and isinstance(rest[0], list) and len(rest[0]) == 1:
                resume_key = str(rest[0][0]) or None
            break
        if not isinstance(item, list) or len(item) != len(header):
            warnings.append(
                f"CDX row {index}: expected {len(header)} fields, skipped: {_show(item)}"
            )
            continue
        if not all(isinstance(value, str | int) for value in item):
            warnings.append(f"CDX row {index}: non-text field, skipped: {_show(item)}")
            continue
        rows.append(dict(zip(header, (str(value) for value in item), strict=True)))
    return rows, resume_key, warnings


def _parse_json_array_lines(text: str) -> Parsed:
    # IA writes one row a line; when one row is broken, the others still parse.
    items: list[Any] = []
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        chunk = line.strip().rstrip(",")
        if chunk.startswith("[["):
            chunk = chunk[1:]
        if chunk.endswith("]]"):
            chunk = chunk[:-1]
        if not chunk or chunk in ("[", "]"):
            continue
        try:
            items.append(json.loads(chunk))
        except (ValueError, RecursionError):
            warnings.append(f"CDX line {number}: not JSON, skipped: {_clip(line)}")
    return _rows_from_array(items, warnings)


def _parse_ndjson(text: str) -> Parsed:
    rows: list[Row] = []
    warnings: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            warnings.append(f"CDX line {number}: not JSON, skipped: {_clip(line)}")
            continue
        if not isinstance(item, dict):
            warnings.append(f"CDX line {number}: not an object, skipped: {_clip(line)}")
            continue
        rows.append(_normalise(item))
    return rows, None, warnings


def parse_cdx_text(text: str) -> Parsed:
    """Parse a space-separated CDX answer (IA's default output, pywb's ``output=text``).

    Lines of 7 fields are IA's default order, 11 fields CDX11's; longer lines (pywb adds
    offset, filename, source...) are read by IA's first 7 positions. A blank line
    followed by a one-word line is the resume key (``showResumeKey=true``).

    Args:
        text: the answer's body.

    Returns:
        ``(rows, resume_key, warnings)``.
    """
    rows: list[Row] = []
    warnings: list[str] = []
    resume_key: str | None = None
    after_blank = False
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            after_blank = True
            continue
        if after_blank and len(fields) == 1:
            resume_key = fields[0]
            break
        names = IA_FIELDS_11 if len(fields) == 11 else IA_FIELDS
        if len(fields) < len(IA_FIELDS):
            warnings.append(
                f"CDX line {number}: {len(fields)} fields, expected 7, skipped: {_clip(line)}"
            )
            continue
        rows.append(dict(zip(names, fields, strict=False)))
    return rows, resume_key, warnings


def parse_cdx(text: str) -> Parsed:
    """Parse a CDX answer in whichever format it came: JSON array, NDJSON or text.

    The format is the first line's; when that reading finds no row (a first line of
    garbage: an error message, a proxy's banner), the rest of the answer is read again
    from its first line that opens a JSON array or object, so its valid rows still count.
    """
    head = text.lstrip()[:1]
    parsed = parse_cdx_json(text) if head in ("[", "{") else parse_cdx_text(text)
    if parsed[0]:
        return parsed
    lines = text.splitlines()
    for number, line in enumerate(lines[1:], start=2):
        if line.lstrip()[:1] in ("[", "{"):
            rows, key, warnings = parse_cdx_json("\n".join(lines[number - 1 :]))
            if rows:
                skipped = f"CDX lines 1-{number - 1}: not part of the listing, skipped"
                return rows, key, [skipped, *warnings]
            break
    return parsed


def _digest(value: str | None) -> str | None:
    if not value or value == "-":
        return None
    algorithm, _, rest = value.rpartition(":")
    if algorithm and algorithm.lower() != "sha1":
        return None  # another hash: nothing to compare a SHA-1 with
    if _HEX_SHA1.fullmatch(rest):
        return base64.b32encode(binascii.unhexlify(rest)).decode("ascii")
    rest = rest.upper()
    return rest if _BASE32_SHA1.fullmatch(rest) else None


def _optional_int(value: str | None) -> int | None:
    # 18 digits at most: int() refuses more than 4,300, and no status or length has 19.
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def _entry(row: Row) -> CdxEntry | str:
    """A checked entry, or the reason the row is skipped."""
    raw_ts = row.get("timestamp", "")
    try:
        timestamp = format_timestamp(parse_timestamp(raw_ts))
    except ValueError:
        return f"bad timestamp {raw_ts!r}"
    original = row.get("original", "")
    try:
        parts = urlsplit(original)
    except ValueError as exc:  # "http://[::1/x": not a URL at all
        return f"original is not a URL ({exc}): {_clip(original)!r}"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"original is not an http(s) URL: {_clip(original)!r}"
    raw_status = row.get("statuscode", "-")
    status = _optional_int(raw_status)
    if status is None and raw_status not in ("-", ""):
        return f"bad status {_clip(raw_status)!r}"
    if status is not None and not 100 <= status <= 599:
        return f"bad status {raw_status!r}"
    mimetype = row.get("mimetype") or None
    return CdxEntry(
        timestamp=timestamp,
        original=original,
        status=status,
        mimetype=None if mimetype == "-" else mimetype,
        digest=_digest(row.get("digest")),
        length=_optional_int(row.get("length")),
    )


def entries_from_rows(rows: list[Row]) -> tuple[list[CdxEntry], list[str]]:
    """Check rows, drop duplicates, and sort them by time.

    A row is skipped (with a warning) when its timestamp is not a real date, its URL is
    not absolute http(s), or its status is junk. Rows of the same timestamp and URL are
    one capture (IA lists each copy of a record, and sometimes two records of the same
    second); the first row describes it, the other rows' digests go to ``alt_digests``.

    Args:
        rows: parsed rows, as ``parse_cdx`` returns them.

    Returns:
        ``(entries, warnings)``.
    """
    warnings: list[str] = []
    found: dict[tuple[str, str], CdxEntry] = {}
    for number, row in enumerate(rows, start=1):
        entry = _entry(row)
        if isinstance(entry, str):
            warnings.append(f"CDX row {number}: {entry}; skipped")
            continue
        key = (entry.timestamp, entry.original)
        first = found.get(key)
        if first is None:
            found[key] = entry
        elif first.digest is None:
            found[key] = replace(first, digest=entry.digest)
        elif (
            entry.digest and entry.digest != first.digest and entry.digest not in first.alt_digests
        ):
            found[key] = replace(first, alt_digests=(*first.alt_digests, entry.digest))
    entries = sorted(found.values(), key=lambda item: item.timestamp)
    return entries, warnings
