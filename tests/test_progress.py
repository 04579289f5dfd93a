"""The progress bar counts captures and snapshots; it goes to stderr, and only to a
terminal, so a JSON report on stdout stays clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from captures import MoscowTimesTimeline
from servers import PywbServer
from snapverify.models import CheckResult, SnapshotInfo, SourceKind, Verdict
from snapverify.pipeline.check import CheckOptions
from snapverify.pipeline.progress import CheckProgress, ProgressCounts
from snapverify.pipeline.run import run_check
from support import seed_snapshot

MT = MoscowTimesTimeline()


def test_one_long_check_shows_progress_capture_by_capture(
    tmp_path: Path, pywb_mt: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    seen: list[ProgressCounts] = []
    progress = CheckProgress(seen.append)
    options = CheckOptions(archives=(pywb_mt.base,), live=False, allow_private=True, links=False)
    (result,) = run_check([local], options, record=False, progress=progress)

    captures = [s for s in result.sources if s.id.startswith("mt:")]
    assert len(captures) == len(MT.article()) >= 5
    assert progress.counts == ProgressCounts(1, 1, len(captures), len(captures))
    # While the one snapshot was still being checked, the captures counted up one by one.
    during = [c for c in seen if c.snapshots_done == 0]
    assert [c.captures_done for c in during if c.captures] == list(range(len(captures) + 1))
    assert all(c.captures_done <= c.captures for c in seen)
    assert seen[-1].snapshots_done == 1 and seen[0] == ProgressCounts(snapshots=1)


def test_counts_from_several_threads_add_up() -> None:
    progress = CheckProgress()
    result = CheckResult(
        snapshot=SnapshotInfo(path="a.md", url="https://e.org/", title=None, sha256="0"),
        verdict=Verdict.UNCHANGED,
        exit_code=0,
        sources=(),
        findings=(),
        provenance=None,
    )

    def work() -> None:
        for _ in range(500):
            progress.listed(2)
            progress.fetched()
            progress.fetched()
        progress.advance(result)

    threads = [threading.Thread(target=work) for _ in range(4)]
    progress.start(4)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert progress.counts == ProgressCounts(4, 4, 4000, 4000)


def test_the_bar_goes_to_a_terminal_stderr_and_json_stdout_stays_clean(tmp_path: Path) -> None:
    """stderr a real terminal (a pty), stdout a pipe: the bar is drawn on the terminal and
    the JSON report on stdout is exactly one JSON object."""
    import pty

    from test_output import _archived_snapshot

    local = _archived_snapshot(tmp_path)
    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "snapverify", "check", "--offline", "--no-history", str(local)]
        + ["--format", "json"],
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
    )
    os.close(child)
    drawn = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out, _ = process.communicate(timeout=60)
    os.close(main)
    assert process.returncode == 0, drawn
    report = json.loads(out)  # nothing but the report on stdout
    assert report["schema"] == "snapverify/check-v1"
    assert b"\x1b" not in out
    assert b"checking snapshots" in drawn and b"checking captures" in drawn


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    from test_output import _archived_snapshot

    local = _archived_snapshot(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "snapverify", "check", "--offline", "--no-history", str(local)]
        + ["--format", "json"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stderr == b""
    assert json.loads(done.stdout)["schema"] == "snapverify/check-v1"


def test_an_offline_check_counts_the_captures_it_reads_from_stored_warcs(
    tmp_path: Path,
) -> None:
    """``check --offline`` reads its captures from the stored WARCs: they count one by one
    too (it counted snapshots only), so one snapshot with a long archive shows progress."""
    from snapverify.store.runs import write_archive
    from snapverify.store.warc import CaptureRecord
    from test_output import ARTICLE, WHEN, _archived_snapshot

    local = _archived_snapshot(tmp_path)
    paragraph = ARTICLE.split("\n\n")[1]
    for n in range(1, 4):  # three more runs, one capture each
        write_archive(
            local.parent / "archive",
            url="https://e.org/a",
            when=WHEN.replace(year=2013 + n),
            captures=[
                CaptureRecord(
                    url="https://e.org/a",
                    captured_at=WHEN.replace(year=2012, month=6, day=n),
                    source_url=f"https://web.archive.org/web/2012060{n}000000id_/https://e.org/a",
                    content_type="text/html",
                    payload=f"<html><body><p>{paragraph}</p></body></html>".encode(),
                )
            ],
            token=lambda n=n: f"0000000{n}",
        )
    seen: list[ProgressCounts] = []
    progress = CheckProgress(seen.append)
    options = CheckOptions(offline=True)
    (result,) = run_check([local], options, record=False, progress=progress)

    stored = [s for s in result.sources if s.kind != SourceKind.LIVE]
    assert len(stored) == 4, result.sources
    assert progress.counts == ProgressCounts(1, 1, 4, 4)
    during = [c for c in seen if c.snapshots_done == 0]
    assert [c.captures_done for c in during if c.captures] == [0, 1, 2, 3, 4]
