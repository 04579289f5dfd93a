"""Links whose target an HTML export lost: ``<a href="#">text</a>`` and ``href=""``.

Found in the page's text (not its parsed tree), so :mod:`snapverify.links.robust` can
repair them in place, byte for byte, by the same pattern.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

__all__ = [
    "LOST_ANCHOR",
    "anchor_words",
    "find_lost_anchors",
    "lost_html_anchors",
    "sub_lost_anchors",
]

LOST_ANCHOR = re.compile(
    r"<a\b(?P<attrs>[^>]*?)\bhref\s*=\s*(?P<q>[\"'])\s*#?\s*(?P=q)(?P<rest>[^>]*)>"
    r"(?P<text>.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")
# LOST_ANCHOR in parts, so each part is tried once per stretch of text (see below).
_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_LOST_TAG = re.compile(r"<a\b[^>]*?\bhref\s*=\s*([\"'])\s*#?\s*\1[^>]*>", re.IGNORECASE | re.DOTALL)
_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)


def find_lost_anchors(text: str) -> Iterator[re.Match[str]]:
    """The matches ``LOST_ANCHOR.finditer(text)`` gives, in linear time.

    The pattern alone is quadratic on hostile pages: from every ``<a`` it scans to the
    next ``>`` and then to the next ``</a>``, so ``'<a' * 80000`` or thousands of
    unclosed ``<a href="#">`` cost minutes. Here each ``<a`` sharing a tag end is
    tried once (a later one in the same tag matches only if the first does), and a
    lost anchor without a ``</a>`` after it ends the search (no later one has one).
    """
    pos = 0
    while (opened := _OPEN.search(text, pos)) is not None:
        start = opened.start()
        end = text.find(">", start)
        if end < 0:
            return  # no tag is ever closed from here on
        if _LOST_TAG.match(text, start, end + 1) is None:
            pos = end + 1
            continue
        close = _CLOSE.search(text, end + 1)
        if close is None:
            return
        match = LOST_ANCHOR.match(text, start, close.end())
        if match is not None:
            yield match
            pos = match.end()
        else:  # not expected: the parts above are the pattern's
            pos = end + 1


def sub_lost_anchors(replace: Callable[[re.Match[str]], str], text: str) -> str:
    """``LOST_ANCHOR.sub(replace, text)``, in linear time (see ``find_lost_anchors``)."""
    parts: list[str] = []
    last = 0
    for match in find_lost_anchors(text):
        parts.append(text[last : match.start()])
        parts.append(replace(match))
        last = match.end()
    parts.append(text[last:])
    return "".join(parts)


def lost_html_anchors(text: str) -> list[str]:
    """The anchor texts of ``<a href="#">`` and ``<a href="">`` links in an HTML page."""
    return [words for match in find_lost_anchors(text) if (words := anchor_words(match))]


def anchor_words(match: re.Match[str]) -> str:
    """The visible words of a matched anchor's content: tags dropped, entities decoded."""
    return " ".join(html.unescape(_TAG.sub("", match.group("text"))).split())
