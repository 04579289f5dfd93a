"""RELIABILITY.md cases that had no test of their own (the map in test_reliability_map.py
names these next to the tests that hold the other cases)."""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
from datetime import UTC, datetime
from pathlib import Path

from loopback import LoopbackServer, Seen, respond
from snapverify.fetch.http import HttpClient
from snapverify.fetch.policy import AddressPolicy
from support import FakeClock


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


def test_a_warc_cut_anywhere_but_between_records_fails_verify(tmp_path: Path) -> None:
    """Case 27: an uncompressed WARC cut inside a record (its block, or its header, which
    then has no Content-Length) was "OK", as no digest was ever compared. Only a cut that
    leaves whole records (up to the blank lines after one) is undetectable from the WARC
    alone; the manifest's SHA-256 catches those."""
    from snapverify.store.runs import write_archive
    from snapverify.store.warc import CaptureRecord, verify_warc
    from support import run_cli

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
    ends = [m.start() for m in re.finditer(rb"WARC/1\.1\r\n", whole)][1:] + [len(whole)]
    between = {end - gap for end in ends for gap in range(5)}  # a record's end, its CRLFs
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
