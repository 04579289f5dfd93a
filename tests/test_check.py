"""The check pipeline and `snapverify check` without real servers: selection, offline,
rate limits, exit codes. (The end-to-end tests with pywb are in test_check_e2e.py.)"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from snapverify import cli
from snapverify.errors import FetchError
from snapverify.fetch import policy as policy_module
from snapverify.fetch.archives import CaptureRef
from snapverify.fetch.http import HttpClient
from snapverify.fetch.policy import AddressPolicy
from snapverify.pipeline import CheckOptions, check_snapshots, select_captures
from support import ROOT, SEED_URL, seed_snapshot

ARCHIVE = "https://archive.test/coll"


def _capture(ts: str) -> CaptureRef:
    return CaptureRef(
        archive="coll",
        timestamp=ts,
        original=SEED_URL,
        status=200,
        mimetype="text/html",
        digest=None,
        length=None,
        raw_url=f"{ARCHIVE}/{ts}id_/{SEED_URL}",
        view_url=f"{ARCHIVE}/{ts}/{SEED_URL}",
    )


@pytest.mark.parametrize(
    ("count", "limit", "expected"),
    [
        (10, 3, [0, 4, 9]),  # round(4.5) == 4: banker's rounding, still spread
        (10, 2, [0, 9]),
        (10, 1, [9]),
        (10, 10, list(range(10))),
        (3, 5, [0, 1, 2]),
        (100, 5, [0, 25, 50, 74, 99]),
        (5, None, [0, 1, 2, 3, 4]),
    ],
)
def test_max_captures_keeps_first_last_and_spread(
    count: int, limit: int | None, expected: list[int]
) -> None:
    captures = [_capture(f"2012{i:010d}") for i in range(count)]
    chosen = select_captures(captures, limit)
    assert [captures.index(c) for c in chosen] == expected


def _stub(mapping: dict[str, str]) -> Callable[[str, int], object]:
    async def resolve(host: str, _port: int) -> list[str]:
        if host in mapping:
            return [mapping[host]]
        raise FetchError(f"cannot resolve {host}", url=host, reason="dns")

    return resolve


def _client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: object) -> HttpClient:
    resolver = _stub({"archive.test": "93.184.216.34", "www.themoscowtimes.com": "93.184.216.35"})
    return HttpClient(
        policy=AddressPolicy(resolver=resolver),  # type: ignore[arg-type]
        transport=httpx.MockTransport(handler),
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_archive_answering_429_is_not_asked_again_and_the_exit_is_75(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path, "seed")
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(429, headers={"Retry-After": "3600"}, content=b"slow down")

    async def run() -> list[object]:
        async with _client(handler) as client:
            return list(
                await check_snapshots(
                    [local, local],
                    CheckOptions(archives=(ARCHIVE,), live=False),
                    client=client,
                )
            )

    results = asyncio.run(run())
    assert len(asked) == 1  # the second snapshot's listing never went out
    for result in results:
        (source,) = result.sources  # type: ignore[attr-defined]
        assert source.id == "coll" and source.status == 429
        assert "not asked again" in (source.note or "")
        assert result.exit_code == 75  # type: ignore[attr-defined]


def test_a_redirect_of_the_live_page_to_a_private_address_is_refused(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path, "seed")
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.host == "www.themoscowtimes.com":
            return httpx.Response(301, headers={"Location": "http://10.0.0.1/admin"})
        return httpx.Response(404)

    async def run() -> object:
        async with _client(handler) as client:
            (result,) = await check_snapshots(
                [local], CheckOptions(archives=(ARCHIVE,)), client=client
            )
            return result

    result = asyncio.run(run())
    live = next(s for s in result.sources if s.id == "live")  # type: ignore[attr-defined]
    assert live.outcome == "refused"
    assert "10.0.0.1" in (live.note or "")
    assert not any("10.0.0.1" in url for url in asked)
    assert result.exit_code == 4  # type: ignore[attr-defined]


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_dns(host: str, _port: int) -> list[str]:
        raise FetchError(f"cannot resolve {host}", url=host, reason="dns")

    monkeypatch.setattr(policy_module, "system_resolver", no_dns)


def test_the_main_job_offline_says_so_in_one_line_and_exits_4(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """README's first command, `snapverify check`, on the bundled snapshots/."""
    _offline(monkeypatch)
    # A copy of the bundled snapshots/ (its store included): the repository stays untouched.
    shutil.copytree(ROOT / "snapshots", tmp_path / "snapshots")
    monkeypatch.chdir(tmp_path)
    readme = (ROOT / "README.md").read_text("utf-8")
    first = readme.split("```sh\n", 1)[1].split("\n")[1]
    assert first.endswith("&& snapverify check")
    result = CliRunner().invoke(cli.main, ["check"])
    assert result.exit_code == 4
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("snapverify: error: offline: no answer from ")
    assert "web.archive.org" in line and "www.themoscowtimes.com" in line


def test_offline_json_still_reports_every_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _offline(monkeypatch)
    local = seed_snapshot(tmp_path, "seed")
    result = CliRunner().invoke(cli.main, ["check", str(local), "--format", "json"])
    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report["verdict"] == "unverifiable" and report["exit_code"] == 4
    assert {s["id"]: s["outcome"] for s in report["sources"]} == {
        "live": "unreachable",
        "wayback": "unreachable",
    }
    assert len(result.stderr.splitlines()) == 1


def test_settings_come_from_config_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _offline(monkeypatch)
    local = seed_snapshot(tmp_path, "seed")
    config = tmp_path / "snapshots" / ".snapverify" / "config.toml"
    config.write_text('archive = ["memento:https://timemap.test/timemap/link/"]\n', "utf-8")
    result = CliRunner().invoke(cli.main, ["check", str(local), "--format", "json", "--no-live"])
    report = json.loads(result.stdout)
    assert [s["id"] for s in report["sources"]] == ["timemap.test"]
    # The command line wins over the file.
    result = CliRunner().invoke(
        cli.main, ["check", str(local), "--format", "json", "--no-live", "--archive", "wayback"]
    )
    assert [s["id"] for s in json.loads(result.stdout)["sources"]] == ["wayback"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "cdx"], "NAME=N/PERIOD"),
        (["--rate-limit", "cdx=lots"], "cdx=lots"),
        (["--allow-network", "10.0.0.300/8"], "--allow-network"),
        (["--from", "2012-05"], "--from"),
        (["--archive", "gopher://x"], "gopher://x"),
    ],
)
def test_bad_network_options_are_one_line_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    local = seed_snapshot(tmp_path, "seed")
    result = CliRunner().invoke(cli.main, ["check", str(local), *args])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert message in line


def test_no_snapshots_folder_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["check"])
    assert result.exit_code == 2
    assert "snapshots/" in result.stderr


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([0, 1], 1), ([1, 75], 75), ([75, 4], 4), ([4, 3], 3), ([3, 5], 5), ([5, 2], 2), ([], 0)],
)
def test_several_snapshots_exit_with_the_first_of_2_5_3_4_75_1_0(
    codes: list[int], expected: int
) -> None:
    assert cli.combined_exit_code(codes) == expected


def test_a_live_page_slower_than_the_checks_deadline_is_still_a_source(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path, "seed")

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "www.themoscowtimes.com":
            await asyncio.sleep(30)
        return httpx.Response(404)

    async def run() -> object:
        async with _client(handler) as client:  # type: ignore[arg-type]
            options = CheckOptions(archives=(ARCHIVE,), check_deadline=0.3)
            (result,) = await check_snapshots([local], options, client=client)
            return result

    result = asyncio.run(run())
    live = next(s for s in result.sources if s.id == "live")  # type: ignore[attr-defined]
    assert live.outcome == "unreachable" and "deadline" in (live.note or "")


def test_an_unreadable_snapshot_among_several_is_named_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _offline(monkeypatch)
    seed_snapshot(tmp_path, "seed")
    broken = tmp_path / "snapshots" / "broken"
    broken.mkdir()
    (broken / "copy.md").write_bytes(b"")
    result = CliRunner().invoke(
        cli.main, ["check", str(tmp_path / "snapshots"), "--format", "json"]
    )
    assert result.exit_code == 2
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    by_folder = {Path(r["snapshot"]["path"]).parent.name: r for r in reports}
    assert by_folder["broken"]["exit_code"] == 2
    assert "copy.md" in by_folder["broken"]["error"]
    assert by_folder["seed"]["error"] is None and by_folder["seed"]["exit_code"] == 4
    errors = [line for line in result.stderr.splitlines() if "copy.md" in line]
    assert len(errors) == 1 and errors[0].startswith("snapverify: error: ")


def test_the_articles_host_is_looked_up_once_per_check(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path, "seed")
    looked_up: list[str] = []

    async def resolver(host: str, _port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.35"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)

    async def run() -> None:
        client = HttpClient(
            policy=AddressPolicy(resolver=resolver), transport=httpx.MockTransport(handler)
        )
        async with client:
            await check_snapshots([local], CheckOptions(archives=(ARCHIVE,)), client=client)

    asyncio.run(run())
    # Once for the refusal check before anything is asked, reused by the live fetch.
    assert looked_up.count("www.themoscowtimes.com") == 1
    assert looked_up.count("archive.test") == 1


def test_the_progress_bar_shows_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

        def write(self, _text: str) -> int:
            return 0

        def flush(self) -> None:
            pass

    for tty in (False, True):
        monkeypatch.setattr(sys, "stderr", Stream(tty))
        with cli._Progress() as progress:
            progress.counts.start(3)
            shown = progress._bar is not None
            if shown:
                progress.counts.advance(None)  # type: ignore[arg-type]
                progress.counts.listed(5)
                progress.counts.fetched()
                snapshots, captures = progress._bar.tasks
                assert (snapshots.total, snapshots.completed) == (3, 1)
                assert (captures.total, captures.completed) == (5, 1)
        assert shown is tty
