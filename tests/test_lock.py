"""store/lock.py: one run per store; the second exits 75 at once, naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapverify.errors import TryLater
from snapverify.store.lock import LOCK_FILE, hold_lock
from support import LockHolder


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[LockHolder]:
    held = LockHolder(tmp_path / ".snapverify")
    try:
        yield held
    finally:
        held.close()


def test_the_lock_is_taken_and_given_back(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with hold_lock(store) as path:
        assert path == store / LOCK_FILE
        assert path.read_text().strip() == str(os.getpid())
    with hold_lock(store):  # free again
        pass


def test_a_second_holder_fails_at_once_naming_the_file_and_the_pid(
    tmp_path: Path, holder: LockHolder
) -> None:
    store = tmp_path / ".snapverify"
    with pytest.raises(TryLater) as caught, hold_lock(store):
        raise AssertionError("the lock was taken twice")
    message = str(caught.value)
    assert caught.value.exit_code == 75
    assert str(store / LOCK_FILE) in message and f"pid {holder.pid}" in message
    assert "\n" not in message
    holder.release()
    with hold_lock(store):
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, holder: LockHolder) -> None:
    holder.kill()
    with hold_lock(tmp_path / ".snapverify") as path:
        assert path.read_text().strip() == str(os.getpid())


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    store = tmp_path / ".snapverify"
    with hold_lock(store):
        with hold_lock(store) as inner:  # check --snapshot-changes calling archive
            assert inner == store / LOCK_FILE
        # Still held after the inner block: another process is refused.
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, str(store)], capture_output=True, text=True, timeout=60
        )
        assert probe.returncode == 75, probe.stderr
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(store)], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 0, probe.stderr


PROBE = """
import sys
from pathlib import Path
from snapverify.errors import TryLater
from snapverify.store.lock import hold_lock

try:
    with hold_lock(Path(sys.argv[1])):
        pass
except TryLater:
    sys.exit(75)
"""
