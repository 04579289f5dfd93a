"""Cross-archive corroboration: two archives' captures, close in time, that disagree.

End to end: one real pywb on 127.0.0.1 with four collections of the Moscow Times
article: ``ia`` holds the original (the local copy's text); ``same`` the same text
two hours later; ``altered`` an altered copy two hours later (a number changed); ``far``
that altered copy 30 hours later. The check reports ``archive_disagreement`` for
``ia`` + ``altered`` only, in every report format, with a history fingerprint, and the
verdict is the one the sources give without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from captures import MT_EDITS, MT_URL, Capture, mt_page, replace_once
from servers import PywbServer
from snapverify.compare.corroborate import corroborate
from snapverify.compare.fingerprint import fingerprint
from snapverify.models import (
    Block,
    Document,
    FindingKind,
    Outcome,
    Source,
    SourceKind,
)
from snapverify.report.html import render_html
from snapverify.report.load import load_reports, result_from_dict
from support import run_cli, seed_snapshot

T0 = "20120528010203"
T_NEAR = "20120528030203"  # 2 h later
T_FAR = "20120529070203"  # 30 h later
OLD, NEW = MT_EDITS[0]  # "15 people were killed" -> "16 people were killed"
KIND = "archive_disagreement"


@pytest.fixture(scope="module")
def pywb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbServer]:
    original = mt_page("original")
    altered = replace_once(original, OLD, NEW)
    server = PywbServer(
        {
            "ia": [Capture(MT_URL, T0, original)],
            "same": [Capture(MT_URL, T_NEAR, original)],
            "altered": [Capture(MT_URL, T_NEAR, altered)],
            "far": [Capture(MT_URL, T_FAR, altered)],
        },
        root=tmp_path_factory.mktemp("pywb-corroborate"),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _check(local: Path, pywb: PywbServer, *names: str, fmt: str = "json") -> tuple[int, str]:
    archives = [arg for name in names for arg in ("--archive", pywb.base_of(name))]
    code, out, err = run_cli(
        "check", str(local), *archives, "--allow-private-addresses", "--no-live", "--format", fmt
    )
    assert out.strip(), f"no report (exit {code}): {err}"
    return code, out


def _disagree_then_archive(tmp_path: Path, pywb: PywbServer) -> tuple[Path, dict[str, Any]]:
    """A snapshot checked online against ``ia`` and ``altered`` (one disagreement, returned),
    then the captures of both archived into it."""
    local = seed_snapshot(tmp_path)
    _code, out = _check(local, pywb, "ia", "altered")
    (online,) = _disagreements(json.loads(out))
    archives = [arg for name in ("ia", "altered") for arg in ("--archive", pywb.base_of(name))]
    code, _out, err = run_cli(
        "archive", str(local), *archives, "--allow-private-addresses", "--no-live", "--captures"
    )
    assert code == 0, err
    return local, online


def _disagreements(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == KIND]


def _substantive(report: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return sorted(
        (f["kind"], f["local_block"], f["remote_text"])
        for f in report["findings"]
        if f["substantive"]
    )


def test_an_altered_copy_in_one_archive_is_reported_naming_both_captures(
    tmp_path: Path, pywb: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    code, out = _check(local, pywb, "ia", "altered")
    report = json.loads(out)
    (finding,) = _disagreements(report)
    assert finding["sources"] == [f"ia:{T0}", f"altered:{T_NEAR}"]
    assert finding["field"] == "ia / altered"
    assert finding["substantive"] is False
    assert finding["first_seen"] == T0 and finding["last_seen"] == T_NEAR
    assert f"ia:{T0}" in finding["detail"] and f"altered:{T_NEAR}" in finding["detail"]
    assert "2 hours apart" in finding["detail"]
    # The passage each archive holds, and the word diff between them.
    assert "15 people" in finding["local_text"] and "16 people" in finding["remote_text"]
    ops = {(op, text.strip()) for op, text in finding["diff"]}
    assert ("delete", "15") in ops and ("insert", "16") in ops

    # The verdict and exit code are the sources' own: the altered copy's edit against the
    # local copy, exactly as when that archive is asked alone, and nothing more.
    code_alone, out_alone = _check(local, pywb, "altered")
    alone = json.loads(out_alone)
    assert (code, report["verdict"]) == (code_alone, alone["verdict"]) == (1, "changed")
    assert _substantive(report) == _substantive(alone)
    assert _disagreements(alone) == []


def test_archives_that_agree_or_are_a_day_apart_raise_nothing(
    tmp_path: Path, pywb: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    code, out = _check(local, pywb, "ia", "same")
    report = json.loads(out)
    assert (code, report["verdict"]) == (0, "unchanged")
    assert _disagreements(report) == []
    assert {s["id"] for s in report["sources"]} == {f"ia:{T0}", f"same:{T_NEAR}"}

    code, out = _check(local, pywb, "ia", "far")
    report = json.loads(out)
    assert _disagreements(report) == []
    assert code == 1  # far's copy differs from the local copy: an edit, not a disagreement
    assert [f["kind"] for f in report["findings"] if f["substantive"]] == ["edited"]


def test_every_report_format_shows_it_and_the_history_follows_it(
    tmp_path: Path, pywb: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    _code, first = _check(local, pywb, "ia", "altered")
    (before,) = _disagreements(json.loads(first))
    assert before["fingerprint"] and before["change"] == "new"
    _code, second = _check(local, pywb, "ia", "altered")
    (after,) = _disagreements(json.loads(second))
    assert after["fingerprint"] == before["fingerprint"] and after["change"] == "ongoing"

    saved = tmp_path / "check.json"
    saved.write_text(second, "utf-8")
    (loaded,) = load_reports(saved)
    assert [f.kind for f in loaded.findings].count(FindingKind.ARCHIVE_DISAGREEMENT) == 1
    assert loaded.as_dict()["findings"] == json.loads(second)["findings"]

    for fmt in ("terminal", "markdown", "html"):
        code, out, err = run_cli("report", str(saved), "--format", fmt)
        assert code == 0, err
        assert f"ia:{T0}" in out and f"altered:{T_NEAR}" in out, fmt
        shown = "archive disagreement" if fmt == "html" else KIND
        assert shown in out, fmt
        assert "1 archive disagreement" in out, fmt  # the summary names it, not as cosmetic
        assert "ia / altered" in out, fmt
    # The passages themselves, not only that there is a disagreement: the word diff of
    # the first archive's passage against the second's, compactly, in every format.
    shown_diff = {
        "terminal": ("ia → altered: ", "[-15-]", "{+16+}"),
        "markdown": ("ia → altered: ", "~~15~~", "**16**"),
        "html": ("15", "16"),
    }
    for fmt, pieces in shown_diff.items():
        code, out, _err = run_cli("report", str(saved), "--format", fmt)
        for piece in pieces:
            assert piece in out, (fmt, piece)
        assert "people were killed" in out, fmt  # the words around the change


def test_stored_copies_of_two_archives_disagree_offline_as_they_did_online(
    tmp_path: Path, pywb: PywbServer
) -> None:
    local, online = _disagree_then_archive(tmp_path, pywb)
    code, out, err = run_cli("check", str(local), "--offline", "--format", "json")
    report = json.loads(out)
    (offline,) = _disagreements(report)
    assert offline["fingerprint"] == online["fingerprint"]
    assert (offline["local_text"], offline["remote_text"], offline["diff"]) == (
        online["local_text"],
        online["remote_text"],
        online["diff"],
    )
    assert [s.split(":")[0] for s in offline["sources"]] == ["warc", "warc"]
    assert offline["field"] == "ia / altered"
    assert code == 1 and report["verdict"] == "changed"


# -- the pure step ----------------------------------------------------------------------


def _capture(
    archive: str, at: datetime, text: str, outcome: Outcome = Outcome.OK
) -> tuple[Source, Document]:
    stamp = at.strftime("%Y%m%d%H%M%S")
    source = Source(
        id=f"{archive}:{stamp}", kind=SourceKind.ARCHIVE, url="", timestamp=at, outcome=outcome
    )
    paragraphs = [
        "The first paragraph of the article says what happened in the town.",
        text,
        "The last paragraph says who reported it and when it was published.",
    ]
    return source, Document(blocks=tuple(Block(p) for p in paragraphs))


AT = datetime(2012, 5, 28, 1, 2, 3, tzinfo=UTC)
SAID = "Officials admit that 15 people were killed when the police opened fire."
ALTERED = "Officials admit that 16 people were killed when the police opened fire."


def test_only_the_nearest_capture_within_the_window_of_another_archive_is_compared() -> None:
    findings = corroborate(
        [
            _capture("a", AT, SAID),
            _capture("a", AT + timedelta(hours=30), ALTERED),  # the page changed later
            _capture("b", AT + timedelta(hours=1), SAID),
            _capture("b", AT + timedelta(hours=31), ALTERED),
        ]
    )
    assert findings == ()  # each pair agrees; a vs a (same archive) is never compared

    (finding,) = corroborate(
        [_capture("a", AT, SAID), _capture("b", AT + timedelta(hours=23, minutes=59), ALTERED)]
    )
    assert finding.kind is FindingKind.ARCHIVE_DISAGREEMENT and not finding.substantive
    assert finding.sources == ("a:20120528010203", "b:20120529010103")


def test_typography_ignored_text_and_captures_not_compared_raise_nothing() -> None:
    curly = SAID.replace("Officials", "\u201cOfficials").replace("fire.", "fire.\u201d")
    assert corroborate([_capture("a", AT, SAID), _capture("b", AT, curly)]) == ()
    assert (
        corroborate([_capture("a", AT, SAID), _capture("b", AT, ALTERED)], ignore=[r"1[56] "]) == ()
    )
    error_page = _capture("b", AT, ALTERED, outcome=Outcome.ARCHIVED_ERROR)
    assert corroborate([_capture("a", AT, SAID), error_page]) == ()
    live = (Source(id="live", kind=SourceKind.LIVE, url="", timestamp=AT), _capture("b", AT, "")[1])
    assert corroborate([_capture("a", AT, SAID), live]) == ()


def test_one_finding_per_disagreement_listing_every_capture_the_first_archive_on_the_left() -> None:
    # The check lists "b" first: its text is on the left whatever the capture times.
    (finding,) = corroborate(
        [
            _capture("b", AT + timedelta(hours=1), ALTERED),
            _capture("a", AT, SAID),
            _capture("a", AT + timedelta(hours=3), SAID),
        ]
    )
    assert finding.sources == ("a:20120528010203", "b:20120528020203", "a:20120528040203")
    assert (finding.first_seen, finding.last_seen) == (AT, AT + timedelta(hours=3))
    assert "16 people" in (finding.local_text or "") and "15 people" in (finding.remote_text or "")
    assert finding.detail.startswith("b and a disagree on the article (")
    assert finding.field == "b / a"
    assert "1 hour apart" in finding.detail and "2 hours apart" in finding.detail


# -- in an evidence bundle ----------------------------------------------------------------


@pytest.mark.slow
def test_an_evidence_bundle_re_derives_the_disagreement_and_catches_an_edit(
    tmp_path: Path, pywb: PywbServer
) -> None:
    from test_evidence import _members, _rebuild

    local, online = _disagree_then_archive(tmp_path, pywb)
    bundle = tmp_path / "evidence.wacz"
    code, _out, err = run_cli("evidence", str(local), "-o", str(bundle))
    assert code == 0, err
    code, out, err = run_cli("verify", str(bundle))
    assert code == 0, out + err
    assert "content and archive-disagreement finding(s)" in out

    report_name = "reports/check.json"
    report = json.loads(_members(bundle)[report_name])
    (finding,) = _disagreements(report)
    assert finding["fingerprint"] == online["fingerprint"]

    def forged(edit: Any) -> tuple[int, str]:
        copy = json.loads(json.dumps(report))
        edit(copy)
        data = json.dumps(copy, indent=2).encode("utf-8")
        html = render_html([result_from_dict(copy)]).encode("utf-8")  # re-rendered too
        changes = {report_name: data, "reports/check.html": html}
        path = _rebuild(bundle, tmp_path / "forged.wacz", changes)
        code, _out, err = run_cli("verify", str(path))
        path.unlink()
        return code, err

    def reword(copy: dict[str, Any]) -> None:  # the altered archive's words, fingerprint kept
        (f,) = _disagreements(copy)
        f["remote_text"] = f["remote_text"].replace("16 people", "17 people")

    code, err = forged(reword)
    assert code == 5 and "does not give its fingerprint" in err

    def reword_and_refingerprint(copy: dict[str, Any]) -> None:  # as a forger would
        reword(copy)
        (f,) = _disagreements(copy)
        index = copy["findings"].index(f)
        f["fingerprint"] = fingerprint(result_from_dict(copy).findings[index])

    code, err = forged(reword_and_refingerprint)
    assert code == 5 and "findings: the report's archive_disagreement finding" in err

    def drop(copy: dict[str, Any]) -> None:  # the disagreement hidden
        copy["findings"] = [f for f in copy["findings"] if f["kind"] != KIND]

    code, err = forged(drop)
    assert code == 5 and "a archive_disagreement finding" in err and "does not list" in err
