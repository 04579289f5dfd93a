"""store/history.py on a real SQLite file: changes across checks, acks, migrations, writers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from snapverify.errors import IntegrityError, UsageError
from snapverify.models import (
    Change,
    CheckResult,
    Finding,
    FindingKind,
    Outcome,
    SnapshotInfo,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.report.history import SnapshotHistory, render_history
from snapverify.store._schema import migrate
from snapverify.store.history import (
    HISTORY_FILE,
    SCHEMA_VERSION,
    CheckRecord,
    History,
    snapshot_key,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LIVE = "live"
OLD = "wb:20120527183000"


def _edit(words: str, sources: tuple[str, ...] = (LIVE,)) -> Finding:
    return Finding(
        kind=FindingKind.EDITED,
        substantive=True,
        detail=f"edited: {words}",
        local_block=1,
        local_text="Fifteen people were killed.",
        remote_text=f"{words} people were killed.",
        sources=sources,
    )


MINOR = Finding(
    kind=FindingKind.MOVED, substantive=False, detail="moved", local_text="a b", sources=(LIVE,)
)


def _source(id_: str, outcome: Outcome = Outcome.OK) -> Source:
    kind = SourceKind.LIVE if id_ == LIVE else SourceKind.ARCHIVE
    return Source(id=id_, kind=kind, url=f"http://127.0.0.1/{id_}", outcome=outcome)


def _result(
    store: Path,
    findings: tuple[Finding, ...],
    *,
    hour: int,
    sources: tuple[Source, ...] = (),
    error: str | None = None,
    name: str = "a",
) -> CheckResult:
    local = store.parent / name / "copy.md"
    substantive = any(f.substantive for f in findings)
    verdict = Verdict.CHANGED if substantive else Verdict.UNCHANGED
    return CheckResult(
        snapshot=SnapshotInfo(str(local), "https://example.org/a", "A", f"sha-{hour}"),
        verdict=Verdict.UNVERIFIABLE if error else verdict,
        exit_code=2 if error else int(substantive),
        sources=sources or (_source(LIVE), _source(OLD)),
        findings=findings,
        provenance=None,
        error=error,
        checked_at=T0 + timedelta(hours=hour),
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    (tmp_path / "snapshots" / "a").mkdir(parents=True)
    folder = tmp_path / "snapshots" / ".snapverify"
    folder.mkdir()
    return folder


def _changes(result: CheckResult) -> dict[str, str | None]:
    return {f.detail: None if f.change is None else str(f.change) for f in result.findings}


def test_new_ongoing_and_resolved_across_three_checks(store: Path) -> None:
    sixteen = _edit("Sixteen")
    with History.open(store) as history:
        first = history.record_check(_result(store, (sixteen, MINOR), hour=0))
        second = history.record_check(_result(store, (sixteen, MINOR), hour=1))
        third = history.record_check(_result(store, (), hour=2))

    assert _changes(first) == {"edited: Sixteen": "new", "moved": "new"}
    assert first.exit_code == 1 and first.resolved == ()
    assert _changes(second) == {"edited: Sixteen": "ongoing", "moved": "ongoing"}
    assert second.findings[0].fingerprint == first.findings[0].fingerprint
    assert third.findings == () and third.exit_code == 0 and third.verdict is Verdict.UNCHANGED
    assert {f.detail: f.change for f in third.resolved} == {
        "edited: Sixteen": Change.RESOLVED,
        "moved": Change.RESOLVED,
    }
    # The JSON report says so too.
    assert [f["change"] for f in third.as_dict()["resolved"]] == ["resolved", "resolved"]


def test_an_unreachable_source_resolves_nothing(store: Path) -> None:
    sixteen = _edit("Sixteen")
    unreachable = (_source(LIVE, Outcome.UNREACHABLE), _source(OLD))
    with History.open(store) as history:
        history.record_check(_result(store, (sixteen,), hour=0))
        carried = history.record_check(_result(store, (), hour=1, sources=unreachable))
        (span,) = history.findings("a/copy.md")
        back = history.record_check(_result(store, (sixteen,), hour=2))
        gone = history.record_check(_result(store, (), hour=3))
        counts = [(c.new, c.ongoing, c.resolved) for c in history.checks()]

    # A check that only carried it does not count as having seen it.
    assert (span.first_seen, span.last_seen, span.checks, span.open) == (T0, T0, 1, True)
    assert counts == [(1, 0, 0), (0, 1, 0), (0, 1, 0), (0, 0, 1)]

    # Carried into the report as ongoing, and it still counts.
    assert _changes(carried) == {"edited: Sixteen": "ongoing"}
    assert carried.resolved == () and carried.exit_code == 1
    assert carried.verdict is Verdict.CHANGED
    assert any("carried" in note for note in carried.notes)
    assert _changes(back) == {"edited: Sixteen": "ongoing"}
    assert [f.detail for f in gone.resolved] == ["edited: Sixteen"]


def test_a_source_not_asked_keeps_the_finding_open_outside_the_report(store: Path) -> None:
    live_only = _edit("Sixteen", sources=(LIVE,))
    with History.open(store) as history:
        history.record_check(_result(store, (live_only,), hour=0))
        # --no-live: only the capture was asked; it does not show the live edit.
        archive_only = history.record_check(_result(store, (), hour=1, sources=(_source(OLD),)))
        live_again = history.record_check(_result(store, (live_only,), hour=2))

    assert archive_only.findings == () and archive_only.resolved == ()
    assert archive_only.exit_code == 0
    assert _changes(live_again) == {"edited: Sixteen": "ongoing"}


def test_a_check_that_failed_to_run_resolves_nothing(store: Path) -> None:
    sixteen = _edit("Sixteen")
    with History.open(store) as history:
        history.record_check(_result(store, (sixteen,), hour=0))
        failed = history.record_check(_result(store, (), hour=1, error="copy.md: not UTF-8"))
        after = history.record_check(_result(store, (sixteen,), hour=2))
        checks = history.checks()

    assert failed.exit_code == 2 and failed.findings == () and failed.resolved == ()
    assert _changes(after) == {"edited: Sixteen": "ongoing"}
    assert [c.error for c in checks] == [None, "copy.md: not UTF-8", None]
    assert [(c.new, c.resolved) for c in checks] == [(1, 0), (0, 0), (0, 0)]


def test_an_acknowledged_finding_is_marked_and_no_longer_counts(store: Path) -> None:
    sixteen, seventeen = _edit("Sixteen"), _edit("Seventeen")
    with History.open(store) as history:
        first = history.record_check(_result(store, (sixteen,), hour=0))
        key = first.findings[0].fingerprint
        assert key is not None
        assert history.acknowledge(key[:8], "the editor's correction") == 1
        second = history.record_check(_result(store, (sixteen,), hour=1))
        third = history.record_check(_result(store, (sixteen, seventeen), hour=2))
        acked_then = [c.acknowledged for c in history.checks()]

    (acked,) = second.findings
    assert acked.acknowledged and acked.ack_note == "the editor's correction"
    assert second.exit_code == 0 and second.verdict is Verdict.CHANGED
    assert acked.as_dict()["acknowledged"] is True
    assert third.exit_code == 1  # the new edit is not acknowledged
    assert acked_then == [0, 1, 1]  # as it was at each check


def test_acknowledging_an_unknown_or_ambiguous_fingerprint_is_a_usage_error(store: Path) -> None:
    with History.open(store) as history:
        history.record_check(_result(store, (_edit("Sixteen"), MINOR), hour=0))
        with pytest.raises(UsageError) as unknown:
            history.acknowledge("0123456789abcdef", None)
        with pytest.raises(UsageError):
            history.acknowledge("abc", None)  # too short to be a fingerprint
    assert unknown.value.exit_code == 2 and "0123456789abcdef" in str(unknown.value)


def test_first_sha256_last_report_and_keys(store: Path) -> None:
    with History.open(store) as history:
        assert history.first_sha256("a/copy.md") is None
        assert history.last_report("a/copy.md") is None
        history.record_check(_result(store, (), hour=0))
        last = history.record_check(_result(store, (_edit("Sixteen"),), hour=1))
        assert history.key(store.parent / "a" / "copy.md") == "a/copy.md"
        assert history.first_sha256("a/copy.md") == "sha-0"
        report = history.last_report("a/copy.md")
    assert report == json.loads(json.dumps(last.as_dict()))
    assert report is not None and report["findings"][0]["change"] == "new"
    assert snapshot_key(store.parent / "a" / "copy.md") == "a/copy.md"
    outside = store.parent.parent / "elsewhere.md"
    assert snapshot_key(outside, store) == outside.resolve().as_posix()


def test_archives_are_recorded(store: Path) -> None:
    created = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    files = [("a/archive/x.warc.gz", "ab" * 32), ("a/archive/x.md", "cd" * 32)]
    with History.open(store) as history:
        history.record_archive("a/copy.md", files, "a/archive/manifest-1.sha256", created)
        (record,) = history.archives("a/copy.md")
        assert history.archives("b/other.md") == []
    assert record.files == tuple(files) and record.created == created
    assert record.manifest == "a/archive/manifest-1.sha256"


def test_the_history_command_data(store: Path) -> None:
    sixteen = _edit("Sixteen")
    with History.open(store) as history:
        history.record_check(_result(store, (sixteen,), hour=0))
        history.record_check(_result(store, (sixteen, MINOR), hour=1))
        history.record_check(_result(store, (MINOR,), hour=2))
        spans = {span.detail: span for span in history.findings("a/copy.md")}
        checks = history.checks("a/copy.md")
    assert [(c.new, c.ongoing, c.resolved) for c in checks] == [(1, 0, 0), (1, 1, 0), (0, 1, 1)]
    assert spans["edited: Sixteen"].first_seen == T0
    assert spans["edited: Sixteen"].last_seen == T0 + timedelta(hours=1)
    assert spans["edited: Sixteen"].checks == 2 and not spans["edited: Sixteen"].open
    assert spans["moved"].open and spans["moved"].first_seen == T0 + timedelta(hours=1)


def test_the_history_report_says_times_in_utc() -> None:
    paris = datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    check = CheckRecord(1, "a/copy.md", paris, "changed", 1, None, 1, 0, 0, 0, 2, 2)
    entry = SnapshotHistory("a/copy.md", (check,), ())
    markdown = render_history([entry], "markdown")
    assert "| Checked (UTC) |" in markdown
    assert "| 2026-01-01 08:30:00 | changed | 1 | 1 new, 0 ongoing, 0 resolved;" in markdown
    terminal = render_history([entry], "terminal")
    assert "  2026-01-01 08:30:00  changed      exit 1   1 new" in terminal


# -- the database --------------------------------------------------------------


def test_a_new_database_is_wal_at_the_current_version(store: Path) -> None:
    with History.open(store) as history:
        assert history.version == SCHEMA_VERSION
        history.integrity_check()
    db = sqlite3.connect(store / HISTORY_FILE)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [row[0] for row in db.execute("SELECT version FROM migrations ORDER BY 1")]
    finally:
        db.close()
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_an_old_database_is_upgraded_and_keeps_its_checks(store: Path) -> None:
    # A version-1 database (before acknowledgements and archives), with a check in it.
    path = store / HISTORY_FILE
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, path, upto=1)
    report = _result(store, (_edit("Sixteen"),), hour=0)
    with History(db, path, store) as old:
        assert old.version == 1
        with pytest.raises(IntegrityError, match="no such table: acks"):
            old.record_check(report)  # version 1 had no acks table
        db.execute(
            "INSERT INTO checks (snapshot, checked_at, verdict, exit_code, sources, report)"
            " VALUES ('a/copy.md', ?, 'changed', 1, '[]', ?)",
            (T0.isoformat(), zlib.compress(b"{}")),
        )
        db.execute(
            "INSERT INTO findings VALUES (1, 'f00dfeedf00dfeed', 'edited', 1, 'new', 1, 1, 0, ?)",
            (zlib.compress(json.dumps(_edit("Sixteen").as_dict()).encode()),),
        )

    with History.open(store) as history:
        assert history.version == SCHEMA_VERSION
        assert [c.snapshot for c in history.checks()] == ["a/copy.md"]
        assert history.acknowledge("f00dfeedf00dfeed", "kept") == 1
        assert history.last_report("a/copy.md") == {}
        # The old check's open finding is carried on by the next check.
        again = history.record_check(report)
        assert {f.fingerprint for f in again.resolved} == {"f00dfeedf00dfeed"}
        history.integrity_check()


def test_a_database_from_a_newer_snapverify_is_refused(store: Path) -> None:
    with History.open(store):
        pass
    db = sqlite3.connect(store / HISTORY_FILE)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(UsageError, match="newer"):
        History.open(store)


def test_a_file_that_is_not_a_database_is_an_integrity_error(store: Path) -> None:
    (store / HISTORY_FILE).write_bytes(b"this is not SQLite\n" * 100)
    with pytest.raises(IntegrityError) as caught:
        History.open(store)
    assert caught.value.exit_code == 5 and str(store / HISTORY_FILE) in str(caught.value)


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    from snapverify.models import (
        CheckResult, Finding, FindingKind, SnapshotInfo, Source, SourceKind, Verdict,
    )
    from snapverify.store.history import History

    store, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    edit = Finding(FindingKind.EDITED, True, "edit", local_text="a", remote_text="b",
                   sources=("live",))
    live = Source("live", SourceKind.LIVE, "http://127.0.0.1/")
    for i in range(count):
        result = CheckResult(
            snapshot=SnapshotInfo(str(store.parent / name / "copy.md"), "u", None, "s"),
            verdict=Verdict.CHANGED, exit_code=1, sources=(live,),
            findings=(edit,) if i % 2 == 0 else (), provenance=None,
            checked_at=datetime.now(UTC),
        )
        with History.open(store) as history:
            history.record_check(result)
    """
)


def test_two_processes_writing_at_once_do_not_corrupt_it(store: Path) -> None:
    count = 100
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(store), name, str(count)])
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    with History.open(store) as history:
        history.integrity_check()
        for key in ("a/copy.md", "b/copy.md"):
            checks = history.checks(key)
            assert len(checks) == count
            # Each snapshot's chain is intact: the edit alternates new / resolved.
            assert [(c.new, c.resolved) for c in checks] == [(1, 0), (0, 1)] * (count // 2)
