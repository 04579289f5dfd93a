"""RELIABILITY.md cases that had no test of their own (the map in test_reliability_map.py
names these next to the tests that hold the other cases)."""

from __future__ import annotations

import asyncio
import socket

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
