"""Records benchmark: the check history (SQLite) and the HTML report, each beside a baseline.

Part 1 (history): record N checks of the Moscow Times report (the seed compared with the
bundled captures; every other check has the edits, so findings go new, resolved, new...)
into a real ``history.sqlite3`` (WAL, ``synchronous=FULL``, fsync per check), then read
every check and finding back. Baseline: what one keeps without a history, one JSON report
file per check written atomically (temp, fsync, rename), then every file read and parsed
back. Figures: time per check written, bytes on disk per check, time to read them all.

Part 2 (reports): render the same report as HTML, Markdown and terminal text (median of
many), then a large synthetic report (300 sources, 500 edited findings) as HTML and
Markdown. The Markdown report is the baseline of the HTML one: the same content without
the timeline, the side-by-side passages and the escaping into markup.

Run by hand from the repository root (it writes only to a temporary folder)::

    python benchmarks/records.py [--checks 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from snapverify.models import (  # noqa: E402
    CheckResult,
    Finding,
    FindingKind,
    Source,
    SourceKind,
    Verdict,
)
from snapverify.pipeline import compare_files  # noqa: E402
from snapverify.report.html import render_html  # noqa: E402
from snapverify.report.json import render_json  # noqa: E402
from snapverify.report.markdown import render_markdown  # noqa: E402
from snapverify.report.terminal import render_terminal  # noqa: E402
from snapverify.store.atomic import write_atomic  # noqa: E402
from snapverify.store.history import History  # noqa: E402

SEED = (
    ROOT / "snapshots/themoscowtimes-2012-05-27-kazakh-massacre-cover-up/000_f88a3d9426c2e04a.txt"
)
FIXTURES = ROOT / "tests/fixtures/moscowtimes"


def moscow_times_report() -> CheckResult:
    """The seed against the bundled captures: 5 substantive findings, 4 sources."""
    sources = [
        f"{FIXTURES / 'capture-original.html'}@20120528010203",
        f"{FIXTURES / 'capture-edited.html'}@20130115000000",
        f"{FIXTURES / 'capture-removed-added.html'}@20150601000000",
    ]
    return compare_files(SEED, sources)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def history_part(report: CheckResult, checks: int) -> None:
    plain = dataclasses.replace(report, findings=(), verdict=Verdict.UNCHANGED, exit_code=0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        # snapverify: one SQLite history per store.
        store = Path(scratch) / "snapshots" / ".snapverify"
        store.mkdir(parents=True)
        snapshot = dataclasses.replace(
            report.snapshot, path=str(Path(scratch) / "snapshots" / "mt" / "copy.txt")
        )
        began = time.perf_counter()
        with History.open(store) as history:
            for i in range(checks):
                result = report if i % 2 == 0 else plain
                when = start + timedelta(hours=6 * i)
                history.record_check(
                    dataclasses.replace(result, snapshot=snapshot, checked_at=when)
                )
        write = (time.perf_counter() - began) / checks
        disk = _size(store) / checks
        began = time.perf_counter()
        with History.open(store) as history:
            key = history.key(Path(snapshot.path))
            read_checks = len(history.checks(key))
            spans = len(history.findings(key))
        read = time.perf_counter() - began
        rows.append(
            ("snapverify history", write, disk, read, f"{read_checks} checks, {spans} findings")
        )

        # Baseline: a JSON report file per check, written atomically.
        folder = Path(scratch) / "reports"
        folder.mkdir()
        began = time.perf_counter()
        for i in range(checks):
            result = report if i % 2 == 0 else plain
            when = start + timedelta(hours=6 * i)
            text = render_json(dataclasses.replace(result, checked_at=when))
            write_atomic(folder / f"{when:%Y%m%d%H%M%S}.json", text.encode("utf-8"))
        write = (time.perf_counter() - began) / checks
        disk = _size(folder) / checks
        began = time.perf_counter()
        loaded = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
        findings = sum(len(data["findings"]) for data in loaded)
        read = time.perf_counter() - began
        rows.append(
            (
                "JSON file per check",
                write,
                disk,
                read,
                f"{len(loaded)} reports, {findings} findings (no new/ongoing/resolved)",
            )
        )

    print(f"History: {checks} checks of the Moscow Times report (fsync per check)\n")
    print("| store | write per check | disk per check | read all back | what reading gives |")
    print("|---|---|---|---|---|")
    for name, write, disk, read, note in rows:
        figures = f"{write * 1000:.1f} ms | {disk / 1024:.1f} KB | {read * 1000:.0f} ms"
        print(f"| {name} | {figures} | {note} |")
    print()


def _median(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def large_report(report: CheckResult, sources: int, findings: int) -> CheckResult:
    """``report`` grown to many sources and edited findings (120-word passages)."""
    words = " ".join(f"word{i}" for i in range(120))
    start = datetime(2012, 1, 1, tzinfo=UTC)
    stamps = [start + timedelta(days=i) for i in range(sources)]
    many = tuple(
        Source(
            id=f"wayback:{when:%Y%m%d%H%M%S}",
            kind=SourceKind.ARCHIVE,
            url=f"https://web.archive.org/web/{when:%Y%m%d%H%M%S}id_/{report.snapshot.url}",
            timestamp=when,
            status=200,
            similarity=0.9,
        )
        for when in stamps
    )
    ids = tuple(s.id for s in many)
    edits = tuple(
        Finding(
            kind=FindingKind.EDITED,
            substantive=True,
            detail=f'"{i}" → "{i + 1}"',
            local_block=i,
            local_text=f"{words} {i}",
            remote_text=f"{words} {i + 1}",
            diff=(("equal", words), ("delete", str(i)), ("insert", str(i + 1))),
            sources=ids,
            first_seen=many[0].timestamp,
            last_seen=many[-1].timestamp,
        )
        for i in range(findings)
    )
    return dataclasses.replace(report, sources=many, findings=edits)


def report_part(report: CheckResult) -> None:
    big = large_report(report, 300, 500)
    renderers: list[tuple[str, Callable[[Sequence[CheckResult]], str]]] = [
        ("HTML", render_html),
        ("Markdown (baseline)", render_markdown),
        ("terminal", lambda results: render_terminal(results, color=False)),
    ]
    print("Reports: the Moscow Times report (4 sources, 5 findings) and a large one")
    print("(300 sources, 500 edited findings of 120 words)\n")
    print("| format | Moscow Times: time | size | large: time | size |")
    print("|---|---|---|---|---|")
    for name, render in renderers:
        small = _median(functools.partial(render, [report]), 200)
        large = _median(functools.partial(render, [big]), 3)
        print(
            f"| {name} | {small * 1000:.2f} ms | {len(render([report]).encode()) / 1024:.0f} KB"
            f" | {large:.2f} s | {len(render([big]).encode()) / 1024 / 1024:.1f} MB |"
        )
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=200, help="checks recorded (default 200)")
    args = parser.parse_args(argv)
    report = moscow_times_report()
    history_part(report, args.checks)
    report_part(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
