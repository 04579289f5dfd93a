"""Archive listings: CDX (IA JSON and text, pywb NDJSON) and Memento TimeMaps.

The samples embedded here were written for these tests or produced by a local pywb
serving its own sample WARC; the real answers recorded from web.archive.org are read in
place from ``../shared/realdata`` (skipped with a reason when absent).
"""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from snapverify.fetch.cdx import (
    CdxEntry,
    entries_from_rows,
    parse_cdx,
    parse_cdx_json,
    parse_cdx_text,
    parse_http_datetime,
    parse_timemap_link,
    raw_memento_url,
    split_playback_url,
    timemap_original,
)
from support import REALDATA, realdata_missing

WAYBACK_HTTP = REALDATA / "01_wayback_http"
EDGI = WAYBACK_HTTP / "edgi_wayback"

realdata = pytest.mark.skipif(
    not WAYBACK_HTTP.is_dir(),
    reason=realdata_missing(WAYBACK_HTTP) or "",
)

# -- JSON ------------------------------------------------------------------------------

IA_JSON = """[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
["org,example)/a","20120527100000","https://example.org/a","text/html","200","AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","1200"],
["org,example)/a","20120528100000","https://example.org/a","warc/revisit","-","BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB","400"],
[],
["org%2Cexample%29%2Fa+20120528100001"]]"""

# A local pywb (sample WARC iana.warc.gz), `cdx?url=...&output=json`: NDJSON, pywb names.
PYWB_NDJSON = (
    '{"urlkey": "org,iana)/", "timestamp": "20140126200624", "url": "http://www.iana.org/",'
    ' "mime": "text/html", "status": "200", "digest": "OSSAPWJ23L56IYVRW3GFEAR4MCJMGPTB",'
    ' "length": "2258", "offset": "334", "filename": "iana.warc.gz",'
    ' "source": "c/indexes/index.cdxj", "source-coll": "c", "access": "allow"}\n'
    '{"urlkey": "org,iana)/_css/2013.1/fonts/inconsolata.otf", "timestamp": "20140126200912",'
    ' "url": "http://www.iana.org/_css/2013.1/fonts/Inconsolata.otf", "mime": "warc/revisit",'
    ' "digest": "LNMEDYOENSOEI5VPADCKL3CB6N3GWXPR", "length": "546", "offset": "667073",'
    ' "filename": "iana.warc.gz", "source": "c/indexes/index.cdxj", "source-coll": "c",'
    ' "access": "allow"}\n'
)


def test_ia_json_rows_and_resume_key() -> None:
    rows, key, warnings = parse_cdx_json(IA_JSON)
    assert key == "org%2Cexample%29%2Fa+20120528100001"
    assert warnings == []
    assert [row["timestamp"] for row in rows] == ["20120527100000", "20120528100000"]
    assert rows[0]["digest"] == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert rows[1]["statuscode"] == "-"


def test_json_fields_are_read_by_header_names_not_positions() -> None:
    text = json.dumps(
        [
            ["timestamp", "digest", "original", "statuscode", "mimetype", "urlkey", "extra"],
            ["20120527100000", "A" * 32, "https://example.org/", "301", "text/html", "k", "x"],
        ]
    )
    rows, key, warnings = parse_cdx_json(text)
    entries, _ = entries_from_rows(rows)
    assert key is None and warnings == []
    assert entries == [
        CdxEntry("20120527100000", "https://example.org/", 301, "text/html", "A" * 32, None)
    ]


def test_broken_json_row_is_skipped_and_the_rest_kept() -> None:
    lines = IA_JSON.splitlines()
    lines.insert(
        2,
        '["org,example)/a","2012052',  # a row cut short
    )
    rows, key, warnings = parse_cdx_json("\n".join(lines))
    assert [row["timestamp"] for row in rows] == ["20120527100000", "20120528100000"]
    assert key == "org%2Cexample%29%2Fa+20120528100001"
    assert len(warnings) == 1 and "line 3" in warnings[0]


def test_json_row_of_the_wrong_width_is_skipped() -> None:
    text = '[["timestamp","original"],["20120527100000"],["20120527100000","https://e.org/"]]'
    rows, _, warnings = parse_cdx_json(text)
    assert rows == [{"timestamp": "20120527100000", "original": "https://e.org/"}]
    assert "expected 2 fields" in warnings[0]


@pytest.mark.parametrize("text", ["", "  \n", "[]"])
def test_empty_listing(text: str) -> None:
    assert parse_cdx(text) == ([], None, [])


def test_pywb_ndjson_names_are_mapped_to_ia_names() -> None:
    rows, key, warnings = parse_cdx(PYWB_NDJSON + "not json\n")
    assert key is None
    assert warnings == ["CDX line 3: not JSON, skipped: not json"]
    assert rows[0]["original"] == "http://www.iana.org/"
    assert rows[0]["mimetype"] == "text/html"
    assert rows[0]["statuscode"] == "200"
    entries, problems = entries_from_rows(rows)
    assert problems == []
    assert entries[0] == CdxEntry(
        "20140126200624",
        "http://www.iana.org/",
        200,
        "text/html",
        "OSSAPWJ23L56IYVRW3GFEAR4MCJMGPTB",
        2258,
    )
    # pywb leaves the status out of revisit rows.
    assert entries[1].status is None and entries[1].mimetype == "warc/revisit"


# -- text ------------------------------------------------------------------------------

IA_TEXT = (
    "org,example)/ 20120527100000 https://example.org/ text/html 200 "
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1200\n"
    "org,example)/ 20120527100000 https://example.org/ text/html 200 "
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA 1200\n"
    "\n"
    "org%2Cexample%29%2F+20120527100001\n"
)


def test_text_rows_and_resume_key() -> None:
    rows, key, warnings = parse_cdx_text(IA_TEXT)
    assert key == "org%2Cexample%29%2F+20120527100001"
    assert len(rows) == 2 and warnings == []
    assert rows[0]["length"] == "1200"


def test_text_eleven_fields_read_as_cdx11() -> None:
    line = (
        "org,example)/ 20120527100000 https://example.org/ text/html 200 "
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA - - 5300 1234 file.warc.gz"
    )
    rows, _, _ = parse_cdx_text(line)
    assert rows[0]["length"] == "5300" and rows[0]["filename"] == "file.warc.gz"


def test_text_short_line_is_skipped_with_a_warning() -> None:
    rows, key, warnings = parse_cdx_text("org,example)/ 20120527100000 https://example.org/\n")
    assert rows == [] and key is None
    assert "3 fields, expected 7" in warnings[0]


# -- entries ---------------------------------------------------------------------------


def row(**fields: str) -> dict[str, str]:
    base = {
        "timestamp": "20120527100000",
        "original": "https://example.org/",
        "mimetype": "text/html",
        "statuscode": "200",
        "digest": "A" * 32,
        "length": "100",
    }
    return base | fields


def test_duplicates_are_dropped_and_other_digests_of_the_same_second_kept() -> None:
    rows = [
        row(timestamp="20120601000000"),
        row(),
        row(length="999"),  # another copy of the same record
        row(digest="B" * 32),  # another record of the same second
        row(original="http://example.org/"),  # another URL: another capture
    ]
    entries, warnings = entries_from_rows(rows)
    assert warnings == []
    assert [(e.timestamp, e.original) for e in entries] == [
        ("20120527100000", "https://example.org/"),
        ("20120527100000", "http://example.org/"),
        ("20120601000000", "https://example.org/"),
    ]
    assert entries[0].digest == "A" * 32 and entries[0].alt_digests == ("B" * 32,)
    assert entries[0].length == 100


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"timestamp": "20000012170449"}, "bad timestamp"),  # month 00
        ({"timestamp": "2012052710000x"}, "bad timestamp"),
        ({"original": "some/not/even/url/thing"}, "not an http(s) URL"),
        ({"original": "dns:example.org"}, "not an http(s) URL"),
        ({"statuscode": "abc"}, "bad status"),
        ({"statuscode": "999"}, "bad status"),
    ],
)
def test_malformed_rows_are_skipped(fields: dict[str, str], problem: str) -> None:
    entries, warnings = entries_from_rows([row(**fields), row(timestamp="20130101000000")])
    assert [e.timestamp for e in entries] == ["20130101000000"]
    assert len(warnings) == 1 and problem in warnings[0] and "row 1" in warnings[0]


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        ("-", None),
        ("", None),
        ("sha1:OSSAPWJ23L56IYVRW3GFEAR4MCJMGPTB", "OSSAPWJ23L56IYVRW3GFEAR4MCJMGPTB"),
        ("ossapwj23l56iyvrw3gfear4mcjmgptb", "OSSAPWJ23L56IYVRW3GFEAR4MCJMGPTB"),
        ("sha256:" + "a" * 64, None),  # not comparable with a SHA-1
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"),
    ],
)
def test_digest_forms(digest: str, expected: str | None) -> None:
    entries, _ = entries_from_rows([row(digest=digest)])
    assert entries[0].digest == expected


def test_dash_fields_are_none() -> None:
    entries, _ = entries_from_rows([row(statuscode="-", mimetype="-", length="-")])
    assert (entries[0].status, entries[0].mimetype, entries[0].length) == (None, None, None)


def test_short_timestamps_are_padded() -> None:
    entries, _ = entries_from_rows([row(timestamp="201205")])
    assert entries[0].timestamp == "20120501000000"


# -- TimeMaps --------------------------------------------------------------------------

TIMEMAP = """<http://example.org/a,b;c>; rel="original",
<https://archive.example/web/timemap/link/http://example.org/a,b;c>; rel="self";
    type="application/link-format"; from="Sun, 27 May 2012 10:00:00 GMT",
<https://archive.example/web/20120527100000/http://example.org/a,b;c>;
    rel="first memento"; datetime="Sun, 27 May 2012 10:00:00 GMT",
<//archive.example/web/20120601120000mp_/http://example.org/a,b;c>;
    datetime="Fri, 01 Jun 2012 12:00:00 GMT"; rel="memento"; title="a; b, c",
<https://archive.example/web/20120603000000/http://example.org/a,b;c>; rel=memento;
    datetime="Sun, 03 Jun 2012 02:00:00 +0200",
<https://archive.example/web/20120701000000/http://example.org/a,b;c>; rel="last memento";
    datetime="not a date",
<https://archive.example/web/20120527100000/http://example.org/a,b;c>; rel="memento";
    datetime="Sun, 27 May 2012 10:00:00 GMT"
"""


def test_timemap_link_format() -> None:
    warnings: list[str] = []
    found = parse_timemap_link(
        TIMEMAP, base="https://archive.example/web/timemap/link/x", warnings=warnings
    )
    assert found == [
        ("https://archive.example/web/20120527100000/http://example.org/a,b;c", "20120527100000"),
        # scheme-less, attributes in another order, a quoted title with ; and ,
        (
            "https://archive.example/web/20120601120000mp_/http://example.org/a,b;c",
            "20120601120000",
        ),
        # unquoted rel, a zone other than GMT
        ("https://archive.example/web/20120603000000/http://example.org/a,b;c", "20120603000000"),
    ]
    assert len(warnings) == 1 and "20120701000000" in warnings[0]
    assert timemap_original(TIMEMAP) == "http://example.org/a,b;c"


def test_http_datetimes() -> None:
    assert parse_http_datetime("Sun, 27 May 2012 10:00:00 GMT") == "20120527100000"
    assert parse_http_datetime("Sun, 27 May 2012 10:00:00") is None  # no zone
    assert parse_http_datetime("yesterday") is None


@pytest.mark.parametrize(
    ("uri_m", "raw"),
    [
        (
            "http://web.archive.org/web/20141018133107/http://vvork.com/",
            "http://web.archive.org/web/20141018133107id_/http://vvork.com/",
        ),
        (
            "http://127.0.0.1:8080/coll/20140126200624mp_/http://www.iana.org/",
            "http://127.0.0.1:8080/coll/20140126200624id_/http://www.iana.org/",
        ),
        (
            "https://web.archive.org/web/20141018133107id_/http://e.org/20120527100000/x",
            "https://web.archive.org/web/20141018133107id_/http://e.org/20120527100000/x",
        ),
        ("https://archive.ph/AbCdE", "https://archive.ph/AbCdE"),  # no such form: as is
    ],
)
def test_raw_memento_url(uri_m: str, raw: str) -> None:
    assert raw_memento_url(uri_m) == raw


def test_split_playback_url() -> None:
    assert split_playback_url("https://web.archive.org/web/20200201023757id_/https://e.org/a") == (
        "https://web.archive.org/web/",
        "20200201023757",
        "id_",
        "https://e.org/a",
    )
    assert split_playback_url("https://e.org/web/2020/x") is None


# -- the real answers (web.archive.org, recorded by EDGI's wayback) --------------------


def cassette(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def body(interaction: dict[str, Any]) -> bytes:
    raw = interaction["response"]["body"].get("string", b"")
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    # vcrpy kept some bodies gzip-compressed, as sent (Content-Encoding: gzip).
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def cdx_answers() -> list[tuple[str, dict[str, Any]]]:
    if not WAYBACK_HTTP.is_dir():
        return []
    found = []
    for path in sorted(WAYBACK_HTTP.glob("*/*/*.yaml")):
        for index, interaction in enumerate(cassette(path)):
            uri = interaction["request"]["uri"]
            if "/cdx/search/cdx" in uri or "/web/timemap/json" in uri:
                found.append((f"{path.parent.name}/{path.name}#{index}", interaction))
    return found


CDX_ANSWERS = cdx_answers()


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    "interaction", [i for _, i in CDX_ANSWERS], ids=[name for name, _ in CDX_ANSWERS]
)
def test_every_recorded_cdx_answer_parses(interaction: dict[str, Any]) -> None:
    text = body(interaction).decode("utf-8")
    rows, key, warnings = parse_cdx(text)
    entries, problems = entries_from_rows(rows)
    status = interaction["response"]["status"]["code"]
    # Counted independently: a data row is the one line holding a 14-digit timestamp field.
    data_lines = [line for line in text.splitlines() if re.search(r'(^| |")\d{14}( |")', line)]
    if status == 200:
        # Every row of a real answer is read: nothing skipped, no duplicate left.
        assert warnings == [] and problems == []
        assert len(rows) == len(data_lines)
        assert len({(e.timestamp, e.original) for e in entries}) == len(entries)
        assert all(e.timestamp.isdigit() and len(e.timestamp) == 14 for e in entries)
        assert entries == sorted(entries, key=lambda e: e.timestamp)
    requested = parse_qs(urlsplit(interaction["request"]["uri"]).query)
    if key is not None:
        assert "showResumeKey" in requested


@realdata
@pytest.mark.realdata
def test_resume_keys_chain_the_recorded_pages() -> None:
    pages = cassette(EDGI / "cassettes" / "test_search_multipage.yaml")
    timestamps: list[str] = []
    for page, following in zip(pages, [*pages[1:], None], strict=True):
        rows, key, _ = parse_cdx(body(page).decode("utf-8"))
        timestamps += [entry.timestamp for entry in entries_from_rows(rows)[0]]
        if following is None:
            assert key is None  # the last page: no key, no rows
            assert rows == []
        else:
            sent = parse_qs(urlsplit(following["request"]["uri"]).query)["resumeKey"]
            assert sent == [key]
    assert len(pages) == 15
    assert timestamps == sorted(timestamps) and len(timestamps) == len(set(timestamps))


@realdata
@pytest.mark.realdata
def test_the_same_capture_listed_three_times_is_one_entry() -> None:
    (answer,) = cassette(EDGI / "cassettes" / "test_search.yaml")
    rows, _, _ = parse_cdx(body(answer).decode("utf-8"))
    entries, _ = entries_from_rows(rows)
    assert len(rows) == 3
    assert entries == [
        CdxEntry(
            "19961231235847",
            "http://www.nasa.gov:80/",
            200,
            "text/html",
            "MGIGF4GRGGF5GKV6VNCBAXOE3OR5BTZC",
            1811,
        )
    ]


@realdata
@pytest.mark.realdata
def test_timemap_json_eleven_fields_and_revisits() -> None:
    answers = cassette(
        EDGI / "cassettes_cdx_json_branch" / "test_search_v2_does_not_repeat_results.yaml"
    )
    rows, _, _ = parse_cdx(body(answers[1]).decode("utf-8"))
    entries, _ = entries_from_rows(rows)
    assert len(rows[0]) == 11
    first, revisit = entries[0], entries[1]
    assert (first.status, first.length) == (301, 432)
    assert first.digest == "HLNR6AWVWYCU3YAENY3HYHLIPNWN66X7"
    assert (revisit.mimetype, revisit.status) == ("warc/revisit", None)


@realdata
@pytest.mark.realdata
def test_two_records_of_the_same_second_keep_both_digests() -> None:
    answer = cassette(EDGI / "cassettes" / "test_search_rate_limits.yaml")[0]
    rows, key, _ = parse_cdx(body(answer).decode("utf-8"))
    entries, _ = entries_from_rows(rows)
    (zew,) = [e for e in entries if e.timestamp == "19970427191925"]
    assert zew.digest == "GOE2BMK6YVBA6HNPZJW2N5SHBJPHJBD4"
    assert zew.alt_digests == ("YHY3SP2A6U2P6RAWJOXO3QEJDDZLWYJY",)
    assert key == "de%2Czew%29%2F+20220908205958"


@realdata
@pytest.mark.realdata
def test_defective_real_lines() -> None:
    files = EDGI / "test_files"
    malformed, bad_ts, zero = (
        entries_from_rows(parse_cdx_text((files / name).read_text(encoding="utf-8"))[0])
        for name in ("malformed_cdx.txt", "bad_timestamp_cdx.txt", "zero_length_cdx.txt")
    )
    entries, warnings = malformed
    assert len(entries) == 4  # the mailto: and data: URLs are real (odd) captures
    assert warnings == [
        "CDX row 5: original is not an http(s) URL: 'some/not/even/url/thing'; skipped"
    ]
    entries, warnings = bad_ts
    assert [e.timestamp for e in entries] == ["20000125210430", "20000311052312", "20011120210446"]
    assert [w.split(":")[0] for w in warnings] == ["CDX row 4", "CDX row 5"]
    entries, warnings = zero
    assert warnings == [] and len(entries) == 5
    assert entries[-1].length is None and entries[-1].digest == "JK7O4OWOMDJHBNQJ5U43X5OQRORF6FQB"


@realdata
@pytest.mark.realdata
def test_memento_link_headers_of_four_archives() -> None:
    data = yaml.safe_load(
        (WAYBACK_HTTP / "pywb_memento_link_headers" / "link_headers.yaml").read_text("utf-8")
    )
    checked = 0
    for tests in data.values():
        for archive, header in tests.items():
            base = archive.replace("{url}", "http://example.org/")
            warnings: list[str] = []
            found = parse_timemap_link(header, base=base, warnings=warnings)
            # Counted independently: each link whose rel holds the word "memento".
            expected = len(re.findall(r'rel="(?:[a-z]+ )*memento(?: [a-z]+)*"', header))
            assert len(found) == expected and expected > 0 and warnings == []
            assert all(uri.startswith(("http://", "https://")) for uri, _ in found)
            assert all(len(ts) == 14 and ts in uri for uri, ts in found)
            assert timemap_original(header) is not None
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "text",
    ["<" * 200_000, "<a" * 100_000, '<a>; rel="' + "x" * 200_000, "<a>" + "; x" * 60_000],
)
def test_hostile_timemaps_take_linear_time(text: str) -> None:
    started = time.perf_counter()
    assert parse_timemap_link(text) == []
    assert time.perf_counter() - started < 2.0
