"""Every failure tells the truth: exit codes and one-line messages (issue 12).

Each test runs the real command (``support.run_cli``) on real files and real SQLite
databases, and checks the exit code, the one stderr line, what reached stdout and what
was (not) written.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest

from snapverify.store import history as history_module
from snapverify.store import lock as lock_module
from snapverify.store.history import HISTORY_FILE, SCHEMA_VERSION, History
from support import FIXTURES, SEED, disk_full_under, run_cli, seed_snapshot

OFFLINE = ("--offline",)  # no network: sources from stored WARCs (none here), recorded


def _rows(store: Path) -> int:
    with sqlite3.connect(store / HISTORY_FILE) as db:
        return int(db.execute("SELECT COUNT(*) FROM checks").fetchone()[0])


def _stores(root: Path) -> list[Path]:
    return sorted(root.rglob(".snapverify"))


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# -- paths that name nothing --------------------------------------------------------


def test_a_folder_without_local_copies_is_exit_2_no_snapshots_found(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "snapshot.toml").write_text('url = "https://e.org/a"\n', "utf-8")
    for fmt in ("terminal", "json"):
        code, out, err = run_cli("check", str(folder), "--format", fmt, *OFFLINE)
        assert code == 2
        assert out == ""
        assert _one_line(err) == f"snapverify: error: {folder}: no snapshots found"
    assert _stores(tmp_path) == []


def test_a_path_that_does_not_exist_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    store = tmp_path / "snapshots" / ".snapverify"
    code, _, _ = run_cli("check", str(local), *OFFLINE)
    assert code == 4 and _rows(store) == 1
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    missing = tmp_path / "nowhere" / "copy.md"
    for args in ([str(missing)], [str(local), str(missing)], ["nowhere"]):
        code, out, err = run_cli("check", *args, *OFFLINE)
        assert code == 2
        assert out == ""
        line = _one_line(err)
        assert line.startswith("snapverify: error: ") and "no such file or folder" in line
        assert args[-1] in line
    assert _rows(store) == 1  # no history row
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file()} == before
    assert _stores(tmp_path) == [store]  # no .snapverify/ created anywhere


def test_a_local_copy_without_an_original_url_is_the_error_line_only(tmp_path: Path) -> None:
    folder = tmp_path / "snapshots" / "nourl"
    folder.mkdir(parents=True)
    local = folder / "copy.md"
    local.write_text("# A title\n\nA paragraph of the article, long enough to read.\n", "utf-8")
    code, out, err = run_cli("check", str(local), *OFFLINE)
    assert code == 2
    assert out == ""
    assert (
        _one_line(err) == f"snapverify: error: {local}: no original URL (give --url or add "
        "snapshot.toml)"
    )


# -- timestamps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "20121340"],
        ["--from", "201213"],
        ["--to", "20120230"],
        ["--from", "2013", "--to", "2012"],
        ["--from", "20120601", "--to", "20120531"],
        ["--from", "2012-05"],
    ],
)
def test_bad_timestamps_are_refused_with_exit_2(tmp_path: Path, args: list[str]) -> None:
    local = seed_snapshot(tmp_path)
    code, out, err = run_cli("check", str(local), *args, *OFFLINE)
    assert code == 2 and out == ""
    line = _one_line(err)
    assert "bad timestamp" in line and "not found" not in line
    assert not (tmp_path / "snapshots" / ".snapverify" / HISTORY_FILE).exists()


def test_good_timestamp_ranges_still_pass(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    for args in (["--from", "2012", "--to", "2012"], ["--from", "201205", "--to", "2012"]):
        code, _, err = run_cli("check", str(local), *args, *OFFLINE)
        assert code == 4, err  # offline with nothing stored: unverifiable, not refused


@pytest.mark.parametrize("stamp", ["2012-05-27", "20121340", "201213", "2012-05-27T10:00Z", "1"])
def test_a_compare_source_with_a_bad_timestamp_is_not_a_missing_file(
    tmp_path: Path, stamp: str
) -> None:
    local = seed_snapshot(tmp_path)
    code, out, err = run_cli("compare", str(local), f"{SEED}@{stamp}")
    assert code == 2 and out == ""
    line = _one_line(err)
    assert "bad timestamp" in line and "not found" not in line


# -- saved reports --------------------------------------------------------------------


def _saved_report(tmp_path: Path) -> dict[str, Any]:
    local = seed_snapshot(tmp_path)
    out_file = tmp_path / "check.json"
    code, _, err = run_cli("check", str(local), *OFFLINE, "-f", "json", "-o", str(out_file))
    assert code == 4, err
    data: dict[str, Any] = json.loads(out_file.read_text("utf-8"))
    return data


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("exit_code", "9" * 5000),
        ("exit_code", "123456789012345678901234567890"),
        ("exit_code", "NaN"),
        ("exit_code", "1e999"),
        ("provenance", '{"source": "live", "similarity": NaN}'),
        ("provenance", '{"source": "live", "similarity": -Infinity}'),
    ],
)
def test_a_report_with_a_huge_integer_or_nan_is_exit_2_one_line(
    tmp_path: Path, key: str, raw: str
) -> None:
    data = _saved_report(tmp_path)
    data[key] = "@@"
    text = json.dumps(data).replace('"@@"', raw)
    for name, body in (("bad.json", text), ("bad.jsonl", text + "\n" + text + "\n")):
        path = tmp_path / name
        path.write_text(body, "utf-8")
        code, out, err = run_cli("report", str(path))
        assert code == 2 and out == ""
        line = _one_line(err)
        assert line.startswith(f"snapverify: error: {path}") and "report" in line


# -- a newer schema -------------------------------------------------------------------


def test_a_newer_history_schema_is_exit_2_for_every_command(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    store = tmp_path / "snapshots" / ".snapverify"
    assert run_cli("check", str(local), *OFFLINE)[0] == 4
    with sqlite3.connect(store / HISTORY_FILE) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    commands = [
        ["check", str(local), *OFFLINE],
        ["history"],
        ["history", str(local)],
        ["report", str(local)],
        ["ack", "0123456789abcdef"],
        ["verify", str(local.parent)],
        ["verify"],
        ["evidence", str(local), "-o", str(tmp_path / "bundle.wacz")],
        ["watch", "--times", "1", str(local), *OFFLINE],
    ]
    for args in commands:
        code, out, err = run_cli(*args)
        assert code == 2, (args, err)
        line = _one_line(err)
        assert "newer than this snapverify" in line and str(store / HISTORY_FILE) in line, args


# -- a damaged history ------------------------------------------------------------------


def _recorded(tmp_path: Path) -> tuple[Path, Path]:
    """A snapshot with one recorded check; returns the local copy and the store."""
    local = seed_snapshot(tmp_path)
    assert run_cli("check", str(local), *OFFLINE)[0] == 4
    return local, tmp_path / "snapshots" / ".snapverify"


def _damage_a_record(store: Path, column: str) -> None:
    with sqlite3.connect(store / HISTORY_FILE) as db:
        if column == "findings.data":
            db.execute(
                "INSERT INTO findings (check_id, fingerprint, kind, substantive, change, shown,"
                " reported, acknowledged, data) VALUES ((SELECT MAX(id) FROM checks),"
                " '0123456789abcdef', 'edited', 1, 'new', 1, 1, 0, ?)",
                (b"\x00 not zlib",),
            )
        else:
            db.execute("UPDATE checks SET report = ?", (zlib.compress(b"{not json"),))
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _assert_damage_line(err: str, store: Path) -> None:
    line = err.strip().splitlines()[-1]
    assert line.startswith("snapverify: error: ")
    assert str(store / HISTORY_FILE) in line and "--no-history" in line
    assert "internal error" not in err


@pytest.mark.parametrize("fmt", ["terminal", "json"])
def test_a_record_that_does_not_decode_still_reports_then_exits_5(tmp_path: Path, fmt: str) -> None:
    local, store = _recorded(tmp_path)
    _damage_a_record(store, "findings.data")
    report = tmp_path / f"report.{fmt}"
    code, out, err = run_cli("check", str(local), *OFFLINE, "-f", fmt)
    assert code == 5
    _assert_damage_line(err, store)
    assert "UNVERIFIABLE" in out if fmt == "terminal" else json.loads(out)["exit_code"] == 4
    code, out, err = run_cli("check", str(local), *OFFLINE, "-f", fmt, "-o", str(report))
    assert code == 5 and out == "" and report.stat().st_size > 0
    _assert_damage_line(err, store)
    assert _rows(store) == 1  # nothing more recorded
    # --no-history, as the line suggests, checks as usual.
    assert run_cli("check", str(local), *OFFLINE, "--no-history")[0] == 4


def test_history_and_verify_report_a_damaged_record_with_exit_5(tmp_path: Path) -> None:
    local, store = _recorded(tmp_path)
    _damage_a_record(store, "findings.data")
    for args in (["history"], ["history", str(local)], ["verify", str(local.parent)]):
        code, _, err = run_cli(*args)
        assert code == 5, (args, err)
        assert str(store / HISTORY_FILE) in err and "internal error" not in err


def test_report_of_a_damaged_stored_report_is_exit_5(tmp_path: Path) -> None:
    local, store = _recorded(tmp_path)
    _damage_a_record(store, "checks.report")
    code, out, err = run_cli("report", str(local))
    assert code == 5 and out == ""
    _assert_damage_line(err, store)
    code, _, err = run_cli("verify", str(local.parent))
    assert code == 5 and "check 1 does not decode" in err


def _damage_pages(store: Path) -> None:
    """Overwrite every page but the first (the schema) with garbage: SQLite then answers
    "database disk image is malformed" to any query of the tables."""
    path = store / HISTORY_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = int(db.execute("PRAGMA page_size").fetchone()[0])
    data = bytearray(path.read_bytes())
    assert len(data) > page
    data[page:] = b"\xa5" * (len(data) - page)
    path.write_bytes(bytes(data))


def test_damaged_pages_are_exit_5_for_every_command_never_70(tmp_path: Path) -> None:
    local, store = _recorded(tmp_path)
    _damage_pages(store)
    for args in (
        ["history"],
        ["history", str(local)],
        ["report", str(local)],
        ["ack", "0123456789abcdef"],
        ["verify", str(local.parent)],
    ):
        code, _, err = run_cli(*args)
        assert code == 5, (args, err)
        assert str(store / HISTORY_FILE) in err and "internal error" not in err, args
    code, out, err = run_cli("check", str(local), *OFFLINE, "-f", "json")
    assert code == 5
    assert json.loads(out)["snapshot"]["path"] == str(local)  # the report, printed
    _assert_damage_line(err, store)


def test_a_file_that_is_not_a_database_is_exit_5(tmp_path: Path) -> None:
    local, store = _recorded(tmp_path)
    (store / HISTORY_FILE).write_bytes(b"this is not a SQLite database at all " * 200)
    code, _, err = run_cli("history")
    assert code == 5 and "not a usable history database" in err


# -- a full disk ----------------------------------------------------------------------


def test_a_full_disk_under_the_history_reports_then_exits_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full" (its page limit reached, as a full disk
    does): the report still comes out, the database stays as it was, exit 5."""
    local, store = _recorded(tmp_path)
    path = store / HISTORY_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    opened = History.open

    def full(store_dir: Path) -> History:
        history = opened(store_dir)
        pages = history._db.execute("PRAGMA page_count").fetchone()[0]
        history._db.execute(f"PRAGMA max_page_count = {pages}")
        return history

    packed = history_module._pack

    def large(data: dict[str, Any]) -> bytes:
        # A record larger than the pages left: it needs a page the limit refuses.
        return packed(data) + os.urandom(64 * 1024)

    monkeypatch.setattr(history_module.History, "open", staticmethod(full))
    monkeypatch.setattr(history_module, "_pack", large)
    code, out, err = run_cli("check", str(local), *OFFLINE, "-f", "json")
    assert code == 5
    assert json.loads(out)["exit_code"] == 4
    line = _one_line(err.replace(_offline_note(err), ""))
    assert (
        line == f"snapverify: error: no space left on device: {path} (this check was not recorded)"
    )
    assert "not a usable history database" not in err
    monkeypatch.undo()
    with History.open(store) as history:
        assert len(history.checks()) == 1
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.read_bytes() == before


def _offline_note(err: str) -> str:
    # The snapshot's own error (nothing stored to check offline) comes first.
    return "".join(line + "\n" for line in err.splitlines() if "nothing stored" in line)


def test_a_full_disk_at_the_lock_file_is_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, store = _recorded(tmp_path)

    def full(*_args: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lock_module.os, "pwrite", full)
    code, out, err = run_cli("check", str(local), *OFFLINE)
    assert code == 5 and out == ""
    assert _one_line(err) == f"snapverify: error: no space left on device: {store / 'lock'}"
    monkeypatch.undo()
    assert _rows(store) == 1
    with lock_module.hold_lock(store):  # released
        pass


def test_a_full_disk_at_the_report_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapverify.store import atomic

    local = seed_snapshot(tmp_path)
    report = tmp_path / "report.json"
    report.write_text("the previous report\n", "utf-8")

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    code, out, err = run_cli("check", str(local), *OFFLINE, "-f", "json", "-o", str(report))
    assert code == 5 and out == ""
    assert err.strip().splitlines()[-1] == f"snapverify: error: no space left on device: {report}"
    assert report.read_text("utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")) == []


def test_a_full_disk_under_the_capture_cache_reports_then_exits_5(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real check of captures served by pywb, whose cache writes find the disk full: the
    report comes out (and is recorded), then exit 5 naming the file; no temporary file."""
    from snapverify.store import atomic

    store = mt_site.local.parent.parent / ".snapverify"

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    args = ("check", str(mt_site.local), *mt_site.args, "--no-live", "-f", "json")
    code, out, err = run_cli(*args)
    assert code == 5
    report = json.loads(out)
    assert report["exit_code"] == 1 and report["store"] == str(store)
    line = _one_line(err)  # one line, not one warning per capture
    assert line.startswith(f"snapverify: error: no space left on device: {store / 'cache'}")
    assert "internal error" not in err
    assert [p for p in store.rglob("*") if p.name.startswith(".tmp-")] == []
    assert not list((store / "cache").rglob("objects/*/*"))  # nothing half-kept
    assert _rows(store) == 1  # the check itself was recorded
    monkeypatch.undo()
    code, _, err = run_cli(*args)
    assert code == 1, err  # room again: the same check, as usual


@pytest.mark.parametrize(
    "args",
    [
        ["archive", "nowhere"],
        ["verify", "nowhere"],
        ["history", "nowhere"],
        ["report", "nowhere"],
        ["fix-links", "nowhere"],
        ["compare", "nowhere", "other.html"],
    ],
)
def test_every_command_names_a_missing_path_in_one_line_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    line = _one_line(err)
    assert line.startswith("snapverify: error: nowhere: ")
    assert _stores(tmp_path) == []


def test_archive_refuses_a_newer_history_schema_before_writing(
    mt_site: Any, tmp_path: Path
) -> None:
    store = mt_site.local.parent.parent / ".snapverify"
    assert run_cli("check", str(mt_site.local), *OFFLINE)[0] == 4
    with sqlite3.connect(store / HISTORY_FILE) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    code, out, err = run_cli("archive", str(mt_site.local), *mt_site.args)
    assert code == 2 and out == ""
    assert "newer than this snapverify" in _one_line(err)
    assert not (mt_site.local.parent / "archive").exists()
    assert mt_site.origin.requests() == []  # nothing was even fetched


def test_a_full_disk_under_the_link_cache_reports_then_exits_5(
    tmp_path: Path, origin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live check whose link-cache writes find the disk full: the report comes out and is
    recorded, then exit 5 naming the cache file (it only warned before); no temporary file,
    earlier cache entries byte-identical."""

    article = "/2012/05/27/kazakh-massacre-cover-up-a15040"
    page = (FIXTURES / "capture-original.html").read_bytes()
    for lost in (
        b"www.youtube.com/watch?v=Yx5Vn0bQv2A",
        b"www.themoscowtimes.com/authors/robert-jones",
    ):
        page = page.replace(b"/web/20120528010203/http://" + lost, origin.url("/alive").encode())
    origin.page(article, page)
    origin.page("/alive", "<html><head><title>alive</title></head><body>alive</body></html>")
    origin.page("/other", "<html><head><title>other</title></head><body>other</body></html>")
    local = seed_snapshot(tmp_path)
    text = local.read_text("utf-8")
    local.write_text(text.replace("Aktau", f"[Aktau]({origin.url('/alive')})", 1), "utf-8")
    store = local.parent.parent / ".snapverify"
    args = ("check", str(local), "--url", origin.url(article), "--allow-private-addresses")
    args += ("--archive", origin.url("/none"), "--rate-limit", "links=200/s", "-f", "json")
    code, _, err = run_cli(*args)
    assert code != 5, err
    links = store / "links"
    before = {p: p.read_bytes() for p in links.rglob("*") if p.is_file()}
    assert [p for p in before if p.parent.name == "status"], before
    disk_full_under(monkeypatch, links)
    local.write_text(text.replace("Aktau", f"[Aktau]({origin.url('/other')})", 1), "utf-8")
    code, out, err = run_cli(*args)
    monkeypatch.undo()
    assert code == 5, err
    report = json.loads(out)
    assert report["store"] == str(store)
    assert {r["outcome"] for r in report["links"]} == {"ok"}
    line = _one_line(err)
    assert line.startswith(f"snapverify: error: no space left on device: {links / 'status'}/")
    assert "internal error" not in err and "cannot write" not in err
    assert [p for p in store.rglob("*") if p.name.startswith(".tmp-")] == []
    assert {p: p.read_bytes() for p in links.rglob("*") if p.is_file()} == before
    assert _rows(store) == 2  # the check itself was recorded


def test_a_reader_that_goes_away_is_exit_141_never_1(tmp_path: Path) -> None:
    """``snapverify check ... | head``: the reader closes the pipe before the report is
    written. It was exit 1 (click's), which says "changed" of an unchanged snapshot."""
    import subprocess
    import sys

    from test_output import _archived_snapshot

    local = _archived_snapshot(tmp_path)  # unchanged: exit 0 when the report is read
    check = ["check", str(local), *OFFLINE, "-f", "json"]
    assert run_cli(*check)[0] == 0  # recorded, for history
    for args in (check, ["history", str(local)], ["--help"], ["--version"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "snapverify", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # the reader went away
        err = process.stderr.read()
        code = process.wait(timeout=60)
        process.stderr.close()
        assert (code, err) == (141, b""), err.decode()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_report_to_a_full_device_is_exit_5_one_line(tmp_path: Path) -> None:
    """``snapverify check ... > /dev/full``: the report cannot be written; exit 5 and one
    line, never a traceback (``--help`` was exit 1 with one) nor an exit saying a verdict."""
    import subprocess
    import sys

    from test_output import _archived_snapshot

    local = _archived_snapshot(tmp_path)
    for args in (["check", str(local), *OFFLINE, "--no-history"], ["--help"], ["--version"]):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-m", "snapverify", *args],
                stdout=full,
                stderr=subprocess.PIPE,
                cwd=tmp_path,
                timeout=60,
                check=False,
            )
        line = _one_line(done.stderr.decode())
        assert done.returncode == 5, line
        assert line.startswith("snapverify: error: no space left on device")


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--timeout", "nan"],
        ["check", "--deadline", "nan"],
        ["check", "--link-cache-ttl", "nan"],
        ["check", "--check-deadline", "nan"],
        ["evidence", "--timeout", "nan"],
    ],
)
def test_nan_seconds_are_bad_usage(tmp_path: Path, args: list[str]) -> None:
    """``--timeout nan`` passed click's range check and ended a check with exit 70 (a NaN
    deadline); ``--deadline nan`` reported every source unreachable (exit 4)."""
    code, _out, err = run_cli(*args, str(tmp_path))
    assert code == 2
    assert f"Invalid value for '{args[1]}': 'nan' is not a number of seconds." in err
    assert list(tmp_path.iterdir()) == []
