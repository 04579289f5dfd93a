"""The history database's schema: numbered migrations, recorded in the database.

Private to :mod:`snapverify.store.history`. Each step takes the database from
version N-1 to N (``PRAGMA user_version``, and a row in ``migrations``); a step
once released is never edited: a change is a new step. Reports and findings are
stored as zlib-compressed JSON (BLOBs): a check report is mostly repeated text.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from snapverify.errors import UsageError

__all__ = ["SCHEMA_VERSION", "check_version", "migrate"]

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
        report BLOB NOT NULL
    );
    CREATE INDEX checks_by_snapshot ON checks (snapshot, id);
    CREATE TABLE findings (
        check_id INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        kind TEXT NOT NULL,
        substantive INTEGER NOT NULL,
        change TEXT NOT NULL,
        shown INTEGER NOT NULL,
        reported INTEGER NOT NULL,
        acknowledged INTEGER NOT NULL,
        data BLOB NOT NULL
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


def check_version(db: sqlite3.Connection, path: Path) -> int:
    """The database's schema version.

    Raises:
        UsageError: the database was made by a newer snapverify (exit 2, every command).
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"{path}: history schema {version} is newer than this snapverify knows "
            f"({SCHEMA_VERSION}): upgrade snapverify"
        )
    return version


def migrate(db: sqlite3.Connection, path: Path, upto: int = SCHEMA_VERSION) -> None:
    """Apply the migrations the database lacks, each in its own transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        version = check_version(db, path)
        for number in range(version + 1, upto + 1):
            for statement in _MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT INTO migrations (version, applied_at) VALUES (?, ?)",
                (number, datetime.now(UTC).isoformat()),
            )
            db.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        if db.in_transaction:  # SQLite rolls back by itself after some errors (disk full)
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
