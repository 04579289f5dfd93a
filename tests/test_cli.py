"""The command line: help, version, error mapping, output, and real comparisons."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from snapverify import cli
from snapverify._version import __version__
from snapverify.cli import main
from snapverify.errors import (
    AddressRefused,
    InputError,
    IntegrityError,
    SnapverifyError,
    TryLater,
    Unverifiable,
    UsageError,
)
from snapverify.models import (
    CheckResult,
    Finding,
    FindingKind,
    Provenance,
    SnapshotInfo,
    Source,
    SourceKind,
    Verdict,
)

URL = "https://www.example.com/2012/05/27/police-fire-on-strikers-a1"

PARAGRAPHS = [
    "Police opened fire on striking oil workers in Zhanaozen on Friday, killing {n} people,"
    " according to officials who spoke on condition of anonymity.",
    "The government said the police had acted in self-defence and promised a full inquiry"
    " into the shooting, which took place on the central square.",
    "Witnesses described a very different scene, saying the workers were unarmed and that"
    " the police fired without warning into the crowd.",
    "The strike had lasted for seven months, with workers demanding higher wages and better"
    " conditions at the state-owned oil company.",
    "Opposition politicians called for an independent investigation and for the officers"
    " responsible to be brought to justice.",
]
TITLE = "Police fire on strikers"


def _markdown(n: int = 15) -> str:
    body = "\n\n".join(paragraph.format(n=n) for paragraph in PARAGRAPHS)
    return f"# {TITLE}\n\nBy Jane Doe\n\n{body}\n\nOriginal url: <{URL}>\n"


def _html(n: int = 15) -> str:
    body = "\n".join(f"<p>{paragraph.format(n=n)}</p>" for paragraph in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{TITLE} | Example News</title>
<link rel="canonical" href="{URL}"></head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/opinion">Opinion</a></nav>
<main><article>
<h1>{TITLE}</h1>
<p class="byline">By Jane Doe</p>
{body}
</article></main>
<aside class="sidebar"><h2>Most read</h2><ul><li><a href="/x">Something else entirely</a></li>
</ul></aside>
<footer>Copyright Example News. All rights reserved.</footer>
</body></html>
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def local(tmp_path: Path) -> Path:
    path = tmp_path / "article.md"
    path.write_text(_markdown(), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _quiet_logging() -> Iterator[None]:
    # -v changes the package logger's level; put it back after each test.
    logger = logging.getLogger("snapverify")
    level = logger.level
    yield
    logger.setLevel(level)


def _stderr_lines(result: Result) -> list[str]:
    return result.stderr.splitlines()


def _walk(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


# -- help and version ---------------------------------------------------------


def test_every_command_has_an_example(runner: CliRunner) -> None:
    commands = list(_walk(main))
    assert len(commands) >= 2
    for path, _command in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, path
        assert "snapverify " in result.output, path


def test_example_lines_are_kept(runner: CliRunner) -> None:
    result = runner.invoke(main, ["compare", "--help"])
    lines = [line.strip() for line in result.output.splitlines()]
    assert "snapverify compare article.md capture.html@20120527183000" in lines


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output
    assert result.output.startswith("snapverify")


def test_python_dash_m() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "snapverify", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert __version__ in completed.stdout


def test_usage_errors_exit_2(runner: CliRunner, local: Path) -> None:
    assert runner.invoke(main, ["compare"]).exit_code == 2
    assert runner.invoke(main, ["compare", str(local)]).exit_code == 2  # no SOURCE
    assert runner.invoke(main, ["compare", "--format", "pdf", "a", "b"]).exit_code == 2
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("pattern", ["(", "[a-", "*x", "a{2,1}"])
def test_invalid_ignore_regex(runner: CliRunner, local: Path, pattern: str) -> None:
    result = runner.invoke(main, ["compare", str(local), str(local), "--ignore", pattern])
    assert result.exit_code == 2
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("snapverify: error: invalid --ignore pattern")
    assert repr(pattern) in lines[0]
    assert result.stdout == ""


# -- error mapping, with a stand-in pipeline -----------------------------------


def _result(verdict: Verdict = Verdict.CHANGED, exit_code: int = 1) -> CheckResult:
    source = Source(id="file:b.html", kind=SourceKind.FILE, url="b.html", similarity=0.9)
    finding = Finding(
        kind=FindingKind.EDITED,
        substantive=True,
        detail='"15" → "16"',
        local_block=0,
        diff=(("equal", "killing"), ("delete", "15"), ("insert", "16"), ("equal", "people")),
        sources=("file:b.html",),
    )
    return CheckResult(
        snapshot=SnapshotInfo(path="a.md", url=URL, title="Tïtle", sha256="0" * 64),
        verdict=verdict,
        exit_code=exit_code,
        sources=(source,),
        findings=(finding,) if verdict is Verdict.CHANGED else (),
        provenance=Provenance(source="file:b.html", similarity=0.9),
    )


class _FakePipeline:
    """Stands in for snapverify.pipeline: records calls, returns or raises."""

    def __init__(self, outcome: CheckResult | BaseException) -> None:
        self.outcome = outcome
        self.calls: list[tuple[Any, ...]] = []

    def compare_files(
        self, local: Path, sources: Any, *, url: str | None = None, ignore: Any = ()
    ) -> CheckResult:
        logging.getLogger("snapverify.pipeline").info("comparing %s", local)
        self.calls.append((local, tuple(sources), url, tuple(ignore)))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> _FakePipeline:
    pipeline = _FakePipeline(_result())
    module = types.ModuleType("snapverify.pipeline")
    module.compare_files = pipeline.compare_files  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapverify.pipeline", module)
    return pipeline


def test_compare_passes_arguments_and_exits_with_the_verdict(
    runner: CliRunner, fake: _FakePipeline
) -> None:
    result = runner.invoke(
        main,
        ["compare", "a.md", "b.html@2012", "c.html", "--url", URL, "--ignore", "^Ad$"],
    )
    assert result.exit_code == 1, result.output
    assert fake.calls == [(Path("a.md"), ("b.html@2012", "c.html"), URL, ("^Ad$",))]
    assert "CHANGED" in result.stdout
    assert "killing [-15-]{+16+} people" in result.stdout
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


@pytest.mark.parametrize(("verdict", "code"), [(Verdict.UNCHANGED, 0), (Verdict.UNVERIFIABLE, 4)])
def test_exit_code_is_the_results(
    runner: CliRunner, fake: _FakePipeline, verdict: Verdict, code: int
) -> None:
    fake.outcome = _result(verdict, code)
    result = runner.invoke(main, ["compare", "a.md", "b.html", "--format", "json"])
    assert result.exit_code == code
    assert json.loads(result.stdout)["verdict"] == str(verdict)


def test_json_goes_to_stdout_alone(runner: CliRunner, fake: _FakePipeline) -> None:
    result = runner.invoke(main, ["-v", "compare", "a.md", "b.html", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["schema"] == "snapverify/check-v1"
    assert data["snapshot"]["title"] == "Tïtle"
    assert "comparing a.md" in result.stderr  # the log line went to stderr
    # The report carries the command that reproduces it, quoted for a shell.
    assert data["command"] == "snapverify -v compare a.md b.html --format json"


def test_the_command_in_a_report_is_quoted_for_a_shell(
    runner: CliRunner, fake: _FakePipeline
) -> None:
    result = runner.invoke(main, ["compare", "my copy.md", "b.html", "-f", "json"])
    assert json.loads(result.stdout)["command"] == "snapverify compare 'my copy.md' b.html -f json"


def test_verbose_after_the_command(runner: CliRunner, fake: _FakePipeline) -> None:
    result = runner.invoke(main, ["compare", "a.md", "b.html", "-f", "json", "-v"])
    json.loads(result.stdout)
    assert "comparing a.md" in result.stderr


def test_markdown_format(runner: CliRunner, fake: _FakePipeline) -> None:
    result = runner.invoke(main, ["compare", "a.md", "b.html", "--format", "markdown"])
    assert result.stdout.startswith("# snapverify report")
    assert "killing ~~15~~ **16** people" in result.stdout


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("a.md: empty file", url="a.md"), 2),
        (UsageError("bad --url"), 2),
        (AddressRefused("refused: http://10.0.0.1/", url="http://10.0.0.1/"), 3),
        (Unverifiable("no source could be compared"), 4),
        (IntegrityError("digest mismatch"), 5),
        (TryLater("another run holds the lock"), 75),
        (SnapverifyError("generic"), 2),
    ],
)
def test_errors_are_one_line_and_their_exit_code(
    runner: CliRunner, fake: _FakePipeline, error: SnapverifyError, code: int
) -> None:
    fake.outcome = error
    result = runner.invoke(main, ["compare", "a.md", "b.html"])
    assert result.exit_code == code
    assert _stderr_lines(result) == [f"snapverify: error: {error.message}"]
    assert result.stdout == ""


def test_error_names_its_url_and_retry(runner: CliRunner, fake: _FakePipeline) -> None:
    fake.outcome = TryLater("rate-limited\nby the archive", url="https://x.org/", retry_after=60)
    result = runner.invoke(main, ["compare", "a.md", "b.html"])
    assert result.exit_code == 75
    assert _stderr_lines(result) == [
        "snapverify: error: https://x.org/: rate-limited by the archive (try again in 60 s)"
    ]


def test_unexpected_error_is_an_internal_error(runner: CliRunner, fake: _FakePipeline) -> None:
    fake.outcome = RuntimeError("boom\nsecond line")
    result = runner.invoke(main, ["compare", "a.md", "b.html"])
    assert result.exit_code == 70
    assert _stderr_lines(result) == ["snapverify: internal error: RuntimeError: boom second line"]

    verbose = runner.invoke(main, ["-v", "compare", "a.md", "b.html"])
    assert verbose.exit_code == 70
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("snapverify: internal error:")


def test_unreadable_file_error_is_exit_2(runner: CliRunner, fake: _FakePipeline) -> None:
    fake.outcome = PermissionError(13, "Permission denied", "secret.html")
    result = runner.invoke(main, ["compare", "a.md", "secret.html"])
    assert result.exit_code == 2
    assert _stderr_lines(result) == ["snapverify: error: secret.html: Permission denied"]


# -- --output -------------------------------------------------------------------


def test_output_file(runner: CliRunner, fake: _FakePipeline, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    result = runner.invoke(main, ["compare", "a.md", "b.html", "-f", "json", "-o", str(target)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["verdict"] == "changed"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]  # no temp left


def test_output_terminal_format_has_no_colour(
    runner: CliRunner, fake: _FakePipeline, tmp_path: Path
) -> None:
    target = tmp_path / "report.txt"
    result = runner.invoke(main, ["compare", "a.md", "b.html", "--output", str(target)])
    assert result.exit_code == 1
    text = target.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert "[-15-]{+16+}" in text


def test_output_is_not_half_written(
    runner: CliRunner, fake: _FakePipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    result = runner.invoke(main, ["compare", "a.md", "b.html", "-f", "json", "-o", str(target)])
    assert result.exit_code == 5  # a full disk is a storage failure, not bad input
    assert _stderr_lines(result) == [f"snapverify: error: no space left on device: {target}"]
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]


def test_output_into_missing_folder(runner: CliRunner, fake: _FakePipeline, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.json"
    result = runner.invoke(main, ["compare", "a.md", "b.html", "-o", str(target)])
    assert result.exit_code == 2
    lines = _stderr_lines(result)
    assert len(lines) == 1 and str(target) in lines[0]


def test_output_keeps_an_existing_files_mode(
    runner: CliRunner, fake: _FakePipeline, tmp_path: Path
) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    runner.invoke(main, ["compare", "a.md", "b.html", "-f", "markdown", "-o", str(target)])
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    ("env", "isatty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], isatty: bool, expected: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stdout:
        def isatty(self) -> bool:
            return isatty

    monkeypatch.setattr(sys, "stdout", Stdout())
    assert cli._use_color() is expected


# -- real comparisons (snapverify.pipeline.compare_files) ------------------------


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 20, "binary")],
)
def test_bad_local_copy(runner: CliRunner, tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / f"{what}.md"
    path.write_bytes(content)
    source = tmp_path / "page.html"
    source.write_text(_html(), encoding="utf-8")
    result = runner.invoke(main, ["compare", str(path), str(source)])
    assert result.exit_code == 2, result.output
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("snapverify: error: ")
    assert str(path) in lines[0]
    assert result.stdout == ""


def test_missing_local_copy(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    source = tmp_path / "page.html"
    source.write_text(_html(), encoding="utf-8")
    result = runner.invoke(main, ["compare", str(missing), str(source)])
    assert result.exit_code == 2
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert str(missing) in lines[0]


def test_missing_source(runner: CliRunner, local: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone.html"
    result = runner.invoke(main, ["compare", str(local), f"{missing}@20120527"])
    assert result.exit_code == 2
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines
    assert str(missing) in lines[0]


def test_compare_unchanged(runner: CliRunner, local: Path, tmp_path: Path) -> None:
    source = tmp_path / "capture.html"
    source.write_text(_html(), encoding="utf-8")
    result = runner.invoke(
        main, ["compare", str(local), f"{source}@20120527183000", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "unchanged"
    assert data["exit_code"] == 0
    assert data["snapshot"]["url"] == URL
    assert [finding for finding in data["findings"] if finding["substantive"]] == []
    [src] = data["sources"]
    assert src["kind"] == "file"
    assert src["id"].startswith("file:")
    assert src["timestamp"] == "20120527183000"
    assert data["provenance"]["source"] == src["id"]
    assert data["provenance"]["similarity"] > 0.9


def test_compare_changed(runner: CliRunner, local: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.html"
    old.write_text(_html(15), encoding="utf-8")
    new = tmp_path / "new.html"
    new.write_text(_html(16), encoding="utf-8")
    args = ["compare", str(local), f"{new}@20240101", f"{old}@20120527"]

    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "changed"
    timestamps = {source["timestamp"] for source in data["sources"]}
    assert timestamps == {"20240101000000", "20120527000000"}
    edited = [finding for finding in data["findings"] if finding["kind"] == "edited"]
    assert len(edited) == 1
    [finding] = edited
    assert finding["substantive"] is True
    assert isinstance(finding["local_block"], int)
    assert len(finding["sources"]) == 1 and finding["first_seen"] == "20240101000000"
    ops = {op: text for op, text in finding["diff"] if op != "equal"}
    assert "15" in ops["delete"] and "16" in ops["insert"]

    terminal = runner.invoke(main, args)
    assert terminal.exit_code == 1
    assert "CHANGED" in terminal.stdout
    assert "[-15-]{+16+}" in terminal.stdout

    markdown = runner.invoke(main, [*args, "--format", "markdown"])
    assert "~~15~~ **16**" in markdown.stdout


def test_compare_ignore(runner: CliRunner, local: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.html"
    new.write_text(_html(16), encoding="utf-8")
    result = runner.invoke(
        main,
        ["compare", str(local), str(new), "--ignore", r"Police opened fire.*", "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "unchanged"
