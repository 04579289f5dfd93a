"""Links whose target an HTML export lost: ``<a href="#">text</a>`` and ``href=""``.

Found in the page's text (not its parsed tree), so :mod:`snapverify.links.robust` can
repair them in place, byte for byte, by the same pattern.
"""

from __future__ import annotations

import html
import re

__all__ = ["LOST_ANCHOR", "anchor_words", "lost_html_anchors"]

LOST_ANCHOR = re.compile(
    r"<a\b(?P<attrs>[^>]*?)\bhref\s*=\s*(?P<q>[\"'])\s*#?\s*(?P=q)(?P<rest>[^>]*)>"
    r"(?P<text>.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<[^>]*>")


def lost_html_anchors(text: str) -> list[str]:
    """The anchor texts of ``<a href="#">`` and ``<a href="">`` links in an HTML page."""
    return [words for match in LOST_ANCHOR.finditer(text) if (words := anchor_words(match))]


def anchor_words(match: re.Match[str]) -> str:
    """The visible words of a matched anchor's content: tags dropped, entities decoded."""
    return " ".join(html.unescape(_TAG.sub("", match.group("text"))).split())
