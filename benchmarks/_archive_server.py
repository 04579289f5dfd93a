"""A loopback Wayback-compatible archive for the network benchmark, with IA-like limits.

It archives ``N`` article URLs (``https://news.example/2012/05/27/story-{i}``), each with
``M`` captures whose payloads come in ``K`` distinct versions (captures sharing a digest
share their bytes). It answers like a pywb collection at ``http://127.0.0.1:PORT/COLL``:

* ``/COLL/cdx?url=U&output=json``: pywb's NDJSON, one object a line with ``urlkey``,
  ``timestamp``, ``url``, ``mime``, ``status``, ``digest``, ``length``, ``offset``,
  ``filename``. Without ``output=json`` it answers like IA's ``/cdx/search/cdx``: the
  same 7 fields space-separated in IA's order (what waybackpy reads).
* ``/COLL/timemap/link/{url}``: a link-format TimeMap (counted with the CDX queries, as
  IA counts them).
* ``/COLL/{ts}id_/{url}``: the raw capture, ``200`` with ``Memento-Datetime`` and
  ``Content-Type: text/html; charset=utf-8``; its base32 SHA-1 is the listed digest.

Limits, like the Internet Archive's but in scaled time (``scale`` real seconds stand for
one minute): CDX + TimeMap 30 per minute per client address, playback 600 per minute,
each over a sliding window of one scaled minute. Past a limit the answer is ``429`` with
no ``Retry-After`` (IA sends none). A refused request does not use up the window (more
lenient than IA, which firewalls clients that keep asking). Every request is counted by
kind, with its status.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "CDX_PER_MINUTE",
    "PLAYBACK_PER_MINUTE",
    "ArchiveServer",
    "Capture",
    "Corpus",
    "Snapshot",
    "build_corpus",
]

CDX_PER_MINUTE = 30
PLAYBACK_PER_MINUTE = 600
COLLECTION = "bench"

_PLAYBACK = re.compile(r"^/(?P<coll>[^/]+)/(?P<ts>[0-9]{14})id_/(?P<url>.+)$")
_TIMEMAP = re.compile(r"^/(?P<coll>[^/]+)/timemap/link/(?P<url>.+)$")
_TOO_MANY = b"Too Many Requests\n"  # shorter than a CDX line: waybackpy skips it silently

_PARAGRAPHS = (
    "Six people were convicted last week for instigating riots on Dec. {d} in the city "
    "of Northport, and prosecutors said the unrest had been organised by a small group.",
    "The workers of the harbour company had been on a peaceful {m}-month strike over wages "
    "and the recognition of their union before the police moved in.",
    "According to court testimony, a senior officer was sent with {n} police troops to "
    "the city two days before the demonstration, and live rounds were issued.",
    "The government admits that {k} people were killed, while eyewitnesses say the number "
    "of victims is much higher, about {v}, and no charges have been brought.",
    "One defendant testified that he had been offered protection if he agreed to give "
    "evidence against {k} others, and that he was beaten after refusing.",
    "Sentences of three to seven years are now being handed down for the {w} workers on "
    "trial, several of whom had friends and relatives killed in the violence.",
    "Human rights groups have asked for an immediate, impartial and effective "
    "investigation, and for the trial to be suspended until it is complete.",
    "The attempt to blame the strikers without bringing the officials responsible to "
    "justice shows how far the authorities are willing to go, critics said.",
)
_CORRECTION = (
    "Correction: an earlier version of this article misstated the number of workers on "
    "trial and the date of the demonstration."
)


def _b32sha1(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Capture:
    """One capture of one URL: its timestamp and which payload it serves."""

    timestamp: str
    digest: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One archived URL: the local copy's text and the captures the archive holds."""

    url: str
    title: str
    author: str
    paragraphs: tuple[str, ...]
    captures: tuple[Capture, ...]

    def markdown(self) -> str:
        """The local copy, shaped like the bundled Moscow Times export."""
        body = "\n\n".join(self.paragraphs)
        return (
            f"{self.title}\n\nBy [{self.author}](#)\n\nMay 27, 2012\n\nThe  **News Example**\n\n"
            f"{body}\n\nOriginal url: <{self.url}>\n"
        )


@dataclass(frozen=True, slots=True)
class Corpus:
    """Everything the archive serves."""

    snapshots: tuple[Snapshot, ...]
    by_url: dict[str, Snapshot] = field(hash=False, compare=False)

    @property
    def distinct_digests(self) -> int:
        return sum(len({c.digest for c in s.captures}) for s in self.snapshots)

    @property
    def captures(self) -> int:
        return sum(len(s.captures) for s in self.snapshots)


def _page(snapshot_index: int, title: str, author: str, paragraphs: list[str], k: int) -> bytes:
    """An article page laid out like a news site, with boilerplate around the body."""
    nav = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(1, 9))
    # The sidebar changes with every version, so every version has its own bytes.
    most_read = "".join(
        f'<li><a href="/2012/05/{20 + n}/other-{snapshot_index}-{n}">Most read story {n + k}'
        "</a></li>"
        for n in range(5)
    )
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} - News Example</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="article:published_time" content="2012-05-27T10:00:00+00:00">
</head><body>
<header><a href="/">News Example</a><nav><ul>{nav}</ul></nav></header>
<main><article>
<div class="article__header"><h1>{html.escape(title)}</h1>
<div class="byline"><span class="byline__author__name">{html.escape(author)}</span>
<time datetime="2012-05-27">May 27, 2012</time></div></div>
<div class="article__content">
{body}
</div></article>
<aside class="sidebar"><h3>Most read</h3><ul>{most_read}</ul>
<p>Edition {k}</p></aside></main>
<footer><p>Copyright 2012 News Example. All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/terms">Terms of use</a></li></ul>
</footer></body></html>
"""
    return page.encode("utf-8")


def _version(paragraphs: list[str], k: int) -> list[str]:
    """The article body of version ``k``: 0 is the local copy, others carry edits."""
    edited = list(paragraphs)
    kind = k % 4
    if k == 0 or kind == 1:
        return edited  # only the sidebar differs
    if kind == 2:
        edited[3] = re.sub(r"\b\d+\b", lambda m: str(int(m.group(0)) + 1), edited[3], count=1)
    elif kind == 3:
        del edited[4]
        edited.append(_CORRECTION)
    else:  # kind 0 of a later version: a reworded sentence
        edited[6] = edited[6].replace("immediate", "prompt")
    return edited


def build_corpus(snapshots: int, captures: int, digests: int) -> Corpus:
    """Build ``snapshots`` URLs × ``captures`` captures with ``digests`` distinct payloads.

    Capture ``j`` of a URL serves version ``j * digests // captures``, so versions come in
    runs of neighbouring captures, as on a real page that changes now and then.
    """
    start = datetime(2012, 5, 27, 10, 0, 0, tzinfo=UTC)
    built = []
    for i in range(snapshots):
        numbers = {"d": 16, "m": 7, "n": 40 + i, "k": 15 + i, "v": 70 + i, "w": 49 + i}
        paragraphs = [p.format(**numbers) for p in _PARAGRAPHS]
        title = f"Northport Massacre Cover-Up, Part {i + 1}"
        author = "Robert Jones"
        bodies = [
            _page(i, title, author, _version(paragraphs, k), k) for k in range(max(1, digests))
        ]
        rows = []
        for j in range(captures):
            when = start + timedelta(days=7 * j, minutes=i, seconds=j)
            body = bodies[j * len(bodies) // captures]
            rows.append(Capture(when.strftime("%Y%m%d%H%M%S"), _b32sha1(body), body))
        url = f"https://news.example/2012/05/27/story-{i}"
        built.append(Snapshot(url, title, author, tuple(paragraphs), tuple(rows)))
    return Corpus(tuple(built), {s.url: s for s in built})


def _urlkey(url: str) -> str:
    parts = urlsplit(url)
    host = ",".join(reversed(parts.hostname.split("."))) if parts.hostname else ""
    return f"{host}){parts.path or '/'}"


class _Window:
    """Requests served in the last ``span`` seconds, per client."""

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self.span = span
        self._times: dict[str, deque[float]] = {}

    def admit(self, client: str, now: float) -> bool:
        times = self._times.setdefault(client, deque())
        while times and times[0] <= now - self.span:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True


class ArchiveServer:
    """The archive on a free loopback port, served from a background thread.

    Args:
        corpus: what it archives.
        scale: real seconds standing for one minute of the archive's limits.
        latency: seconds each answer is held back (a real archive's round trip and
            transfer time; 0 on loopback).

    Use as a context manager; ``base`` is the collection's URL.
    """

    def __init__(self, corpus: Corpus, *, scale: float, latency: float = 0.0) -> None:
        self.corpus = corpus
        self.scale = scale
        self.latency = latency
        self._lock = threading.Lock()
        self.reset()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/{COLLECTION}"

    def reset(self) -> None:
        """Forget counts and the limit windows (as if the next client came a while later)."""
        with self._lock:
            self.requests: Counter[str] = Counter()  # by kind: cdx, playback, other
            self.refused: Counter[str] = Counter()  # 429s by kind
            self.fetched: Counter[tuple[str, str]] = Counter()  # (url, digest) served
            self.user_agents: Counter[str] = Counter()
            self._windows = {
                "cdx": _Window(CDX_PER_MINUTE, self.scale),
                "playback": _Window(PLAYBACK_PER_MINUTE, self.scale),
            }

    def __enter__(self) -> ArchiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _admit(self, kind: str, client: str, agent: str) -> bool:
        with self._lock:
            self.requests[kind] += 1
            self.user_agents[agent] += 1
            window = self._windows.get(kind)
            if window is None or window.admit(client, time.monotonic()):
                return True
            self.refused[kind] += 1
            return False

    def _served(self, url: str, digest: str) -> None:
        with self._lock:
            self.fetched[(url, digest)] += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real archive offers
            # Headers and body leave in one write, without Nagle's delay: otherwise each
            # keep-alive request waits ~40 ms for a delayed ACK, hiding the client's pace.
            disable_nagle_algorithm = True
            wbufsize = -1

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the counters are the log

            def _send(
                self, status: int, body: bytes, content_type: str, headers: dict[str, str]
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                path = parts.path
                agent = self.headers.get("User-Agent", "-")
                client = self.client_address[0]
                if path == f"/{COLLECTION}/cdx":
                    kind = "cdx"
                elif _TIMEMAP.match(self.path) or _PLAYBACK.match(self.path):
                    kind = "timemap" if _TIMEMAP.match(self.path) else "playback"
                else:
                    kind = "other"
                window = "cdx" if kind == "timemap" else kind
                if server.latency:
                    time.sleep(server.latency)  # each request has its own thread
                if not server._admit(window, client, agent):
                    self._send(429, _TOO_MANY, "text/plain; charset=utf-8", {})
                    return
                if kind == "cdx":
                    self._cdx(parse_qs(parts.query))
                elif kind == "timemap":
                    self._timemap(self.path.split("/timemap/link/", 1)[1])
                elif kind == "playback":
                    match = _PLAYBACK.match(self.path)
                    assert match is not None
                    self._playback(match["coll"], match["ts"], match["url"])
                else:
                    self._send(404, b"not found\n", "text/plain", {})

            def _cdx(self, query: dict[str, list[str]]) -> None:
                url = query.get("url", [""])[0]
                snapshot = server.corpus.by_url.get(url)
                start = query.get("from", [""])[0]
                end = query.get("to", [""])[0]
                captures = [
                    c
                    for c in (snapshot.captures if snapshot else ())
                    if (not start or c.timestamp >= start.ljust(14, "0"))
                    and (not end or c.timestamp <= end.ljust(14, "9"))
                ]
                json_output = query.get("output", [""])[0] == "json"
                lines = []
                for n, capture in enumerate(captures):
                    fields = {
                        "urlkey": _urlkey(url),
                        "timestamp": capture.timestamp,
                        "url": url,
                        "mime": "text/html",
                        "status": "200",
                        "digest": capture.digest,
                        "length": str(len(capture.body) // 3 + 400),  # the record, compressed
                        "offset": str(n * 4096),
                        "filename": f"{COLLECTION}-{n // 10:05d}.warc.gz",
                    }
                    if json_output:
                        lines.append(json.dumps(fields))
                    else:
                        order = ("urlkey", "timestamp", "url", "mime", "status", "digest")
                        lines.append(" ".join([*(fields[k] for k in order), fields["length"]]))
                body = "".join(f"{line}\n" for line in lines).encode("utf-8")
                kind = "application/x-ndjson" if json_output else "text/plain"
                self._send(200, body, kind, {})

            def _timemap(self, url: str) -> None:
                snapshot = server.corpus.by_url.get(url)
                if snapshot is None:
                    self._send(404, b"not archived\n", "text/plain", {})
                    return
                links = [f'<{url}>; rel="original"']
                for capture in snapshot.captures:
                    when = datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S")
                    date = format_datetime(when.replace(tzinfo=UTC), usegmt=True)
                    links.append(
                        f'<{server.base}/{capture.timestamp}mp_/{url}>; rel="memento"; '
                        f'datetime="{date}"'
                    )
                self._send(200, ",\n".join(links).encode(), "application/link-format", {})

            def _playback(self, coll: str, timestamp: str, url: str) -> None:
                snapshot = server.corpus.by_url.get(url) if coll == COLLECTION else None
                capture = next(
                    (
                        c
                        for c in (snapshot.captures if snapshot else ())
                        if c.timestamp == timestamp
                    ),
                    None,
                )
                if snapshot is None or capture is None:
                    self._send(404, b"not archived\n", "text/plain", {})
                    return
                when = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
                server._served(url, capture.digest)
                self._send(
                    200,
                    capture.body,
                    "text/html; charset=utf-8",
                    {
                        "Memento-Datetime": format_datetime(when, usegmt=True),
                        "Link": f'<{url}>; rel="original"',
                    },
                )

        return Handler
