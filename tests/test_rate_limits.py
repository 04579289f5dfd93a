"""A 429 stops that archive for the run, not every archive on the same host; a
``Retry-After`` of 0, a negative number or a date past waits the default pause."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from servers import OriginServer, PywbServer
from snapverify.errors import RateLimited
from snapverify.fetch._limit import retry_after
from snapverify.fetch.http import HttpClient
from snapverify.fetch.policy import AddressPolicy
from support import FakeClock, run_cli, seed_snapshot

HOST = "archive.test"


async def _resolve(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]  # public; MockTransport never connects


def _client(handler: Any, clock: FakeClock) -> HttpClient:
    return HttpClient(
        policy=AddressPolicy(resolver=_resolve),
        transport=httpx.MockTransport(handler),
        rates={},
        clock=clock,
        sleep=clock.sleep,
    )


class GatedClock(FakeClock):
    """A fake clock whose sleeps last until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None

    async def sleep(self, seconds: float) -> None:
        assert self.gate is not None
        await self.gate.wait()
        await super().sleep(seconds)


def test_a_429_stops_that_archive_not_its_neighbour_on_the_same_host() -> None:
    clock = GatedClock()
    arrivals: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(request.url.path)
        if request.url.path.startswith("/limited/"):
            return httpx.Response(429)
        return httpx.Response(200, content=b"listing")

    http = _client(handler, clock)

    async def ask(path: str, scope: str) -> int | str:
        try:
            response = await http.get(f"https://{HOST}{path}", endpoint="cdx", scope=scope)
        except RateLimited as exc:
            return exc.message
        return response.status

    async def scenario() -> list[int | str]:
        clock.gate = asyncio.Event()
        async with http:
            limited = asyncio.ensure_future(ask("/limited/cdx", "limited"))
            for _ in range(1000):
                if arrivals:
                    break
                await asyncio.sleep(0)
            assert arrivals, await limited
            # The limited archive now sits in its 429 pause; its neighbour answers at once.
            open_first = await asyncio.wait_for(ask("/open/cdx", "open"), 5)
            clock.gate.set()
            return [await limited, open_first, await ask("/limited/cdx", "limited")]

    limited_first, open_first, limited_again = asyncio.run(scenario())
    assert open_first == 200
    for message in (limited_first, limited_again):
        assert str(message).startswith(f"limited ({HOST}) answered 429 Too Many Requests")
    assert http.stopped(HOST, scope="limited") and not http.stopped(HOST, scope="open")
    assert arrivals == ["/limited/cdx", "/open/cdx", "/limited/cdx"]
    # Links into the host (no archive) are refused once an archive on it was stopped.
    assert http.stopped(HOST)


@pytest.mark.parametrize("value", ["0", "-5", "-0.5", "nan", "inf", "past-date"])
def test_a_retry_after_of_no_wait_waits_the_default_pause(value: str) -> None:
    if value == "past-date":
        value = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    assert retry_after(value, 60.0) == 60.0
    clock = FakeClock()
    answers = iter([httpx.Response(429, headers={"Retry-After": value}), httpx.Response(200)])
    arrivals: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(clock.now)
        return next(answers)

    async def scenario() -> int:
        async with _client(handler, clock) as http:
            return (await http.get(f"https://{HOST}/cdx", endpoint="cdx")).status

    assert asyncio.run(scenario()) == 200
    assert clock.sleeps == [60.0] and arrivals[1] - arrivals[0] == 60.0


def test_a_positive_retry_after_is_still_honoured() -> None:
    assert retry_after("12", 60.0) == 12.0


def test_a_rate_limited_archive_leaves_the_other_on_the_same_host_reported(
    tmp_path: Path, origin: OriginServer, pywb_mt: PywbServer
) -> None:
    # Both archives are on 127.0.0.1; only the one that answered 429 is stopped.
    origin.route("/limited/cdx", b"slow down", status=429, headers=[("Retry-After", "1")])
    local = seed_snapshot(tmp_path)
    code, out, err = run_cli(
        "check",
        str(local),
        "--archive",
        origin.url("/limited"),
        "--archive",
        pywb_mt.base,
        "--allow-private-addresses",
        "--no-live",
        "--format",
        "json",
    )
    report = json.loads(out)
    sources = {source["id"]: source for source in report["sources"]}
    limited = sources["limited"]
    assert (limited["outcome"], limited["status"]) == ("error", 429)
    assert "not asked again" in limited["note"]
    compared = [s for key, s in sources.items() if key.startswith("mt:")]
    assert compared and any(s["outcome"] == "ok" for s in compared), err
    assert code == 1
    assert len([r for r in origin.requests() if r.path.startswith("/limited/cdx")]) == 2
