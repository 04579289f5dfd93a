"""History end to end: real checks (a loopback origin as the live page, a real pywb).

The live article is served by the origin; between checks the test changes what it
serves (the original page, the page with two edits, a page that never finishes).
pywb has no capture of the origin's URL, so the live page is the one source compared.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from captures import MT_EDITS, mt_page, replace_once
from servers import OriginServer, PywbServer, WebhookServer
from snapverify.store.history import HISTORY_FILE, History
from support import SEED, LockHolder
from support import run_cli as _run

PATH = "/2012/05/27/kazakh-massacre-cover-up-a15040"
THIRD_EDIT = (b"not one policeman was seriously wounded", b"not one policeman was wounded")


class Site:
    """The snapshot, its store, and the live page the origin serves for it."""

    def __init__(self, tmp_path: Path, origin: OriginServer, pywb: PywbServer) -> None:
        folder = tmp_path / "snapshots" / "mt"
        folder.mkdir(parents=True)
        self.store = tmp_path / "snapshots" / ".snapverify"
        self.store.mkdir()
        self.local = Path(shutil.copy(SEED, folder / SEED.name))
        self.origin = origin
        self.url = origin.page(PATH, mt_page("original"))
        self.archive = pywb.base

    def serve(self, *edits: tuple[bytes, bytes]) -> None:
        page = mt_page("original")
        for old, new in edits:
            page = replace_once(page, old, new)
        self.origin.page(PATH, page)

    def check(self, *extra: str) -> tuple[int, dict[str, Any], str]:
        code, out, err = _run(
            "check",
            str(self.local),
            "--url",
            self.url,
            "--archive",
            self.archive,
            "--allow-private-addresses",
            "--no-links",  # the captures' links point at the real web
            "--format",
            "json",
            *extra,
        )
        assert out.strip(), f"no report (exit {code}): {err}"
        return code, json.loads(out), err

    def history(self, *extra: str) -> tuple[int, str, str]:
        return _run("history", str(self.local), *extra)


@pytest.fixture
def site(tmp_path: Path, origin: OriginServer, pywb_mt: PywbServer) -> Site:
    return Site(tmp_path, origin, pywb_mt)


def _substantive(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["substantive"]]


def test_new_ongoing_resolved_new_only_and_ack(site: Site) -> None:
    code, first, _ = site.check("--new-only")
    assert code == 0 and first["exit_code"] == 0 and _substantive(first) == []
    code, _, _ = site.check("--new-only")
    assert code == 0  # unchanged second run

    site.serve(*MT_EDITS)
    code, appeared, _ = site.check("--new-only")
    edits = _substantive(appeared)
    assert code == 1 and len(edits) == 2
    assert {f["kind"] for f in edits} == {"edited"}
    assert {f["change"] for f in edits} == {"new"}
    fingerprints = {f["fingerprint"] for f in edits}
    assert len(fingerprints) == 2

    code, ongoing, _ = site.check("--new-only")
    assert code == 0  # nothing new since the last check...
    assert {f["change"] for f in _substantive(ongoing)} == {"ongoing"}
    assert {f["fingerprint"] for f in _substantive(ongoing)} == fingerprints
    code, _, _ = site.check()
    assert code == 1  # ...but still changed

    # Acknowledged, both edits stay in the report, marked, and no longer count.
    for key in sorted(fingerprints):
        code, out, err = _run("ack", key, "--note", "known correction", "--store", str(site.store))
        assert code == 0, err
        assert key in out
    code, acked, _ = site.check()
    assert code == 0 and acked["exit_code"] == 0 and acked["verdict"] == "changed"
    assert {(f["acknowledged"], f["ack_note"]) for f in _substantive(acked)} == {
        (True, "known correction")
    }

    # A third edit is new, and unacknowledged.
    site.serve(*MT_EDITS, THIRD_EDIT)
    code, third, _ = site.check("--new-only")
    assert code == 1
    new = [f for f in _substantive(third) if f["change"] == "new"]
    assert len(new) == 1 and not new[0]["acknowledged"]
    assert "policeman was wounded" in new[0]["remote_text"]

    # The page reverts: every edit is resolved.
    site.serve()
    code, reverted, _ = site.check("--new-only")
    assert code == 0 and _substantive(reverted) == []
    resolved = {f["fingerprint"] for f in reverted["resolved"]}
    assert resolved == fingerprints | {new[0]["fingerprint"]}
    assert {f["change"] for f in reverted["resolved"]} == {"resolved"}

    # `history`: one line per check, and each finding's first and last check.
    code, out, _ = site.history("--format", "json")
    assert code == 0
    (entry,) = json.loads(out)["snapshots"]
    assert entry["snapshot"] == "mt/" + SEED.name
    checks = entry["checks"]
    assert len(checks) == 8
    # The first check finds the seed's two lost link targets (never substantive).
    assert [c["new"] for c in checks] == [2, 0, 2, 0, 0, 0, 1, 0]
    assert checks[-1]["resolved"] == 3
    spans = {f["fingerprint"]: f for f in entry["findings"]}
    for key in fingerprints:
        assert spans[key]["first_seen"] == checks[2]["checked_at"]
        assert spans[key]["last_seen"] == checks[6]["checked_at"]
        assert spans[key]["checks"] == 5 and spans[key]["acknowledged"]
        assert not spans[key]["open"]
    code, text, _ = site.history()
    assert code == 0
    lines = text.splitlines()
    store = site.local.parent.parent / ".snapverify"
    assert lines[:3] == [f"store: {store}", "", "mt/" + SEED.name]
    assert sum(1 for line in lines if " exit " in line) == 8
    assert all(any(key in line for line in lines) for key in fingerprints)
    code, by_folder, _ = _run("history", str(site.local.parent), "--format", "json")
    assert code == 0 and json.loads(by_folder) == json.loads(out)
    (site.local.parent.parent / "other").mkdir()  # there, but never checked
    code, _, err = _run("history", str(site.local.parent.parent / "other"))
    assert code == 2 and "no recorded check" in err
    code, markdown, _ = site.history("--format", "markdown")
    assert code == 0 and markdown.count("| changed |") == 5


def test_an_unreachable_live_page_resolves_nothing(site: Site) -> None:
    site.serve(*MT_EDITS)
    code, appeared, _ = site.check()
    assert code == 1
    fingerprints = {f["fingerprint"] for f in _substantive(appeared)}

    # The live page never finishes: nothing could be compared.
    site.origin.drip(PATH, mt_page("original"))
    code, carried, _ = site.check("--deadline", "1.5")
    live = next(s for s in carried["sources"] if s["id"] == "live")
    assert live["outcome"] == "unreachable"
    assert carried["resolved"] == []
    assert {f["fingerprint"]: f["change"] for f in _substantive(carried)} == dict.fromkeys(
        fingerprints, "ongoing"
    )
    assert code == 4  # unverifiable, as without history

    site.serve()
    code, reverted, _ = site.check()
    assert code == 0
    # The edits are gone, and so is the transient link rot of the unreachable check.
    resolved = {f["fingerprint"]: f["kind"] for f in reverted["resolved"]}
    assert sorted(resolved.values()) == ["edited", "edited", "link_rot"]
    assert fingerprints <= set(resolved)


def test_no_history_records_nothing_and_new_only_needs_it(site: Site) -> None:
    code, report, _ = site.check("--no-history")
    assert code == 0 and all(f["change"] is None for f in report["findings"])
    assert not (site.store / HISTORY_FILE).exists()
    code, out, err = _run("check", str(site.local), "--no-history", "--new-only")
    assert code == 2 and "--new-only" in err and out == ""
    code, out, err = _run("check", str(site.local), "--no-history", "--notify", "http://x/")
    assert code == 2 and "--notify" in err and out == ""


def _store_files(store: Path) -> dict[str, bytes]:
    return {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*") if p.is_file()}


def test_an_overlapping_run_exits_75_at_once_and_changes_nothing(
    site: Site, pywb_mt: PywbServer
) -> None:
    site.serve(*MT_EDITS)
    assert site.check()[0] == 1
    holder = LockHolder(site.store)
    try:
        before = _store_files(site.store)
        asked = len(site.origin.requests())
        mark = pywb_mt.mark()
        code, out, err = _run(
            "check", str(site.local), "--url", site.url, "--archive", site.archive,
            "--allow-private-addresses", "--format", "json",
        )  # fmt: skip
        assert code == 75 and out == ""
        line = err.strip()
        assert "\n" not in line and str(site.store / "lock") in line
        assert f"pid {holder.pid}" in line
        assert _store_files(site.store) == before
        assert len(site.origin.requests()) == asked
        assert pywb_mt.requests(since=mark) == []
    finally:
        holder.close()
    with History.open(site.store) as history:
        assert len(history.checks()) == 1


def test_a_webhook_gets_the_report_of_new_findings_only(site: Site) -> None:
    with WebhookServer() as hook:
        code, _, err = site.check("--notify", hook.url)
        assert code == 0 and hook.received() == []  # nothing to tell
        site.serve(*MT_EDITS)
        code, report, err = site.check("--notify", hook.url)
        assert code == 1, err
        (call,) = hook.received()
        assert call.path == "/hook"
        assert call.header("Content-Type") == "application/json"
        assert call.header("X-Snapverify-Event") == "new-findings"
        sent = json.loads(call.body)
        assert sent["schema"] == "snapverify/check-v1"
        assert sent["findings"] == report["findings"]
        code, _, _ = site.check("--notify", hook.url)
        assert code == 1 and len(hook.received()) == 1  # ongoing: no second alert


def test_a_webhook_url_that_is_not_http_fails_before_the_check(site: Site) -> None:
    code, out, err = _run("check", str(site.local), "--notify", "file:///etc/passwd")
    assert code == 3 and out == "" and "file:///etc/passwd" in err
    assert site.origin.requests() == [] and not (site.store / HISTORY_FILE).exists()


def test_a_failed_notification_is_a_warning_not_an_exit_code(site: Site) -> None:
    site.serve(*MT_EDITS)
    with WebhookServer(status=500) as hook:
        code, _report, err = site.check("--notify", hook.url)
    assert code == 1
    assert f"snapverify: warning: notification to {hook.url}" in err and "500" in err


def test_ack_and_history_without_a_history(tmp_path: Path) -> None:
    store = tmp_path / ".snapverify"
    code, _, err = _run("ack", "0123456789abcdef", "--store", str(store))
    assert code == 2 and "no history yet" in err
    code, _, err = _run("history", "--store", str(store))
    assert code == 2 and "no history yet" in err
    assert not (store / HISTORY_FILE).exists()


def test_terminal_and_markdown_reports_show_what_the_history_says(site: Site) -> None:
    site.serve(*MT_EDITS)
    args = ["check", str(site.local), "--url", site.url, "--archive", site.archive]
    args += ["--allow-private-addresses", "--no-links"]
    code, text, _ = _run(*args)
    assert code == 1
    fingerprints = re.findall(r"fingerprint: ([0-9a-f]{16})", text)
    assert len(fingerprints) == 2
    assert text.count("· substantive · new") == 2
    _run("ack", fingerprints[0], "--note", "seen by the desk", "--store", str(site.store))
    code, text, _ = _run(*args)
    assert code == 1  # the other edit still counts
    assert text.count("· substantive · ongoing · acknowledged") == 1
    assert "acknowledged: seen by the desk" in text
    site.serve()
    code, text, _ = _run(*args)
    assert code == 0 and "Resolved since the last check (2)" in text
    assert all(key in text for key in fingerprints)
    site.serve(*MT_EDITS)
    code, markdown, _ = _run(*args, "--format", "markdown")
    assert code == 1
    assert "(substantive, new)" in markdown and "(substantive, new, acknowledged)" in markdown
    assert f"fingerprint: `{fingerprints[0]}`" in markdown
