"""A real RFC 3161 timestamp authority on loopback, for the evidence tests.

:func:`make_pki` makes a CA and a TSA certificate (ECDSA P-256, the TSA's with the
critical ``timeStamping`` extended key usage) with ``cryptography``; :class:`TsaServer`
answers each ``application/timestamp-query`` POST with ``openssl ts -reply``, signed
with that certificate. Nothing is mocked: the tokens are what OpenSSL's TSA makes.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from servers import HOST, _Threaded

__all__ = ["Pki", "TsaServer", "make_pki", "write_key"]


@dataclass(frozen=True, slots=True)
class Pki:
    """Where the CA and the TSA's certificate and key are (PEM)."""

    folder: Path
    ca: Path
    tsa_cert: Path
    tsa_key: Path


def write_key(path: Path, curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    """A new EC private key (P-256 by default), written unencrypted as PKCS#8 PEM."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(
    folder: Path,
    name: str = "Test",
    *,
    tsa_from: timedelta = timedelta(days=-1),
    tsa_until: timedelta = timedelta(days=365),
) -> Pki:
    """A CA valid from a day ago for a year, and a TSA certificate it signed, valid from
    ``tsa_from`` to ``tsa_until`` (from now; by default as long as the CA)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = write_key(folder / "ca.key")
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} Root CA"))
        .issuer_name(_name(f"{name} Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = write_key(folder / "tsa.key")
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + tsa_from)
        .not_valid_after(now + tsa_until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    return Pki(folder, folder / "ca.pem", folder / "tsa.pem", folder / "tsa.key")


_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class TsaServer(_Threaded):
    """``openssl ts -reply`` behind a loopback HTTP server; keeps each query it answered."""

    def __init__(self, pki: Pki) -> None:
        super().__init__()
        self.pki = pki
        self.queries: list[bytes] = []
        self._lock = threading.Lock()
        self.config = pki.folder / "tsa.cnf"
        self.config.write_text(_CONFIG.format(dir=pki.folder), "utf-8")
        (pki.folder / "serial").write_text("01\n", "utf-8")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/tsr"

    def reply(self, query: bytes) -> bytes:
        """The DER reply OpenSSL's TSA gives to ``query``."""
        with self._lock, tempfile.TemporaryDirectory() as folder:
            self.queries.append(query)
            (Path(folder) / "q.tsq").write_bytes(query)
            subprocess.run(
                [
                    "openssl", "ts", "-reply", "-config", str(self.config),
                    "-queryfile", str(Path(folder) / "q.tsq"), "-out", str(Path(folder) / "r.tsr"),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )  # fmt: skip
            return (Path(folder) / "r.tsr").read_bytes()

    def start(self) -> TsaServer:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_POST(self) -> None:  # noqa: N802
                query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = tsa.reply(query)
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._serve(Handler)
        return self
