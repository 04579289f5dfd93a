"""`snapverify watch` and the scheduling helpers: rounds at the interval, clean stops."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import yaml
from click.testing import CliRunner

from servers import OriginServer, PywbServer
from snapverify.cli import main
from snapverify.errors import UsageError
from snapverify.models import Change, CheckResult, Finding, FindingKind, SnapshotInfo, Verdict
from snapverify.pipeline.schedule import (
    new_only_exit_code,
    parse_interval,
    stop_on_signals,
    watch,
)
from snapverify.store.history import History
from snapverify.store.lock import hold_lock
from support import LockHolder, seed_snapshot


class Clock:
    """A fake monotonic clock; ``wait`` advances it (and may stop the loop)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []
        self.starts: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


def test_rounds_start_at_the_interval_and_never_overlap() -> None:
    clock, stop = Clock(), threading.Event()
    durations = iter([10.0, 30.0, 5.0, 0.0])

    def round_() -> int:
        clock.starts.append(clock.now)
        clock.now += next(durations)
        return 1

    code = watch(round_, 60, stop=stop, times=4, clock=clock, wait=clock.wait)
    assert code == 1  # the last round's
    assert clock.starts == [100.0, 160.0, 220.0, 280.0]
    assert clock.waits == [50.0, 30.0, 55.0]


def test_a_round_longer_than_the_interval_is_followed_at_once() -> None:
    clock, stop = Clock(), threading.Event()
    durations = iter([90.0, 10.0])

    def round_() -> int:
        clock.starts.append(clock.now)
        clock.now += next(durations)
        return 0

    watch(round_, 60, stop=stop, times=2, clock=clock, wait=clock.wait)
    assert clock.starts == [100.0, 190.0] and clock.waits == []


def test_a_stop_during_the_wait_ends_it_with_exit_0() -> None:
    clock, stop = Clock(), threading.Event()
    rounds: list[float] = []

    def wait(seconds: float) -> bool:
        clock.wait(seconds)
        if len(rounds) == 2:
            stop.set()
        return stop.is_set()

    def round_() -> int:
        rounds.append(clock.now)
        return 1

    assert watch(round_, 3600, stop=stop, clock=clock, wait=wait) == 0
    assert rounds == [100.0, 3700.0]


def test_a_stop_during_a_round_lets_it_finish_and_runs_no_other() -> None:
    stop = threading.Event()
    rounds: list[int] = []

    def round_() -> int:
        rounds.append(1)
        stop.set()  # a signal arrives while the check runs
        return 1

    def wait(_seconds: float) -> bool:
        raise AssertionError("no wait after a stop")

    assert watch(round_, 60, stop=stop, wait=wait) == 0
    assert rounds == [1]


def test_signals_set_the_stop_and_a_second_one_interrupts() -> None:
    stop = threading.Event()
    before = signal.getsignal(signal.SIGTERM)
    with stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(10)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(10)  # the handler raises as soon as it runs
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("6h", 21600), ("30m", 1800), ("1h30m", 5400), ("1d", 86400), ("90", 90), ("2.5s", 2.5)],
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "6 hours", "h", "-1h", "0", "0.5s", "1y", "9300000000", "99999999999999d"]
)
def test_bad_intervals(text: str) -> None:
    # Too long an interval was exit 70 after the first round (OverflowError in the wait).
    with pytest.raises(UsageError):
        parse_interval(text)


def _result(exit_code: int, *changes: Change, acknowledged: bool = False) -> CheckResult:
    findings = tuple(
        Finding(
            FindingKind.EDITED,
            True,
            "edited",
            local_text=str(i),
            change=change,
            acknowledged=acknowledged,
        )
        for i, change in enumerate(changes)
    )
    return CheckResult(
        snapshot=SnapshotInfo("a.md", "u", None, "s"),
        verdict=Verdict.CHANGED if findings else Verdict.UNCHANGED,
        exit_code=exit_code,
        sources=(),
        findings=findings,
        provenance=None,
    )


def test_new_only_exit_codes() -> None:
    assert new_only_exit_code(_result(1, Change.ONGOING, Change.NEW)) == 1
    assert new_only_exit_code(_result(1, Change.ONGOING)) == 0
    assert new_only_exit_code(_result(1, Change.NEW, acknowledged=True)) == 0
    assert new_only_exit_code(_result(0)) == 0
    assert new_only_exit_code(_result(4)) == 4
    assert new_only_exit_code(_result(75)) == 75


# -- the command ---------------------------------------------------------------


def test_watch_runs_checks_and_exits_with_the_last_one(tmp_path: Path, pywb_mt: PywbServer) -> None:
    local = seed_snapshot(tmp_path)
    args = [str(local), "--archive", pywb_mt.base, "--no-live", "--allow-private-addresses"]
    result = CliRunner().invoke(main, ["watch", "--times", "1", *args, "--format", "json"])
    assert result.exit_code == 1, result.stderr
    assert '"schema": "snapverify/check-v1"' in result.stdout
    with History.open(local.parent.parent / ".snapverify") as history:
        (check,) = history.checks()
    assert check.exit_code == 1


def test_watch_skips_a_round_while_another_run_holds_the_lock(
    tmp_path: Path, pywb_mt: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    store = local.parent.parent / ".snapverify"
    holder = LockHolder(store)
    try:
        result = CliRunner().invoke(
            main, ["watch", "--times", "1", str(local), "--archive", pywb_mt.base, "--no-live"]
        )
    finally:
        holder.close()
    assert result.exit_code == 75
    assert f"pid {holder.pid}" in result.stderr and result.stdout == ""


def test_watch_refuses_bad_options_before_any_check(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    runner = CliRunner()
    bad_option = runner.invoke(main, ["watch", str(local), "--no-such-option"])
    assert bad_option.exit_code == 2 and "--no-such-option" in bad_option.stderr
    bad_interval = runner.invoke(main, ["watch", "--every", "soon", str(local)])
    assert bad_interval.exit_code == 2 and "soon" in bad_interval.stderr
    assert not (local.parent.parent / ".snapverify" / "history.sqlite3").exists()


@contextlib.contextmanager
def _watching(
    local: Path, pywb: PywbServer, *args: str
) -> Iterator[tuple[subprocess.Popen[str], IO[str]]]:
    """``snapverify watch --every 1h`` of ``local`` in a subprocess (its stderr piped),
    killed at the end if still running."""
    env = {k: v for k, v in os.environ.items() if k != "SNAPVERIFY_ALLOW_PRIVATE"}
    process = subprocess.Popen(
        [sys.executable, "-m", "snapverify", "watch", "-v", "--every", "1h", str(local)]
        + ["--archive", pywb.base, "--allow-private-addresses", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    try:
        yield process, process.stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def test_watch_stops_on_sigterm(tmp_path: Path, pywb_mt: PywbServer) -> None:
    local = seed_snapshot(tmp_path)
    with _watching(local, pywb_mt, "--no-live") as (process, stderr):
        seen = []
        for line in stderr:  # until the first check is done and it waits
            seen.append(line)
            if "next check in" in line:
                break
        assert any("next check in" in line for line in seen), seen
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        rest = stderr.read()
        assert "SIGTERM" in rest and "stopped" in rest
    with History.open(local.parent.parent / ".snapverify") as history:
        assert len(history.checks()) == 1


# -- the recipes in examples/ ----------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _commands(text: str) -> list[list[str]]:
    """Every `snapverify check|watch ...` command line in a recipe, as arguments."""
    found = []
    for line in text.replace("%h", "/home/u").splitlines():
        line = line.split("ExecStart=", 1)[-1].strip()
        words = shlex.split(line, comments=True)
        for start, word in enumerate(words):
            if word.endswith("snapverify") and words[start + 1 : start + 2] in (
                ["check"],
                ["watch"],
            ):
                found.append(words[start + 1 :])
                break
    return found


def test_the_recipes_run_commands_that_parse() -> None:
    workflow = yaml.safe_load((EXAMPLES / "github" / "snapverify.yml").read_text("utf-8"))
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert workflow[True]["schedule"][0]["cron"] == "17 5 * * *"
    steps = workflow["jobs"]["check"]["steps"]
    scripts = "\n".join(step.get("run", "") for step in steps)
    units = [p.read_text("utf-8") for p in sorted((EXAMPLES / "systemd").glob("*.service"))]
    commands = [c for text in (scripts, *units) for c in _commands(text)]
    assert sorted(c[0] for c in commands) == ["check", "check", "watch"]
    changes = []
    for command in commands:
        args = command[1:]
        if command[0] == "watch":
            assert args[:2] == ["--every", "6h"] and parse_interval(args[1]) == 21600
            args = args[2:]
        with main.make_context("snapverify", ["check", *args]) as group:
            check = main.get_command(group, "check")
            assert check is not None
            with check.make_context("check", args, parent=group) as ctx:
                assert ctx.params["new_only"] is True
                changes.append(ctx.params["snapshot_changes"])
    # The workflow archives the changed pages the check fetched (no second `archive` run).
    assert changes == [True, False, False]


def test_a_second_signal_interrupts_a_check_in_progress(
    tmp_path: Path, pywb_mt: PywbServer, origin: OriginServer
) -> None:
    local = seed_snapshot(tmp_path)
    store = local.parent.parent / ".snapverify"
    url = origin.drip("/slow", b"<html><body><p>never finishes</p></body></html>", interval=5)
    with _watching(local, pywb_mt, "--url", url, "--deadline", "600") as (process, stderr):
        # Wait (generously) until the check is fetching the page that never finishes.
        for _ in range(600):
            if origin.requests("/slow") or process.poll() is not None:
                break
            threading.Event().wait(0.1)
        assert origin.requests("/slow") and process.poll() is None
        process.send_signal(signal.SIGTERM)
        for line in stderr:
            if "SIGTERM received" in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
        assert "interrupted during a check" in stderr.read()
    # Nothing recorded, and the lock is free.
    with hold_lock(store), History.open(store) as history:
        assert history.checks() == []
