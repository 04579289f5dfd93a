"""The history of checks: a SQLite database in the store (``history.sqlite3``).

Every check of a snapshot is recorded: when, its sources, verdict and exit code,
its findings with their fingerprints (:mod:`snapverify.compare.fingerprint`) and
the full JSON report. Recording a check also annotates it against the previous
check of the same snapshot: each finding becomes ``new`` or ``ongoing``, and the
findings of the previous check that are gone are listed as ``resolved``.

A finding of the previous check that this check does not show is resolved only
when the sources that showed it were read again and no longer show it:

- when a source that showed it was asked again but not read (unreachable, an
  error, a refusal), nothing is resolved: the finding is carried into this
  check's report as ``ongoing`` (and counts for its verdict and exit code);
- a source not asked this time (``--no-live``, ``--to``, another capture
  selection or archive) neither shows nor hides it: when none of the finding's
  sources was asked, the finding stays open in the history but is left out of
  this report, which is about other sources;
- a check that failed to run (``error``) resolves nothing and changes nothing.

Acknowledged fingerprints (:meth:`History.acknowledge`) stay in reports, marked,
and no longer count for the exit code.

Concurrency: the database is in WAL mode with a busy timeout, and every
read-then-write runs in a ``BEGIN IMMEDIATE`` transaction, so two processes
recording at once queue instead of interleaving. Schema changes are numbered
migrations, recorded in the database (``PRAGMA user_version`` and the
``migrations`` table) and applied when a database is opened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

from snapverify.errors import (
    IntegrityError,
    ReadOnlyStore,
    SnapverifyError,
    StorageError,
    TryLater,
    UsageError,
)
from snapverify.models import CheckResult, Finding
from snapverify.snapshot import find_store
from snapverify.store._changes import annotate, finding_from_dict, stored
from snapverify.store._schema import SCHEMA_VERSION, check_version, migrate
from snapverify.store.access import (
    NO_SPACE_MESSAGE,
    read_only_message,
    storage_error,
    store_writable,
)

__all__ = [
    "HISTORY_FILE",
    "SCHEMA_VERSION",
    "ArchiveRecord",
    "CheckRecord",
    "FindingSpan",
    "History",
    "check_schema",
    "snapshot_key",
]

HISTORY_FILE: Final = "history.sqlite3"
_P = ParamSpec("_P")
_R = TypeVar("_R")
# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_BUSY: Final = 5
_SQLITE_READONLY: Final = 8
_SQLITE_IOERR: Final = 10
_SQLITE_CORRUPT: Final = 11
_SQLITE_FULL: Final = 13
_SQLITE_NOTADB: Final = 26
_NO_HISTORY_HINT: Final = "check with --no-history, or move the file away"
_BUSY_TIMEOUT_MS: Final = 30_000
# A source read: its text was compared (the same as in _changes).
_READ: Final = frozenset({"ok", "redirected"})


def snapshot_key(path: Path, store: Path | None = None) -> str:
    """The key a snapshot has in the history.

    Args:
        path: the snapshot's local copy (or folder).
        store: the store folder (default: the one :func:`find_store` finds).

    Returns:
        The path relative to the store's parent folder, in posix form, so the
        key survives moving the whole snapshots folder; the absolute path when
        the snapshot lies outside it.
    """
    store = (store or find_store(path)).resolve()
    target = Path(os.path.abspath(path))
    try:
        return target.resolve().relative_to(store.parent).as_posix()
    except ValueError:
        return target.as_posix()


def check_schema(store_dir: Path) -> None:
    """Refuse a history made by a newer snapverify before a command writes anything.

    Raises:
        UsageError: the database's schema is newer than this version knows (exit 2).
    """
    path = Path(store_dir) / HISTORY_FILE
    if not path.is_file():
        return
    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # opening it for real says what is wrong
    try:
        check_version(connection, path)
    except sqlite3.Error:
        pass
    finally:
        connection.close()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One recorded check (a line of ``snapverify history``)."""

    id: int
    snapshot: str
    checked_at: datetime
    verdict: str
    exit_code: int
    error: str | None
    new: int  # findings new in this check
    ongoing: int
    resolved: int
    acknowledged: int
    sources: int  # sources read (ok or redirected)
    tried: int  # sources asked

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "snapshot": self.snapshot,
            "checked_at": _iso(self.checked_at),
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "error": self.error,
            "new": self.new,
            "ongoing": self.ongoing,
            "resolved": self.resolved,
            "acknowledged": self.acknowledged,
            "sources_read": self.sources,
            "sources_tried": self.tried,
        }


@dataclass(frozen=True, slots=True)
class FindingSpan:
    """When a finding (by fingerprint) first and last appeared in a snapshot's checks."""

    snapshot: str
    fingerprint: str
    kind: str
    substantive: bool
    detail: str
    first_seen: datetime  # the first check that showed it
    last_seen: datetime  # the last check that showed it (or carried it)
    checks: int  # how many checks showed it
    open: bool  # in the snapshot's last check (not resolved)
    acknowledged: bool
    ack_note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "substantive": self.substantive,
            "detail": self.detail,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "checks": self.checks,
            "open": self.open,
            "acknowledged": self.acknowledged,
            "ack_note": self.ack_note,
        }


@dataclass(frozen=True, slots=True)
class ArchiveRecord:
    """What :meth:`History.record_archive` stored: one archive run of a snapshot."""

    snapshot: str
    manifest: str
    created: datetime
    files: tuple[tuple[str, str], ...]  # (path, sha256)


def database_failure(exc: sqlite3.Error, path: Path, store: Path) -> SnapverifyError:
    """What a SQLite error on the history database means, as one line naming the file.

    A full disk is a storage failure (exit 5), a read-only file or folder says so
    (exit 2), a damaged file (exit 5) suggests ``--no-history``; only a file that is
    not a database at all is "not a usable history database".
    """
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    detail = " ".join(str(exc).split())
    if code == _SQLITE_FULL:
        return StorageError(f"{NO_SPACE_MESSAGE}: {path}")
    if code == _SQLITE_READONLY:
        return ReadOnlyStore(read_only_message(store, check=False))
    if code == _SQLITE_BUSY:
        return TryLater(f"{path}: the history is busy ({detail}): try later")
    if code == _SQLITE_IOERR:
        return StorageError(f"{path}: I/O error ({detail})")
    if code == _SQLITE_NOTADB:
        return IntegrityError(
            f"{path}: not a usable history database ({detail}): {_NO_HISTORY_HINT}"
        )
    if code == _SQLITE_CORRUPT:
        return IntegrityError(f"{path}: the history is damaged ({detail}): {_NO_HISTORY_HINT}")
    return IntegrityError(f"{path}: history database error ({detail}): {_NO_HISTORY_HINT}")


def _damaged_record(path: Path, exc: Exception, which: str = "a record") -> IntegrityError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return IntegrityError(
        f"{path}: the history is damaged: {which} does not decode "
        f"({type(exc).__name__}: {detail[:120]}): {_NO_HISTORY_HINT}"
    )


def _guarded(
    method: Callable[Concatenate[History, _P], _R],
) -> Callable[Concatenate[History, _P], _R]:
    """Database errors and records that do not decode become one-line snapverify errors."""

    def guarded(self: History, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except SnapverifyError:
            raise
        except sqlite3.Error as exc:
            raise database_failure(exc, self.path, self.store) from exc
        except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _damaged_record(self.path, exc) from exc

    functools.update_wrapper(guarded, method)
    return guarded


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back what is left of a failed transaction: SQLite has already rolled back
    after some errors (a full disk), and a second ROLLBACK would hide the first error."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _use_wal(connection: sqlite3.Connection) -> None:
    """Switch the database to WAL (it stays so): once, by whichever process comes first.

    The switch needs the database to itself, and SQLite answers "database is locked" at
    once, without its busy handler, while another process is creating or switching it:
    so that case is retried, within the busy timeout.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class History:
    """The history database of one store.

    Open it with :meth:`History.open` as a context manager::

        with History.open(store_dir) as history:
            result = history.record_check(result)
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, store: Path) -> None:
        self._db = connection
        self.path = path
        self.store = store

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, store_dir: Path) -> History:
        """Open (creating, or upgrading) ``<store_dir>/history.sqlite3``.

        A store this process cannot write (a write-protected folder or file, a
        read-only mount) is opened read-only: reading works, writing raises
        :class:`~snapverify.errors.ReadOnlyStore`.

        Args:
            store_dir: the store folder; created when missing (and writable).

        Returns:
            The open history (use it as a context manager to close it).

        Raises:
            IntegrityError: the file is not a SQLite database, or is damaged.
            StorageError: no space left on the device (or an I/O error).
            UsageError: the database was made by a newer snapverify.
        """
        store_dir = Path(store_dir)
        path = store_dir / HISTORY_FILE
        if not store_writable(store_dir) or (path.exists() and not os.access(path, os.W_OK)):
            return cls._open_read_only(path, store_dir)
        try:
            store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, store_dir, store=store_dir) from exc
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            _use_wal(connection)
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = FULL")
            migrate(connection, path)
        except sqlite3.Error as exc:
            connection.close()
            raise database_failure(exc, path, store_dir) from exc
        except BaseException:
            connection.close()
            raise
        return cls(connection, path, store_dir)

    @classmethod
    def _open_read_only(cls, path: Path, store_dir: Path) -> History:
        # A WAL database needs its -shm file; in a folder nobody may write, SQLite reads
        # it as immutable instead (no writer can be there to change it meanwhile).
        last: sqlite3.Error | None = None
        for query in ("mode=ro", "mode=ro&immutable=1"):
            uri = f"{path.absolute().as_uri()}?{query}"
            try:
                connection = sqlite3.connect(uri, uri=True, isolation_level=None)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                connection.row_factory = sqlite3.Row
                check_version(connection, path)
                connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                connection.close()
                last = exc
                continue
            except BaseException:
                connection.close()
                raise
            return cls(connection, path, store_dir)
        assert last is not None
        raise database_failure(last, path, store_dir) from last

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def integrity_check(self) -> None:
        """Run SQLite's ``integrity_check`` and the foreign key check, then decode every
        record (a row can be damaged inside while SQLite finds the file sound).

        Raises:
            IntegrityError: naming the database file and the first problem found.
        """
        try:
            problems = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
            orphans = self._db.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.Error as exc:
            raise database_failure(exc, self.path, self.store) from exc
        if problems != ["ok"]:
            raise IntegrityError(f"{self.path}: integrity check failed: {problems[0]}")
        if orphans:
            raise IntegrityError(f"{self.path}: {len(orphans)} row(s) point at missing rows")
        self._decode_every_record()

    @_guarded
    def _decode_every_record(self) -> None:
        for row in self._db.execute("SELECT id, checked_at, sources, report FROM checks"):
            try:
                datetime.fromisoformat(row["checked_at"])
                json.loads(row["sources"])
                _unpack(row["report"])
            except (zlib.error, ValueError, TypeError) as exc:
                raise _damaged_record(self.path, exc, f"check {row['id']}") from exc
        for row in self._db.execute("SELECT rowid, data FROM findings"):
            try:
                finding_from_dict(_unpack(row["data"]))
            except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise _damaged_record(self.path, exc, f"finding {row['rowid']}") from exc

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """A read-then-write transaction: the write lock is taken at the start."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            _rollback(self._db)
            raise
        self._db.execute("COMMIT")

    # -- checks ----------------------------------------------------------------

    def key(self, path: Path | str) -> str:
        """The history key of the snapshot at ``path`` in this store."""
        return snapshot_key(Path(path), self.store)

    @_guarded
    def record_check(self, result: CheckResult) -> CheckResult:
        """Record a check and return it annotated against the previous one.

        Args:
            result: a check's result (``snapshot.path`` names the local copy).

        Returns:
            ``result`` with every finding's ``fingerprint``, ``change``,
            ``acknowledged`` and ``ack_note`` set; findings of the previous check
            that could not be confirmed gone carried as ``ongoing``; the ones gone
            in ``resolved``; ``verdict`` and ``exit_code`` recomputed so that
            acknowledged findings no longer count. A result with an ``error`` is
            recorded as it is and resolves nothing.
        """
        key = self.key(result.snapshot.path)
        checked_at = result.checked_at or _now()
        with self._immediate() as db:
            previous = _open_findings(db, key)
            acks = _acks(db)
            annotated, rows = annotate(result, previous, acks)
            annotated = dataclasses.replace(annotated, checked_at=checked_at)
            cursor = db.execute(
                "INSERT INTO checks (snapshot, checked_at, url, sha256, verdict, exit_code,"
                " error, sources, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    _iso(checked_at),
                    annotated.snapshot.url or None,
                    annotated.snapshot.sha256 or None,
                    str(annotated.verdict),
                    annotated.exit_code,
                    annotated.error,
                    json.dumps([s.as_dict() for s in annotated.sources]),
                    _pack(annotated.as_dict()),
                ),
            )
            check_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO findings (check_id, fingerprint, kind, substantive, change, shown,"
                " reported, acknowledged, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        check_id,
                        row.finding.fingerprint,
                        str(row.finding.kind),
                        int(row.finding.substantive),
                        str(row.finding.change),
                        int(row.shown),
                        int(row.reported),
                        int(row.finding.acknowledged),
                        _pack(stored(row.finding)),
                    )
                    for row in rows
                ],
            )
        return annotated

    @_guarded
    def acknowledge(self, fingerprint: str, note: str | None) -> int:
        """Acknowledge a finding by its fingerprint (or a unique prefix of 6+ digits).

        Args:
            fingerprint: as the reports show it.
            note: why it is acknowledged (shown in reports), or ``None``.

        Returns:
            How many snapshots' findings it acknowledged (at least 1).

        Raises:
            UsageError: no recorded finding has that fingerprint, or a prefix
                matches several.
        """
        wanted = fingerprint.strip().lower()
        if len(wanted) < 6:
            raise UsageError(f"fingerprint {fingerprint!r}: give at least 6 hex digits")
        with self._immediate() as db:
            matches = [
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT fingerprint FROM findings WHERE substr(fingerprint, 1, ?) = ?",
                    (len(wanted), wanted),
                )
            ]
            if not matches:
                raise UsageError(f"no finding with fingerprint {fingerprint!r} in {self.path}")
            if len(matches) > 1:
                raise UsageError(
                    f"fingerprint {fingerprint!r} is ambiguous: {', '.join(sorted(matches))}"
                )
            (full,) = matches
            db.execute(
                "INSERT INTO acks (fingerprint, note, acknowledged_at) VALUES (?, ?, ?)"
                " ON CONFLICT (fingerprint) DO UPDATE SET note = excluded.note,"
                " acknowledged_at = excluded.acknowledged_at",
                (full, note, _iso(_now())),
            )
            row = db.execute(
                "SELECT COUNT(DISTINCT c.snapshot) FROM findings f JOIN checks c"
                " ON c.id = f.check_id WHERE f.fingerprint = ?",
                (full,),
            ).fetchone()
        return int(row[0])

    @_guarded
    def first_sha256(self, snapshot: str) -> str | None:
        """The local copy's SHA-256 at the snapshot's first recorded check, if any."""
        row = self._db.execute(
            "SELECT sha256 FROM checks WHERE snapshot = ? AND sha256 IS NOT NULL"
            " ORDER BY id LIMIT 1",
            (snapshot,),
        ).fetchone()
        return None if row is None else str(row[0])

    @_guarded
    def last_report(self, snapshot: str) -> dict[str, Any] | None:
        """The JSON report (as a dict) of the snapshot's last recorded check, if any."""
        row = self._db.execute(
            "SELECT report FROM checks WHERE snapshot = ? ORDER BY id DESC LIMIT 1", (snapshot,)
        ).fetchone()
        if row is None:
            return None
        report: dict[str, Any] = _unpack(row[0])
        return report

    @_guarded
    def check_report(
        self, snapshot: str, check_id: int | None = None
    ) -> tuple[int, dict[str, Any]] | None:
        """A snapshot's recorded check (the newest, or ``check_id``): its id and JSON report."""
        query = "SELECT id, report FROM checks WHERE snapshot = ?"
        args: tuple[str | int, ...] = (snapshot,)
        if check_id is not None:
            query += " AND id = ?"
            args = (snapshot, check_id)
        row = self._db.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        return int(row[0]), _unpack(row[1])

    @_guarded
    def snapshots(self, under: Path | str | None = None) -> list[str]:
        """The keys of every snapshot with a recorded check, sorted; with ``under`` (a
        local copy, or a folder: the snapshots inside it), only those."""
        rows = self._db.execute("SELECT DISTINCT snapshot FROM checks ORDER BY snapshot")
        keys = [str(row[0]) for row in rows]
        if under is None:
            return keys
        key = self.key(under)
        return [k for k in keys if k == key or k.startswith(key.rstrip("/") + "/")]

    @_guarded
    def checks(self, snapshot: str | None = None) -> list[CheckRecord]:
        """The recorded checks, oldest first (of one snapshot, or of all)."""
        query = (
            "SELECT c.id, c.snapshot, c.checked_at, c.verdict, c.exit_code, c.error, c.sources,"
            " SUM(f.change = 'new' AND f.reported) AS new,"
            " SUM(f.change = 'ongoing' AND f.reported) AS ongoing,"
            " SUM(f.change = 'resolved') AS resolved,"
            " SUM(f.reported AND f.acknowledged) AS acked"
            " FROM checks c LEFT JOIN findings f ON f.check_id = c.id"
        )
        args: tuple[str, ...] = ()
        if snapshot is not None:
            query += " WHERE c.snapshot = ?"
            args = (snapshot,)
        query += " GROUP BY c.id ORDER BY c.id"
        records = []
        for row in self._db.execute(query, args):
            sources = json.loads(row["sources"])
            records.append(
                CheckRecord(
                    id=row["id"],
                    snapshot=row["snapshot"],
                    checked_at=datetime.fromisoformat(row["checked_at"]),
                    verdict=row["verdict"],
                    exit_code=row["exit_code"],
                    error=row["error"],
                    new=row["new"] or 0,
                    ongoing=row["ongoing"] or 0,
                    resolved=row["resolved"] or 0,
                    acknowledged=row["acked"] or 0,
                    sources=sum(1 for s in sources if s.get("outcome") in _READ),
                    tried=len(sources),
                )
            )
        return records

    @_guarded
    def findings(self, snapshot: str) -> list[FindingSpan]:
        """Every finding a snapshot's checks showed, with the first and last check that
        showed it (a check that only carried it, its source unreachable, does not count)."""
        last = self._db.execute(
            "SELECT MAX(id) FROM checks WHERE snapshot = ?", (snapshot,)
        ).fetchone()[0]
        rows = self._db.execute(
            "SELECT f.fingerprint, MIN(c.checked_at) AS first, MAX(c.checked_at) AS last,"
            " COUNT(*) AS n, a.fingerprint IS NOT NULL AS acked, a.note,"
            " EXISTS (SELECT 1 FROM findings o WHERE o.check_id = ?"
            "  AND o.fingerprint = f.fingerprint AND o.change != 'resolved') AS open,"
            " (SELECT data FROM findings g WHERE g.fingerprint = f.fingerprint AND g.shown"
            "  ORDER BY g.rowid DESC LIMIT 1) AS data"
            " FROM findings f JOIN checks c ON c.id = f.check_id"
            " LEFT JOIN acks a ON a.fingerprint = f.fingerprint"
            " WHERE c.snapshot = ? AND f.shown"
            " GROUP BY f.fingerprint ORDER BY first, f.fingerprint",
            (last, snapshot),
        )
        spans = []
        for row in rows:
            data = _unpack(row["data"])
            spans.append(
                FindingSpan(
                    snapshot=snapshot,
                    fingerprint=row["fingerprint"],
                    kind=data["kind"],
                    substantive=bool(data["substantive"]),
                    detail=data["detail"],
                    first_seen=datetime.fromisoformat(row["first"]),
                    last_seen=datetime.fromisoformat(row["last"]),
                    checks=row["n"],
                    open=bool(row["open"]),
                    acknowledged=bool(row["acked"]),
                    ack_note=row["note"],
                )
            )
        return spans

    # -- archives --------------------------------------------------------------

    @_guarded
    def record_archive(
        self, snapshot: str, files: Sequence[tuple[str, str]], manifest: str, created: datetime
    ) -> None:
        """Record one archive run of a snapshot.

        Args:
            snapshot: the snapshot's key (:func:`snapshot_key`).
            files: ``(path, sha256)`` of every file the run wrote.
            manifest: the run's fixity manifest (its path).
            created: when the run wrote them.
        """
        with self._immediate() as db:
            cursor = db.execute(
                "INSERT INTO archives (snapshot, manifest, created) VALUES (?, ?, ?)",
                (snapshot, manifest, _iso(created)),
            )
            db.executemany(
                "INSERT INTO archive_files (archive_id, path, sha256) VALUES (?, ?, ?)",
                [(cursor.lastrowid, path, sha256) for path, sha256 in files],
            )

    @_guarded
    def archives(self, snapshot: str) -> list[ArchiveRecord]:
        """What :meth:`record_archive` stored for ``snapshot``, oldest first."""
        records = []
        for row in self._db.execute(
            "SELECT id, manifest, created FROM archives WHERE snapshot = ? ORDER BY id",
            (snapshot,),
        ).fetchall():
            files = self._db.execute(
                "SELECT path, sha256 FROM archive_files WHERE archive_id = ? ORDER BY rowid",
                (row["id"],),
            ).fetchall()
            records.append(
                ArchiveRecord(
                    snapshot=snapshot,
                    manifest=row["manifest"],
                    created=datetime.fromisoformat(row["created"]),
                    files=tuple((str(f[0]), str(f[1])) for f in files),
                )
            )
        return records


def _open_findings(db: sqlite3.Connection, key: str) -> dict[str, Finding]:
    """The findings open after the snapshot's last check (shown or carried), by fingerprint."""
    rows = db.execute(
        "SELECT fingerprint, data FROM findings WHERE change != 'resolved' AND check_id ="
        " (SELECT MAX(id) FROM checks WHERE snapshot = ?) ORDER BY rowid",
        (key,),
    )
    return {row[0]: finding_from_dict(_unpack(row[1])) for row in rows}


def _acks(db: sqlite3.Connection) -> dict[str, str | None]:
    return {row[0]: row[1] for row in db.execute("SELECT fingerprint, note FROM acks")}


def _pack(data: dict[str, Any]) -> bytes:
    """JSON, compressed: how reports and findings are stored."""
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 6)


def _unpack(blob: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(zlib.decompress(blob).decode("utf-8"))
    return data
