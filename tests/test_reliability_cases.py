"""RELIABILITY.md cases that had no test of their own (the map in test_reliability_map.py
names these next to the tests that hold the other cases)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import socket
from datetime import UTC, datetime
from pathlib import Path

from loopback import LoopbackServer, Seen, respond
from snapverify.fetch.http import HttpClient
from snapverify.fetch.policy import AddressPolicy
from support import FakeClock, run_cli


def test_a_connection_goes_to_the_address_that_was_checked() -> None:
    """Case 4, DNS rebinding: the policy resolves a name once and the connection goes to
    the address it checked. The name exists only in the policy's resolver (the suite's DNS
    guard refuses any other lookup), and a second answer would be a private address."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    asked: list[str] = []

    async def rebinding(host: str, _port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    def handler(request: Seen, conn: socket.socket) -> None:
        respond(conn, 200, (), b"the checked address")

    server = LoopbackServer(handler).start()
    try:
        clock = FakeClock()
        http = HttpClient(
            policy=AddressPolicy(allow_private=True, resolver=rebinding),
            rates={},
            timeout=5.0,
            deadline=10.0,
            clock=clock,
            sleep=clock.sleep,
        )

        async def twice() -> list[bytes]:
            async with http:
                url = server.url("/page", host="rebind.test")
                return [(await http.get(url)).content for _ in range(2)]

        assert asyncio.run(twice()) == [b"the checked address"] * 2
        assert asked == ["rebind.test"]  # never asked again, so never rebound
        assert [r.header("host") for r in server.seen] == [f"rebind.test:{server.port}"] * 2
    finally:
        server.stop()


def _between_records(whole: bytes) -> set[int]:
    """The lengths at which a cut of the uncompressed WARC ``whole`` leaves whole
    records: each record's end, and its end less some of the CRLFs after it."""
    ends = [m.start() for m in re.finditer(rb"WARC/1\.1\r\n", whole)][1:] + [len(whole)]
    return {end - gap for end in ends for gap in range(5)}


def test_a_warc_cut_anywhere_but_between_records_fails_verify(tmp_path: Path) -> None:
    """Case 27: an uncompressed WARC cut inside a record (its block, or its header, which
    then has no Content-Length) was "OK", as no digest was ever compared. Only a cut that
    leaves whole records (up to the blank lines after one) is undetectable from the WARC
    alone; the manifest's SHA-256 catches those."""
    from snapverify.store.runs import write_archive
    from snapverify.store.warc import CaptureRecord, verify_warc

    capture = CaptureRecord(
        url="https://e.org/a",
        captured_at=datetime(2026, 11, 25, 7, 0, tzinfo=UTC),
        source_url="https://web.archive.org/web/20261125070000id_/https://e.org/a",
        content_type="text/html",
        payload=b"<html><body><p>The article's text.</p></body></html>",
    )
    _files, warc, _export, _manifest = write_archive(
        tmp_path, url="https://e.org/a", when=capture.captured_at, captures=[capture]
    )
    whole = gzip.decompress(warc.read_bytes())
    between = _between_records(whole)
    cut = tmp_path / "cut.warc"
    passed = []
    for length in range(1, len(whole) + 1):
        cut.write_bytes(whole[:length])
        if not verify_warc(cut)[1]:
            passed.append(length)
    assert passed and set(passed) <= between, sorted(set(passed) - between)

    cut.write_bytes(whole[:-10])  # the metadata record loses its last 6 bytes (and the gap)
    code, out, err = run_cli("verify", str(cut))
    assert code == 5 and out.startswith("FAILED")
    (line,) = err.splitlines()
    assert line.startswith(f"snapverify: error: {cut}: offset ")
    assert line.endswith("metadata record: truncated: the file ends before its Content-Length")


COPY = (
    "# Title\n\nThe article's one paragraph of text, whole and unchanged since it was "
    "saved.\n\nOriginal url: <https://e.org/a>\n"
)


def _stored_capture(folder: Path) -> Path:
    from snapverify.store.runs import write_archive
    from snapverify.store.warc import CaptureRecord

    capture = CaptureRecord(
        url="https://e.org/a",
        captured_at=datetime(2012, 5, 27, 18, 30, tzinfo=UTC),
        source_url="https://web.archive.org/web/20120527183000id_/https://e.org/a",
        content_type="text/html",
        payload=b"<html><body><h1>Title</h1><p>The article's one paragraph of text, whole "
        b"and unchanged since it was saved.</p></body></html>",
    )
    _files, warc, _export, _manifest = write_archive(
        folder, url="https://e.org/a", when=capture.captured_at, captures=[capture]
    )
    return warc


def test_a_warc_cut_inside_a_record_is_never_read_as_whole(tmp_path: Path) -> None:
    """Case 16 for stored bodies: a WARC cut anywhere but between records (a capture 10
    bytes short, a metadata record cut, a gzip member cut) was read as if whole; a
    compare against it said "ok, similarity 1.00". Now every reader refuses it."""
    from snapverify.store.warc import read_records

    warc = _stored_capture(tmp_path / "archive")
    packed = warc.read_bytes()
    whole = gzip.decompress(packed)
    between = _between_records(whole)
    cut = tmp_path / "cut.warc"
    read = []
    for length in range(1, len(whole) + 1):
        cut.write_bytes(whole[:length])
        try:
            pages = read_records(cut)
        except ValueError as exc:
            assert str(exc).startswith(f"{cut}: not a readable WARC: "), exc
        else:
            if pages or length > 1:  # one byte: no record at all, so no page
                read.append(length)
    assert read and set(read) <= between, sorted(set(read) - between)
    # Compressed: every cut inside a gzip member is refused too.
    cut_gz = tmp_path / "cut.warc.gz"
    for length in range(1, len(packed), 7):
        cut_gz.write_bytes(packed[:length])
        try:
            pages = read_records(cut_gz)
        except ValueError:
            continue
        assert all(p.payload in whole for p in pages) and length in _member_ends(packed)


def _member_ends(packed: bytes) -> set[int]:
    import zlib

    ends, offset = set(), 0
    while offset < len(packed):
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        member.decompress(packed[offset:])
        offset = len(packed) - len(member.unused_data)
        ends.add(offset)
    return ends


def test_compare_refuses_a_warc_capture_10_bytes_short_naming_the_file(tmp_path: Path) -> None:
    """Case 16 from the command line: the capture 10 bytes short, stored plain or gzipped,
    given to ``compare``: exit 2, one line naming the file; never "ok, similarity 1.00"."""

    warc = _stored_capture(tmp_path / "archive")
    local = tmp_path / "copy.md"
    local.write_text(COPY, "utf-8")
    code, out, err = run_cli("compare", str(local), str(warc), "-f", "json")
    (whole_source,) = json.loads(out)["sources"]  # the whole WARC: read and compared
    assert (whole_source["outcome"], whole_source["similarity"]) == ("ok", 1.0), err
    packed = warc.read_bytes()
    whole = gzip.decompress(packed)
    body_end = whole.index(b"</html>") + len(b"</html>")
    member_end = next(
        end
        for end in sorted(_member_ends(packed))
        if b"</html>" in gzip.decompress(packed[:end])  # the capture's member
    )
    plain, gzipped = tmp_path / "short.warc", tmp_path / "short.warc.gz"
    plain.write_bytes(whole[: body_end - 10])
    gzipped.write_bytes(packed[: member_end - 10])
    for short in (plain, gzipped):
        code, out, err = run_cli("compare", str(local), str(short))
        assert code == 2 and out == ""
        (line,) = err.splitlines()
        assert line.startswith(f"snapverify: error: {short}: not a readable WARC: ")
        assert "truncated" in line


def test_an_offline_check_never_compares_a_stored_capture_cut_short(tmp_path: Path) -> None:
    """Case 16 for ``check --offline``: a stored WARC whose capture is 10 bytes short is
    not a source; the note names the file; the whole WARC beside it is compared."""

    folder = tmp_path / "snapshots" / "one"
    (tmp_path / "snapshots" / ".snapverify").mkdir(parents=True)
    warc = _stored_capture(folder / "archive")
    local = folder / "copy.md"
    local.write_text(COPY, "utf-8")
    whole = gzip.decompress(warc.read_bytes())
    short = folder / "archive" / "20120601000000-00000000.warc"
    short.write_bytes(whole[: whole.index(b"</html>") + len(b"</html>") - 10])
    code, out, err = run_cli("check", "--offline", "--no-history", str(local), "-f", "json")
    report = json.loads(out)
    assert [s["id"] for s in report["sources"]] == [
        f"warc:archive/{warc.name}:{report['sources'][0]['id'].rsplit(':', 1)[1]}"
    ]
    (note,) = [n for n in report["notes"] if "truncated" in n]
    assert note.startswith(f"{short}: not a readable WARC: ")
