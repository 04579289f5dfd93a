"""The one HTTP client: address policy, rate limits, retries, capped bodies, a deadline.

Every request snapverify makes goes through ``HttpClient.get``. It follows redirects hop by
hop (re-checking the address policy each time), spaces requests per endpoint and host, backs
off on faults, stops asking a host that keeps answering 429, and reads bodies as raw bytes,
decoding ``Content-Encoding`` itself so that the decoded size can be capped while streaming.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib
import logging
import math
import re
import ssl
import time
import urllib.parse
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

from snapverify._version import __version__
from snapverify.errors import FetchError, RateLimited, SnapverifyError
from snapverify.fetch.policy import AddressPolicy, PolicyBackend

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_RATES",
    "USER_AGENT",
    "Hop",
    "HttpClient",
    "Rate",
    "Response",
    "Stats",
]

logger = logging.getLogger(__name__)

USER_AGENT = f"snapverify/{__version__} (+https://github.com/snapverify/snapverify)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_RETRYABLE = frozenset({"timeout", "connect", "reset", "truncated"})
# 429s from these endpoints pause and then stop the host; elsewhere the caller classifies them.
_ARCHIVE_ENDPOINTS = frozenset({"cdx", "playback"})
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*", re.IGNORECASE)
_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
}


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate limit: ``n`` requests per ``per`` seconds, spaced evenly."""

    n: int
    per: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """Parse ``"24/min"``, ``"8/s"``, ``"100/h"`` or ``"2/5s"``.

        Args:
            text: the rate as written on the command line.

        Returns:
            The rate.

        Raises:
            ValueError: the text is not a rate.
        """
        match = _RATE.fullmatch(text)
        unit = _UNITS.get(match.group(3).lower()) if match else None
        if match is None or unit is None:
            raise ValueError(f"not a rate: {text!r} (try 24/min, 8/s, 100/h or 2/5s)")
        n = int(match.group(1))
        per = float(match.group(2) or 1) * unit
        if n <= 0 or per <= 0:
            raise ValueError(f"not a rate: {text!r} (both numbers must be positive)")
        return cls(n, per)

    @property
    def interval(self) -> float:
        """Seconds between the starts of two requests."""
        return self.per / self.n


DEFAULT_RATES: dict[str, Rate] = {
    "cdx": Rate(24, 60),
    "playback": Rate(8, 1),
    "live": Rate(2, 1),
}


@dataclass(frozen=True, slots=True)
class Hop:
    """A redirect that was followed."""

    url: str
    status: int
    location: str | None


@dataclass(frozen=True, slots=True)
class Response:
    """A complete response whose body was read (and decoded) whole."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    raw_sha1: str
    sha1: str
    history: tuple[Hop, ...] = ()

    def header(self, name: str) -> str | None:
        """The first value of a header, or None (names compare case-insensitively)."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def location(self) -> str | None:
        """The ``Location`` header made absolute against ``url``, or None."""
        value = self.header("location")
        if value is None or not value.strip():
            return None
        return urllib.parse.urljoin(self.url, value.strip())


@dataclass(slots=True)
class Stats:
    """Counters of one client's life (mutable: the client updates them)."""

    requests: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    retries: int = 0
    bytes: int = 0


class _Budget:
    """Network time left for one ``get`` call."""

    __slots__ = ("remaining",)

    def __init__(self, seconds: float) -> None:
        self.remaining = seconds


class _Limiter:
    """Spacing per (endpoint, host) and pauses per host, shared by concurrent tasks."""

    def __init__(
        self,
        rates: Mapping[str, Rate],
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._rates = rates
        self._clock = clock
        self._sleep = sleep
        self._next: dict[tuple[str, str], float] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._paused: dict[str, float] = {}

    def pause(self, host: str, until: float) -> None:
        self._paused[host] = max(until, self._paused.get(host, until))

    async def wait(self, endpoint: str, host: str) -> None:
        # An endpoint without its own rate (e.g. "links") goes to origin sites like "live".
        rate = self._rates.get(endpoint, self._rates.get("live"))
        key = (endpoint, host)
        lock = self._locks.setdefault(key, asyncio.Lock())
        # Holding the lock while sleeping queues the waiters: starts stay evenly spaced.
        async with lock:
            while True:
                now = self._clock()
                ready = max(self._next.get(key, now), self._paused.get(host, now))
                if ready <= now:
                    break
                await self._sleep(ready - now)
            if rate is not None:
                self._next[key] = now + rate.interval


def _retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if value is None or not value.strip():
        return default
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return default
    return max(0.0, seconds)


def _policy_transport(policy: AddressPolicy) -> httpx.AsyncHTTPTransport:
    ssl_context = httpx.create_ssl_context(trust_env=False)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False)
    # httpx takes no network backend, so its pool is replaced by one built the same way
    # (httpx's default limits, HTTP/1.1) that connects through the policy.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        network_backend=PolicyBackend(policy),
    )
    return transport


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _network_error(exc: httpx.HTTPError, url: str, *, in_body: bool) -> FetchError:
    """The FetchError for an httpx error raised before or while reading the body."""
    reason, outcome = "http", "error"
    if isinstance(exc, httpx.TimeoutException):
        reason, outcome = "timeout", "unreachable"
    elif isinstance(exc, httpx.ConnectError):
        tls = any(isinstance(e, ssl.SSLError) for e in _cause_chain(exc))
        reason, outcome = ("tls" if tls else "connect"), "unreachable"
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        reason, outcome = ("truncated" if in_body else "reset"), "unreachable"
    elif isinstance(exc, httpx.UnsupportedProtocol):
        reason = "scheme"
    what = {"truncated": "connection closed before the body was complete"}.get(reason, reason)
    detail = str(exc) or type(exc).__name__
    return FetchError(f"{url}: {what} ({detail})", url=url, outcome=outcome, reason=reason)


# --- Bodies: raw bytes hashed as received, Content-Encoding decoded here with a cap. ---


def _load_brotli() -> Any:
    try:
        return importlib.import_module("brotli")
    except ImportError:
        return None


_BROTLI = _load_brotli()
# br is decoded when a server sends it unasked, but not asked for: brotli decoders cannot
# cap their output, so it is fed in small slices (see _Brotli).
_ACCEPT_ENCODING = "gzip, deflate"
_MAX_CODINGS = 2


class _TooLarge(Exception):
    pass


class _Corrupt(Exception):
    pass


class _Incomplete(Exception):
    pass


class _Layer:
    """One content coding undone; output counted against the cap."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._out = 0

    def _count(self, chunk: bytes) -> bytes:
        self._out += len(chunk)
        if self._out > self._limit:
            raise _TooLarge
        return chunk

    def feed(self, data: bytes) -> bytes:
        return self._count(data)

    def finish(self) -> bytes:
        return b""


class _Inflate(_Layer):
    """gzip (several members allowed) or deflate (zlib-wrapped or raw)."""

    def __init__(self, coding: str, limit: int) -> None:
        super().__init__(limit)
        self._gzip = coding == "gzip"
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._started = False
        self._done = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data and not self._done:
            if self._obj.eof:
                # Another gzip member continues the body; anything else after the end is junk.
                if not (self._gzip and data.startswith(b"\x1f\x8b")):
                    self._done = True
                    break
                self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
            try:
                # max_length one past the room left: more output than that means too large.
                chunk = self._obj.decompress(data, self._limit - self._out + 1)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise _Corrupt(str(exc)) from exc
                # Some servers send deflate without the zlib wrapper the standard asks for.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                continue
            self._started = True
            out.append(self._count(chunk))
            data = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b"")
        return b"".join(out)

    def finish(self) -> bytes:
        if self._started and not (self._done or self._obj.eof):
            raise _Incomplete
        return b""


class _Brotli(_Layer):
    _SLICE = 64  # input bytes per call: bounds what one call can expand to

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self._obj = _BROTLI.Decompressor()
        self._started = False

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        self._started = self._started or bool(data)
        step = getattr(self._obj, "process", None) or self._obj.decompress
        for start in range(0, len(data), self._SLICE):
            try:
                chunk = step(data[start : start + self._SLICE])
            except Exception as exc:  # brotli and brotlipy raise different error classes
                raise _Corrupt(str(exc)) from exc
            out.append(self._count(bytes(chunk)))
        return b"".join(out)

    def finish(self) -> bytes:
        if not self._started:
            return b""
        # Brotli has is_finished(); brotlipy's finish() raises on a cut stream.
        finished = getattr(self._obj, "is_finished", None)
        try:
            done = finished() if finished is not None else self._obj.finish() is not None
        except Exception as exc:
            raise _Incomplete from exc
        if not done:
            raise _Incomplete
        return b""


def _codings(headers: httpx.Headers, url: str) -> list[str]:
    """The content codings to undo, outermost first; refuses unknown or too many."""
    codings: list[str] = []
    for value in headers.get_list("content-encoding"):
        for coding in value.split(","):
            coding = coding.strip().lower()
            if coding and coding != "identity":
                codings.append("gzip" if coding == "x-gzip" else coding)
    if len(codings) > _MAX_CODINGS:
        raise FetchError(
            f"{url}: {len(codings)} stacked content encodings refused ({', '.join(codings)})",
            url=url,
            outcome="error",
            reason="encoding",
        )
    known = {"gzip", "deflate"} | ({"br"} if _BROTLI is not None else set())
    for coding in codings:
        if coding not in known:
            raise FetchError(
                f"{url}: unsupported content encoding {coding!r}",
                url=url,
                outcome="error",
                reason="encoding",
            )
    return codings[::-1]


def _layer(coding: str, limit: int) -> _Layer:
    return _Brotli(limit) if coding == "br" else _Inflate(coding, limit)


@dataclass(frozen=True, slots=True)
class _Body:
    content: bytes
    raw_sha1: str
    sha1: str
    received: int


def _b32sha1(data: bytes | hashlib._Hash) -> str:
    digest = hashlib.sha1(data).digest() if isinstance(data, bytes) else data.digest()
    return base64.b32encode(digest).decode("ascii")


async def _read_body(answer: httpx.Response, url: str, max_bytes: int, *, head: bool) -> _Body:
    """Read a streamed body whole: raw SHA-1, decoded with a cap, checked for truncation."""
    chunks = _raw_chunks(answer)
    if chunks is None:
        digest = _b32sha1(answer.content)
        return _Body(answer.content, digest, digest, len(answer.content))
    # Codings are looked at once there is a body: a HEAD or 304 answer may name any.
    layers: list[_Layer] = []
    raw_hash = hashlib.sha1()
    received = 0
    parts: list[bytes] = []
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes:
                raise _TooLarge
            raw_hash.update(chunk)
            if not layers:
                codings = _codings(answer.headers, url)
                layers = [_layer(c, max_bytes) for c in codings] or [_Layer(max_bytes)]
            for layer in layers:
                chunk = layer.feed(chunk)
            parts.append(chunk)
        expected = _content_length(answer)
        if expected is not None and received < expected and not head:
            raise _Incomplete
        tail = b""
        for layer in layers:
            tail = layer.feed(tail) + layer.finish()
        parts.append(tail)
    except _TooLarge:
        raise FetchError(
            f"{url}: body larger than {max_bytes} bytes",
            url=url,
            outcome="error",
            reason="too_large",
        ) from None
    except _Corrupt as exc:
        raise FetchError(
            f"{url}: undecodable body ({exc})", url=url, outcome="error", reason="encoding"
        ) from exc
    except _Incomplete:
        raise FetchError(
            f"{url}: body ended early ({received} bytes received)",
            url=url,
            outcome="unreachable",
            reason="truncated",
        ) from None
    content = b"".join(parts)
    return _Body(content, _b32sha1(raw_hash), _b32sha1(content), received)


def _raw_chunks(answer: httpx.Response) -> AsyncIterator[bytes] | None:
    """The body as sent; None when only httpx's decoded copy is left."""
    if not answer.is_stream_consumed:
        return answer.aiter_raw()
    # An answer made with content= (MockTransport) was read and decoded when it was built;
    # the bytes as sent are still in its ByteStream, under the client's wrapper.
    stream = getattr(answer.stream, "_stream", answer.stream)
    if isinstance(stream, httpx.ByteStream):
        return stream.__aiter__()
    return None


def _content_length(answer: httpx.Response) -> int | None:
    if answer.status_code in (204, 304) or answer.status_code < 200:
        return None
    value = answer.headers.get("content-length", "").split(",")[0].strip()
    return int(value) if value.isdigit() else None


class HttpClient:
    """The HTTP client every fetch goes through (see the module docstring).

    Args:
        policy: the address policy (default: refuse every non-public address).
        timeout: seconds for each connect, read, write and pool wait.
        deadline: seconds of network time for one ``get`` call, all hops and tries
            together (waits for the rate limiter and backoff are not counted).
        max_bytes: the most bytes a body may have, raw or decoded.
        rates: rate limits per endpoint (default ``DEFAULT_RATES``; ``{}`` for none).
        retries: attempts in all for a request that times out, is reset or gets a 5xx.
        backoff: the first backoff in seconds (then doubled at each try).
        retry_after_default: seconds to pause after a 429 without ``Retry-After``.
        retry_after_cap: a 429 asking for a longer pause stops the host at once.
        clock: monotonic clock (injected by tests).
        sleep: async sleep (injected by tests; a fake clock's sleep advances it).
        transport: an httpx transport to use instead of the network (tests).
        user_agent: the User-Agent header.
    """

    def __init__(
        self,
        *,
        policy: AddressPolicy | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        rates: Mapping[str, Rate] | None = None,
        retries: int = 3,
        backoff: float = 1.0,
        retry_after_default: float = 60.0,
        retry_after_cap: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.policy = policy or AddressPolicy()
        self.stats = Stats()
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._retries = max(1, retries)
        self._backoff = backoff
        self._retry_after_default = retry_after_default
        self._retry_after_cap = retry_after_cap
        self._clock = clock
        self._sleep = sleep
        self._limiter = _Limiter(DEFAULT_RATES if rates is None else rates, clock, sleep)
        self._had_429: set[str] = set()
        self._stopped: dict[str, float] = {}
        # With an injected transport no connection goes through PolicyBackend, so the
        # policy resolves each hop itself before sending.
        self._resolve_first = transport is not None
        self._client = httpx.AsyncClient(
            transport=transport or _policy_transport(self.policy),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections (and the transport)."""
        await self._client.aclose()

    def stopped(self, host: str) -> bool:
        """Whether ``host`` was stopped for this client's life after answering 429."""
        return host.lower().rstrip(".") in self._stopped

    async def get(
        self,
        url: str,
        *,
        endpoint: str = "live",
        follow_redirects: bool = False,
        max_hops: int = 10,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Fetch a URL and read its body whole.

        Args:
            url: an absolute http(s) URL.
            endpoint: the rate-limit class: ``cdx``, ``playback``, ``live`` or ``links``.
            follow_redirects: follow 301/302/303/307/308 hop by hop, checking each hop.
            max_hops: the most redirects followed.
            method: ``GET`` or ``HEAD``.
            headers: extra request headers.

        Returns:
            The final response, with the redirects followed in ``history``. Statuses are not
            errors: a 404 or a 5xx left after the retries is returned.

        Raises:
            AddressRefused: a URL or address the policy refuses, at any hop.
            FetchError: no complete answer (``reason`` says why), a redirect loop
                (``outcome`` ``redirect_loop``) or a redirect to a non-HTTP URL.
            RateLimited: the host answered 429 twice, or asked for too long a pause.
        """
        budget = _Budget(self._deadline)
        history: list[Hop] = []
        seen = {url}
        current = url
        while True:
            response = await self._hop(current, endpoint, method, headers, budget)
            location = response.location
            if not follow_redirects or response.status not in _REDIRECTS or location is None:
                return replace(response, history=tuple(history))
            if len(history) >= max_hops:
                raise FetchError(
                    f"{url}: more than {max_hops} redirects",
                    url=url,
                    outcome="redirect_loop",
                    reason="too_many_redirects",
                    status=response.status,
                )
            history.append(Hop(current, response.status, location))
            scheme = urllib.parse.urlsplit(location).scheme.lower()
            if scheme not in ("http", "https"):
                raise FetchError(
                    f"{current}: redirect to a URL that is not HTTP refused: {location!r}",
                    url=current,
                    outcome="error",
                    reason="scheme",
                    status=response.status,
                )
            if location in seen:
                raise FetchError(
                    f"{url}: redirect loop back to {location}",
                    url=url,
                    outcome="redirect_loop",
                    reason="loop",
                    status=response.status,
                )
            seen.add(location)
            if response.status == 303 and method != "HEAD":
                method = "GET"
            current = location

    async def _hop(
        self,
        url: str,
        endpoint: str,
        method: str,
        headers: Mapping[str, str] | None,
        budget: _Budget,
    ) -> Response:
        """One request (one redirect hop), with its retries and its 429 pause."""
        self.policy.check_url(url)
        parts = httpx.URL(url)
        host = parts.host.rstrip(".")
        attempt = 0
        while True:
            self._refuse_if_stopped(host, url)
            await self._limiter.wait(endpoint, host)
            self._refuse_if_stopped(host, url)  # another task may have stopped it meanwhile
            try:
                if self._resolve_first:
                    await self.policy.resolve(parts.host, parts.port or _default_port(parts))
                self.stats.requests += 1
                self.stats.by_endpoint[endpoint] += 1
                response = await self._attempt(url, method, headers, budget)
            except SnapverifyError as exc:
                if exc.url is None:
                    exc.url = url
                retry = isinstance(exc, FetchError) and exc.reason in _RETRYABLE
                if not retry or attempt + 1 >= self._retries:
                    raise
                await self._back_off(attempt, url, str(exc))
                attempt += 1
                continue
            # An answer with Memento-Datetime is a capture (of a 429 or a 5xx page), not a fault.
            archived = response.header("memento-datetime") is not None
            if response.status == 429 and not archived:
                self.stats.rate_limited += 1
                if endpoint in _ARCHIVE_ENDPOINTS:
                    self._pause_or_stop(host, url, response)
                    self.stats.retries += 1
                    continue
            if response.status in _RETRY_STATUSES and not archived and attempt + 1 < self._retries:
                await self._back_off(attempt, url, f"status {response.status}")
                attempt += 1
                continue
            return response

    async def _back_off(self, attempt: int, url: str, why: str) -> None:
        delay = self._backoff * 2**attempt
        logger.info("%s: %s; trying again in %.1f s", url, why, delay)
        self.stats.retries += 1
        await self._sleep(delay)

    def _refuse_if_stopped(self, host: str, url: str) -> None:
        if host in self._stopped:
            raise RateLimited(
                f"{host} answered 429 Too Many Requests and is not asked again this run",
                url=url,
                status=429,
                retry_after=self._stopped[host],
            )

    def _pause_or_stop(self, host: str, url: str, response: Response) -> None:
        """After a 429: pause every request to the host, or stop the host (raises)."""
        wait = _retry_after(response.header("retry-after"), self._retry_after_default)
        if host in self._had_429 or wait > self._retry_after_cap:
            self._stopped[host] = wait
            logger.warning("%s answered 429 again or asked for %.0f s: stopped", host, wait)
            self._refuse_if_stopped(host, url)
        self._had_429.add(host)
        logger.warning("%s answered 429: pausing it for %.0f s", host, wait)
        self._limiter.pause(host, self._clock() + wait)

    async def _attempt(
        self, url: str, method: str, headers: Mapping[str, str] | None, budget: _Budget
    ) -> Response:
        """Send one request and read its body, within the network time left."""
        if budget.remaining <= 0:
            raise _deadline_error(url)
        scope = asyncio.timeout(budget.remaining)
        started = self._clock()
        in_body = False
        try:
            async with scope:
                request = self._client.build_request(method, url, headers=headers)
                answer = await self._client.send(request, stream=True)
                try:
                    in_body = True
                    body = await _read_body(answer, url, self._max_bytes, head=method == "HEAD")
                finally:
                    await answer.aclose()
        except TimeoutError as exc:
            if scope.expired():
                raise _deadline_error(url) from exc
            raise FetchError(f"{url}: timeout", url=url, reason="timeout") from exc
        except httpx.HTTPError as exc:
            raise _network_error(exc, url, in_body=in_body) from exc
        finally:
            budget.remaining -= self._clock() - started
        self.stats.bytes += body.received
        return Response(
            url=url,
            status=answer.status_code,
            headers=tuple((k.lower(), v) for k, v in answer.headers.multi_items()),
            content=body.content,
            raw_sha1=body.raw_sha1,
            sha1=body.sha1,
        )


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _deadline_error(url: str) -> FetchError:
    return FetchError(
        f"{url}: deadline passed before a complete answer",
        url=url,
        outcome="unreachable",
        reason="deadline",
    )
