"""fetch/archives.py: listings and raw captures through the real HttpClient.

Unit cases answer through ``httpx.MockTransport`` with small answers written here; the
real cases replay EDGI's cassettes recorded against web.archive.org (read in place from
``../shared/realdata``, skipped when absent) and a real pywb on 127.0.0.1. Names resolve
through a stub: nothing is resolved or contacted beyond loopback.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import yaml

from snapverify.errors import AddressRefused, RateLimited, UsageError
from snapverify.fetch.archives import (
    MAX_CDX_PAGES,
    CaptureRef,
    Fetched,
    Listing,
    MementoArchive,
    PywbArchive,
    WaybackArchive,
    classify_capture,
    classify_listing,
    parse_archive_spec,
)
from snapverify.fetch.http import HttpClient, Response
from snapverify.fetch.policy import AddressPolicy
from snapverify.text.extract import extract
from snapverify.text.normalise import word_keys
from support import REALDATA, FakeClock, realdata_missing

WAYBACK_HTTP = REALDATA / "01_wayback_http"
CASSETTES = WAYBACK_HTTP / "edgi_wayback" / "cassettes"
MONITORING = WAYBACK_HTTP / "web_monitoring_processing" / "cassettes_cli"
PYWB_WARC = REALDATA / "04_warc" / "pywb_sample_archive" / "warcs" / "iana.warc.gz"

realdata = pytest.mark.skipif(
    not WAYBACK_HTTP.is_dir(),
    reason=realdata_missing(WAYBACK_HTTP) or "",
)

WB = "https://web.archive.org"
MD = "Sun, 27 May 2012 10:00:00 GMT"
TS = "20120527100000"
PAGE = "https://example.org/a"


def b32(data: bytes) -> str:
    return base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


async def _resolve(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]  # a public address; MockTransport never connects to it


Handler = Callable[[httpx.Request], httpx.Response]


def run(handler: Handler, work: Callable[[HttpClient], Any], **options: Any) -> Any:
    """Run ``work(client)`` with a client answering through ``handler``."""

    async def main() -> Any:
        options.setdefault("rates", {})
        options.setdefault("retries", 1)
        clock = options.pop("clock", FakeClock())
        async with HttpClient(
            policy=AddressPolicy(resolver=_resolve),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
            **options,
        ) as client:
            return await work(client)

    return asyncio.run(main())


def streamed(status: int, headers: Any, body: bytes) -> httpx.Response:
    # A stream, not content=: the client then reads (and hashes) the bytes as sent.
    headers = [*headers, ("content-length", str(len(body)))]
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


def answer(status: int = 200, body: bytes = b"", *, md: str | None = MD, **headers: str) -> Any:
    fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
    if md:
        fields.append(("memento-datetime", md))
    return streamed(status, fields, body)


def capture(
    ts: str = TS, original: str = PAGE, *, digest: str | None = None, **fields: Any
) -> CaptureRef:
    return CaptureRef(
        archive="wayback",
        timestamp=ts,
        original=original,
        status=fields.pop("status", 200),
        mimetype=fields.pop("mimetype", "text/html"),
        digest=digest,
        length=None,
        raw_url=f"{WB}/web/{ts}id_/{original}",
        view_url=f"{WB}/web/{ts}/{original}",
        **fields,
    )


class Routes:
    """A MockTransport handler: URL -> answer, recording every URL asked."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = {str(httpx.URL(url)): response for url, response in routes.items()}
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url))
        assert str(request.url) in self.routes, f"unexpected request {request.url}"
        return self.routes[str(request.url)]


def fetch(routes: dict[str, httpx.Response], ref: CaptureRef) -> tuple[Fetched, Routes]:
    handler = Routes(routes)
    result = run(handler, lambda client: WaybackArchive().fetch(ref, client=client))
    assert isinstance(result, Fetched)
    return result, handler


# -- specs -----------------------------------------------------------------------------


def test_archive_specs() -> None:
    wayback = parse_archive_spec(" Wayback ")
    assert (wayback.name, wayback.base) == ("wayback", WB)
    pywb = parse_archive_spec("http://127.0.0.1:8080/my-coll/")
    assert isinstance(pywb, PywbArchive)
    assert (pywb.name, pywb.base) == ("my-coll", "http://127.0.0.1:8080/my-coll")
    memento = parse_archive_spec("memento:https://arquivo.pt/wayback/timemap/link/")
    assert isinstance(memento, MementoArchive) and memento.name == "arquivo.pt"
    assert isinstance(parse_archive_spec("https://web.archive.org/"), WaybackArchive)
    assert wayback.view_url(TS, PAGE) == f"{WB}/web/{TS}/{PAGE}"
    assert pywb.view_url(TS, PAGE) == f"http://127.0.0.1:8080/my-coll/{TS}/{PAGE}"
    assert memento.view_url(TS, PAGE) == f"https://arquivo.pt/wayback/{TS}/{PAGE}"


@pytest.mark.parametrize(
    "spec", ["", "waybak", "ftp://host/coll", "http://127.0.0.1:8080", "memento:", "memento:x"]
)
def test_bad_archive_specs(spec: str) -> None:
    with pytest.raises(UsageError):
        parse_archive_spec(spec)


# -- classification --------------------------------------------------------------------


def response(status: int, body: bytes = b"", md: bool = False) -> Response:
    headers = (("memento-datetime", MD),) if md else ()
    return Response(f"{WB}/x", status, headers, body, b32(body), b32(body))


EXCLUDED = b"<h2>Sorry.</h2>\n<p>This URL has been excluded from the Wayback Machine.</p>"


@pytest.mark.parametrize(
    ("status", "body", "md", "outcome"),
    [
        (200, b"", False, "ok"),
        (200, EXCLUDED, False, "excluded"),
        (404, b"", False, "not_archived"),
        (403, b"AdministrativeAccessControlException: Blocked Site Error", False, "blocked"),
        (500, b"", False, "error"),
    ],
)
def test_classify_listing(status: int, body: bytes, md: bool, outcome: str) -> None:
    assert classify_listing(response(status, body, md))[0] == outcome


@pytest.mark.parametrize(
    ("status", "body", "md", "outcome"),
    [
        (200, b"<p>page</p>", True, "ok"),
        (200, EXCLUDED, True, "ok"),  # a capture that quotes the sentence is a capture
        (301, b"", True, "redirect"),
        (302, b"", False, "redirect"),
        (404, b"", True, "archived_error"),
        (429, b"Too Many Requests", True, "archived_error"),
        (403, b"", True, "archived_error"),
        (503, b"", True, "archived_error"),
        (404, b"", False, "not_archived"),
        (200, EXCLUDED, False, "excluded"),
        (403, b"Blocked Site Error", False, "blocked"),
        (200, b"<p>Wayback Machine</p>", False, "error"),
        (500, b"", False, "error"),
    ],
)
def test_classify_capture(status: int, body: bytes, md: bool, outcome: str) -> None:
    assert classify_capture(response(status, body, md))[0] == outcome


# -- Wayback listings ------------------------------------------------------------------

HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def cdx_page(timestamps: list[str], key: str | None) -> httpx.Response:
    rows: list[list[str]] = [HEADER]
    rows += [["org,example)/a", ts, PAGE, "text/html", "200", "A" * 32, "10"] for ts in timestamps]
    if key:
        rows += [[], [key]]
    return httpx.Response(200, json=rows)


def test_wayback_listing_pages_by_resume_key() -> None:
    pages = {
        None: cdx_page(["20120101000000", "20120101000000"], "k1"),
        "k1": cdx_page(["20120101000000", "20120202000000"], "k+2/%"),
        "k+2/%": cdx_page(["20110101000000"], None),
    }
    asked: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/cdx/search/cdx"
        query = parse_qs(request.url.query.decode())
        asked.append(query)
        return pages[query.get("resumeKey", [None])[0]]

    listing = run(
        handler,
        lambda client: WaybackArchive().list_captures(
            PAGE, client=client, start="2011", end="20121231"
        ),
    )
    assert isinstance(listing, Listing)
    assert listing.outcome == "ok" and listing.warnings == ()
    assert [c.timestamp for c in listing.captures] == [
        "20110101000000",
        "20120101000000",
        "20120202000000",
    ]
    first = listing.captures[0]
    assert first.raw_url == f"{WB}/web/20110101000000id_/{PAGE}"
    assert first.view_url == f"{WB}/web/20110101000000/{PAGE}"
    assert (first.archive, first.digest, first.length) == ("wayback", "A" * 32, 10)
    assert [q.get("resumeKey") for q in asked] == [None, ["k1"], ["k+2/%"]]
    for query in asked:
        assert query["url"] == [PAGE] and query["output"] == ["json"]
        assert query["showResumeKey"] == ["true"] and query["limit"] == ["1000"]
        assert (query["from"], query["to"]) == (["2011"], ["20121231"])


def test_wayback_listing_is_bounded() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return cdx_page([f"2012010100{count // 60:02}{count % 60:02}"], f"key{count}")

    listing = run(handler, lambda client: WaybackArchive().list_captures(PAGE, client=client))
    assert count == MAX_CDX_PAGES
    assert len(listing.captures) == MAX_CDX_PAGES
    assert listing.warnings == (f"listing stopped after {MAX_CDX_PAGES} pages",)


def test_a_repeated_resume_key_stops_the_listing() -> None:
    listing = run(
        lambda request: cdx_page([TS], "same"),
        lambda client: WaybackArchive().list_captures(PAGE, client=client),
    )
    assert len(listing.captures) == 1
    assert "repeated" in listing.warnings[0]


def test_listing_refusals_and_start_end_checks() -> None:
    for status, body, outcome in [
        (403, b"Blocked Site Error", "blocked"),
        (404, b"", "not_archived"),
        (200, EXCLUDED, "excluded"),
        (200, b"", "ok"),
    ]:
        listing = run(
            lambda request, s=status, b=body: httpx.Response(s, content=b),
            lambda client: WaybackArchive().list_captures(PAGE, client=client),
        )
        assert (listing.outcome, listing.captures) == (outcome, ())
    with pytest.raises(UsageError):
        run(
            Routes({}),
            lambda client: WaybackArchive().list_captures(PAGE, client=client, start="2012-05"),
        )


def test_later_page_failure_keeps_the_rows_read() -> None:
    rows = [HEADER, ["k", TS, PAGE, "text/html", "200", "-", "-"], ["k", "bad", PAGE, "-", "-"]]
    rows += [[], ["k1"]]

    def paged(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503 if "resumeKey" in str(request.url) else 200, json=rows)

    listing = run(paged, lambda client: WaybackArchive().list_captures(PAGE, client=client))
    assert listing.outcome == "ok" and len(listing.captures) == 1
    assert listing.captures[0].digest is None and listing.captures[0].length is None
    assert listing.warnings == (
        "CDX row 3: expected 7 fields, skipped: ['k', 'bad', 'https://example.org/a', '-', '-']",
        "listing incomplete: page 2: listing answered HTTP 503",
    )


def test_private_archive_address_is_refused() -> None:
    archive = PywbArchive("http://10.0.0.1:8080/coll")
    with pytest.raises(AddressRefused):
        run(Routes({}), lambda client: archive.list_captures(PAGE, client=client))
    ref = capture()
    ref = CaptureRef(**{**asdict(ref), "raw_url": archive.raw_url(TS, PAGE)})
    result = run(Routes({}), lambda client: archive.fetch(ref, client=client))
    assert result.outcome == "error" and str(result.detail).startswith("refused")


def test_rate_limits_propagate_from_listings_and_fetches() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429)

    with pytest.raises(RateLimited):
        run(handler, lambda client: WaybackArchive().list_captures(PAGE, client=client))
    with pytest.raises(RateLimited):
        run(handler, lambda client: WaybackArchive().fetch(capture(), client=client))


def test_archived_429_is_a_capture_not_a_rate_limit() -> None:
    ref = capture()
    page = b"<title>Too Many Requests</title>"
    result, handler = fetch({ref.raw_url: answer(429, page)}, ref)
    assert (result.outcome, result.status) == ("archived_error", 429)
    assert result.response is not None and result.response.content == page
    assert len(handler.asked) == 1


def test_network_failure_of_a_capture_is_an_error_outcome() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    result = run(handler, lambda client: WaybackArchive().fetch(capture(), client=client))
    assert (result.outcome, result.response, result.status) == ("error", None, None)
    assert "connect" in result.detail


# -- captures: digests -----------------------------------------------------------------

BODY = b"<html><body><p>The article.</p></body></html>"


def test_capture_ok_and_digest_checked() -> None:
    ref = capture(digest=b32(BODY))
    result, handler = fetch({ref.raw_url: answer(body=BODY)}, ref)
    assert (result.outcome, result.status, result.timestamp) == ("ok", 200, TS)
    assert result.response is not None and result.response.content == BODY
    assert handler.asked == [ref.raw_url]


def test_digest_of_the_encoded_payload_is_accepted() -> None:
    # The archive replays the original gzip bytes: the listing hashes them as stored.
    encoded = gzip.compress(BODY, mtime=0)
    ref = capture(digest=b32(encoded))
    result, _ = fetch({ref.raw_url: answer(body=encoded, content_encoding="gzip")}, ref)
    assert result.outcome == "ok" and result.response is not None
    assert result.response.content == BODY


def test_digest_mismatch_is_an_error_naming_both() -> None:
    ref = capture(digest="A" * 32)
    result, _ = fetch({ref.raw_url: answer(body=BODY)}, ref)
    assert (result.outcome, result.response) == ("error", None)
    assert result.detail == f"digest mismatch: listed {'A' * 32}, payload {b32(BODY)}"


def test_digest_of_a_chunked_record_is_not_verifiable() -> None:
    ref = capture(digest="A" * 32)
    chunked = answer(body=BODY, x_archive_orig_transfer_encoding="chunked")
    result, _ = fetch({ref.raw_url: chunked}, ref)
    assert result.outcome == "ok"
    assert result.detail is not None and result.detail.startswith("digest not verifiable")


def test_other_digest_of_the_same_second_matches() -> None:
    ref = capture(digest="A" * 32, alt_digests=(b32(BODY),))
    result, _ = fetch({ref.raw_url: answer(body=BODY)}, ref)
    assert result.outcome == "ok"
    assert (result.capture.digest, result.capture.alt_digests) == (b32(BODY), ())


def test_revisits_and_missing_digests_are_not_checked() -> None:
    for ref in (capture(digest="A" * 32, mimetype="warc/revisit", status=None), capture()):
        result, _ = fetch({ref.raw_url: answer(body=BODY)}, ref)
        assert (result.outcome, result.detail) == ("ok", None)


# -- captures: redirects ---------------------------------------------------------------


def raw(ts: str, url: str) -> str:
    return f"{WB}/web/{ts}id_/{url}"


def test_redirect_capture_followed_within_the_window() -> None:
    target = "https://example.org/b"
    ref = capture(digest="A" * 32, status=301)
    routes = {
        ref.raw_url: answer(301, location=f"/web/{TS}id_/{target}"),
        # Another scheme for the archive, and view mode: asked raw, on the archive's scheme.
        raw(TS, target): answer(
            302, md=None, location=f"http://web.archive.org/web/20120527160000/{target}"
        ),
        raw("20120527160000", target): answer(body=BODY, md="Sun, 27 May 2012 16:00:00 GMT"),
    }
    result, handler = fetch(routes, ref)
    assert (result.outcome, result.status, result.timestamp) == (
        "redirected",
        200,
        "20120527160000",
    )
    assert result.response is not None and result.response.content == BODY
    # The view-mode Location was asked raw: never a toolbar page.
    assert handler.asked[-1] == raw("20120527160000", target)


def test_redirect_beyond_the_window_is_refused() -> None:
    ref = capture()
    routes = {ref.raw_url: answer(301, location=raw("20120706100000", "https://example.org/b"))}
    result, handler = fetch(routes, ref)
    assert (result.outcome, result.response) == ("error", None)
    assert result.detail == (
        "redirect to https://example.org/b captured 40 days later (window 24 h)"
    )
    assert len(handler.asked) == 1  # the far target was never requested


def test_wayback_moving_to_the_nearest_capture_is_followed_within_the_window() -> None:
    ref = capture(digest="A" * 32)  # the listed digest is not the served capture's
    routes = {
        ref.raw_url: answer(302, md=None, location=raw("20120527110000", PAGE)),
        raw("20120527110000", PAGE): answer(body=BODY, md="Sun, 27 May 2012 11:00:00 GMT"),
    }
    result, _ = fetch(routes, ref)
    assert (result.outcome, result.timestamp) == ("ok", "20120527110000")
    assert result.detail == "the archive served 20120527110000"


def test_redirect_loop_ends() -> None:
    b = "https://example.org/b"
    ref = capture()
    routes = {
        ref.raw_url: answer(302, location=raw(TS, b)),
        raw(TS, b): answer(302, location=raw(TS, PAGE)),
    }
    result, handler = fetch(routes, ref)
    assert result.outcome == "error" and result.detail is not None
    assert result.detail.startswith("redirect loop")
    assert len(handler.asked) == 2


def test_redirect_chain_is_capped_at_five() -> None:
    ref = capture()
    hops = [ref.raw_url] + [raw(TS, f"https://example.org/{n}") for n in range(1, 8)]
    routes = {url: answer(302, location=hops[n + 1]) for n, url in enumerate(hops[:-1])}
    result, handler = fetch(routes, ref)
    assert result.outcome == "error" and "more than 5 redirects" in str(result.detail)
    assert len(handler.asked) == 6


def test_capture_served_from_far_away_is_refused() -> None:
    ref = capture(digest=b32(BODY))
    result, _ = fetch({ref.raw_url: answer(body=BODY, md="Fri, 06 Jul 2012 10:00:00 GMT")}, ref)
    assert (result.outcome, result.timestamp) == ("error", "20120706100000")
    assert result.detail == "the archive served a capture 40 days later (window 24 h)"


def test_redirect_of_a_uri_m_without_timestamp_is_not_followed() -> None:
    ref = CaptureRef("archive.ph", TS, PAGE, None, None, None, None, "https://archive.ph/AbC", "")
    handler = Routes({ref.raw_url: answer(302, location="https://archive.ph/XyZ")})
    archive = MementoArchive("https://archive.ph/timemap/")
    result = run(handler, lambda client: archive.fetch(ref, client=client))
    assert result.outcome == "error" and "no capture time" in str(result.detail)
    assert handler.asked == [ref.raw_url]


def test_redirect_to_an_impossible_time_is_not_followed() -> None:
    ref = capture()
    result, _ = fetch({ref.raw_url: answer(302, location=raw("20120000000000", PAGE))}, ref)
    assert result.outcome == "error" and "no such time" in str(result.detail)


def test_redirect_out_of_the_archive_is_not_followed() -> None:
    # The archive itself (no Memento-Datetime) sending us elsewhere: not a capture.
    ref = capture()
    away = answer(302, md=None, location="https://example.org/b")
    result, handler = fetch({ref.raw_url: away}, ref)
    assert result.outcome == "error" and "leaves the archive" in str(result.detail)
    assert len(handler.asked) == 1


def test_an_archived_redirect_kept_verbatim_is_followed_inside_the_archive() -> None:
    # pywb's id_ replays an archived Location untouched: it names the original target,
    # which is then read from the archive at the redirect's own time.
    ref = capture(status=302)
    target = f"{WB}/web/{TS}id_/https://example.org/b"
    result, handler = fetch(
        {
            ref.raw_url: answer(302, location="https://example.org/b"),
            target: answer(200, b"<p>the target</p>", content_type="text/html"),
        },
        ref,
    )
    assert result.outcome == "redirected", result.detail
    assert handler.asked == [ref.raw_url, target]
    assert result.response is not None and result.response.content == b"<p>the target</p>"
    # A relative Location resolves against the original URL, not the archive's.
    result, handler = fetch(
        {
            ref.raw_url: answer(302, location="/b"),
            target: answer(200, b"<p>the target</p>", content_type="text/html"),
        },
        ref,
    )
    assert result.outcome == "redirected" and handler.asked[-1] == target
    # A non-HTTP target is never fetched.
    result, handler = fetch({ref.raw_url: answer(302, location="javascript:alert(1)")}, ref)
    assert result.outcome == "error" and len(handler.asked) == 1


# -- Memento and pywb through MockTransport --------------------------------------------


def test_memento_timemap_listing() -> None:
    base = "https://archive.example/web/timemap/link/"
    timemap = (
        f'<{PAGE}>; rel="original",\n'
        f'<https://archive.example/web/{TS}/{PAGE}>; rel="first memento"; datetime="{MD}",\n'
        f'<https://archive.example/web/20130101000000/{PAGE}>; rel="last memento";'
        ' datetime="Tue, 01 Jan 2013 00:00:00 GMT"\n'
    )
    routes = Routes({base + PAGE: httpx.Response(200, text=timemap)})
    archive = MementoArchive(base)
    listing = run(routes, lambda client: archive.list_captures(PAGE, client=client, end="2012"))
    assert listing.outcome == "ok" and listing.archive == "archive.example"
    (only,) = listing.captures
    assert only.raw_url == f"https://archive.example/web/{TS}id_/{PAGE}"
    assert (only.timestamp, only.original, only.digest) == (TS, PAGE, None)
    missing = run(
        lambda request: httpx.Response(404),
        lambda client: archive.list_captures(PAGE, client=client),
    )
    assert missing.outcome == "not_archived"


def test_pywb_listing_is_one_ndjson_request() -> None:
    line = json.dumps(
        {"timestamp": TS, "url": PAGE, "mime": "text/html", "status": "200", "digest": "A" * 32}
    )
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, text=line)

    archive = PywbArchive("http://pywb.example:8080/coll")
    listing = run(handler, lambda client: archive.list_captures(PAGE, client=client, start="2012"))
    (only,) = listing.captures
    assert only.archive == "coll"
    assert only.raw_url == f"http://pywb.example:8080/coll/{TS}id_/{PAGE}"
    assert asked == [
        "http://pywb.example:8080/coll/cdx?"
        + urlencode({"url": PAGE, "output": "json", "from": "2012"})
    ]


# -- the real answers of web.archive.org (EDGI's cassettes) ----------------------------


def recorded(interaction: dict[str, Any]) -> httpx.Response:
    data = interaction["response"]
    body = data["body"].get("string", b"")
    body = body.encode("utf-8") if isinstance(body, str) else body
    headers = []
    for name, values in data["headers"].items():
        lower = name.lower()
        if lower in ("transfer-encoding", "content-length", "connection"):
            continue  # the mock sends the whole body at once
        if lower == "content-encoding" and body[:2] != b"\x1f\x8b":
            continue  # vcrpy stored some bodies decoded and kept the header
        headers += [(name, value) for value in values]
    return streamed(data["status"]["code"], headers, body)


DEFAULT_PORT = re.compile(
    r"^(https?://web\.archive\.org/web/\d{14}id_/https?://[^/:]+)(?::80|:443)/"
)


def request_key(url: str) -> tuple[str, ...]:
    parts = urlsplit(str(httpx.URL(url)))
    if parts.path in ("/cdx/search/cdx", "/web/timemap/json"):
        query = parse_qs(parts.query)
        # Listings are matched by what they ask (URL and page), whatever the other
        # parameters and whichever of IA's two CDX endpoints answered.
        return ("listing", *(",".join(query.get(name, [])) for name in ("url", "resumeKey")))
    # IA plays http://host:80/ back as http://host/ (it looks captures up by SURT).
    return (DEFAULT_PORT.sub(r"\1/", str(httpx.URL(url))),)


class Replay:
    """Answers each request with the recorded answer to the same request (in order)."""

    def __init__(self, *paths: Path, last_page: bool = False) -> None:
        # last_page: a listing page after the recorded ones is empty (the recording
        # stopped where its test stopped; these tests need only the captures recorded).
        self.last_page = last_page
        self.answers: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for path in paths:
            for interaction in yaml.safe_load(path.read_text("utf-8"))["interactions"]:
                key = request_key(interaction["request"]["uri"])
                self.answers.setdefault(key, []).append(interaction)
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url))
        key = request_key(str(request.url))
        if self.last_page and key not in self.answers and "resumeKey=" in str(request.url):
            return httpx.Response(200, content=b"")
        assert key in self.answers, f"no recorded answer for {request.url}"
        queue = self.answers[key]
        return recorded(queue.pop(0) if len(queue) > 1 else queue[0])


def replay_listing(
    url: str, *paths: Path, last_page: bool = False, **bounds: str
) -> tuple[Listing, Replay]:
    handler = Replay(*paths, last_page=last_page)
    listing = run(
        handler, lambda client: WaybackArchive().list_captures(url, client=client, **bounds)
    )
    return listing, handler


def replay_fetch(ref: CaptureRef, *paths: Path) -> tuple[Fetched, Replay]:
    handler = Replay(*paths)
    result = run(handler, lambda client: WaybackArchive().fetch(ref, client=client))
    for url in handler.asked:
        assert "id_/" in url  # never a toolbar page
    return result, handler


@realdata
@pytest.mark.realdata
def test_real_listing_text_paged_by_resume_key() -> None:
    listing, handler = replay_listing(
        "cnn.com",
        CASSETTES / "test_search_multipage.yaml",
        start="20010410000000",
        end="20010510000000",
    )
    assert listing.outcome == "ok" and listing.warnings == ()
    assert len(handler.asked) == 15
    timestamps = [c.timestamp for c in listing.captures]
    # Counted independently: the distinct (timestamp, URL) pairs of the recorded lines.
    distinct = {
        tuple(line.split()[1:3])
        for interaction in yaml.safe_load(
            (CASSETTES / "test_search_multipage.yaml").read_text("utf-8")
        )["interactions"]
        for line in gzip.decompress(interaction["response"]["body"]["string"]).decode().splitlines()
        if len(line.split()) == 7
    }
    assert len(listing.captures) == len(distinct) > 50
    assert timestamps == sorted(timestamps)
    assert all("20010410" <= ts < "20010510" for ts in timestamps)


@realdata
@pytest.mark.realdata
def test_real_listing_json_with_revisits() -> None:
    path = WAYBACK_HTTP / "edgi_wayback" / "cassettes_cdx_json_branch"
    listing, _ = replay_listing(
        "energystar.gov/", path / "test_search_v2_does_not_repeat_results.yaml"
    )
    # The recorded answer is /web/timemap/json's 11 fields: read by name all the same.
    assert len(listing.captures) == 15
    revisit = listing.captures[1]
    assert (revisit.mimetype, revisit.status) == ("warc/revisit", None)


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("path", "url"),
    [
        (CASSETTES / "test_search_raises_for_blocked_urls.yaml", "https://nationalpost.com/health"),
        (
            WAYBACK_HTTP
            / "edgi_wayback/cassettes_cdx_json_branch/test_search_v2_raises_for_blocked_urls.yaml",
            "https://nationalpost.com/health",
        ),
    ],
)
def test_real_blocked_listing(path: Path, url: str) -> None:
    listing, _ = replay_listing(url, path)
    assert (listing.outcome, listing.captures) == ("blocked", ())


def listed(url: str, path: Path, ts: str) -> CaptureRef:
    listing, _ = replay_listing(url, path, last_page=True)
    (found,) = [c for c in listing.captures if c.timestamp == ts]
    return found


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("url", "path", "ts"),
    [
        ("zew.de", CASSETTES / "test_memento_rate_limits.yaml", "19970427191925"),
        (
            "nasa.gov",
            WAYBACK_HTTP / "edgi_wayback/docs_cassettes/tutorial.yaml",
            "19961231235847",
        ),
        (
            "http://epa.gov/hfstudy/epa-published-research-related-hydraulic-fracturing-study",
            MONITORING / "test_complete_import_ia_db_urls.yaml",
            "20190101033033",
        ),
        (
            "https://www.cdc.gov/coronavirus/2019-ncov/travelers/after-travel-precautions-japanese.html",
            MONITORING / "test_html_title_parsing.yaml",
            "20201123040127",
        ),
    ],
)
def test_real_capture_matches_its_listed_digest(url: str, path: Path, ts: str) -> None:
    ref = listed(url, path, ts)
    assert ref.digest is not None
    result, _ = replay_fetch(ref, path)
    assert (result.outcome, result.status, result.detail) == ("ok", 200, None)
    assert result.response is not None
    # The listed digest is the payload's, under the gzip IA adds for the transfer.
    assert result.capture.digest == result.response.sha1
    if result.response.header("content-encoding") == "gzip":
        assert result.response.raw_sha1 != result.response.sha1


@realdata
@pytest.mark.realdata
def test_real_capture_recorded_chunked_cannot_be_verified() -> None:
    path = MONITORING / "test_format_memento.yaml"
    ref = listed("https://www.fws.gov/birds/", path, "20171124151315")
    assert ref.digest == "BHLZ7SUEFN34VPG6MPYVQWOQHT3B7TXJ"
    result, _ = replay_fetch(ref, path)
    # ArchiveBot's wpull hashed the chunk-framed body; playback serves it de-chunked.
    assert result.outcome == "ok" and result.response is not None
    assert result.response.header("x-archive-orig-transfer-encoding") == "chunked"
    assert result.detail is not None and "digest not verifiable" in result.detail


@realdata
@pytest.mark.realdata
def test_real_archived_403_is_an_archived_error_and_200_matches() -> None:
    path = MONITORING / "test_import_skips_bad_mementos.yaml"
    url = "https://highways.dot.gov/safety/data-analysis-tools/rsdp/rsdp-tools/highway-performance-monitoring-system-hpms"
    listing, _ = replay_listing(url, path)
    results = {c.timestamp: replay_fetch(c, path)[0] for c in listing.captures}
    assert len(results) == 8
    assert {r.outcome for ts, r in results.items() if ts != "20260416012735"} == {"archived_error"}
    assert all(r.status == 403 for ts, r in results.items() if ts != "20260416012735")
    assert results["20260416012735"].outcome == "ok"


def real_ref(url: str) -> CaptureRef:
    ts, _, original = url.removeprefix(f"{WB}/web/").partition("id_/")
    return capture(ts, original)


@realdata
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "url", "outcome", "status", "ts", "detail"),
    [
        (
            "test_get_memento.yaml",
            f"{WB}/web/20171124151315id_/https://www.fws.gov/birds/",
            "ok",
            200,
            "20171124151315",
            None,
        ),
        (
            "test_get_memento_follows_historical_redirects.yaml",
            f"{WB}/web/20200201020357id_/http://epa.gov/climatechange",
            "redirected",
            200,
            "20200201024405",
            "redirect capture followed to",
        ),
        (
            "test_get_memento_with_redirects.yaml",
            f"{WB}/web/20180808094144id_/https://www.epa.gov/ghgreporting/san5779-factsheet",
            "redirected",
            200,
            "20180808104500",
            "redirect capture followed to",
        ),
        (
            "test_get_memento_with_path_based_redirects.yaml",
            f"{WB}/web/20201027215555id_/https://www.whitehouse.gov/administration/eop/ostp/about/student/faqs",
            "archived_error",
            404,
            "20201027220743",
            "HTTP 404",
        ),
        (
            "test_get_memento_with_schemeless_redirects.yaml",
            f"{WB}/web/20201102232816id_/https://www.census.gov/geography/gss-initiative.html",
            "archived_error",
            404,
            "20201102233026",
            "HTTP 404",
        ),
        (
            "test_get_memento_with_inexact_string_datetime.yaml",
            f"{WB}/web/20171124151310id_/https://www.fws.gov/birds/",
            "ok",
            200,
            "20171124151315",
            "the archive served 20171124151315",
        ),
        (
            "test_get_memento_should_fail_for_non_playbackable_mementos.yaml",
            f"{WB}/web/20150509080314id_/https://www.fws.gov/birds/",
            "error",
            None,
            "20150509080314",
            "captured 5 days earlier (window 24 h)",
        ),
        (
            "test_get_memento_raises_when_memento_is_outside_target_window.yaml",
            f"{WB}/web/20171101000000id_/https://www.fws.gov/birds/",
            "error",
            None,
            "20171101000000",
            "captured 23 days later (window 24 h)",
        ),
        (
            "test_get_memento_raises_for_mementos_that_redirect_in_a_loop.yaml",
            f"{WB}/web/20200925075402id_/https://link.springer.com/article/10.1007/s00382-012-1331-2",
            "error",
            None,
            "20200925075411",
            "redirect loop",
        ),
        (
            "test_get_memento_raises_no_memento_error.yaml",
            f"{WB}/web/20170929002712id_/https://this-is-not-real-url.whatever/",
            "not_archived",
            None,
            "20170929002712",
            "HTTP 404",
        ),
        (
            "test_get_memento_raises_blocked_error.yaml",
            f"{WB}/web/20170929002712id_/https://nationalpost.com/health/",
            "excluded",
            None,
            "20170929002712",
            "excludes",
        ),
        (
            "test_get_memento_works_on_archived_rate_limit_responses.yaml",
            f"{WB}/web/20150129034904id_/http://www.reddit.com/r/PokemonGiveaway",
            "archived_error",
            429,
            "20150129034904",
            "HTTP 429",
        ),
    ],
)
def test_real_capture_outcomes(
    name: str, url: str, outcome: str, status: int | None, ts: str, detail: str | None
) -> None:
    result, handler = replay_fetch(real_ref(url), CASSETTES / name)
    assert (result.outcome, result.status, result.timestamp) == (outcome, status, ts)
    if detail is None:
        assert result.detail is None
    else:
        assert result.detail is not None and detail in result.detail
    assert (result.response is None) == (outcome == "error")
    recorded_urls = {
        str(httpx.URL(i["request"]["uri"]))
        for i in yaml.safe_load((CASSETTES / name).read_text("utf-8"))["interactions"]
    }
    assert set(handler.asked) <= recorded_urls


@realdata
@pytest.mark.realdata
def test_toolbar_and_raw_versions_give_the_same_text() -> None:
    interactions = yaml.safe_load(
        (CASSETTES / "test_get_memento_with_mode.yaml").read_text("utf-8")
    )["interactions"]
    toolbar, raw_capture = (gzip.decompress(i["response"]["body"]["string"]) for i in interactions)
    assert "id_/" in interactions[1]["request"]["uri"]
    assert b"BEGIN WAYBACK TOOLBAR INSERT" in toolbar
    assert b"BEGIN WAYBACK TOOLBAR INSERT" not in raw_capture
    url = "https://www.fws.gov/birds/"
    texts = [extract(page, url=url).text for page in (toolbar, raw_capture)]
    assert word_keys(texts[0]) == word_keys(texts[1])
    assert "Permits provide a means to balance use and conservation" in texts[1]


# -- a real pywb on loopback -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def pywb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PYWB_WARC.is_file():
        pytest.skip(f"pywb sample WARC not found at {PYWB_WARC}")
    manager = shutil.which("wb-manager", path=str(Path(sys.executable).parent))
    wayback = shutil.which("wayback", path=str(Path(sys.executable).parent))
    if not manager or not wayback:
        pytest.skip("pywb is not installed")
    root = tmp_path_factory.mktemp("pywb")
    subprocess.run([manager, "init", "coll"], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [manager, "add", "coll", str(PYWB_WARC)], cwd=root, check=True, capture_output=True
    )
    port = free_port()
    server = subprocess.Popen(
        [wayback, "-b", "127.0.0.1", "-p", str(port)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("pywb did not start")
        yield f"http://127.0.0.1:{port}/coll"
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_live(work: Callable[[HttpClient], Any]) -> Any:
    async def main() -> Any:
        policy = AddressPolicy(allow_private=True, allowed_hosts=["127.0.0.1"])
        async with HttpClient(policy=policy, rates={}) as client:
            return await work(client)

    return asyncio.run(main())


@pytest.mark.realdata
def test_real_pywb_listing_and_captures(pywb: str) -> None:
    archive = parse_archive_spec(pywb)
    url = "http://www.iana.org/_css/2013.1/screen.css"

    async def work(client: HttpClient) -> tuple[Listing, list[Fetched]]:
        listing = await archive.list_captures(url, client=client)
        return listing, [await archive.fetch(c, client=client) for c in listing.captures[:3]]

    listing, fetched = run_live(work)
    assert listing.outcome == "ok" and listing.archive == "coll"
    assert len(listing.captures) == 16 and listing.warnings == ()
    first, revisit = listing.captures[0], listing.captures[1]
    assert (first.status, first.digest) == (200, "BUAEPXZNN44AIX3NLXON4QDV6OY2H5QD")
    assert (revisit.mimetype, revisit.status) == ("warc/revisit", None)
    assert [f.outcome for f in fetched] == ["ok", "ok", "ok"]
    assert fetched[0].capture.digest == fetched[0].response.sha1  # type: ignore[union-attr]
    assert [f.timestamp for f in fetched] == [c.timestamp for c in listing.captures[:3]]
    missing = run_live(
        lambda client: archive.fetch(
            replace_ts(first, "http://www.iana.org/not-archived"), client=client
        )
    )
    assert missing.outcome == "not_archived"
    memento = MementoArchive(f"{pywb}/timemap/link/")
    listing = run_live(lambda client: memento.list_captures(url, client=client))
    assert len(listing.captures) == 16
    result = run_live(lambda client: memento.fetch(listing.captures[0], client=client))
    assert result.outcome == "ok" and "id_/" in result.capture.raw_url


def replace_ts(ref: CaptureRef, original: str) -> CaptureRef:
    prefix = ref.raw_url.split(f"{ref.timestamp}id_/")[0]
    return CaptureRef(
        ref.archive,
        ref.timestamp,
        original,
        None,
        None,
        None,
        None,
        f"{prefix}{ref.timestamp}id_/{original}",
        f"{prefix}{ref.timestamp}/{original}",
    )


def test_a_listing_keeps_to_the_bounds_even_when_the_server_ignores_them() -> None:
    rows = "".join(
        json.dumps(
            {"timestamp": ts, "url": PAGE, "mime": "text/html", "status": "200", "digest": "-"}
        )
        + "\n"
        for ts in ("20110101000000", "20120527100000", "20121231235959", "20130101000000")
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=rows)  # every row, whatever from/to said

    archive = PywbArchive("https://archive.example/coll")
    listing = run(
        handler, lambda client: archive.list_captures(PAGE, client=client, start="2012", end="2012")
    )
    assert [c.timestamp for c in listing.captures] == ["20120527100000", "20121231235959"]
