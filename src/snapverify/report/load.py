"""Read saved reports back: a ``snapverify/check-v1`` JSON report becomes a CheckResult.

``snapverify report`` renders a report that ``check`` or ``compare`` saved with
``--format json`` (one JSON object, or JSON Lines for several snapshots) in
another format, without checking again. Anything that is not such a report is
an :class:`~snapverify.errors.InputError` (exit 2) naming the file and, for JSON
Lines, the line. Keys added to the contract later are ignored; keys a report
lacks take their defaults, so reports of older versions still load.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from snapverify.errors import InputError, UsageError
from snapverify.models import (
    SCHEMA,
    Change,
    CheckResult,
    Extraction,
    Finding,
    FindingKind,
    LinkCheck,
    Outcome,
    Provenance,
    SnapshotInfo,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.timestamps import parse_timestamp

__all__ = ["load_last_report", "load_reports", "parse_reports", "result_from_dict"]

T = TypeVar("T")

MAX_REPORT_BYTES = 256 * 1024 * 1024
"""A saved report larger than this is refused rather than read into memory."""


class _Invalid(ValueError):
    """A report that does not follow the contract (the message says where)."""


_MAX_INT_DIGITS = 19
"""A report's integers (exit codes, statuses, offsets, block numbers) fit in 64 bits."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _Invalid(f"an integer of {len(text)} digits is too large")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _Invalid(f"the number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise _Invalid(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    """``json.loads``, refusing what is not strict JSON or cannot be a report's number:
    ``NaN`` and ``Infinity``, numbers that overflow, integers of thousands of digits."""
    return json.loads(
        text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_no_constant
    )


def load_reports(path: Path) -> list[CheckResult]:
    """Read the check results a saved JSON report holds.

    Args:
        path: a file written by ``check --format json`` or ``compare --format
            json``: one JSON object, or JSON Lines (one object per snapshot).

    Returns:
        The results, in the file's order (at least one).

    Raises:
        InputError: when the file cannot be read, is not UTF-8 JSON, or is not a
            ``snapverify/check-v1`` report; the message names the file.
    """
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise InputError(f"{path}: {size} bytes is too large for a report", url=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}", url=str(path)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a JSON report (not UTF-8 text)", url=str(path)) from exc
    return parse_reports(text, origin=str(path))


def parse_reports(text: str, *, origin: str = "<report>") -> list[CheckResult]:
    """Parse the text of a saved JSON report (one object or JSON Lines).

    Args:
        text: the report's text.
        origin: the file name used in error messages.

    Returns:
        The results, in order (at least one).

    Raises:
        InputError: when the text is not a ``snapverify/check-v1`` report.
    """
    if not text.strip():
        raise InputError(f"{origin}: empty file, not a JSON report", url=origin)
    try:
        whole: Any = _loads(text)
    except _Invalid as exc:
        raise InputError(f"{origin}: not a {SCHEMA} report: {exc}", url=origin) from exc
    except (json.JSONDecodeError, RecursionError):
        whole = None
    else:
        if isinstance(whole, dict):
            return [_result(whole, origin)]
        raise InputError(f"{origin}: not a {SCHEMA} report (not a JSON object)", url=origin)
    # Not one JSON document: JSON Lines, one object per non-blank line.
    results = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{origin}, line {number}"
        try:
            data = _loads(line)
        except _Invalid as exc:
            raise InputError(f"{where}: not a {SCHEMA} report: {exc}", url=origin) from exc
        except (json.JSONDecodeError, RecursionError) as exc:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise InputError(f"{where}: not JSON ({message})", url=origin) from exc
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a {SCHEMA} report (not a JSON object)", url=origin)
        results.append(_result(data, where))
    return results


def _result(data: Mapping[str, Any], where: str) -> CheckResult:
    try:
        return result_from_dict(data)
    except _Invalid as exc:
        raise InputError(f"{where}: not a {SCHEMA} report: {exc}", url=where) from exc


def result_from_dict(data: Mapping[str, Any]) -> CheckResult:
    """Rebuild a check result from its ``as_dict()`` form (the JSON contract).

    Args:
        data: one report object, as ``json.loads`` gives it.

    Returns:
        The check result; ``as_dict()`` of it gives back the contract's keys.

    Raises:
        ValueError: when ``data`` is not a ``snapverify/check-v1`` report (the
            message says which key is wrong).
    """
    if data.get("schema") != SCHEMA:
        raise _Invalid(f"schema is {data.get('schema')!r}, not {SCHEMA!r}")
    snapshot = _mapping(data, "snapshot")
    provenance = data.get("provenance")
    return CheckResult(
        snapshot=SnapshotInfo(
            path=_str(snapshot, "snapshot.path"),
            url=_str(snapshot, "snapshot.url"),
            title=_opt(snapshot, "snapshot.title", str),
            sha256=_str(snapshot, "snapshot.sha256"),
        ),
        verdict=_enum(Verdict, data.get("verdict"), "verdict"),
        exit_code=_int(data, "exit_code"),
        sources=tuple(_source(item) for item in _list(data, "sources")),
        findings=tuple(_finding(item) for item in _list(data, "findings")),
        provenance=None
        if provenance is None
        else Provenance(
            source=_str(_as_mapping(provenance, "provenance"), "provenance.source"),
            similarity=_float(_as_mapping(provenance, "provenance"), "provenance.similarity"),
        ),
        notes=tuple(_text_items(data, "notes")),
        error=_opt(data, "error", str),
        links=tuple(_link(item) for item in _list(data, "links")),
        resolved=tuple(_finding(item) for item in _list(data, "resolved")),
        checked_at=_time(data, "checked_at"),
        command=_opt(data, "command", str),
        version=_opt(data, "version", str),
        store=_opt(data, "store", str),
    )


def _source(item: Any) -> Source:
    data = _as_mapping(item, "sources[]")
    extraction = data.get("extraction")
    similarity = data.get("similarity")
    return Source(
        id=_str(data, "sources[].id"),
        kind=_enum(SourceKind, data.get("kind"), "sources[].kind"),
        url=_str(data, "sources[].url"),
        timestamp=_time(data, "timestamp"),
        status=_opt(data, "status", int),
        outcome=Outcome.parse(_str(data, "sources[].outcome")),
        similarity=None if similarity is None else _float(data, "sources[].similarity"),
        sha256=_opt(data, "sha256", str),
        digest=_opt(data, "digest", str),
        extraction=None
        if extraction is None
        else _enum(Extraction, extraction, "sources[].extraction"),
        note=_opt(data, "note", str),
    )


def _finding(item: Any) -> Finding:
    data = _as_mapping(item, "findings[]")
    diff = []
    for pair in _list(data, "diff"):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(part, str) for part in pair)
        ):
            raise _Invalid("findings[].diff holds an item that is not [op, text]")
        diff.append((pair[0], pair[1]))
    outcome = data.get("outcome")
    change = data.get("change")
    substantive = data.get("substantive")
    if not isinstance(substantive, bool):
        raise _Invalid("findings[].substantive is not true or false")
    return Finding(
        kind=_enum(FindingKind, data.get("kind"), "findings[].kind"),
        substantive=substantive,
        detail=_opt(data, "detail", str) or "",
        local_block=_opt(data, "local_block", int),
        insert_after=_opt(data, "insert_after", int),
        field=_opt(data, "field", str),
        local_text=_opt(data, "local_text", str),
        remote_text=_opt(data, "remote_text", str),
        diff=tuple(diff),
        sources=tuple(_text_items(data, "sources")),
        first_seen=_time(data, "first_seen"),
        last_seen=_time(data, "last_seen"),
        url=_opt(data, "url", str),
        status=_opt(data, "status", int),
        outcome=None if outcome is None else Outcome.parse(_str(data, "findings[].outcome")),
        archive_url=_opt(data, "archive_url", str),
        text=_opt(data, "text", str),
        fingerprint=_opt(data, "fingerprint", str),
        change=None if change is None else _enum(Change, change, "findings[].change"),
        acknowledged=data.get("acknowledged") is True,
        ack_note=_opt(data, "ack_note", str),
    )


def _link(item: Any) -> LinkCheck:
    data = _as_mapping(item, "links[]")
    return LinkCheck(
        text=_opt(data, "text", str) or "",
        url=_opt(data, "url", str),
        outcome=Outcome.parse(_str(data, "links[].outcome")),
        status=_opt(data, "status", int),
        block=_opt(data, "block", int),
        archive_url=_opt(data, "archive_url", str),
        archive_timestamp=_time(data, "archive_timestamp"),
        lost=data.get("lost") is True,
        detail=_opt(data, "detail", str),
        checked_at=_time(data, "checked_at"),
        cached=data.get("cached") is True,
    )


# -- typed access with one message per wrong key ------------------------------


def _as_mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"{name} is not an object")
    return value


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return _as_mapping(data.get(key), key)


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(f"{key} is not a list")
    return value


def _text_items(data: Mapping[str, Any], key: str) -> list[str]:
    items = _list(data, key)
    if not all(isinstance(item, str) for item in items):
        raise _Invalid(f"{key} holds an item that is not text")
    return items


def _str(data: Mapping[str, Any], name: str) -> str:
    key = name.rpartition(".")[2]
    value = data.get(key)
    if not isinstance(value, str):
        raise _Invalid(f"{name} is not text")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"{key} is not an integer")
    return value


def _float(data: Mapping[str, Any], name: str) -> float:
    value = data.get(name.rpartition(".")[2])
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Invalid(f"{name} is not a number")
    return float(value)


def _opt(data: Mapping[str, Any], name: str, kind: type[T]) -> T | None:
    key = name.rpartition(".")[2]
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Invalid(f"{name} is not {'text' if kind is str else 'an integer'}")
    return value


def _enum(kind: Callable[[str], T], value: Any, name: str) -> T:
    try:
        return kind(value)
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"{name} is {value!r}") from exc


def _time(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"{key} is not a timestamp")
    try:
        return parse_timestamp(value)
    except ValueError:
        pass
    try:  # an ISO 8601 time, as other tools may write
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(f"{key} {value!r} is not a timestamp") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# -- the last stored check of a snapshot (history) ----------------------------


def load_last_report(store: Path, snapshot: Path) -> list[CheckResult]:
    """The last check of ``snapshot`` that the store's history kept.

    Args:
        store: the store folder (``.snapverify/``).
        snapshot: a snapshot's local copy, or a folder: the last check of each
            snapshot under it.

    Returns:
        The stored results, one per snapshot.

    Raises:
        UsageError: when the store has no check of ``snapshot`` (or no history at all).
        InputError: when a stored report does not follow the contract.
    """
    # Imported here: rendering saved JSON reports needs no database.
    from snapverify.store.history import HISTORY_FILE, History

    database = store / HISTORY_FILE
    if not database.is_file():
        raise UsageError(
            f"no stored check for {snapshot}: {database} does not exist "
            f"(run 'snapverify check {snapshot}' first)",
            url=str(snapshot),
        )
    with History.open(store) as history:
        stored = [(k, history.last_report(k)) for k in history.snapshots(under=snapshot)]
    if not stored:
        raise UsageError(
            f"no stored check for {snapshot} in {database}: "
            f"run 'snapverify check {snapshot}' first",
            url=str(snapshot),
        )
    results = []
    for name, data in stored:
        origin = f"{database}: the stored check of {name}"
        if not isinstance(data, dict):
            raise InputError(f"{origin} is not a report", url=str(database))
        results.append(_result(data, origin))
    return results
