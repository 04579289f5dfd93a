"""pipeline/sources.py: which fetched pages are compared as article text."""

from __future__ import annotations

import hashlib

from snapverify.fetch.http import Response
from snapverify.fetch.live import LiveFetch
from snapverify.models import Document, Outcome
from snapverify.pipeline.sources import live_source
from snapverify.snapshot import read_local_copy
from support import FIXTURES, SEED, SEED_URL


def _live(body: bytes, status: int = 200) -> LiveFetch:
    response = Response(
        url=SEED_URL,
        status=status,
        headers=(("content-type", "text/html; charset=utf-8"),),
        content=body,
        raw_sha1="RAW",
        sha1="SHA1",
    )
    return LiveFetch(SEED_URL, Outcome.OK, status, response)


def _local() -> Document:
    return read_local_copy(SEED).document


def test_the_live_article_is_compared() -> None:
    body = (FIXTURES / "capture-original.html").read_bytes()
    source, document = live_source(_live(body), _local(), {})
    assert source.outcome is Outcome.OK and document is not None
    assert source.sha256 == hashlib.sha256(body).hexdigest()


def test_another_article_at_the_url_is_a_soft_404_not_a_comparison() -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i} of a report on municipal budgets, parking fees, school lunches "
        f"and the new library opening hours in a small coastal town far away.</p>"
        for i in range(12)
    )
    body = "<html><head><title>Town news</title></head><body><article><h1>Town news</h1>"
    body += f"{paragraphs}</article></body></html>"
    source, document = live_source(_live(body.encode()), _local(), {})
    assert document is None
    assert source.outcome is Outcome.SOFT_404
    assert "of the local copy's words" in (source.note or "")


def test_a_not_found_page_answered_200_is_a_soft_404() -> None:
    body = (FIXTURES / "soft404.html").read_bytes()
    source, document = live_source(_live(body), _local(), {})
    assert document is None and source.outcome is Outcome.SOFT_404


def test_one_extraction_per_payload() -> None:
    body = (FIXTURES / "capture-original.html").read_bytes()
    memo: dict[str, Document | str] = {}
    _, first = live_source(_live(body), _local(), memo)
    _, second = live_source(_live(body), _local(), memo)
    assert first is second and len(memo) == 1
