"""The e2e harness itself: the WARCs, pywb's answers and access log, the loopback origin."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from captures import (
    MT,
    MT_OLD_URL,
    MT_URL,
    QUIRK_REDIRECT_TS,
    QUIRK_TARGET_TS,
    QUIRK_URL,
    Capture,
    RealdataSet,
    http_date,
    moscow_times_captures,
    mt_latest,
    mt_page,
    quirk_captures,
    sha1_digest,
)
from servers import OriginServer, PywbServer, free_port, write_warc

CAPTURES = moscow_times_captures()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        yield client


def cdx(client: httpx.Client, base: str, url: str) -> list[dict[str, str]]:
    answer = client.get(f"{base}/cdx", params={"url": url, "output": "json"})
    assert answer.status_code == 200
    return [json.loads(line) for line in answer.text.splitlines() if line.strip()]


# -- the WARC ---------------------------------------------------------------------------


def test_write_warc_pairs_each_response_with_its_request(tmp_path: Path) -> None:
    redirect = Capture(MT_OLD_URL, "20120530160000", b"moved", status=301, location=MT_URL)
    page = Capture(MT_URL + "?a=1", "20120528010203", "Ünïcode".encode())
    write_warc(tmp_path / "t.warc.gz", [redirect, page])
    with (tmp_path / "t.warc.gz").open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
            for r in ArchiveIterator(stream)
        ]
    assert [kind for kind, *_ in records] == ["response", "request", "response", "request"]
    for (_, response, http, body), capture in zip(records[::2], [redirect, page], strict=True):
        assert response.get_header("WARC-Target-URI") == capture.url
        assert response.get_header("WARC-Payload-Digest") == f"sha1:{sha1_digest(capture.body)}"
        assert http.get_statuscode() == str(capture.status)
        assert http.get_header("Content-Length") == str(len(capture.body))
        assert http.get_header("Content-Type") == "text/html; charset=utf-8"
        assert http.get_header("Transfer-Encoding") is None
        assert body == capture.body
    assert records[0][1].get_header("WARC-Date") == "2012-05-30T16:00:00Z"
    assert records[0][2].get_header("Location") == MT_URL
    request = records[3][2]
    assert (request.protocol, request.statusline) == (
        "GET",
        "/2012/05/27/kazakh-massacre-cover-up-a15040?a=1 HTTP/1.1",
    )
    assert records[3][1].get_header("WARC-Concurrent-To") == records[2][1].get_header(
        "WARC-Record-ID"
    )
    # Fixed record IDs: the same captures give the same bytes.
    again = write_warc(tmp_path / "again.warc.gz", [redirect, page])
    assert again.read_bytes() == (tmp_path / "t.warc.gz").read_bytes()


def test_the_moscow_times_set_tells_the_story_the_readme_tells() -> None:
    by_ts = {(c.url, c.timestamp): c for c in CAPTURES}
    article = [c.timestamp for c in CAPTURES if c.url == MT_URL]
    assert article == MT.article() == sorted(article)
    assert by_ts[MT_URL, MT.original].body == mt_page("original")
    assert by_ts[MT_URL, MT.duplicate].digest == by_ts[MT_URL, MT.original].digest
    assert by_ts[MT_URL, MT.blocked].status == 403
    assert b"Sorry, you have been blocked" in by_ts[MT_URL, MT.blocked].body
    changed = by_ts[MT_URL, MT.removed_added].body
    assert b"16 people were killed" in changed and b"Kairat Yedilov" in changed
    assert b"Correction: An earlier version" in changed
    assert b"One prosecution witness testified" not in changed
    latest = by_ts[MT_URL, MT.latest].body
    assert latest != changed and latest.replace(b"2024 The", b"2012 The") == changed
    # 7 distinct digests among 9 captures: the duplicate, and two redirects with one body.
    assert len({c.digest for c in CAPTURES}) == 7
    assert {c.location for c in CAPTURES if c.status == 301} == {MT_URL}


# -- pywb -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [MT_URL, MT_OLD_URL])
def test_pywb_lists_every_capture_with_the_digest_of_its_body(
    pywb_mt: PywbServer, client: httpx.Client, url: str
) -> None:
    rows = cdx(client, pywb_mt.base, url)
    expected = [
        (c.timestamp, c.url, str(c.status), sha1_digest(c.body)) for c in CAPTURES if c.url == url
    ]
    assert [(r["timestamp"], r["url"], r["status"], r["digest"]) for r in rows] == expected
    assert all(r["mime"] == "text/html" for r in rows)


@pytest.mark.parametrize(
    "capture", [c for c in CAPTURES if c.status != 301], ids=lambda c: f"{c.timestamp}-{c.status}"
)
def test_raw_playback_gives_the_exact_bytes_with_memento_datetime(
    pywb_mt: PywbServer, client: httpx.Client, capture: Capture
) -> None:
    answer = client.get(f"{pywb_mt.base}/{capture.timestamp}id_/{capture.url}")
    assert answer.status_code == capture.status
    assert answer.content == capture.body
    assert answer.headers["Memento-Datetime"] == http_date(capture.timestamp)
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Content-Length"] == str(len(capture.body))
    # Headers pywb does not pass through come back prefixed, as the Wayback Machine does.
    assert answer.headers["X-Archive-Orig-Date"] == http_date(capture.timestamp)


def test_a_redirect_capture_answers_3xx_with_the_original_location(
    pywb_mt: PywbServer, client: httpx.Client
) -> None:
    for timestamp in (MT.redirect_near, MT.redirect_far):
        answer = client.get(f"{pywb_mt.base}/{timestamp}id_/{MT_OLD_URL}")
        assert answer.status_code == 301
        assert answer.headers["Memento-Datetime"] == http_date(timestamp)
        # id_ rewrites nothing, Location included: it is the target as the site sent it
        # (the Wayback Machine would answer /web/{ts}id_/{target}).
        assert answer.headers["Location"] == MT_URL
    # The target asked at the redirect's timestamp: pywb serves the closest capture,
    # without a redirect; Memento-Datetime and Content-Location say which one.
    near = client.get(f"{pywb_mt.base}/{MT.redirect_near}id_/{MT_URL}")
    assert near.status_code == 200
    assert near.headers["Memento-Datetime"] == http_date(MT.removed_added)  # 1 h before
    assert f"/mt/{MT.removed_added}id_/{MT_URL}" in near.headers["Content-Location"]
    far = client.get(f"{pywb_mt.base}/{MT.redirect_far}id_/{MT_URL}")
    assert far.headers["Memento-Datetime"] == http_date(MT.blocked)  # 8 months after
    assert far.status_code == 403


def test_pywb_replaces_a_self_redirect_capture_with_the_nearest_other(
    pywb_mt: PywbServer, client: httpx.Client
) -> None:
    redirect, target = quirk_captures()
    rows = cdx(client, pywb_mt.base_of("quirks"), QUIRK_URL)
    assert [(r["timestamp"], r["status"], r["digest"]) for r in rows] == [
        (QUIRK_REDIRECT_TS, "301", redirect.digest),
        (QUIRK_TARGET_TS, "200", target.digest),
    ]
    answer = client.get(f"{pywb_mt.base_of('quirks')}/{QUIRK_REDIRECT_TS}id_/{redirect.url}")
    # Not the 301 the CDX row lists: the 200 five minutes later, whose digest differs.
    assert answer.status_code == 200
    assert answer.content == target.body
    assert answer.headers["Memento-Datetime"] == http_date(QUIRK_TARGET_TS)
    assert sha1_digest(answer.content) != redirect.digest


def test_a_url_never_captured_is_404_without_memento_datetime(
    pywb_mt: PywbServer, client: httpx.Client
) -> None:
    never = "https://www.themoscowtimes.com/never-captured"
    assert cdx(client, pywb_mt.base, never) == []
    answer = client.get(f"{pywb_mt.base}/{MT.original}id_/{never}")
    assert answer.status_code == 404
    assert "Memento-Datetime" not in answer.headers


def test_the_timemap_lists_each_capture(pywb_mt: PywbServer, client: httpx.Client) -> None:
    answer = client.get(f"{pywb_mt.base}/timemap/link/{MT_URL}")
    assert answer.status_code == 200
    mementos = [line for line in answer.text.splitlines() if 'rel="memento"' in line]
    assert len(mementos) == len(MT.article())
    for line, timestamp in zip(mementos, MT.article(), strict=True):
        assert f"/mt/{timestamp}mp_/{MT_URL}>" in line
        assert f'datetime="{http_date(timestamp)}"' in line


def test_the_access_log_counts_raw_fetches_per_timestamp(
    pywb_mt: PywbServer, client: httpx.Client
) -> None:
    mark = pywb_mt.mark()
    cdx(client, pywb_mt.base, MT_URL)
    for timestamp in (MT.original, MT.edited, MT.original):
        client.get(f"{pywb_mt.base}/{timestamp}id_/{MT_URL}")
    client.get(f"{pywb_mt.base}/{MT.redirect_near}id_/{MT_OLD_URL}")
    assert pywb_mt.capture_fetches(since=mark) == Counter(
        {MT.original: 2, MT.edited: 1, MT.redirect_near: 1}
    )
    assert pywb_mt.capture_fetches(url=MT_OLD_URL, since=mark) == Counter({MT.redirect_near: 1})
    seen = pywb_mt.requests(since=mark)
    assert [(r.method, r.status) for r in seen] == [("GET", 200)] * 4 + [("GET", 301)]
    assert seen[0].path.startswith("/mt/cdx?url=")
    assert len(pywb_mt.cdx_queries(since=mark)) == 1
    # pywb also logs its calls to its own warcserver: one POST per playback.
    internal = [r for r in pywb_mt.requests(since=mark, internal=True) if r.internal]
    assert sum(r.method == "POST" and "/resource/postreq" in r.path for r in internal) == 4
    # A mark taken now sees nothing yet.
    assert pywb_mt.capture_fetches(since=pywb_mt.mark()) == Counter()


def test_captures_can_name_the_loopback_origin_and_pywb_stops_without_leftovers() -> None:
    # The origin's port is chosen first, so captures can name its URLs (a check whose
    # live page and archive agree on one URL).
    port = free_port()
    article = f"http://127.0.0.1:{port}/2012/05/27/kazakh-massacre-cover-up-a15040"
    captures = moscow_times_captures(url=article, old_url=f"http://127.0.0.1:{port}/old.html")
    exact = {"redirect_to_exact": True}  # and the Wayback Machine's way with inexact times
    with OriginServer(port=port) as live, PywbServer({"local": captures}, config=exact) as server:
        live.page("/2012/05/27/kazakh-massacre-cover-up-a15040", mt_latest())
        root, proc = server.root, server._proc
        assert root is not None and (root / "local.warc.gz").is_file()
        assert proc is not None and proc.poll() is None
        assert server.base == f"http://127.0.0.1:{server.port}/local"
        with httpx.Client() as client:
            rows = cdx(client, server.base, article)
            assert [r["timestamp"] for r in rows] == MT.article()
            assert client.get(article).content == mt_latest()
            inexact = client.get(f"{server.base}/{MT.redirect_near}id_/{article}")
            assert inexact.status_code == 307
            assert inexact.headers["Location"] == f"{server.base}/{MT.removed_added}id_/{article}"
    assert proc.returncode is not None
    assert not root.exists()  # a temporary root goes with the server
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(f"{server.base}/cdx?url={article}")


def test_a_server_that_cannot_start_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    server = PywbServer({"bad": []}, root=tmp_path, config={"collections": "not a mapping"})
    with pytest.raises(RuntimeError, match="wayback exited"):
        server.start()
    assert server._proc is None


# -- the origin -------------------------------------------------------------------------


def test_the_origin_serves_each_route_with_its_status(
    origin: OriginServer, client: httpx.Client
) -> None:
    article = mt_page("original")
    origin.page("/article", article)
    origin.redirect("/old", "/article")
    origin.redirect("/elsewhere", "https://www.themoscowtimes.com/", status=302)
    origin.not_found("/missing")
    origin.gone("/removed")
    origin.soft_404("/soft")
    paths = ("/article", "/old", "/elsewhere", "/missing", "/removed", "/soft", "/nothing")
    answers = {path: client.get(origin.url(path)) for path in paths}
    assert {path: a.status_code for path, a in answers.items()} == {
        "/article": 200,
        "/old": 301,
        "/elsewhere": 302,
        "/missing": 404,
        "/removed": 410,
        "/soft": 200,
        "/nothing": 404,
    }
    assert answers["/article"].content == article
    assert answers["/article"].headers["Content-Type"] == "text/html; charset=utf-8"
    assert answers["/old"].headers["Location"] == "/article"
    assert answers["/elsewhere"].headers["Location"] == "https://www.themoscowtimes.com/"
    assert b"Page not found" in answers["/soft"].content
    followed = client.get(origin.url("/old"), follow_redirects=True)
    assert followed.status_code == 200 and followed.content == article
    assert client.head(origin.url("/article")).content == b""
    assert [r.path for r in origin.requests("/article")] == ["/article", "/article", "/article"]
    assert [r.method for r in origin.requests("/article")] == ["GET", "GET", "HEAD"]
    assert origin.requests("/old")[0].header("user-agent") == client.headers["User-Agent"]


def test_the_slow_drip_sends_one_byte_at_a_time(origin: OriginServer) -> None:
    url = origin.drip("/slow", b"0123456789", interval=0.2)
    with httpx.Client(timeout=5.0) as client, client.stream("GET", url) as answer:
        assert answer.headers["Content-Length"] == "10"
        started = time.monotonic()
        got = b""
        for chunk in answer.iter_raw(1):
            got += chunk
            if len(got) == 4:
                break
        elapsed = time.monotonic() - started
    assert got == b"0123"
    assert 0.45 < elapsed < 2.0  # 3 intervals between the first byte and the fourth


def test_a_read_deadline_gives_up_on_the_drip_and_stop_is_prompt() -> None:
    server = OriginServer().start()
    url = server.drip("/slow", interval=0.25)
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.1) as client:
        client.get(url)
    with httpx.Client(timeout=5.0) as client, client.stream("GET", url) as answer:
        next(answer.iter_raw(1))
        started = time.monotonic()
        server.stop()  # while a drip is being sent
        assert time.monotonic() - started < 1.0
    assert len(server.requests("/slow")) == 2


# -- the real page ----------------------------------------------------------------------


@pytest.mark.realdata
def test_the_real_page_set_has_a_local_copy_and_a_seeded_edit(
    realdata: RealdataSet, pywb_realdata: PywbServer, client: httpx.Client
) -> None:
    text = realdata.local_copy.read_text(encoding="utf-8")
    assert text.startswith("# What is the value of drugs")
    assert text.rstrip().endswith(f"Original url: <{realdata.url}>")
    assert len(realdata.paragraphs) == 20
    edit = realdata.edit
    assert edit.old in realdata.paragraphs[edit.paragraph]
    original, edited, later = realdata.captures
    assert original.body.count(edit.old.encode()) == 1 and edit.new.encode() not in original.body
    assert edited.body == original.body.replace(edit.old.encode(), edit.new.encode())
    assert later.body == edited.body
    assert (edit.first_seen, edit.last_seen) == (edited.timestamp, later.timestamp)
    rows = cdx(client, pywb_realdata.base, realdata.url)
    assert [(r["timestamp"], r["digest"]) for r in rows] == [
        (c.timestamp, c.digest) for c in realdata.captures
    ]
    answer = client.get(f"{pywb_realdata.base}/{edited.timestamp}id_/{realdata.url}")
    assert answer.content == edited.body


def test_the_dns_guard_refuses_names_other_than_loopback(request: pytest.FixtureRequest) -> None:
    import conftest  # the guard's record of refused names

    before = len(conftest.LOOKUPS_REFUSED)
    try:
        with pytest.raises(socket.gaierror, match="refused in tests"):
            socket.getaddrinfo("example.org", 443)
        refused = conftest.LOOKUPS_REFUSED[before:]
    finally:
        del conftest.LOOKUPS_REFUSED[before:]  # asked on purpose: not for the summary
    assert refused == [f"example.org ({request.node.nodeid})"]
    # Loopback names and numeric addresses still resolve.
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)
