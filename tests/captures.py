"""Captures as specs, and the capture sets the end-to-end tests check.

- :class:`Capture` is one archived HTTP exchange (``servers.write_warc`` writes it into a
  WARC); :func:`sha1_digest` and :func:`http_date` say what an archive lists and sends
  for it.
- :func:`moscow_times_captures`: nine captures of a Moscow Times-like article and its old
  URL (the original, other boilerplate, a duplicate, word edits, removed and added
  paragraphs, a redirect near and far in time, a 403 bot wall, a 2024 capture);
  :data:`MT` says when each was taken.
- :func:`quirk_captures`: the self-redirect pywb replays as another capture.
- :func:`realdata_set`: a real page of ``../shared/realdata`` with a seeded edit, and its
  local copy (skipped with :func:`realdata_page_missing`'s reason when the data is absent).

``tests/fixtures/e2e/README.md`` says what each capture holds and what a check must find.
:mod:`servers` re-exports every name here, for the tests that import them from there.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from support import FIXTURES, REALDATA, ROOT, SEED_URL, realdata_missing

__all__ = [
    "E2E",
    "MT",
    "MT_EDITS",
    "MT_OLD_URL",
    "MT_URL",
    "QUIRK_REDIRECT_TS",
    "QUIRK_TARGET_TS",
    "QUIRK_URL",
    "REALDATA_EDIT",
    "REALDATA_PAGE",
    "REALDATA_TITLE",
    "REDIRECT_BODY",
    "SCRAPINGHUB",
    "Capture",
    "MoscowTimesTimeline",
    "RealdataSet",
    "SeededEdit",
    "http_date",
    "moscow_times_captures",
    "mt_latest",
    "mt_page",
    "mt_removed_added_edited",
    "parse_ts",
    "quirk_captures",
    "realdata_page_missing",
    "realdata_set",
    "replace_once",
    "sha1_digest",
]

E2E = ROOT / "tests" / "fixtures" / "e2e"


# -- captures as specs ------------------------------------------------------------------


def sha1_digest(body: bytes) -> str:
    """The archive's payload digest: base32 SHA-1, as CDX ``digest`` gives it."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def parse_ts(timestamp: str) -> datetime:
    """A 14-digit Wayback timestamp as a UTC datetime."""
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def http_date(timestamp: str) -> str:
    """``Mon, 28 May 2012 01:02:03 GMT``: how Memento-Datetime writes a timestamp."""
    return format_datetime(parse_ts(timestamp), usegmt=True)


@dataclass(frozen=True, slots=True)
class Capture:
    """One archived HTTP exchange: what the crawler asked for and got at ``timestamp``."""

    url: str
    timestamp: str  # 14 digits, UTC
    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers
    location: str | None = None  # a redirect's Location, as the server sent it

    @property
    def digest(self) -> str:
        return sha1_digest(self.body)

    def response_headers(self) -> list[tuple[str, str]]:
        names = {name.lower() for name, _ in self.headers}
        out = [("Date", http_date(self.timestamp)), ("Server", "nginx")]
        if "content-type" not in names:
            out.append(("Content-Type", "text/html; charset=utf-8"))
        out += [(n, v) for n, v in self.headers if n.lower() != "content-length"]
        if self.location is not None:
            out.append(("Location", self.location))
        out.append(("Content-Length", str(len(self.body))))
        return out


# -- the Moscow Times capture set -------------------------------------------------------

MT_URL = SEED_URL
MT_OLD_URL = "https://www.themoscowtimes.com/opinion/article/kazakh-massacre-cover-up/459295.html"


@dataclass(frozen=True, slots=True)
class MoscowTimesTimeline:
    """When each capture was taken (README.md in tests/fixtures/e2e says what each holds)."""

    original: str = "20120528010203"  # capture-original.html: the local copy's text
    boilerplate: str = "20120528183000"  # capture-boilerplate.html: other surroundings
    duplicate: str = "20120529043000"  # the original's bytes again (same digest)
    edited: str = "20120529120000"  # capture-edited.html: 15 -> 16, Edilov -> Yedilov
    removed_added: str = "20120530150000"  # removed 7, added after 4 and 12, edits kept
    redirect_near: str = "20120530160000"  # MT_OLD_URL 301 -> MT_URL (target 1 h before)
    redirect_far: str = "20150610120000"  # MT_OLD_URL 301 -> MT_URL (target 8 months away)
    blocked: str = "20160214093000"  # 403 bot wall: archived error, evidence only
    latest: str = "20240303081500"  # removed_added's article, 2024 footer (new digest)

    def article(self) -> list[str]:
        """The article URL's capture timestamps, oldest first."""
        return [
            self.original,
            self.boilerplate,
            self.duplicate,
            self.edited,
            self.removed_added,
            self.blocked,
            self.latest,
        ]


MT = MoscowTimesTimeline()

# The two word edits of capture-edited.html (notes.md), bytes as the page writes them.
MT_EDITS = (
    (b"admits that 15 people were killed", b"admits that 16 people were killed"),
    (b"Kairat Edilov", b"Kairat Yedilov"),
)
REDIRECT_BODY = (
    b"<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
    b"<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with ``old`` replaced, which must occur exactly once."""
    count = data.count(old)
    if count != 1:
        raise ValueError(f"{old!r} occurs {count} times, expected once")
    return data.replace(old, new)


def mt_page(name: str) -> bytes:
    """A page of tests/fixtures/moscowtimes (``original``, ``edited``, ...)."""
    return (FIXTURES / f"capture-{name}.html").read_bytes()


def mt_removed_added_edited() -> bytes:
    """capture-removed-added.html with capture-edited.html's two edits: the changes add up."""
    page = mt_page("removed-added")
    for old, new in MT_EDITS:
        page = replace_once(page, old, new)
    return page


def mt_latest() -> bytes:
    """The 2024 capture: the same article text, another footer year (so a new digest)."""
    return replace_once(
        mt_removed_added_edited(),
        b"\xc2\xa9 2012 The Moscow Times",
        b"\xc2\xa9 2024 The Moscow Times",
    )


def moscow_times_captures(url: str = MT_URL, old_url: str = MT_OLD_URL) -> list[Capture]:
    """The Moscow Times-like capture set (see tests/fixtures/e2e/README.md)."""
    original = mt_page("original")
    blocked = (E2E / "botwall-403.html").read_bytes()
    return [
        Capture(url, MT.original, original),
        Capture(url, MT.boilerplate, mt_page("boilerplate")),
        Capture(url, MT.duplicate, original),
        Capture(url, MT.edited, mt_page("edited")),
        Capture(url, MT.removed_added, mt_removed_added_edited()),
        Capture(old_url, MT.redirect_near, REDIRECT_BODY, status=301, location=url),
        Capture(old_url, MT.redirect_far, REDIRECT_BODY, status=301, location=url),
        Capture(
            url, MT.blocked, blocked, status=403, headers=(("Cf-Ray", "6a1b2c3d4e5f6789-FRA"),)
        ),
        Capture(url, MT.latest, mt_latest()),
    ]


# pywb skips a redirect capture that points at its own URL (http -> https of one urlkey)
# and serves the nearest other capture in its place: a CDX row whose payload is not served.
QUIRK_URL = "https://quirks.example.org/article"
QUIRK_REDIRECT_TS = "20200101000000"
QUIRK_TARGET_TS = "20200101000500"


def quirk_captures() -> list[Capture]:
    return [
        Capture(
            "http://quirks.example.org/article",
            QUIRK_REDIRECT_TS,
            REDIRECT_BODY,
            status=301,
            location=QUIRK_URL,
        ),
        Capture(QUIRK_URL, QUIRK_TARGET_TS, b"<html><body><p>The article.</p></body></html>\n"),
    ]


# -- a real page of ../shared/realdata (another site, another layout) -------------------

SCRAPINGHUB = REALDATA / "02_article_extraction" / "scrapinghub_aeb"
# PolitiFact fact-check of 2019-11-18 (20 paragraphs); the seeded edit changes a figure.
REALDATA_PAGE = "9e8c9f082a8d77c58c17bda03b6b4bb6a1d6883fe196c252db4ca83b9991e0d3"
REALDATA_TITLE = "What is the value of drugs that come to the U.S. border?"
REALDATA_EDIT = ("about $44.2 million per week", "about $47.2 million per week")


@dataclass(frozen=True, slots=True)
class SeededEdit:
    old: str
    new: str
    paragraph: int  # 0-based index of the local copy's body block
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class RealdataSet:
    url: str
    local_copy: Path  # Markdown: title, the ground truth's paragraphs, Original url footer
    captures: tuple[Capture, ...]  # the page at ORIGINAL, edited at EDITED and LATER
    edit: SeededEdit
    paragraphs: tuple[str, ...] = field(repr=False)

    ORIGINAL = "20191118230000"  # the page as published
    EDITED = "20191120143000"  # the seeded edit appears
    LATER = "20200601120000"  # the edited bytes again (same digest)


def realdata_page_missing() -> str | None:
    """Why the real-page set cannot be built here, or ``None`` when it can."""
    return realdata_missing(SCRAPINGHUB / "html" / f"{REALDATA_PAGE}.html.gz")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&])")


def _markdown_paragraph(text: str) -> str:
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    # Line starts that CommonMark would read as a heading, list, quote or rule.
    return re.sub(r"^([#+\-=]|\d+(?=[.)]))", r"\\\1", text)


def realdata_set(folder: Path) -> RealdataSet:
    """Write the local copy into ``folder`` and build the captures of the real page.

    The page is read in place from ``../shared/realdata`` (never copied into the project).
    """
    truth = json.loads((SCRAPINGHUB / "ground-truth.json").read_text(encoding="utf-8"))
    article = truth[REALDATA_PAGE]
    url: str = article["url"]
    paragraphs = tuple(p.strip() for p in article["articleBody"].split("\n\n") if p.strip())
    page = gzip.decompress((SCRAPINGHUB / "html" / f"{REALDATA_PAGE}.html.gz").read_bytes())
    old, new = REALDATA_EDIT
    where = [index for index, text in enumerate(paragraphs) if old in text]
    if len(where) != 1:
        raise ValueError(f"{old!r} is in paragraphs {where}, expected one")
    edited = replace_once(page, old.encode("utf-8"), new.encode("utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    local_copy = folder / "value-of-drugs-at-the-border.md"
    body = [
        f"# {REALDATA_TITLE}",
        *(_markdown_paragraph(p) for p in paragraphs),
        f"Original url: <{url}>",
    ]
    local_copy.write_text("\n\n".join(body) + "\n", encoding="utf-8")
    captures = (
        Capture(url, RealdataSet.ORIGINAL, page),
        Capture(url, RealdataSet.EDITED, edited),
        Capture(url, RealdataSet.LATER, edited),
    )
    edit = SeededEdit(old, new, where[0], RealdataSet.EDITED, RealdataSet.LATER)
    return RealdataSet(url, local_copy, captures, edit, paragraphs)
