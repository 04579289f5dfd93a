"""Link rot end to end: a loopback origin for the live page and the link targets, a real pywb
for the captures (the article's and the targets'), the command line as a user runs it.

The article is the Moscow Times fixture served at the origin (its two links that the seed
lost point at origin paths), so nothing here leaves 127.0.0.1: a redirect to 10.0.0.1 is
refused by the address policy before any connection.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from captures import Capture
from servers import OriginServer, PywbServer
from snapverify.cli import main
from support import FIXTURES, SEED, SEED_URL
from support import run_cli as _run

ARTICLE = "/2012/05/27/kazakh-massacre-cover-up-a15040"
CAPTURED = "20120528010203"  # the article's capture
AUTHOR = "/authors/robert-jones"
VIDEO = "/video/watch"
# Every limit off but links' own, so the tests do not wait for politeness.
FAST = ("--rate-limit", "links=200/s")


def _article(origin: OriginServer) -> bytes:
    """The Moscow Times fixture with the seed's two lost links pointing at the origin."""
    body = (FIXTURES / "capture-original.html").read_bytes()
    body = body.replace(
        b"/web/20120528010203/http://www.youtube.com/watch?v=Yx5Vn0bQv2A",
        origin.url(VIDEO).encode(),
    )
    body = body.replace(
        b"/web/20120528010203/http://www.themoscowtimes.com/authors/robert-jones",
        origin.url(AUTHOR).encode(),
    )
    return body


def _page(title: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><p>{title}</p></body></html>".encode()


def _snapshot(tmp_path: Path, text: str | None = None) -> Path:
    folder = tmp_path / "snapshots" / "mt"
    folder.mkdir(parents=True)
    (tmp_path / "snapshots" / ".snapverify").mkdir(exist_ok=True)
    local = folder / SEED.name
    if text is None:
        shutil.copy(SEED, local)
    else:
        local.write_text(text, "utf-8")
    return local


def _check(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _run("check", "--allow-private-addresses", "--format", "json", *FAST, *args)
    assert out.strip(), f"no report on stdout (exit {code}): {err}"
    return code, json.loads(out)


def _findings(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["kind"] == kind]


def _link_requests(origin: OriginServer, paths: set[str]) -> list[str]:
    return [f"{r.method} {r.path}" for r in origin.requests() if r.path in paths]


# -- the original URL -------------------------------------------------------------------


def _serve_outcomes(origin: OriginServer) -> tuple[dict[str, str], bytes, list[Capture]]:
    """Each outcome of the original URL at its own path of ``origin``, and captures of the
    article at every one of them (so the check compares, and link rot has an archived copy).
    """
    article = _article(origin)
    paths = {
        "ok": ARTICLE,
        "redirected": "/old/459295.html",
        "redirect_to_root": "/old/1.html",
        "not_found": "/missing",
        "gone": "/gone",
        "soft_404": "/soft",
        "soft_404_sibling": "/section/teaser",
        "blocked": "/walled",
        "unreachable": "/slow-article",
    }
    origin.page(ARTICLE, article)
    origin.redirect(paths["redirected"], ARTICLE)
    origin.page("/", "<html><body><h1>Front page</h1></body></html>")
    origin.redirect(paths["redirect_to_root"], "/")
    origin.not_found(paths["not_found"])
    origin.gone(paths["gone"])
    origin.soft_404(paths["soft_404"])
    botwall = (FIXTURES.parent / "e2e" / "botwall-403.html").read_bytes()
    origin.route(paths["blocked"], botwall, status=403)
    origin.slow(paths["unreachable"], 10.0, article)
    captures = [Capture(origin.url(path), CAPTURED, article) for path in paths.values()]
    return paths, article, captures


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One origin and one pywb for the original-URL outcomes (started once: pywb is slow
    to start)."""
    with OriginServer() as origin:
        paths, article, captures = _serve_outcomes(origin)
        root = tmp_path_factory.mktemp("pywb-links")
        with PywbServer({"links": captures}, root=root) as pywb:
            yield {"origin": origin, "pywb": pywb, "paths": paths, "article": article}


@pytest.mark.parametrize(
    ("kind", "outcome", "substantive", "exit_code"),
    [
        ("ok", None, None, 0),
        ("redirected", None, None, 0),
        ("redirect_to_root", "redirect_to_root", True, 1),
        ("not_found", "not_found", True, 1),
        ("gone", "gone", True, 1),
        ("soft_404", "soft_404", True, 1),
        ("blocked", "blocked", False, 0),
        ("unreachable", "unreachable", False, 0),
    ],
)
def test_the_original_url_and_link_rot(
    tmp_path: Path,
    site: dict[str, Any],
    kind: str,
    outcome: str | None,
    substantive: bool | None,
    exit_code: int,
) -> None:
    origin, pywb = site["origin"], site["pywb"]
    url = origin.url(site["paths"][kind])
    local = _snapshot(tmp_path)
    code, report = _check(
        str(local), "--url", url, "--archive", pywb.base, "--deadline", "1.5", "--no-links"
    )
    rot = _findings(report, "link_rot")
    live = next(s for s in report["sources"] if s["id"] == "live")
    if outcome is None:
        assert rot == [] and live["outcome"] == kind
    else:
        (finding,) = rot
        assert live["outcome"] == outcome == finding["outcome"]
        assert finding["url"] == url and finding["substantive"] is substantive
        # The newest good capture: pywb's capture of the article, as a reader sees it.
        assert finding["archive_url"] == f"{pywb.base}/{CAPTURED}/{url}"
        assert finding["detail"]
    # The archived capture is the article: a definitive rot is the only substantive finding.
    assert code == exit_code == report["exit_code"]
    assert report["verdict"] == ("changed" if exit_code else "unchanged")


def test_a_soft_404_found_by_probing_a_random_sibling_path(
    tmp_path: Path, origin: OriginServer, make_pywb: Callable[..., PywbServer]
) -> None:
    paths, article, captures = _serve_outcomes(origin)
    pywb = make_pywb({"links": captures})
    site = {"paths": paths, "article": article}
    # A teaser answers 200 with the first three paragraphs; so does every unknown path.
    teaser = site["article"]
    for paragraph in (
        "The authority",
        "Notably, not one policeman",
        "Sentences of three",
        "One defendant",
        "One prosecution witness",
        "In April, Human Rights",
        "The Kazakh prosecutor",
        "The attempt to blame",
    ):
        start = teaser.index(paragraph.encode())
        teaser = teaser[:start] + teaser[teaser.index(b"</p>", start) :]
    url = origin.page(site["paths"]["soft_404_sibling"], teaser)
    origin.fallback(teaser)
    local = _snapshot(tmp_path)
    code, report = _check(str(local), "--url", url, "--archive", pywb.base, "--no-links")
    live = next(s for s in report["sources"] if s["id"] == "live")
    assert live["outcome"] == "soft_404" and "random path" in live["note"], live
    (rot,) = _findings(report, "link_rot")
    assert rot["outcome"] == "soft_404" and rot["substantive"] is True
    assert code == 1
    probes = [r.path for r in origin.requests() if r.path.startswith("/section/snapverify-")]
    assert len(probes) == 1
    # An article that is plainly the article is never probed.
    before = len(origin.requests())
    _check(str(local), "--url", origin.url(ARTICLE), "--archive", pywb.base, "--no-links")
    assert [r.path for r in origin.requests()[before:]] == [ARTICLE]


def test_a_transient_failure_is_not_substantive_until_confirmed(
    tmp_path: Path, site: dict[str, Any]
) -> None:
    origin, pywb = site["origin"], site["pywb"]
    url = origin.url(site["paths"]["unreachable"])
    local = _snapshot(tmp_path)
    args = (str(local), "--url", url, "--archive", pywb.base, "--deadline", "1", "--no-links")
    code, report = _check(*args)
    (rot,) = _findings(report, "link_rot")
    assert (rot["outcome"], rot["substantive"], code) == ("unreachable", False, 0)
    assert rot["detail"].endswith("; transient until a later check confirms it")
    # The store keeps when the failures began; an hour on, the next failure confirms it.
    (entry,) = (tmp_path / "snapshots" / ".snapverify" / "links" / "status").iterdir()
    data = json.loads(entry.read_text("utf-8"))
    assert data["outcome"] == "unreachable" and data["failing_since"]
    data["failing_since"] = data["checked_at"] = "2020-01-01T00:00:00+00:00"
    entry.write_text(json.dumps(data), "utf-8")
    code, report = _check(*args)
    (rot,) = _findings(report, "link_rot")
    assert (rot["outcome"], rot["substantive"], code) == ("unreachable", True, 1)
    assert rot["detail"].endswith("; confirmed: failing since an earlier check")


# -- outbound links ---------------------------------------------------------------------

OUTBOUND = {
    "Zhaksylyk Turbayev": "/alive",
    "Natalya Sokolova": "/dead404",
    "Nursultan Nazarbayev": "/dead410",
    "court testimony": "/loop-a",
    "Kairat Edilov": "/slow",
    "Bakyt Mendybayev": "/to-private",
    "Aktau": "/moved",
    "Human Rights Watch": "/moved-ok",
    "CampaignKazakhstan.org": "/alive",
}


def _linked_seed(origin: OriginServer) -> str:
    """The seed with words of its paragraphs made into links (the words stay the same)."""
    text = SEED.read_text("utf-8")
    for words, path in OUTBOUND.items():
        assert text.count(words) >= 1, words
        text = text.replace(words, f"[{words}]({origin.url(path)})", 1)
    return text.replace("Paul Murphy", "[Paul Murphy](mailto:paul@example.org)", 1)


@pytest.fixture
def targets(origin: OriginServer, make_pywb: Callable[..., PywbServer]) -> PywbServer:
    """The live article, the link targets, and a pywb with captures of the dead ones."""
    article = _article(origin)
    origin.page(ARTICLE, article)
    origin.page("/alive", _page("alive"))
    origin.not_found("/dead404")
    origin.gone("/dead410")
    origin.redirect("/loop-a", "/loop-b")
    origin.redirect("/loop-b", "/loop-a")
    origin.slow("/slow", 10.0)
    origin.redirect("/to-private", "http://10.0.0.1/internal")
    origin.page("/", "<html><body><h1>Front page</h1></body></html>")
    origin.redirect("/moved", "/")
    origin.redirect("/moved-ok", "/alive")
    origin.page(AUTHOR, _page("Robert Jones"))
    origin.not_found(VIDEO)
    captures = [
        Capture(origin.url(ARTICLE), CAPTURED, article),
        # Three captures of a dead link: the one closest to 2012-05-27 is 20120601.
        Capture(origin.url("/dead404"), "20120401000000", _page("April")),
        Capture(origin.url("/dead404"), "20120601000000", _page("June")),
        Capture(origin.url("/dead404"), "20140101000000", _page("2014")),
        Capture(origin.url("/dead410"), "20120520000000", _page("May")),
        Capture(origin.url(VIDEO), "20120515000000", _page("Video")),
        Capture(origin.url(AUTHOR), "20120510000000", _page("Robert Jones")),
    ]
    return make_pywb({"links": captures})


def test_outbound_links_each_outcome_rescued_and_cached(
    tmp_path: Path, origin: OriginServer, targets: PywbServer
) -> None:
    pywb = targets
    local = _snapshot(tmp_path, _linked_seed(origin))
    args = (str(local), "--url", origin.url(ARTICLE), "--archive", pywb.base, "--deadline", "1.5")
    mark = pywb.mark()
    code, report = _check(*args)

    rows = {row["text"]: row for row in report["links"]}
    outcome = {text: row["outcome"] for text, row in rows.items()}
    assert outcome == {
        "Robert Jones": "ok",
        "Zhaksylyk Turbayev": "ok",
        "Natalya Sokolova": "not_found",
        "Nursultan Nazarbayev": "gone",
        "Video footage": "not_found",
        "court testimony": "redirect_loop",
        "Kairat Edilov": "unreachable",
        "Bakyt Mendybayev": "refused",
        "Human Rights Watch": "redirected",
        "Paul Murphy": "skipped",
        "Aktau": "redirect_to_root",
        "CampaignKazakhstan.org": "ok",
    }
    assert (
        rows["Natalya Sokolova"]["status"] == 404 and rows["Nursultan Nazarbayev"]["status"] == 410
    )
    # Dead links carry the capture closest to the article's date (27 May 2012).
    assert rows["Natalya Sokolova"]["archive_url"] == (
        f"{pywb.base}/20120601000000/{origin.url('/dead404')}"
    )
    assert rows["Nursultan Nazarbayev"]["archive_url"] == (
        f"{pywb.base}/20120520000000/{origin.url('/dead410')}"
    )
    assert rows["Video footage"]["lost"] is True
    assert rows["Video footage"]["url"] == origin.url(VIDEO)

    dead = {f["text"]: f for f in _findings(report, "dead_link")}
    assert set(dead) == {
        "Natalya Sokolova",
        "Nursultan Nazarbayev",
        "Video footage",
        "court testimony",
        "Kairat Edilov",
        "Aktau",
    }
    assert {t for t, f in dead.items() if f["substantive"]} == {
        "Natalya Sokolova",
        "Nursultan Nazarbayev",
        "Video footage",
        "court testimony",
        "Aktau",
    }
    assert dead["Natalya Sokolova"]["archive_url"] == rows["Natalya Sokolova"]["archive_url"]
    assert dead["Natalya Sokolova"]["url"] == origin.url("/dead404")
    assert code == 1 and report["verdict"] == "changed"
    # The live article matches the local copy: the link findings are the only substantive ones.
    assert {f["kind"] for f in report["findings"] if f["substantive"]} == {"dead_link"}

    # Each distinct URL asked once (HEAD; GET after a suspicious HEAD); nothing went to
    # 10.0.0.1 (pytest-socket would have failed the connection, the policy refused first).
    asked = _link_requests(origin, set(OUTBOUND.values()) | {"/loop-b", AUTHOR, VIDEO})
    assert asked.count("HEAD /alive") == 2  # the link, and the hop of /moved-ok
    assert asked.count("HEAD /dead404") == 1 and asked.count("GET /dead404") == 1
    assert asked.count("HEAD /to-private") == 1 and "GET /to-private" not in asked
    first_link_requests = len(asked)
    # 12 links, 11 distinct URLs: 15 requests to them (+1 HEAD of "/" after /moved).
    assert first_link_requests == 15, asked
    closest = [r for r in pywb.cdx_queries(since=mark) if "closest=" in r.path]
    assert len(closest) == 7  # one per dead or recovered target (6 dead, 1 more recovered)

    # A second check within the cache's life asks no link and no archive again.
    mark = pywb.mark()
    code2, second = _check(*args)
    assert (
        len(_link_requests(origin, set(OUTBOUND.values()) | {AUTHOR, VIDEO}))
        == len(asked)
        == first_link_requests
    )
    assert [r for r in pywb.cdx_queries(since=mark) if "closest=" in r.path] == []
    assert code2 == 1
    assert all(
        row["cached"] for row in second["links"] if row["outcome"] not in ("skipped", "refused")
    )
    assert [r["outcome"] for r in second["links"]] == [r["outcome"] for r in report["links"]]

    # --no-links: nothing asked, the last known statuses reported.
    before = len(origin.requests())
    _code, third = _check(*args, "--no-links", "--link-cache-ttl", "0")
    assert [r.path for r in origin.requests()[before:]] == [ARTICLE]
    assert rows["Natalya Sokolova"]["outcome"] == next(
        r["outcome"] for r in third["links"] if r["text"] == "Natalya Sokolova"
    )


def test_reports_list_links_in_a_table(
    tmp_path: Path, origin: OriginServer, targets: PywbServer
) -> None:
    local = _snapshot(tmp_path, _linked_seed(origin))
    args = ["check", str(local), "--url", origin.url(ARTICLE), "--archive", targets.base]
    args += ["--allow-private-addresses", "--deadline", "1.5", *FAST]
    _code, markdown, _ = _run(*args, "--format", "markdown")
    table = markdown[markdown.index("### Links") :]
    assert "| text | url | status | outcome | archived version |" in table
    dead404 = origin.url("/dead404")
    assert (
        f"| Natalya Sokolova | [{dead404}]({dead404}) | 404 | not\\_found | "
        f"[2012-06-01 00:00:00]({targets.base}/20120601000000/{dead404}) |"
    ) in table
    # A non-HTTP link is text, never a link, in the report.
    assert "| Paul Murphy | mailto:paul@example.org |" in table
    wide = CliRunner(env={"COLUMNS": "240"}).invoke(main, [*args, "--format", "terminal"])
    terminal = wide.stdout
    lines = terminal[terminal.index("Links (12)") :].splitlines()
    assert lines[1].split() == ["status", "outcome", "text", "url"]
    index = next(n for n, line in enumerate(lines) if "Natalya Sokolova" in line)
    assert lines[index].split()[:2] == ["404", "not_found"] and dead404 in lines[index]
    assert lines[index + 1].split() == [
        "archived:",
        f"{targets.base}/20120601000000/{dead404}",
    ]


# -- lost targets and fix-links ---------------------------------------------------------


def test_the_seeds_lost_targets_recovered_and_written_by_fix_links(
    tmp_path: Path, origin: OriginServer, targets: PywbServer
) -> None:
    pywb = targets
    local = _snapshot(tmp_path)
    article = origin.url(ARTICLE)
    mark = pywb.mark()
    code, report = _check(str(local), "--url", article, "--archive", pywb.base)
    lost = {f["text"]: f for f in _findings(report, "lost_link_target")}
    assert set(lost) == {"Robert Jones", "Video footage"}
    assert all(f["substantive"] is False for f in lost.values())
    author, video = lost["Robert Jones"], lost["Video footage"]
    assert (author["url"], author["outcome"], author["status"]) == (origin.url(AUTHOR), "ok", 200)
    assert author["archive_url"] == f"{pywb.base}/20120510000000/{origin.url(AUTHOR)}"
    assert (video["url"], video["outcome"], video["status"]) == (
        origin.url(VIDEO),
        "not_found",
        404,
    )
    assert video["archive_url"] == f"{pywb.base}/20120515000000/{origin.url(VIDEO)}"
    assert video["local_block"] == 3
    (dead,) = _findings(report, "dead_link")
    assert dead["url"] == origin.url(VIDEO) and dead["substantive"] is True
    assert code == 1
    # Link requests of a check of the seed: 3 to the targets (HEAD the author page; HEAD
    # then GET the dead video) and 2 archive lookups; a second check makes none.
    paths = {AUTHOR, VIDEO}
    assert sorted(_link_requests(origin, paths)) == [
        f"GET {VIDEO}",
        f"HEAD {AUTHOR}",
        f"HEAD {VIDEO}",
    ]
    assert len([r for r in pywb.cdx_queries(since=mark) if "closest=" in r.path]) == 2
    mark = pywb.mark()
    _check(str(local), "--url", article, "--archive", pywb.base)
    assert len(_link_requests(origin, paths)) == 3
    assert [r for r in pywb.cdx_queries(since=mark) if "closest=" in r.path] == []

    fixed = tmp_path / "fixed.md"
    args = ["fix-links", str(local), "--url", article, "--archive", pywb.base]
    args += ["--allow-private-addresses", *FAST]
    code, out, err = _run(*args, "--output", str(fixed))
    assert code == 0 and out == "", err
    original = SEED.read_text("utf-8")
    author_md = (
        f"[Robert Jones]({origin.url(AUTHOR)}) "
        f"([archived]({pywb.base}/20120510000000/{origin.url(AUTHOR)}))"
    )
    video_md = (
        f"[Video footage]({origin.url(VIDEO)}) "
        f"([archived]({pywb.base}/20120515000000/{origin.url(VIDEO)}))"
    )
    expected = original.replace("[Robert Jones](#)", author_md, 1).replace(
        "[Video footage](#)", video_md, 1
    )
    assert fixed.read_text("utf-8") == expected
    assert local.read_text("utf-8") == original  # never in place
    # To stdout by default; an --output naming the local copy is refused.
    code, out, _ = _run(*args)
    assert code == 0 and out == expected
    code, out, err = _run(*args, "--output", str(local))
    assert code == 2 and "local copy" in err and "\n" not in err.strip()
    assert local.read_text("utf-8") == original


def test_fix_links_writes_robust_links_into_an_html_copy(
    tmp_path: Path, origin: OriginServer, targets: PywbServer
) -> None:
    folder = tmp_path / "snapshots" / "html"
    folder.mkdir(parents=True)
    (tmp_path / "snapshots" / ".snapverify").mkdir()
    page = _article(origin)
    page = page.replace(origin.url(VIDEO).encode(), b"#").replace(origin.url(AUTHOR).encode(), b"")
    # The body's one live outbound link, to the real web in the fixture, served here instead.
    report = origin.page("/hrw-report", _page("HRW report"))
    page = page.replace(b"/web/20120528010203/http://www.hrw.org/news/2012/04/17/", b"")
    page = page.replace(b"kazakhstan-suspend-trial-investigate-torture-claims", report.encode())
    local = folder / "article.html"
    local.write_bytes(page)
    article = origin.url(ARTICLE)
    args = ["fix-links", str(local), "--url", article, "--archive", targets.base]
    code, out, err = _run(*args, "--allow-private-addresses", *FAST)
    assert code == 0, err
    video = origin.url(VIDEO)
    archived = f"{targets.base}/20120515000000/{video}"
    assert (
        f'href="{video}" data-versionurl="{archived}" data-versiondate="2012-05-15">'
        "Video footage</a>"
    ) in out
    assert f'href="{origin.url(AUTHOR)}" data-versionurl=' in out
    # Everything but the two anchors is as it was.
    assert out.count("data-versionurl") == 2
    assert (
        len(out.encode()) - len(page)
        == sum(
            len(part)
            for part in (
                video,
                f' data-versionurl="{archived}" data-versiondate="2012-05-15"',
                origin.url(AUTHOR),
                f' data-versionurl="{targets.base}/20120510000000/{origin.url(AUTHOR)}"'
                ' data-versiondate="2012-05-10"',
            )
        )
        - 1
    )


def test_snapshots_of_one_run_share_their_link_checks(
    tmp_path: Path, origin: OriginServer, targets: PywbServer
) -> None:
    text = _linked_seed(origin).replace(SEED_URL, origin.url(ARTICLE))
    for name in ("first", "second"):
        folder = tmp_path / "snapshots" / name
        folder.mkdir(parents=True)
        (folder / SEED.name).write_text(text, "utf-8")
    (tmp_path / "snapshots" / ".snapverify").mkdir()
    code, out, err = _run(
        "check",
        str(tmp_path / "snapshots"),
        "--archive",
        targets.base,
        "--allow-private-addresses",
        "--deadline",
        "1.5",
        "--format",
        "json",
        *FAST,
    )
    reports = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(reports) == 2, err
    assert reports[0]["links"] == reports[1]["links"]
    asked = _link_requests(origin, {"/alive", "/dead404", "/dead410", AUTHOR, VIDEO})
    # Once per run for both snapshots: HEAD /alive twice only because /moved-ok ends there.
    assert sorted(asked) == sorted(
        [
            "HEAD /alive",
            "HEAD /alive",
            "HEAD /dead404",
            "GET /dead404",
            "HEAD /dead410",
            "GET /dead410",
            f"HEAD {AUTHOR}",
            f"HEAD {VIDEO}",
            f"GET {VIDEO}",
        ]
    )
