"""What a fetched page is: the article, or a page standing where it should be.

A capture or a live answer may be a not-found page served with 200 (a soft 404), a
bot wall (a CDN's challenge or access-denied page), a sign-in or subscription wall,
the site's home page or a section front, or no text at all. None of them is the
article: comparing one with the local copy would report every paragraph missing.
:func:`classify_page` says which it is from the HTTP status, the response headers
and the page. No rule names a site: the markers are those of CDNs and anti-bot
vendors, and the words of error pages in many languages.

Conservative by design. Words that mark a wall or an error page ("Access Denied",
"Page not found", "Subscribe to continue reading") count only as (nearly) the whole
of a title or heading, and only on a page with little prose or little of the local
copy; an article that mentions "404" or "Cloudflare", or has a cookie banner or a
newsletter box, stays an article.

The thresholds and the order of the checks are here; the markers and phrases they
look for are in the private ``_pagetype_rules``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from urllib.parse import urlsplit

from snapverify.models import Document
from snapverify.text._pagetype_rules import (
    ERROR_SEGMENTS,
    HEADER_MARKERS,
    LOGIN_SEGMENTS,
    LOGIN_TEXT,
    MARKUP_MARKERS,
    NOT_FOUND_PATH,
    NOT_FOUND_PHRASES,
    NOT_FOUND_SEGMENTS,
    SEGMENT_SPLIT,
    WALL_PHRASES,
    WALL_SEGMENTS,
    WALL_TEXT,
)
from snapverify.text.decode import charset_of, decode_html
from snapverify.text.generic import generic_blocks
from snapverify.text.html import HtmlElement, RawBlock, candidate_blocks, element_text, parse_html
from snapverify.text.normalise import word_keys

__all__ = ["PageKind", "PageVerdict", "classify_page"]


class PageKind(StrEnum):
    """What a fetched page is."""

    ARTICLE = "article"
    NOT_FOUND = "not_found"  # a 404/410, or a page saying the page is not there
    BOT_WALL = "bot_wall"  # a challenge, captcha, access-denied or rate-limit page
    LOGIN = "login"  # a sign-in or subscription wall
    HOME = "home"  # the home page or a section front: a listing of other articles
    EMPTY = "empty"  # no text to speak of
    ERROR = "error"  # a server error page (5xx)


@dataclass(frozen=True, slots=True)
class PageVerdict:
    """What a page is, and one line saying why (for reports)."""

    kind: PageKind
    reason: str


# Walls and error pages have less prose than this (words of the largest prose region).
SMALL_PROSE = 150
# A page holding this share of the local copy is the article, whatever its title says.
HOLDS_ARTICLE = 0.5
# A page holding less than this share of the local copy is not the article.
UNRELATED = 0.2
# Fewer visible words than this, or no prose at all: nothing to compare.
EMPTY_WORDS = 12
# A listing: this many headline links, carrying this share of the page's words.
LISTING_LINKS = 15
LISTING_SHARE = 0.35
# A title phrase counts with at most this many other words around it, or _TITLE_REST
# (a site name) on a page with fewer than SMALL_PAGE visible words or unrelated to the
# local copy.
_TITLE_ALONE = 2
_TITLE_REST = 6
SMALL_PAGE = 100
# Pages with more visible words than this are not searched for wall phrases.
_SEARCHED_WORDS = 800
# A prose block has this many words at least.
_PROSE_BLOCK = 8

_BLOCKED_STATUS = frozenset({403, 407, 429, 451})
_GONE_STATUS = frozenset({404, 410})


@dataclass(slots=True)
class _Page:
    markup: str  # the page's markup, lower-cased
    titles: list[str]  # <title>, then the visible <h1> texts
    blocks: list[RawBlock]
    words: int  # visible words
    prose: int  # words of the largest prose region
    password: bool  # has a password field

    def text(self) -> str:
        return "\n".join(block.text for block in self.blocks)


def _read(html: bytes | str, charset: str | None) -> _Page:
    text = html if isinstance(html, str) else decode_html(html, charset, repair=False)
    root = parse_html(text)
    title = root.find(".//title")
    titles = [element_text(title)] if title is not None else []
    password = root.find(".//input[@type='password']") is not None
    blocks = candidate_blocks(root)  # strips head, scripts, form controls, hidden elements
    titles += [element_text(h1) for h1 in islice(root.iter("h1"), 3)]
    cleaned = [" ".join(t.split())[:300] for t in titles]
    words = sum(len(word_keys(block.text)) for block in blocks)
    prose = max(_prose_run(blocks), sum(len(word_keys(b.text)) for b in generic_blocks(blocks)))
    return _Page(text.lower(), [t for t in cleaned if t], blocks, words, prose, password)


def _prose_run(blocks: list[RawBlock]) -> int:
    """Words of the largest set of prose paragraphs that share a parent element."""
    # Generic extraction finds no article where a page-wide wrapper has a furniture
    # class; paragraphs side by side are prose all the same.
    runs: dict[HtmlElement | None, int] = {}
    for block in blocks:
        count = len(word_keys(block.text))
        if count >= _PROSE_BLOCK and block.link_chars * 2 < len(block.text):
            parent = block.element.getparent()
            runs[parent] = runs.get(parent, 0) + count
    return max(runs.values(), default=0)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _overlap(reference: Document, page: _Page) -> float:
    """The share of the reference's word triples that the page's text has."""
    wanted: set[tuple[str, ...]] = set()
    for block in reference.blocks:
        keys = word_keys(block.text)
        wanted.update(zip(keys, keys[1:], keys[2:], strict=False))
    found: set[tuple[str, ...]] = set()
    for raw in page.blocks:
        keys = word_keys(raw.text)
        found.update(zip(keys, keys[1:], keys[2:], strict=False))
    return len(wanted & found) / len(wanted) if wanted else 0.0


def _listing(page: _Page) -> int:
    """How many headline links the page lists, when links outweigh its prose."""
    headlines = linked = 0
    for block in page.blocks:
        count = len(word_keys(block.text))
        if 2 <= count <= 30 and block.link_chars * 2 > len(block.text):
            headlines += 1
            linked += count
    if linked >= LISTING_SHARE * page.words and linked >= page.prose:
        return headlines
    return 0


def _quote(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _titled(
    page: _Page, phrases: re.Pattern[str], segments: re.Pattern[str], unrelated: bool
) -> str | None:
    """The title or heading that is (nearly) nothing but one of the phrases.

    A phrase comes with a few other words (a site name) only on a tiny page or one
    unrelated to the local copy: a headline such as "Access denied: refugees turned
    away" over a short news item is not a wall.
    """
    small = page.words < SMALL_PAGE or unrelated
    for title in page.titles:
        words = len(word_keys(title))
        match = phrases.search(title)
        if match:
            rest = words - len(word_keys(match.group()))
            if rest <= _TITLE_ALONE or (small and rest <= _TITLE_REST):
                return title
        if words <= _TITLE_REST + _TITLE_ALONE:
            parts = (" ".join(word_keys(part)) for part in SEGMENT_SPLIT.split(title))
            if any(segments.search(part) for part in parts if part):
                return title
    return None


def _wall(
    page: _Page, headers: Mapping[str, str] | None, loose: bool, unrelated: bool
) -> str | None:
    """Why the page is a bot wall, if it is one."""
    for name, pattern, label in HEADER_MARKERS:
        value = _header(headers, name)
        if value and pattern.search(value):
            return f"{label} (response header {name}: {value.strip()[:40]})"
    if not loose:
        return None
    visible = page.text().lower()
    for marker, label in MARKUP_MARKERS:
        if marker in page.markup or marker in visible:
            return label
    title = _titled(page, WALL_PHRASES, WALL_SEGMENTS, unrelated)
    if title is not None:
        return f"title says {_quote(title)}"
    if page.words <= _SEARCHED_WORDS:
        match = WALL_TEXT.search(page.text())
        if match:
            return f"page says {_quote(match.group())}"
    return None


def _not_found(page: _Page, url: str | None, unrelated: bool) -> str | None:
    """Why the page is a not-found page, if it says so."""
    title = _titled(page, NOT_FOUND_PHRASES, NOT_FOUND_SEGMENTS, unrelated)
    if title is not None:
        return f"title says {_quote(title)}"
    segments = [s for s in urlsplit(url or "").path.split("/") if s]
    if segments and NOT_FOUND_PATH.match(segments[-1]):
        return f"the URL is a not-found page ({segments[-1]})"
    return None


def _login(page: _Page, unrelated: bool) -> str | None:
    """Why the page is a sign-in or subscription wall, if it is one."""
    title = _titled(page, LOGIN_SEGMENTS, LOGIN_SEGMENTS, unrelated)
    if title is not None:
        return f"title says {_quote(title)}"
    if page.words <= _SEARCHED_WORDS:
        match = LOGIN_TEXT.search(page.text())
        if match:
            return f"page says {_quote(match.group())}"
    if page.password and page.prose < EMPTY_WORDS:
        return "a sign-in form and no article text"
    return None


def _by_status(status: int, page: _Page, wall: str | None) -> PageVerdict | None:
    titled = f", page titled {_quote(page.titles[0])}" if page.titles else ""
    if status in _GONE_STATUS:
        return PageVerdict(PageKind.NOT_FOUND, f"HTTP {status}{titled}")
    if wall is not None:
        return PageVerdict(PageKind.BOT_WALL, f"HTTP {status}: {wall}")
    if status == 401:
        return PageVerdict(PageKind.LOGIN, f"HTTP 401: sign-in required{titled}")
    if status in _BLOCKED_STATUS:
        return PageVerdict(PageKind.BOT_WALL, f"HTTP {status}: access refused{titled}")
    if status >= 500:
        return PageVerdict(PageKind.ERROR, f"HTTP {status}: server error{titled}")
    return None  # another 4xx (400, 405...): the page's words decide


def classify_page(
    html: bytes | str,
    *,
    status: int | None = None,
    url: str | None = None,
    reference: Document | None = None,
    similarity: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> PageVerdict:
    """Say whether a fetched page is the article, and if not what it is.

    In this order: the HTTP status (404/410 not found, 401 a sign-in wall,
    403/407/429/451 a bot wall, 5xx a server error, unless the page is a
    challenge); the headers and markup that CDNs and anti-bot vendors put on their
    challenge pages; a page holding much of the local copy is the article; titles
    and headings of walls and not-found pages, and sign-in walls; a page with no
    text is empty; a listing of headline links sharing almost nothing with the
    local copy is the home page or a section front. Words count only on a page with
    little prose (under ``SMALL_PROSE`` words) or little of the local copy.

    Args:
        html: the page, as bytes (decoded by the ``Content-Type`` charset of
            ``headers``, the ``<meta>`` charset or detection) or text.
        status: the HTTP status it came with (for an archive capture, the archived
            status), if known.
        url: the page's URL after redirects, if known.
        reference: the local copy, if any.
        similarity: the share of the local copy the page holds (0-1, as
            :func:`~snapverify.compare.compare_documents` measures it), if known;
            with a reference and no similarity, the share of the reference's word
            triples found on the page is measured here instead.
        headers: the response headers (for a capture, the original ones), if known;
            names are matched without regard to case.

    Returns:
        The page's kind and a one-line reason.
    """
    if similarity is not None and similarity >= HOLDS_ARTICLE and (status or 0) < 400:
        # Nothing below overrides a page that holds the article (not even a wall's
        # markup), so the page need not be parsed at all.
        return PageVerdict(PageKind.ARTICLE, f"the page holds {similarity:.0%} of the local copy")
    page = _read(html, charset_of(_header(headers, "content-type")))
    if similarity is None and reference is not None and reference.blocks:
        similarity = _overlap(reference, page)
    holds = similarity is not None and similarity >= HOLDS_ARTICLE
    unrelated = similarity is not None and similarity < UNRELATED
    loose = (page.prose < SMALL_PROSE or unrelated) and not holds

    wall = _wall(page, headers, loose, unrelated)
    if status is not None and status >= 400:
        verdict = _by_status(status, page, wall)
        if verdict is not None:
            return verdict
    if wall is not None and not holds:
        return PageVerdict(PageKind.BOT_WALL, wall)
    if holds:
        return PageVerdict(PageKind.ARTICLE, f"the page holds {similarity:.0%} of the local copy")
    if loose:
        reason = _not_found(page, url, unrelated)
        if reason is not None:
            return PageVerdict(PageKind.NOT_FOUND, reason)
        reason = _login(page, unrelated)
        if reason is not None:
            return PageVerdict(PageKind.LOGIN, reason)
        title = _titled(page, ERROR_SEGMENTS, ERROR_SEGMENTS, unrelated)
        if title is not None:
            return PageVerdict(PageKind.ERROR, f"title says {_quote(title)}")
    if page.words < EMPTY_WORDS or page.prose == 0:
        return PageVerdict(PageKind.EMPTY, f"no article text ({page.words} words on the page)")
    headlines = _listing(page)
    if headlines >= LISTING_LINKS:
        if unrelated:
            return PageVerdict(
                PageKind.HOME,
                f"a listing of {headlines} headline links holding {similarity or 0:.0%}"
                " of the local copy",
            )
        if url and not urlsplit(url).path.strip("/") and page.prose < SMALL_PROSE:
            return PageVerdict(PageKind.HOME, f"the site's front page ({headlines} headline links)")
    prose = f"{page.prose} words of prose"
    if similarity is None:
        return PageVerdict(PageKind.ARTICLE, prose)
    return PageVerdict(PageKind.ARTICLE, f"{prose}, {similarity:.0%} of the local copy")
