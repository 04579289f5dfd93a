"""Frozen value types shared by every stage.

The core (``text``, ``compare``) takes and returns these; nothing here does I/O.
JSON shapes follow the ``snapverify/check-v1`` contract in DESIGN.md: every model
that appears in a report has ``as_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from snapverify._version import __version__
from snapverify.timestamps import format_timestamp

__all__ = [
    "SCHEMA",
    "Block",
    "BlockKind",
    "Change",
    "CheckResult",
    "Document",
    "Extraction",
    "Finding",
    "FindingKind",
    "Link",
    "LinkCheck",
    "Outcome",
    "Provenance",
    "SnapshotInfo",
    "Source",
    "SourceKind",
    "Verdict",
]

SCHEMA = "snapverify/check-v1"


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"
    LIST_ITEM = "list_item"
    QUOTE = "quote"
    PREFORMATTED = "preformatted"


class Extraction(StrEnum):
    """How a document's body was found."""

    MARKDOWN = "markdown"  # a local copy read as CommonMark
    GUIDED = "guided"  # article region located with the local copy as reference
    GENERIC = "generic"  # no usable reference: density-based article detection


class SourceKind(StrEnum):
    LIVE = "live"
    ARCHIVE = "archive"
    WARC = "warc"
    FILE = "file"


class Outcome(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    REDIRECT_TO_ROOT = "redirect_to_root"
    REDIRECT_LOOP = "redirect_loop"
    NOT_FOUND = "not_found"
    GONE = "gone"
    SOFT_404 = "soft_404"
    BLOCKED = "blocked"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    SKIPPED = "skipped"
    ERROR = "error"
    NOT_ARCHIVED = "not_archived"
    EXCLUDED = "excluded"
    ARCHIVED_ERROR = "archived_error"

    @classmethod
    def parse(cls, value: str) -> Outcome:
        """The outcome named ``value``; ``error`` for a name that is not one."""
        try:
            return cls(value)
        except ValueError:
            return cls.ERROR


class FindingKind(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    ADDED = "added"
    MOVED = "moved"
    METADATA = "metadata"
    LINK_ROT = "link_rot"
    DEAD_LINK = "dead_link"
    LOST_LINK_TARGET = "lost_link_target"
    # Two archives' captures, taken within 24 h, whose article text differs: an
    # archive's copy is a claim too. Never substantive (compare/corroborate.py).
    ARCHIVE_DISAGREEMENT = "archive_disagreement"

    @property
    def is_link(self) -> bool:
        """A finding about a link (with its URL, status and archived version), not text."""
        return self in (FindingKind.LINK_ROT, FindingKind.DEAD_LINK, FindingKind.LOST_LINK_TARGET)


class Change(StrEnum):
    """A finding against the previous check of the same snapshot (history)."""

    NEW = "new"
    ONGOING = "ongoing"
    RESOLVED = "resolved"


class Verdict(StrEnum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True)
class Block:
    """One block of article body text (a paragraph, heading, list item, quote)."""

    text: str
    kind: BlockKind = BlockKind.PARAGRAPH


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a document.

    ``url`` is ``None`` when the local copy lost the target (``[text](#)`` or
    ``[text]()``); ``block`` is the index of the body block holding the link, or
    ``None`` for a link outside the body (a byline link, for example).
    """

    text: str
    url: str | None
    block: int | None = None

    @property
    def lost(self) -> bool:
        return self.url is None


@dataclass(frozen=True, slots=True)
class Document:
    """An article: body blocks, links and metadata, with the original text kept."""

    blocks: tuple[Block, ...]
    links: tuple[Link, ...] = ()
    title: str | None = None
    byline: str | None = None
    published: str | None = None  # ISO 8601 date or date-time, as found
    modified: str | None = None
    publication: str | None = None
    url: str | None = None
    extraction: Extraction = Extraction.MARKDOWN
    notes: tuple[str, ...] = ()
    title_variants: tuple[str, ...] = ()  # other titles the page gives (og:title, <title>...)

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a remote version came from and what happened when it was read."""

    id: str
    kind: SourceKind
    url: str
    timestamp: datetime | None = None
    status: int | None = None
    outcome: Outcome = Outcome.OK
    similarity: float | None = None
    sha256: str | None = None
    digest: str | None = None
    extraction: Extraction | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "url": self.url,
            "timestamp": format_timestamp(self.timestamp) if self.timestamp else None,
            "status": self.status,
            "outcome": str(self.outcome),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "sha256": self.sha256,
            "digest": self.digest,
            "extraction": None if self.extraction is None else str(self.extraction),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One distinct change, listing every source that shows it."""

    kind: FindingKind
    substantive: bool
    detail: str
    local_block: int | None = None
    insert_after: int | None = None
    field: str | None = None
    local_text: str | None = None
    remote_text: str | None = None
    diff: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    # link findings only
    url: str | None = None
    status: int | None = None
    outcome: Outcome | None = None
    archive_url: str | None = None
    text: str | None = None  # a link finding's anchor text
    # history: set when the store knows earlier checks of the snapshot
    fingerprint: str | None = None
    change: Change | None = None
    acknowledged: bool = False
    ack_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "local_block": self.local_block,
            "insert_after": self.insert_after,
            "field": self.field,
            "local_text": self.local_text,
            "remote_text": self.remote_text,
            "diff": [[op, text] for op, text in self.diff],
            "sources": list(self.sources),
            "first_seen": format_timestamp(self.first_seen) if self.first_seen else None,
            "last_seen": format_timestamp(self.last_seen) if self.last_seen else None,
            "substantive": self.substantive,
            "detail": self.detail,
            "fingerprint": self.fingerprint,
            "change": None if self.change is None else str(self.change),
            "acknowledged": self.acknowledged,
            "ack_note": self.ack_note,
        }
        if self.kind.is_link:
            data.update(
                url=self.url,
                status=self.status,
                outcome=None if self.outcome is None else str(self.outcome),
                archive_url=self.archive_url,
                text=self.text,
            )
        return data


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """What one link of the article answered: a row of the report's link table.

    ``url`` is the link's target; for a target the local copy lost, the one
    recovered from a capture (``lost`` is then true), or ``None`` when none was
    found. ``archive_url`` is the archived version a reader can use instead.
    """

    text: str
    url: str | None
    outcome: Outcome
    status: int | None = None
    block: int | None = None
    archive_url: str | None = None
    archive_timestamp: datetime | None = None
    lost: bool = False
    detail: str | None = None
    checked_at: datetime | None = None
    cached: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "url": self.url,
            "block": self.block,
            "status": self.status,
            "outcome": str(self.outcome),
            "archive_url": self.archive_url,
            "archive_timestamp": (
                format_timestamp(self.archive_timestamp) if self.archive_timestamp else None
            ),
            "lost": self.lost,
            "detail": self.detail,
            "checked_at": format_timestamp(self.checked_at) if self.checked_at else None,
            "cached": self.cached,
        }


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "similarity": round(self.similarity, 4)}


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    path: str
    url: str
    title: str | None
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "url": self.url, "title": self.title, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of checking one snapshot against its sources."""

    snapshot: SnapshotInfo
    verdict: Verdict
    exit_code: int
    sources: tuple[Source, ...]
    findings: tuple[Finding, ...]
    provenance: Provenance | None
    notes: tuple[str, ...] = field(default=())
    error: str | None = None  # why the snapshot could not be checked at all, if so
    links: tuple[LinkCheck, ...] = ()  # the original URL is not here: see its source
    resolved: tuple[Finding, ...] = ()  # history: findings of the last check now gone
    checked_at: datetime | None = None
    command: str | None = None  # the command line that reproduces the check
    version: str | None = None  # the snapverify that made it (None: this one)
    store: str | None = None  # the store (.snapverify/ folder) the check used, if any

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "snapshot": self.snapshot.as_dict(),
            "verdict": str(self.verdict),
            "exit_code": self.exit_code,
            "sources": [source.as_dict() for source in self.sources],
            "findings": [finding.as_dict() for finding in self.findings],
            "provenance": None if self.provenance is None else self.provenance.as_dict(),
            "notes": list(self.notes),
            "error": self.error,
            "links": [link.as_dict() for link in self.links],
            "resolved": [finding.as_dict() for finding in self.resolved],
            "checked_at": format_timestamp(self.checked_at) if self.checked_at else None,
            "command": self.command,
            "version": self.version or __version__,
            "store": self.store,
        }
