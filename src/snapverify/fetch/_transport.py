"""The client's way to the network, and the names of its failures.

Private to :mod:`snapverify.fetch.http`. :func:`policy_transport` builds the httpx
transport whose every connection goes through the address policy;
:func:`network_error` and :func:`deadline_error` turn what went wrong in an exchange
into a ``FetchError`` whose ``reason`` (``timeout``, ``connect``, ``tls``, ``reset``,
``truncated``, ``scheme``, ``deadline``...) the client's retries and the reports read.
"""

from __future__ import annotations

import ssl

import httpcore
import httpx

from snapverify.errors import FetchError
from snapverify.fetch.policy import AddressPolicy, PolicyBackend

__all__ = ["deadline_error", "network_error", "policy_transport"]


def policy_transport(policy: AddressPolicy) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections are made (and refused) by ``policy``."""
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


def network_error(exc: httpx.HTTPError, url: str, *, in_body: bool) -> FetchError:
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


def deadline_error(url: str) -> FetchError:
    """The FetchError for a ``get`` call whose network time ran out."""
    return FetchError(
        f"{url}: deadline passed before a complete answer",
        url=url,
        outcome="unreachable",
        reason="deadline",
    )
