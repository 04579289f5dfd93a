"""The HTML report (``--format html``): what it shows, that it is safe, and how Chromium shows it.

The page is checked twice: parsed with lxml (structure, escaping, links) and opened in a
real headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) with the
network cut: every request other than the report's own ``file://`` is recorded and
aborted, and the tests assert there were none. Chromium tests skip, with the reason,
only when ``/usr/bin/chromium`` is absent (``.ci/run`` installs it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from captures import MT, MT_URL, Capture
from servers import PywbServer
from snapverify._version import __version__
from snapverify.cli import main
from snapverify.models import (
    Change,
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
from snapverify.report.html import CSP, playback_url, render_html, safe_url
from snapverify.report.load import parse_reports
from support import ROOT, SEED

CHROMIUM = Path("/usr/bin/chromium")
# Quiet, offline Chromium: no background fetches, no component updates, no QUIC; the
# proxy is a closed loopback port, so anything that slipped past the route would fail.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
DOCS_IMAGE = ROOT / "docs" / "report.png"

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "&lt;img src=x onerror=alert(1)&gt;"
HOSTILE_TEMPLATE = "{{ 7*7 }}"
HOSTILE_URLS = (
    "javascript:alert(1)",
    " JaVa\tScRiPt:x",
    "data:text/html,<script>alert(1)</script>",
)


# -- the end-to-end check's report (real pywb, the Moscow Times set) --------------------


@dataclass
class Rendered:
    """A check run through the CLI: its JSON report, its HTML page (``report`` of the
    JSON) and ``check --format html``'s own page (``direct``)."""

    report: dict[str, Any]
    html_path: Path
    html: str
    direct: str


@pytest.fixture(scope="module")
def mt_check(pywb_mt: PywbServer, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """``check`` of the seed against pywb saved as JSON, rendered by ``report --format html``.

    Also ``check --format html`` to stdout (``direct``). Run from the temporary
    folder with a relative snapshot path, so the reproducing command in the page reads as
    a user would type it.
    """
    root = tmp_path_factory.mktemp("html-e2e")
    folder = root / "snapshots" / "kazakh-massacre-cover-up"
    folder.mkdir(parents=True)
    (root / "snapshots" / ".snapverify").mkdir()
    shutil.copy(SEED, folder / SEED.name)
    local = f"snapshots/kazakh-massacre-cover-up/{SEED.name}"
    args = ["check", local, "--archive", pywb_mt.base, "--no-live", "--allow-private-addresses"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        runner = CliRunner()
        saved = runner.invoke(main, [*args, "-f", "json", "-o", "check.json"])
        rendered = runner.invoke(main, ["report", "check.json", "-f", "html", "-o", "report.html"])
        # A store of its own, so its history sees the findings as new too.
        other = ["--store", str(root / "other-store"), "--format", "html"]
        direct = runner.invoke(main, [*args, *other], catch_exceptions=False)
    assert saved.exit_code == 1, saved.stderr
    assert rendered.exit_code == 0 and rendered.stdout == "", rendered.stderr
    assert direct.exit_code == 1, direct.stderr
    path = root / "report.html"
    report = json.loads((root / "check.json").read_text("utf-8"))
    return Rendered(report, path, path.read_text("utf-8"), direct.stdout)


def _tree(page: str) -> Any:
    return lxml.html.document_fromstring(page)


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def _terms(node: Any) -> dict[str, str]:
    """A description list as {term: description text}."""
    return {_text(dt): _text(dt.getnext()) for dt in node.xpath("dt")}


def test_the_page_is_self_contained_and_declares_its_policy(mt_check: Rendered) -> None:
    tree = _tree(mt_check.html)
    assert mt_check.html.startswith("<!DOCTYPE html>")
    (csp,) = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp == CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert tree.xpath('//meta[@name="referrer"]/@content') == ["no-referrer"]
    assert tree.xpath('//meta[@name="viewport"]')
    # Nothing to load and nothing to run: no scripts, stylesheets, images, frames or fonts.
    assert not tree.xpath("//script | //link | //img | //iframe | //object | //embed")
    assert not tree.xpath("//@src | //@srcset | //@style | //@*[starts-with(name(), 'on')]")
    assert len(tree.xpath("//style")) == 1 and "@import" not in mt_check.html
    assert "url(" not in tree.xpath("string(//style)")


def test_the_header(mt_check: Rendered) -> None:
    tree = _tree(mt_check.html)
    report = mt_check.report
    assert tree.findtext(".//title") == "snapverify: Kazakh Massacre Cover-Up (changed)"
    assert _text(tree.xpath("//article[@class='snapshot']//h1")[0]) == "Kazakh Massacre Cover-Up"
    (url,) = tree.xpath("//p[@class='url']/a/@href")
    assert url == MT_URL
    (verdict,) = tree.xpath("//strong[contains(@class, 'verdict')]")
    assert verdict.text == "CHANGED" and "verdict-changed" in verdict.get("class")
    assert "5 substantive changes, 2 lost link targets (exit code 1)" in _text(
        tree.xpath("//p[@class='verdict-line']")[0]
    )
    facts = _terms(tree.xpath("//dl[@class='facts']")[0])
    assert facts["Provenance"] == (
        f"the local copy is closest to mt:{MT.original} (similarity 1.00)"
    )
    counts = [_text(item) for item in tree.xpath("//ul[@class='counts']/li")]
    # The seed's two lost link targets count too, as defects of the copy (never substantive).
    assert counts == ["edited 2", "missing 1", "added 2", "lost link target 2 (0 substantive)"]
    checked = datetime.strptime(report["checked_at"], "%Y%m%d%H%M%S")
    assert facts["Checked"] == (
        checked.strftime("%Y-%m-%d %H:%M:%S") + f" UTC, by snapverify {__version__}"
    )
    assert facts["Local copy"].startswith("snapshots/kazakh-massacre-cover-up/000_")
    (command,) = tree.xpath("//code[@class='command']")
    assert command.text == report["command"]
    assert command.text.endswith("--allow-private-addresses -f json -o check.json")
    assert command.text.startswith("snapverify check snapshots/kazakh-massacre-cover-up/")


def test_the_timeline(mt_check: Rendered, pywb_mt: PywbServer) -> None:
    tree = _tree(mt_check.html)
    (svg,) = tree.xpath("//svg")
    marks = svg.xpath(".//*[contains(concat(' ', @class, ' '), ' mark ')]")
    assert len(marks) == 1 + len(MT.article())  # the local copy, then each capture in order
    assert "reference" in marks[0].get("class")
    hrefs = [mark.xpath(".//a/@href") for mark in marks]
    assert hrefs[0] == []  # the local copy is a file: no link
    assert [h[0] for h in hrefs[1:]] == [f"{pywb_mt.base}/{ts}/{MT_URL}" for ts in MT.article()]
    # Where each substantive change first appeared: the edits at `edited`, the rest later.
    firsts = {
        mark.xpath("string(.//title)").split(":")[0] + ":" + ts: _text(label)
        for mark, ts in zip(marks[1:], MT.article(), strict=True)
        for label in mark.xpath(".//*[@class='first-label']")
    }
    assert firsts == {f"mt:{MT.edited}": "▲ #1 #3", f"mt:{MT.removed_added}": "▲ #2 #4 #5"}
    # The blocked capture was not compared: a cross and its outcome, not a similarity.
    blocked = marks[1 + MT.article().index(MT.blocked)]
    assert "not-compared" in blocked.get("class") and "archived error" in _text(blocked)
    # The same facts as a table, for screen readers and print, linking to the findings.
    _assert_anchors_resolve(tree)
    rows = tree.xpath("//table[@class='sources']/tbody/tr")
    assert [_text(row.xpath("td[2]/*[1]")[0]) for row in rows] == [
        f"mt:{ts}" for ts in MT.article()
    ]
    assert [_text(row.xpath("td")[4]) for row in rows] == [
        "1.00",
        "1.00",
        "1.00",
        "0.997",
        "0.84",
        "-",
        "0.84",
    ]


def test_the_findings_side_by_side(mt_check: Rendered) -> None:
    tree = _tree(mt_check.html)
    findings = tree.xpath("//section[@class='findings']/article")
    # The store's history saw them first in this check: each is marked new.
    assert [_text(f.xpath("h3")[0]) for f in findings] == [
        "#1 edited block 3 new",
        "#2 added after block 4 new",
        "#3 edited block 6 new",
        "#4 missing block 7 new",
        "#5 added after block 12 new",
    ]
    first = findings[0]
    local, remote = first.xpath(".//figure")
    assert [f.findtext("figcaption") for f in (local, remote)] == ["Local copy", "Source"]
    # Word changes are marked with <del>/<ins> and a symbol, not colour alone.
    assert [d.text for d in local.xpath(".//del")] == ["15"] and not local.xpath(".//ins")
    assert [i.text for i in remote.xpath(".//ins")] == ["16"] and not remote.xpath(".//del")
    assert "−15" in _text(local) and "+16" in _text(remote)
    assert "The government admits that −15 people were killed" in _text(local)
    seen = _terms(first.xpath(".//dl[@class='seen']")[0])
    assert seen == {
        "First seen": "2012-05-29 12:00:00 UTC",
        "Last seen": "2024-03-03 08:15:00 UTC",
        "Seen in": f"mt:{MT.edited}mt:{MT.removed_added}mt:{MT.latest}",
    }
    assert first.xpath(".//time/@datetime") == ["2012-05-29T12:00:00Z", "2024-03-03T08:15:00Z"]
    missing = findings[3]
    assert "not in the source" in _text(missing)
    assert _text(missing.xpath(".//del")[0]).startswith("One prosecution witness testified")
    added = findings[4]
    assert "not in the local copy" in _text(added)
    assert "Correction" in _text(added.xpath(".//ins")[0])
    assert tree.xpath("//p[@class='legend']")
    assert not tree.xpath("//details")  # nothing cosmetic, nothing resolved in this check


def test_check_format_html_gives_the_same_page(mt_check: Rendered) -> None:
    """``check --format html`` and ``report`` of the saved JSON show the same (but the
    time of the check, the command and the store, which differ between the two runs)."""

    def strip(page: str) -> str:
        page = re.sub(r"<time [^>]*>[^<]*</time>", "<time></time>", page, count=1)
        page = re.sub(r"<dt>Store</dt><dd><code>[^<]*</code></dd>", "", page)
        return re.sub(r'<code class="command">[^<]*</code>', "", page)

    assert mt_check.direct.startswith("<!DOCTYPE html>")
    assert strip(mt_check.direct) == strip(mt_check.html)
    (result,) = parse_reports(json.dumps(mt_check.report))
    assert render_html([result]) == mt_check.html


# -- a kitchen sink of everything a report can hold, hostile strings included ----------

T2012 = datetime(2012, 5, 27, 18, 30, tzinfo=UTC)
T2016 = datetime(2016, 3, 1, 9, 0, 5, tzinfo=UTC)
T2024 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
URL = "https://news.example.org/2012/05/27/story"
WAYBACK_RAW = f"https://web.archive.org/web/20120527183000id_/{URL}"


def _kitchen_sink() -> CheckResult:
    """A result with every part filled: cosmetic, resolved, history marks, links."""
    hostile = f"{HOSTILE_SCRIPT} {HOSTILE_IMG} {HOSTILE_TEMPLATE}"
    sources = (
        Source("live", SourceKind.LIVE, URL, T2024, 200, Outcome.OK, 0.91),
        Source("wayback:20120527183000", SourceKind.ARCHIVE, WAYBACK_RAW, T2012, 200, similarity=1),
        Source(
            "wayback:20160301090005",
            SourceKind.ARCHIVE,
            HOSTILE_URLS[0],
            T2016,
            404,
            Outcome.ARCHIVED_ERROR,
            note=f"note {hostile}",
        ),
    )
    findings = (
        Finding(
            FindingKind.EDITED,
            True,
            f"detail {hostile}",
            local_block=3,
            local_text="killed 15 people",
            remote_text=f"killed 16 people {HOSTILE_SCRIPT}",
            diff=(("equal", "killed"), ("delete", "15"), ("insert", "16"), ("equal", "people")),
            sources=("live",),
            first_seen=T2024,
            last_seen=T2024,
            change=Change.NEW,
        ),
        Finding(
            FindingKind.ADDED,
            True,
            "passage added",
            insert_after=-1,
            remote_text=f"Readers wrote {hostile}",
            sources=("live", "wayback:20160301090005"),
            change=Change.ONGOING,
            acknowledged=True,
            ack_note=f"seen by the desk {HOSTILE_SCRIPT}",
        ),
        Finding(
            FindingKind.MOVED,
            False,
            "passage moved",
            local_block=2,
            insert_after=5,
            local_text="A moved passage.",
            sources=("live",),
        ),
        Finding(
            FindingKind.DEAD_LINK,
            True,
            "link target gone",
            local_block=4,
            url=HOSTILE_URLS[1],
            status=404,
            outcome=Outcome.NOT_FOUND,
            archive_url=f"https://web.archive.org/web/20120101000000id_/{URL}/a",
            text=f"anchor {HOSTILE_SCRIPT}",
        ),
        Finding(
            FindingKind.LOST_LINK_TARGET,
            False,
            "the local copy lost the target",
            url=HOSTILE_URLS[2],
            outcome=Outcome.OK,
            text="Video footage",
        ),
    )
    links = tuple(
        LinkCheck(f"link {n} {HOSTILE_TEMPLATE}", url, Outcome.SKIPPED, detail="not HTTP")
        for n, url in enumerate(HOSTILE_URLS)
    ) + (
        LinkCheck(
            "Good link",
            "https://example.org/ok",
            Outcome.NOT_FOUND,
            status=404,
            archive_url="https://web.archive.org/web/20120301000000id_/https://example.org/ok",
            archive_timestamp=datetime(2012, 3, 1, tzinfo=UTC),
        ),
        LinkCheck("Lost", None, Outcome.SKIPPED, lost=True),
    )
    resolved = (
        Finding(
            FindingKind.MISSING,
            True,
            "was missing",
            local_block=9,
            local_text="A passage that came back.",
        ),
    )
    return CheckResult(
        snapshot=SnapshotInfo(f"snap/{HOSTILE_SCRIPT}.md", HOSTILE_URLS[0], hostile, "f" * 64),
        verdict=Verdict.CHANGED,
        exit_code=1,
        sources=sources,
        findings=findings,
        provenance=Provenance("wayback:20120527183000", 1.0),
        notes=(f"note {hostile}",),
        error=None,
        links=links,
        resolved=resolved,
        checked_at=T2024,
        command=f"snapverify check '{HOSTILE_SCRIPT}'",
    )


def _assert_inert(page: str, *, template: bool = True) -> Any:
    """No script, no event handler, no link but http(s) (and the page's own #anchors)."""
    tree = _tree(page)
    assert not tree.xpath("//script | //iframe | //object | //embed | //img | //link")
    assert not tree.xpath("//@*[starts-with(translate(name(), 'ON', 'on'), 'on')]")
    for href in tree.xpath("//@href"):
        assert href.startswith(("http://", "https://", "#")), href
        assert "script" not in href.lower() and "data:" not in href.lower()
    # No template was ever evaluated from page text: the expression is there, literally.
    if template:
        assert HOSTILE_TEMPLATE in tree.text_content()
    return tree


def test_page_text_is_inert() -> None:
    page = render_html([_kitchen_sink()])
    tree = _assert_inert(page)
    text = tree.text_content()
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text and HOSTILE_TEMPLATE in text
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert "&amp;lt;img src=x onerror=alert(1)&amp;gt;" in page
    # The bad URLs are shown, as text.
    inert = [_text(span) for span in tree.xpath("//span[@class='inert']")]
    assert "javascript:alert(1)" in inert  # the snapshot's URL and a source's
    assert "JaVa ScRiPt:x" in inert
    assert "data:text/html,<script>alert(1)</script>" in inert


def test_kitchen_sink_parts() -> None:
    tree = _tree(render_html([_kitchen_sink()]))
    substantive = tree.xpath("//section[@class='findings']/article")
    assert [f.get("id") for f in substantive] == ["snapshot-1-f1", "snapshot-1-f2"]
    assert _text(substantive[0].xpath(".//span[contains(@class,'badge')]")[0]) == "new"
    badges = [_text(b) for b in substantive[1].xpath(".//span[contains(@class,'badge')]")]
    assert badges == ["ongoing", "acknowledged"]
    assert "seen by the desk <script>" in _text(substantive[1])
    assert "at the start" in _text(substantive[1].xpath("h3")[0])
    # Cosmetic findings are folded away; so are resolved ones.
    cosmetic, resolved = tree.xpath("//details")
    assert cosmetic.get("open") is None and resolved.get("open") is None
    assert "1 cosmetic finding" in _text(cosmetic.xpath("summary")[0])
    assert "block 2 → after block 5" in _text(cosmetic)
    assert "resolved" in _text(resolved.xpath(".//span[contains(@class,'badge')]")[0])
    assert "A passage that came back." in _text(resolved)
    # Link findings and every checked link, in tables.
    link_findings, links = tree.xpath("//table[@class='link-table']")
    rows = link_findings.xpath("tbody/tr")
    assert [_text(r.xpath("td")[0]) for r in rows] == ["dead link", "lost link target"]
    assert [_text(c) for c in rows[0].xpath("td")[3:5]] == ["404", "not found"]
    assert rows[0].xpath("td[6]/a/@href") == [f"https://web.archive.org/web/20120101000000/{URL}/a"]
    rows = links.xpath("tbody/tr")
    assert len(rows) == 5
    good = rows[3]
    assert good.xpath("td[3]/a/@href") == ["https://example.org/ok"]
    assert good.xpath("td[6]/a/@href") == [
        "https://web.archive.org/web/20120301000000/https://example.org/ok"
    ]
    assert _text(good.xpath("td[6]")[0]) == "2012-03-01 00:00:00"
    assert "target lost in the local copy" in _text(rows[4])
    # The timeline links a raw (id_) capture to its human playback page.
    hrefs = tree.xpath("//svg//a/@href")
    assert f"https://web.archive.org/web/20120527183000/{URL}" in hrefs
    assert all("id_/" not in href for href in hrefs)


def test_several_snapshots_in_one_page() -> None:
    first = _kitchen_sink()
    second = dataclasses.replace(
        first, snapshot=SnapshotInfo("b.md", URL, "Second", "0" * 64), verdict=Verdict.UNCHANGED
    )
    tree = _tree(render_html([first, second]))
    assert tree.findtext(".//title") == "snapverify: 2 snapshots"
    assert tree.xpath("//nav[@class='toc']//a/@href") == ["#snapshot-1", "#snapshot-2"]
    assert [a.get("id") for a in tree.xpath("//article[@class='snapshot']")] == [
        "snapshot-1",
        "snapshot-2",
    ]
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))  # anchors stay unique across snapshots
    _assert_anchors_resolve(tree)
    # "First seen here" in each snapshot's sources table (in time order) leads to that
    # snapshot's finding: #2 first in the 2016 capture, #1 in the live page.
    firsts = "//table[@class='sources']//a[starts-with(@href, '#')]/@href"
    assert tree.xpath(f"//article[@id='snapshot-2']{firsts}") == [
        "#snapshot-2-f2",
        "#snapshot-2-f1",
    ]


def _assert_anchors_resolve(tree: Any) -> None:
    """Every link within the page leads to an element of the page."""
    ids = set(tree.xpath("//@id"))
    internal = [href for href in tree.xpath("//@href") if href.startswith("#")]
    assert internal and [href for href in internal if href[1:] not in ids] == []


def test_an_unverifiable_result_without_sources() -> None:
    result = CheckResult(
        snapshot=SnapshotInfo("a.md", URL, None, "0" * 64),
        verdict=Verdict.UNVERIFIABLE,
        exit_code=4,
        sources=(),
        findings=(),
        provenance=None,
        error="the page could not be read",
    )
    tree = _tree(render_html([result]))
    assert tree.xpath("string(//strong[contains(@class,'verdict')])") == "UNVERIFIABLE"
    assert "Could not check: the page could not be read" in _text(tree.xpath("//p[@role]")[0])
    assert "No sources." in tree.text_content() and not tree.xpath("//svg")
    assert "closest to none of the sources" in tree.text_content()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ('https://example.org/"><script>', "https://example.org/%22%3E%3Cscript%3E"),
        ("javascript:alert(1)", None),
        (" JaVa\tScRiPt:x", None),
        ("java\nscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("file:///etc/passwd", None),
        ("//example.org/protocol-relative", None),
        ("/relative", None),
        ("https:no-host", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_playback_url() -> None:
    assert playback_url(WAYBACK_RAW) == f"https://web.archive.org/web/20120527183000/{URL}"
    assert playback_url(f"http://127.0.0.1:8080/coll/20120527183000/{URL}") == (
        f"http://127.0.0.1:8080/coll/20120527183000/{URL}"
    )
    assert playback_url(URL) == URL


def test_compare_accepts_format_html(tmp_path: Path) -> None:
    local = tmp_path / "local.md"
    local.write_text(
        "# A title\n\nThe first paragraph says fifteen people came.\n\n"
        "Original url: <https://news.example.org/a>\n",
        encoding="utf-8",
    )
    source = tmp_path / "source.html"
    source.write_text(
        "<html><head><title>A title</title></head><body><article><h1>A title</h1>"
        "<p>The first paragraph says sixteen people came.</p></article></body></html>",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main, ["compare", str(local), f"{source}@20200101", "--format", "html"]
    )
    assert result.exit_code == 1, result.stderr
    tree = _assert_inert(result.stdout, template=False)
    assert [d.text for d in tree.xpath("//article[contains(@class, 'finding')]//del")] == [
        "fifteen"
    ]
    assert [i.text for i in tree.xpath("//article[contains(@class, 'finding')]//ins")] == [
        "sixteen"
    ]


# -- a hostile capture, checked for real (pywb) --------------------------------------

HOSTILE_URL = "https://news.example.org/2020/01/06/bridge-reopens"
HOSTILE_LOCAL = f"""# Harbour Bridge Reopens After Repairs

The harbour bridge reopened on Monday after eight months of repairs, the council said.

Engineers replaced the cables and repainted the steel deck, and traffic is expected to return to
normal by the end of the week.

The mayor thanked residents for their patience and said the project finished under budget.

Original url: <{HOSTILE_URL}>
"""
# The page's text holds markup and a template expression (as entities, so a parser decodes
# them to text) and links to script and data URLs.
HOSTILE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Harbour Bridge Reopens After Repairs</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Harbour Bridge Reopens After Repairs</h1>
<p>The harbour bridge reopened on Monday after eight months of repairs, the council said.</p>
<p>Engineers replaced the cables and repainted the steel deck, and traffic is expected to return
to normal by the end of the week.</p>
<p>Readers wrote &lt;script&gt;alert(1)&lt;/script&gt; and
&amp;lt;img src=x onerror=alert(1)&amp;gt; and {{ 7*7 }} in the comments:
see <a href="javascript:alert(1)">this</a>,
<a href=" JaVa&#9;ScRiPt:x">that</a> and
<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">those</a>.</p>
<p>The mayor thanked residents for their patience and said the project finished over budget
<img src=x onerror=alert(1)>.</p>
</article><footer>Copyright</footer></body></html>
"""


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A check of a local copy against a hostile capture served by pywb, as an HTML page.

    The check runs in a child process (as a user runs it), so it needs no event loop of
    this one, where the module's browser may be running.
    """
    tmp_path = tmp_path_factory.mktemp("hostile")
    server = PywbServer(
        {"hostile": [Capture(HOSTILE_URL, "20200107120000", HOSTILE_PAGE.encode())]},
        root=tmp_path / "pywb",
    ).start()
    try:
        yield _check_hostile(server, tmp_path)
    finally:
        server.stop()


def _check_hostile(server: PywbServer, tmp_path: Path) -> Path:
    folder = tmp_path / "snapshots" / "bridge"
    folder.mkdir(parents=True)
    (tmp_path / "snapshots" / ".snapverify").mkdir()
    (folder / "bridge.md").write_text(HOSTILE_LOCAL, encoding="utf-8")
    page = tmp_path / "hostile.html"
    done = subprocess.run(
        [sys.executable, "-m", "snapverify", "check", str(folder / "bridge.md")]
        + ["--archive", server.base, "--no-live", "--allow-private-addresses"]
        + ["--format", "html", "--output", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    return page


def test_a_hostile_capture_renders_as_inert_text(hostile_report: Path) -> None:
    page = hostile_report.read_text("utf-8")
    tree = _assert_inert(page)
    findings = tree.xpath("//section[@class='findings']/article")
    text = " ".join(_text(finding) for finding in findings)
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text and HOSTILE_TEMPLATE in text
    assert [_text(i) for i in tree.xpath("//section[@class='findings']//ins")][-1] == "over"


# -- real headless Chromium, network cut --------------------------------------------


@dataclass
class Opened:
    page: Any
    requests: list[str]
    dialogs: list[str]


@pytest.fixture(scope="module")
def browser(mt_check: Rendered) -> Iterator[Any]:
    """One headless Chromium for the module (Debian's, driven by Playwright).

    Playwright's sync API keeps an event loop running on this thread while the browser
    is open, and ``check`` cannot start its own (``asyncio.run``) inside it: so the
    module's check runs first, whatever tests are selected.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            proxy={"server": "http://127.0.0.1:9"},  # a closed port: no way out
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(path, width=1000)`` loads a file with every other request aborted."""
    contexts: list[Any] = []

    def open_(path: Path, *, width: int = 1000, height: int = 900) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        opened = Opened(context.new_page(), [], [])

        def route(route: Any) -> None:
            if route.request.url == path.as_uri():
                route.continue_()
            else:
                route.abort()

        def request(request: Any) -> None:
            # Every request of the context, routed or not, is seen here first.
            if request.url != path.as_uri():
                opened.requests.append(request.url)

        def dialog(box: Any) -> None:
            opened.dialogs.append(box.message)
            box.dismiss()

        context.route("**/*", route)
        context.on("request", request)
        opened.page.on("dialog", dialog)
        opened.page.goto(path.as_uri(), wait_until="load")
        return opened

    try:
        yield open_
    finally:
        for context in contexts:
            context.close()


def test_chromium_shows_the_check_report(open_page: Any, mt_check: Rendered) -> None:
    opened = open_page(mt_check.html_path)
    page = opened.page
    assert page.title() == "snapverify: Kazakh Massacre Cover-Up (changed)"
    assert page.locator("strong.verdict").inner_text() == "CHANGED"
    findings = page.locator("section.findings > article.finding")
    assert findings.count() == 5
    for n in range(5):
        assert findings.nth(n).is_visible()
    assert page.locator("section.findings del", has_text="15").first.is_visible()
    assert page.locator("section.findings ins", has_text="16").first.is_visible()
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg.chart g.mark").count() == 8
    assert page.locator("svg.chart .first-label").nth(0).is_visible()
    # The styles applied (inline CSS allowed by the policy): the verdict is red.
    colour = page.locator("strong.verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(179, 38, 30)"
    assert opened.requests == [] and opened.dialogs == []


def test_chromium_on_a_phone_and_in_print(open_page: Any, mt_check: Rendered) -> None:
    opened = open_page(mt_check.html_path, width=390, height=844)
    page = opened.page
    # Nothing wider than the phone but the scrolling boxes (timeline, tables).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    local, remote = page.locator("article.finding").first.locator("figure").all()
    a, b = local.bounding_box(), remote.bounding_box()
    assert a is not None and b is not None and b["y"] >= a["y"] + a["height"]  # stacked
    pdf = page.pdf()
    assert pdf[:5] == b"%PDF-"
    assert opened.requests == [] and opened.dialogs == []


def test_chromium_shows_hostile_text_as_text(open_page: Any, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    path.write_text(render_html([_kitchen_sink()]), encoding="utf-8")
    opened = open_page(path)
    page = opened.page
    assert page.locator("script").count() == 0
    body = page.locator("body").inner_text()
    assert HOSTILE_SCRIPT in body and HOSTILE_IMG in body and HOSTILE_TEMPLATE in body
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("http://", "https://", "#")) for h in hrefs)
    # Cosmetic findings are folded away on screen, shown in print.
    moved = page.locator("details.cosmetic article.finding")
    assert not moved.is_visible()
    page.emulate_media(media="print")
    assert moved.is_visible()
    assert opened.requests == [] and opened.dialogs == []


def test_docs_screenshot(open_page: Any, mt_check: Rendered) -> None:
    """docs/report.png, for README; rewritten only with SNAPVERIFY_UPDATE_DOCS=1."""
    opened = open_page(mt_check.html_path, width=1000, height=1500)
    image = opened.page.screenshot(type="png")
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and opened.requests == []
    if os.environ.get("SNAPVERIFY_UPDATE_DOCS") == "1":
        DOCS_IMAGE.parent.mkdir(exist_ok=True)
        DOCS_IMAGE.write_bytes(image)
    assert DOCS_IMAGE.is_file(), "run with SNAPVERIFY_UPDATE_DOCS=1 to make docs/report.png"


def test_chromium_shows_a_hostile_capture_as_text(open_page: Any, hostile_report: Path) -> None:
    opened = open_page(hostile_report)
    page = opened.page
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0
    findings = page.locator("section.findings").inner_text()
    assert HOSTILE_SCRIPT in findings and HOSTILE_IMG in findings and HOSTILE_TEMPLATE in findings
    handlers = page.locator("*").evaluate_all(
        "nodes => nodes.flatMap(n => [...n.attributes].map(a => a.name))"
        ".filter(name => name.startsWith('on'))"
    )
    assert handlers == []
    assert opened.requests == [] and opened.dialogs == []


def test_a_timeline_of_many_captures_stays_readable() -> None:
    start = datetime(2012, 6, 1, tzinfo=UTC)
    stamps = [(start.replace(year=2012 + n // 12, month=n % 12 + 1)) for n in range(60)]
    sources = tuple(
        Source(
            f"wayback:{when:%Y%m%d%H%M%S}",
            SourceKind.ARCHIVE,
            f"https://web.archive.org/web/{when:%Y%m%d%H%M%S}id_/{URL}",
            when,
            200,
            similarity=None if n % 7 == 3 else 0.9,
            outcome=Outcome.ARCHIVED_ERROR if n % 7 == 3 else Outcome.OK,
        )
        for n, when in enumerate(stamps)
    )
    findings = tuple(
        Finding(
            FindingKind.EDITED,
            True,
            f"edit {n}",
            local_block=n,
            diff=(("delete", "a"), ("insert", "b")),
            sources=tuple(s.id for s in sources[n // 2 :]),
            first_seen=stamps[n // 2],
            last_seen=stamps[-1],
        )
        for n in range(6)
    )
    result = dataclasses.replace(_kitchen_sink(), sources=sources, findings=findings, links=())
    tree = _tree(render_html([result]))
    (svg,) = tree.xpath("//svg")
    assert int(svg.get("width")) < 60 * 40 + 200  # marks closer together
    labels = svg.xpath(".//*[@class='label']")
    assert len(labels) == 61 and all("rotate(-45" in label.get("transform") for label in labels)
    assert not svg.xpath(".//*[@class='value']")[1:]  # no room for values but the reference
    # Where changes first appeared: three marks, labels on two rows so near ones do not overlap.
    firsts = svg.xpath(".//*[@class='first-label']")
    assert [_text(label) for label in firsts] == ["▲ #1 #2", "▲ #3 #4", "▲ #5 #6"]
    assert len({label.get("y") for label in firsts}) == 2
    # The table of every source is folded away; each finding lists ten sources at most.
    (details,) = tree.xpath("//details[@class='all-sources']")
    assert len(details.xpath(".//tbody/tr")) == 60
    seen = tree.xpath("//article[@id='snapshot-1-f1']//dl[@class='seen']/dd[last()]")[0]
    assert len(seen.xpath(".//a")) == 10 and "and 50 more" in _text(seen)
