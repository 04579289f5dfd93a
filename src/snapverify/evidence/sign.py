"""WACZ Auth anonymous signatures (ECDSA P-256, or P-384) over the data package's digest.

Per the WACZ Signing and Verification specification 0.1.0, ``datapackage-digest.json``
carries ``signedData``: the ``hash`` signed (``sha256:...`` of ``datapackage.json``),
``created`` (equal to the data package's ``created``), ``software``, ``version``,
``signature`` and ``publicKey``. As in ArchiveWeb.page and the ReplayWeb.page
verifier, the signed message is the ``hash`` string (UTF-8), the signature is ECDSA
with SHA-256 in the IEEE P1363 form (``r || s``, what WebCrypto produces) in base64,
and the public key is the DER SubjectPublicKeyInfo in base64.

P-256 is the default the project documents; a P-384 key is accepted too, as
ArchiveWeb.page signs with P-384 and ReplayWeb.page imports an anonymous key as P-384.

An anonymous signature proves the bundle was not changed since the holder of the key
signed it; who holds the key must be established out of band.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from snapverify._version import __version__
from snapverify.errors import UsageError

__all__ = [
    "CURVE_NAMES",
    "load_signing_key",
    "public_key_b64",
    "sign_digest",
    "verify_signed_data",
]

_CURVES = {"secp256r1": 32, "secp384r1": 48}
CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384"}


def load_signing_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """An ECDSA P-256 (or P-384) private key from a PEM file (unencrypted).

    Raises:
        UsageError: unreadable, encrypted, or not a P-256 or P-384 key.
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(
            f"{path}: not an unencrypted PEM private key: {exc}", url=str(path)
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in _CURVES:
        raise UsageError(f"{path}: not an ECDSA P-256 (or P-384) key", url=str(path))
    return key


def public_key_b64(key: ec.EllipticCurvePublicKey) -> str:
    """The key's DER SubjectPublicKeyInfo in base64 (``publicKey``)."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def sign_digest(key: ec.EllipticCurvePrivateKey, digest: str, created: str) -> dict[str, Any]:
    """``signedData`` for ``digest`` (``sha256:...``), created at ``created``."""
    der = key.sign(digest.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = _CURVES[key.curve.name]
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {
        "hash": digest,
        "created": created,
        "software": "snapverify",
        "version": __version__,
        "signature": base64.b64encode(raw).decode("ascii"),
        "publicKey": public_key_b64(key.public_key()),
    }


def verify_signed_data(signed: Mapping[str, Any], digest: str, created: str | None) -> str | None:
    """Check an anonymous ``signedData``; return what is wrong (None: it holds).

    Args:
        signed: the ``signedData`` object.
        digest: the ``hash`` of ``datapackage.json`` as recomputed.
        created: the data package's ``created``.
    """
    if signed.get("hash") != digest:
        return "the signed hash is not the hash of datapackage.json"
    if signed.get("created") != created:
        return "the signature's created time is not the data package's"
    try:
        der = base64.b64decode(str(signed.get("publicKey", "")), validate=True)
        key = serialization.load_der_public_key(der)
        raw = base64.b64decode(str(signed.get("signature", "")), validate=True)
    except ValueError as exc:
        return f"unreadable public key or signature: {exc}"
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in _CURVES:
        return "the public key is not an ECDSA P-256 (or P-384) key"
    size = _CURVES[key.curve.name]
    if len(raw) != 2 * size:
        return "the signature is not a raw ECDSA signature of the key's size"
    signature = encode_dss_signature(
        int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    )
    try:
        key.verify(signature, digest.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the signature does not verify with its public key"
    return None
