"""`check --offline`, WARCs as sources and local copies, and `check --snapshot-changes`.

The online check runs against a loopback origin and a real pywb (the ``mt_site``
fixture); after ``archive --captures`` both servers are stopped and sockets disabled,
and the offline check must find the same changes from the stored WARC alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_socket

from snapverify.fetch import http
from snapverify.store.history import History
from support import FIXTURES, disk_full_under, run_cli


def _check(*args: str) -> tuple[int, dict[str, Any]]:
    # Online, no outbound link checks: the captures' links point at the real web.
    links = [] if "--offline" in args else ["--no-links"]
    code, out, err = run_cli("check", *args, *links, "--format", "json")
    assert out.strip(), err
    report: dict[str, Any] = json.loads(out)
    return code, report


_SAME = ("kind", "local_block", "insert_after", "field", "local_text", "remote_text", "diff")


def _findings(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(json.dumps(f[k]) for k in _SAME), f["substantive"]) for f in report["findings"]
    )


def test_offline_finds_what_the_online_check_found_with_the_servers_stopped(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, online = _check(str(mt_site.local), *mt_site.args)
    kinds = sorted(f["kind"] for f in online["findings"])
    assert code == 1 and kinds.count("lost_link_target") == 2 and len(kinds) == 7
    assert run_cli("archive", str(mt_site.local), *mt_site.args, "--captures")[0] == 0

    mt_site.origin.stop()
    mt_site.pywb.stop()

    def no_client(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an HTTP client was made in offline mode")

    monkeypatch.setattr(http.HttpClient, "__init__", no_client)
    # Any network socket fails the test (restored at teardown); asyncio's own
    # self-pipe is a Unix socket pair.
    pytest_socket.disable_socket(allow_unix_socket=True)
    code, offline = _check(str(mt_site.local), "--offline")

    assert code == 1 and offline["verdict"] == "changed"
    assert _findings(offline) == _findings(online)
    # The link table too: lost targets recovered from the stored captures, nothing asked.
    assert [(r["text"], r["url"]) for r in offline["links"]] == [
        (r["text"], r["url"]) for r in online["links"]
    ]
    assert {r["outcome"] for r in offline["links"]} == {"skipped"}
    assert {s["kind"] for s in offline["sources"]} == {"warc"}
    assert len(offline["sources"]) == len(online["sources"])
    ids = [s["id"] for s in offline["sources"]]
    assert all(i.startswith("warc:archive/") and i.rsplit(":", 1)[1].isdigit() for i in ids)
    by_similarity = sorted(s["similarity"] or 0 for s in online["sources"])
    assert sorted(s["similarity"] or 0 for s in offline["sources"]) == by_similarity
    assert offline["provenance"]["similarity"] == pytest.approx(1.0)


def test_offline_without_anything_stored_is_unverifiable(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    local = folder / "copy.md"
    local.write_text("# Title\n\nSome text of the article.\n\nOriginal url: <https://e.org/a>\n")
    code, out, err = run_cli("check", str(local), "--offline", "--format", "json")
    assert code == 4
    assert "nothing stored to check offline" in json.loads(out)["error"]
    assert "run 'snapverify archive' first" in err


def test_a_stored_warc_is_a_local_copy_checked_against_pywb(mt_site: Any, tmp_path: Path) -> None:
    _code, out, _err = run_cli("archive", str(mt_site.local), *mt_site.args, "--format", "json")
    result = json.loads(out)
    folder = tmp_path / "warc-snapshot"
    folder.mkdir()
    local = Path(shutil.copy(mt_site.local.parent / result["warc"], folder / "copy.warc.gz"))
    code, report = _check(str(local), *mt_site.args, "--no-live", "--store", str(tmp_path / "s"))
    assert report["snapshot"]["url"] == mt_site.url
    assert report["snapshot"]["title"] == "Kazakh Massacre Cover-Up"
    original = next(s for s in report["sources"] if s["id"] == "mt:20120528010203")
    assert original["similarity"] == pytest.approx(1.0)
    assert code == 1  # the later captures' edits, against the WARC's text


def test_snapshot_changes_archives_a_changed_live_page_once(mt_site: Any) -> None:
    edited = (FIXTURES / "capture-edited.html").read_bytes()
    mt_site.origin.page(urlsplit(mt_site.url).path, edited)  # the site edits the article
    args = [str(mt_site.local), *mt_site.args, "--snapshot-changes"]
    code, report = _check(*args)
    archive = mt_site.local.parent / "archive"
    warcs = sorted(archive.glob("*.warc.gz"))
    assert len(warcs) == 1
    assert any("snapshot-changes" in n and warcs[0].name in n for n in report["notes"])
    # Unchanged since the newest stored snapshot (the export just written): nothing new.
    code, report = _check(*args)
    assert sorted(archive.glob("*.warc.gz")) == warcs
    assert not any("snapshot-changes" in n for n in report["notes"])
    assert run_cli("verify", str(mt_site.local.parent))[0] == 0


def test_snapshot_changes_leaves_an_unchanged_page_alone(mt_site: Any) -> None:
    code, report = _check(str(mt_site.local), *mt_site.args, "--snapshot-changes", "--no-live")
    code, report = _check(str(mt_site.local), *mt_site.args, "--snapshot-changes")
    assert not (mt_site.local.parent / "archive").exists()
    assert not any("snapshot-changes" in n for n in report.get("notes", []))


def test_snapshot_changes_on_a_full_disk_reports_then_exits_5(
    mt_site: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changed live page cannot be archived (the disk is full): the check's report
    still comes out and is recorded, then exit 5 naming the file; no run's file, no
    temporary file. It was a note, with the check's own exit code."""
    edited = (FIXTURES / "capture-edited.html").read_bytes()
    mt_site.origin.page(urlsplit(mt_site.url).path, edited)
    archive = mt_site.local.parent / "archive"
    disk_full_under(monkeypatch, archive)
    args = ("check", str(mt_site.local), *mt_site.args, "--snapshot-changes", "--no-links")
    args += ("-f", "json")
    code, out, err = run_cli(*args)
    monkeypatch.undo()
    assert code == 5, err
    report = json.loads(out)
    assert report["exit_code"] == 1  # the check's own verdict, in its report
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"snapverify: error: no space left on device: {archive}/")
    assert list(archive.iterdir()) == []  # no file of the run, no temporary file
    with History.open(mt_site.local.parent.parent / ".snapverify") as history:
        assert len(history.checks()) == 1  # the check itself was recorded
