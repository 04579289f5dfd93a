"""The one HTTP client: address policy, rate limits, retries, capped bodies, a deadline.

Every request snapverify makes goes through ``HttpClient.get``. It follows redirects hop by
hop (re-checking the address policy each time), spaces requests per endpoint and host, backs
off on faults, stops asking a host that keeps answering 429, and reads bodies as raw bytes,
decoding ``Content-Encoding`` itself so that the decoded size can be capped while streaming.

The parts live in private modules: bodies in ``_body``, rate limits and ``Retry-After`` in
``_limit``, the policy-checked transport and the naming of network failures in
``_transport``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

import httpx

from snapverify._version import __version__
from snapverify.errors import FetchError, RateLimited, SnapverifyError
from snapverify.fetch._body import ACCEPT_ENCODING, read_body
from snapverify.fetch._limit import Limiter, Rate, retry_after
from snapverify.fetch._transport import deadline_error, network_error, peer_of, policy_transport
from snapverify.fetch.policy import AddressPolicy

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
    # What was on the wire, for archiving (store/warc.py): the body before any content
    # coding was undone (None: the same as ``content``), the status line's version and
    # reason, and the request headers sent. Transfer-coding (chunking) is already undone.
    raw_content: bytes | None = None
    http_version: str = "HTTP/1.1"
    reason: str = ""
    request_headers: tuple[tuple[str, str], ...] = ()
    partial: bool = False  # only the first bytes were read (``get(..., keep=N)``)
    # Who answered, recorded at fetch time (network provenance): the IP address the
    # connection went to and, over TLS, the peer's certificates (DER, leaf first; the
    # verified chain when ``peer_chain_verified``, else the leaf alone). None and ()
    # when unknown (a mock transport): never guessed.
    ip_address: str | None = None
    peer_certificates: tuple[bytes, ...] = ()
    peer_chain_verified: bool = False

    @property
    def wire_body(self) -> bytes:
        """The body as received (content coding kept, chunking undone)."""
        return self.content if self.raw_content is None else self.raw_content

    def header(self, name: str) -> str | None:
        """The first value of a header, or None (names compare case-insensitively)."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def location(self) -> str | None:
        """The ``Location`` header made absolute against ``url``; None if absent or unusable."""
        value = self.header("location")
        if value is None or not value.strip():
            return None
        try:
            return urllib.parse.urljoin(self.url, value.strip())
        except ValueError:  # "http://[::1": no URL at all, so nothing to follow
            return None


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
        self._limiter = Limiter(DEFAULT_RATES if rates is None else rates, clock, sleep)
        # 429s are counted per scope: an archive (``get(scope=...)``), else a host. A
        # stopped scope also stops the host for requests of no scope (links into it).
        self._had_429: set[str] = set()
        self._stopped: dict[str, float] = {}
        self._stopped_hosts: dict[str, float] = {}
        # With an injected transport no connection goes through PolicyBackend, so the
        # policy resolves each hop itself before sending.
        self._resolve_first = transport is not None
        self._transport = transport or policy_transport(self.policy)
        self._client = httpx.AsyncClient(
            transport=self._transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
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

    def stopped(self, host: str, scope: str | None = None) -> bool:
        """Whether ``host`` (or, given, the archive ``scope``) was stopped for this
        client's life after answering 429."""
        if scope is not None:
            return scope in self._stopped
        return host.lower().rstrip(".") in self._stopped_hosts

    async def get(
        self,
        url: str,
        *,
        endpoint: str = "live",
        follow_redirects: bool = False,
        max_hops: int = 10,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        keep: int | None = None,
        scope: str | None = None,
    ) -> Response:
        """Fetch a URL and read its body whole (or its first ``keep`` bytes).

        Args:
            url: an absolute http(s) URL.
            endpoint: the rate-limit class: ``cdx``, ``playback``, ``live`` or ``links``.
            follow_redirects: follow 301/302/303/307/308 hop by hop, checking each hop.
            max_hops: the most redirects followed.
            method: ``GET`` or ``HEAD``.
            headers: extra request headers.
            keep: read at most this many bytes of the body, then stop reading and close
                the connection (the response is then ``partial``): for a peek at a page
                whose server may ignore ``Range``.
            scope: for ``cdx`` and ``playback``, the archive asked (its name): a 429
                pauses and then stops that archive, not every archive on its host
                (default: the host).

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
            response = await self._hop(current, endpoint, method, headers, budget, keep, scope)
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
        keep: int | None = None,
        scope: str | None = None,
    ) -> Response:
        """One request (one redirect hop), with its retries and its 429 pause."""
        self.policy.check_url(url)
        parts = httpx.URL(url)
        host = parts.host.rstrip(".")
        archive = endpoint in _ARCHIVE_ENDPOINTS
        key = (scope or host) if archive else None  # what a 429 pauses and stops
        attempt = 0
        while True:
            self._refuse_if_stopped(host, key, url)
            await self._limiter.wait(endpoint, host, key)
            self._refuse_if_stopped(host, key, url)  # another task may have stopped it
            try:
                if self._resolve_first:
                    await self.policy.resolve(parts.host, parts.port or _default_port(parts))
                self.stats.requests += 1
                self.stats.by_endpoint[endpoint] += 1
                response = await self._attempt(url, method, headers, budget, keep)
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
                if key is not None:
                    self._pause_or_stop(host, key, url, response)
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

    def _refuse_if_stopped(self, host: str, key: str | None, url: str) -> None:
        """Raise for a stopped archive (``key``), or, for a request of no archive, for a
        host some archive was stopped on."""
        wait = self._stopped.get(key) if key is not None else self._stopped_hosts.get(host)
        if wait is not None:
            who = host if key in (None, host) else f"{key} ({host})"
            raise RateLimited(
                f"{who} answered 429 Too Many Requests and is not asked again this run",
                url=url,
                status=429,
                retry_after=wait,
            )

    def _pause_or_stop(self, host: str, key: str, url: str, response: Response) -> None:
        """After a 429: pause the archive ``key``, or stop it (raises)."""
        wait = retry_after(response.header("retry-after"), self._retry_after_default)
        if key in self._had_429 or wait > self._retry_after_cap:
            self._stopped[key] = wait
            self._stopped_hosts[host] = max(wait, self._stopped_hosts.get(host, wait))
            logger.warning("%s answered 429 again or asked for %.0f s: stopped", key, wait)
            self._refuse_if_stopped(host, key, url)
        self._had_429.add(key)
        logger.warning("%s answered 429: pausing it for %.0f s", key, wait)
        self._limiter.pause(key, self._clock() + wait)

    async def _attempt(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str] | None,
        budget: _Budget,
        keep: int | None = None,
    ) -> Response:
        """Send one request and read its body, within the network time left."""
        if budget.remaining <= 0:
            raise deadline_error(url)
        scope = asyncio.timeout(budget.remaining)
        started = self._clock()
        in_body = False
        try:
            async with scope:
                request = self._client.build_request(method, url, headers=headers)
                # Straight to the transport: the client would parse a Location header
                # (to offer a next request) and raise on a hostile one such as
                # "javascript:x"; redirects are judged by ``get`` alone.
                answer = await self._transport.handle_async_request(request)
                answer.request = request
                # Asked before the body is read: the connection may go back to the pool.
                ip_address, certificates, verified = peer_of(answer)
                try:
                    in_body = True
                    body = await read_body(
                        answer, url, self._max_bytes, head=method == "HEAD", keep=keep
                    )
                finally:
                    await answer.aclose()
        except TimeoutError as exc:
            if scope.expired():
                raise deadline_error(url) from exc
            raise FetchError(f"{url}: timeout", url=url, reason="timeout") from exc
        except httpx.HTTPError as exc:
            raise network_error(exc, url, in_body=in_body) from exc
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
            raw_content=body.raw,
            http_version=_http_version(answer),
            reason=answer.reason_phrase,
            request_headers=tuple(request.headers.multi_items()),
            partial=body.partial,
            ip_address=ip_address,
            peer_certificates=certificates,
            peer_chain_verified=verified,
        )


def _http_version(answer: httpx.Response) -> str:
    version = answer.extensions.get("http_version", b"HTTP/1.1")
    return version.decode("ascii", "replace") if isinstance(version, bytes) else str(version)


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80
