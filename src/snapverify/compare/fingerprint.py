"""A stable fingerprint per finding, so the history can follow it across checks.

The fingerprint names *what* changed, never *where it was seen*: it is built from
the finding's kind and its normalised words (plus the metadata field), or, for a
link finding, its kind and the link's URL. Sources, timestamps, block indexes and
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

_LINK_KINDS: Final = frozenset(
    {FindingKind.LINK_ROT, FindingKind.DEAD_LINK, FindingKind.LOST_LINK_TARGET}
)


def _words(text: str | None) -> str:
    return "" if text is None else " ".join(word_keys(text))


def fingerprint(finding: Finding) -> str:
    """Return the fingerprint of ``finding``: 16 hex digits of a SHA-256.

    Args:
        finding: any finding.

    Returns:
        The same string for the same change however and whenever it was seen.
    """
    if finding.kind in _LINK_KINDS:
        # A lost target may not have been recovered: its anchor text names it then.
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
