"""Recover link targets the local copy lost (``[text](#)``) from the captures' links.

Pure: documents and pages in, matches out. A lost link is matched in each candidate
(the best-matching capture first, then the others) by its normalised anchor text,
preferring a link in the block aligned with the local link's block; failing that, by
position (the same ordinal among the links of the aligned block). A link outside the
body (a byline) is looked for among every anchor of the capture's page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from snapverify.links.check import scheme_of
from snapverify.models import Document, Link
from snapverify.text.decode import decode_html
from snapverify.text.html import parse_html
from snapverify.text.normalise import word_keys
from snapverify.text.urls import resolve_url

__all__ = ["Candidate", "Recovered", "page_anchors", "page_text", "recover_lost"]

logger = logging.getLogger(__name__)

_MIN_ALIGN = 0.5  # share of a local block's words a capture block needs to be its match


@dataclass(slots=True)
class Candidate:
    """A capture (or the live page) whose links may hold the lost targets.

    Attributes:
        source: the source id (``mt:20120528010203``, ``live``).
        document: the extracted article (body links with their block index).
        page: the raw page, for anchors outside the body (read only when needed).
        url: the page's original URL (to resolve relative and archive-rewritten links).
    """

    source: str
    document: Document
    page: bytes | None = None
    url: str | None = None
    _anchors: list[tuple[str, str]] | None = field(default=None, repr=False)

    def anchors(self) -> list[tuple[str, str]]:
        """Every anchor of the page as (text, absolute original URL), in page order."""
        if self._anchors is None:
            self._anchors = page_anchors(self.page, self.url) if self.page else []
        return self._anchors


@dataclass(frozen=True, slots=True)
class Recovered:
    """A lost link and what was found for it (``url`` None: nothing)."""

    link: Link
    url: str | None
    source: str | None = None
    how: str | None = None  # "text", "page" or "position"


def page_anchors(page: bytes, url: str | None) -> list[tuple[str, str]]:
    """Anchors of an HTML page as (text, absolute URL), archive rewriting undone."""
    try:
        root = parse_html(decode_html(page, None, repair=False))
    except (ValueError, TypeError) as exc:  # not HTML at all
        logger.info("no anchors read from %s: %s", url, exc)
        return []
    found = []
    for anchor in root.iter("a"):
        text = " ".join("".join(str(part) for part in anchor.itertext()).split())
        target = resolve_url(anchor.get("href"), url)
        if text and target:
            found.append((text, target))
    return found


def page_text(page: bytes) -> str:
    """The visible text of an HTML page (scripts and styles left out)."""
    root = parse_html(decode_html(page, None, repair=False))
    for element in root.iter("script", "style"):
        element.text = ""
    return " ".join(str(part) for part in root.itertext())


def _aligned(local: Document, block: int, document: Document) -> int | None:
    """The capture block holding most of the local block's words (None: none holds half)."""
    words = set(word_keys(local.blocks[block].text))
    if not words:
        return None
    best, best_share = None, 0.0
    for index, candidate in enumerate(document.blocks):
        share = len(words & set(word_keys(candidate.text))) / len(words)
        if share > best_share:
            best, best_share = index, share
    return best if best_share >= _MIN_ALIGN else None


def _web(url: str | None) -> bool:
    """Only http(s) targets are recovered: a capture's ``data:`` link is never written back."""
    return bool(url) and scheme_of(url or "") in ("http", "https")


def _match(local: Document, link: Link, ordinal: int, candidate: Candidate) -> Recovered | None:
    key = word_keys(link.text)
    document = candidate.document
    aligned = _aligned(local, link.block, document) if link.block is not None else None
    same = [found for found in document.links if _web(found.url) and word_keys(found.text) == key]
    if same:
        near = [found for found in same if found.block == aligned]
        chosen = (near or same)[0]
        return Recovered(link, chosen.url, candidate.source, "text")
    if key:
        for text, target in candidate.anchors():
            if _web(target) and word_keys(text) == key:
                return Recovered(link, target, candidate.source, "page")
    if aligned is not None:
        there = [found for found in document.links if found.block == aligned and _web(found.url)]
        if ordinal < len(there):
            return Recovered(link, there[ordinal].url, candidate.source, "position")
    return None


def recover_lost(local: Document, candidates: Sequence[Candidate]) -> list[Recovered]:
    """Match every lost link of ``local`` to a link of the candidates.

    Args:
        local: the local copy (its lost links have ``url`` None).
        candidates: the best-matching capture first, then the others.

    Returns:
        One entry per lost link, in the local copy's order (``url`` None when no
        candidate has it).
    """
    out = []
    for number, link in enumerate(local.links):
        if not link.lost:
            continue
        # The link's ordinal among the links of its block, for matching by position.
        ordinal = sum(1 for other in local.links[:number] if other.block == link.block)
        found = None
        for candidate in candidates:
            found = _match(local, link, ordinal, candidate)
            if found is not None:
                break
        out.append(found or Recovered(link, None))
    return out
