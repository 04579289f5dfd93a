"""``snapverify evidence`` and ``verify FILE.wacz`` end to end.

One scenario for the module: a loopback origin serves the article, a real pywb holds its
captures, ``check`` records a check, ``archive --captures`` stores what it compared, and
``evidence`` packages it, signed (ECDSA P-256) and timestamped by a real RFC 3161 TSA on
loopback (``openssl ts -reply``, :mod:`tsa`). Every test reads that bundle or a tampered
copy of it; the replay test unpacks it into a second pywb.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml

from captures import moscow_times_captures
from servers import FIXTURES, OriginServer, PywbServer, _script
from snapverify.compare.fingerprint import fingerprint
from snapverify.evidence import verify_bundle, wacz
from snapverify.report.html import render_html
from snapverify.report.load import result_from_dict
from snapverify.store.warc import read_records
from support import run_cli, seed_snapshot
from tsa import TsaServer, make_pki, write_key

pytestmark = pytest.mark.slow

REPORT = "reports/check.json"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    root = tmp_path_factory.mktemp("evidence")
    origin = OriginServer().start()
    pywb = tsa = None
    try:
        path = "/2012/05/27/kazakh-massacre-cover-up-a15040"
        url = origin.url(path)
        body = (FIXTURES / "capture-original.html").read_bytes()
        origin.page(path, gzip.compress(body, mtime=0), headers=[("Content-Encoding", "gzip")])
        captures = moscow_times_captures(url=url, old_url=origin.url("/old/459295.html"))
        pywb = PywbServer({"mt": captures}, root=root / "pywb").start()
        pki = make_pki(root / "pki")
        tsa = TsaServer(pki).start()
        key = root / "sign.pem"
        write_key(key)
        local = seed_snapshot(root / "work")
        (local.parent / "snapshot.toml").write_text(f'url = "{url}"\n', "utf-8")
        args = ["--archive", pywb.base, "--allow-private-addresses"]
        # --no-links: the captures' links point at the real web.
        code, _out, err = run_cli("check", str(local), *args, "--no-links", "--format", "json")
        assert code == 1, err  # the captures hold edits
        code, _out, err = run_cli("archive", "--captures", str(local), *args)
        assert code == 0, err
        bundle = root / "evidence.wacz"
        code, out, err = run_cli(
            "evidence", str(local), "-o", str(bundle), "--tsa", tsa.url,
            "--tsa-ca", str(pki.ca), "--sign-key", str(key), "--allow-private-addresses",
            "--format", "json",
        )  # fmt: skip
        assert code == 0, err
        yield SimpleNamespace(
            root=root, origin=origin, pywb=pywb, tsa=tsa, pki=pki, key=key, local=local,
            url=url, body=body, bundle=bundle, result=json.loads(out), args=args,
        )  # fmt: skip
    finally:
        for server in (tsa, pywb, origin):
            if server is not None:
                server.stop()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _custody(members: Mapping[str, bytes]) -> list[dict[str, Any]]:
    lines = members["custody/custody.jsonl"].decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _verify(path: Path, *more: str) -> tuple[int, str, str]:
    return run_cli("verify", str(path), *more)


def _rebuild(
    source: Path,
    target: Path,
    changes: Mapping[str, bytes | None],
    *,
    refresh: bool = True,
    keep_signature: bool = False,
    keep_tokens: bool = False,
) -> Path:
    """A copy of a bundle with members replaced (None: removed). With ``refresh``, the
    data package lists the new hashes and sizes and the digest file its new hash, as a
    forger would write them; the signature and tokens are dropped unless kept. The ZIP
    is written as ``evidence`` writes it (a careful forger: the layout holds)."""
    members = _members(source)
    for name, data in changes.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    if not keep_tokens:
        members = {k: v for k, v in members.items() if not k.startswith("timestamps/")}
    if refresh:
        package = json.loads(members["datapackage.json"])
        if not keep_tokens:
            package.get("snapverify", {}).pop("timestamps", None)
        for resource in package["resources"]:
            data = members.get(resource["path"])
            if data is not None:
                resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
                resource["bytes"] = len(data)
        members["datapackage.json"] = json.dumps(package, indent=2).encode("utf-8")
        digest = json.loads(members["datapackage-digest.json"])
        digest["hash"] = "sha256:" + hashlib.sha256(members["datapackage.json"]).hexdigest()
        if not keep_signature:
            digest.pop("signedData", None)
        members["datapackage-digest.json"] = json.dumps(digest).encode("utf-8")
    try:
        created = json.loads(members["datapackage.json"])["created"]
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        when = datetime.now(UTC)
    resources = [wacz.Resource(name, data) for name, data in members.items()]
    target.write_bytes(wacz.write_zip(resources, when))
    return target


# -- the bundle -------------------------------------------------------------------------


def test_bundle_holds_the_wacz_layout_and_every_file_listed(scene: SimpleNamespace) -> None:
    members = _members(scene.bundle)
    names = set(members)
    seed = scene.local.name
    for name in (
        "datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz", "indexes/index.cdxj",
        "pages/pages.jsonl", REPORT, "reports/check.html", f"source/{seed}",
        "source/snapshot.toml", "custody/custody.jsonl",
    ):  # fmt: skip
        assert name in names, name
    warcs = [n for n in names if n.startswith("archive/") and n.endswith(".warc.gz")]
    assert len(warcs) == 1
    stored = sorted((scene.local.parent / "archive").glob("*.warc.gz"))
    assert members[warcs[0]] == stored[0].read_bytes()  # byte for byte as stored
    assert members[f"source/{seed}"] == scene.local.read_bytes()
    manifests = [n for n in names if n.startswith("custody/") and n.endswith(".txt")]
    assert len(manifests) == 1 and warcs[0].removeprefix("archive/") in members[
        manifests[0]
    ].decode("utf-8")
    tokens = [n for n in names if n.startswith("timestamps/")]
    assert tokens == [f"timestamps/127.0.0.1-{scene.tsa.port}.tsr"]
    assert all(n.count("/") <= 1 for n in names)
    # The same index twice: gzipped for pywb, plain for ReplayWeb.page (which reads only
    # .cdx, .cdxj and .idx); pywb's --unpack-wacz reads only *.cdx(.gz).
    plain = members["indexes/index.cdxj"]
    fetches = [line for line in _custody(members) if line["event"] == "fetch"]
    assert plain == gzip.decompress(members["indexes/index.cdx.gz"])
    assert plain.count(b"\n") == len(fetches)

    package = json.loads(members["datapackage.json"])
    assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
    listed = {r["path"]: r for r in package["resources"]}
    assert set(listed) == names - {"datapackage.json", "datapackage-digest.json", *tokens}
    for path, resource in listed.items():
        data = members[path]
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
    digest = json.loads(members["datapackage-digest.json"])
    assert digest["path"] == "datapackage.json"
    assert digest["hash"] == "sha256:" + hashlib.sha256(members["datapackage.json"]).hexdigest()
    signed = digest["signedData"]
    assert signed["hash"] == digest["hash"] and signed["created"] == package["created"]
    assert signed["publicKey"] and signed["signature"]
    # WACZ Auth: an anonymous signature holds these properties and no other.
    assert set(signed) == {"hash", "created", "software", "version", "signature", "publicKey"}

    report = json.loads(members[REPORT])
    assert report["schema"] == "snapverify/check-v1" and report["verdict"] == "changed"
    assert scene.result["check_id"] >= 1 and scene.result["signed"] is True
    assert scene.result["signature_curve"] == "P-256"


def test_custody_log_names_each_fetch_the_check_compared(scene: SimpleNamespace) -> None:
    members = _members(scene.bundle)
    report = json.loads(members[REPORT])
    lines = _custody(members)
    assert [line["event"] for line in (lines[0], lines[-1])] == ["check", "package"]
    assert lines[-1]["command"].startswith("snapverify evidence ")
    fetches = [line for line in lines if line["event"] == "fetch"]
    read = {s["id"]: s for s in report["sources"] if s["sha256"]}
    assert {line["source"] for line in fetches} == set(read)
    for line in fetches:
        source = read[line["source"]]
        assert line["payload_sha256"] == source["sha256"]
        assert line["payload_digest"].startswith("sha1:")
        assert line["snapverify_version"] and line["time"]
        # Who fetched it and from where: the address that answered, the command line.
        assert line["ip_address"] == "127.0.0.1"
        assert line["command"].startswith("snapverify archive --captures ")
        assert isinstance(line["http_status"], int)
    live = next(line for line in fetches if line["role"] == "live")
    assert live["url"] == scene.url and live["http_status"] == 200 and live["archive"] is None
    assert live["payload_sha256"] == hashlib.sha256(scene.body).hexdigest()
    captures = [line for line in fetches if line["role"] == "capture"]
    assert captures and all(line["archive"] == "mt" for line in captures)
    assert {f"mt:{line['capture_timestamp']}" for line in captures} == set(read) - {"live"}
    pages = members["pages/pages.jsonl"].decode("utf-8").splitlines()
    assert json.loads(pages[0])["format"] == "json-pages-1.0"
    assert len(pages) == 1 + len(fetches)


def test_verify_holds_for_the_bundle_as_made(scene: SimpleNamespace) -> None:
    code, out, err = _verify(scene.bundle, "--tsa-ca", str(scene.pki.ca))
    assert code == 0, out + err
    parts = ("zip", "datapackage", "digest", "resources", "layout", "warc", "manifests")
    for part in (*parts, "signature", "timestamps", "findings"):
        assert f"ok     {part}:" in out
    assert "signature and chain verified" in out
    assert "give the report's" in out and "OK:" in out


def test_openssl_verifies_the_token_over_datapackage_json(scene: SimpleNamespace) -> None:
    members = _members(scene.bundle)
    folder = scene.root / "openssl"
    folder.mkdir()
    (folder / "datapackage.json").write_bytes(members["datapackage.json"])
    token = next(n for n in members if n.startswith("timestamps/"))
    (folder / "token.tsr").write_bytes(members[token])
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(folder / "datapackage.json"),
         "-in", str(folder / "token.tsr"), "-CAfile", str(scene.pki.ca)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    (folder / "datapackage.json").write_bytes(members["datapackage.json"] + b" ")
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(folder / "datapackage.json"),
         "-in", str(folder / "token.tsr"), "-CAfile", str(scene.pki.ca)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode != 0


def test_wacz_validate_passes_with_the_timestamps_set_aside(scene: SimpleNamespace) -> None:
    wacz = shutil.which("wacz")
    if wacz is None:
        pytest.skip("the wacz package's validator is not installed")
    members = _members(scene.bundle)
    plain = _rebuild(
        scene.bundle,
        scene.root / "no-tokens.wacz",
        {n: None for n in members if n.startswith("timestamps/")},
        refresh=False,
    )
    done = subprocess.run(
        [wacz, "validate", "-f", str(plain)], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation succeeded" in done.stdout


# -- what verify catches -----------------------------------------------------------------


@pytest.mark.parametrize("where", ["warc", "report", "datapackage", "index"])
def test_a_flipped_byte_anywhere_fails(scene: SimpleNamespace, where: str, tmp_path: Path) -> None:
    data = bytearray(scene.bundle.read_bytes())
    with zipfile.ZipFile(scene.bundle) as archive:
        name = {
            "warc": next(n for n in archive.namelist() if n.startswith("archive/")),
            "report": REPORT,
            "datapackage": "datapackage.json",
            "index": "indexes/index.cdx.gz",
        }[where]
        info = archive.getinfo(name)
    # The member's data starts after its 30-byte local header, name and extra field.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.file_size // 2] ^= 0x01
    copy = tmp_path / "flipped.wacz"
    copy.write_bytes(bytes(data))
    code, out, err = _verify(copy)
    assert code == 5
    assert f"{name}: damaged" in err and "FAILED" in out


def test_a_flipped_byte_in_any_header_or_anywhere_in_the_data_fails(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    # Every byte outside the members' data (local headers, central directory, end
    # record): no hash covers most of them, the layout does. In the data, every 997th byte.
    data = scene.bundle.read_bytes()
    with zipfile.ZipFile(scene.bundle) as archive:
        infos, start_dir = archive.infolist(), archive.start_dir
    headers = [
        p
        for i in infos
        for p in range(i.header_offset, i.header_offset + 30 + len(i.filename) + len(i.extra))
    ]
    headers += range(start_dir, len(data))
    taken = set(headers)
    positions = headers + [p for p in range(0, start_dir, 997) if p not in taken]
    copy = tmp_path / "flipped.wacz"
    failed: Counter[str] = Counter()
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        copy.write_bytes(bytes(flipped))
        result = verify_bundle(copy)  # never raises: a damaged bundle is exit 5
        assert result.exit_code == 5 and result.failed is not None, position
        failed[result.failed.name] += 1
    assert failed["layout"] > 100  # caught by nothing else: dates, attributes, versions
    assert failed["zip"] > len(positions) // 3


def test_a_removed_timestamp_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    # A token cannot be listed in the package it covers, but its name is given there.
    name = f"timestamps/127.0.0.1-{scene.tsa.port}.tsr"
    assert json.loads(_members(scene.bundle)["datapackage.json"])["snapverify"]["timestamps"] == [
        name
    ]
    copy = _rebuild(scene.bundle, tmp_path / "untimed.wacz", {name: None}, refresh=False)
    code, out, err = _verify(copy)
    assert code == 5 and "ok     layout:" in out
    assert f"timestamps: {name}: named in datapackage.json but missing" in err


def test_a_custody_line_or_timestamp_list_of_the_wrong_json_shape_fails_never_70(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    members = _members(scene.bundle)
    custody = members["custody/custody.jsonl"] + b"1\n"
    copy = _rebuild(scene.bundle, tmp_path / "odd.wacz", {"custody/custody.jsonl": custody})
    code, _out, err = _verify(copy)
    assert code == 5 and "findings: the report or the custody log is unreadable" in err
    package = json.loads(members["datapackage.json"])
    package["snapverify"]["timestamps"] = 5
    changes = {"datapackage.json": json.dumps(package).encode("utf-8")}
    copy = _rebuild(scene.bundle, tmp_path / "odd2.wacz", changes, keep_tokens=True)
    code, _out, err = _verify(copy)
    assert code == 5 and "timestamps: datapackage.json: its timestamps are not a list" in err


def test_a_report_whose_verdict_was_edited_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    members = _members(scene.bundle)
    report = json.loads(members[REPORT])
    report["verdict"], report["exit_code"] = "unchanged", 0
    custody = [json.loads(line) for line in members["custody/custody.jsonl"].splitlines()]
    custody[0]["verdict"] = "unchanged"
    changes = {
        REPORT: json.dumps(report, indent=2).encode("utf-8"),
        "reports/check.html": render_html([result_from_dict(report)]).encode("utf-8"),
        "custody/custody.jsonl": "".join(json.dumps(c) + "\n" for c in custody).encode("utf-8"),
    }
    code, out, err = _verify(_rebuild(scene.bundle, tmp_path / "verdict.wacz", changes))
    assert code == 5 and "ok     resources:" in out
    assert "findings: the report's verdict unchanged (exit 0) is not what its findings give" in err


def test_a_removed_file_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    name = f"source/{scene.local.name}"
    copy = _rebuild(scene.bundle, tmp_path / "removed.wacz", {name: None}, refresh=False)
    code, _out, err = _verify(copy)
    assert code == 5
    assert f"resources: {name}: listed in datapackage.json but missing" in err


def test_an_unlisted_file_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    copy = _rebuild(scene.bundle, tmp_path / "more.wacz", {"source/extra.txt": b"x"}, refresh=False)
    code, _out, err = _verify(copy)
    assert code == 5 and "source/extra.txt: in the bundle but not listed" in err


def test_a_token_over_another_hash_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = (
        TimestampRequestBuilder()
        .data(b"another datapackage.json")
        .hash_algorithm(HashAlgorithm.SHA256)
        .build()
    )
    token = scene.tsa.reply(query.as_bytes())  # a real token, over other bytes
    name = f"timestamps/127.0.0.1-{scene.tsa.port}.tsr"
    copy = _rebuild(
        scene.bundle, tmp_path / "token.wacz", {name: token}, refresh=False, keep_tokens=True
    )
    code, _out, err = _verify(copy, "--tsa-ca", str(scene.pki.ca))
    assert code == 5
    assert f"timestamps: {name}: the token is over other bytes than datapackage.json" in err


def test_a_token_from_an_untrusted_tsa_fails(scene: SimpleNamespace) -> None:
    other = make_pki(scene.root / "other-pki", name="Other")
    code, _out, err = _verify(scene.bundle, "--tsa-ca", str(other.ca))
    assert code == 5 and "the token's signature or chain does not verify" in err
    code, out, _err = _verify(scene.bundle)  # no CA: the imprint is checked, the signer not
    assert code == 0 and "signer not checked (give --tsa-ca)" in out


def test_a_changed_package_with_the_old_signature_fails(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    members = _members(scene.bundle)
    package = json.loads(members["datapackage.json"])
    package["title"] = "something else"
    copy = _rebuild(
        scene.bundle,
        tmp_path / "resigned.wacz",
        {"datapackage.json": json.dumps(package).encode("utf-8")},
        keep_signature=True,
    )
    code, _out, err = _verify(copy)
    assert code == 5 and "signature: the signed hash is not the hash of datapackage.json" in err


def test_a_datapackage_without_its_digest_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    copy = _rebuild(
        scene.bundle, tmp_path / "nodigest.wacz", {"datapackage.json": b"{}"}, refresh=False
    )
    code, _out, err = _verify(copy)
    assert code == 5 and "datapackage:" in err


def _edited_report(scene: SimpleNamespace, *, keep_fingerprint: bool) -> bytes:
    report = json.loads(_members(scene.bundle)[REPORT])
    finding = next(f for f in report["findings"] if f["kind"] == "edited")
    finding["remote_text"] = finding["remote_text"].replace("the", "a", 1)
    if not keep_fingerprint:
        finding["fingerprint"] = _fingerprint_of(report, finding)
    return json.dumps(report, indent=2).encode("utf-8")


def _fingerprint_of(report: dict[str, Any], finding: dict[str, Any]) -> str:
    index = report["findings"].index(finding)
    return fingerprint(result_from_dict(report).findings[index])


@pytest.mark.parametrize("keep_fingerprint", [True, False])
def test_a_report_edited_after_the_fact_fails(
    scene: SimpleNamespace, tmp_path: Path, keep_fingerprint: bool
) -> None:
    # A forger rewrites the finding's text and every hash (but cannot sign or timestamp).
    edited = _edited_report(scene, keep_fingerprint=keep_fingerprint)
    copy = _rebuild(scene.bundle, tmp_path / "edited.wacz", {REPORT: edited})
    code, out, err = _verify(copy)
    assert code == 5, out
    assert "ok     resources:" in out  # every hash holds: only the re-run shows it
    if keep_fingerprint:
        assert "does not give its fingerprint" in err and "the report was edited" in err
    else:
        assert "findings: the report's edited finding" in err
        assert "is not what the bundle's pages show" in err


def test_an_edited_html_report_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    html = _members(scene.bundle)["reports/check.html"].replace(b"Kazakh", b"Kazakx", 1)
    copy = _rebuild(scene.bundle, tmp_path / "html.wacz", {"reports/check.html": html})
    code, _out, err = _verify(copy)
    assert code == 5 and "findings: reports/check.html is not the rendering" in err


def test_an_edited_warc_record_fails(scene: SimpleNamespace, tmp_path: Path) -> None:
    members = _members(scene.bundle)
    name = next(n for n in members if n.startswith("archive/"))
    # Rewrite one record's payload inside its own gzip member: every gzip CRC and every
    # hash in the data package then hold; only the record's WARC digests tell.
    data = members[name]
    capture = next(p for p in read_records(Path(name), data) if p.role == "capture")
    start = capture.offset
    decompressor = __import__("zlib").decompressobj(31)
    record = decompressor.decompress(data[start:])
    end = len(data) - len(decompressor.unused_data)
    changed = record.replace(b"Kazakh", b"Kazakx", 1)
    assert changed != record
    forged = data[:start] + gzip.compress(changed, mtime=0) + data[end:]
    copy = _rebuild(scene.bundle, tmp_path / "warc.wacz", {name: forged})
    code, _out, err = _verify(copy)
    assert code == 5 and f"warc: {name}" in err and "digest" in err


# -- replay -------------------------------------------------------------------------------


class _WaczPywb(PywbServer):
    """pywb with one collection made by ``wb-manager add --unpack-wacz``."""

    def __init__(self, wacz: Path, root: Path) -> None:
        super().__init__({"ev": ()}, root=root)
        self.wacz = wacz

    def _prepare(self) -> None:
        assert self.root is not None
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "config.yaml").write_text(yaml.safe_dump({"enable_memento": True}), "utf-8")
        self._run("init", "ev")
        self._run("add", "--unpack-wacz", "ev", str(self.wacz))


def test_pywb_replays_every_compared_fetch_byte_for_byte(scene: SimpleNamespace) -> None:
    assert Path(_script("wb-manager")).exists()
    members = _members(scene.bundle)
    fetches = [line for line in _custody(members) if line["event"] == "fetch"]
    pages = {}
    for name in {line["warc"] for line in fetches}:
        for page in read_records(Path(name), members[name]):
            pages[page.record_id] = page
    with _WaczPywb(scene.bundle, scene.root / "replay") as pywb, httpx.Client(timeout=30) as client:
        for line in fetches:
            page = pages[line["record_id"]]
            assert page.date is not None
            stamp = page.date.strftime("%Y%m%d%H%M%S")
            cdx = client.get(f"{pywb.base}/cdx", params={"url": page.url, "output": "json"})
            rows = [json.loads(row) for row in cdx.text.splitlines()]
            assert any(r["timestamp"] == stamp for r in rows), (line["source"], rows)
            replay = client.get(f"{pywb.base}/{stamp}id_/{page.url}")
            # A capture is a resource record (the archive's payload, no HTTP exchange):
            # replayed as 200; the live page's response record with its own status.
            expected = page.status if page.kind == "response" else 200
            assert replay.status_code == expected, line["source"]
            assert replay.content == page.payload, line["source"]
        live = next(line for line in fetches if line["role"] == "live")
        assert pages[live["record_id"]].payload == scene.body


# -- evidence refusals ------------------------------------------------------------------------


def _copy_work(scene: SimpleNamespace, target: Path, *, archive: bool) -> Path:
    shutil.copytree(
        scene.root / "work", target, ignore=None if archive else shutil.ignore_patterns("archive")
    )
    return target / "snapshots" / "mt" / scene.local.name


def test_a_check_that_stored_nothing_exits_2(scene: SimpleNamespace, tmp_path: Path) -> None:
    local = _copy_work(scene, tmp_path / "work", archive=False)
    code, _out, err = run_cli("evidence", str(local), "-o", str(tmp_path / "x.wacz"))
    assert code == 2
    assert "stored nothing" in err and "snapverify archive --captures" in err
    assert not (tmp_path / "x.wacz").exists()


def test_an_unknown_check_exits_2(scene: SimpleNamespace, tmp_path: Path) -> None:
    code, _out, err = run_cli(
        "evidence", str(scene.local), "--check", "999", "-o", str(tmp_path / "x.wacz")
    )
    assert code == 2 and "no check 999" in err


def test_a_named_check_is_the_one_packaged(scene: SimpleNamespace, tmp_path: Path) -> None:
    check_id = scene.result["check_id"]
    out_path = tmp_path / "named.wacz"
    code, out, err = run_cli(
        "evidence", str(scene.local), "--check", str(check_id), "-o", str(out_path),
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    package = json.loads(_members(out_path)["datapackage.json"])
    assert package["snapverify"]["check_id"] == check_id == json.loads(out)["check_id"]
    assert json.loads(_members(out_path)["datapackage-digest.json"]).get("signedData") is None


def test_a_local_copy_changed_since_the_check_exits_5(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    local = _copy_work(scene, tmp_path / "work", archive=True)
    local.write_bytes(local.read_bytes() + b"\nA line added later.\n")
    code, _out, err = run_cli("evidence", str(local), "-o", str(tmp_path / "x.wacz"))
    assert code == 5 and "changed since check" in err


def test_a_tsa_on_loopback_is_refused_without_the_allowance(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    before = len(scene.tsa.queries)
    code, _out, err = run_cli(
        "evidence", str(scene.local), "-o", str(tmp_path / "x.wacz"), "--tsa", scene.tsa.url
    )
    assert code == 3, err
    assert len(scene.tsa.queries) == before  # no request reached the TSA
    assert not (tmp_path / "x.wacz").exists()


def test_an_existing_output_is_never_replaced(scene: SimpleNamespace, tmp_path: Path) -> None:
    target = tmp_path / "taken.wacz"
    target.write_bytes(b"mine")
    code, _out, err = run_cli("evidence", str(scene.local), "-o", str(target))
    assert code == 2 and "exists" in err and target.read_bytes() == b"mine"


def test_verify_says_each_part_as_json(scene: SimpleNamespace, tmp_path: Path) -> None:
    code, out, _err = _verify(scene.bundle, "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["ok"] is True and result["failed"] is None
    assert [p["part"] for p in result["parts"]][-1] == "findings"
    copy = _rebuild(scene.bundle, tmp_path / "removed.wacz", {REPORT: None}, refresh=False)
    code, out, _err = _verify(copy, "--format", "json")
    assert code == 5 and json.loads(out)["failed"] == "resources"


def test_an_offline_check_of_what_was_stored_packages_every_page_it_compared(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    # A live page that differs on every load is only in a bundle when the check compared
    # the stored fetch: archive, then check --offline, then evidence.
    local = _copy_work(scene, tmp_path / "work", archive=True)
    code, out, err = run_cli("check", str(local), "--offline", "--format", "json")
    assert code == 1, err
    compared = [s["id"] for s in json.loads(out)["sources"] if s["sha256"]]
    bundle = tmp_path / "offline.wacz"
    code, _out, err = run_cli("evidence", str(local), "-o", str(bundle))
    assert code == 0, err
    lines = _custody(_members(bundle))
    assert lines[0]["not_stored"] == []
    fetched = [line["source"] for line in lines if line["event"] == "fetch"]
    assert fetched == compared and all(s.startswith("warc:archive/") for s in fetched)
    assert "live" in {line["role"] for line in lines if line["event"] == "fetch"}
    code, out, err = _verify(bundle)
    assert code == 0, out + err


def test_a_check_whose_changes_were_acknowledged_verifies(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    # Acknowledged findings leave the verdict "changed" but the exit code 0: as made.
    local = _copy_work(scene, tmp_path / "work", archive=True)
    store = local.parent.parent / ".snapverify"
    report = json.loads(_members(scene.bundle)[REPORT])
    for finding in report["findings"]:
        if finding["substantive"]:
            code, _out, err = run_cli("ack", finding["fingerprint"], "--store", str(store))
            assert code == 0, err
    code, out, err = run_cli("check", str(local), "--offline", "--format", "json")
    checked = json.loads(out)
    assert (code, checked["verdict"], checked["exit_code"]) == (0, "changed", 0), err
    bundle = tmp_path / "acked.wacz"
    code, _out, err = run_cli("evidence", str(local), "-o", str(bundle))
    assert code == 0, err
    code, out, err = _verify(bundle)
    assert code == 0, out + err


def test_each_of_several_tsas_gives_its_own_token(scene: SimpleNamespace, tmp_path: Path) -> None:
    other_pki = make_pki(tmp_path / "other-pki", name="Other")
    with TsaServer(other_pki) as other:
        bundle = tmp_path / "two.wacz"
        code, out, err = run_cli(
            "evidence", str(scene.local), "-o", str(bundle), "--tsa", scene.tsa.url,
            "--tsa", other.url, "--tsa-ca", str(scene.pki.ca), "--tsa-ca", str(other_pki.ca),
            "--allow-private-addresses", "--format", "json",
        )  # fmt: skip
        assert code == 0, err
    names = [f"timestamps/127.0.0.1-{scene.tsa.port}.tsr", f"timestamps/127.0.0.1-{other.port}.tsr"]
    assert json.loads(out)["timestamps"] == names
    members = _members(bundle)
    assert json.loads(members["datapackage.json"])["snapverify"]["timestamps"] == names
    code, out, err = _verify(bundle, "--tsa-ca", str(scene.pki.ca), "--tsa-ca", str(other_pki.ca))
    assert code == 0 and "Test TSA" in out and "Other TSA" in out, out + err
    code, _out, err = _verify(bundle, "--tsa-ca", str(scene.pki.ca))  # the other one untrusted
    assert code == 5 and f"timestamps: {names[1]}: the token's signature or chain" in err


def test_the_bundle_honours_the_umask(scene: SimpleNamespace, tmp_path: Path) -> None:
    """A bundle is an export: its mode follows the umask, as archive files do (it was
    0o644 whatever the umask, so readable by all under 077)."""
    import os
    import stat

    for umask, mode in ((0o077, 0o600), (0o022, 0o644)):
        out_path = tmp_path / f"bundle-{umask:o}.wacz"
        previous = os.umask(umask)
        try:
            code, _out, err = run_cli("evidence", str(scene.local), "-o", str(out_path))
        finally:
            os.umask(previous)
        assert code == 0, err
        assert stat.S_IMODE(out_path.stat().st_mode) == mode


def test_a_full_disk_at_the_bundle_is_exit_5_and_leaves_nothing(
    scene: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from snapverify.store import atomic

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out_path = tmp_path / "full.wacz"
    monkeypatch.setattr(atomic.os, "fsync", full)
    code, out, err = run_cli("evidence", str(scene.local), "-o", str(out_path))
    monkeypatch.undo()
    assert code == 5 and out == ""
    assert err.splitlines() == [f"snapverify: error: no space left on device: {out_path}"]
    assert list(tmp_path.iterdir()) == []  # no bundle, no temporary file


def test_a_warc_cut_short_in_a_bundle_fails_never_70(
    scene: SimpleNamespace, tmp_path: Path
) -> None:
    """A bundle whose WARC is 10 bytes short (the data package's hashes rebuilt to match):
    exit 5 naming the WARC, never an internal error now that cut WARCs are refused."""
    members = _members(scene.bundle)
    name = next(n for n in members if n.startswith("archive/"))
    copy = _rebuild(scene.bundle, tmp_path / "cut.wacz", {name: members[name][:-10]})
    code, _out, err = _verify(copy)
    assert code == 5, err
    assert name in err and "internal error" not in err
