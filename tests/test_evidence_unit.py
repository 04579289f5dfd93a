"""The evidence bundle's parts that need no server: custody lines, signatures, names, index."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from snapverify.errors import UsageError
from snapverify.evidence import wacz
from snapverify.evidence.records import custody_line, select_records
from snapverify.evidence.sign import load_signing_key, sign_digest, verify_signed_data
from snapverify.evidence.tsa import check_token, load_certificates, token_name
from tsa import TsaServer, make_pki, write_key

URL = "https://news.example/2012/05/27/story"
BODY = b"<html><body><p>The story.</p></body></html>"


def _warc(path: Path, *, ip: str | None) -> Path:
    """A WARC with one live response (with ``WARC-IP-Address`` when given) and its
    snapverify metadata record, as a fetch stores it."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True, warc_version="1.1")
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "snapverify/9.9.9"}))
    headers = {"WARC-Date": "2026-12-01T10:00:00Z"}
    if ip is not None:
        headers["WARC-IP-Address"] = ip
    response = writer.create_warc_record(
        URL,
        "response",
        payload=io.BytesIO(BODY),
        length=len(BODY),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1"),
        warc_headers_dict=headers,
    )
    writer.write_record(response)
    fields = b"role: live\r\noutcome: ok\r\nstatus: 200\r\n"
    writer.write_record(
        writer.create_warc_record(
            URL,
            "metadata",
            payload=io.BytesIO(fields),
            length=len(fields),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Date": "2026-12-01T10:00:00Z",
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(stream.getvalue())
    return path


def _live_source() -> dict[str, object]:
    import hashlib

    return {
        "id": "live",
        "kind": "live",
        "url": URL,
        "timestamp": "20261201100001",
        "sha256": hashlib.sha256(BODY).hexdigest(),
    }


@pytest.mark.parametrize("ip", ["203.0.113.9", None])
def test_custody_takes_the_ip_address_the_fetch_recorded(tmp_path: Path, ip: str | None) -> None:
    folder = tmp_path / "archive"
    _warc(folder / "20261201100000-abcd.warc.gz", ip=ip)
    selection = select_records(folder, tmp_path, [_live_source()])
    assert not selection.not_stored and len(selection.matched) == 1
    line = custody_line(selection.matched[0], "archive/20261201100000-abcd.warc.gz")
    assert line["ip_address"] == ip
    assert line["url"] == URL and line["http_status"] == 200 and line["role"] == "live"
    assert line["time"] == "2026-12-01T10:00:00Z" and line["snapverify_version"] == "9.9.9"
    assert line["payload_digest"].startswith("sha1:")


def test_a_source_whose_payload_no_warc_holds_is_not_stored(tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    _warc(folder / "20261201100000-abcd.warc.gz", ip=None)
    other = {**_live_source(), "sha256": "0" * 64}
    capture = {"id": "wayback:20120527000000", "kind": "archive", "sha256": "1" * 64}
    unfetched = {"id": "wayback:20130101000000", "kind": "archive", "sha256": None}
    selection = select_records(folder, tmp_path, [other, capture, unfetched])
    assert selection.matched == ()
    assert selection.not_stored == ("live", "wayback:20120527000000")


def test_a_signature_verifies_and_fails_when_anything_moves(tmp_path: Path) -> None:
    write_key(tmp_path / "key.pem")
    key = load_signing_key(tmp_path / "key.pem")
    digest = wacz.sha256_tag(b"{}")
    signed = sign_digest(key, digest, "2026-12-01T10:00:00Z")
    assert len(base64.b64decode(signed["signature"])) == 64  # raw r || s, as WebCrypto
    assert verify_signed_data(signed, digest, "2026-12-01T10:00:00Z") is None
    assert "not the hash" in str(verify_signed_data(signed, wacz.sha256_tag(b"[]"), None))
    assert "created" in str(verify_signed_data(signed, digest, "2026-12-02T10:00:00Z"))
    forged = {**signed, "hash": wacz.sha256_tag(b"[]")}
    problem = verify_signed_data(forged, forged["hash"], "2026-12-01T10:00:00Z")
    assert problem == "the signature does not verify with its public key"


_WEBCRYPTO_VERIFY = """async ([signed, curve]) => {
  const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey(
    "spki", bytes(signed.publicKey), {name: "ECDSA", namedCurve: curve}, false, ["verify"]);
  const check = (hash) => crypto.subtle.verify(
    {name: "ECDSA", hash: "SHA-256"}, key, bytes(signed.signature),
    new TextEncoder().encode(hash));
  return [await check(signed.hash), await check(signed.hash.replace(/.$/, "0"))];
}"""


@pytest.mark.slow
def test_a_signature_verifies_in_a_browser_as_wacz_auth_tools_check_it(tmp_path: Path) -> None:
    # ArchiveWeb.page and ReplayWeb.page sign and verify with WebCrypto: the SPKI public
    # key, ECDSA with SHA-256 over the ``hash`` string, the raw r || s signature.
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} not found: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    digest = wacz.sha256_tag(b'{"resources": []}')
    signatures = []
    for curve, name in ((ec.SECP256R1(), "P-256"), (ec.SECP384R1(), "P-384")):
        write_key(tmp_path / f"{name}.pem", curve)
        key = load_signing_key(tmp_path / f"{name}.pem")
        signatures.append((sign_digest(key, digest, "2026-12-01T10:00:00Z"), name))
    page_file = tmp_path / "blank.html"  # a file: page is a secure context (WebCrypto)
    page_file.write_text("<!doctype html><title>verify</title>", "utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu"],
            proxy={"server": "http://127.0.0.1:9"},  # a closed port: no way out
        )
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            for signed, name in signatures:  # P-384: as ReplayWeb.page imports the key
                assert page.evaluate(_WEBCRYPTO_VERIFY, [signed, name]) == [True, False], name
        finally:
            browser.close()


def test_only_a_p256_or_p384_key_signs(tmp_path: Path) -> None:
    write_key(tmp_path / "p384.pem", ec.SECP384R1())
    key = load_signing_key(tmp_path / "p384.pem")
    signed = sign_digest(key, "sha256:00", "2026-12-01T10:00:00Z")
    assert len(base64.b64decode(signed["signature"])) == 96
    assert verify_signed_data(signed, "sha256:00", "2026-12-01T10:00:00Z") is None
    write_key(tmp_path / "p521.pem", ec.SECP521R1())
    with pytest.raises(UsageError, match=r"not an ECDSA P-256 \(or P-384\) key"):
        load_signing_key(tmp_path / "p521.pem")
    (tmp_path / "junk.pem").write_text("not a key", "utf-8")
    with pytest.raises(UsageError, match="not an unencrypted PEM private key"):
        load_signing_key(tmp_path / "junk.pem")


def test_token_names_follow_the_tsa_and_never_collide() -> None:
    first = token_name("https://freetsa.org/tsr")
    assert first == "freetsa.org.tsr"
    assert token_name("https://freetsa.org/other", [first]) == "freetsa.org-2.tsr"
    assert token_name("http://127.0.0.1:8080/tsr") == "127.0.0.1-8080.tsr"
    assert token_name("http://[::1]:80/../x") == "1-80.tsr"


def test_a_reply_that_is_not_a_token_is_named() -> None:
    problem = check_token(b"\x30\x03\x02\x01\x00", b"data").problem
    assert problem is not None


def test_the_index_lists_pages_as_pywb_keys_them(tmp_path: Path) -> None:
    path = _warc(tmp_path / "a.warc.gz", ip=None)
    lines = wacz.cdxj_lines("a.warc.gz", path.read_bytes())
    assert len(lines) == 1  # the response; not warcinfo, not the metadata record
    key, stamp, data = lines[0].split(" ", 2)
    assert key == "example,news)/2012/05/27/story" and stamp == "20261201100000"
    entry = json.loads(data)
    assert entry["filename"] == "a.warc.gz" and entry["status"] == "200"
    assert entry["mime"] == "text/html" and int(entry["offset"]) > 0
    assert wacz.iso(datetime(2026, 12, 1, 10, tzinfo=UTC)) == "2026-12-01T10:00:00Z"


def test_a_bundle_that_unpacks_too_large_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from snapverify.evidence import check

    path = tmp_path / "big.wacz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/a.warc.gz", b"\0" * 4096)
    monkeypatch.setattr(check, "MAX_BUNDLE_BYTES", 1024)
    result = check.verify_bundle(path)
    assert result.exit_code == 5 and result.failed is not None
    assert result.failed.name == "zip" and "more than a bundle may hold" in result.failed.detail
    path.write_bytes(b"PK\x03\x04 not a zip at all")
    assert check.verify_bundle(path).failed.name == "zip"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("digest", "resources", "part"),
    [(b"[]", [], "digest"), (None, [1], "datapackage"), (None, ["a"], "datapackage")],
)
def test_a_package_or_digest_of_the_wrong_json_shape_is_a_failed_part(
    tmp_path: Path, digest: bytes | None, resources: list[object], part: str
) -> None:
    import zipfile

    from snapverify.evidence import check

    package = json.dumps({"wacz_version": "1.1.1", "resources": resources}).encode()
    if digest is None:
        digest = json.dumps({"hash": wacz.sha256_tag(package)}).encode()
    path = tmp_path / "odd.wacz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(wacz.DATAPACKAGE, package)
        archive.writestr(wacz.DIGEST_FILE, digest)
    result = check.verify_bundle(path)
    assert result.exit_code == 5 and result.failed is not None
    assert result.failed.name == part


def _token(tsa: TsaServer, data: bytes) -> bytes:
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
    return tsa.reply(query.cert_request(cert_request=True).build().as_bytes())


@pytest.mark.slow
def test_a_token_is_judged_as_of_its_own_time(tmp_path: Path) -> None:
    data = b'{"resources": []}'
    # The TSA's certificate expires two seconds after the token: the token still holds.
    expiring = make_pki(tmp_path / "expiring", tsa_until=timedelta(seconds=2))
    token = _token(TsaServer(expiring), data)
    roots = load_certificates([expiring.ca])
    time.sleep(3)
    assert (
        datetime.now(UTC)
        > x509.load_pem_x509_certificate(expiring.tsa_cert.read_bytes()).not_valid_after_utc
    )
    held = check_token(token, data, roots=roots)
    assert held.problem is None and held.chain_checked
    # A certificate valid only from tomorrow: a token made today does not hold.
    early = make_pki(tmp_path / "early", tsa_from=timedelta(days=1))
    token = _token(TsaServer(early), data)
    early_check = check_token(token, data, roots=load_certificates([early.ca]))
    assert early_check.problem is not None and "not yet valid" in early_check.problem
