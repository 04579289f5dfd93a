"""The client's way to the network, and the names of its failures.

Private to :mod:`snapverify.fetch.http`. :func:`policy_transport` builds the httpx
transport whose every connection goes through the address policy;
:func:`network_error` and :func:`deadline_error` turn what went wrong in an exchange
into a ``FetchError`` whose ``reason`` (``timeout``, ``connect``, ``tls``, ``reset``,
``truncated``, ``scheme``, ``deadline``...) the client's retries and the reports read;
:func:`peer_of` reads who answered (the connected address, the TLS peer's certificates).
"""

from __future__ import annotations

import _ssl
import ssl
from typing import Any

import httpcore
import httpx

from snapverify.errors import FetchError
from snapverify.fetch.policy import AddressPolicy, PolicyBackend

__all__ = ["Peer", "deadline_error", "network_error", "peer_of", "policy_transport"]

Peer = tuple[str | None, tuple[bytes, ...], bool]
"""``(ip_address, certificates, verified_chain)`` of the connection that answered."""


def policy_transport(policy: AddressPolicy) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections are made (and refused) by ``policy``.

    Certificates are verified against certifi's bundle, or against the file named by
    ``SSL_CERT_FILE`` (the folder named by ``SSL_CERT_DIR``) when set, as httpx does
    (an in-house CA, or a test's own). No other environment setting (proxies) is read.
    """
    ssl_context = httpx.create_ssl_context(trust_env=True)
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


def peer_of(answer: httpx.Response) -> Peer:
    """The connected IP address and the TLS peer's certificates (DER, leaf first).

    The certificates are the chain OpenSSL verified, leaf to trust anchor, when the
    ``ssl`` module gives it (``get_verified_chain``: public from Python 3.13, on the
    private ``_sslobj`` before); otherwise the leaf alone, and ``verified_chain`` is False.
    An answer that came through no network stream (a mock transport) gives
    ``(None, (), False)``: unknown, never guessed.
    """
    stream: Any = answer.extensions.get("network_stream")
    if stream is None:
        return None, (), False
    address = stream.get_extra_info("server_addr")
    ip = str(address[0]) if isinstance(address, tuple) and address else None
    tls = stream.get_extra_info("ssl_object")
    if not isinstance(tls, ssl.SSLObject | ssl.SSLSocket):
        return ip, (), False
    chain = _verified_chain(tls)
    if chain:
        return ip, chain, True
    leaf = tls.getpeercert(binary_form=True)
    return ip, ((leaf,) if leaf else ()), False


def _verified_chain(tls: ssl.SSLObject | ssl.SSLSocket) -> tuple[bytes, ...]:
    method = getattr(tls, "get_verified_chain", None)
    if method is None:
        method = getattr(getattr(tls, "_sslobj", None), "get_verified_chain", None)
    if method is None:
        return ()
    try:
        chain = method()
    except (ssl.SSLError, ValueError):
        return ()
    out = []
    for cert in chain or ():
        # Python 3.13 gives DER bytes; 3.10-3.12's private method, _ssl.Certificate objects.
        out.append(cert if isinstance(cert, bytes) else cert.public_bytes(_ssl.ENCODING_DER))
    return tuple(out)


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
