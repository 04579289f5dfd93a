"""The link-check cache: what each link answered, kept for a while under the store.

Layout under ``<store>/links/``::

    status/<h>      JSON: the last check of one URL (outcome, status, when; for a URL
                    failing with a transient fault, since when it has been failing)
    archived/<h>    JSON: the archived version found for one URL near one time
    tmp/            files being written

``<h>`` is the SHA-256 of the key, so no page-supplied text becomes a file name.
Every file is written whole or not at all (:func:`snapverify.store.atomic.write_atomic`);
an unreadable entry counts as absent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from snapverify.store.access import NO_SPACE, describe_os_error
from snapverify.store.atomic import remove_stale_temporaries, write_atomic

__all__ = ["DEFAULT_TTL", "ArchivedEntry", "LinkCache", "StatusEntry"]

logger = logging.getLogger(__name__)

DEFAULT_TTL = 86400.0  # seconds a link check is reused: one day


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """The last check of one URL.

    Attributes:
        url: the URL checked.
        outcome: the outcome's name.
        status: the final HTTP status, if any.
        detail: one line saying what happened.
        final_url: where redirects ended, if any.
        checked_at: when (ISO 8601, UTC).
        failing_since: for a transient failure, when the current run of failures began.
    """

    url: str
    outcome: str
    status: int | None
    detail: str | None
    final_url: str | None
    checked_at: str
    failing_since: str | None = None

    @property
    def checked(self) -> datetime:
        return datetime.fromisoformat(self.checked_at)


@dataclass(frozen=True, slots=True)
class ArchivedEntry:
    """An archived version looked up for a URL near a time (``url`` None: none found)."""

    url: str | None
    timestamp: str | None
    checked_at: str

    @property
    def checked(self) -> datetime:
        return datetime.fromisoformat(self.checked_at)


_Entry = TypeVar("_Entry", StatusEntry, ArchivedEntry)


def _name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class LinkCache:
    """Link checks on disk under ``root`` (normally ``<store>/links``).

    Args:
        root: the folder; created on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.no_space: str | None = None  # the first full-disk failure, as one line

    def remove_stale_temporaries(self, older_than: float = 3600.0) -> int:
        """Remove what writers killed mid-write left in ``tmp/``; how many files went."""
        return remove_stale_temporaries(self.root / "tmp", older_than)

    def _read(self, path: Path, kind: type[_Entry]) -> _Entry | None:
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("link cache: cannot read %s: %s", path, exc)
            return None
        try:
            return kind(**data) if isinstance(data, dict) else None
        except TypeError:  # written by another version: other fields
            return None

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        text = json.dumps(data, sort_keys=True).encode("utf-8")
        try:
            write_atomic(path, text, temporaries=self.root / "tmp", parents=True)
        except OSError as exc:
            if exc.errno not in NO_SPACE:
                logger.warning("link cache: cannot write %s: %s", path, exc)
            elif self.no_space is None:  # a full disk never passes unseen: the check exits 5
                self.no_space = describe_os_error(exc, path)

    def status(self, url: str) -> StatusEntry | None:
        """The last check of ``url``, however old, or None."""
        return self._read(self.root / "status" / _name(url), StatusEntry)

    def remember_status(self, entry: StatusEntry) -> None:
        """Keep the check of one URL (replacing the one before)."""
        self._write(self.root / "status" / _name(entry.url), asdict(entry))

    def archived(self, archive: str, url: str, timestamp: str) -> ArchivedEntry | None:
        """The archived version of ``url`` near ``timestamp`` in ``archive`` found before."""
        return self._read(
            self.root / "archived" / _name(f"{archive} {timestamp} {url}"), ArchivedEntry
        )

    def remember_archived(
        self, archive: str, url: str, timestamp: str, entry: ArchivedEntry
    ) -> None:
        """Keep what a lookup of an archived version found."""
        self._write(self.root / "archived" / _name(f"{archive} {timestamp} {url}"), asdict(entry))
