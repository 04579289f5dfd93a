"""Kill safety: `snapverify archive` killed with SIGKILL mid-write leaves only whole files.

Each run is a real subprocess against the loopback origin and pywb. The store code stops
the process dead at named points when ``SNAPVERIFY_TEST_KILL_AT`` names one
(store/atomic.py ``kill_point``); then the process is also killed at random moments. After
every kill: no partial file under a final name, every manifest lists only whole files
whose hashes match, no history row names a missing file; the next run removes the
temporary files the killed one left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from snapverify.store.atomic import KILL_ENV
from snapverify.store.fixity import is_manifest, parse_manifest, sha256_file
from snapverify.store.history import History
from snapverify.store.warc import verify_warc

POINTS = [
    f"{what}:{when}"
    for what in ("warc", "export", "manifest")
    for when in ("started", "written", "synced", "linked")
] + ["history:before"]


def _command(site: Any) -> list[str]:
    return [sys.executable, "-m", "snapverify", "archive", str(site.local), *site.args]


def _env(point: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != KILL_ENV}
    if point is not None:
        env[KILL_ENV] = point
    return env


def _assert_consistent(site: Any) -> None:
    folder = site.local.parent / "archive"
    finals = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    for path in finals:
        if path.name.endswith(".warc.gz"):
            assert verify_warc(path)[1] == [], path
        elif path.suffix == ".md":
            text = path.read_text("utf-8")
            assert text.rstrip("\n").endswith(f"Original url: <{site.url}>"), path
        else:
            assert is_manifest(path), path
            for entry in parse_manifest(path.read_bytes(), name=str(path)):
                assert sha256_file(folder / entry.path) == entry.sha256, (path, entry)
    store = site.local.parent.parent / ".snapverify"
    with History.open(store) as history:
        for record in history.archives(history.key(site.local)):
            for name, sha256 in record.files:
                target = store.parent / name
                assert target.is_file() and sha256_file(target) == sha256, record
            assert (store.parent / record.manifest).is_file()


def _temporaries(site: Any) -> list[Path]:
    folder = site.local.parent / "archive"
    return sorted(folder.glob(".tmp-*")) if folder.is_dir() else []


# What a run killed at a point leaves under final names (file suffixes).
EXPECTED = {
    "warc:linked": {".gz"},
    "export:started": {".gz"},
    "export:written": {".gz"},
    "export:synced": {".gz"},
    "export:linked": {".gz", ".md"},
    "manifest:started": {".gz", ".md"},
    "manifest:written": {".gz", ".md"},
    "manifest:synced": {".gz", ".md"},
    "manifest:linked": {".gz", ".md", ".txt"},
    "history:before": {".gz", ".md", ".txt"},
}


def _finals(site: Any) -> set[str]:
    folder = site.local.parent / "archive"
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


def test_killed_at_each_instrumented_point(mt_site: Any) -> None:
    store = mt_site.local.parent.parent / ".snapverify"
    for point in POINTS:
        before = _finals(mt_site)
        killed = subprocess.run(
            _command(mt_site), env=_env(point), capture_output=True, timeout=120, check=False
        )
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        _assert_consistent(mt_site)
        new = _finals(mt_site) - before
        assert {Path(name).suffix for name in new} == EXPECTED.get(point, set()), point
        # At most the killed write's own temporary file: each run removed the earlier ones.
        assert len(_temporaries(mt_site)) <= 1, point
        if point.endswith((":written", ":synced", ":linked")):
            assert len(_temporaries(mt_site)) == 1, point
    with History.open(store) as history:
        recorded = history.archives(history.key(mt_site.local))
    assert recorded == []  # every run was killed before its history row

    again = subprocess.run(_command(mt_site), env=_env(), capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert _temporaries(mt_site) == []
    _assert_consistent(mt_site)
    verify = subprocess.run(
        [sys.executable, "-m", "snapverify", "verify", str(mt_site.local.parent)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    assert "not listed in any manifest" in verify.stdout  # the runs cut before their manifest


def test_killed_at_random_moments(mt_site: Any) -> None:
    # The first run warms pywb and the cache; the second one's time is a run's time.
    for _ in range(2):
        started = time.monotonic()
        whole = subprocess.run(_command(mt_site), env=_env(), capture_output=True, timeout=120)
        assert whole.returncode == 0, whole.stderr
    duration = time.monotonic() - started
    chance = random.Random(20261125)
    killed = 0
    for _ in range(20):
        process = subprocess.Popen(
            _command(mt_site), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(chance.uniform(0.1, 0.9) * duration)
        process.send_signal(signal.SIGKILL)
        killed += process.wait(timeout=60) == -signal.SIGKILL
        _assert_consistent(mt_site)
    # Most runs were cut somewhere rather than after they ended (a loose bound: a loaded
    # machine makes some runs faster or slower than the one measured).
    assert killed >= 5
    again = subprocess.run(_command(mt_site), env=_env(), capture_output=True, timeout=120)
    assert again.returncode == 0 and _temporaries(mt_site) == []
    _assert_consistent(mt_site)
