"""store/warc.py, store/fixity.py, store/export.py and WARC local copies, on real files.

WARCs are written with warcio (as ``archive`` writes them) and checked both with
snapverify's own verifier and with ``warcio check``.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapverify.errors import InputError
from snapverify.models import Block, BlockKind, Document, Link
from snapverify.snapshot import find_local_copies, read_local_copy
from snapverify.store.atomic import remove_stale_temporaries, write_new
from snapverify.store.export import render_export
from snapverify.store.fixity import ManifestEntry, format_manifest, parse_manifest
from snapverify.store.warc import (
    CaptureRecord,
    LiveRecord,
    read_records,
    read_warcinfo,
    verify_warc,
    write_warc,
)
from snapverify.text.markdown import read_markdown
from support import FIXTURES, SEED_URL

PAGE = (FIXTURES / "capture-original.html").read_bytes()
FETCHED = datetime(2026, 11, 25, 7, 0, 0, tzinfo=UTC)
CAPTURED = datetime(2012, 5, 28, 1, 2, 3, tzinfo=UTC)


def _live(body: bytes = PAGE, *, gzip_body: bool = True) -> LiveRecord:
    wire = gzip.compress(body, mtime=0) if gzip_body else body
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")]
    if gzip_body:
        headers.append(("Content-Encoding", "gzip"))
    return LiveRecord(
        url=SEED_URL,
        fetched_at=FETCHED,
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        headers=headers,
        body=wire,
        request_headers=[("Host", "www.themoscowtimes.com"), ("User-Agent", "snapverify/test")],
        fields={"outcome": "ok", "status": "200"},
    )


def _capture(payload: bytes = b"<html><body><p>An old capture.</p></body></html>") -> CaptureRecord:
    return CaptureRecord(
        url=SEED_URL,
        captured_at=CAPTURED,
        source_url=f"http://127.0.0.1:1/mt/20120528010203id_/{SEED_URL}",
        content_type="text/html; charset=utf-8",
        payload=payload,
        fields={"archive": "mt", "timestamp": "20120528010203", "outcome": "ok", "status": "200"},
    )


def _warc(path: Path, **kwargs: object) -> Path:
    with path.open("wb") as stream:
        write_warc(stream, filename=path.name, **kwargs)  # type: ignore[arg-type]
    return path


def _warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_write_then_read_back(tmp_path: Path) -> None:
    path = _warc(tmp_path / "run.warc.gz", live=[_live()], captures=[_capture()])
    pages = read_records(path)
    assert [(p.kind, p.role) for p in pages] == [("response", "live"), ("resource", "capture")]
    live, capture = pages
    # The payload comes back decoded; the record kept the gzip body as received.
    assert live.payload == PAGE
    assert live.status == 200 and live.date == FETCHED and live.url == SEED_URL
    assert live.fields["outcome"] == "ok"
    assert live.fields["orig-transfer-encoding"] == "chunked"
    assert capture.date == CAPTURED and capture.status == 200
    assert capture.source_url is not None and "id_/" in capture.source_url
    assert capture.fields["archive"] == "mt"
    assert read_warcinfo(path)["software"].startswith("snapverify/")

    checked = _warcio_check(path)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count("digest pass") == 6  # warcinfo, request, response, 2 metadata...
    count, problems = verify_warc(path)
    assert (count, problems) == (6, [])


def test_records_carry_the_wire_body_and_both_digests(tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    path = _warc(tmp_path / "run.warc.gz", live=[_live()])
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            assert headers.get_header("WARC-Date") and headers.get_header("WARC-Block-Digest")
            if record.rec_type == "response":
                assert headers.get_header("WARC-Target-URI") == SEED_URL
                assert headers.get_header("WARC-Payload-Digest")
                assert record.http_headers.get_header("Content-Encoding") == "gzip"
                assert record.http_headers.get_header("Transfer-Encoding") is None
                raw = record.raw_stream.read()
                assert raw == gzip.compress(PAGE, mtime=0)
            if record.rec_type == "request":
                assert record.http_headers.protocol == "GET"
                assert record.http_headers.get_header("User-Agent") == "snapverify/test"


def test_every_flipped_byte_of_the_body_is_caught(tmp_path: Path) -> None:
    path = _warc(tmp_path / "run.warc.gz", live=[_live(gzip_body=False)], captures=[_capture()])
    data = path.read_bytes()
    damaged = tmp_path / "damaged.warc.gz"
    missed = []
    # Every 97th byte over the whole file (headers, bodies, gzip framing).
    for index in range(0, len(data), 97):
        flipped = bytearray(data)
        flipped[index] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        _count, problems = verify_warc(damaged)
        if not problems:
            missed.append(index)
    assert missed == []


def test_a_changed_payload_with_a_good_gzip_is_caught_by_the_digest(tmp_path: Path) -> None:
    # Recompress a record after editing it: gzip is whole, only the WARC digest can tell.
    path = _warc(tmp_path / "run.warc.gz", captures=[_capture(b"<p>Fifteen people</p>")])
    edited = gzip.decompress(path.read_bytes()).replace(b"Fifteen", b"Sixteen")
    (tmp_path / "plain.warc").write_bytes(edited)
    _count, problems = verify_warc(tmp_path / "plain.warc")
    said = " ".join(p.problem for p in problems)
    assert "block digest failed" in said and "payload digest failed" in said
    assert problems[0].offset is not None


def test_truncated_and_missing_digest(tmp_path: Path) -> None:
    path = _warc(tmp_path / "run.warc.gz", live=[_live()])
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[:-40])
    _count, problems = verify_warc(cut)
    assert problems and "truncated" in problems[0].describe()
    assert str(cut) in problems[0].describe()

    bare = tmp_path / "bare.warc"
    bare.write_bytes(
        b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-"
        b"000000000000>\r\nWARC-Date: 2012-05-28T01:02:03Z\r\nWARC-Target-URI: http://x.org/\r\n"
        b"Content-Type: text/html\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n"
    )
    count, problems = verify_warc(bare)
    assert count == 1 and [p.problem for p in problems] == ["resource record has no digest"]

    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    assert verify_warc(empty)[1][0].problem == "no WARC record"


def test_a_warc_is_a_local_copy(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    path = _warc(folder / "copy.warc.gz", live=[_live()], captures=[_capture()])
    assert find_local_copies([tmp_path]) == [path]
    copy = read_local_copy(path)
    assert copy.document.title == "Kazakh Massacre Cover-Up"
    assert copy.document.url == SEED_URL
    assert len(copy.document.blocks) == 13
    assert copy.sha256 == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="no HTML page of https://elsewhere"):
        read_local_copy(path, url="https://elsewhere.example/")
    # A WARC of captures only: the newest capture is the article.
    only = _warc(folder / "captures.warc.gz", captures=[_capture(PAGE)])
    assert read_local_copy(only).document.title == "Kazakh Massacre Cover-Up"


def test_export_reads_back_as_the_same_document(tmp_path: Path) -> None:
    document = Document(
        blocks=(
            Block("1. Not a list, *not* emphasis [nor] a <b>tag</b> # or a heading"),
            Block("- not an item & 2) neither"),
            Block("A heading", BlockKind.HEADING),
            Block("Read the statement here: it matters."),
            Block("---"),
        ),
        links=(Link("the statement", "https://example.org/a_(b)", 3),),
        title="The *title*",
        byline="Ann Lee",
        published="2012-05-27",
    )
    data = render_export(document, url="https://example.org/article", captured=FETCHED)
    text = data.decode("utf-8")
    assert text.rstrip().endswith("Original url: <https://example.org/article>")
    assert 'captured: "2026-11-25T07:00:00Z"' in text
    back = read_markdown(text)
    assert back.title == document.title and back.byline == "Ann Lee"
    assert back.published == "2012-05-27" and back.url == "https://example.org/article"
    assert [b.text for b in back.blocks] == [b.text for b in document.blocks]
    assert [b.kind for b in back.blocks][2] is BlockKind.HEADING
    assert back.links == (Link("the statement", "https://example.org/a_%28b%29", 3),)


def test_manifests(tmp_path: Path) -> None:
    entries = [ManifestEntry("a" * 64, "x.warc.gz"), ManifestEntry("b" * 64, "x.md")]
    data = format_manifest(entries)
    assert data == f"{'a' * 64}  x.warc.gz\n{'b' * 64}  x.md\n".encode()
    assert parse_manifest(data, name="m") == entries
    for bad, why in [
        (b"nothex  x\n", "line 1"),
        (f"{'a' * 64}  ../etc/passwd\n".encode(), "leaves the folder"),
        (b"\n", "lists no file"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_manifest(bad, name="m")


def test_write_new_never_replaces_and_cleans_up(tmp_path: Path) -> None:
    first = write_new(
        tmp_path, lambda n: f"same-{n}.bin" if n else "same.bin", lambda s: s.write(b"1")
    )
    second = write_new(
        tmp_path, lambda n: f"same-{n}.bin" if n else "same.bin", lambda s: s.write(b"2")
    )
    assert (first.name, second.name) == ("same.bin", "same-1.bin")
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same-1.bin", "same.bin"]
    # A temporary file of a process that is gone is stale; one of a live process is not.
    (tmp_path / ".tmp-999999999-abc.part").write_bytes(b"partial")
    mine = tmp_path / f".tmp-{__import__('os').getpid()}-abc.part"
    mine.write_bytes(b"mine")
    assert remove_stale_temporaries(tmp_path) == 1
    assert mine.exists()


def test_a_warc_is_a_source_of_compare(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from snapverify.cli import main
    from support import SEED

    edited = (FIXTURES / "capture-edited.html").read_bytes()
    path = _warc(tmp_path / "pages.warc.gz", live=[_live(edited)], captures=[_capture(PAGE)])
    result = CliRunner().invoke(main, ["compare", str(SEED), str(path), "--format", "json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [s["kind"] for s in report["sources"]] == ["warc", "warc"]
    assert all(s["id"].startswith("warc:pages.warc.gz:") for s in report["sources"])
    (finding,) = [f for f in report["findings"] if f["kind"] == "edited"][:1]
    assert finding["sources"] == [report["sources"][0]["id"]]  # the live page's edit only
