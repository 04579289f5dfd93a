"""Network provenance recorded at fetch time: who answered, stored with what was fetched.

A plain HTTP origin and pywb on 127.0.0.1 give ``WARC-IP-Address: 127.0.0.1`` on the
live page's records and on every stored capture (also when the capture comes from the
capture cache); an HTTPS origin whose certificate a CA made in the test signs gives a
``metadata`` record holding that chain as PEM, referring to the response record. The
WARCs still pass ``warcio check`` and ``snapverify verify``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from captures import Capture
from servers import HOST, OriginServer, PywbServer
from snapverify.store.cache import CachedCapture, CaptureCache
from snapverify.store.history import History
from snapverify.store.warc import PEM_CONTENT_TYPE, read_records, read_warcinfo
from support import FIXTURES, run_cli, seed_snapshot

ARTICLE = (FIXTURES / "capture-original.html").read_bytes()
PATH = "/2012/05/27/kazakh-massacre-cover-up-a15040"


def _records(warc: Path) -> list[tuple[str, dict[str, str], bytes]]:
    """Every record: type, WARC headers, content (HTTP headers excluded)."""
    out = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = dict(record.rec_headers.headers)
            out.append((record.rec_type, headers, record.content_stream().read()))
    return out


def _warcio_check(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode


def _archive(local: Path, *args: str) -> dict[str, Any]:
    code, out, err = run_cli("archive", str(local), *args, "--format", "json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_the_live_page_and_every_capture_carry_the_address_that_served_them(
    mt_site: Any,
) -> None:
    result = _archive(mt_site.local, *mt_site.args, "--captures")
    warc = mt_site.local.parent / result["warc"]
    records = _records(warc)
    response = next(h for kind, h, _c in records if kind == "response")
    request = next(h for kind, h, _c in records if kind == "request")
    assert response["WARC-IP-Address"] == "127.0.0.1"
    assert request["WARC-IP-Address"] == "127.0.0.1"
    resources = [h for kind, h, _c in records if kind == "resource"]
    assert resources and all(h["WARC-IP-Address"] == "127.0.0.1" for h in resources)
    # Plain HTTP: no certificate to keep, so no PEM record.
    assert not any(h.get("Content-Type") == PEM_CONTENT_TYPE for _k, h, _c in records)
    pages = read_records(warc)
    assert {p.ip_address for p in pages} == {"127.0.0.1"}
    assert all(p.certificates_pem is None for p in pages)
    assert _warcio_check(warc) == 0
    assert read_warcinfo(warc)["command"].startswith("snapverify archive ")
    code, out, err = run_cli("verify", str(mt_site.local.parent.parent))
    assert code == 0, out + err


def test_check_snapshot_changes_records_the_address_too(mt_site: Any) -> None:
    edited = (FIXTURES / "capture-edited.html").read_bytes()
    mt_site.origin.page(PATH, edited)  # the site edits the article: the check archives it
    code, out, err = run_cli(
        "check", str(mt_site.local), *mt_site.args, "--snapshot-changes", "--no-links"
    )
    (warc,) = sorted((mt_site.local.parent / "archive").glob("*.warc.gz"))
    response = next(h for kind, h, _c in _records(warc) if kind == "response")
    assert response["WARC-IP-Address"] == "127.0.0.1", out + err
    # The command that fetched what was stored, for the chain of custody.
    command = read_warcinfo(warc)["command"]
    assert command.startswith("snapverify check ") and "--snapshot-changes" in command


def test_an_answer_from_no_network_has_no_address_and_no_certificate() -> None:
    import asyncio

    import httpx

    from snapverify.fetch.http import HttpClient
    from snapverify.fetch.policy import AddressPolicy

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"<p>x</p>"))
    policy = AddressPolicy(resolver=resolve)

    async def fetch() -> Any:
        async with HttpClient(policy=policy, transport=transport, rates={}) as client:
            return await client.get("https://example.org/")

    response = asyncio.run(fetch())
    # The policy resolved a name, but nothing connected: unknown, not the resolved address.
    assert (response.ip_address, response.peer_certificates) == (None, ())
    assert response.peer_chain_verified is False


def test_a_capture_from_the_cache_keeps_its_address_and_an_old_one_states_none(
    mt_site: Any,
) -> None:
    from snapverify.pipeline import CheckOptions, check

    options = CheckOptions(
        archives=(mt_site.pywb.base,), allow_private=True, max_captures=2, links=False
    )
    (checked,) = check([mt_site.local], options)
    assert len([s for s in checked.sources if s.kind == "archive"]) == 2
    cache = mt_site.local.parent.parent / ".snapverify" / "cache"
    kept = sorted((cache / "captures").rglob("*"))
    kept = [p for p in kept if p.is_file()]
    assert kept and all(json.loads(p.read_text())["ip_address"] == "127.0.0.1" for p in kept)
    with History.open(mt_site.local.parent.parent / ".snapverify") as history:
        history.record_check(checked)  # archive --captures stores the captures it used

    mark = mt_site.pywb.mark()
    result = _archive(mt_site.local, *mt_site.args, "--captures", "--no-live")
    assert mt_site.pywb.capture_fetches(url=mt_site.url, since=mark) == {}  # all cached
    resources = [h for k, h, _c in _records(mt_site.local.parent / result["warc"])]
    resources = [h for h in resources if h["WARC-Type"] == "resource"]
    assert resources and all(h["WARC-IP-Address"] == "127.0.0.1" for h in resources)

    # A cache kept before the address was recorded: the address is unknown, and the
    # WARC says nothing rather than something made up.
    for folder in ("captures", "digests"):
        for path in (cache / folder).rglob("*"):
            if path.is_file():
                fields = json.loads(path.read_text())
                fields.pop("ip_address")
                fields.pop("certificates")
                fields.pop("chain_verified")
                path.write_text(json.dumps(fields))
    mark = mt_site.pywb.mark()
    result = _archive(mt_site.local, *mt_site.args, "--captures", "--no-live")
    assert mt_site.pywb.capture_fetches(url=mt_site.url, since=mark) == {}
    records = _records(mt_site.local.parent / result["warc"])
    resources = [h for kind, h, _c in records if kind == "resource"]
    assert resources and not any("WARC-IP-Address" in h for h in resources)


def test_the_cache_keeps_address_and_certificates(tmp_path: Path) -> None:
    cache = CaptureCache(tmp_path)
    pem = ssl.DER_cert_to_PEM_cert(b"\x30\x03\x02\x01\x01")
    payload = b"<p>x</p>"
    record = CachedCapture(
        outcome="ok",
        status=200,
        timestamp="20120527100000",
        url="https://archive.example/c/20120527100000id_/https://e.example/",
        sha256=hashlib.sha256(payload).hexdigest(),
        sha1="X",
        raw_sha1="X",
        ip_address="192.0.2.7",
        certificates=(pem,),
        chain_verified=True,
    )
    cache.remember("c", record.timestamp, "https://e.example/", record, payload)
    found = cache.lookup("c", record.timestamp, "https://e.example/")
    assert found is not None
    assert found[0] == record  # tuple of PEM strings, not a list, after the JSON round trip


# -- HTTPS ------------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def tls_files(tmp_path: Path) -> dict[str, Path]:
    """A CA and a server certificate for 127.0.0.1 it signs, made here with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make the test's certificates")
    folder = tmp_path / "tls"
    folder.mkdir()
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=snapverify test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    _openssl(
        "req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1",
        cwd=folder,
    )  # fmt: skip
    (folder / "leaf.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext",
        cwd=folder,
    )  # fmt: skip
    return {name: folder / f"{name}.pem" for name in ("ca", "leaf")} | {"key": folder / "leaf.key"}


class TLSOrigin(OriginServer):
    """The loopback origin, over TLS with the given certificate and key."""

    def __init__(self, cert: Path, key: Path) -> None:
        super().__init__()
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)

    @property
    def base(self) -> str:
        return f"https://{HOST}:{self.port}"

    def _serve(self, handler: Any) -> None:
        context = self.context

        class Handler(handler):  # type: ignore[misc, valid-type]
            def setup(self) -> None:
                self.request.settimeout(10)
                self.request = context.wrap_socket(self.request, server_side=True)
                self.connection = self.request
                super().setup()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    self.request.close()  # the server closes only the socket it accepted

        super()._serve(Handler)
        assert isinstance(self._server, ThreadingHTTPServer)


@pytest.fixture
def tls_origin(tls_files: dict[str, Path]) -> Iterator[TLSOrigin]:
    server = TLSOrigin(tls_files["leaf"], tls_files["key"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _pem_blocks(text: str) -> list[bytes]:
    blocks = text.split("-----END CERTIFICATE-----")
    return [
        ssl.PEM_cert_to_DER_cert(b.strip() + "\n-----END CERTIFICATE-----\n")
        for b in blocks
        if b.strip()
    ]


def test_an_https_page_keeps_the_certificate_chain_it_was_served_with(
    tmp_path: Path,
    tls_origin: TLSOrigin,
    tls_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    url = tls_origin.page(PATH, ARTICLE)
    local = seed_snapshot(tmp_path)
    (local.parent / "snapshot.toml").write_text(f'url = "{url}"\n', "utf-8")
    result = _archive(local, "--allow-private-addresses")
    assert result["live"] == "ok"
    warc = local.parent / result["warc"]
    records = _records(warc)
    response = next(h for kind, h, _c in records if kind == "response")
    assert response["WARC-IP-Address"] == "127.0.0.1"
    assert response["WARC-Target-URI"] == url
    (pem_record,) = [
        (h, c)
        for kind, h, c in records
        if kind == "metadata" and h["Content-Type"] == PEM_CONTENT_TYPE
    ]
    headers, content = pem_record
    assert headers["WARC-Refers-To"] == response["WARC-Record-ID"]
    # Not the page's URL, which pywb would then replay as the PEM.
    assert headers["WARC-Target-URI"] == f"tls:127.0.0.1:{tls_origin.port}"
    # The verified chain, leaf first: the server's certificate, then the test's CA.
    expected = [ssl.PEM_cert_to_DER_cert(tls_files[name].read_text()) for name in ("leaf", "ca")]
    assert _pem_blocks(content.decode("ascii")) == expected
    fields = next(c for kind, h, c in records if kind == "metadata" and "WARC-Concurrent-To" in h)
    assert b"tls-chain: verified" in fields
    (page,) = read_records(warc)
    assert page.ip_address == "127.0.0.1"
    assert page.certificates_pem is not None and _pem_blocks(page.certificates_pem) == expected
    assert page.fields["role"] == "live"  # the PEM record did not replace the fields
    assert _warcio_check(warc) == 0
    # pywb indexes the PEM record too (only warc-fields metadata is skipped): under its
    # tls: URI, the page still replays as the page.
    with PywbServer({"pad": [Capture("https://pad.example/", "20120101000000", b"x")]}) as pywb:
        pywb._run("init", "tls")
        pywb._run("add", "tls", str(warc))
        stamp = headers["WARC-Date"].translate({ord(c): None for c in "-:TZ"})
        replayed = httpx.get(f"{pywb.base_of('tls')}/{stamp}id_/{url}", timeout=10)
        assert replayed.status_code == 200 and replayed.content == ARTICLE
    code, out, err = run_cli("verify", str(local.parent.parent))
    assert code == 0, out + err


def test_an_https_page_whose_issuer_is_not_trusted_is_not_fetched(
    tmp_path: Path, tls_origin: TLSOrigin
) -> None:
    url = tls_origin.page(PATH, ARTICLE)
    local = seed_snapshot(tmp_path)
    (local.parent / "snapshot.toml").write_text(f'url = "{url}"\n', "utf-8")
    code, out, _err = run_cli(
        "archive", str(local), "--allow-private-addresses", "--format", "json"
    )
    assert code == 4
    assert json.loads(out)["warc"] is None
    assert tls_origin.requests() == []  # the handshake failed: no request was ever read


def test_a_capture_names_the_archive_server_its_certificates_are_of(
    tls_files: dict[str, Path], tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from snapverify.store.warc import CaptureRecord, write_warc

    der = ssl.PEM_cert_to_DER_cert(tls_files["leaf"].read_text())
    capture = CaptureRecord(
        url="http://news.example/a",
        captured_at=datetime(2012, 5, 28, tzinfo=UTC),
        source_url="https://[2001:db8::7]:8443/coll/20120528000000id_/http://news.example/a",
        content_type="text/html",
        payload=b"<p>a</p>",
        ip_address="2001:db8::7",
        certificates=[der],
    )
    warc = tmp_path / "c.warc.gz"
    with warc.open("wb") as out:
        write_warc(out, filename=warc.name, captures=[capture])
    records = _records(warc)
    resource = next(h for kind, h, _c in records if kind == "resource")
    assert resource["WARC-IP-Address"] == "2001:db8::7"
    (pem,) = [(h, c) for k, h, c in records if h.get("Content-Type") == PEM_CONTENT_TYPE]
    assert pem[0]["WARC-Target-URI"] == "tls:[2001:db8::7]:8443"
    assert pem[0]["WARC-Refers-To"] == resource["WARC-Record-ID"]
    assert _pem_blocks(pem[1].decode("ascii")) == [der]
    fields = next(c for k, h, c in records if "WARC-Concurrent-To" in h)
    assert b"tls-chain: leaf-only" in fields
    assert _warcio_check(warc) == 0


class TLSRelay:
    """TLS in front of a plain loopback server (pywb): each connection is accepted over
    TLS with the given certificate and relayed byte for byte to ``target``'s port."""

    def __init__(self, target: int, cert: Path, key: Path) -> None:
        self.target = target
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server((HOST, 0))
        self.listener.settimeout(0.1)  # accept() wakes to see stop()
        self.port: int = self.listener.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.stopping = threading.Event()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _relay(self, client: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(client, server_side=True)
        except (OSError, ssl.SSLError):
            client.close()
            return
        upstream = socket.create_connection((HOST, self.target), timeout=30)
        back = threading.Thread(target=self._pump, args=(upstream, secure), daemon=True)
        back.start()
        self._pump(secure, upstream)
        back.join(30)
        secure.close()
        upstream.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(30)
            thread = threading.Thread(target=self._relay, args=(client,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def __enter__(self) -> TLSRelay:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.threads[0].join(10)  # the accepting thread; relays end with their clients
        self.listener.close()


@pytest.mark.slow
def test_captures_from_an_archive_over_https_keep_its_chain_into_an_evidence_bundle(
    tmp_path: Path, tls_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real pywb behind TLS (a certificate for 127.0.0.1 the test's CA signs): the check
    # and archive --captures speak HTTPS to the archive; what they store carries the
    # archive server's address and chain, and the bundle made of it verifies.
    from captures import MT_URL, mt_page
    from test_evidence import _members

    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files["ca"]))
    stamp = "20120528010203"
    pywb = PywbServer({"ia": [Capture(MT_URL, stamp, mt_page("original"))]}, root=tmp_path / "pw")
    with pywb, TLSRelay(pywb.port, tls_files["leaf"], tls_files["key"]) as relay:
        base = f"https://{HOST}:{relay.port}/ia"
        local = seed_snapshot(tmp_path)
        args = ["--archive", base, "--allow-private-addresses", "--no-live"]
        code, out, err = run_cli("check", str(local), *args, "--no-links", "--format", "json")
        assert code == 0 and json.loads(out)["sources"][0]["id"] == f"ia:{stamp}", err
        _archive(local, *args, "--captures")
    bundle = tmp_path / "evidence.wacz"
    code, _out, err = run_cli("evidence", str(local), "-o", str(bundle))
    assert code == 0, err
    code, out, err = run_cli("verify", str(bundle))
    assert code == 0, out + err
    members = _members(bundle)
    (name,) = [n for n in members if n.startswith("archive/")]
    warc = tmp_path / "bundled.warc.gz"
    warc.write_bytes(members[name])
    records = _records(warc)
    resource = next(h for kind, h, _c in records if kind == "resource")
    assert resource["WARC-IP-Address"] == "127.0.0.1"
    (pem,) = [(h, c) for kind, h, c in records if h.get("Content-Type") == PEM_CONTENT_TYPE]
    assert pem[0]["WARC-Refers-To"] == resource["WARC-Record-ID"]
    assert pem[0]["WARC-Target-URI"] == f"tls:127.0.0.1:{relay.port}"
    expected = [ssl.PEM_cert_to_DER_cert(tls_files[n].read_text()) for n in ("leaf", "ca")]
    assert _pem_blocks(pem[1].decode("ascii")) == expected
    custody = [json.loads(line) for line in members["custody/custody.jsonl"].splitlines()]
    (fetch,) = [line for line in custody if line["event"] == "fetch"]
    assert fetch["archive_url"].startswith(f"https://{HOST}:{relay.port}/ia/{stamp}id_/")
    assert fetch["ip_address"] == "127.0.0.1" and fetch["archive"] == "ia"
