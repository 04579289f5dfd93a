"""Replay stored WARCs: the pages ``archive`` kept, as the fetch layer would have given them.

``check --offline`` uses these instead of the network: each stored live page becomes a
:class:`~snapverify.fetch.live.LiveFetch` and each stored capture a capture listing entry
with its payload, so the pipeline judges them exactly as it judged the pages when it
fetched them. A source read from a WARC has kind ``warc`` and the id
``warc:{file}:{offset}`` (the file relative to the snapshot's folder).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from snapverify.fetch._body import b32sha1
from snapverify.fetch.http import Response
from snapverify.fetch.live import LiveFetch
from snapverify.models import Outcome
from snapverify.store.warc import StoredPage, iter_warcs, read_records

__all__ = ["StoredPages", "live_fetch", "source_id", "stored_pages"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredPages:
    """What a snapshot's ``archive/`` folder holds for one URL.

    Attributes:
        live: stored live pages, oldest first.
        captures: stored archive captures, oldest first, one per (URL, time, payload).
        problems: WARCs that could not be read (one line each, naming the file).
    """

    live: tuple[StoredPage, ...]
    captures: tuple[StoredPage, ...]
    problems: tuple[str, ...] = ()


def _key(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/").lower()


def stored_pages(folders: Iterable[Path], url: str | None) -> StoredPages:
    """Read every WARC directly in ``folders`` and keep the pages of ``url``.

    A live page is kept when the URL it was asked for (or answered at) is ``url``;
    a capture when its original URL is ``url`` or the URL it was listed under is.
    ``url`` None keeps everything.

    Args:
        folders: ``archive/`` folders (missing ones are skipped).
        url: the article's original URL.

    Returns:
        The stored pages, and the WARCs that could not be read.
    """
    live: list[StoredPage] = []
    captures: dict[tuple[str, str, str], StoredPage] = {}
    problems: list[str] = []
    wanted = _key(url) if url else None
    for folder in folders:
        for path in iter_warcs(folder):
            try:
                pages = read_records(path)
            except (OSError, ValueError) as exc:
                problems.append(str(exc))
                continue
            for page in pages:
                names = {
                    _key(page.url),
                    _key(page.fields.get("requested", "")),
                    _key(page.fields.get("original", "")),
                }
                if wanted is not None and wanted not in names:
                    continue
                if page.role == "live":
                    live.append(page)
                else:
                    when = page.fields.get("timestamp") or str(page.date)
                    key = (page.fields.get("archive", ""), when, page.payload_digest or "")
                    captures.setdefault(key, page)
    live.sort(key=lambda p: (p.date is None, p.date))
    ordered = sorted(captures.values(), key=lambda p: p.fields.get("timestamp") or str(p.date))
    return StoredPages(tuple(live), tuple(ordered), tuple(problems))


def source_id(page: StoredPage, base: Path) -> str:
    """``warc:{file}:{offset}``, the file relative to ``base`` when it is under it."""
    try:
        name = page.file.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        name = str(page.file)
    return f"warc:{name}:{page.offset}"


def live_fetch(page: StoredPage) -> LiveFetch:
    """A stored live page as :func:`~snapverify.fetch.live.fetch_live` returned it.

    The outcome is the one recorded when the page was fetched (``ok`` when the WARC
    does not say, for a 2xx page, else ``error``).
    """
    headers = [("content-type", page.content_type)] if page.content_type else []
    digest = b32sha1(page.payload)  # read back with its codings undone: raw = decoded
    response = Response(
        url=page.url,
        status=page.status or 200,
        headers=tuple(headers),
        content=page.payload,
        raw_sha1=digest,
        sha1=digest,
    )
    default = Outcome.OK if 200 <= response.status < 300 else Outcome.ERROR
    recorded = page.fields.get("outcome")
    outcome = Outcome.parse(recorded) if recorded else default
    return LiveFetch(
        page.fields.get("requested") or page.url,
        outcome,
        response.status,
        response,
        page.fields.get("detail"),
    )
