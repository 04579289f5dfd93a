"""Readable exports: an extracted article written in the shape of a local copy.

Beside each WARC, ``archive`` writes the article as extracted from the page it stored,
as Markdown a person can read and diff, and that :func:`snapverify.snapshot.read_local_copy`
reads back (so an export can itself be checked later)::

    ---
    title: "Kazakh Massacre Cover-Up"
    byline: "Robert Jones"
    date: "2012-05-27"
    captured: "2026-11-25T07:00:00Z"
    source: "live"
    warc: "20261125070000-1a2b3c4d.warc.gz"
    ---

    # Kazakh Massacre Cover-Up

    By Robert Jones

    Six people were convicted last week ... [Video footage](https://...) ...

    Original url: <https://www.themoscowtimes.com/2012/05/27/kazakh-massacre-cover-up-a15040>

Body text is escaped so that Markdown markup in it stays text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from snapverify.models import BlockKind, Document, Link

__all__ = ["render_export"]

# Characters that Markdown could read as markup inside a paragraph.
_ESCAPE = re.compile(r"([\\`*_\[\]<>#|~!&])")
# Line starts that would make a paragraph into another block (list, heading, quote...).
_BLOCK_START = re.compile(r"^(\s*)([-+=>]+|\d+)([.)]?)(?=\s|$)")


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", re.sub(r"\s+", " ", text))
    return _BLOCK_START.sub(_unblock, text)


def _unblock(match: re.Match[str]) -> str:
    if match[2][0].isdigit():  # "1." or "1)": escape the punctuation, not the digit
        return f"{match[1]}{match[2]}\\{match[3]}" if match[3] else match[0]
    return f"{match[1]}\\{match[2]}{match[3]}"


def _with_links(text: str, links: list[Link]) -> str:
    """The block's text, escaped, with each link's text made a Markdown link (in order)."""
    out: list[str] = []
    position = 0
    for link in links:
        if not link.text or link.url is None or not link.url.startswith(("http://", "https://")):
            continue
        found = text.find(link.text, position)
        if found < 0:
            continue
        out.append(_escape(text[position:found]))
        target = link.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        out.append(f"[{_escape(link.text)}]({target})")
        position = found + len(link.text)
    out.append(_escape(text[position:]))
    return "".join(out)


def _quoted(value: str) -> str:
    return json.dumps(" ".join(value.split()), ensure_ascii=False)


def render_export(
    document: Document,
    *,
    url: str,
    captured: datetime,
    fields: Mapping[str, str] | None = None,
) -> bytes:
    """The readable export of ``document`` (UTF-8 Markdown with YAML front matter).

    Args:
        document: the article as extracted.
        url: the original URL (the ``Original url:`` footer).
        captured: when the page was captured (UTC).
        fields: more front matter (``source``, ``warc``...), written as strings.

    Returns:
        The file's bytes.
    """
    front: dict[str, str] = {}
    if document.title:
        front["title"] = document.title
    if document.byline:
        front["byline"] = document.byline
    if document.published:
        front["date"] = document.published
    if document.modified:
        front["modified"] = document.modified
    if document.publication:
        front["publication"] = document.publication
    front["captured"] = captured.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    front.update(fields or {})
    lines = ["---", *(f"{key}: {_quoted(value)}" for key, value in front.items()), "---", ""]
    if document.title:
        lines += [f"# {_escape(document.title)}", ""]
    if document.byline:
        lines += [f"By {_escape(document.byline)}", ""]
    by_block: dict[int, list[Link]] = {}
    for link in document.links:
        if link.block is not None:
            by_block.setdefault(link.block, []).append(link)
    for index, block in enumerate(document.blocks):
        text = _with_links(" ".join(block.text.split()), by_block.get(index, []))
        if block.kind is BlockKind.HEADING:
            text = f"## {text}"
        elif block.kind is BlockKind.LIST_ITEM:
            text = f"- {text}"
        elif block.kind is BlockKind.QUOTE:
            text = f"> {text}"
        lines += [text, ""]
    lines.append(f"Original url: <{url}>")
    return ("\n".join(lines) + "\n").encode("utf-8")
