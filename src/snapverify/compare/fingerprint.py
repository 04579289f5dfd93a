"""A stable fingerprint per finding, so the history can follow it across checks.

The fingerprint names *what* changed, never *where it was seen*: it is built from
the finding's kind and its normalised words (plus the metadata field), or, for a
link finding, its kind and the link's URL (a lost link target: its anchor text and
block, recovered or not). Sources, timestamps, block indexes and
the detail text are left out, so the same edit seen by other captures on another
day keeps its fingerprint; a cosmetic difference (case, quotes, dashes,
whitespace) does not change it either.
"""

from __future__ import annotations

import hashlib
from typing import Final

from snapverify.models import Finding, FindingKind
from snapverify.text.normalise import word_keys

__all__ = ["FINGERPRINT_LENGTH", "fingerprint"]

FINGERPRINT_LENGTH: Final = 16  # hex digits of SHA-256: 64 bits, no collision in practice


def _words(text: str | None) -> str:
    return "" if text is None else " ".join(word_keys(text))


def fingerprint(finding: Finding) -> str:
    """Return the fingerprint of ``finding``: 16 hex digits of a SHA-256.

    Args:
        finding: any finding.

    Returns:
        The same string for the same change however and whenever it was seen.
    """
    if finding.kind is FindingKind.LOST_LINK_TARGET:
        # A defect of the local copy: the link (its words and block) names it, whether or
        # not a capture gave its target back this time.
        block = "" if finding.local_block is None else str(finding.local_block)
        parts = [str(finding.kind), _words(finding.text), block]
    elif finding.kind.is_link:
        parts = [str(finding.kind), finding.url or "", "" if finding.url else _words(finding.text)]
    else:
        parts = [
            str(finding.kind),
            finding.field or "",
            _words(finding.local_text),
            _words(finding.remote_text),
        ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:FINGERPRINT_LENGTH]
