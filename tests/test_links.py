"""Link checks, the link cache, lost-target recovery and Robust Links repair, without servers.

HTTP goes through the project's client over an ``httpx.MockTransport`` with a stub resolver;
the clock of the link checker is injected, so the confirmation of transient failures needs no
waiting.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from snapverify.config import load_settings
from snapverify.errors import UsageError
from snapverify.fetch.archives import MementoArchive, PywbArchive, closest_capture
from snapverify.fetch.http import HttpClient
from snapverify.fetch.live import sibling_url
from snapverify.fetch.policy import AddressPolicy
from snapverify.links import (
    CONFIRM_AFTER,
    Candidate,
    LinkCache,
    LinkChecker,
    Repair,
    check_url,
    recover_lost,
    repair_html,
    repair_markdown,
)
from snapverify.links.audit import audit_links, same_page
from snapverify.links.cache import ArchivedEntry
from snapverify.models import (
    CheckResult,
    Document,
    Link,
    LinkCheck,
    Outcome,
    SnapshotInfo,
    Verdict,
)
from snapverify.report.markdown import render_markdown
from snapverify.report.terminal import render_terminal
from snapverify.snapshot import read_local_copy
from snapverify.text.anchors import lost_html_anchors
from snapverify.text.extract import extract
from support import FIXTURES, SEED, SEED_URL, FakeClock

NAMES = {
    "site.test": ["93.184.216.34"],
    "internal.test": ["10.0.0.1"],
    "archive.test": ["93.184.216.35"],
    "www.youtube.com": ["93.184.216.36"],
}


class StubResolver:
    async def __call__(self, host: str, _port: int) -> list[str]:
        if host not in NAMES:
            raise socket.gaierror(socket.EAI_NONAME, f"stub: unknown host {host}")
        return list(NAMES[host])


Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, seen: list[str]) -> HttpClient:
    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        return handler(request)

    clock = FakeClock()
    return HttpClient(
        policy=AddressPolicy(allow_private=True, resolver=StubResolver()),
        transport=httpx.MockTransport(record),
        rates={},
        retries=1,
        clock=clock,
        sleep=clock.sleep,
    )


def _site(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    routes: dict[str, tuple[int, dict[str, str]]] = {
        "/ok": (200, {}),
        "/no-head": (405 if request.method == "HEAD" else 200, {}),
        "/head-404": (404 if request.method == "HEAD" else 200, {}),
        "/404": (404, {}),
        "/410": (410, {}),
        "/403": (403, {}),
        "/503": (503, {}),
        "/429": (429, {}),
        "/empty": (405 if request.method == "HEAD" else 416, {}),
        "/moved": (301, {"Location": "/ok"}),
        "/to-root": (302, {"Location": "https://site.test/"}),
        "/": (200, {}),
        "/loop-a": (302, {"Location": "/loop-b"}),
        "/loop-b": (302, {"Location": "/loop-a"}),
        "/to-private": (302, {"Location": "http://10.0.0.1/admin"}),
        "/to-internal": (302, {"Location": "http://internal.test/admin"}),
    }
    status, headers = routes.get(path, (404, {}))
    return httpx.Response(status, headers=headers, content=b"" if status >= 300 else b"<p>x</p>")


def _check(url: str) -> tuple[Any, list[str]]:
    seen: list[str] = []

    async def go() -> Any:
        async with _client(_site, seen) as client:
            return await check_url(url, client=client)

    return asyncio.run(go()), seen


@pytest.mark.parametrize(
    ("path", "outcome", "status", "requests"),
    [
        ("/ok", Outcome.OK, 200, ["HEAD /ok"]),
        ("/no-head", Outcome.OK, 200, ["HEAD /no-head", "GET /no-head"]),
        ("/head-404", Outcome.OK, 200, ["HEAD /head-404", "GET /head-404"]),
        ("/404", Outcome.NOT_FOUND, 404, ["HEAD /404", "GET /404"]),
        ("/410", Outcome.GONE, 410, ["HEAD /410", "GET /410"]),
        ("/403", Outcome.BLOCKED, 403, ["HEAD /403", "GET /403"]),
        ("/503", Outcome.ERROR, 503, ["HEAD /503", "GET /503"]),
        ("/429", Outcome.ERROR, 429, ["HEAD /429"]),
        ("/empty", Outcome.OK, 416, ["HEAD /empty", "GET /empty"]),
        ("/moved", Outcome.REDIRECTED, 200, ["HEAD /moved", "HEAD /ok"]),
        ("/to-root", Outcome.REDIRECT_TO_ROOT, 200, ["HEAD /to-root", "HEAD /"]),
        ("/loop-a", Outcome.REDIRECT_LOOP, 302, ["HEAD /loop-a", "HEAD /loop-b"]),
    ],
)
def test_check_url_outcomes(path: str, outcome: Outcome, status: int, requests: list[str]) -> None:
    found, seen = _check(f"https://site.test{path}")
    assert (found.outcome, found.status) == (outcome, status)
    assert [line.replace("https://site.test", "") for line in seen] == requests


def test_the_get_reads_64_kib_whatever_the_server_sends() -> None:
    page = b"<p>not here</p>" * 200_000  # 3 MB, Range ignored

    def huge(request: httpx.Request) -> httpx.Response:
        body = b"" if request.method == "HEAD" else page
        return httpx.Response(404, stream=httpx.ByteStream(body))

    seen: list[str] = []

    async def go() -> tuple[Any, int]:
        async with _client(huge, seen) as client:
            found = await check_url("https://site.test/huge", client=client)
            return found, client.stats.bytes

    found, received = asyncio.run(go())
    assert found.outcome is Outcome.NOT_FOUND
    assert seen == ["HEAD https://site.test/huge", "GET https://site.test/huge"]
    assert received == 65536


def test_a_redirect_to_a_private_address_is_refused_without_a_connection() -> None:
    for path in ("/to-private", "/to-internal"):
        found, seen = _check(f"https://site.test{path}")
        assert found.outcome is Outcome.REFUSED and found.detail
        assert seen == [f"HEAD https://site.test{path}"]  # nothing sent to 10.0.0.1


@pytest.mark.parametrize(
    "url",
    [
        "mailto:a@example.org",
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://site.test/f",
        "file:///etc/passwd",
        "tel:+100",
    ],
)
def test_non_http_links_are_skipped_unasked(url: str) -> None:
    found, seen = _check(url)
    assert found.outcome is Outcome.SKIPPED and seen == []


@pytest.mark.parametrize("url", ["http://[::1", "http://xn--/", "https://[zz]/"])
def test_a_url_no_parser_takes_is_skipped_not_a_crash(url: str) -> None:
    found, seen = _check(url)
    assert found.outcome is Outcome.SKIPPED and "not a valid URL" in (found.detail or "")
    assert seen == []


def test_an_unknown_host_is_unreachable_and_transient() -> None:
    found, _seen = _check("https://nowhere.test/a")
    assert found.outcome is Outcome.UNREACHABLE and found.transient and not found.substantive


# -- the checker: once per run, the cache, confirmation --------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _checker(tmp_path: Path, handler: Handler, seen: list[str], clock: Clock, **kw: Any) -> Any:
    return LinkChecker(
        client=_client(handler, seen), cache=LinkCache(tmp_path / "links"), now=clock, **kw
    )


def test_each_url_is_asked_once_per_run_and_cached_for_the_ttl(tmp_path: Path) -> None:
    seen: list[str] = []
    clock = Clock()

    async def go(**kw: Any) -> list[Any]:
        checker = _checker(tmp_path, _site, seen, clock, **kw)
        urls = ["https://site.test/404", "https://site.test/ok", "https://site.test/404"]
        return list(await asyncio.gather(*(checker.status(u) for u in urls)))

    first = asyncio.run(go())
    assert [s.outcome for s in first] == [Outcome.NOT_FOUND, Outcome.OK, Outcome.NOT_FOUND]
    assert len(seen) == 3 and not any(s.cached for s in first)
    clock.now += timedelta(hours=23)
    second = asyncio.run(go())
    assert len(seen) == 3 and all(s.cached for s in second)
    assert [s.outcome for s in second] == [s.outcome for s in first]
    clock.now += timedelta(hours=2)  # past the day
    asyncio.run(go())
    assert len(seen) == 6
    # A shorter TTL asks again sooner; no network reports the last answer, asking nothing.
    clock.now += timedelta(minutes=10)
    asyncio.run(go(ttl=60))
    assert len(seen) == 9
    clock.now += timedelta(days=30)
    offline = asyncio.run(go(network=False))
    assert len(seen) == 9 and all(s.cached for s in offline)
    assert offline[0].outcome is Outcome.NOT_FOUND


def test_a_transient_failure_is_confirmed_by_a_check_an_hour_later(tmp_path: Path) -> None:
    seen: list[str] = []
    clock = Clock()
    answer = {"status": 503}

    def flaky(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(answer["status"])

    def run() -> Any:
        async def go() -> Any:
            return await _checker(tmp_path, flaky, seen, clock).status("https://site.test/x")

        return asyncio.run(go())

    first = run()
    assert first.outcome is Outcome.ERROR and not first.substantive
    clock.now += timedelta(minutes=30)
    assert run().cached and not run().substantive  # reused, not yet an hour
    clock.now += CONFIRM_AFTER
    confirmed = run()
    assert not confirmed.cached and confirmed.confirmed and confirmed.substantive
    assert confirmed.failing_since == datetime(2026, 1, 1, tzinfo=UTC)
    # A success ends the run of failures: the next failure starts a new one.
    answer["status"] = 200
    clock.now += CONFIRM_AFTER
    assert run().outcome is Outcome.OK
    answer["status"] = 503
    clock.now += timedelta(days=2)
    again = run()
    assert again.transient and not again.substantive and again.failing_since == clock.now


def test_a_damaged_cache_entry_counts_as_absent(tmp_path: Path) -> None:
    cache = LinkCache(tmp_path / "links")
    assert cache.status("https://site.test/a") is None
    seen: list[str] = []
    clock = Clock()

    async def go() -> Any:
        return await _checker(tmp_path, _site, seen, clock).status("https://site.test/ok")

    asyncio.run(go())
    (entry,) = (tmp_path / "links" / "status").iterdir()
    entry.write_text("{not json", "utf-8")
    clock.now += timedelta(minutes=1)
    assert asyncio.run(go()).outcome is Outcome.OK and len(seen) == 2
    # JSON of another shape (a list, other fields) is no entry either.
    for damaged in ("[1, 2]", '{"url": "https://site.test/ok", "when": "yesterday"}'):
        entry.write_text(damaged, "utf-8")
        assert cache.status("https://site.test/ok") is None
    cache.remember_archived(
        "wayback", "https://site.test/ok", "2012", ArchivedEntry(None, None, "x")
    )
    assert cache.archived("wayback", "https://site.test/ok", "2012") is not None
    (kept,) = (tmp_path / "links" / "archived").iterdir()
    kept.write_text('{"url": null}', "utf-8")
    assert cache.archived("wayback", "https://site.test/ok", "2012") is None


def test_at_most_two_checks_are_in_flight_per_host() -> None:
    # README: "at most 2 at a time per host"; another host is not held up meanwhile.
    flying: dict[str, int] = {}
    most: dict[str, int] = {}

    async def slow(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        flying[host] = flying.get(host, 0) + 1
        most[host] = max(most.get(host, 0), flying[host])
        await asyncio.sleep(0.01)
        flying[host] -= 1
        return httpx.Response(200)

    async def go() -> list[Any]:
        client = HttpClient(
            policy=AddressPolicy(resolver=StubResolver()),
            transport=httpx.MockTransport(slow),
            rates={},
        )
        async with client:
            checker = LinkChecker(client=client, cache=None)
            urls = [
                f"https://{host}/{n}" for host in ("site.test", "archive.test") for n in range(6)
            ]
            return list(await asyncio.gather(*(checker.status(u) for u in urls)))

    found = asyncio.run(go())
    assert [s.outcome for s in found] == [Outcome.OK] * 12
    assert most == {"site.test": 2, "archive.test": 2}


def test_a_checker_without_a_client_says_why_each_link_was_not_asked(tmp_path: Path) -> None:
    # check --offline's checker: no client, no network. A web link is "not checked"; a
    # mailto: link is not HTTP at all, and its cache file is never looked for.
    class Reads(LinkCache):
        def __init__(self, root: Path) -> None:
            super().__init__(root)
            self.looked: list[str] = []

        def status(self, url: str) -> Any:
            self.looked.append(url)
            return super().status(url)

    cache = Reads(tmp_path / "links")
    checker = LinkChecker(client=None, cache=cache, network=False)

    async def go() -> list[Any]:
        urls = ["https://site.test/a", "mailto:a@example.org"]
        return list(await asyncio.gather(*(checker.status(u) for u in urls)))

    web, mail = asyncio.run(go())
    assert (web.outcome, web.detail) == (Outcome.SKIPPED, "not checked (no network)")
    assert mail.outcome is Outcome.SKIPPED and "not an HTTP link" in (mail.detail or "")
    assert cache.looked == ["https://site.test/a"]


# -- archived versions ------------------------------------------------------------------


def test_closest_capture_from_a_cdx_server_skips_error_captures() -> None:
    seen: list[str] = []

    def cdx(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert (params["closest"], params["sort"]) == ("20120527000000", "closest")
        rows = [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
            ["t", "20120526000000", "https://t.test/a", "text/html", "404", "AAAA", "1"],
            ["t", "20120601000000", "https://t.test/a", "text/html", "200", "BBBB", "1"],
            ["t", "20120401000000", "https://t.test/a", "text/html", "200", "CCCC", "1"],
        ]
        return httpx.Response(200, json=rows)

    archive = PywbArchive("https://archive.test/coll")

    async def go() -> Any:
        async with _client(cdx, seen) as client:
            return await closest_capture(
                archive, "https://t.test/a", "20120527000000", client=client
            )

    found = asyncio.run(go())
    assert found.timestamp == "20120601000000"
    assert found.view_url == "https://archive.test/coll/20120601000000/https://t.test/a"
    assert len(seen) == 1


def test_closest_memento_from_a_timemap() -> None:
    seen: list[str] = []
    timemap = (
        '<https://t.test/a>; rel="original",\n'
        '<https://archive.test/web/20100101000000/https://t.test/a>; rel="memento"; '
        'datetime="Fri, 01 Jan 2010 00:00:00 GMT",\n'
        '<https://archive.test/web/20120530000000/https://t.test/a>; rel="memento"; '
        'datetime="Wed, 30 May 2012 00:00:00 GMT"\n'
    )

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=timemap)

    archive = MementoArchive("https://archive.test/web/timemap/link/")

    async def go() -> Any:
        async with _client(handler, seen) as client:
            return await closest_capture(
                archive, "https://t.test/a", "20120527000000", client=client
            )

    assert asyncio.run(go()).timestamp == "20120530000000"


# -- lost targets -----------------------------------------------------------------------


def _capture_document() -> tuple[Document, bytes]:
    page = (FIXTURES / "capture-original.html").read_bytes()
    local = read_local_copy(SEED).document
    return extract(page, url=SEED_URL, reference=local), page


def test_the_seeds_lost_targets_are_recovered_from_a_capture() -> None:
    local = read_local_copy(SEED).document
    document, page = _capture_document()
    found = recover_lost(local, [Candidate("mt:1", document, page, SEED_URL)])
    by_text = {r.link.text: r for r in found}
    assert by_text["Video footage"].url == "http://www.youtube.com/watch?v=Yx5Vn0bQv2A"
    assert by_text["Video footage"].how == "text"
    # The byline link is outside the body: found among the page's anchors.
    assert by_text["Robert Jones"].url == "http://www.themoscowtimes.com/authors/robert-jones"
    assert by_text["Robert Jones"].how == "page"
    assert {r.source for r in found} == {"mt:1"}


def test_a_lost_target_is_matched_by_position_when_the_text_differs() -> None:
    local = read_local_copy(SEED).document
    document, _page = _capture_document()
    renamed = tuple(
        Link("Watch the clip", link.url, link.block) if link.text == "Video footage" else link
        for link in document.links
    )
    document = Document(blocks=document.blocks, links=renamed)
    found = {r.link.text: r for r in recover_lost(local, [Candidate("mt:1", document)])}
    assert found["Video footage"].how == "position"
    assert found["Video footage"].url == "http://www.youtube.com/watch?v=Yx5Vn0bQv2A"
    assert found["Robert Jones"].url is None  # no page to look in, no body link of that text


def test_only_web_targets_are_recovered() -> None:
    local = Document(blocks=(), links=(Link("Video footage", None),))
    hostile = Document(
        blocks=(),
        links=(Link("Video footage", "data:text/html,<script>x</script>", 0),),
    )
    page = b'<p><a href="data:text/html,x">Video footage</a></p>'
    (found,) = recover_lost(local, [Candidate("mt:1", hostile, page, "https://s.test/")])
    assert found.url is None


def test_the_best_candidate_is_asked_first() -> None:
    local = read_local_copy(SEED).document
    document, _page = _capture_document()
    other = Document(
        blocks=document.blocks,
        links=tuple(Link(x.text, "https://other.test/", x.block) for x in document.links),
    )
    found = recover_lost(local, [Candidate("best", document), Candidate("other", other)])
    assert {r.link.text: r.source for r in found}["Video footage"] == "best"


def test_the_audit_makes_rows_and_findings(tmp_path: Path) -> None:
    local = Document(
        blocks=read_local_copy(SEED).document.blocks,
        links=(
            Link("Video footage", None, 3),
            Link("dead", "https://site.test/404", 1),
            Link("again", "https://site.test/404", 2),
            Link("top", "#top", 1),
            Link("mail", "mailto:a@example.org", 1),
        ),
        url=SEED_URL,
    )
    document, page = _capture_document()
    seen: list[str] = []
    clock = Clock()

    async def go() -> Any:
        checker = _checker(tmp_path, _site, seen, clock)
        return await audit_links(
            local,
            candidates=[Candidate("mt:1", document, page, SEED_URL)],
            checker=checker,
            archives=[],
            published=datetime(2012, 5, 27, tzinfo=UTC),
        )

    audit = asyncio.run(go())
    assert [(r.text, r.outcome) for r in audit.rows] == [
        ("Video footage", Outcome.NOT_FOUND),  # the stub site answers 404 for it
        ("dead", Outcome.NOT_FOUND),
        ("again", Outcome.NOT_FOUND),
        ("mail", Outcome.SKIPPED),
    ]
    kinds = [(f.kind.value, f.text, f.substantive) for f in audit.findings]
    assert kinds == [
        ("lost_link_target", "Video footage", False),
        ("dead_link", "Video footage", True),
        ("dead_link", "dead", True),  # one finding per distinct URL
    ]
    assert seen.count("HEAD https://site.test/404") == 1


# -- Robust Links repair ----------------------------------------------------------------


def test_markdown_repair_changes_only_the_lost_links() -> None:
    text = (
        "By [Robert Jones](#)\n\nSee [Video footage](#) and [kept](https://k.test/) or [empty]().\n"
    )
    repaired, count = repair_markdown(
        text,
        [
            Repair("Video footage", "https://v.test/watch?v=1", "https://a.test/2012/v (x)"),
            Repair("Robert Jones", "https://a.test/author"),
        ],
    )
    assert count == 2
    assert repaired == (
        "By [Robert Jones](https://a.test/author)\n\nSee [Video footage](https://v.test/watch?v=1)"
        " ([archived](https://a.test/2012/v%20%28x%29)) and [kept](https://k.test/) or [empty]().\n"
    )


def test_html_repair_adds_robust_links_attributes() -> None:
    page = (
        '<p>By <a class="a" href="#">Robert <b>Jones</b></a>, '
        "<a href=''>Video footage</a>, <a href=\"/x\">kept</a></p>"
    )
    assert lost_html_anchors(page) == ["Robert Jones", "Video footage"]
    repaired, count = repair_html(
        page,
        [
            Repair(
                "Video footage",
                'https://v.test/?a=1&b="2"',
                "https://a.test/2012/v",
                datetime(2012, 5, 15, tzinfo=UTC),
            )
        ],
    )
    assert count == 1
    assert repaired == (
        '<p>By <a class="a" href="#">Robert <b>Jones</b></a>, '
        '<a href="https://v.test/?a=1&amp;b=&quot;2&quot;" data-versionurl="https://a.test/2012/v"'
        ' data-versiondate="2012-05-15">Video footage</a>, <a href="/x">kept</a></p>'
    )


# -- small parts ------------------------------------------------------------------------


def test_sibling_url_and_same_page() -> None:
    assert sibling_url("https://s.test/2012/05/27/slug-a1?x=1", "abc") == (
        "https://s.test/2012/05/27/snapverify-abc"
    )
    assert sibling_url("https://s.test/slug", "abc") == "https://s.test/snapverify-abc"
    assert sibling_url("https://s.test/a") != sibling_url("https://s.test/a")
    page = b"<html><body><h1>Sorry</h1><p>We could not find that page.</p></body></html>"
    other = b"<html><body><h1>Sorry</h1><p>We could not find that page!</p></body></html>"
    assert same_page(page, other)
    assert not same_page(page, (FIXTURES / "capture-original.html").read_bytes())


def test_link_cache_ttl_in_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("link_cache_ttl = 3600\n", "utf-8")
    assert load_settings(tmp_path).link_cache_ttl == 3600.0
    (tmp_path / "config.toml").write_text('link_cache_ttl = "soon"\n', "utf-8")
    with pytest.raises(UsageError, match="link_cache_ttl"):
        load_settings(tmp_path)


def _result(links: tuple[LinkCheck, ...]) -> CheckResult:
    return CheckResult(
        snapshot=SnapshotInfo("a.md", "https://s.test/a", "T", "0" * 64),
        verdict=Verdict.UNCHANGED,
        exit_code=0,
        sources=(),
        findings=(),
        provenance=None,
        links=links,
    )


def test_reports_escape_link_text_and_never_link_other_schemes() -> None:
    links = (
        LinkCheck("[x](javascript:alert(1)) <b>|", "javascript:alert(1)", Outcome.SKIPPED),
        LinkCheck(
            "dead",
            "https://s.test/404",
            Outcome.NOT_FOUND,
            404,
            archive_url="https://a.test/2012/https://s.test/404",
            archive_timestamp=datetime(2012, 5, 1, tzinfo=UTC),
            cached=True,
        ),
    )
    markdown = render_markdown([_result(links)])
    table = markdown[markdown.index("### Links") :]
    assert "\\[x\\](javascript:alert(1)) &lt;b&gt;\\|" in table
    assert "](javascript:" not in table.replace("\\[x\\](javascript:", "")
    assert (
        "| dead | [https://s.test/404](https://s.test/404) | 404 | not\\_found (cached) | "
        "[2012-05-01 00:00:00](https://a.test/2012/https://s.test/404) |"
    ) in table
    terminal = render_terminal([_result(links)], color=False, width=200)
    assert "Links (2)" in terminal
    assert "archived: https://a.test/2012/https://s.test/404" in terminal
    assert json.loads(json.dumps(_result(links).as_dict()))["links"][1]["cached"] is True
