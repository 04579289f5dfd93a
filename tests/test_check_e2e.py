"""`snapverify check` end to end: a real pywb and a real origin server on 127.0.0.1.

The Moscow Times set (tests/fixtures/e2e/README.md) is served by pywb from a WARC the
harness writes; the live page by a loopback origin. Every assertion is about what a
user sees: the JSON report, the exit code, and what reached the servers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from captures import MT, MT_OLD_URL, MT_URL, RealdataSet
from servers import OriginServer, PywbServer
from snapverify.cli import main
from support import FIXTURES, run_cli, seed_snapshot

MT_FIXTURES = FIXTURES  # tests/fixtures/moscowtimes


def _check(*args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli("check", "--allow-private-addresses", "--format", "json", *args)
    assert out.strip(), f"no report on stdout (exit {code}): {err}"
    return code, json.loads(out), err


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {source["id"]: source for source in report["sources"]}


def _substantive(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["substantive"]]


def test_the_seed_against_a_real_pywb(tmp_path: Path, pywb_mt: PywbServer) -> None:
    local = seed_snapshot(tmp_path)
    mark = pywb_mt.mark()
    code, report, _err = _check(str(local), "--archive", pywb_mt.base, "--no-live")

    assert code == 1 and report["exit_code"] == 1 and report["verdict"] == "changed"
    assert report["schema"] == "snapverify/check-v1"
    assert report["snapshot"]["url"] == MT_URL
    sources = _by_id(report)
    assert set(sources) == {f"mt:{ts}" for ts in MT.article()}
    for ts in (MT.original, MT.boilerplate, MT.duplicate):
        assert sources[f"mt:{ts}"]["similarity"] == pytest.approx(1.0)
        assert sources[f"mt:{ts}"]["outcome"] == "ok"
    # The duplicate shares the original's digest and payload.
    assert sources[f"mt:{MT.duplicate}"]["digest"] == sources[f"mt:{MT.original}"]["digest"]
    assert sources[f"mt:{MT.duplicate}"]["sha256"] == sources[f"mt:{MT.original}"]["sha256"]
    blocked = sources[f"mt:{MT.blocked}"]
    assert (blocked["outcome"], blocked["status"], blocked["similarity"]) == (
        "archived_error",
        403,
        None,
    )
    assert report["provenance"] == {"source": f"mt:{MT.original}", "similarity": 1.0}

    found = {(f["kind"], f["local_block"], f["insert_after"]): f for f in _substantive(report)}
    assert set(found) == {
        ("edited", 3, None),
        ("edited", 6, None),
        ("missing", 7, None),
        ("added", None, 4),
        ("added", None, 12),
    }
    assert ["delete", "15"] in found["edited", 3, None]["diff"]
    assert ["insert", "16"] in found["edited", 3, None]["diff"]
    for key in (("edited", 3, None), ("edited", 6, None)):
        assert (found[key]["first_seen"], found[key]["last_seen"]) == (MT.edited, MT.latest)
        assert set(found[key]["sources"]) == {
            f"mt:{MT.edited}",
            f"mt:{MT.removed_added}",
            f"mt:{MT.latest}",
        }
    for key in (("missing", 7, None), ("added", None, 4), ("added", None, 12)):
        assert (found[key]["first_seen"], found[key]["last_seen"]) == (MT.removed_added, MT.latest)
    assert "Correction" in found["added", None, 12]["remote_text"]
    assert all(f"mt:{MT.blocked}" not in f["sources"] for f in report["findings"])

    # Each distinct digest fetched once: the duplicate capture was never asked for.
    fetches = pywb_mt.capture_fetches(url=MT_URL, since=mark)
    assert MT.duplicate not in fetches
    assert all(count == 1 for count in fetches.values()), fetches
    assert set(fetches) == set(MT.article()) - {MT.duplicate}

    # A second check, in a fresh process, fetches no capture again (the cache on disk).
    mark = pywb_mt.mark()
    env = {k: v for k, v in os.environ.items() if k != "SNAPVERIFY_ALLOW_PRIVATE"}
    again = subprocess.run(
        [sys.executable, "-m", "snapverify", "check", str(local), "--archive", pywb_mt.base]
        + ["--no-live", "--allow-private-addresses", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert again.returncode == 1, again.stderr
    second = json.loads(again.stdout)
    assert pywb_mt.capture_fetches(url=MT_URL, since=mark) == {}
    assert len(pywb_mt.cdx_queries(since=mark)) == 1
    # The same findings; the history marks them ongoing the second time.
    assert [f["change"] for f in report["findings"]] == ["new"] * len(report["findings"])
    assert [f["change"] for f in second["findings"]] == ["ongoing"] * len(second["findings"])
    unmarked = [{**f, "change": None} for f in second["findings"]]
    assert unmarked == [{**f, "change": None} for f in report["findings"]]
    assert [s["sha256"] for s in second["sources"]] == [s["sha256"] for s in report["sources"]]


def test_max_captures_and_time_bounds(tmp_path: Path, pywb_mt: PywbServer) -> None:
    local = seed_snapshot(tmp_path)
    args = (str(local), "--archive", pywb_mt.base, "--no-live")
    _code, report, _ = _check(*args, "--max-captures", "3")
    article = MT.article()
    assert [s["id"] for s in report["sources"]] == [
        f"mt:{article[0]}",
        f"mt:{article[len(article) // 2]}",
        f"mt:{article[-1]}",
    ]
    code, report, _ = _check(*args, "--to", MT.boilerplate[:10])
    assert code == 0 and report["verdict"] == "unchanged"
    assert [s["id"] for s in report["sources"]] == [f"mt:{MT.original}", f"mt:{MT.boilerplate}"]
    code, report, _ = _check(*args, "--from", "2030")
    assert code == 4 and report["sources"][0]["outcome"] == "not_archived"


def test_redirect_captures_are_followed_only_within_a_day(
    tmp_path: Path, pywb_mt: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    code, report, _ = _check(
        str(local), "--url", MT_OLD_URL, "--archive", pywb_mt.base, "--no-live"
    )
    sources = _by_id(report)
    near, far = sources[f"mt:{MT.redirect_near}"], sources[f"mt:{MT.redirect_far}"]
    assert near["outcome"] == "redirected"
    assert near["similarity"] == pytest.approx(0.84, abs=0.02)
    assert far["outcome"] == "error" and far["similarity"] is None
    assert "24" in (far["note"] or "") or "day" in (far["note"] or "")
    assert code == 1


@pytest.fixture
def live_site(origin: OriginServer) -> Callable[[str], str]:
    """Serve the Moscow Times article at an origin path; returns the article's URL."""
    body = (MT_FIXTURES / "capture-original.html").read_bytes()

    def serve(kind: str) -> str:
        article = origin.page("/2012/05/27/kazakh-massacre-cover-up-a15040", body)
        if kind == "ok":
            return article
        if kind == "redirected":
            return origin.redirect("/old/459295.html", article)
        if kind == "redirect_to_root":
            origin.page("/", "<html><body><h1>Front page</h1></body></html>")
            return origin.redirect("/old/1.html", "/")
        if kind == "not_found":
            return origin.not_found("/missing")
        if kind == "gone":
            return origin.gone("/gone")
        if kind == "soft_404":
            return origin.soft_404("/soft")
        if kind == "blocked":
            botwall = (FIXTURES.parent / "e2e" / "botwall-403.html").read_bytes()
            return origin.route("/walled", botwall, status=403)
        if kind == "unreachable":
            return origin.drip("/drip", body)
        raise AssertionError(kind)

    return serve


@pytest.mark.parametrize(
    ("kind", "exit_code", "compared"),
    [
        ("ok", 0, True),
        ("redirected", 0, True),
        ("redirect_to_root", 4, False),
        ("not_found", 4, False),
        ("gone", 4, False),
        ("soft_404", 4, False),
        ("blocked", 4, False),
        ("unreachable", 4, False),
    ],
)
def test_the_live_page_outcomes(
    tmp_path: Path,
    pywb_mt: PywbServer,
    live_site: Callable[[str], str],
    kind: str,
    exit_code: int,
    compared: bool,
) -> None:
    url = live_site(kind)
    local = seed_snapshot(tmp_path)
    # pywb has no capture of the loopback URL: the live page is the only source to compare.
    # --no-links: the article's own links point at the real web (tests/test_links_e2e.py
    # checks links against loopback targets).
    code, report, _ = _check(
        str(local), "--url", url, "--archive", pywb_mt.base, "--deadline", "1.5", "--no-links"
    )
    live = _by_id(report)["live"]
    assert live["outcome"] == kind
    assert (live["similarity"] is not None) is compared
    assert code == exit_code == report["exit_code"]
    assert _by_id(report)["mt"]["outcome"] == "not_archived"


def test_a_private_url_is_refused_without_a_connection(
    tmp_path: Path, origin: OriginServer
) -> None:
    url = origin.page("/article", "<p>hello</p>")
    local = seed_snapshot(tmp_path)
    env = {"SNAPVERIFY_ALLOW_PRIVATE": ""}
    result = CliRunner(env=env).invoke(main, ["check", str(local), "--url", url])
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert "\n" not in line and url in line and "127.0.0.1" in line
    assert origin.requests() == []


def test_the_real_page_set(
    tmp_path: Path, realdata: RealdataSet, pywb_realdata: PywbServer
) -> None:
    folder = tmp_path / "snapshots" / "politifact"
    folder.mkdir(parents=True)
    local = Path(shutil.copy(realdata.local_copy, folder / realdata.local_copy.name))
    code, report, _ = _check(str(local), "--archive", pywb_realdata.base, "--no-live")
    assert code == 1
    (finding,) = _substantive(report)
    assert finding["kind"] == "edited"
    assert finding["local_block"] == realdata.edit.paragraph
    deleted = [text for op, text in finding["diff"] if op == "delete"]
    inserted = [text for op, text in finding["diff"] if op == "insert"]
    assert deleted and all(text in realdata.edit.old for text in deleted)
    assert inserted and all(text in realdata.edit.new for text in inserted)
    assert (finding["first_seen"], finding["last_seen"]) == (
        realdata.edit.first_seen,
        realdata.edit.last_seen,
    )
    assert report["provenance"]["source"] == f"realdata:{realdata.ORIGINAL}"
    assert report["provenance"]["similarity"] == pytest.approx(1.0)


def test_several_snapshots_give_json_lines(tmp_path: Path, pywb_mt: PywbServer) -> None:
    seed_snapshot(tmp_path, "first")
    seed_snapshot(tmp_path, "second")
    code, out, _ = run_cli(
        "check",
        str(tmp_path / "snapshots"),
        "--archive",
        pywb_mt.base,
        "--allow-private-addresses",
        "--no-live",
        "--format",
        "json",
    )
    lines = out.strip().splitlines()
    assert len(lines) == 2
    reports = [json.loads(line) for line in lines]
    assert [Path(r["snapshot"]["path"]).parent.name for r in reports] == ["first", "second"]
    assert code == 1 and all(r["exit_code"] == 1 for r in reports)


def test_the_same_check_through_pywb_as_a_memento_archive(
    tmp_path: Path, pywb_mt: PywbServer
) -> None:
    local = seed_snapshot(tmp_path)
    code, by_cdx, _ = _check(str(local), "--archive", pywb_mt.base, "--no-live")
    timemap = f"memento:{pywb_mt.base}/timemap/link/"
    mark = pywb_mt.mark()
    code_memento, by_timemap, _ = _check(str(local), "--archive", timemap, "--no-live")
    assert code_memento == code == 1
    # Same captures, same findings; only the archive's name differs (the TimeMap's host).
    name = "127.0.0.1"
    assert [s["id"] for s in by_timemap["sources"]] == [
        s["id"].replace("mt:", f"{name}:") for s in by_cdx["sources"]
    ]
    # (The history marks the second check's findings ongoing: same fingerprints.)
    strip = [
        {k: v for k, v in f.items() if k not in ("sources", "change")} for f in by_cdx["findings"]
    ]
    assert [
        {k: v for k, v in f.items() if k not in ("sources", "change")}
        for f in by_timemap["findings"]
    ] == strip
    # A TimeMap has no digests: every capture is fetched (once), raw, never the banner view.
    fetches = pywb_mt.capture_fetches(url=MT_URL, since=mark)
    assert set(fetches) == set(MT.article()) and set(fetches.values()) == {1}
    assert not any("mp_/" in r.path for r in pywb_mt.requests(since=mark))
    mark = pywb_mt.mark()
    _check(str(local), "--archive", timemap, "--no-live")
    assert pywb_mt.capture_fetches(url=MT_URL, since=mark) == {}


def test_markdown_and_terminal_reports_of_a_check(tmp_path: Path, pywb_mt: PywbServer) -> None:
    local = seed_snapshot(tmp_path)
    args = ["check", str(local), "--archive", pywb_mt.base, "--no-live"]
    args += ["--allow-private-addresses"]
    code, markdown, _ = run_cli(*args, "--format", "markdown")
    assert code == 1
    assert "**Verdict:** changed" in markdown
    assert f"**Closest source:** mt:{MT.original}" in markdown
    # The timeline links each capture to its human playback URL, in time order.
    rows = [line for line in markdown.splitlines() if line.startswith("| 20")]
    assert [row.split(" | ")[1] for row in rows] == [
        f"[mt:{ts}]({pywb_mt.base}/{ts}/{MT_URL})" for ts in MT.article()
    ]
    assert "~~15~~ **16**" in markdown
    assert "first seen 2012-05-29 12:00:00" in markdown
    report = tmp_path / "report.txt"
    code, out, _ = run_cli(*args, "--output", str(report))
    assert code == 1 and out == ""
    text = report.read_text("utf-8")
    # The two cosmetic findings are the seed's lost link targets (never substantive).
    assert text.startswith("CHANGED: 5 substantive changes, 2 lost link targets (exit 1)")
    assert f"mt:{MT.blocked}" in text and "archived_error (403)" in text
