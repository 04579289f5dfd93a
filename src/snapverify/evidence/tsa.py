"""RFC 3161 trusted timestamps over ``datapackage.json``.

A token's message imprint is the SHA-256 of the ``datapackage.json`` bytes, so
``openssl ts -verify -data datapackage.json -in NAME.tsr -CAfile ca.pem`` checks it.
Requests and replies are built and read with ``rfc3161-client`` (no hand-written ASN.1);
the request goes through the address policy like every other fetch (a TSA on a private
address needs ``--allow-private-addresses`` or ``--allow-network``).

A token proves that the bundle's ``datapackage.json`` (hence every file it lists)
existed at the token's time; it says nothing about where the bytes came from.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from snapverify._version import __version__
from snapverify.errors import FetchError, SnapverifyError, UsageError
from snapverify.fetch._transport import network_error, policy_transport
from snapverify.fetch.policy import AddressPolicy

__all__ = ["TokenCheck", "check_token", "load_certificates", "request_token", "token_name"]

logger = logging.getLogger(__name__)

QUERY_TYPE: Final = "application/timestamp-query"
REPLY_TYPE: Final = "application/timestamp-reply"
_MAX_REPLY: Final = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def token_name(url: str, taken: Sequence[str] = ()) -> str:
    """``timestamps/NAME.tsr`` for a TSA URL: its host and port, made unique."""
    parts = urlsplit(url)
    host = parts.hostname or "tsa"
    base = _UNSAFE.sub("-", f"{host}-{parts.port}" if parts.port else host).strip("-") or "tsa"
    name, n = f"{base}.tsr", 1
    while name in taken:
        n += 1
        name = f"{base}-{n}.tsr"
    return name


def load_certificates(paths: Sequence[Path]) -> list[x509.Certificate]:
    """Every certificate in PEM files (a file may hold a chain).

    Raises:
        UsageError: a file that cannot be read or holds no certificate.
    """
    certificates: list[x509.Certificate] = []
    for path in paths:
        try:
            found = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: not a PEM certificate file: {exc}", url=str(path)) from exc
        certificates.extend(found)
    return certificates


async def request_token(
    url: str,
    data: bytes,
    *,
    policy: AddressPolicy,
    timeout: float = 30.0,
    roots: Sequence[x509.Certificate] = (),
) -> bytes:
    """Ask a TSA for a token over ``data`` (SHA-256), with a nonce and its certificate.

    Args:
        url: the TSA's HTTP(S) URL.
        data: the bytes to timestamp (``datapackage.json``).
        policy: the address policy the TSA's address must pass.
        timeout: seconds to connect and between reads.
        roots: trusted CA certificates; when given, the token is verified at once.

    Returns:
        The DER ``TimeStampResp`` as the TSA sent it.

    Raises:
        AddressRefused: the TSA's address is refused.
        FetchError: no answer, an HTTP error, or a reply that is not a granted token
            over ``data`` with the nonce sent (or fails ``roots``).
    """
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    policy.check_url(url)
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    async with httpx.AsyncClient(
        transport=policy_transport(policy),
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": f"snapverify/{__version__}"},
    ) as client:
        try:
            answer = await client.post(
                url, content=request.as_bytes(), headers={"Content-Type": QUERY_TYPE}
            )
        except SnapverifyError:
            raise
        except httpx.HTTPError as exc:
            raise network_error(exc, url, in_body=False) from exc
    if answer.status_code != 200:
        raise FetchError(
            f"{url}: the TSA answered {answer.status_code}", url=url, status=answer.status_code
        )
    reply = answer.content
    if len(reply) > _MAX_REPLY:
        raise FetchError(f"{url}: the TSA's reply is too large", url=url)
    problem = check_token(reply, data, roots=roots, nonce=request.nonce).problem
    if problem is not None:
        raise FetchError(f"{url}: {problem}", url=url)
    return reply


def _signer(certificates: set[bytes]) -> str | None:
    """The subject of the certificate the reply carries that is not a CA's."""
    for der in certificates:
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        try:
            if certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                continue
        except x509.ExtensionNotFound:
            pass
        return certificate.subject.rfc4514_string()
    return None


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a token says and whether it holds (``problem`` None)."""

    time: datetime | None
    tsa: str | None
    problem: str | None
    chain_checked: bool


def check_token(
    reply: bytes,
    data: bytes,
    *,
    roots: Sequence[x509.Certificate] = (),
    nonce: int | None = None,
) -> TokenCheck:
    """Check a ``TimeStampResp`` over ``data``.

    The reply must be granted and its message imprint the SHA-256 of ``data``. With
    ``roots``, its signature and certificate chain are verified as of the token's own
    time (a TSA certificate that expired since still counts).

    Args:
        reply: the DER ``TimeStampResp``.
        data: the bytes it should cover.
        roots: trusted CA certificates (none: the chain is not checked).
        nonce: the nonce sent, when checking a fresh reply.
    """
    from rfc3161_client import (
        PKIStatus,
        VerificationError,
        VerifierBuilder,
        decode_timestamp_response,
    )

    try:
        response = decode_timestamp_response(reply)
    except ValueError as exc:
        return TokenCheck(None, None, f"not an RFC 3161 timestamp reply: {exc}", False)
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        return TokenCheck(
            None, None, f"the TSA did not grant a token (status {response.status})", False
        )
    info = response.tst_info
    when = info.gen_time
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    tsa = _signer(response.signed_data.certificates)
    expected = hashlib.sha256(data).digest()
    if info.message_imprint.message != expected:
        return TokenCheck(when, tsa, "the token is over other bytes than datapackage.json", False)
    if nonce is not None and info.nonce != nonce:
        return TokenCheck(when, tsa, "the reply's nonce is not the one sent", False)
    if not roots:
        return TokenCheck(when, tsa, None, False)
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify(response, expected)
    except (VerificationError, ValueError) as exc:
        return TokenCheck(when, tsa, f"the token's signature or chain does not verify: {exc}", True)
    return TokenCheck(when, tsa, None, True)
