"""Links benchmark: snapverify's outbound link checks against a naive checker, on loopback.

A threaded origin on 127.0.0.1 serves, under many virtual host names
(``site-NN.bench.test``, resolved to 127.0.0.1 by this script and nothing else), the
pages that N articles link to: live pages (some of 2-4 MB; some servers refuse HEAD and
ignore ``Range``), 404s, 410s, redirects (one kind to the site's root), a slow page and
redirect loops. Articles share ~40 % of their links; some links are not HTTP at all.

1. snapverify: each article's Markdown local copy is read with ``read_markdown`` and its
   links go through ``audit_links`` with one ``LinkChecker`` for the run, the client
   ``make_client`` builds for ``snapverify check`` (``allow_private``, ``CheckOptions``'
   defaults) and a ``LinkCache`` in a new store; articles run 4 at a time, as
   ``CheckOptions.concurrency``. Run 2 is a new checker and client on the same store.
2. naive: ``requests.get(url, allow_redirects=True, timeout=10)`` on every HTTP link of
   every article, one after the other, no cache, the whole body read; run twice.

The origin counts requests and body bytes sent per path. Run by hand (see
benchmarks/README.md)::

    python benchmarks/links.py [--articles 20] [--links 30] [--shared 0.4] [--hosts 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DOMAIN = ".bench.test"
SLOW_SECONDS = 0.8
NAIVE_TIMEOUT = 10.0
CHUNK = 16384
# What each kind of target is, and whether a link to it is dead (the expected class).
KINDS: dict[str, tuple[str, bool]] = {
    "page": ("200, 10-60 KB, honours Range", False),
    "big": ("200, 2-4 MB, honours Range", False),
    "norange": ("HEAD 405; GET 200, 2-4 MB, ignores Range", False),
    "nohead": ("HEAD 405; GET 200, 10-60 KB", False),
    "moved": ("301 to another live page (2 requests)", False),
    "slow": (f"200 after {SLOW_SECONDS:g} s", False),
    "missing": ("404 (a 5 KB error page)", True),
    "gone": ("410", True),
    "retired": ("301 to the site's root", True),
    "loop": ("302 -> 302 -> back to itself", True),
}
# Weights of the kinds among the link targets (slow and loop are placed by hand).
WEIGHTS = {
    "page": 56,
    "big": 6,
    "norange": 4,
    "nohead": 5,
    "moved": 8,
    "missing": 12,
    "gone": 4,
    "retired": 5,
}
NON_HTTP = ("mailto:desk@news.example", "tel:+15555550100", "ftp://files.news.example/a.pdf")


# --- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Article:
    """One local copy: its URL and its links in order (HTTP and not)."""

    url: str
    links: tuple[str, ...]

    def markdown(self) -> str:
        """The local copy: front matter, then paragraphs holding the links."""
        paragraphs = []
        for n in range(0, len(self.links), 3):
            parts = [
                f"Sentence {n + k} of the story cites [source {n + k}]({link})."
                for k, link in enumerate(self.links[n : n + 3])
            ]
            paragraphs.append(" ".join(parts))
        body = "\n\n".join(paragraphs)
        return f"---\ntitle: Story\nurl: {self.url}\n---\n\n{body}\n"


@dataclass(frozen=True, slots=True)
class Corpus:
    """The articles and the kind of every HTTP link target."""

    articles: tuple[Article, ...]
    kind_of: dict[str, str] = field(hash=False, compare=False)  # HTTP URL -> kind

    @property
    def slots(self) -> list[tuple[int, str]]:
        """Every HTTP link of every article, as (article, url)."""
        return [
            (n, url) for n, a in enumerate(self.articles) for url in a.links if url in self.kind_of
        ]


def build_corpus(
    articles: int, links: int, shared: float, hosts: int, port: int, seed: int
) -> Corpus:
    """``articles`` × ``links`` links, ``shared`` of each article's from a common pool."""
    rng = random.Random(seed)
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    counter = Counter[str]()

    def target(kind: str) -> str:
        counter[kind] += 1
        host = f"site-{rng.randrange(hosts):02d}{DOMAIN}"
        return f"http://{host}:{port}/{kind}/{counter[kind]}"

    per_article_shared = round(links * shared)
    pool_size = max(per_article_shared, per_article_shared * articles // 4)
    pool = [target("slow"), target("loop")]
    pool += [target(k) for k in rng.choices(kinds, weights, k=pool_size - len(pool))]
    built = []
    for n in range(articles):
        own = links - per_article_shared - 1  # one non-HTTP link each
        chosen = rng.sample(pool, per_article_shared)
        chosen += [target(k) for k in rng.choices(kinds, weights, k=own)]
        if n % 5 == 0:
            chosen[-1] = target("loop")
        chosen.append(NON_HTTP[n % len(NON_HTTP)])
        rng.shuffle(chosen)
        built.append(Article(f"https://news.example/2024/story-{n}", tuple(chosen)))
    kind_of = {
        url: urlsplit(url).path.split("/")[1]
        for a in built
        for url in a.links
        if url.startswith("http")
    }
    return Corpus(tuple(built), kind_of)


# --- the origin ----------------------------------------------------------------------------


def _size(kind: str, ident: str) -> int:
    n = int(ident) if ident.isdigit() else len(ident)
    if kind in ("big", "norange"):
        return 2_000_000 + (n * 7919) % 2_000_001
    return 10_000 + (n * 1543) % 50_001


class Origin:
    """Every linked site on one free 127.0.0.1 port, told apart by the Host header."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def reset(self) -> None:
        with self._lock:
            self.requests: Counter[str] = Counter()  # by "host path"
            self.sent: Counter[str] = Counter()  # body bytes written, by "host path"
            self.methods: Counter[str] = Counter()

    def __enter__(self) -> Origin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                # A small send buffer, so "bytes sent" stays close to what a client that
                # hangs up early really read.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
                self._serve()

            def do_GET(self) -> None:  # noqa: N802
                self._serve()

            def _count(self, key: str, sent: int) -> None:
                with origin._lock:
                    origin.sent[key] += sent

            def _answer(
                self,
                key: str,
                status: int,
                size: int = 0,
                headers: dict[str, str] | None = None,
                *,
                ranges: bool = False,
            ) -> None:
                start, end = 0, size
                wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if ranges and status == 200 and wanted and size:
                    start = int(wanted[1])
                    end = min(size, int(wanted[2]) + 1 if wanted[2] else size)
                    status = 206
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(end - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command == "HEAD":
                    return
                block = (b"<p>" + b"lorem ipsum dolor sit amet " * 600 + b"</p>\n")[:CHUNK]
                left, sent = end - start, 0
                try:
                    while left > 0:
                        piece = block[: min(left, CHUNK)]
                        self.wfile.write(piece)
                        sent += len(piece)
                        left -= len(piece)
                except OSError:  # the client hung up after the bytes it wanted
                    self.close_connection = True
                self._count(key, sent)

            def _serve(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                path = urlsplit(self.path).path
                key = f"{host} {path}"
                with origin._lock:
                    origin.requests[key] += 1
                    origin.methods[self.command] += 1
                parts = path.strip("/").split("/")
                kind, ident = (parts + ["", ""])[:2]
                if path == "/":
                    self._answer(key, 200, 30_000, ranges=True)
                elif kind in ("page", "big"):
                    self._answer(key, 200, _size(kind, ident), ranges=True)
                elif kind in ("norange", "nohead"):
                    if self.command == "HEAD":
                        self._answer(key, 405, 0, {"Allow": "GET"})
                    else:
                        self._answer(key, 200, _size(kind, ident), ranges=kind == "nohead")
                elif kind == "moved" and len(parts) > 2:
                    self._answer(key, 200, _size(kind, ident), ranges=True)
                elif kind == "moved":
                    self._answer(key, 301, 0, {"Location": f"/moved/{ident}/new"})
                elif kind == "retired":
                    self._answer(key, 301, 0, {"Location": "/"})
                elif kind == "slow":
                    time.sleep(SLOW_SECONDS)
                    self._answer(key, 200, _size(kind, ident), ranges=True)
                elif kind == "loop":
                    there = f"/loop/{ident}" if len(parts) > 2 else f"/loop/{ident}/b"
                    self._answer(key, 302, 0, {"Location": there})
                elif kind == "gone":
                    self._answer(key, 410, 2_000)
                else:
                    self._answer(key, 404, 5_000)

        return Handler


def _loopback_only(original: Any) -> Any:
    """``socket.getaddrinfo`` that resolves the benchmark's host names to 127.0.0.1 and
    refuses every other name, so nothing in this run can reach another address."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == "127.0.0.1" or name.endswith(DOMAIN):
            return original("127.0.0.1", port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"links benchmark: {name} is not loopback")

    return getaddrinfo


# --- the clients ---------------------------------------------------------------------------


@dataclass
class Run:
    client: str
    wall: float
    requests: int
    sent: int  # body bytes the origin wrote
    read: int  # body bytes the client read
    dead: dict[tuple[int, str], bool]  # per HTTP link slot
    notes: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)  # requests per target kind
    sent_by_kind: Counter[str] = field(default_factory=Counter)
    busiest: int = 0  # requests to the busiest host


def _tally(run: Run, origin: Origin) -> None:
    for key, count in origin.requests.items():
        kind = key.split(" ", 1)[1].strip("/").split("/")[0] or "root"
        run.by_kind[kind] += count
        run.sent_by_kind[kind] += origin.sent[key]
    run.requests = sum(origin.requests.values())
    hosts = Counter[str]()
    for key, count in origin.requests.items():
        hosts[key.split(" ", 1)[0]] += count
    run.busiest = max(hosts.values(), default=0)
    run.sent = sum(origin.sent.values())


async def _snapverify(corpus: Corpus, store: Path) -> tuple[float, dict[str, Any], Any]:
    from snapverify.links import LinkCache, LinkChecker
    from snapverify.links.audit import audit_links
    from snapverify.pipeline.check import CheckOptions, make_client
    from snapverify.text.markdown import read_markdown

    options = CheckOptions()
    client = make_client(
        [],
        allow_private=True,
        allow_networks=options.allow_networks,
        timeout=options.timeout,
        deadline=options.deadline,
        rates=options.rates,
    )
    checker = LinkChecker(
        client=client, cache=LinkCache(store / "links"), ttl=options.link_cache_ttl
    )
    gate = asyncio.Semaphore(options.concurrency)
    published = datetime(2024, 1, 1, tzinfo=UTC)

    async def one(article: Article) -> Any:
        async with gate:
            local = read_markdown(article.markdown(), url=article.url)
            return await audit_links(
                local, candidates=(), checker=checker, archives=(), published=published
            )

    async with client:
        start = time.perf_counter()
        audits = await asyncio.gather(*(one(a) for a in corpus.articles))
        wall = time.perf_counter() - start
    rows = {n: {r.url: r for r in audit.rows} for n, audit in enumerate(audits)}
    return wall, rows, client.stats


def run_snapverify(label: str, corpus: Corpus, origin: Origin, store: Path) -> Run:
    from snapverify.links import is_dead

    origin.reset()
    wall, rows, stats = asyncio.run(_snapverify(corpus, store))
    dead = {(n, url): is_dead(rows[n][url].outcome) for n, url in corpus.slots}
    run = Run(label, wall, 0, 0, stats.bytes, dead)
    _tally(run, origin)
    distinct = {url: row for n in rows for url, row in rows[n].items() if url}
    outcomes = Counter(str(row.outcome) for row in distinct.values())
    cached = sum(1 for row in distinct.values() if row.cached)
    if run.requests:
        from snapverify.fetch.http import DEFAULT_RATES

        rate = DEFAULT_RATES["live"]  # "links" has no rate of its own and uses "live"'s
        floor = (run.busiest - 1) * rate.per / rate.n
        run.notes.append(
            f"{label}: the busiest host got {run.busiest} requests; at snapverify's "
            f"{rate.n / rate.per:g} requests a second per host they take at least "
            f"{floor:.1f} s (wall {run.wall:.1f} s)"
        )
    run.notes.append(
        f"{label}: {len(distinct)} distinct links: "
        + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))
        + f"; {cached} read from the link cache; client requests {stats.requests}"
    )
    return run


def run_naive(label: str, corpus: Corpus, origin: Origin) -> Run:
    import requests

    origin.reset()
    dead: dict[tuple[int, str], bool] = {}
    read = 0
    errors = Counter[str]()
    start = time.perf_counter()
    for n, article in enumerate(corpus.articles):
        # What such scripts do: pull the http(s) links out of the text, get each in turn.
        text = article.markdown()
        for url in re.findall(r"\]\((https?://[^)\s]+)\)", text):
            try:
                answer = requests.get(url, allow_redirects=True, timeout=NAIVE_TIMEOUT)
            except requests.RequestException as exc:
                errors[type(exc).__name__] += 1
                dead[(n, url)] = True
                continue
            read += len(answer.content)
            dead[(n, url)] = answer.status_code >= 400
    wall = time.perf_counter() - start
    run = Run(label, wall, 0, 0, read, dead)
    _tally(run, origin)
    if errors:
        run.notes.append(
            f"{label}: exceptions counted as dead: "
            + ", ".join(f"{n} {e}" for e, n in sorted(errors.items()))
        )
    return run


# --- report --------------------------------------------------------------------------------


def _mb(value: int) -> str:
    return f"{value / 1e6:.1f}"


def print_table(corpus: Corpus, runs: list[Run]) -> None:
    reference = runs[0].dead
    truth = {slot: KINDS[corpus.kind_of[slot[1]]][1] for slot in corpus.slots}
    header = (
        f"{'client':<22} {'wall s':>7} {'requests':>9} {'MB sent':>8} {'MB read':>8} "
        f"{'dead/alive':>11} {'= sv run 1':>11} {'= expected':>11}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        dead = sum(run.dead.values())
        same = sum(run.dead[s] == reference[s] for s in reference)
        right = sum(run.dead[s] == truth[s] for s in truth)
        classes = f"{dead}/{len(run.dead) - dead}"
        print(
            f"{run.client:<22} {run.wall:>7.2f} {run.requests:>9} {_mb(run.sent):>8} "
            f"{_mb(run.read):>8} {classes:>11} {f'{same}/{len(reference)}':>11} "
            f"{f'{right}/{len(truth)}':>11}"
        )


def print_kinds(corpus: Corpus, runs: list[Run]) -> None:
    urls = Counter(corpus.kind_of.values())
    links = Counter(corpus.kind_of[url] for _n, url in corpus.slots)
    names = "".join(f" {run.client.replace('snapverify', 'sv'):>14}" for run in runs)
    header = f"{'target':<9} {'what the origin answers':<42} {'URLs':>5} {'links':>6}{names}"
    print("Requests / MB sent by the origin, per kind of target:")
    print(header)
    print("-" * len(header))

    def cells(kind: str) -> str:
        return "".join(
            f" {f'{run.by_kind[kind]} / {_mb(run.sent_by_kind[kind])}':>14}" for run in runs
        )

    for kind, (what, _dead) in KINDS.items():
        print(f"{kind:<9} {what:<42} {urls[kind]:>5} {links[kind]:>6}{cells(kind)}")
    what = "the site root, after a redirect"
    print(f"{'(root)':<9} {what:<42} {'':>5} {'':>6}{cells('root')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20, help="articles (local copies)")
    parser.add_argument("--links", type=int, default=30, help="links per article")
    parser.add_argument("--shared", type=float, default=0.4, help="share of links from a pool")
    parser.add_argument("--hosts", type=int, default=40, help="distinct linked sites")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.articles, args.links - 2, args.hosts) < 1 or not 0 <= args.shared < 1:
        parser.error("--articles and --hosts must be positive, --links > 2, 0 <= --shared < 1")

    resolve = socket.getaddrinfo
    socket.getaddrinfo = _loopback_only(resolve)
    try:
        return _run(args)
    finally:
        socket.getaddrinfo = resolve


def _run(args: argparse.Namespace) -> int:
    with Origin() as origin, tempfile.TemporaryDirectory(prefix="snapverify-links-") as tmp:
        corpus = build_corpus(
            args.articles, args.links, args.shared, args.hosts, origin.port, args.seed
        )
        slots = corpus.slots
        other = sum(len(a.links) for a in corpus.articles) - len(slots)
        print(
            f"Origin: 127.0.0.1:{origin.port}, {args.hosts} host names *{DOMAIN}; "
            f"{len(corpus.articles)} articles x {args.links} links = {len(slots)} HTTP links "
            f"to {len(corpus.kind_of)} distinct URLs (+ {other} non-HTTP links, not fetched "
            f"by either); ~{args.shared:.0%} of each article's links from a shared pool."
        )
        print()
        store = Path(tmp) / "store"
        runs = [
            run_snapverify("snapverify, run 1", corpus, origin, store),
            run_snapverify("snapverify, run 2", corpus, origin, store),
            run_naive("naive, run 1", corpus, origin),
            run_naive("naive, run 2", corpus, origin),
        ]
    print_table(corpus, runs)
    print()
    print_kinds(corpus, runs)
    print()
    for run in runs:
        for note in run.notes:
            print(note)
    first, naive = runs[0], runs[2]
    differ = Counter(corpus.kind_of[s[1]] for s in slots if first.dead[s] != naive.dead[s])
    for kind, n in sorted(differ.items()):
        example = next(s for s in slots if corpus.kind_of[s[1]] == kind)
        print(
            f"snapverify and naive differ on {n} link(s) to '{kind}' targets "
            f"({KINDS[kind][0]}): snapverify {'dead' if first.dead[example] else 'alive'}, "
            f"naive {'dead' if naive.dead[example] else 'alive'}"
        )
    if not differ:
        print("snapverify and naive agree on every link.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
