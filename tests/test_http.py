"""fetch/http.py against real loopback servers (and MockTransport where no socket is needed).

Names resolve through a stub: ``origin.test`` is 127.0.0.1, ``internal.test`` is 10.0.0.1.
The fake clock's sleep advances it without waiting, so pauses of a minute take no time.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import hashlib
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpcore
import httpx
import pytest

from loopback import LoopbackServer, Seen, reset, respond
from snapverify import __version__
from snapverify.errors import AddressRefused, FetchError, RateLimited
from snapverify.fetch.http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_RATES,
    USER_AGENT,
    Hop,
    HttpClient,
    Rate,
    Response,
)
from snapverify.fetch.policy import AddressPolicy
from support import FakeClock

NAMES = {"origin.test": ["127.0.0.1"], "internal.test": ["10.0.0.1"]}


class StubResolver:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"stub: unknown host {host}")
        return list(NAMES[host])


def client(clock: FakeClock | None = None, **options: Any) -> HttpClient:
    clock = clock or FakeClock()
    options.setdefault("policy", AddressPolicy(allow_private=True, resolver=StubResolver()))
    options.setdefault("rates", {})
    options.setdefault("timeout", 5.0)
    options.setdefault("deadline", 10.0)
    return HttpClient(clock=clock, sleep=clock.sleep, **options)


def run(make: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(make())  # type: ignore[arg-type]


async def fetch(http: HttpClient, url: str, **options: Any) -> Response:
    async with http:
        return await http.get(url, **options)


def b32sha1(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[Seen, socket.socket], None]], LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handler: Callable[[Seen, socket.socket], None]) -> LoopbackServer:
        server = LoopbackServer(handler).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def scripted(
    *steps: Callable[[Seen, socket.socket], None],
) -> Callable[[Seen, socket.socket], None]:
    """A handler playing ``steps`` in order, the last one for every later request."""
    count = iter(range(10**6))

    def handler(request: Seen, conn: socket.socket) -> None:
        steps[min(next(count), len(steps) - 1)](request, conn)

    return handler


def ok(body: bytes = b"fine", *headers: tuple[str, str]) -> Callable[[Seen, socket.socket], None]:
    return lambda request, conn: respond(conn, 200, headers, body)


def status(code: int, *headers: tuple[str, str]) -> Callable[[Seen, socket.socket], None]:
    return lambda request, conn: respond(conn, code, headers, b"status page")


# -- bodies -------------------------------------------------------------------------------


def test_gzip_body_is_decoded_and_both_digests_kept(serve: Any) -> None:
    plain = b"<p>hello</p>" * 1000
    packed = gzip.compress(plain)
    server = serve(ok(packed, ("Content-Encoding", "gzip"), ("Content-Type", "text/html")))
    http = client()
    response = run(lambda: fetch(http, server.url("/page", host="origin.test")))
    assert response.status == 200
    assert response.content == plain
    assert response.raw_sha1 == b32sha1(packed)
    assert response.sha1 == b32sha1(plain)
    assert response.header("CONTENT-ENCODING") == "gzip"
    assert ("content-type", "text/html") in response.headers
    assert response.history == ()
    assert http.stats.requests == 1 and http.stats.bytes == len(packed)
    request = server.seen[0]
    assert request.header("host") == f"origin.test:{server.port}"
    assert request.header("accept-encoding") == "gzip, deflate"


def test_user_agent_names_the_version(serve: Any) -> None:
    server = serve(ok())
    run(lambda: fetch(client(), server.url()))
    assert __version__ in (server.seen[0].header("user-agent") or "")
    assert server.seen[0].header("user-agent") == USER_AGENT


def test_truncated_body_is_an_error_and_retried(serve: Any) -> None:
    def short(request: Seen, conn: socket.socket) -> None:
        respond(conn, 200, body=b"x" * 10, content_length=100)

    server = serve(short)
    clock = FakeClock()
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(clock), server.url()))
    assert caught.value.reason == "truncated"
    assert caught.value.outcome == "unreachable"
    assert len(server.seen) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_decompression_bomb_is_cut_at_max_bytes(serve: Any) -> None:
    bomb = gzip.compress(bytes(8 * 1024 * 1024))
    assert len(bomb) < 20 * 1024
    server = serve(ok(bomb, ("Content-Encoding", "gzip")))
    http = client(max_bytes=1024 * 1024)
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(http, server.url()))
    assert caught.value.reason == "too_large"
    assert len(server.seen) == 1  # not retried


@functools.cache
def big_bomb() -> bytes:
    """200 MiB of zeros as about 200 KiB of gzip."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    return b"".join([*(packer.compress(zeros) for _ in range(200)), packer.flush()])


def test_default_cap_stops_a_200_mib_bomb_quickly(serve: Any) -> None:
    bomb = big_bomb()
    assert len(bomb) < 256 * 1024
    server = serve(ok(bomb, ("Content-Encoding", "gzip")))
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(), server.url()))
    assert caught.value.reason == "too_large"
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024
    assert time.monotonic() - started < 2


def test_keep_reads_only_the_first_bytes_of_a_server_that_ignores_range(serve: Any) -> None:
    page = bytes(range(256)) * 16 * 1024  # 4 MiB, sent whole whatever the request says
    server = serve(ok(page, ("Content-Type", "application/octet-stream")))
    http = client()
    response = run(lambda: fetch(http, server.url("/big"), headers={"Range": "bytes=0-999"}))
    assert response.content == page and not response.partial  # read whole: 4 MiB received
    http = client()
    response = run(lambda: fetch(http, server.url("/big"), keep=1000))
    assert response.partial and response.content == page[:1000]
    assert response.status == 200
    # Far less than the page came in: reading stopped, and the connection was closed.
    assert http.stats.bytes == 1000


def test_keep_decodes_a_coded_body_as_far_as_it_goes(serve: Any) -> None:
    lines = (hashlib.sha256(str(i).encode()).hexdigest() for i in range(5000))
    text = "".join(f"<p>{line}</p>\n" for line in lines).encode()  # gzip keeps ~half
    packed = gzip.compress(text)
    server = serve(ok(packed, ("Content-Encoding", "gzip")))
    http = client()
    response = run(lambda: fetch(http, server.url(), keep=4096))
    assert response.partial and http.stats.bytes == 4096
    assert 0 < len(response.content) < len(text) and text.startswith(response.content)


def test_a_body_shorter_than_keep_is_whole(serve: Any) -> None:
    server = serve(ok(b"short page"))
    response = run(lambda: fetch(client(), server.url(), keep=1000))
    assert response.content == b"short page" and not response.partial


def test_three_stacked_encodings_are_refused(serve: Any) -> None:
    body = gzip.compress(gzip.compress(gzip.compress(b"deep")))
    server = serve(ok(body, ("Content-Encoding", "gzip, gzip"), ("Content-Encoding", "gzip")))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(), server.url()))
    assert caught.value.reason == "encoding"
    assert len(server.seen) == 1


def encoded(coding: str, body: bytes) -> Callable[[httpx.Request], httpx.Response]:
    """A MockTransport handler answering ``body`` as sent (stream=, so httpx leaves it raw)."""
    headers = {"Content-Encoding": coding}
    return lambda request: httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


def mock(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> HttpClient:
    return client(transport=httpx.MockTransport(handler), **options)


@pytest.mark.parametrize(
    ("coding", "packed"),
    [
        ("deflate, gzip", gzip.compress(zlib.compress(b"two layers"))),
        ("deflate", zlib.compress(b"two layers")[2:-4]),  # raw deflate, no zlib wrapper
        ("x-gzip", gzip.compress(b"two layers")),
        ("identity", b"two layers"),
    ],
)
def test_supported_encodings(coding: str, packed: bytes) -> None:
    http = mock(encoded(coding, packed))
    response = run(lambda: fetch(http, "http://origin.test/"))
    assert response.content == b"two layers"
    assert response.raw_sha1 == b32sha1(packed)


def test_mock_answers_made_with_content_keep_their_raw_bytes() -> None:
    packed = gzip.compress(b"as archived")
    http = mock(lambda r: httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=packed))
    response = run(lambda: fetch(http, "http://origin.test/"))
    assert response.content == b"as archived"
    assert response.raw_sha1 == b32sha1(packed) and response.sha1 == b32sha1(b"as archived")


def test_brotli_when_available() -> None:
    brotli = pytest.importorskip("brotli")
    packed = brotli.compress(b"squeezed " * 100)
    http = mock(encoded("br", packed))
    assert run(lambda: fetch(http, "http://origin.test/")).content == b"squeezed " * 100
    cut = packed[: len(packed) // 2]
    http = mock(encoded("br", cut), retries=1)
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(http, "http://origin.test/"))
    assert caught.value.reason == "truncated"


@pytest.mark.parametrize(
    ("coding", "body", "reason"),
    [
        ("zstd", b"whatever", "encoding"),
        ("gzip", b"not gzip at all", "encoding"),
        ("gzip", gzip.compress(b"cut short" * 100)[:-30], "truncated"),
    ],
)
def test_bad_encodings(coding: str, body: bytes, reason: str) -> None:
    http = mock(encoded(coding, body))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(http, "http://origin.test/", method="GET"))
    assert caught.value.reason == reason


# -- 429 ----------------------------------------------------------------------------------


def stamp(clock: FakeClock, step: Callable[[Seen, socket.socket], None]) -> Any:
    """A step that notes the fake time its request arrived at."""

    def handler(request: Seen, conn: socket.socket) -> None:
        request.extra["fake"] = clock.now
        step(request, conn)

    return handler


def http_date_in(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [("30", 30.0), (None, 60.0), ("date+120", 120.0)],
    ids=["seconds", "default", "http-date"],
)
def test_429_pauses_the_host_then_tries_once_more(
    serve: Any, retry_after: str | None, wait: float
) -> None:
    if retry_after == "date+120":
        retry_after = http_date_in(120)
    clock = FakeClock()
    headers = [("Retry-After", retry_after)] if retry_after else []
    server = serve(scripted(stamp(clock, status(429, *headers)), stamp(clock, ok(b"archive"))))
    http = client(clock)
    response = run(lambda: fetch(http, server.url("/cdx"), endpoint="cdx"))
    assert response.status == 200 and response.content == b"archive"
    assert len(server.seen) == 2
    assert clock.sleeps == [pytest.approx(wait, abs=2)]
    # No immediate retry: the second request arrived after the pause, in fake time.
    first, second = (r.extra["fake"] for r in server.seen)
    assert second - first >= wait - 2  # type: ignore[operator]
    assert http.stats.rate_limited == 1 and not http.stopped("127.0.0.1")


def test_second_429_stops_the_host_for_good(serve: Any) -> None:
    clock = FakeClock()
    server = serve(status(429))
    http = client(clock)

    async def scenario() -> list[BaseException]:
        errors: list[BaseException] = []
        async with http:
            for endpoint in ("cdx", "cdx", "playback", "live"):
                try:
                    await http.get(server.url("/x"), endpoint=endpoint)
                except RateLimited as exc:
                    errors.append(exc)
        return errors

    errors = run(scenario)
    assert len(errors) == 4
    assert all(isinstance(e, RateLimited) and e.retry_after == 60.0 for e in errors)
    assert len(server.seen) == 2  # later requests never reached the server
    assert clock.sleeps == [60.0]
    assert http.stopped("127.0.0.1") and http.stats.rate_limited == 2


def test_retry_after_above_the_cap_stops_at_once(serve: Any) -> None:
    clock = FakeClock()
    server = serve(status(429, ("Retry-After", "3600")))
    http = client(clock, retry_after_cap=300.0)
    with pytest.raises(RateLimited) as caught:
        run(lambda: fetch(http, server.url(), endpoint="playback"))
    assert caught.value.retry_after == 3600.0 and caught.value.status == 429
    assert len(server.seen) == 1 and clock.sleeps == []
    assert http.stopped("127.0.0.1")


def test_429_on_a_live_page_is_an_answer(serve: Any) -> None:
    server = serve(status(429))
    http = client()
    response = run(lambda: fetch(http, server.url(), endpoint="live"))
    assert response.status == 429 and len(server.seen) == 1
    assert not http.stopped("127.0.0.1")


def test_archived_429_is_a_capture_not_a_rate_limit(serve: Any) -> None:
    clock = FakeClock()
    server = serve(status(429, ("Memento-Datetime", "Thu, 29 Jan 2015 03:49:04 GMT")))
    http = client(clock)
    response = run(lambda: fetch(http, server.url(), endpoint="playback"))
    assert response.status == 429 and len(server.seen) == 1 and clock.sleeps == []
    assert http.stats.rate_limited == 0 and not http.stopped("127.0.0.1")


def test_429_pause_holds_back_other_endpoints_of_the_host() -> None:
    clock = FakeClock()
    arrivals: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append((request.url.path, clock.now))
        if request.url.path == "/cdx" and len(arrivals) == 1:
            return httpx.Response(429, headers={"Retry-After": "10"})
        return httpx.Response(200)

    http = mock(handler, clock=clock)

    async def scenario() -> None:
        async with http:
            await http.get("http://origin.test/cdx", endpoint="cdx")
            await http.get("http://origin.test/raw", endpoint="playback")

    start = clock.now
    run(scenario)
    assert [path for path, _ in arrivals] == ["/cdx", "/cdx", "/raw"]
    assert arrivals[1][1] - start >= 10 and arrivals[2][1] - start >= 10


# -- retries ------------------------------------------------------------------------------


def test_503_then_200_is_retried_with_backoff(serve: Any) -> None:
    clock = FakeClock()
    server = serve(scripted(status(503), ok(b"back")))
    http = client(clock)
    response = run(lambda: fetch(http, server.url()))
    assert response.status == 200 and response.content == b"back"
    assert len(server.seen) == 2 and clock.sleeps == [1.0] and http.stats.retries == 1


def test_5xx_every_time_returns_the_last_answer(serve: Any) -> None:
    clock = FakeClock()
    server = serve(status(502))
    response = run(lambda: fetch(client(clock, backoff=0.5), server.url()))
    assert response.status == 502
    assert len(server.seen) == 3 and clock.sleeps == [0.5, 1.0]


def test_archived_503_is_not_retried(serve: Any) -> None:
    clock = FakeClock()
    server = serve(status(503, ("Memento-Datetime", "Mon, 28 May 2012 01:02:03 GMT")))
    response = run(lambda: fetch(client(clock), server.url(), endpoint="playback"))
    assert response.status == 503
    assert len(server.seen) == 1 and clock.sleeps == []


def test_reset_then_success(serve: Any) -> None:
    clock = FakeClock()
    server = serve(scripted(lambda request, conn: reset(conn), ok(b"second time")))
    response = run(lambda: fetch(client(clock), server.url()))
    assert response.content == b"second time"
    assert len(server.seen) == 2 and clock.sleeps == [1.0]


def test_reset_every_time_gives_up_after_the_bounded_tries(serve: Any) -> None:
    clock = FakeClock()
    server = serve(lambda request, conn: reset(conn))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(clock), server.url()))
    assert caught.value.reason == "reset" and caught.value.outcome == "unreachable"
    assert len(server.seen) == 3 and clock.sleeps == [1.0, 2.0]


def test_connection_refused_is_connect() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(clock, retries=2), f"http://127.0.0.1:{port}/"))
    assert caught.value.reason == "connect" and clock.sleeps == [1.0]


def test_unknown_name_is_dns_and_not_retried() -> None:
    resolver = StubResolver()
    clock = FakeClock()
    http = client(clock, policy=AddressPolicy(allow_private=True, resolver=resolver))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(http, "http://nowhere.test/"))
    assert caught.value.reason == "dns" and caught.value.outcome == "unreachable"
    assert caught.value.url == "http://nowhere.test/"
    assert resolver.calls == [("nowhere.test", 80)] and clock.sleeps == []


def test_tls_failure_is_tls(serve: Any) -> None:
    server = serve(ok())  # speaks plain HTTP to a TLS handshake
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(retries=1), f"https://127.0.0.1:{server.port}/"))
    assert caught.value.reason == "tls"


def test_slow_drip_is_cut_at_the_deadline(serve: Any) -> None:
    def drip(request: Seen, conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while not server.stopping.wait(0.25):
            conn.sendall(b"x")

    server = serve(drip)
    clock = FakeClock()
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(clock, deadline=0.6, timeout=5.0), server.url()))
    assert caught.value.reason == "deadline" and caught.value.outcome == "unreachable"
    assert 0.5 < time.monotonic() - started < 2
    assert len(server.seen) == 1


# -- redirects ----------------------------------------------------------------------------


def redirects(routes: dict[str, tuple[int, str]]) -> Callable[[Seen, socket.socket], None]:
    def handler(request: Seen, conn: socket.socket) -> None:
        if request.path in routes:
            code, location = routes[request.path]
            location = location.replace("{port}", str(conn.getsockname()[1]))
            respond(conn, code, [("Location", location)])
        else:
            respond(conn, 200, body=b"landed at " + request.path.encode())

    return handler


def test_redirect_chain_is_followed_hop_by_hop(serve: Any) -> None:
    server = serve(redirects({"/a": (302, "/b"), "/b": (301, "http://origin.test:{port}/c")}))
    http = client()
    response = run(lambda: fetch(http, server.url("/a"), follow_redirects=True))
    assert response.content == b"landed at /c"
    assert response.url == f"http://origin.test:{server.port}/c"
    assert response.history == (
        Hop(server.url("/a"), 302, server.url("/b")),
        Hop(server.url("/b"), 301, f"http://origin.test:{server.port}/c"),
    )
    assert [r.path for r in server.seen] == ["/a", "/b", "/c"]


def test_redirect_not_followed_unless_asked(serve: Any) -> None:
    server = serve(redirects({"/a": (302, "/b")}))
    response = run(lambda: fetch(client(), server.url("/a")))
    assert response.status == 302 and response.location == server.url("/b")
    assert len(server.seen) == 1


def test_redirect_loop_is_an_outcome(serve: Any) -> None:
    server = serve(redirects({"/x": (302, "/y"), "/y": (302, "/x")}))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(), server.url("/x"), follow_redirects=True))
    assert caught.value.outcome == "redirect_loop" and caught.value.reason == "loop"
    assert len(server.seen) == 2


@pytest.mark.parametrize(("hops", "ok_"), [(10, True), (11, False)])
def test_redirect_hops_are_capped(serve: Any, hops: int, ok_: bool) -> None:
    server = serve(redirects({f"/r{i}": (307, f"/r{i + 1}") for i in range(hops)}))
    if ok_:
        response = run(lambda: fetch(client(), server.url("/r0"), follow_redirects=True))
        assert response.content == f"landed at /r{hops}".encode()
        assert len(response.history) == hops
    else:
        with pytest.raises(FetchError) as caught:
            run(lambda: fetch(client(), server.url("/r0"), follow_redirects=True))
        assert caught.value.outcome == "redirect_loop"
        assert caught.value.reason == "too_many_redirects"
        assert len(server.seen) == 11


def test_redirect_to_a_private_address_is_refused_before_connecting(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected: list[str] = []
    real_connect = httpcore.AnyIOBackend.connect_tcp

    async def recording(self: httpcore.AnyIOBackend, host: str, port: int, **kw: Any) -> Any:
        connected.append(host)
        return await real_connect(self, host, port, **kw)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", recording)
    server = serve(redirects({"/": (302, "http://internal.test:{port}/admin")}))
    with pytest.raises(AddressRefused) as caught:
        run(lambda: fetch(client(), server.url("/", host="origin.test"), follow_redirects=True))
    assert "internal.test" in str(caught.value) and "10.0.0.1" in str(caught.value)
    assert connected == ["127.0.0.1"]
    assert len(server.seen) == 1


def test_numeric_host_spelling_is_resolved_then_decided(serve: Any) -> None:
    server = serve(ok(b"loopback"))
    url = f"http://2130706433:{server.port}/"
    assert run(lambda: fetch(client(), url)).content == b"loopback"
    with pytest.raises(AddressRefused):
        run(lambda: fetch(client(policy=AddressPolicy(resolver=StubResolver())), url))
    assert len(server.seen) == 1


def test_redirect_to_file_is_refused_as_not_http(serve: Any) -> None:
    server = serve(redirects({"/": (302, "file:///etc/passwd")}))
    with pytest.raises(FetchError) as caught:
        run(lambda: fetch(client(), server.url(), follow_redirects=True))
    assert caught.value.outcome == "error" and caught.value.reason == "scheme"
    assert len(server.seen) == 1
    with pytest.raises(AddressRefused, match="not HTTP"):
        run(lambda: fetch(client(), "file:///etc/passwd"))


def test_injected_transport_still_checks_every_hop() -> None:
    resolver = StubResolver()
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://internal.test/secret"})

    http = mock(handler, policy=AddressPolicy(allow_private=True, resolver=resolver))
    with pytest.raises(AddressRefused):
        run(lambda: fetch(http, "http://origin.test/", follow_redirects=True))
    assert paths == ["http://origin.test/"]
    assert resolver.calls == [("origin.test", 80), ("internal.test", 80)]


# -- rate limits --------------------------------------------------------------------------


def test_concurrent_requests_share_the_rate_limit(serve: Any) -> None:
    clock = FakeClock()
    server = serve(stamp(clock, ok()))
    http = client(clock, rates={"live": Rate(2, 1)})
    start = clock.now

    async def scenario() -> None:
        async with http:
            await asyncio.gather(*(http.get(server.url(f"/{i}")) for i in range(10)))

    run(scenario)
    assert clock.now - start >= 4.5
    assert len(server.seen) == 10
    arrived = sorted(r.extra["fake"] - start for r in server.seen)  # type: ignore[operator]
    for k, at in enumerate(arrived):
        assert at >= 0.5 * k - 1e-9  # the k-th arrival came no sooner than k spacings
    assert http.stats.requests == 10 and http.stats.by_endpoint["live"] == 10


def test_rate_limits_are_per_endpoint_and_host() -> None:
    clock = FakeClock()
    http = mock(lambda r: httpx.Response(200), clock=clock, rates={"cdx": Rate(1, 10)})

    async def scenario() -> None:
        async with http:
            await http.get("http://origin.test/1", endpoint="cdx")
            await http.get("http://origin.test/2", endpoint="playback")  # no rate: no wait
            await http.get("http://127.0.0.1/3", endpoint="cdx")  # another host: no wait
            assert clock.sleeps == []
            await http.get("http://origin.test/4", endpoint="cdx")

    run(scenario)
    assert clock.sleeps == [10.0]


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("24/min", Rate(24, 60)),
        ("8/s", Rate(8, 1)),
        ("100/h", Rate(100, 3600)),
        ("2/5s", Rate(2, 5)),
        (" 3 / 2 minutes ", Rate(3, 120)),
    ],
)
def test_rate_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "0/s", "3/0s", "3/fortnight", "-1/s", "2"])
def test_rate_parse_refuses_junk(text: str) -> None:
    with pytest.raises(ValueError):
        Rate.parse(text)


def test_default_rates() -> None:
    assert {"cdx": Rate(24, 60), "playback": Rate(8, 1), "live": Rate(2, 1)} == DEFAULT_RATES
    assert Rate(8, 1).interval == 0.125


def test_response_helpers() -> None:
    response = Response(
        url="http://origin.test/a/b",
        status=301,
        headers=(("location", "../c"), ("x", "1"), ("x", "2")),
        content=b"",
        raw_sha1=b32sha1(b""),
        sha1=b32sha1(b""),
    )
    assert response.location == "http://origin.test/c"
    assert response.header("X") == "1" and response.header("missing") is None


def test_head_with_content_length_and_no_body(serve: Any) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\nContent-Encoding: zstd\r\n\r\n"
    server = serve(lambda request, conn: conn.sendall(head))
    response = run(lambda: fetch(client(), server.url(), method="HEAD"))
    assert response.status == 200 and response.content == b""
    assert server.seen[0].method == "HEAD"


@pytest.mark.parametrize(
    "location", ["javascript:alert(1)", " JaVa\tScRiPt:x", "mailto:a@b.c", "http://[::1", "data:,x"]
)
def test_a_hostile_location_is_an_answer_or_a_clean_refusal(location: str) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(302, headers={"Location": location}, content=b"moved")

    # Not following: the 302 itself is the answer, whatever its Location says.
    response = run(lambda: fetch(mock(handler), "http://origin.test/"))
    assert response.status == 302
    # Following: a clear refusal or error (or the 302 itself when the Location is no URL
    # at all), never another request and never a crash.
    try:
        followed = run(lambda: fetch(mock(handler), "http://origin.test/", follow_redirects=True))
        assert location.startswith("http://[") and followed.status == 302
    except (FetchError, AddressRefused):
        pass
    assert asked == ["http://origin.test/", "http://origin.test/"]
