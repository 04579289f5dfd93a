"""`snapverify archive` and `snapverify verify` end to end: a loopback origin and a real pywb.

The live page is the Moscow Times article served gzip-encoded by the origin; pywb holds the
capture set under the origin's URL (the ``mt_site`` fixture). What a user sees is asserted:
the files in ``archive/``, ``warcio check``, ``verify``'s exit code and the file it names.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from captures import MT
from snapverify.cli import main
from snapverify.pipeline import archive as archive_module
from snapverify.pipeline.archive import ArchiveOptions, archive
from snapverify.store import runs
from snapverify.store.fixity import parse_manifest
from snapverify.store.history import History
from snapverify.store.warc import read_records
from support import disk_full_under
from support import run_cli as _run


def _archive(site: Any, *more: str) -> dict[str, Any]:
    code, out, err = _run("archive", str(site.local), *site.args, "--format", "json", *more)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def _warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_archive_writes_a_warc_an_export_and_a_manifest(mt_site: Any) -> None:
    result = _archive(mt_site, "--captures")
    folder = mt_site.local.parent
    warc, export, manifest = (folder / result[k] for k in ("warc", "export", "manifest"))
    assert result["schema"] == "snapverify/archive-v1" and result["live"] == "ok"
    assert warc.name.endswith(".warc.gz") and warc.parent.name == "archive"
    assert sorted(p.name for p in warc.parent.iterdir()) == sorted(
        [warc.name, export.name, manifest.name]
    )
    # The manifest lists the WARC and the export with their SHA-256, relative names.
    entries = parse_manifest(manifest.read_bytes(), name=str(manifest))
    assert [(e.path, e.sha256) for e in entries] == [
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in (warc, export)
    ]
    assert [f["path"] for f in result["files"]] == [result["warc"], result["export"]]

    pages = read_records(warc)
    live = [p for p in pages if p.role == "live"]
    assert len(live) == 1 and live[0].kind == "response" and live[0].url == mt_site.url
    assert live[0].payload == mt_site.body
    captures = [p for p in pages if p.role == "capture"]
    # Every capture with a payload (the 403 bot wall too, as evidence), once each.
    assert sorted(p.fields["timestamp"] for p in captures) == sorted(MT.article())
    assert result["captures"] == len(MT.article())
    blocked = next(p for p in captures if p.fields["timestamp"] == MT.blocked)
    assert blocked.fields["outcome"] == "archived_error" and blocked.status == 403

    # The wire bytes: the gzip body exactly as the origin sent it.
    from warcio.archiveiterator import ArchiveIterator

    with warc.open("rb") as stream:
        response = next(r for r in ArchiveIterator(stream) if r.rec_type == "response")
        assert response.raw_stream.read() == gzip.compress(mt_site.body, mtime=0)

    assert _warcio_check(warc).returncode == 0
    code, out, err = _run("verify", str(folder.parent))
    assert code == 0, err
    assert out.startswith("OK: checked 1 WARC (18 records), 1 manifest (2 files), 1 local copy")

    # The export is a local copy of its own: checking it finds the live text unchanged.
    code, out, err = _run("check", str(export), *mt_site.args, "--no-live", "--format", "json")
    report = json.loads(out)
    assert report["snapshot"]["url"] == mt_site.url
    assert report["provenance"]["similarity"] == pytest.approx(1.0)

    # The history knows the run, and every file it names exists.
    with History.open(folder.parent / ".snapverify") as history:
        (record,) = history.archives(history.key(mt_site.local))
    root = folder.parent  # paths are relative to the store's folder, like snapshot keys
    assert [path for path, _sha in record.files] == [
        f"mt/{result['warc']}",
        f"mt/{result['export']}",
    ]
    assert all((root / path).is_file() for path, _sha in record.files)


def test_captures_come_from_the_cache_and_follow_the_last_check(mt_site: Any) -> None:
    from snapverify.pipeline import CheckOptions, check

    # No link checks: the captures' links point at the real web.
    options = CheckOptions(
        archives=(mt_site.pywb.base,), allow_private=True, max_captures=2, links=False
    )
    (checked,) = check([mt_site.local], options)
    used = sorted(s.id for s in checked.sources if s.kind == "archive")
    assert len(used) == 2
    with History.open(mt_site.local.parent.parent / ".snapverify") as history:
        history.record_check(checked)
    mark = mt_site.pywb.mark()
    result = _archive(mt_site, "--captures")
    pages = read_records(mt_site.local.parent / result["warc"])
    stored = sorted(f"mt:{p.fields['timestamp']}" for p in pages if p.role == "capture")
    assert stored == used
    # Their payloads came from the capture cache: pywb was asked for listings only.
    assert mt_site.pywb.capture_fetches(url=mt_site.url, since=mark) == {}


def test_verify_fails_on_a_flipped_byte_with_the_manifest_as_written_and_rebuilt(
    mt_site: Any,
) -> None:
    result = _archive(mt_site)
    folder = mt_site.local.parent
    warc, manifest = folder / result["warc"], folder / result["manifest"]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0x01
    warc.write_bytes(bytes(data))

    code, _out, err = _run("verify", str(folder))
    assert code == 5
    assert str(warc) in err and "does not match" in err

    # Rebuild the manifest after the flip: the WARC's own digests still catch it.
    lines = manifest.read_text("utf-8").splitlines()
    fixed = hashlib.sha256(warc.read_bytes()).hexdigest()
    manifest.write_text("\n".join([f"{fixed}  {warc.name}", *lines[1:]]) + "\n", "utf-8")
    code, _out, err = _run("verify", str(folder))
    assert code == 5
    assert str(warc) in err and "does not match" not in err
    assert _warcio_check(warc).returncode != 0 or "damaged" in err or "digest" in err


def test_verify_fails_on_a_truncated_file_a_missing_file_and_an_edited_local_copy(
    mt_site: Any, tmp_path: Path
) -> None:
    result = _archive(mt_site)
    folder = mt_site.local.parent
    warc, export = folder / result["warc"], folder / result["export"]
    original = warc.read_bytes()

    warc.write_bytes(original[: len(original) - 100])
    code, _out, err = _run("verify", str(warc))  # the WARC alone: its digests and gzip
    assert code == 5 and str(warc) in err and "truncated" in err
    warc.write_bytes(original)

    exported = export.read_bytes()
    export.unlink()
    code, _out, err = _run("verify", str(folder))
    assert code == 5 and str(export) in err and "missing" in err
    assert len(err.strip().splitlines()) == 1

    # Put the export back; edit the local copy (its first archive run recorded it).
    _archive(mt_site)
    assert _run("verify", str(folder))[0] == 5  # the first run's export is still missing
    (folder / "archive" / export.name).write_bytes(b"")
    for manifest in (folder / "archive").glob("*.manifest-sha256.txt"):
        if export.name in manifest.read_text("utf-8"):
            manifest.unlink()
    # Emptied, its manifest gone: the history still has its SHA-256 and says so.
    code, out, err = _run("verify", str(folder))
    assert code == 5 and str(export) in err and "in the history" in err
    (folder / "archive" / export.name).write_bytes(exported)
    code, out, err = _run("verify", str(folder))
    assert code == 0, err
    assert "not listed in any manifest" in out
    text = mt_site.local.read_text("utf-8")
    mt_site.local.write_text(text.replace("15 people", "16 people"), "utf-8")
    code, _out, err = _run("verify", str(folder))
    assert code == 5
    assert str(mt_site.local) in err and "changed since its first" in err


def test_two_runs_colliding_on_time_and_token_leave_the_first_untouched(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = datetime(2026, 11, 25, 7, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(archive_module, "_now", lambda: moment)
    monkeypatch.setattr(runs, "_token", lambda: "cafebabe")
    options = ArchiveOptions(
        archives=(mt_site.pywb.base,), allow_private=True, store=None, captures=False
    )
    (first,) = archive([mt_site.local], options)
    folder = mt_site.local.parent
    assert first.warc == "archive/20261125070000-cafebabe.warc.gz"
    before = {p.name: p.read_bytes() for p in (folder / "archive").iterdir()}
    (second,) = archive([mt_site.local], options)
    assert second.exit_code == 0
    assert second.warc == "archive/20261125070000-cafebabe-1.warc.gz"
    assert second.manifest == "archive/20261125070000-cafebabe-1.manifest-sha256.txt"
    after = {p.name: p.read_bytes() for p in (folder / "archive").iterdir()}
    assert len(after) == 6
    assert {name: after[name] for name in before} == before
    assert _run("verify", str(folder))[0] == 0


def test_a_refused_url_is_not_fetched(mt_site: Any) -> None:
    args = ["archive", str(mt_site.local), "--archive", mt_site.pywb.base, "--format", "json"]
    result = CliRunner(env={"SNAPVERIFY_ALLOW_PRIVATE": ""}).invoke(main, args)
    code, err = result.exit_code, result.stderr
    assert code == 3 and mt_site.url in err
    assert mt_site.origin.requests() == []
    assert not (mt_site.local.parent / "archive").exists()


def test_an_overlapping_run_exits_75_and_writes_nothing(mt_site: Any) -> None:
    from snapverify.store.lock import hold_lock

    store = mt_site.local.parent.parent / ".snapverify"
    with hold_lock(store):
        other = subprocess.run(
            [sys.executable, "-m", "snapverify", "archive", str(mt_site.local), *mt_site.args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert other.returncode == 75, other.stderr
    assert "lock" in other.stderr
    assert not (mt_site.local.parent / "archive").exists()
    assert mt_site.origin.requests() == []


def _spn(site: Any, capture: str, *, status: int = 200) -> str:
    """A loopback Save Page Now answering for the site's URL; returns the endpoint."""
    link = f'<{site.url}>; rel="memento", <https://web.archive.org/web/{capture}/{site.url}>'
    site.origin.route(f"/save/{site.url}", "<p>saved</p>", status=status, headers=[("Link", link)])
    return site.origin.url("/save/")


def test_save_page_now_through_waybackpy(mt_site: Any) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    options = ArchiveOptions(
        archives=(mt_site.pywb.base,),
        allow_private=True,
        save=True,
        save_archive=mt_site.pywb.base,
        save_endpoint=_spn(mt_site, stamp),
        save_interval=0,
    )
    (result,) = archive([mt_site.local], options)
    assert result.exit_code == 0 and result.save is not None
    assert result.save.status == "saved"
    assert result.save.capture_url == f"https://web.archive.org/web/{stamp}/{mt_site.url}"
    assert [r.path for r in mt_site.origin.requests(f"/save/{mt_site.url}")] == [
        f"/save/{mt_site.url}"
    ]

    # A capture newer than --min-age (pywb's 2024 capture, with a 10-year age): skipped.
    before = len(mt_site.origin.requests())
    later = dataclasses.replace(options, min_age=timedelta(days=365 * 30))
    skip = archive([mt_site.local], later)
    assert skip[0].save is not None and skip[0].save.status == "skipped"
    assert MT.latest in skip[0].save.detail
    assert len(mt_site.origin.requests()) == before + 1  # the live page only

    # Save Page Now refusing (429): a clear reason, exit 4, the files still written.
    _spn(mt_site, stamp, status=429)
    (failed,) = archive([mt_site.local], options)
    assert failed.save is not None and failed.save.status == "failed"
    assert "refused" in failed.save.detail and failed.exit_code == 4
    assert failed.warc is not None


def test_a_full_disk_leaves_earlier_runs_intact_and_no_temporary_file(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from snapverify.store import atomic

    options = ArchiveOptions(archives=(mt_site.pywb.base,), allow_private=True)
    (first,) = archive([mt_site.local], options)
    folder = mt_site.local.parent / "archive"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    (second,) = archive([mt_site.local], options)
    assert second.exit_code == 5 and second.warc is None
    # The same words as every other full disk: the file that could not be written.
    assert second.error is not None
    assert re.fullmatch(
        rf"no space left on device: {re.escape(str(folder))}/\d{{14}}-[0-9a-f]{{8}}\.warc\.gz",
        second.error,
    ), second.error
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # From the command line: that one line, exit 5; still nothing new, no temporary file.
    code, out, err = _run("archive", str(mt_site.local), *mt_site.args)
    assert code == 5, err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"snapverify: error: no space left on device: {folder}/")
    )
    assert "cannot write" not in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    with History.open(mt_site.local.parent.parent / ".snapverify") as history:
        assert len(history.archives(history.key(mt_site.local))) == 1


def test_a_full_disk_under_the_capture_cache_is_exit_5_naming_the_file(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WARC is written whole, but the capture cache found the disk full: exit 5 and
    the one line naming the cache file (the run passed as exit 0 before)."""
    store = mt_site.local.parent.parent / ".snapverify"
    cache = store / "cache"
    disk_full_under(monkeypatch, cache)
    code, out, err = _run("archive", "--captures", str(mt_site.local), *mt_site.args, "-f", "json")
    monkeypatch.undo()
    assert code == 5, err
    result = json.loads(out)
    assert result["warc"] is not None and result["exit_code"] == 5
    (line,) = err.splitlines()
    assert line.startswith(f"snapverify: error: no space left on device: {cache}/")
    assert [p for p in store.rglob("*") if p.name.startswith(".tmp-")] == []
    assert not list(cache.rglob("objects/*/*"))  # nothing half-kept


def test_a_full_disk_at_the_history_is_exit_5_after_whole_files(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's files are written, but the history cannot record them (SQLite's "database
    or disk is full"): exit 5 naming the database; it was a note and exit 0."""
    import sqlite3

    from snapverify.store import history as history_module

    store = mt_site.local.parent.parent / ".snapverify"
    path = store / "history.sqlite3"

    def full(*_args: Any, **_kwargs: Any) -> None:
        exc = sqlite3.OperationalError("database or disk is full")
        exc.sqlite_errorcode = sqlite3.SQLITE_FULL  # what SQLite sets on a full disk
        raise history_module.database_failure(exc, path, store)

    monkeypatch.setattr(history_module.History, "record_archive", full)
    code, out, err = _run("archive", str(mt_site.local), *mt_site.args, "-f", "json")
    monkeypatch.undo()
    assert code == 5, (err, out)
    result = json.loads(out)
    assert result["exit_code"] == 5 and result["warc"] is not None
    assert (mt_site.local.parent / result["warc"]).is_file()  # whole, listed in the manifest
    (line,) = err.splitlines()
    assert line == f"snapverify: error: no space left on device: {path}"
