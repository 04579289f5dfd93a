"""`snapverify report`: render a saved JSON report (or a snapshot's last check) again.

The saved reports come from real checks against pywb (the Moscow Times set); rendering
them again must say exactly what the check said. Bad input is one line on stderr, exit 2,
and nothing written.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from servers import PywbServer
from snapverify._version import __version__
from snapverify.cli import main
from snapverify.errors import InputError, UsageError
from snapverify.models import (
    Change,
    CheckResult,
    Extraction,
    Finding,
    FindingKind,
    LinkCheck,
    Outcome,
    Provenance,
    SnapshotInfo,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.report.load import load_last_report, load_reports, parse_reports, result_from_dict
from support import SEED, seed_snapshot
from support import run_cli as _run


@pytest.fixture(scope="module")
def saved(pywb_mt: PywbServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real check saved as JSON (one snapshot) and as JSON Lines (two), with its args."""
    root = tmp_path_factory.mktemp("report-cmd")
    local = seed_snapshot(root, "one")
    seed_snapshot(root, "two")
    base = ["--archive", pywb_mt.base, "--no-live", "--allow-private-addresses"]
    one, lines = root / "check.json", root / "all.jsonl"
    code, _, err = _run("check", str(local), *base, "-f", "json", "-o", str(one))
    assert code == 1, err
    code, _, err = _run("check", str(root / "snapshots"), *base, "-f", "json", "-o", str(lines))
    assert code == 1, err
    return {"root": root, "local": local, "base": base, "one": one, "lines": lines}


@pytest.mark.parametrize("fmt", ["markdown", "terminal"])
def test_report_says_what_the_check_said(saved: dict[str, Any], fmt: str, tmp_path: Path) -> None:
    code, again, err = _run("report", str(saved["one"]), "--format", fmt)
    assert code == 0, err  # rendered; the verdict (changed) is in the report, not the exit
    # Checked again with a store of its own, whose history also sees every finding as new.
    store = ["--store", str(tmp_path / "store")]
    code, direct, _ = _run("check", str(saved["local"]), *saved["base"], *store, "--format", fmt)
    assert code == 1
    # Each report names the store its check used (the two differ), and says the same else.
    stores = [line for line in again.splitlines() if re.match(r"(- \*\*)?store", line, re.I)]
    assert len(stores) == 1 and "snapverify" in stores[0]
    assert again.replace(stores[0] + "\n", "") == re.sub(
        r"(?im)^(- \*\*)?store.*\n", "", direct, count=1
    )
    assert "16" in again


def test_report_as_json_gives_the_saved_report_back(saved: dict[str, Any]) -> None:
    for name in ("one", "lines"):
        code, out, err = _run("report", str(saved[name]), "--format", "json")
        assert code == 0, err
        assert out == saved[name].read_text("utf-8")


def test_json_lines_become_several_reports(saved: dict[str, Any]) -> None:
    out = saved["root"] / "all.html"
    code, stdout, err = _run("report", str(saved["lines"]), "-f", "html", "-o", str(out))
    assert (code, stdout) == (0, ""), err
    tree = lxml.html.document_fromstring(out.read_text("utf-8"))
    snapshots = tree.xpath("//article[@class='snapshot']")
    assert len(snapshots) == 2
    paths = [s.xpath("string(.//dl[@class='facts']/dd[1]/code)") for s in snapshots]
    assert [Path(p).parent.name for p in paths] == ["one", "two"]
    code, markdown, _ = _run("report", str(saved["lines"]), "-f", "markdown")
    assert code == 0 and markdown.count("\n## Kazakh Massacre Cover-Up\n") == 2


def test_a_report_keeps_the_version_that_made_it(saved: dict[str, Any]) -> None:
    data = json.loads(saved["one"].read_text("utf-8"))
    assert data["version"] == __version__
    data["version"] = "0.0.1"  # a report saved by an older snapverify
    old = saved["root"] / "old.json"
    old.write_text(json.dumps(data), "utf-8")
    code, out, err = _run("report", str(old), "-f", "json")
    assert code == 0 and json.loads(out)["version"] == "0.0.1", err
    code, page, err = _run("report", str(old), "-f", "html")
    facts = lxml.html.document_fromstring(page).xpath("//dl[@class='facts']")[0]
    assert code == 0 and "by snapverify 0.0.1" in facts.text_content(), err


def test_a_report_file_is_recognised_by_its_content(saved: dict[str, Any]) -> None:
    renamed = saved["root"] / "check.txt"
    renamed.write_bytes(saved["one"].read_bytes())
    code, out, err = _run("report", str(renamed), "-f", "markdown")
    assert code == 0 and out.startswith("# snapverify report"), err


def _full_result() -> CheckResult:
    """Every field of the contract set, history and links included."""
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    return CheckResult(
        snapshot=SnapshotInfo("a/b.md", "https://example.org/a", "Title", "a" * 64),
        verdict=Verdict.CHANGED,
        exit_code=1,
        sources=(
            Source(
                "wayback:20240102030405",
                SourceKind.ARCHIVE,
                "https://web.archive.org/web/20240102030405/https://example.org/a",
                when,
                200,
                Outcome.REDIRECTED,
                0.5,
                "b" * 64,
                "C" * 32,
                Extraction.GUIDED,
                note="a note",
            ),
        ),
        findings=(
            Finding(
                FindingKind.EDITED,
                True,
                "15 → 16",
                local_block=1,
                insert_after=0,
                field="body",
                local_text="15 people",
                remote_text="16 people",
                diff=(("delete", "15"), ("insert", "16"), ("equal", "people")),
                sources=("wayback:20240102030405",),
                first_seen=when,
                last_seen=when,
                fingerprint="f" * 16,
                change=Change.NEW,
                acknowledged=True,
                ack_note="known",
            ),
            Finding(
                FindingKind.DEAD_LINK,
                True,
                "gone",
                url="https://example.org/x",
                status=410,
                outcome=Outcome.GONE,
                archive_url="https://web.archive.org/web/2012id_/https://example.org/x",
                text="x",
            ),
        ),
        provenance=Provenance("wayback:20240102030405", 0.5),
        notes=("note",),
        error="a source could not be read",
        links=(
            LinkCheck(
                "x",
                "https://example.org/x",
                Outcome.GONE,
                410,
                2,
                "https://web.archive.org/web/2012/https://example.org/x",
                when,
                False,
                "gone",
                when,
                True,
            ),
            LinkCheck("y", None, Outcome.SKIPPED, lost=True),  # a lost target, not recovered
        ),
        resolved=(
            Finding(FindingKind.MISSING, True, "back", local_block=3, change=Change.RESOLVED),
        ),
        checked_at=when,
        command="snapverify check a/b.md",
        store="/srv/snapshots/.snapverify",
        version="9.9.9",
    )


def _unset_fields(result: CheckResult) -> list[str]:
    """The model fields that no part of ``result`` sets (None or the default)."""
    parts: list[Any] = [result, result.snapshot, result.provenance]
    parts += [*result.sources, *result.findings, *result.links, *result.resolved]
    unset = []
    for kind in {type(part) for part in parts}:
        for item in dataclasses.fields(kind):
            default = None if item.default is dataclasses.MISSING else item.default
            values = [getattr(part, item.name) for part in parts if type(part) is kind]
            if all(value in (None, default, ()) for value in values):
                unset.append(f"{kind.__name__}.{item.name}")
    return unset


def test_every_field_round_trips() -> None:
    result = _full_result()
    assert _unset_fields(result) == []  # a field the test leaves unset is never read back
    assert result_from_dict(result.as_dict()) == result
    (again,) = parse_reports(json.dumps(result.as_dict(), indent=2))
    assert again == result


def test_missing_optional_keys_take_their_defaults() -> None:
    data = _full_result().as_dict()
    for key in ("notes", "error", "links", "resolved", "checked_at", "command", "version"):
        del data[key]
    for finding in data["findings"]:
        for key in ("fingerprint", "change", "acknowledged", "ack_note"):
            del finding[key]
    result = result_from_dict(data)
    assert (result.links, result.resolved, result.command) == ((), (), None)
    assert result.findings[0].change is None and not result.findings[0].acknowledged


NOT_A_REPORT = [
    ("empty.json", b"", "empty file"),
    ("text.json", b"hello world\n", "line 1: not JSON"),
    ("list.json", b"[1, 2]", "not a JSON object"),
    ("other.json", b'{"schema": "other/v1"}', "schema is 'other/v1'"),
    ("binary.json", b"\xff\xfe\x00{", "not UTF-8"),
    ("kind.json", None, "findings[].kind is 'rewritten'"),
    ("line2.jsonl", None, "line 2: not JSON"),
    ("verdict.json", None, "verdict is 'maybe'"),
    ("diff.json", None, "findings[].diff"),
]


def _bad_content(name: str) -> bytes:
    data = _full_result().as_dict()
    if name == "kind.json":
        data["findings"][0]["kind"] = "rewritten"
    elif name == "verdict.json":
        data["verdict"] = "maybe"
    elif name == "diff.json":
        data["findings"][0]["diff"] = [["delete"]]
    else:  # line2.jsonl: one good line, then a broken one
        return (json.dumps(data) + "\n{broken\n").encode()
    return json.dumps(data).encode()


@pytest.mark.parametrize(("name", "content", "message"), NOT_A_REPORT)
def test_a_file_that_is_not_a_report(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(_bad_content(name) if content is None else content)
    out = tmp_path / "out.html"
    out.write_text("the previous report", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(path), "-f", "html", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stdout == ""
    line = result.stderr.rstrip("\n")
    assert "\n" not in line and line.startswith("snapverify: error: ")
    assert str(path) in line and message in line, line
    assert out.read_text("utf-8") == "the previous report"  # nothing half-written
    with pytest.raises(InputError, match="not"):
        load_reports(path)


def test_a_missing_file(tmp_path: Path) -> None:
    for name in ("gone.json", "gone.md"):
        result = CliRunner().invoke(main, ["report", str(tmp_path / name)])
        assert result.exit_code == 2
        assert str(tmp_path / name) in result.stderr and result.stderr.count("\n") == 1


def test_a_snapshot_without_a_stored_check(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path, "mt")
    result = CliRunner().invoke(main, ["report", str(local), "-f", "html"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"snapverify: error: no stored check for {local}")


def test_a_snapshot_renders_its_last_stored_check(saved: dict[str, Any], tmp_path: Path) -> None:
    # A real check, recorded in the real SQLite history of a store of its own.
    store = tmp_path / "store"
    local: Path = saved["local"]
    args = ["check", str(local), *saved["base"], "--store", str(store)]
    code, markdown, err = _run(*args, "--format", "markdown")
    assert code == 1, err
    code, out, err = _run("report", str(local), "--store", str(store), "-f", "markdown")
    assert code == 0, err
    assert out == markdown  # the stored report renders as the check printed it
    # A snapshot folder names the local copies inside it.
    code, by_folder, err = _run("report", str(local.parent), "--store", str(store), "-f", "json")
    assert code == 0 and json.loads(by_folder)["snapshot"]["path"] == str(local), err
    # The last check wins: a second one, as JSON, renders back the same.
    code, second, _ = _run(*args, "--format", "json")
    code, out, err = _run("report", str(local), "--store", str(store), "-f", "json")
    assert code == 0 and json.loads(out) == json.loads(second), err
    with pytest.raises(UsageError, match="no stored check for"):
        load_last_report(store, saved["root"] / "snapshots" / "two" / SEED.name)
