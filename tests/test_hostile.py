"""One hostile listing, page or local copy never sinks a run (issue 12, "per snapshot,
per source").

What is wrong becomes that source's ``error`` outcome, with a one-line note, or that
snapshot's exit 2 (5 for damaged stored data); every other archive and snapshot is still
checked and reported. The end-to-end cases run real servers on 127.0.0.1: pywb for the
good archive, a loopback origin playing the hostile archive or page.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from captures import MT_URL
from servers import OriginServer, PywbServer
from snapverify.errors import AddressRefused
from snapverify.fetch.archives import MementoArchive, PywbArchive
from snapverify.fetch.cdx import entries_from_rows, parse_cdx, parse_timemap_link
from snapverify.fetch.http import HttpClient
from snapverify.fetch.policy import AddressPolicy
from snapverify.snapshot import read_local_copy
from snapverify.text.extract import extract
from support import FakeClock, run_cli, seed_snapshot

HEADER = '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"]'
ROW = '["k","20120527100000","{url}","text/html","{status}","-","{length}"]'
GOOD_ROW = ROW.format(url="https://example.org/a", status="200", length="1")
HUGE = "9" * 5000  # int() refuses more than 4,300 digits
NESTED_CDX = "[" * 1000
IPV6_CDX = f"{HEADER},\n{ROW.format(url='http://[::1/x', status='200', length='1')}]"
STATUS_CDX = f"{HEADER},\n{ROW.format(url='https://example.org/a', status=HUGE, length='1')}]"
LENGTH_CDX = f"{HEADER},\n{ROW.format(url='https://example.org/a', status='200', length=HUGE)}]"
BAD_TIMEMAP = (
    '<http://[::1/x>; rel="memento"; datetime="Sun, 27 May 2012 10:00:00 GMT",\n'
    '<http://example.org/m>; rel="memento"; datetime="Fri, 31 Dec 9999 23:59:59 -0100"\n'
)
HOSTILE_CDX = {"nested": NESTED_CDX, "ipv6-url": IPV6_CDX, "huge-status": STATUS_CDX}


def nested_json_ld(html: bytes, depth: int = 1000) -> bytes:
    """``html`` with two JSON-LD blocks nested ``depth`` levels (a list, an author)."""
    deep = "[" * depth + "{}" + "]" * depth
    author = '{"@type":"NewsArticle","author":' + "[" * depth + '"X"' + "]" * depth + "}"
    scripts = "".join(
        f'<script type="application/ld+json">{block}</script>' for block in (deep, author)
    )
    assert b"<head>" in html
    return html.replace(b"<head>", b"<head>" + scripts.encode("ascii"), 1)


def _check(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = run_cli("check", "--allow-private-addresses", "--format", "json", *args)
    assert out.strip(), f"no report on stdout (exit {code}): {err}"
    try:
        reports = [json.loads(out)]  # one snapshot: one object
    except ValueError:
        reports = [json.loads(line) for line in out.strip().splitlines()]  # JSON Lines
    return code, reports, err


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {source["id"]: source for source in report["sources"]}


# -- the parsers: hostile text is skipped with a warning, never raised -----------------


@pytest.mark.parametrize(
    "text", [NESTED_CDX, "{" * 1000, '{"a":' + "[" * 5000, IPV6_CDX, STATUS_CDX]
)
def test_a_hostile_cdx_answer_reads_as_no_entries_with_warnings(text: str) -> None:
    rows, _key, warnings = parse_cdx(text)
    entries, problems = entries_from_rows(rows)
    assert entries == []
    assert warnings or problems
    assert all("\n" not in line and len(line) < 300 for line in [*warnings, *problems])


def test_a_length_of_thousands_of_digits_is_no_length() -> None:
    (entry,), problems = entries_from_rows(parse_cdx(LENGTH_CDX)[0])
    assert (entry.status, entry.length, problems) == (200, None, [])


@pytest.mark.parametrize(
    "first", ["<html><body>Service unavailable</body></html>", "{oops", "[oops", "error"]
)
def test_a_listing_whose_first_line_is_garbage_still_reads_its_rows(first: str) -> None:
    text = f"{first}\n{HEADER},\n{GOOD_ROW}]\n"
    entries, _ = entries_from_rows(parse_cdx(text)[0])
    assert [(e.timestamp, e.original, e.status) for e in entries] == [
        ("20120527100000", "https://example.org/a", 200)
    ]


def test_a_timemap_with_unreadable_mementos_skips_them() -> None:
    warnings: list[str] = []
    good = '<http://example.org/ok>; rel="memento"; datetime="Sun, 27 May 2012 10:00:00 GMT"'
    found = parse_timemap_link(f"{BAD_TIMEMAP},\n{good}", base="http://a/", warnings=warnings)
    assert found == [("http://example.org/ok", "20120527100000")]
    assert len(warnings) == 2 and "http://[::1/x" in warnings[0]


# -- the archives: a listing with nothing readable is an error, not "not archived" -----


async def _resolve(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]  # public; MockTransport never connects


def _listing(archive: Any, body: str) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body.encode("utf-8"))

    async def main() -> Any:
        clock = FakeClock()
        async with HttpClient(
            policy=AddressPolicy(resolver=_resolve),
            transport=httpx.MockTransport(handler),
            rates={},
            clock=clock,
            sleep=clock.sleep,
        ) as client:
            return await archive.list_captures("https://example.org/a", client=client)

    return asyncio.run(main())


@pytest.mark.parametrize("body", [*HOSTILE_CDX.values(), "<html>Internal error</html>"])
def test_a_cdx_listing_with_nothing_readable_is_an_error(body: str) -> None:
    listing = _listing(PywbArchive("https://archive.example/coll"), body)
    assert (listing.outcome, listing.captures) == ("error", ())
    assert listing.detail.startswith("the listing could not be read: ")
    assert "\n" not in listing.detail


@pytest.mark.parametrize("body", ["", "[]", f"{HEADER}]"])
def test_an_empty_cdx_listing_is_still_no_captures(body: str) -> None:
    listing = _listing(PywbArchive("https://archive.example/coll"), body)
    assert (listing.outcome, listing.captures) == ("ok", ())


@pytest.mark.parametrize("body", [BAD_TIMEMAP, "<html><body>Oops</body></html>"])
def test_a_timemap_with_nothing_readable_is_an_error(body: str) -> None:
    listing = _listing(MementoArchive("https://archive.example/timemap/link/"), body)
    assert (listing.outcome, listing.captures) == ("error", ())
    assert listing.detail.startswith("the listing could not be read: ")


# -- end to end: the hostile archive is one error source, the good one is compared -----


@pytest.mark.parametrize("name", sorted(HOSTILE_CDX))
def test_a_hostile_cdx_archive_is_one_error_and_the_other_archive_is_reported(
    name: str, tmp_path: Path, origin: OriginServer, pywb_mt: PywbServer
) -> None:
    origin.route("/bad/cdx", HOSTILE_CDX[name], content_type="application/json")
    local = seed_snapshot(tmp_path)
    code, (report,), err = _check(
        str(local), "--archive", origin.url("/bad"), "--archive", pywb_mt.base, "--no-live"
    )
    assert code == 1 and report["verdict"] == "changed", err
    sources = _by_id(report)
    assert sources["bad"]["outcome"] == "error"
    assert sources["bad"]["note"].startswith("the listing could not be read: ")
    compared = [s for s in report["sources"] if s["id"].startswith("mt:")]
    assert compared and any(s["outcome"] == "ok" for s in compared)
    assert "internal error" not in err


def test_a_hostile_timemap_is_one_error_and_the_other_archive_is_reported(
    tmp_path: Path, origin: OriginServer, pywb_mt: PywbServer
) -> None:
    origin.route(f"/tm/{MT_URL}", BAD_TIMEMAP, content_type="application/link-format")
    local = seed_snapshot(tmp_path)
    code, (report,), err = _check(
        str(local),
        "--archive",
        f"memento:{origin.url('/tm/')}",
        "--archive",
        pywb_mt.base,
        "--no-live",
    )
    assert code == 1, err
    sources = _by_id(report)
    assert sources["127.0.0.1"]["outcome"] == "error"
    assert "not a URL" in sources["127.0.0.1"]["note"]
    assert any(s["outcome"] == "ok" for k, s in sources.items() if k.startswith("mt:"))


def test_nested_json_ld_in_the_live_page_a_capture_and_the_local_copy(
    tmp_path: Path, mt_site: Any
) -> None:
    page = nested_json_ld(mt_site.body)
    path = "/2012/05/27/kazakh-massacre-cover-up-a15040"
    mt_site.origin.page(path, page)  # the live page
    # A second archive, played by the origin: one capture, the same hostile page.
    ts = "20120527100000"
    mt_site.origin.route(
        "/deep/cdx",
        f"{HEADER},\n" + ROW.format(url=mt_site.url, status="200", length="1") + "]",
        content_type="application/json",
    )
    mt_site.origin.route(
        f"/deep/{ts}id_/{mt_site.url}",
        page,
        headers=[("Memento-Datetime", "Sun, 27 May 2012 10:00:00 GMT")],
    )
    code, (report,), err = _check(
        str(mt_site.local), *mt_site.args, "--archive", mt_site.origin.url("/deep"), "--no-links"
    )
    assert code in (0, 1), err
    sources = _by_id(report)
    assert sources["live"]["outcome"] == "ok"
    assert sources[f"deep:{ts}"]["outcome"] == "ok"
    assert sources[f"deep:{ts}"]["similarity"] > 0.9
    # As a local copy: read, with the article's text.
    copy = mt_site.local.parent / "copy.html"
    copy.write_bytes(page)
    assert len(read_local_copy(copy, url=mt_site.url).document.blocks) > 5
    assert extract(page, url=mt_site.url).title


# -- local copies: a broken original URL is that snapshot's exit 2 ----------------------


def test_a_local_copy_whose_original_url_is_not_a_url_is_exit_2_and_the_others_run(
    tmp_path: Path, pywb_mt: PywbServer
) -> None:
    seed_snapshot(tmp_path, "good")
    bad = tmp_path / "snapshots" / "bad"
    bad.mkdir()
    (bad / "bad.txt").write_text(
        "Title\n\nA body paragraph that is long enough.\n\nOriginal url: http://[\n", "utf-8"
    )
    code, reports, err = _check(str(tmp_path / "snapshots"), "--archive", pywb_mt.base, "--no-live")
    by_folder = {Path(r["snapshot"]["path"]).parent.name: r for r in reports}
    assert by_folder["bad"]["exit_code"] == 2
    assert by_folder["good"]["exit_code"] == 1 and by_folder["good"]["sources"]
    assert code == 2
    (line,) = [ln for ln in err.splitlines() if "http://[" in ln]
    assert "is not a URL" in line and "bad.txt" in line


@pytest.mark.parametrize("where", ["footer", "snapshot.toml", "--url"])
def test_an_original_url_that_is_not_a_url_is_bad_input(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    footer = "\n\nOriginal url: http://[::1/x\n" if where == "footer" else "\n"
    local = folder / "copy.md"
    local.write_text(f"# Title\n\nA body paragraph that is long enough.{footer}", "utf-8")
    if where == "snapshot.toml":
        (folder / "snapshot.toml").write_text('url = "http://[::1/x"\n', "utf-8")
    extra = ["--url", "http://[::1/x"] if where == "--url" else []
    code, _out, err = run_cli("check", str(local), "--offline", *extra)
    assert code == 2, err
    assert "is not a URL" in err and "internal error" not in err


def test_an_idna_host_is_refused_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    local = folder / "copy.md"
    local.write_text(
        "# Title\n\nA body paragraph that is long enough.\n\nOriginal url: <http://①②⑦.0.0.1/>\n",
        "utf-8",
    )
    code, _out, err = run_cli("check", str(local), "--no-live", "--archive", "http://127.0.0.1:9/c")
    assert code == 3, err
    assert "unparseable URL" in err and "internal error" not in err
    with pytest.raises(AddressRefused):
        AddressPolicy().check_url("http://xn--orhcp.0.0.1/")


# -- a WARC with a malformed record header ---------------------------------------------

BAD_WARC = b"WARC/1.0\r\nWARC-Type: response\r\n\r\n\r\n\r\n"  # no Content-Length


def _stored_bad_warc(tmp_path: Path) -> tuple[Path, Path]:
    local = seed_snapshot(tmp_path)
    archive = local.parent / "archive"
    archive.mkdir()
    warc = archive / "bad.warc"
    warc.write_bytes(BAD_WARC)
    return local, warc


def test_verify_names_a_stored_warc_with_a_malformed_header(tmp_path: Path) -> None:
    local, warc = _stored_bad_warc(tmp_path)
    code, _out, err = run_cli("verify", str(local.parent))
    assert code == 5, err
    assert str(warc) in err and "internal error" not in err


def test_an_offline_check_names_a_stored_warc_with_a_malformed_header(tmp_path: Path) -> None:
    local, warc = _stored_bad_warc(tmp_path)
    code, _out, err = run_cli("check", str(local), "--offline")
    assert code == 5, err
    assert str(warc) in err and "internal error" not in err


def test_compare_with_a_given_warc_with_a_malformed_header_is_bad_input(tmp_path: Path) -> None:
    local = seed_snapshot(tmp_path)
    given = tmp_path / "given.warc"
    given.write_bytes(BAD_WARC)
    code, _out, err = run_cli("compare", str(local), str(given))
    assert code == 2, err
    assert str(given) in err and "internal error" not in err
    as_copy = tmp_path / "copy.warc"
    shutil.copy(given, as_copy)
    code, _out, err = run_cli("check", str(as_copy), "--offline")
    assert code == 2 and str(as_copy) in err, err
