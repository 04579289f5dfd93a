"""What a user reads: reports that are not on a terminal are never hard-wrapped, each
command offers only the formats it renders, and stderr holds one line per problem."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from snapverify.models import (
    CheckResult,
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
from snapverify.report.terminal import render_terminal
from support import run_cli

WHEN = datetime(2012, 5, 27, 18, 30, tzinfo=UTC)
LONG_URL = "https://example.org/" + "/".join(f"section-{n:03d}" for n in range(25)) + "?q=1"
LONG_ID = "file:" + "a-very-long-capture-file-name-" * 3 + "2012.html"
ARTICLE = (
    "# Title\n\nPolice opened fire on striking oil workers in the town of Zhanaozen, "
    "killing at least sixteen people, the prosecutor said.\n\n"
    "Original url: <https://e.org/a>\n"
)


def _result() -> CheckResult:
    passage = " ".join(["word"] * 50)  # 250 characters: under the passage limit
    return CheckResult(
        snapshot=SnapshotInfo(path="copy.md", url=LONG_URL, title="T", sha256="0" * 64),
        verdict=Verdict.CHANGED,
        exit_code=1,
        sources=(
            Source(id="live", kind=SourceKind.LIVE, url=LONG_URL, timestamp=WHEN),
            Source(id=LONG_ID, kind=SourceKind.FILE, url=LONG_URL, similarity=0.5),
        ),
        findings=(
            Finding(
                kind=FindingKind.MISSING,
                substantive=True,
                detail="passage no longer present",
                local_block=1,
                local_text=passage,
            ),
            Finding(
                kind=FindingKind.LINK_ROT,
                substantive=True,
                detail="the article's URL is gone",
                url=LONG_URL,
                outcome=Outcome.NOT_FOUND,
                status=404,
                archive_url=f"https://web.archive.org/web/2012/{LONG_URL}",
            ),
        ),
        provenance=Provenance(source=LONG_ID, similarity=0.5),
        links=(
            LinkCheck(
                text="a link",
                url=LONG_URL,
                outcome=Outcome.NOT_FOUND,
                status=404,
                archive_url=f"https://web.archive.org/web/2012/{LONG_URL}",
            ),
        ),
    )


# -- no hard wrapping off a terminal --------------------------------------------------


@pytest.mark.parametrize("color", [False, True])
def test_an_unwrapped_report_keeps_every_line_whole(color: bool) -> None:
    out = re.sub(r"\x1b\[[0-9;]*m", "", render_terminal([_result()] * 2, color=color, width=None))
    lines = out.splitlines()
    assert len(LONG_URL) > 300
    # The URL, whole, on the url line, in the link table, in the link finding.
    assert f"url: {LONG_URL}\n" in out
    assert sum(LONG_URL in line for line in lines) == 2 * 5
    assert f"archived: https://web.archive.org/web/2012/{LONG_URL}" in out
    assert f"archived copy: https://web.archive.org/web/2012/{LONG_URL}" in out
    assert f"link_rot · {LONG_URL}" in out
    passage = next(line for line in lines if "local copy: word" in line)
    assert passage.count("word") == 50
    # The rule between two reports stays short; no line is padded with spaces.
    assert max(len(line) for line in lines) < 1000
    assert all(line == line.rstrip(" ") for line in lines)


def test_a_given_width_still_wraps_for_a_terminal() -> None:
    out = render_terminal([_result()], color=False, width=60)
    assert max(len(line) for line in out.splitlines()) <= 60


def test_the_sources_table_fits_the_longest_id() -> None:
    out = render_terminal([_result()], color=False, width=None)
    header = next(line for line in out.splitlines() if line.startswith("time (UTC)"))
    row = next(line for line in out.splitlines() if line.startswith("unknown "))
    live = next(line for line in out.splitlines() if "  live  " in line)
    # The id is whole and the columns after it start where their headers do, in every row.
    assert len(LONG_ID) > 48
    after = row.index(LONG_ID) + len(LONG_ID)
    assert row.index("file", after) == live.index("live", 30) == header.index("kind")
    assert row.index("ok", after) == live.index("ok") == header.index("outcome")


def test_a_piped_compare_is_not_wrapped_at_the_terminal_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")  # what rich read before: a pipe got 60 columns
    local = tmp_path / "copy.md"
    local.write_text(ARTICLE)
    source = tmp_path / ("a-capture-with-a-long-file-name-" * 3 + ".md")
    source.write_text(ARTICLE.replace("sixteen", "fifteen"))
    code, out, _err = run_cli("compare", str(local), f"{source}@20120527183000")
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("2012-05-27 18:30:00"))
    assert f"file:{source}" in row or source.name in row
    assert re.search(r"  file +ok +0\.\d+$", row), row
    closest = next(line for line in out.splitlines() if line.startswith("closest source:"))
    assert "similarity" in closest and closest.rstrip()[-1].isdigit()


# -- each command offers only the formats it renders ------------------------------------


def _archived_snapshot(root: Path, name: str = "one", text: str = ARTICLE) -> Path:
    """A snapshot (local copy ``text``) with one archive run of ARTICLE (a real WARC and
    manifest), and its store."""
    from snapverify.store.runs import write_archive
    from snapverify.store.warc import CaptureRecord

    folder = root / "snapshots" / name
    folder.mkdir(parents=True)
    (root / "snapshots" / ".snapverify").mkdir(exist_ok=True)
    local = folder / "copy.md"
    local.write_text(text)
    capture = CaptureRecord(
        url="https://e.org/a",
        captured_at=WHEN,
        source_url="https://web.archive.org/web/20120527183000id_/https://e.org/a",
        content_type="text/html",
        payload=(
            "<html><body><h1>Title</h1><p>" + ARTICLE.split("\n\n")[1] + "</p></body></html>"
        ).encode(),
    )
    write_archive(
        folder / "archive",
        url="https://e.org/a",
        when=WHEN,
        captures=[capture],
        token=lambda: "00000000",
        info={"local-copy": local.name},
    )
    return local


def _offered(command: str) -> list[str]:
    """The --format choices ``snapverify COMMAND --help`` shows."""
    code, out, _err = run_cli(command, "--help")
    assert code == 0
    match = re.search(r"--format \[([a-z|]+)\]", out)
    assert match is not None, out
    return match[1].split("|")


def _runs(local: Path, saved: Path) -> dict[str, list[str]]:
    """A real invocation of every command that has --format (the format appended)."""
    capture = local.parent / "capture.md"
    capture.write_text(ARTICLE.replace("sixteen", "fifteen"))
    return {
        "compare": ["compare", str(local), str(capture)],
        "check": ["check", "--offline", str(local)],
        "report": ["report", str(saved)],
        "history": ["history", str(local)],
        "verify": ["verify", str(local.parent)],
        "archive": ["archive", "--no-live", str(local)],
    }


def _format_of(text: str) -> str:
    """Which format a command's stdout is in."""
    if text.startswith("<!DOCTYPE html>"):
        return "html"
    if text.startswith("# "):
        return "markdown"
    try:
        for line in [text] if text.lstrip().startswith("{\n") else text.splitlines():
            json.loads(line)
    except ValueError:
        return "terminal"
    return "json"


def test_each_command_offers_only_the_formats_it_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from snapverify.cli import main

    monkeypatch.chdir(tmp_path)
    local = _archived_snapshot(tmp_path)
    saved = tmp_path / "check.json"
    code, _out, err = run_cli("check", "--offline", str(local), "-f", "json", "-o", str(saved))
    assert code == 0, err
    runs = _runs(local, saved)
    with_format = sorted(
        name for name, cmd in main.commands.items() if any(p.name == "fmt" for p in cmd.params)
    )
    # evidence writes a new bundle each time (tests/test_evidence.py renders both formats)
    assert with_format == sorted([*runs, "evidence"])
    assert _offered("evidence") == ["terminal", "json"]
    rendered: dict[str, list[str]] = {}
    for name, args in runs.items():
        for fmt in _offered(name):
            code, out, err = run_cli(*args, "--format", fmt)
            assert code in (0, 1, 4), (name, fmt, err)
            assert _format_of(out) == fmt, (name, fmt, out[:200])
            rendered.setdefault(name, []).append(fmt)
    assert rendered["history"] == ["terminal", "json", "markdown"]
    assert rendered["verify"] == rendered["archive"] == ["terminal", "json"]
    assert rendered["check"] == ["terminal", "json", "markdown", "html"]


def test_a_format_a_command_cannot_render_is_refused_as_usage() -> None:
    code, _out, err = run_cli("verify", "--format", "html")
    assert code == 2
    assert "'html' is not one of 'terminal', 'json'" in err


# -- a failed webhook: one warning line ---------------------------------------------------


@pytest.mark.parametrize("answer", [500, None])
def test_a_failed_webhook_is_one_warning_line(tmp_path: Path, answer: int | None) -> None:
    from servers import WebhookServer, free_port

    edited = ARTICLE.replace("sixteen", "fifteen")
    for name in ("one", "two"):
        _archived_snapshot(tmp_path, name, edited)
    args = ["check", "--offline", str(tmp_path / "snapshots"), "--allow-private-addresses"]
    if answer is None:  # nothing listens there
        code, _out, err = run_cli(*args, "--notify", f"http://127.0.0.1:{free_port()}/hook")
    else:
        with WebhookServer(status=answer) as hook:
            code, _out, err = run_cli(*args, "--notify", hook.url)
        assert len(hook.received()) == 2  # both reports were sent
    assert code == 1  # the verdict's: a failed notification changes no exit code
    (line,) = err.splitlines()
    assert line.startswith("snapverify: warning: notification to http://127.0.0.1:")
    assert line.endswith("(2 of 2 reports)")
    # "answered 500", not "500" alone: a free port such as 35001 holds those digits too
    assert ("answered 500" in line) if answer else ("answered" not in line)


# -- warcio's warnings ------------------------------------------------------------------


def _odd_warc(path: Path) -> Path:
    """An uncompressed WARC whose resource record's Content-Length is 10 bytes short (warcio
    warns over three lines, quoting raw bytes), then a record whose target URI holds a
    space (warcio logs that it repaired it)."""
    body = (
        "<html><body><h1>Title</h1><p>" + ARTICLE.split("\n\n")[1] + "</p></body></html>"
    ).encode()

    def record(uri: str, number: int, length: int) -> bytes:
        return (
            "WARC/1.1\r\nWARC-Type: resource\r\n"
            f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000000{number}>\r\n"
            f"WARC-Target-URI: {uri}\r\nWARC-Date: 2012-05-27T18:30:00Z\r\n"
            f"Content-Type: text/html\r\nContent-Length: {length}\r\n\r\n"
        ).encode()

    path.write_bytes(
        record("https://e.org/a", 1, len(body) - 10) + body + b"\r\n\r\n"
        + record("https://e.org/other page", 2, len(body)) + body + b"\r\n\r\n"
    )  # fmt: skip
    return path


def _one_line_each(err: str) -> None:
    for line in err.splitlines():
        assert line.startswith("snapverify: "), err
    assert "Remainder" not in err and "b'" not in err and "\\r\\n" not in err


def test_warcio_warnings_never_reach_stderr_as_they_are(tmp_path: Path) -> None:
    local = tmp_path / "copy.md"
    local.write_text(ARTICLE)
    warc = _odd_warc(tmp_path / "capture.warc")
    code, _out, err = run_cli("compare", str(local), str(warc))
    assert code in (0, 1), err
    _one_line_each(err)
    assert err.count(str(warc)) == 1 and "Content-Length" in err  # said, once, in one line
    code, _out, err = run_cli("compare", str(warc), str(local))  # a WARC as the local copy
    assert code in (0, 1), err
    _one_line_each(err)
    code, _out, err = run_cli("verify", str(warc))
    assert code == 5
    _one_line_each(err)


def test_warcio_warnings_in_a_real_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    local = tmp_path / "copy.md"
    local.write_text(ARTICLE)
    warc = _odd_warc(tmp_path / "capture.warc")
    done = subprocess.run(
        [sys.executable, "-m", "snapverify", "compare", str(local), str(warc)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    _one_line_each(done.stderr)
    assert len(done.stderr.splitlines()) == 1


# -- watch's usage line; verify's messages ------------------------------------------------


def test_watch_usage_line_is_watchs_own() -> None:
    from click.testing import CliRunner

    from snapverify.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        done = CliRunner().invoke(main, list(args), prog_name="snapverify")
        return done.exit_code, done.stdout, done.stderr

    usage = "Usage: snapverify watch [OPTIONS] [CHECK ARGUMENTS]..."
    code, out, _err = run("watch", "--help")
    assert code == 0 and out.splitlines()[0] == usage
    for bad in (["--bogus"], ["--format", "nope"], ["--max-captures", "0"]):
        code, out, err = run("watch", "--times", "1", *bad)
        assert code == 2 and out == ""
        assert err.splitlines()[0] == usage, err
        assert "Try 'snapverify watch --help' for help." in err
        assert "check [OPTIONS]" not in err and "'snapverify check --help'" in err


def test_verify_prints_no_raw_bytes_and_each_path_once(tmp_path: Path) -> None:
    import os

    local = _archived_snapshot(tmp_path)
    archive = local.parent / "archive"
    odd = archive / os.fsdecode(b"\xff\xfe-odd.warc.gz")  # a name that is not UTF-8
    odd.write_bytes(b"\x1f\x8b\x08\x00garbage")
    manifest = archive / os.fsdecode(b"x\xff.manifest-sha256.txt")
    manifest.write_bytes(b"0" * 64 + b"  gone\x1b[2J.md\n")  # an escape sequence in a name
    database = tmp_path / "snapshots" / ".snapverify" / "history.sqlite3"
    database.write_bytes(b"not a database " * 100)
    for fmt in ("terminal", "json"):
        code, out, err = run_cli("verify", str(local.parent), "--format", fmt)
        assert code == 5, err
        for text in (out, err):
            assert not any("\udc80" <= c <= "\udcff" or c == "\x1b" for c in text)
            assert "b'" not in text
        assert "\\xff\\xfe-odd.warc.gz" in err and "gone\\x1b[2J.md: missing" in err
        lines = err.splitlines()
        assert len(lines) == 3, err  # the WARC, the manifest's entry, the history
        for line in lines:
            assert line.startswith("snapverify: error: ")
            assert line.count(str(tmp_path)) == 1, line  # each path said once
        if fmt == "json":
            problems = json.loads(out)["problems"]
            assert {p["path"].rsplit("/", 1)[-1] for p in problems} >= {
                "\\xff\\xfe-odd.warc.gz",
                "history.sqlite3",
            }
