"""What several test modules share: the seed, the fixtures, the report contract."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "snapshots" / "themoscowtimes-2012-05-27-kazakh-massacre-cover-up"
SEED = SNAPSHOT / "000_f88a3d9426c2e04a.txt"
SEED_URL = "https://www.themoscowtimes.com/2012/05/27/kazakh-massacre-cover-up-a15040"
FIXTURES = ROOT / "tests" / "fixtures" / "moscowtimes"

# The real third-party data (../shared/realdata, or $SNAPVERIFY_SHARED/realdata), read in
# place; tests that need it skip with this reason when it is absent.
SHARED = Path(os.environ.get("SNAPVERIFY_SHARED") or ROOT.parent / "shared")
REALDATA = SHARED / "realdata"


def seed_snapshot(root: Path, name: str = "mt") -> Path:
    """The seed in a snapshot folder of its own under ``root/snapshots/``, with the
    store folder beside it; returns the local copy's path."""
    folder = root / "snapshots" / name
    folder.mkdir(parents=True)
    (root / "snapshots" / ".snapverify").mkdir(exist_ok=True)
    return Path(shutil.copy(SEED, folder / SEED.name))


def run_cli(*args: str) -> tuple[int, str, str]:
    """``snapverify ARGS`` in process: the exit code, stdout and stderr."""
    from snapverify.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def realdata_missing(path: Path = REALDATA) -> str | None:
    """Why ``path`` (under the real data) cannot be read here, or None when it can."""
    if path.exists():
        return None
    return (
        f"real third-party data not found at {path} "
        "(set SNAPVERIFY_SHARED to the folder holding realdata/)"
    )


# The keys DESIGN.md promises ("The check report (JSON)"), in order; keys may be
# added, never removed or renamed.
RESULT_KEYS = ["schema", "snapshot", "verdict", "exit_code", "sources", "findings", "provenance"]
SNAPSHOT_KEYS = ["path", "url", "title", "sha256"]
SOURCE_KEYS = [
    "id",
    "kind",
    "url",
    "timestamp",
    "status",
    "outcome",
    "similarity",
    "sha256",
    "digest",
]
FINDING_KEYS = [
    "kind",
    "local_block",
    "insert_after",
    "field",
    "local_text",
    "remote_text",
    "diff",
    "sources",
    "first_seen",
    "last_seen",
    "substantive",
    "detail",
]
LINK_KEYS = ["url", "status", "outcome", "archive_url"]
FINDING_KINDS = [
    "edited",
    "missing",
    "added",
    "moved",
    "metadata",
    "link_rot",
    "dead_link",
    "lost_link_target",
]


class FakeClock:
    """A monotonic clock that moves only when slept on (pauses take no time); records
    every sleep. Pass it as ``clock=`` and its ``sleep`` as ``sleep=`` to a client."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def disk_full_under(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make the store's atomic writes find the disk full (ENOSPC at fsync) for files
    under ``folder``; other files are written as usual. ``monkeypatch.undo()`` ends it."""
    from snapverify.store import atomic

    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        if os.readlink(f"/proc/self/fd/{descriptor}").startswith(str(folder)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", fsync)


# -- another process holding a store's lock (tests of overlapping runs) --

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from snapverify.store.lock import hold_lock

    with hold_lock(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.read()  # until the test closes stdin (or kills us)
    """
)


class LockHolder:
    """Another process holding the store's lock until ``release`` or ``kill``."""

    def __init__(self, store: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        """Kill the holder if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
