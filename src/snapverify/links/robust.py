"""Repair lost link targets in a local copy, Robust Links style (pure: text in, text out).

Markdown and plain text: ``[text](#)`` and ``[text]()`` become
``[text](URL) ([archived](ARCHIVE_URL))`` (the archived part only when there is an
archived version). HTML: ``<a href="#">text</a>`` gets ``href="URL"`` plus
``data-versionurl="ARCHIVE_URL"`` and ``data-versiondate="YYYY-MM-DD"`` (the Robust
Links attributes, https://robustlinks.mementoweb.org/spec/). Everything else in the file
stays byte for byte as it was: the edits are made in the text, not by re-serialising.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from snapverify.text.anchors import anchor_words, sub_lost_anchors
from snapverify.text.normalise import word_keys

__all__ = ["Repair", "repair_html", "repair_markdown"]

# [text](#) or [text]( ) or [text](<>) with an optional title-less empty target.
_MD_LOST = re.compile(r"\[((?:[^\[\]\\]|\\.)+)\]\(\s*(?:#|<#?>)?\s*\)")


@dataclass(frozen=True, slots=True)
class Repair:
    """One recovered link: its anchor text, the target and its archived version."""

    text: str
    url: str
    archive_url: str | None = None
    archive_date: datetime | None = None


def _md_url(url: str) -> str:
    # Parentheses and spaces would end or break a Markdown link destination.
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _take(repairs: list[Repair], text: str) -> Repair | None:
    key = word_keys(text)
    for index, repair in enumerate(repairs):
        if word_keys(repair.text) == key:
            return repairs.pop(index)
    return None


def repair_markdown(text: str, repairs: Sequence[Repair]) -> tuple[str, int]:
    """Restore lost Markdown link targets.

    Args:
        text: the local copy.
        repairs: recovered links; each is used once, matched by anchor text in order.

    Returns:
        The repaired text and how many links were restored.
    """
    pending = list(repairs)
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        repair = _take(pending, match.group(1))
        if repair is None:
            return match.group(0)
        count += 1
        out = f"[{match.group(1)}]({_md_url(repair.url)})"
        if repair.archive_url:
            out += f" ([archived]({_md_url(repair.archive_url)}))"
        return out

    return _MD_LOST.sub(one, text), count


def repair_html(text: str, repairs: Sequence[Repair]) -> tuple[str, int]:
    """Restore lost HTML link targets, with Robust Links ``data-version*`` attributes.

    Args:
        text: the local copy (HTML, decoded).
        repairs: recovered links; each is used once, matched by anchor text in order.

    Returns:
        The repaired text and how many links were restored.
    """
    pending = list(repairs)
    count = 0

    def one(match: re.Match[str]) -> str:
        nonlocal count
        repair = _take(pending, anchor_words(match))
        if repair is None:
            return match.group(0)
        count += 1
        attrs = f'href="{html.escape(repair.url, quote=True)}"'
        if repair.archive_url:
            attrs += f' data-versionurl="{html.escape(repair.archive_url, quote=True)}"'
        if repair.archive_date is not None:
            attrs += f' data-versiondate="{repair.archive_date.date().isoformat()}"'
        return f"<a{match.group('attrs')}{attrs}{match.group('rest')}>{match.group('text')}</a>"

    return sub_lost_anchors(one, text), count
