"""`snapverify verify` on folders built by hand (real WARCs, manifests and a real history)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from snapverify.cli import main
from snapverify.models import CheckResult, SnapshotInfo, Verdict
from snapverify.pipeline.save import SaveLimiter
from snapverify.pipeline.verify import verify
from snapverify.store.history import History
from snapverify.store.runs import write_archive
from snapverify.store.warc import CaptureRecord

WHEN = datetime(2026, 11, 25, 7, 0, 0, tzinfo=UTC)


def _snapshot(tmp_path: Path) -> Path:
    folder = tmp_path / "snapshots" / "one"
    folder.mkdir(parents=True)
    (tmp_path / "snapshots" / ".snapverify").mkdir()
    local = folder / "copy.md"
    local.write_text("# Title\n\nThe article's text.\n\nOriginal url: <https://e.org/a>\n")
    capture = CaptureRecord(
        url="https://e.org/a",
        captured_at=WHEN - timedelta(days=1),
        source_url="https://web.archive.org/web/20261124070000id_/https://e.org/a",
        content_type="text/html",
        payload=b"<html><body><p>The article's text.</p></body></html>",
    )
    write_archive(
        folder / "archive",
        url="https://e.org/a",
        when=WHEN,
        captures=[capture],
        token=lambda: "00000000",
        info={"local-copy": local.name, "local-copy-sha256": "0" * 64},
    )
    return local


def _checked(local: Path) -> CheckResult:
    """A check of ``local`` as it is now, to record in a history."""
    sha256 = hashlib.sha256(local.read_bytes()).hexdigest()
    return CheckResult(
        snapshot=SnapshotInfo(path=str(local), url="https://e.org/a", title="Title", sha256=sha256),
        verdict=Verdict.UNCHANGED,
        exit_code=0,
        sources=(),
        findings=(),
        provenance=None,
        checked_at=WHEN,
    )


def _verify(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["verify", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_first_check_in_history_wins_over_the_archive_run(tmp_path: Path) -> None:
    local = _snapshot(tmp_path)
    # The archive run recorded another SHA-256: the copy "changed since its first archive run".
    code, _out, err = _verify(str(local.parent))
    assert code == 5 and "first archive run" in err and str(local) in err
    # A check in the history records the copy as it is: that is the reference now.
    with History.open(tmp_path / "snapshots" / ".snapverify") as history:
        history.record_check(_checked(local))
    code, out, err = _verify(str(tmp_path / "snapshots"), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["schema"] == "snapverify/verify-v1"
    assert (report["warcs"], report["manifests"], report["entries"]) == (1, 1, 1)
    assert report["local_copies"] == 1 and report["not_recorded"] == []


def test_not_recorded_and_unlisted_are_said_not_failed(tmp_path: Path) -> None:
    folder = tmp_path / "solo"
    (folder / "archive").mkdir(parents=True)
    (folder / "copy.md").write_text("# T\n\nText.\n")
    (folder / "archive" / "stray.md").write_text("# T\n\nText.\n")
    report = verify([folder])
    assert report.exit_code == 0
    assert report.not_recorded == (str(folder / "copy.md"),)
    assert report.unlisted == (str(folder / "archive" / "stray.md"),)


def test_a_manifest_given_first_still_lists_its_files(tmp_path: Path) -> None:
    local = _snapshot(tmp_path)
    (manifest,) = (local.parent / "archive").glob("*.manifest-sha256.txt")
    # Checked once, as given; its folder's files are still listed when the folder comes.
    report = verify([manifest, local.parent])
    assert (report.manifests, report.entries) == (1, 1)
    assert report.unlisted == ()


def test_a_damaged_manifest_is_named(tmp_path: Path) -> None:
    local = _snapshot(tmp_path)
    (manifest,) = (local.parent / "archive").glob("*.manifest-sha256.txt")
    manifest.write_text("not a manifest line\n")
    code, _out, err = _verify(str(manifest))
    assert code == 5
    why = "line 1 is not a SHA-256 (64 hex digits), two spaces and a path"
    assert err.strip() == f"snapverify: error: {manifest}: {why}"
    assert _verify(str(tmp_path / "nowhere"))[0] == 2


def test_the_save_limiter_spaces_saves() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = SaveLimiter(20.0, clock=lambda: now[0], sleep=sleep)
    limiter.wait()
    now[0] += 5
    limiter.wait()
    now[0] += 30
    limiter.wait()
    assert slept == [15.0]


def test_min_age_is_a_duration() -> None:
    result = CliRunner().invoke(main, ["archive", "x.md", "--min-age", "soon"])
    assert result.exit_code == 2 and "--min-age" in result.stderr


def _recorded_run(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A snapshot whose archive run is recorded in a real history, and its first check."""
    local = _snapshot(tmp_path)
    store = tmp_path / "snapshots" / ".snapverify"
    archive = local.parent / "archive"
    (warc,) = archive.glob("*.warc.gz")
    (manifest,) = archive.glob("*.manifest-sha256.txt")
    root = tmp_path / "snapshots"
    files = [(str(warc.relative_to(root)), hashlib.sha256(warc.read_bytes()).hexdigest())]
    with History.open(store) as history:
        history.record_check(_checked(local))
        key = history.key(local)
        history.record_archive(key, files, str(manifest.relative_to(root)), WHEN)
    return local, warc, manifest


def test_a_run_the_history_records_must_still_be_there(tmp_path: Path) -> None:
    local, warc, manifest = _recorded_run(tmp_path)
    code, out, err = _verify(str(local.parent))
    assert code == 0, err
    assert "1 history database (1 archived files it records)" in out
    # The whole run gone, manifest included: only the history still knows of it.
    warc.unlink()
    manifest.unlink()
    code, _out, err = _verify(str(local.parent))
    assert code == 5
    assert err.strip() == (
        f"snapverify: error: {warc}: missing (recorded in the history by an archive run)"
    )


def test_a_damaged_history_database_fails_verify(tmp_path: Path) -> None:
    local, _warc, _manifest = _recorded_run(tmp_path)
    other = tmp_path / "snapshots" / "two" / "copy.md"
    other.parent.mkdir()
    other.write_text("# Two\n\nAnother article.\n")
    database = tmp_path / "snapshots" / ".snapverify" / "history.sqlite3"
    for extra in database.parent.glob("history.sqlite3-*"):
        extra.unlink()  # no WAL left to repair it from
    database.write_bytes(b"this is not a SQLite database, whatever its name" * 100)
    report = verify([tmp_path / "snapshots"])
    assert report.exit_code == 5 and report.local_copies == 2
    # Opened once for the store, so named once, however many local copies it holds.
    assert [p.path for p in report.problems].count(str(database)) == 1


def test_a_folder_with_nothing_to_verify_is_bad_usage(tmp_path: Path) -> None:
    """An empty (or mistyped) folder was "OK: checked 0 WARCs ...", exit 0: nothing verified."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["verify", str(empty)])
    assert result.exit_code == 2 and result.stdout == ""
    nothing = "nothing to verify (no WARC, manifest, local copy or history)"
    assert result.stderr.strip() == f"snapverify: error: {empty}: {nothing}"
