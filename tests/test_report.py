"""Reports: the JSON contract, the terminal report and the Markdown report."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from markdown_it import MarkdownIt

from snapverify._version import __version__
from snapverify.models import (
    SCHEMA,
    CheckResult,
    Finding,
    FindingKind,
    Outcome,
    Provenance,
    SnapshotInfo,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.report import (
    clean_text,
    describe_location,
    diff_segments,
    findings_summary,
    format_similarity,
    timeline,
    truncate,
)
from snapverify.report.json import render_json, render_json_lines
from snapverify.report.markdown import escape, link, render_markdown
from snapverify.report.terminal import render_terminal
from support import (
    FINDING_KEYS,
    LINK_KEYS,
    RESULT_KEYS,
    SEED_URL,
    SNAPSHOT_KEYS,
    SOURCE_KEYS,
)

URL = SEED_URL
T2012 = datetime(2012, 5, 27, 18, 30, tzinfo=UTC)
T2016 = datetime(2016, 3, 1, 9, 0, 5, tzinfo=UTC)
T2024 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
WIDE = 400  # wide enough that nothing wraps in the assertions below

# Keys added since (the contract allows additions); listed so any further change
# to the report is a deliberate one.
RESULT_EXTRA = {"notes", "error", "links", "resolved", "checked_at", "command", "version", "store"}
FINDING_EXTRA = ["fingerprint", "change", "acknowledged", "ack_note"]
SOURCE_EXTRA = {"extraction", "note"}


def _sources() -> tuple[Source, ...]:
    # Deliberately not in time order: reports must sort them.
    return (
        Source(
            id="live",
            kind=SourceKind.LIVE,
            url=URL,
            timestamp=T2024,
            status=200,
            outcome=Outcome.OK,
            similarity=0.91,
            sha256="a" * 64,
        ),
        Source(
            id="wayback:20120527183000",
            kind=SourceKind.ARCHIVE,
            url=f"https://web.archive.org/web/20120527183000id_/{URL}",
            timestamp=T2012,
            status=200,
            outcome=Outcome.OK,
            similarity=0.97,
            sha256="b" * 64,
            digest="C" * 32,
        ),
        Source(
            id="wayback:20160301090005",
            kind=SourceKind.ARCHIVE,
            url=f"https://web.archive.org/web/20160301090005id_/{URL}",
            timestamp=T2016,
            status=404,
            outcome=Outcome.ARCHIVED_ERROR,
            note="a capture of an error page",
        ),
        Source(id="file:saved/page.html", kind=SourceKind.FILE, url="saved/page.html"),
    )


def _findings() -> tuple[Finding, ...]:
    return (
        Finding(
            kind=FindingKind.EDITED,
            substantive=True,
            detail="a number changed",
            local_block=3,
            local_text="Police opened fire and killed 15 people in the town of Zhanaozen.",
            remote_text="Police opened fire and killed 16 people in the town of Zhanaozen.",
            diff=(
                ("equal", "Police opened fire and killed"),
                ("delete", "15"),
                ("insert", "16"),
                ("equal", "people in the town of Zhanaozen."),
            ),
            sources=("wayback:20160301090005", "live"),
            first_seen=T2016,
            last_seen=T2024,
        ),
        Finding(
            kind=FindingKind.MISSING,
            substantive=True,
            detail="passage no longer present",
            local_block=7,
            local_text="The government denied everything. " * 20,
            sources=("live",),
            first_seen=T2024,
            last_seen=T2024,
        ),
        Finding(
            kind=FindingKind.ADDED,
            substantive=True,
            detail="new passage",
            insert_after=-1,
            remote_text="Correction: an earlier version misstated the toll.",
            sources=("live",),
            first_seen=T2024,
            last_seen=T2024,
        ),
        Finding(
            kind=FindingKind.MOVED,
            substantive=False,
            detail="passage moved",
            local_block=2,
            insert_after=9,
            local_text="A paragraph that moved.",
            sources=("live",),
        ),
        Finding(
            kind=FindingKind.METADATA,
            substantive=True,
            detail="title changed",
            field="title",
            local_text="Kazakh Massacre Cover-Up",
            remote_text="Kazakh Massacre: Cover-Up",
            sources=("live",),
            first_seen=T2024,
            last_seen=T2024,
        ),
        Finding(
            kind=FindingKind.EDITED,
            substantive=False,
            detail="quotes changed",
            local_block=5,
            diff=(("delete", '"quoted"'), ("insert", "\u201cquoted\u201d")),
            sources=("wayback:20120527183000", "live"),
        ),
        Finding(
            kind=FindingKind.LINK_ROT,
            substantive=True,
            detail="the article's URL is gone",
            url=URL,
            status=404,
            outcome=Outcome.NOT_FOUND,
            archive_url=f"https://web.archive.org/web/20120527183000/{URL}",
            sources=("live",),
        ),
        Finding(
            kind=FindingKind.DEAD_LINK,
            substantive=False,
            detail="outbound link unreachable (transient)",
            local_block=4,
            url="https://example.org/report",
            outcome=Outcome.UNREACHABLE,
        ),
        Finding(
            kind=FindingKind.LOST_LINK_TARGET,
            substantive=False,
            detail="the local copy lost this link's target",
            local_block=1,
            local_text="Video footage",
            url="https://www.youtube.com/watch?v=abc",
            status=200,
            outcome=Outcome.OK,
        ),
    )


def _result(**changes: object) -> CheckResult:
    values: dict[str, object] = {
        "snapshot": SnapshotInfo(
            path="snapshots/kazakh/000.txt",
            url=URL,
            title="Kazakh Massacre Cover-Up",
            sha256="d" * 64,
        ),
        "verdict": Verdict.CHANGED,
        "exit_code": 1,
        "sources": _sources(),
        "findings": _findings(),
        "provenance": Provenance(source="wayback:20120527183000", similarity=0.97),
    }
    values.update(changes)
    return CheckResult(**values)  # type: ignore[arg-type]


def _unverifiable() -> CheckResult:
    return _result(
        verdict=Verdict.UNVERIFIABLE,
        exit_code=4,
        sources=(
            Source(
                id="live",
                kind=SourceKind.LIVE,
                url=URL,
                timestamp=T2024,
                outcome=Outcome.UNREACHABLE,
            ),
        ),
        findings=(),
        provenance=None,
    )


# -- JSON ---------------------------------------------------------------------


def _assert_prefix_order(keys: list[str], contract: list[str]) -> None:
    assert [key for key in keys if key in contract] == contract


DISAGREEMENT = Finding(
    kind=FindingKind.ARCHIVE_DISAGREEMENT,
    substantive=False,
    detail="wayback:20120527183000 and pywb:20120527190000 disagree on 1 passage",
    local_text="15 people were killed",
    remote_text="16 people were killed",
    diff=(("delete", "15"), ("insert", "16"), ("equal", " people were killed")),
    sources=("wayback:20120527183000", "pywb:20120527190000"),
)


def test_json_has_the_contract_keys_in_order_and_types() -> None:
    data = json.loads(render_json(_result(findings=(*_result().findings, DISAGREEMENT))))
    assert list(data)[: len(RESULT_KEYS)] == RESULT_KEYS
    assert set(data) == set(RESULT_KEYS) | RESULT_EXTRA
    assert data["schema"] == SCHEMA == "snapverify/check-v1"
    assert data["links"] == [] and data["resolved"] == []
    assert data["version"] == __version__ and data["command"] is None
    assert data["verdict"] == "changed"
    assert data["exit_code"] == 1 and type(data["exit_code"]) is int
    assert list(data["snapshot"]) == SNAPSHOT_KEYS
    assert data["snapshot"]["title"] == "Kazakh Massacre Cover-Up"
    assert data["provenance"] == {"source": "wayback:20120527183000", "similarity": 0.97}

    assert len(data["sources"]) == 4
    for source in data["sources"]:
        _assert_prefix_order(list(source), SOURCE_KEYS)
        assert set(source) == set(SOURCE_KEYS) | SOURCE_EXTRA
        assert source["kind"] in {"live", "archive", "warc", "file"}
        assert isinstance(source["id"], str) and isinstance(source["url"], str)
        assert source["timestamp"] is None or re.fullmatch(r"\d{14}", source["timestamp"])
        assert source["status"] is None or type(source["status"]) is int
        assert isinstance(source["outcome"], str)
        assert source["similarity"] is None or isinstance(source["similarity"], float)
    wayback = data["sources"][1]
    assert wayback["timestamp"] == "20120527183000"
    assert wayback["digest"] == "C" * 32
    assert data["sources"][3]["timestamp"] is None

    kinds = {finding["kind"] for finding in data["findings"]}
    assert kinds == {kind.value for kind in FindingKind}
    for finding in data["findings"]:
        expected = list(FINDING_KEYS) + FINDING_EXTRA
        if finding["kind"] in {"link_rot", "dead_link", "lost_link_target"}:
            expected += [*LINK_KEYS, "text"]
        assert list(finding) == expected
        assert finding["change"] is None and finding["acknowledged"] is False
        assert type(finding["substantive"]) is bool
        assert isinstance(finding["detail"], str)
        assert all(isinstance(source, str) for source in finding["sources"])
        for op, text in finding["diff"]:
            assert op in {"equal", "delete", "insert"} and isinstance(text, str)
    edited = data["findings"][0]
    assert edited["diff"][1:3] == [["delete", "15"], ["insert", "16"]]
    assert (edited["first_seen"], edited["last_seen"]) == ("20160301090005", "20240102030405")
    assert data["findings"][2]["insert_after"] == -1


def test_json_keeps_non_ascii_and_is_one_object() -> None:
    text = render_json(_result())
    assert "\u201cquoted\u201d" in text
    assert "\\u201c" not in text
    assert text.endswith("}\n")
    assert isinstance(json.loads(text), dict)


def test_json_with_no_provenance() -> None:
    data = json.loads(render_json(_unverifiable()))
    assert data["provenance"] is None
    assert data["verdict"] == "unverifiable"
    assert data["exit_code"] == 4
    assert data["findings"] == []


def test_json_refuses_nan() -> None:
    source = Source(id="live", kind=SourceKind.LIVE, url=URL, similarity=float("nan"))
    with pytest.raises(ValueError):
        render_json(_result(sources=(source,)))


def test_json_lines_has_one_object_per_line() -> None:
    results = [_result(), _unverifiable(), _result(verdict=Verdict.UNCHANGED, exit_code=0)]
    text = render_json_lines(results)
    lines = text.splitlines()
    assert len(lines) == 3
    assert text.endswith("\n")
    objects = [json.loads(line) for line in lines]
    assert [obj["verdict"] for obj in objects] == ["changed", "unverifiable", "unchanged"]
    assert all(obj["schema"] == SCHEMA for obj in objects)
    assert render_json_lines([]) == ""


# -- shared helpers -------------------------------------------------------------


def test_timeline_is_oldest_first_with_undated_last() -> None:
    ids = [source.id for source in timeline(_sources())]
    assert ids == [
        "wayback:20120527183000",
        "wayback:20160301090005",
        "live",
        "file:saved/page.html",
    ]


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "-"), (0.97, "0.97"), (1.0, "1.00"), (0.9996, "0.999")]
)
def test_similarity_never_rounds_up_to_identical(value: float | None, shown: str) -> None:
    assert format_similarity(value) == shown


def test_locations() -> None:
    findings = {(finding.kind, finding.substantive): finding for finding in _findings()}
    assert describe_location(findings[FindingKind.EDITED, True]) == "block 3"
    assert describe_location(findings[FindingKind.ADDED, True]) == "at the start"
    assert describe_location(findings[FindingKind.MOVED, False]) == "block 2 → after block 9"
    assert describe_location(findings[FindingKind.METADATA, True]) == "title"
    assert describe_location(findings[FindingKind.LINK_ROT, True]) == URL


def test_findings_summary() -> None:
    findings = _result().findings
    substantive = [f for f in findings if f.substantive]
    lost = [f for f in findings if f.kind is FindingKind.LOST_LINK_TARGET]
    assert findings_summary(Verdict.CHANGED, findings) == (
        "5 substantive changes, 2 cosmetic, 1 link problem not counted, 1 lost link target"
    )
    assert findings_summary(Verdict.CHANGED, substantive[:1]) == "1 substantive change"
    assert findings_summary(Verdict.UNCHANGED, []) == "no substantive change"
    assert findings_summary(Verdict.UNCHANGED, lost * 2) == (
        "no substantive change, 2 lost link targets"
    )
    assert findings_summary(Verdict.UNVERIFIABLE, findings) == "no source could be compared"


def test_diff_elides_long_unchanged_runs() -> None:
    words = [f"w{i}" for i in range(30)]
    diff = (
        ("equal", " ".join(words)),
        ("delete", "old"),
        ("insert", "new"),
        ("equal", " ".join(words)),
        ("insert", "more"),
        ("equal", " ".join(words)),
    )
    segments = diff_segments(diff, context=3)
    shown = [(segment.op, segment.text) for segment in segments]
    assert shown == [
        ("elided", ""),
        ("equal", "w27 w28 w29"),
        ("delete", "old"),
        ("insert", "new"),
        ("equal", "w0 w1 w2"),
        ("elided", ""),
        ("equal", "w27 w28 w29"),
        ("insert", "more"),
        ("equal", "w0 w1 w2"),
        ("elided", ""),
    ]
    # A deletion and the insertion that replaces it touch; everything else is spaced.
    assert [segment.space_before for segment in segments] == [
        False,
        True,
        True,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
    ]


def test_diff_honours_whitespace_in_ops() -> None:
    segments = diff_segments((("equal", "killed "), ("delete", "15"), ("insert", " 16")))
    assert [segment.space_before for segment in segments] == [False, True, True]


def test_clean_text_drops_terminal_escapes() -> None:
    assert clean_text("a\x1b]0;pwned\x07b\n\nc\u009bd") == "a]0;pwnedb cd"
    assert truncate("word " * 100, 50).endswith(" …")
    assert len(truncate("word " * 100, 50)) <= 52


# -- terminal -------------------------------------------------------------------


def test_terminal_report_plain() -> None:
    out = render_terminal([_result()], color=False, width=WIDE)
    assert "\x1b[" not in out
    # What does not count is named: cosmetic changes, a transient link problem, a lost target.
    summary = "5 substantive changes, 2 cosmetic, 1 link problem not counted, 1 lost link target"
    assert f"CHANGED: {summary} (exit 1)" in out
    assert "snapshots/kazakh/000.txt" in out
    assert URL in out
    assert "Kazakh Massacre Cover-Up" in out
    assert "closest source: wayback:20120527183000, similarity 0.97" in out
    assert "killed [-15-]{+16+} people" in out
    assert "edited · block 3 · substantive" in out
    assert "seen in 2 sources (wayback:20160301090005, live); first 2016-03-01 09:00:05" in out
    assert "last 2024-01-02 03:04:05" in out
    assert "missing · block 7" in out
    assert "added · at the start" in out
    assert "Correction: an earlier version misstated the toll." in out
    assert "metadata · title" in out
    assert "link_rot · " + URL in out
    assert "archived copy: https://web.archive.org/web/20120527183000/" in out
    assert "moved · block 2 → after block 9 · cosmetic" in out


def test_terminal_truncates_passages() -> None:
    out = render_terminal([_result()], color=False, width=WIDE)
    line = next(line for line in out.splitlines() if "The government denied" in line)
    assert line.rstrip().endswith("…")
    assert len(line.strip()) < 340


def test_terminal_sources_in_time_order() -> None:
    out = render_terminal([_result()], color=False, width=WIDE)
    positions = [
        out.index("2012-05-27 18:30:00"),
        re.search(r"2016-03-01 09:00:05 +wayback:20160301090005", out).start(),  # type: ignore[union-attr]
        re.search(r"2024-01-02 03:04:05 +live", out).start(),  # type: ignore[union-attr]
        re.search(r"unknown +file:saved/page.html", out).start(),  # type: ignore[union-attr]
    ]
    assert positions == sorted(positions)
    assert "archived_error (404)" in out
    assert "a capture of an error page" in out


def test_terminal_lists_cosmetic_after_substantive() -> None:
    out = render_terminal([_result()], color=False, width=WIDE)
    cosmetic = out.index("Not counted: cosmetic and link findings (4)")
    assert out.index("Substantive findings (5)") < cosmetic
    assert out.index("link_rot") < cosmetic < out.index("moved ·")
    assert out.index("quotes changed") > cosmetic
    assert "lost_link_target · https://www.youtube.com/watch?v=abc (block 1) · not counted" in out


def test_terminal_colour() -> None:
    out = render_terminal([_result()], color=True, width=WIDE)
    assert "\x1b[" in out
    assert "[-15-]" in out and "{+16+}" in out
    assert re.search(r"\x1b\[[0-9;]*31m\[-15-\]", out)  # red deletion
    assert re.search(r"\x1b\[[0-9;]*32m\{\+16\+\}", out)  # green insertion


def test_terminal_prints_page_text_literally() -> None:
    finding = Finding(
        kind=FindingKind.MISSING,
        substantive=True,
        detail="[red]detail[/red]",
        local_block=0,
        local_text="A [bold]x[/bold] and :smile: and [link=https://evil.example]y[/link]\x1b[2J",
    )
    result = _result(
        snapshot=SnapshotInfo(path="[i]p[/i].md", url=URL, title="[bold]T[/bold]", sha256="0"),
        findings=(finding,),
    )
    for color in (False, True):
        out = render_terminal([result], color=color, width=WIDE)
        assert "[bold]x[/bold]" in out
        assert ":smile:" in out
        assert "[link=https://evil.example]y[/link]" in out
        assert "[red]detail[/red]" in out
        assert "[i]p[/i].md" in out
        assert "[bold]T[/bold]" in out
        assert "\x1b[2J" not in out


def test_terminal_without_provenance() -> None:
    out = render_terminal([_unverifiable()], color=False, width=WIDE)
    assert "UNVERIFIABLE: no source could be compared (exit 4)" in out
    assert "closest source: none" in out
    assert "No findings." in out


def test_terminal_several_snapshots() -> None:
    out = render_terminal([_result(), _unverifiable()], color=False, width=WIDE)
    assert out.index("CHANGED") < out.index("UNVERIFIABLE")


def test_terminal_narrow_width_does_not_fail() -> None:
    out = render_terminal([_result()], color=False, width=40)
    assert "CHANGED" in out


# -- Markdown ---------------------------------------------------------------------


def _html(markdown: str) -> str:
    html: str = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    return html


def test_markdown_report() -> None:
    md = render_markdown([_result()])
    assert md.startswith("# snapverify report\n")
    assert "## Kazakh Massacre Cover-Up" in md
    summary = "5 substantive changes, 2 cosmetic, 1 link problem not counted, 1 lost link target"
    assert f"- **Verdict:** changed ({summary}; exit 1)" in md
    assert f"[{escape(URL)}]({URL})" in md
    assert "- **Closest source:** wayback:20120527183000, similarity 0.97" in md
    assert "| time (UTC) | source | kind | outcome | similarity | note |" in md
    capture = "https://web.archive.org/web/20120527183000id_/" + URL
    assert (
        f"| 2012-05-27 18:30:00 | [wayback:20120527183000]({capture}) | archive | ok | 0.97 |  |"
        in md
    )
    assert "killed ~~15~~ **16** people" in md
    assert md.index("#### Not counted: cosmetic and link findings (4)") > md.index("**link_rot**")
    html = _html(md)
    assert "<s>15</s> <strong>16</strong>" in html
    assert f'<a href="{URL}">' in html


def test_markdown_timeline_is_in_time_order() -> None:
    md = render_markdown([_result()])
    rows = [line for line in md.splitlines() if line.startswith("| 20") or "file:" in line]
    assert [re.sub(r"^\[(.*)\]\(.*\)$", r"\1", row.split(" | ")[1]) for row in rows] == [
        "wayback:20120527183000",
        "wayback:20160301090005",
        "live",
        "file:saved/page.html",
    ]
    # A status other than 200 is shown with the outcome, as in the terminal report.
    assert [row.split(" | ")[3] for row in rows] == ["ok", "archived_error (404)", "ok", "ok"]


def test_markdown_escapes_page_text() -> None:
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) a|b *em* _u_ `c` # h &amp;"
    finding = Finding(
        kind=FindingKind.EDITED,
        substantive=True,
        detail=hostile,
        local_block=0,
        diff=(("equal", "<b>bold</b>"), ("delete", "[x](javascript:alert(1))"), ("insert", "|")),
        sources=("file:a|b.html",),
    )
    source = Source(
        id="file:a|b.html",
        kind=SourceKind.FILE,
        url="a|b.html",
        note="<img src=x onerror=alert(1)> | extra | cells |",
    )
    result = _result(
        snapshot=SnapshotInfo(path="p.md", url="javascript:alert(1)", title=hostile, sha256="0"),
        sources=(source,),
        findings=(finding,),
        provenance=None,
    )
    md = render_markdown([result])
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script&gt;" in md
    assert "[x](javascript:" not in md
    assert "\\[x\\](javascript:alert(1))" in md
    assert "a\\|b" in md

    html = _html(md)
    assert "<script>" not in html and "<img" not in html
    assert "<a " not in html  # no link at all: the only URL is not http(s)
    assert "<em>" not in html and "<code>" not in html and "<h1>p" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;amp;" in html  # the page's "&amp;" shown as typed
    # Every table row keeps exactly its six cells despite the | in page text.
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert rows
    for row in rows:
        assert len(re.findall(r"<t[hd]", row)) == 6


def test_markdown_links_only_http() -> None:
    assert link("javascript:alert(1)") == "javascript:alert(1)"
    assert link("file:///etc/passwd") == "file:///etc/passwd"
    assert link("data:text/html,<b>x</b>") == "data:text/html,&lt;b&gt;x&lt;/b&gt;"
    assert link("https://example.org/a_(b) c<d>") == (
        "[https://example.org/a\\_(b) c&lt;d&gt;](https://example.org/a_%28b%29%20c%3Cd%3E)"
    )
    html = _html(link("https://example.org/a_(b) c<d>"))
    assert 'href="https://example.org/a_%28b%29%20c%3Cd%3E"' in html


def test_markdown_without_provenance_and_several() -> None:
    md = render_markdown([_result(), _unverifiable()])
    assert md.count("\n## ") == 2
    assert "- **Closest source:** none" in md
    assert "- **Verdict:** unverifiable (no source could be compared; exit 4)" in md
    assert md.endswith("\n") and not md.endswith("\n\n")
