"""The history of checks: a SQLite database in the store (``history.sqlite3``).

Every check of a snapshot is recorded: when, its sources, verdict and exit code,
its findings with their fingerprints (:mod:`snapverify.compare.fingerprint`) and
the full JSON report. Recording a check also annotates it against the previous
check of the same snapshot: each finding becomes ``new`` or ``ongoing``, and the
findings of the previous check that are gone are listed as ``resolved``.

A finding of the previous check that this check does not show is resolved only
when the sources that showed it were read again and no longer show it:

- a source that showed it and was tried again but not read (unreachable, an
  error, a refusal) resolves nothing: the finding is carried as ``ongoing``;
- a source that was not asked this time (``--no-live``, another capture
  selection) neither shows nor hides it: at least one of the finding's sources
  must have been read again, else it is carried;
- a check that failed to run (``error``) resolves nothing.

Acknowledged fingerprints (:meth:`History.acknowledge`) stay in reports, marked,
and no longer count for the exit code.

Concurrency: the database is in WAL mode with a busy timeout, and every
read-then-write runs in a ``BEGIN IMMEDIATE`` transaction, so two processes
recording at once queue instead of interleaving. Schema changes are numbered
migrations, recorded in the database (``PRAGMA user_version`` and the
``migrations`` table) and applied when a database is opened.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from snapverify.compare.fingerprint import fingerprint
from snapverify.errors import IntegrityError, UsageError
from snapverify.models import (
    Change,
    CheckResult,
    Finding,
    FindingKind,
    Outcome,
    Verdict,
)
from snapverify.snapshot import find_store
from snapverify.timestamps import parse_timestamp

__all__ = [
    "HISTORY_FILE",
    "SCHEMA_VERSION",
    "ArchiveRecord",
    "CheckRecord",
    "FindingSpan",
    "History",
    "snapshot_key",
]

HISTORY_FILE: Final = "history.sqlite3"
_BUSY_TIMEOUT_MS: Final = 30_000

# Each step takes the database from version N-1 to N; never edit a released step,
# add one.
_MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: checks and their findings
    """
    CREATE TABLE migrations (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL
    );
    CREATE TABLE checks (
        id INTEGER PRIMARY KEY,
        snapshot TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        url TEXT,
        sha256 TEXT,
        verdict TEXT NOT NULL,
        exit_code INTEGER NOT NULL,
        error TEXT,
        sources TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX checks_by_snapshot ON checks (snapshot, id);
    CREATE TABLE findings (
        check_id INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        kind TEXT NOT NULL,
        substantive INTEGER NOT NULL,
        change TEXT NOT NULL,
        seen INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX findings_by_check ON findings (check_id);
    CREATE INDEX findings_by_fingerprint ON findings (fingerprint);
    """,
    # 2: acknowledgements and archives
    """
    CREATE TABLE acks (
        fingerprint TEXT PRIMARY KEY,
        note TEXT,
        acknowledged_at TEXT NOT NULL
    );
    CREATE TABLE archives (
        id INTEGER PRIMARY KEY,
        snapshot TEXT NOT NULL,
        manifest TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX archives_by_snapshot ON archives (snapshot, id);
    CREATE TABLE archive_files (
        archive_id INTEGER NOT NULL REFERENCES archives (id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (archive_id, path)
    );
    """,
)
SCHEMA_VERSION: Final = len(_MIGRATIONS)

# A source read this time: its text was compared, so what it does not show is gone.
_READ: Final = frozenset({Outcome.OK, Outcome.REDIRECTED})
_LINK_KINDS: Final = frozenset(
    {FindingKind.LINK_ROT, FindingKind.DEAD_LINK, FindingKind.LOST_LINK_TARGET}
)


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

        Args:
            store_dir: the store folder; created when missing.

        Returns:
            The open history (use it as a context manager to close it).

        Raises:
            IntegrityError: the file is not a SQLite database, or is damaged.
            UsageError: the database was made by a newer snapverify.
        """
        store_dir = Path(store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
        path = store_dir / HISTORY_FILE
        connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = FULL")
            _migrate(connection, path)
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise IntegrityError(f"{path}: not a usable history database: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        return cls(connection, path, store_dir)

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
        """Run SQLite's ``integrity_check`` and the foreign key check.

        Raises:
            IntegrityError: naming the database file and the first problem found.
        """
        try:
            problems = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
            orphans = self._db.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise IntegrityError(f"{self.path}: {exc}") from exc
        if problems != ["ok"]:
            raise IntegrityError(f"{self.path}: integrity check failed: {problems[0]}")
        if orphans:
            raise IntegrityError(f"{self.path}: {len(orphans)} row(s) point at missing rows")

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """A read-then-write transaction: the write lock is taken at the start."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- checks ----------------------------------------------------------------

    def key(self, path: Path | str) -> str:
        """The history key of the snapshot at ``path`` in this store."""
        return snapshot_key(Path(path), self.store)

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
            annotated, rows = _annotate(result, previous, acks)
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
                    json.dumps(annotated.as_dict(), ensure_ascii=False),
                ),
            )
            check_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO findings (check_id, fingerprint, kind, substantive, change, seen,"
                " data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        check_id,
                        finding.fingerprint,
                        str(finding.kind),
                        int(finding.substantive),
                        str(finding.change),
                        int(seen),
                        json.dumps(_stored(finding), ensure_ascii=False),
                    )
                    for finding, seen in rows
                ],
            )
        return annotated

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

    def first_sha256(self, snapshot: str) -> str | None:
        """The local copy's SHA-256 at the snapshot's first recorded check, if any."""
        row = self._db.execute(
            "SELECT sha256 FROM checks WHERE snapshot = ? AND sha256 IS NOT NULL"
            " ORDER BY id LIMIT 1",
            (snapshot,),
        ).fetchone()
        return None if row is None else str(row[0])

    def last_report(self, snapshot: str) -> dict[str, Any] | None:
        """The JSON report (as a dict) of the snapshot's last recorded check, if any."""
        row = self._db.execute(
            "SELECT report FROM checks WHERE snapshot = ? ORDER BY id DESC LIMIT 1", (snapshot,)
        ).fetchone()
        if row is None:
            return None
        report: dict[str, Any] = json.loads(row[0])
        return report

    def snapshots(self) -> list[str]:
        """The keys of every snapshot with a recorded check, sorted."""
        rows = self._db.execute("SELECT DISTINCT snapshot FROM checks ORDER BY snapshot")
        return [str(row[0]) for row in rows]

    def checks(self, snapshot: str | None = None) -> list[CheckRecord]:
        """The recorded checks, oldest first (of one snapshot, or of all)."""
        query = (
            "SELECT c.id, c.snapshot, c.checked_at, c.verdict, c.exit_code, c.error, c.sources,"
            " SUM(f.change = 'new' AND f.seen) AS new,"
            " SUM(f.change = 'ongoing') AS ongoing,"
            " SUM(f.change = 'resolved') AS resolved,"
            " SUM(f.change != 'resolved' AND a.fingerprint IS NOT NULL) AS acked"
            " FROM checks c LEFT JOIN findings f ON f.check_id = c.id"
            " LEFT JOIN acks a ON a.fingerprint = f.fingerprint"
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

    def findings(self, snapshot: str) -> list[FindingSpan]:
        """Every finding a snapshot's checks showed, with when it first and last appeared."""
        last = self._db.execute(
            "SELECT MAX(id) FROM checks WHERE snapshot = ?", (snapshot,)
        ).fetchone()[0]
        rows = self._db.execute(
            "SELECT f.fingerprint, MIN(c.checked_at) AS first, MAX(c.checked_at) AS last,"
            " COUNT(*) AS n, MAX(c.id = ? AND f.change != 'resolved') AS open,"
            " a.fingerprint IS NOT NULL AS acked, a.note,"
            " (SELECT data FROM findings g WHERE g.fingerprint = f.fingerprint"
            "  ORDER BY g.rowid DESC LIMIT 1) AS data"
            " FROM findings f JOIN checks c ON c.id = f.check_id"
            " LEFT JOIN acks a ON a.fingerprint = f.fingerprint"
            " WHERE c.snapshot = ? AND f.change != 'resolved'"
            " GROUP BY f.fingerprint ORDER BY first, f.fingerprint",
            (last, snapshot),
        )
        spans = []
        for row in rows:
            data = json.loads(row["data"])
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


# -- schema --------------------------------------------------------------------


def _migrate(db: sqlite3.Connection, path: Path, upto: int = SCHEMA_VERSION) -> None:
    """Apply the migrations the database lacks, each in its own transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"{path}: history schema {version} is newer than this snapverify knows "
                f"({SCHEMA_VERSION}): upgrade snapverify"
            )
        for number in range(version + 1, upto + 1):
            for statement in _MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT INTO migrations (version, applied_at) VALUES (?, ?)",
                (number, _iso(_now())),
            )
            db.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _open_findings(db: sqlite3.Connection, key: str) -> dict[str, Finding]:
    """The findings open after the snapshot's last check (shown or carried), by fingerprint."""
    rows = db.execute(
        "SELECT fingerprint, data FROM findings WHERE change != 'resolved' AND check_id ="
        " (SELECT MAX(id) FROM checks WHERE snapshot = ?) ORDER BY rowid",
        (key,),
    )
    return {row[0]: _finding(json.loads(row[1])) for row in rows}


def _acks(db: sqlite3.Connection) -> dict[str, str | None]:
    return {row[0]: row[1] for row in db.execute("SELECT fingerprint, note FROM acks")}


# -- annotation ----------------------------------------------------------------


def _annotate(
    result: CheckResult, previous: dict[str, Finding], acks: dict[str, str | None]
) -> tuple[CheckResult, list[tuple[Finding, bool]]]:
    """``result`` annotated against the previous check's open findings.

    Returns:
        The annotated result and the rows to store: each finding with whether this
        check showed it (``False`` for carried and resolved ones).
    """

    def marked(finding: Finding, change: Change, key: str) -> Finding:
        return dataclasses.replace(
            finding,
            fingerprint=key,
            change=change,
            acknowledged=key in acks,
            ack_note=acks.get(key),
        )

    if result.error is not None:
        # The check did not run: everything open stays open, nothing is reported as seen.
        return result, [(marked(f, Change.ONGOING, k), False) for k, f in previous.items()]

    rows: list[tuple[Finding, bool]] = []
    findings: list[Finding] = []
    shown: set[str] = set()
    for finding in result.findings:
        key = fingerprint(finding)
        change = Change.ONGOING if key in previous else Change.NEW
        finding = marked(finding, change, key)
        findings.append(finding)
        rows.append((finding, True))
        shown.add(key)

    outcomes = {source.id: source.outcome for source in result.sources}
    resolved: list[Finding] = []
    carried = 0
    for key, finding in previous.items():
        if key in shown:
            continue
        if _gone(finding, outcomes, links_checked=bool(result.links)):
            gone = marked(finding, Change.RESOLVED, key)
            resolved.append(gone)
            rows.append((gone, False))
        else:
            kept = marked(finding, Change.ONGOING, key)
            findings.append(kept)
            rows.append((kept, False))
            carried += 1

    notes = list(result.notes)
    if carried:
        notes.append(
            f"{carried} finding(s) of the last check carried as ongoing: "
            "the sources that showed them could not be read again"
        )
    verdict, exit_code = result.verdict, result.exit_code
    if verdict is not Verdict.UNVERIFIABLE:
        verdict = Verdict.CHANGED if any(f.substantive for f in findings) else Verdict.UNCHANGED
        exit_code = 1 if any(f.substantive and not f.acknowledged for f in findings) else 0
    annotated = dataclasses.replace(
        result,
        findings=tuple(findings),
        resolved=tuple(resolved),
        notes=tuple(notes),
        verdict=verdict,
        exit_code=exit_code,
    )
    return annotated, rows


def _gone(finding: Finding, outcomes: dict[str, Outcome], *, links_checked: bool) -> bool:
    """Whether a finding this check did not show is really gone (see the module doc)."""
    if finding.kind in _LINK_KINDS and not finding.sources:
        return links_checked
    asked = [outcomes[s] for s in finding.sources if s in outcomes]
    return bool(asked) and all(outcome in _READ for outcome in asked)


# -- findings as stored --------------------------------------------------------


def _stored(finding: Finding) -> dict[str, Any]:
    data = finding.as_dict()
    # Kept whatever the kind, so a carried finding comes back whole.
    data.update(url=finding.url, text=finding.text, archive_url=finding.archive_url)
    data["status"] = finding.status
    data["outcome"] = None if finding.outcome is None else str(finding.outcome)
    return data


def _finding(data: dict[str, Any]) -> Finding:
    """A finding back from its stored JSON (history fields left for the caller)."""

    def stamp(value: str | None) -> datetime | None:
        return None if value is None else parse_timestamp(value)

    outcome = data.get("outcome")
    return Finding(
        kind=FindingKind(data["kind"]),
        substantive=bool(data["substantive"]),
        detail=data["detail"],
        local_block=data.get("local_block"),
        insert_after=data.get("insert_after"),
        field=data.get("field"),
        local_text=data.get("local_text"),
        remote_text=data.get("remote_text"),
        diff=tuple((op, text) for op, text in data.get("diff", ())),
        sources=tuple(data.get("sources", ())),
        first_seen=stamp(data.get("first_seen")),
        last_seen=stamp(data.get("last_seen")),
        url=data.get("url"),
        status=data.get("status"),
        outcome=None if outcome is None else Outcome.parse(outcome),
        archive_url=data.get("archive_url"),
        text=data.get("text"),
    )
