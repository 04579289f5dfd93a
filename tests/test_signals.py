"""Ctrl-C and SIGTERM during a check: exit 130 / 143, one line, nothing half-written,
the lock released (issue 12). A real ``snapverify check`` process waits on a slow
loopback origin when the signal is sent."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from servers import OriginServer
from snapverify.store.history import HISTORY_FILE
from snapverify.store.lock import LOCK_FILE, hold_lock
from support import seed_snapshot


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.parametrize(("number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_check_exits_128_plus_it_and_leaves_the_store_whole(
    tmp_path: Path, origin: OriginServer, number: int, code: int
) -> None:
    local = seed_snapshot(tmp_path)
    store = tmp_path / "snapshots" / ".snapverify"
    path = "/2012/05/27/kazakh-massacre-cover-up-a15040"
    url = origin.slow(path, 60, (local.read_bytes()))
    (local.parent / "snapshot.toml").write_text(f'url = "{url}"\n', "utf-8")
    # One check recorded before, which the interrupted one must leave as it is.
    before = subprocess.run(
        [sys.executable, "-m", "snapverify", "check", str(local), "--offline"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert before.returncode == 4, before.stderr
    database = (store / HISTORY_FILE).read_bytes()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snapverify",
            "check",
            str(local),
            "--archive",
            origin.url("/coll"),
            "--allow-private-addresses",
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: origin.requests(path))  # the check waits on the live page
        assert process.poll() is None
        process.send_signal(number)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, err
    assert out == ""
    assert err.strip().splitlines()[-1] == "snapverify: interrupted"
    assert "Aborted" not in err and "Traceback" not in err
    # Nothing half-written: no temporary file, no new history row, the database intact.
    assert [p for p in tmp_path.rglob(".tmp-*")] == []
    with sqlite3.connect(store / HISTORY_FILE) as db:
        assert db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 1
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (store / HISTORY_FILE).read_bytes() == database
    # The lock was released by the process itself (its pid cleared), and can be taken.
    assert (store / LOCK_FILE).read_text() == ""
    with hold_lock(store):
        pass
