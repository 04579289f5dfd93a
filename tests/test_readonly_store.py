"""A read-only store (a write-protected ``snapshots/``): reading commands work, a check
that must record says so in one line (issue 12).

The commands run in a real process that cannot write there. Write bits mean nothing to
the superuser, so when the suite runs as root the process drops the two capabilities
that let root ignore them (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``) from its
bounding set before it starts: it is then a root that file permissions bind, as any
other user.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import run_cli, seed_snapshot

# Run first in the child: as root, drop the capabilities that let root ignore file
# permissions from the bounding set, then exec the command, which starts without them.
_BOUND_BY_PERMISSIONS = """
import ctypes, ctypes.util, os, sys
if os.geteuid() == 0:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            sys.stderr.write(f"cannot drop capability {capability}: errno {ctypes.get_errno()}")
            sys.exit(77)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def _bound(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a process that file permissions bind."""
    return subprocess.run(
        [sys.executable, "-c", _BOUND_BY_PERMISSIONS, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _reader(*args: str) -> tuple[int, str, str]:
    """``snapverify ARGS`` in a process that file permissions bind."""
    done = _bound("-m", "snapverify", *args)
    if done.returncode == 77 and "cannot drop capability" in done.stderr:
        pytest.skip(f"root here cannot give up CAP_DAC_OVERRIDE: {done.stderr.strip()}")
    return done.returncode, done.stdout, done.stderr


def _protect(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


@pytest.fixture
def protected(tmp_path: Path) -> Iterator[Path]:
    """A snapshot with one recorded check, its whole ``snapshots/`` folder then made
    read-only; returns the local copy."""
    local = seed_snapshot(tmp_path)
    assert run_cli("check", str(local), "--offline")[0] == 4
    snapshots = tmp_path / "snapshots"
    _protect(snapshots, writable=False)
    probe = _bound("-c", f"open({str(snapshots / 'probe')!r}, 'w')")
    if probe.returncode == 77:
        _protect(snapshots, writable=True)
        pytest.skip(f"root here cannot give up CAP_DAC_OVERRIDE: {probe.stderr.strip()}")
    if probe.returncode == 0:
        _protect(snapshots, writable=True)
        pytest.fail("the reader process could still write into a write-protected folder")
    try:
        yield local
    finally:
        _protect(snapshots, writable=True)


def _listing(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_reading_commands_work_in_a_read_only_store(protected: Path, tmp_path: Path) -> None:
    local = protected
    before = _listing(tmp_path / "snapshots")
    for args in (
        ["verify", str(tmp_path / "snapshots")],
        ["history"],
        ["history", str(local), "--format", "json"],
        ["report", str(local), "--format", "json"],
    ):
        expected = run_cli(*args)  # the same command where writing is allowed
        code, out, err = _reader(*args)
        assert (code, out) == expected[:2], (args, err)
        assert code == 0, (args, err)
    assert _listing(tmp_path / "snapshots") == before


def test_a_check_without_history_works_in_a_read_only_store(
    protected: Path, tmp_path: Path
) -> None:
    local = protected
    for extra in (
        ["--offline"],
        ["--no-live", "--archive", "http://127.0.0.1:9/coll", "--allow-private-addresses"],
    ):
        code, out, err = _reader("check", str(local), "--no-history", "-f", "json", *extra)
        assert code == 4, err  # unverifiable, as in a writable store: nothing to compare
        report = json.loads(out)
        assert report["exit_code"] == 4 and report["store"].endswith(".snapverify")
        assert "read-only" not in err and "internal error" not in err


def test_a_check_that_must_record_says_the_store_is_read_only(
    protected: Path, tmp_path: Path
) -> None:
    local = protected
    store = tmp_path / "snapshots" / ".snapverify"
    before = _listing(tmp_path / "snapshots")
    for extra in (["--offline"], ["--no-live", "--archive", "http://127.0.0.1:9/coll"]):
        code, out, err = _reader("check", str(local), *extra, "--allow-private-addresses")
        assert code == 2 and out == ""
        (line,) = err.strip().splitlines()
        assert line.startswith(f"snapverify: error: {store}: the store is read-only")
        assert "--no-history" in line and "--store DIR" in line
    assert _listing(tmp_path / "snapshots") == before
    # --store DIR elsewhere records there.
    other = tmp_path / "writable-store"
    other.mkdir()
    code, _, err = _reader("check", str(local), "--offline", "--store", str(other))
    assert code == 4, err
    assert (other / "history.sqlite3").is_file()


def test_a_write_protected_history_file_alone(tmp_path: Path) -> None:
    """The folder writable, the database not: reading works, writing says read-only."""
    local = seed_snapshot(tmp_path)
    assert run_cli("check", str(local), "--offline")[0] == 4
    store = tmp_path / "snapshots" / ".snapverify"
    database = store / "history.sqlite3"
    expected = run_cli("history", str(local), "--format", "json")
    database.chmod(0o444)
    try:
        code, out, err = _reader("history", str(local), "--format", "json")
        assert (code, out) == expected[:2], err
        code, out, err = _reader("check", str(local), "--offline")
        assert code == 2 and out == ""
        (line,) = err.strip().splitlines()
        assert "read-only" in line and "--no-history" in line and "--store DIR" in line
        code, out, err = _reader("ack", "0123456789abcdef", "--store", str(store))
        assert code == 2 and "internal error" not in err
        assert _reader("check", str(local), "--offline", "--no-history")[0] == 4
    finally:
        database.chmod(0o644)


def test_an_unreadable_local_copy_is_one_line_exit_2_even_for_root(tmp_path: Path) -> None:
    """test_snapshot.py skips this as root (root reads any file); here the process is bound
    by permissions whoever runs the suite."""
    local = seed_snapshot(tmp_path)
    local.chmod(0)
    try:
        code, out, err = _reader("check", str(local), "--offline", "--no-history")
    finally:
        local.chmod(0o644)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line == f"snapverify: error: {local}: permission denied"
