"""The capture cache: raw captures on disk, content-addressed, kept forever.

A capture never changes, so once fetched it is never fetched again: a second
check of an unchanged snapshot asks the archive for its listing and nothing
else. Layout under the store's ``cache/`` folder::

    objects/ab/cdef...        the payload, named by its SHA-256 (written once)
    tmp/                      files being written (a killed run's are removed later)
    captures/<archive>/<h>    JSON: what fetching one capture gave (by archive,
                              timestamp and original URL)
    digests/<archive>/<d>     JSON: the same, by the archive's listed digest, so a
                              capture whose digest was seen at another timestamp is
                              not fetched either

Only definitive answers are kept (a real capture, a followed redirect capture,
an archived error page); errors and refusals are asked again next time. Every
file is written to a temporary name, fsynced and renamed, so a kill leaves no
partial file under a final name; a payload whose hash does not match its name is
treated as absent and fetched again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from snapverify.store.access import NO_SPACE, describe_os_error
from snapverify.store.atomic import remove_stale_temporaries, write_atomic

__all__ = ["CachedCapture", "CaptureCache"]

logger = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# Outcomes worth keeping: the archive will answer them the same way forever.
KEPT_OUTCOMES = frozenset({"ok", "redirected", "archived_error"})


@dataclass(frozen=True, slots=True)
class CachedCapture:
    """What fetching one capture gave, without its payload.

    ``ip_address`` and ``certificates`` (PEM, leaf first; ``chain_verified``: the verified
    chain, else the leaf alone) say which archive server answered, as recorded when it
    was fetched; records kept before snapverify recorded them say None and (): unknown.
    """

    outcome: str
    status: int | None
    timestamp: str  # the capture finally read (differs from the listed one when followed)
    url: str  # the raw capture URL that answered
    sha256: str  # of the payload (decoded body)
    sha1: str  # base32 SHA-1 of the payload
    raw_sha1: str  # base32 SHA-1 of the body as received
    content_type: str | None = None
    detail: str | None = None
    ip_address: str | None = None
    certificates: tuple[str, ...] = ()
    chain_verified: bool = False


def _name(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _folder(archive: str) -> str:
    return _SAFE.sub("_", archive)[:80] or "_"


class CaptureCache:
    """Captures on disk under ``root`` (normally ``<store>/cache``).

    Args:
        root: the cache folder; created on first write.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._temporaries = self.root / "tmp"
        self.no_space: str | None = None  # the first full-disk failure, as one line

    def _write(self, path: Path, data: bytes) -> None:
        try:
            write_atomic(path, data, temporaries=self._temporaries, parents=True)
        except OSError as exc:
            # The temporary file is gone already; the run goes on without this entry,
            # but a full disk must not pass unseen (the check exits 5).
            if exc.errno in NO_SPACE and self.no_space is None:
                self.no_space = describe_os_error(exc, path)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc

    # -- payloads --------------------------------------------------------------

    def _object(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256[2:]

    def load_payload(self, sha256: str) -> bytes | None:
        """The payload with this SHA-256, or None when absent or damaged."""
        path = self._object(sha256)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            logger.warning("cache: %s does not match its hash; fetching it again", path)
            return None
        return data

    def store_payload(self, data: bytes) -> str:
        """Keep ``data``; returns its SHA-256 (written once; replaced only when damaged)."""
        sha256 = hashlib.sha256(data).hexdigest()
        if self.load_payload(sha256) is None:
            self._write(self._object(sha256), data)
        return sha256

    # -- capture records -------------------------------------------------------

    def _capture_path(self, archive: str, timestamp: str, original: str) -> Path:
        return self.root / "captures" / _folder(archive) / _name(f"{timestamp} {original}")

    def _digest_path(self, archive: str, digest: str) -> Path:
        return self.root / "digests" / _folder(archive) / _name(digest)

    def _read_record(self, path: Path) -> tuple[CachedCapture, bytes] | None:
        try:
            fields: dict[str, Any] = json.loads(path.read_text("utf-8"))
            fields["certificates"] = tuple(fields.get("certificates") or ())
            record = CachedCapture(**fields)
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        payload = self.load_payload(record.sha256)
        if payload is None:
            return None
        return record, payload

    def lookup(
        self, archive: str, timestamp: str, original: str, digest: str | None = None
    ) -> tuple[CachedCapture, bytes] | None:
        """A capture fetched before: by its timestamp and URL, else by its digest.

        Returns:
            The record and its payload, or None when it must be fetched.
        """
        found = self._read_record(self._capture_path(archive, timestamp, original))
        if found is None and digest:
            found = self._read_record(self._digest_path(archive, digest))
            # A redirect capture's target depends on when it was captured, not on its bytes.
            if found is not None and found[0].outcome == "redirected":
                return None
        return found

    def remember(
        self,
        archive: str,
        timestamp: str,
        original: str,
        record: CachedCapture,
        payload: bytes,
        digest: str | None = None,
    ) -> bool:
        """Keep a fetched capture when its outcome is definitive.

        Returns:
            True when it was kept.
        """
        if record.outcome not in KEPT_OUTCOMES:
            return False
        sha256 = self.store_payload(payload)
        if sha256 != record.sha256:
            raise ValueError("record.sha256 does not match the payload")
        text = json.dumps(asdict(record), sort_keys=True).encode("utf-8")
        self._write(self._capture_path(archive, timestamp, original), text)
        if digest:
            self._write(self._digest_path(archive, digest), text)
        return True

    def remove_stale_temporaries(self, older_than: float = 3600.0) -> int:
        """Remove temporary files a killed run left; returns how many.

        A run writing at the same time keeps its own
        (:func:`snapverify.store.atomic.remove_stale_temporaries`).
        """
        return remove_stale_temporaries(self._temporaries, older_than)
